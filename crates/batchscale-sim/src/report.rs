//! The summary of a run (`simulation.md` section 5), its JSON shape, its p50/p95/max over
//! seeds, and its text table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Serialize, Serializer};

/// A number as the report writes it: a whole number as an integer (`100`, `0`), any other
/// as the shortest decimal that reads back the same (`12.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            serializer.serialize_i64(v as i64)
        } else {
            serializer.serialize_f64(v)
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            write!(f, "{}", v as i64)
        } else {
            // Two decimals are plenty for a person; the JSON keeps every digit.
            let text = format!("{v:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            f.write_str(text)
        }
    }
}

/// A figure over several seeds: nearest-rank p50, p95 and the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The median.
    pub p50: Num,
    /// The 95th percentile.
    pub p95: Num,
    /// The largest.
    pub max: Num,
}

impl Spread {
    /// The spread of some values (at least one).
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let r = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted[r.clamp(1, sorted.len()) - 1]
        };
        Spread {
            p50: Num(rank(50.0)),
            p95: Num(rank(95.0)),
            max: Num(*sorted.last().expect("at least one value")),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {} / {}", self.p50, self.p95, self.max)
    }
}

/// Per priority.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ByPriority<N> {
    /// Dedicated.
    pub dedicated: N,
    /// Low-priority.
    pub low_priority: N,
}

/// The task counts. Every field but `requeued` (events) and `skippedRecords` partitions
/// `submitted`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tasks<N> {
    /// Submitted before the end.
    pub submitted: N,
    /// Ran to their end.
    pub completed: N,
    /// Failed on their own (the workloads carry no failures: always 0).
    pub failed: N,
    /// Requeue events.
    pub requeued: N,
    /// Killed by `terminate`.
    pub terminated: N,
    /// Need more slots than a node has.
    pub never_runnable: N,
    /// Runnable, still queued at the end.
    pub queued_at_end: N,
    /// Running at the end.
    pub running_at_end: N,
    /// SWF records skipped (run time -1); only for SWF workloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_records: Option<N>,
}

/// Queue wait in seconds, from submit to first start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueWait<N> {
    /// Mean.
    pub mean: Option<N>,
    /// Median.
    pub p50: Option<N>,
    /// 95th percentile.
    pub p95: Option<N>,
    /// 99th percentile.
    pub p99: Option<N>,
    /// Longest.
    pub max: Option<N>,
}

/// Time to first node and its parts, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeToFirstNode<N> {
    /// First submit to the first usable node.
    pub total: N,
    /// Until the evaluation that started the allocation.
    pub wait_for_evaluation: N,
    /// Until a sample showing the task was visible.
    pub sample_lag_and_window: N,
    /// The allocation delay.
    pub allocation: N,
    /// The start delay.
    pub start: N,
}

/// Evaluation counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluations<N> {
    /// Every evaluation.
    pub total: N,
    /// Those that failed.
    pub failed: N,
    /// Failed ones by error code.
    pub failed_by_code: BTreeMap<String, N>,
}

/// The summary of one run (`N` = [`Num`]) or of several seeds (`N` = [`Spread`]), in the
/// JSON shape of `simulation.md` section 5.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary<N> {
    /// `workload`, `metrics` or `empty`.
    pub mode: &'static str,
    /// The (first) seed.
    pub seed: u64,
    /// How many seeds (only with `--seeds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u64>,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339.
    pub end: String,
    /// Every parameter in force, and which were defaults.
    pub parameters: serde_json::Value,
    /// Billed node-hours (every state but `preempted`).
    pub node_hours: ByPriority<N>,
    /// Node-hours × cores.
    pub core_hours: ByPriority<N>,
    /// Hours of usable nodes running no task.
    pub idle_node_hours: N,
    /// Node-hours × prices; null without prices.
    pub cost: Option<N>,
    /// Task counts.
    pub tasks: Tasks<N>,
    /// Work lost to requeues and preemptions.
    pub wasted_task_hours: N,
    /// Queue wait.
    pub queue_wait: QueueWait<N>,
    /// Null when no node became usable after the first submit (or no task came).
    pub time_to_first_node: Option<TimeToFirstNode<N>>,
    /// First submit to the last task's end; null while tasks remain.
    pub makespan: Option<N>,
    /// Evaluations.
    pub evaluations: Evaluations<N>,
    /// Time a truncated raw target exceeded the effective one.
    pub capped_seconds: N,
    /// Time at least one runnable task waited.
    pub under_provisioned_seconds: N,
    /// Time at least one usable node was idle.
    pub over_provisioned_seconds: N,
}

fn spread_opt(values: Vec<Option<f64>>) -> Option<Spread> {
    let present: Vec<f64> = values.into_iter().flatten().collect();
    (!present.is_empty()).then(|| Spread::of(&present))
}

/// The p50/p95/max of each figure over the runs of several seeds (`runs` not empty, in
/// seed order). A figure missing in some runs (null) is taken over the runs that have it;
/// an error code missing from a run counts 0 there. Strings (start, end, mode) and the
/// parameters are the first run's.
pub fn aggregate(runs: &[Summary<Num>]) -> Summary<Spread> {
    let first = &runs[0];
    let all = |f: &dyn Fn(&Summary<Num>) -> f64| -> Spread {
        Spread::of(&runs.iter().map(f).collect::<Vec<_>>())
    };
    let opt = |f: &dyn Fn(&Summary<Num>) -> Option<f64>| -> Option<Spread> {
        spread_opt(runs.iter().map(f).collect())
    };
    let mut codes: BTreeMap<String, Spread> = BTreeMap::new();
    for code in runs
        .iter()
        .flat_map(|r| r.evaluations.failed_by_code.keys())
    {
        if !codes.contains_key(code) {
            let values: Vec<f64> = runs
                .iter()
                .map(|r| r.evaluations.failed_by_code.get(code).map_or(0.0, |n| n.0))
                .collect();
            codes.insert(code.clone(), Spread::of(&values));
        }
    }
    let ttfn_present = runs.iter().any(|r| r.time_to_first_node.is_some());
    let ttfn = |f: &dyn Fn(&TimeToFirstNode<Num>) -> f64| {
        spread_opt(
            runs.iter()
                .map(|r| r.time_to_first_node.as_ref().map(f))
                .collect(),
        )
        .expect("some run has a time to first node")
    };
    Summary {
        mode: first.mode,
        seed: first.seed,
        seeds: Some(runs.len() as u64),
        start: first.start.clone(),
        end: first.end.clone(),
        parameters: first.parameters.clone(),
        node_hours: ByPriority {
            dedicated: all(&|r| r.node_hours.dedicated.0),
            low_priority: all(&|r| r.node_hours.low_priority.0),
        },
        core_hours: ByPriority {
            dedicated: all(&|r| r.core_hours.dedicated.0),
            low_priority: all(&|r| r.core_hours.low_priority.0),
        },
        idle_node_hours: all(&|r| r.idle_node_hours.0),
        cost: opt(&|r| r.cost.map(|c| c.0)),
        tasks: Tasks {
            submitted: all(&|r| r.tasks.submitted.0),
            completed: all(&|r| r.tasks.completed.0),
            failed: all(&|r| r.tasks.failed.0),
            requeued: all(&|r| r.tasks.requeued.0),
            terminated: all(&|r| r.tasks.terminated.0),
            never_runnable: all(&|r| r.tasks.never_runnable.0),
            queued_at_end: all(&|r| r.tasks.queued_at_end.0),
            running_at_end: all(&|r| r.tasks.running_at_end.0),
            skipped_records: opt(&|r| r.tasks.skipped_records.map(|n| n.0)),
        },
        wasted_task_hours: all(&|r| r.wasted_task_hours.0),
        queue_wait: QueueWait {
            mean: opt(&|r| r.queue_wait.mean.map(|n| n.0)),
            p50: opt(&|r| r.queue_wait.p50.map(|n| n.0)),
            p95: opt(&|r| r.queue_wait.p95.map(|n| n.0)),
            p99: opt(&|r| r.queue_wait.p99.map(|n| n.0)),
            max: opt(&|r| r.queue_wait.max.map(|n| n.0)),
        },
        time_to_first_node: ttfn_present.then(|| TimeToFirstNode {
            total: ttfn(&|t| t.total.0),
            wait_for_evaluation: ttfn(&|t| t.wait_for_evaluation.0),
            sample_lag_and_window: ttfn(&|t| t.sample_lag_and_window.0),
            allocation: ttfn(&|t| t.allocation.0),
            start: ttfn(&|t| t.start.0),
        }),
        makespan: opt(&|r| r.makespan.map(|n| n.0)),
        evaluations: Evaluations {
            total: all(&|r| r.evaluations.total.0),
            failed: all(&|r| r.evaluations.failed.0),
            failed_by_code: codes,
        },
        capped_seconds: all(&|r| r.capped_seconds.0),
        under_provisioned_seconds: all(&|r| r.under_provisioned_seconds.0),
        over_provisioned_seconds: all(&|r| r.over_provisioned_seconds.0),
    }
}

/// The rows of the text table: a label and the figure's text.
pub fn rows<N: std::fmt::Display>(s: &Summary<N>) -> Vec<(String, String)> {
    let opt = |v: &Option<N>| v.as_ref().map_or("-".to_string(), |n| n.to_string());
    let mut rows = vec![
        ("mode".to_string(), s.mode.to_string()),
        ("start".to_string(), s.start.clone()),
        ("end".to_string(), s.end.clone()),
        (
            "node-hours (dedicated, low-priority)".to_string(),
            format!("{}, {}", s.node_hours.dedicated, s.node_hours.low_priority),
        ),
        (
            "core-hours (dedicated, low-priority)".to_string(),
            format!("{}, {}", s.core_hours.dedicated, s.core_hours.low_priority),
        ),
        ("idle node-hours".to_string(), s.idle_node_hours.to_string()),
        ("cost".to_string(), opt(&s.cost)),
        ("tasks submitted".to_string(), s.tasks.submitted.to_string()),
        ("  completed".to_string(), s.tasks.completed.to_string()),
        ("  failed".to_string(), s.tasks.failed.to_string()),
        ("  terminated".to_string(), s.tasks.terminated.to_string()),
        (
            "  never runnable".to_string(),
            s.tasks.never_runnable.to_string(),
        ),
        (
            "  queued at end".to_string(),
            s.tasks.queued_at_end.to_string(),
        ),
        (
            "  running at end".to_string(),
            s.tasks.running_at_end.to_string(),
        ),
        ("requeues".to_string(), s.tasks.requeued.to_string()),
    ];
    if let Some(skipped) = &s.tasks.skipped_records {
        rows.push(("SWF records skipped".to_string(), skipped.to_string()));
    }
    rows.extend([
        (
            "wasted task-hours".to_string(),
            s.wasted_task_hours.to_string(),
        ),
        ("queue wait mean (s)".to_string(), opt(&s.queue_wait.mean)),
        ("queue wait p50 (s)".to_string(), opt(&s.queue_wait.p50)),
        ("queue wait p95 (s)".to_string(), opt(&s.queue_wait.p95)),
        ("queue wait p99 (s)".to_string(), opt(&s.queue_wait.p99)),
        ("queue wait max (s)".to_string(), opt(&s.queue_wait.max)),
    ]);
    match &s.time_to_first_node {
        None => rows.push(("time to first node (s)".to_string(), "-".to_string())),
        Some(t) => rows.extend([
            ("time to first node (s)".to_string(), t.total.to_string()),
            (
                "  sample lag and window".to_string(),
                t.sample_lag_and_window.to_string(),
            ),
            (
                "  wait for evaluation".to_string(),
                t.wait_for_evaluation.to_string(),
            ),
            ("  allocation".to_string(), t.allocation.to_string()),
            ("  start".to_string(), t.start.to_string()),
        ]),
    }
    rows.extend([
        ("makespan (s)".to_string(), opt(&s.makespan)),
        ("evaluations".to_string(), s.evaluations.total.to_string()),
        ("  failed".to_string(), s.evaluations.failed.to_string()),
    ]);
    for (code, n) in &s.evaluations.failed_by_code {
        rows.push((format!("    {code}"), n.to_string()));
    }
    rows.extend([
        ("capped (s)".to_string(), s.capped_seconds.to_string()),
        (
            "under-provisioned (s)".to_string(),
            s.under_provisioned_seconds.to_string(),
        ),
        (
            "over-provisioned (s)".to_string(),
            s.over_provisioned_seconds.to_string(),
        ),
    ]);
    rows
}

/// A table of labelled columns: the header (empty for one column) and the rows.
pub fn table(header: &[&str], columns: &[Vec<(String, String)>]) -> String {
    // Rows are matched by label, in the order of the first column that has them.
    let mut labels: Vec<String> = Vec::new();
    for column in columns {
        for (label, _) in column {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
    }
    let cell = |c: &Vec<(String, String)>, label: &str| {
        c.iter()
            .find(|(l, _)| l == label)
            .map_or("-".to_string(), |(_, v)| v.clone())
    };
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            labels
                .iter()
                .map(|l| cell(c, l).chars().count())
                .chain(header.get(i).map(|h| h.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    if !header.is_empty() {
        let _ = write!(out, "{:label_width$}", "");
        for (h, w) in header.iter().zip(&widths) {
            let _ = write!(out, "  {h:>w$}");
        }
        out.push('\n');
    }
    for label in &labels {
        let _ = write!(out, "{label:label_width$}");
        for (c, w) in columns.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", cell(c, label));
        }
        // No trailing spaces.
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_written_as_integers() {
        assert_eq!(serde_json::to_string(&Num(100.0)).unwrap(), "100");
        assert_eq!(serde_json::to_string(&Num(0.0)).unwrap(), "0");
        assert_eq!(serde_json::to_string(&Num(12.5)).unwrap(), "12.5");
        assert_eq!(Num(0.123456).to_string(), "0.12");
        assert_eq!(Num(3.0).to_string(), "3");
    }

    #[test]
    fn spreads_are_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        let s = Spread::of(&values);
        assert_eq!((s.p50.0, s.p95.0, s.max.0), (10.0, 19.0, 20.0));
        let s = Spread::of(&[5.0]);
        assert_eq!((s.p50.0, s.p95.0, s.max.0), (5.0, 5.0, 5.0));
    }

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let a = vec![
            ("x".to_string(), "1".to_string()),
            ("long label".to_string(), "22".to_string()),
        ];
        let b = vec![("x".to_string(), "333".to_string())];
        assert_eq!(
            table(&["a", "b"], &[a, b]),
            "             a    b\nx            1  333\nlong label  22    -\n"
        );
    }
}
