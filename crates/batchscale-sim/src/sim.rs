//! The simulator: the pool model on a virtual clock, with the evaluation schedule of
//! `simulation.md` section 2 above it (on enable, every interval, at formula changes),
//! caps and quotas, and the figures, files and plot data of section 5.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use batchscale::time::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_SECOND};
use batchscale::{
    CompiledFormula, DEFAULT_INTERVAL, Decision, Interval, Metric, Outcome, Rejection,
    SampleHistory, Timestamp,
};
use serde_json::json;

use crate::model::{Model, NodeState, Priority, TaskSpec, TickRecord};
use crate::random::Delay;
use crate::report::{ByPriority, Evaluations, Num, QueueWait, Summary, Tasks, TimeToFirstNode};
use crate::scenario::Scenario;
use crate::workload::Workload;

/// `--start` when neither the command line, the scenario nor the workload gives one: a
/// Monday.
pub const DEFAULT_START: &str = "2025-01-06T00:00:00Z";

/// The longest run when no duration is given.
pub const MAX_AUTO_DURATION: Interval = Interval(30 * TICKS_PER_DAY);

/// What drives the pool's metrics.
#[derive(Debug, Clone, PartialEq)]
pub enum Driver {
    /// Closed loop: a workload's tasks.
    Workload(Workload),
    /// Open loop: recorded metric series.
    Metrics(Vec<(Metric, SampleHistory)>),
    /// Neither: an empty pool.
    Empty,
}

/// Everything a simulation is made of, as given (before defaults).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The formula's file name (for messages and the report).
    pub formula_name: String,
    /// The formula's text.
    pub formula_text: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The workload, recorded metrics, or nothing.
    pub driver: Driver,
    /// `--start` (else the scenario's, else the first task's submit, else
    /// [`DEFAULT_START`]).
    pub start: Option<Timestamp>,
    /// `--duration` (else the scenario's, else until done and settled, at most 30 days).
    pub duration: Option<Interval>,
    /// `--interval` (else the scenario's, else 15 minutes).
    pub interval: Option<Interval>,
}

/// Why a simulation could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A formula was rejected (exit 1): its name and the Batch error.
    #[error("{name}: rejected: {}", rejection.error)]
    Rejected {
        /// The formula's file name.
        name: String,
        /// The service's answer.
        rejection: Box<Rejection>,
    },
    /// Anything else (exit 2).
    #[error("{0}")]
    Invalid(String),
}

/// A simulation ready to run with any seed.
#[derive(Debug, Clone)]
pub struct Plan {
    formula_name: String,
    formula: CompiledFormula,
    scenario: Scenario,
    mode: &'static str,
    tasks: Vec<(i64, TaskSpec)>,
    skipped_records: Option<u64>,
    metrics: Vec<(Metric, SampleHistory)>,
    start: Timestamp,
    /// `None`: until done and settled, at most [`MAX_AUTO_DURATION`].
    end: Option<Timestamp>,
    interval: Interval,
    changes: Vec<PlannedChange>,
    /// When the last recorded sample becomes visible (open loop).
    metrics_done: i64,
}

#[derive(Debug, Clone)]
struct PlannedChange {
    at: i64,
    formula: Option<(String, CompiledFormula)>,
    interval: Option<Interval>,
}

/// What a run writes as it goes (each optional).
#[derive(Default)]
pub struct Outputs<'a> {
    /// `runs.jsonl`.
    pub runs: Option<&'a mut (dyn Write + Send)>,
    /// `timeseries.csv`.
    pub timeseries: Option<&'a mut (dyn Write + Send)>,
    /// `snapshots/`: a folder to write `NNNNNN.json` into.
    pub snapshots: Option<&'a Path>,
    /// Keep the data of the timeline plot.
    pub plot: bool,
    /// Called now and then with the share of simulated time done (0 to 1).
    pub progress: Option<&'a (dyn Fn(f64) + Sync)>,
}

/// The plot's data: a bounded number of points however long the run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotData {
    /// The run's start and end.
    pub start: Timestamp,
    /// The run's end.
    pub end: Timestamp,
    /// One point per kept tick.
    pub points: Vec<PlotPoint>,
    /// Evaluation instants and whether each failed.
    pub evaluations: Vec<(Timestamp, bool)>,
    stride: u64,
    ticks_seen: u64,
    evaluation_stride: u64,
    evaluations_seen: u64,
}

/// One point of the plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotPoint {
    /// The tick.
    pub time: Timestamp,
    /// Queued tasks.
    pub active: f64,
    /// Running tasks.
    pub running: f64,
    /// Nodes in the pool (both priorities).
    pub nodes: f64,
    /// Usable nodes.
    pub usable: f64,
    /// The effective target (both priorities).
    pub target: f64,
    /// The raw target the formula asked for (both priorities, truncated).
    pub raw_target: f64,
}

const MAX_POINTS: usize = 4096;
const MAX_EVALUATION_MARKS: usize = 2048;

impl PlotData {
    fn push(&mut self, point: PlotPoint) {
        if self.stride == 0 {
            self.stride = 1;
        }
        if self.ticks_seen.is_multiple_of(self.stride) {
            if self.points.len() == MAX_POINTS {
                let mut keep = false;
                self.points.retain(|_| {
                    keep = !keep;
                    keep
                });
                self.stride *= 2;
            }
            if self.ticks_seen.is_multiple_of(self.stride) {
                self.points.push(point);
            }
        }
        self.ticks_seen += 1;
    }

    fn push_evaluation(&mut self, time: Timestamp, failed: bool) {
        if self.evaluation_stride == 0 {
            self.evaluation_stride = 1;
        }
        // Failed evaluations are always kept (up to the cap); successful ones thinned.
        let keep = failed || self.evaluations_seen.is_multiple_of(self.evaluation_stride);
        self.evaluations_seen += 1;
        if !keep {
            return;
        }
        if self.evaluations.len() == MAX_EVALUATION_MARKS {
            let mut i = 0u64;
            self.evaluations.retain(|&(_, f)| {
                i += 1;
                f || i % 2 == 1
            });
            self.evaluation_stride *= 2;
            if self.evaluations.len() == MAX_EVALUATION_MARKS {
                return;
            }
        }
        self.evaluations.push((time, failed));
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The figures.
    pub summary: Summary<Num>,
    /// The plot's data, when asked for.
    pub plot: Option<PlotData>,
}

fn ts(ticks: i64) -> Timestamp {
    Timestamp::from_ticks(ticks).expect("simulated instants stay within the years 1 to 9999")
}

fn compile(name: &str, text: &str) -> Result<CompiledFormula, SetupError> {
    CompiledFormula::new(text).map_err(|rejection| SetupError::Rejected {
        name: name.to_string(),
        rejection: Box::new(rejection),
    })
}

fn seconds(ticks: impl Into<i128>) -> f64 {
    ticks.into() as f64 / TICKS_PER_SECOND as f64
}

fn hours(ticks: u128) -> f64 {
    ticks as f64 / TICKS_PER_HOUR as f64
}

impl Plan {
    /// Resolves the defaults, compiles the formulas and orders the workload.
    pub fn new(inputs: Inputs) -> Result<Plan, SetupError> {
        let formula = compile(&inputs.formula_name, &inputs.formula_text)?;
        let scenario = inputs.scenario;
        let mut changes = Vec::new();
        for change in &scenario.changes {
            let formula = match &change.formula {
                None => None,
                Some((name, text)) => Some((name.clone(), compile(name, text)?)),
            };
            changes.push(PlannedChange {
                at: change.at.ticks(),
                formula,
                interval: change.interval,
            });
        }
        let interval = inputs
            .interval
            .or(scenario.interval)
            .unwrap_or(DEFAULT_INTERVAL);
        if let Err(e) = batchscale::check_interval(interval) {
            return Err(SetupError::Invalid(format!(
                "--interval: {}",
                e.detail().unwrap_or("out of range")
            )));
        }
        let (mode, workload, metrics) = match inputs.driver {
            Driver::Workload(w) => ("workload", Some(w), Vec::new()),
            Driver::Metrics(m) => ("metrics", None, m),
            Driver::Empty => ("empty", None, Vec::new()),
        };
        let start = inputs
            .start
            .or(scenario.start)
            .or_else(|| workload.as_ref().and_then(Workload::first_absolute))
            .unwrap_or_else(|| Timestamp::parse_rfc3339(DEFAULT_START).expect("a valid time"));
        let mut tasks = match &workload {
            None => Vec::new(),
            Some(w) => w.resolve(start).ok_or_else(|| {
                SetupError::Invalid("a task's submit offset runs past the year 9999".into())
            })?,
        };
        // A task dated before the start is submitted at the start [decided].
        for (at, _) in &mut tasks {
            *at = (*at).max(start.ticks());
        }
        let duration = inputs.duration.or(scenario.duration);
        let end = match duration {
            None => None,
            Some(d) if d.ticks() <= 0 => {
                return Err(SetupError::Invalid(
                    "--duration: expected a duration longer than 0".into(),
                ));
            }
            Some(d) => Some(start.checked_add(d).ok_or_else(|| {
                SetupError::Invalid("--duration: the run would end after the year 9999".into())
            })?),
        };
        let lag = scenario.params.ingestion_lag.ticks();
        let metrics_done = metrics
            .iter()
            .filter_map(|(_, h)| h.times().last())
            .map(|t| t.ticks() + lag)
            .max()
            .unwrap_or(i64::MIN);
        if start.checked_add(MAX_AUTO_DURATION).is_none() {
            return Err(SetupError::Invalid(
                "--start: too close to the year 9999".into(),
            ));
        }
        Ok(Plan {
            formula_name: inputs.formula_name,
            formula,
            mode,
            skipped_records: workload
                .as_ref()
                .filter(|w| w.skipped_records > 0)
                .map(|w| w.skipped_records),
            tasks,
            metrics,
            start,
            end,
            interval,
            changes,
            metrics_done,
            scenario,
        })
    }

    /// The start instant.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The end instant if fixed (`None`: until done and settled).
    pub fn end(&self) -> Option<Timestamp> {
        self.end
    }

    /// The report's `mode`.
    pub fn mode(&self) -> &'static str {
        self.mode
    }

    /// Runs with one seed, writing what `outputs` asks for.
    pub fn run(&self, seed: u64, outputs: &mut Outputs<'_>) -> io::Result<RunResult> {
        Run::new(self, seed).go(outputs)
    }

    /// The parameters in force, for the report.
    pub fn parameters(&self) -> serde_json::Value {
        let s = &self.scenario;
        let p = &s.params;
        let secs = |i: Interval| Num(seconds(i.ticks()));
        let delay = |d: &Delay| match *d {
            Delay::Fixed { value } => {
                json!({"distribution": "fixed", "value": Num(seconds(value))})
            }
            Delay::Uniform { min, max } => {
                json!({"distribution": "uniform", "min": Num(seconds(min)), "max": Num(seconds(max))})
            }
            Delay::LogNormal { median, p95 } => {
                json!({"distribution": "lognormal", "median": Num(seconds(median)), "p95": Num(seconds(p95))})
            }
            Delay::Exponential { mean } => {
                json!({"distribution": "exponential", "mean": Num(seconds(mean))})
            }
        };
        let all = [
            "taskSlotsPerNode",
            "nodeFill",
            "cores",
            "vmSize",
            "initialDedicated",
            "initialLowPriority",
            "allocationDelay",
            "startDelay",
            "removalDelay",
            "placementLatency",
            "ingestionLag",
            "sampleDrop",
            "historyRetention",
            "removalOrder",
            "cpuWithoutUsableNodes",
            "preemptionPerNodeHour",
            "recoveryDelay",
        ];
        let defaults: Vec<&str> = all
            .iter()
            .copied()
            .filter(|k| !s.given.contains(k))
            .collect();
        json!({
            "formula": self.formula_name,
            "interval": secs(self.interval),
            "duration": self.end.map(|e| secs(e.since(self.start))),
            "taskSlotsPerNode": p.task_slots_per_node,
            "nodeFill": serde_name(&p.node_fill),
            "cores": s.cores,
            "vmSize": s.vm_size,
            "initialDedicated": s.initial_dedicated,
            "initialLowPriority": s.initial_low_priority,
            "nodeCeiling": crate::scenario::NODE_CEILING,
            "maxDedicated": s.max_dedicated,
            "maxLowPriority": s.max_low_priority,
            "dedicatedCores": s.dedicated_cores,
            "lowPriorityCores": s.low_priority_cores,
            "capacity": s.capacity.iter().map(|c| json!({
                "at": c.at.to_rfc3339(),
                "maxDedicated": c.max_dedicated,
                "maxLowPriority": c.max_low_priority,
            })).collect::<Vec<_>>(),
            "allocationDelay": delay(&p.allocation_delay),
            "startDelay": delay(&p.start_delay),
            "removalDelay": delay(&p.removal_delay),
            "placementLatency": secs(p.placement_latency),
            "ingestionLag": secs(p.ingestion_lag),
            "sampleDrop": Num(p.sample_drop),
            "historyRetention": secs(p.history_retention),
            "removalOrder": serde_name(&p.removal_order),
            "cpuWithoutUsableNodes": serde_name(&p.cpu_without_usable_nodes),
            "preemptionPerNodeHour": Num(p.preemption_per_node_hour),
            "recoveryDelay": delay(&p.recovery_delay),
            "dedicatedPerHour": s.dedicated_per_hour.map(Num),
            "lowPriorityPerHour": s.low_priority_per_hour.map(Num),
            "changes": self.changes.iter().map(|c| json!({
                "at": ts(c.at).to_rfc3339(),
                "formula": c.formula.as_ref().map(|f| f.0.clone()),
                "interval": c.interval.map(secs),
            })).collect::<Vec<_>>(),
            "defaults": defaults,
        })
    }
}

/// The serde name of a unit enum value (`"idle-first"`).
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// One run's state.
struct Run<'p> {
    plan: &'p Plan,
    seed: u64,
    model: Model,
    formula: &'p CompiledFormula,
    outcome: Outcome,
    /// Raw (truncated) and effective targets in force.
    raw: (f64, f64),
    raw_whole: (u32, u32),
    effective: (u32, u32),
    capped: bool,
    capped_ticks: i128,
    last_time: i64,
    evaluations: u64,
    failed: u64,
    failed_by_code: BTreeMap<String, u64>,
    /// Time to first node: the first submit, and the first tick showing a task.
    first_submit: Option<i64>,
    ready_at_submit: bool,
    first_visible: Option<i64>,
    plot: Option<PlotData>,
}

impl<'p> Run<'p> {
    fn new(plan: &'p Plan, seed: u64) -> Run<'p> {
        let s = &plan.scenario;
        let mut model = Model::new(s.params.clone(), plan.start, seed);
        model.add_initial_nodes(s.initial_dedicated, s.initial_low_priority);
        model.record_ticks(true);
        if plan.mode == "metrics" {
            // The recorded world: every metric from the file (absent ones have no
            // samples), but $PreemptedNodeCount, which comes from the simulated pool.
            for metric in Metric::ALL {
                if metric == Metric::PreemptedNodeCount {
                    continue;
                }
                let series = plan
                    .metrics
                    .iter()
                    .find(|(m, _)| *m == metric)
                    .map(|(_, h)| h.clone())
                    .unwrap_or_default();
                model.set_recorded(metric, &series);
            }
        }
        let initial = (s.initial_dedicated, s.initial_low_priority);
        Run {
            plan,
            seed,
            model,
            formula: &plan.formula,
            outcome: Outcome::default(),
            raw: (f64::from(initial.0), f64::from(initial.1)),
            raw_whole: initial,
            effective: initial,
            capped: false,
            capped_ticks: 0,
            last_time: plan.start.ticks(),
            evaluations: 0,
            failed: 0,
            failed_by_code: BTreeMap::new(),
            first_submit: None,
            ready_at_submit: false,
            first_visible: None,
            plot: None,
        }
    }

    fn go(mut self, out: &mut Outputs<'_>) -> io::Result<RunResult> {
        let plan = self.plan;
        let start = plan.start.ticks();
        let limit = plan
            .end
            .unwrap_or_else(|| plan.start.checked_add(MAX_AUTO_DURATION).expect("checked"))
            .ticks();
        if out.plot {
            self.plot = Some(PlotData {
                start: plan.start,
                end: ts(limit),
                points: Vec::new(),
                evaluations: Vec::new(),
                stride: 1,
                ticks_seen: 0,
                evaluation_stride: 1,
                evaluations_seen: 0,
            });
        }
        if let Some(w) = out.timeseries.as_mut() {
            w.write_all(b"time,targetDedicated,targetLowPriority,rawTargetDedicated,rawTargetLowPriority,dedicatedNodes,lowPriorityNodes,startingNodes,idleNodes,runningNodes,leavingNodes,preemptedNodes,usableNodes,activeTasks,runningTasks,pendingTasks,usedSlots,totalSlots,nodeHours,cost\n")?;
        }
        let mut next_eval = start;
        let mut interval = plan.interval.ticks();
        let mut next_change = 0;
        let mut next_task = 0;
        let mut end = limit;
        let mut steps: u64 = 0;
        loop {
            let change_at = plan.changes.get(next_change).map(|c| c.at);
            let task_at = plan.tasks.get(next_task).map(|t| t.0);
            let t = [Some(next_eval), change_at, task_at, Some(limit)]
                .into_iter()
                .flatten()
                .filter(|&t| t >= self.model.now().ticks())
                .min()
                .expect("the limit is always there");
            self.advance(t, out)?;
            if t >= limit {
                break;
            }
            // Arrivals first: an evaluation at the same instant sees them in a zero-lag
            // sample.
            while let Some((at, spec)) = plan.tasks.get(next_task) {
                if *at != t {
                    break;
                }
                self.model.submit(spec);
                next_task += 1;
            }
            if self.first_submit.is_none() && next_task > 0 {
                self.first_submit = Some(t);
                self.ready_at_submit = self.model.usable_nodes() > 0;
                if !self.ready_at_submit {
                    self.model.watch_first_usable();
                }
            }
            let mut evaluated = false;
            let mut changed_targets = false;
            while let Some(change) = plan.changes.get(next_change) {
                if change.at > t {
                    break;
                }
                next_change += 1;
                if let Some((_, f)) = &change.formula {
                    self.formula = f;
                }
                if let Some(i) = change.interval {
                    interval = i.ticks();
                }
                // A change evaluates at once and restarts the schedule from there.
                next_eval = t;
            }
            if next_eval == t {
                changed_targets = self.evaluate(t, out)?;
                evaluated = true;
                next_eval = t + interval;
            }
            self.model.advance_to(ts(t));
            steps += 1;
            if let Some(progress) = out.progress
                && steps.is_multiple_of(4096)
            {
                progress((t - start) as f64 / (limit - start).max(1) as f64);
            }
            if plan.end.is_none() && evaluated && !changed_targets && self.settled(next_task, t) {
                end = t;
                break;
            }
        }
        if let Some(progress) = out.progress {
            progress(1.0);
        }
        self.finish(end)
    }

    /// Whether the workload is done and the pool settled: no task to come, none runnable
    /// waiting or running, no recorded sample still to become visible, no join pending
    /// and no node leaving.
    fn settled(&self, next_task: usize, t: i64) -> bool {
        let tasks = self.model.tasks();
        next_task == self.plan.tasks.len()
            && tasks.queued == 0
            && tasks.running == 0
            && t >= self.plan.metrics_done
            && !self.model.joins_pending()
            && !self.model.nodes_leaving()
    }

    /// Advances the model to `t`, writing a row per tick passed.
    fn advance(&mut self, t: i64, out: &mut Outputs<'_>) -> io::Result<()> {
        self.model.advance_to(ts(t));
        if self.capped {
            self.capped_ticks += i128::from(t - self.last_time);
        }
        self.last_time = t;
        let lag = self.plan.scenario.params.ingestion_lag.ticks();
        let records: Vec<TickRecord> = self.model.drain_ticks().collect();
        for r in &records {
            if self.first_visible.is_none()
                && self.first_submit.is_some_and(|s| r.time.ticks() >= s)
                && r.pending_sample_shows_tasks
            {
                self.first_visible = Some(r.time.ticks() + lag);
            }
            if let Some(w) = out.timeseries.as_mut() {
                self.write_row(*w, r)?;
            }
            if let Some(plot) = &mut self.plot {
                plot.push(PlotPoint {
                    time: r.time,
                    active: r.active as f64,
                    running: r.running as f64,
                    nodes: f64::from(
                        r.nodes_of(Priority::Dedicated) + r.nodes_of(Priority::LowPriority),
                    ),
                    usable: f64::from(r.usable),
                    target: f64::from(self.effective.0) + f64::from(self.effective.1),
                    raw_target: f64::from(self.raw_whole.0) + f64::from(self.raw_whole.1),
                });
            }
        }
        Ok(())
    }

    fn cost_of(&self, billed: [u128; 2]) -> Option<f64> {
        let s = &self.plan.scenario;
        if s.dedicated_per_hour.is_none() && s.low_priority_per_hour.is_none() {
            return None;
        }
        Some(
            hours(billed[0]) * s.dedicated_per_hour.unwrap_or(0.0)
                + hours(billed[1]) * s.low_priority_per_hour.unwrap_or(0.0),
        )
    }

    fn write_row(&self, w: &mut (dyn Write + Send), r: &TickRecord) -> io::Result<()> {
        let node_hours = hours(r.billed_node_ticks[0] + r.billed_node_ticks[1]);
        let cost = self
            .cost_of(r.billed_node_ticks)
            .map_or(String::new(), |c| c.to_string());
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.time.to_rfc3339(),
            self.effective.0,
            self.effective.1,
            self.raw.0,
            self.raw.1,
            r.nodes_of(Priority::Dedicated),
            r.nodes_of(Priority::LowPriority),
            r.in_state(NodeState::Starting),
            r.in_state(NodeState::Idle),
            r.in_state(NodeState::Running),
            r.in_state(NodeState::LeavingPool),
            r.in_state(NodeState::Preempted),
            r.usable,
            r.active,
            r.running,
            r.active + r.running,
            r.used_slots,
            r.total_slots,
            node_hours,
            cost,
        )
    }

    /// Evaluates at `t` and applies the run. Returns whether the targets changed.
    fn evaluate(&mut self, t: i64, out: &mut Outputs<'_>) -> io::Result<bool> {
        let now = ts(t);
        let index = self.evaluations;
        self.evaluations += 1;
        let snapshot = self.model.snapshot();
        if let Some(dir) = out.snapshots {
            let path = dir.join(format!("{index:06}.json"));
            let text = serde_json::to_string_pretty(snapshot).expect("a snapshot serialises");
            std::fs::write(&path, text + "\n")?;
        }
        let (decision, run) = if out.runs.is_some() {
            let evaluation = self.formula.evaluate_at(snapshot, now);
            (evaluation.decision, Some(evaluation.run))
        } else {
            self.formula.evaluate_into(snapshot, now, &mut self.outcome);
            let decision = Decision::from_outcome(&self.outcome);
            // The error code needs the run; failures are rare.
            let run = decision
                .is_none()
                .then(|| self.formula.evaluate_at(snapshot, now).run);
            (decision, run)
        };
        let mut line = String::new();
        if let (Some(_), Some(run)) = (out.runs.as_ref(), &run) {
            line = format!(
                "{{\"time\":\"{}\",\"run\":{}",
                now.to_rfc3339(),
                serde_json::to_string(run).expect("a run serialises")
            );
        }
        let changed = match decision {
            None => {
                self.failed += 1;
                let code = run
                    .as_ref()
                    .and_then(|r| r.error.as_ref())
                    .map_or("Unknown".to_string(), |e| e.code.clone());
                *self.failed_by_code.entry(code).or_insert(0) += 1;
                if let Some(plot) = &mut self.plot {
                    plot.push_evaluation(now, true);
                }
                false
            }
            Some(d) => {
                let (cap_d, cap_lp) = self.plan.scenario.caps_at(now);
                let effective = (
                    cap_d.map_or(d.dedicated, |c| d.dedicated.min(c)),
                    cap_lp.map_or(d.low_priority, |c| d.low_priority.min(c)),
                );
                self.raw = (d.raw_dedicated, d.raw_low_priority);
                self.raw_whole = (d.dedicated, d.low_priority);
                self.capped = effective != self.raw_whole;
                let changed = effective != self.effective;
                self.effective = effective;
                self.model
                    .set_targets(effective.0, effective.1, d.deallocation);
                if !line.is_empty() {
                    line.push_str(&format!(
                        ",\"raw\":{{\"dedicated\":{},\"lowPriority\":{}}},\"effective\":{{\"dedicated\":{},\"lowPriority\":{}}},\"deallocation\":\"{}\"",
                        serde_json::to_string(&Num(d.raw_dedicated)).expect("a number"),
                        serde_json::to_string(&Num(d.raw_low_priority)).expect("a number"),
                        effective.0,
                        effective.1,
                        d.deallocation.keyword()
                    ));
                }
                if let Some(plot) = &mut self.plot {
                    plot.push_evaluation(now, false);
                }
                changed
            }
        };
        if let Some(w) = out.runs.as_mut() {
            line.push_str("}\n");
            w.write_all(line.as_bytes())?;
        }
        Ok(changed)
    }

    fn finish(mut self, end: i64) -> io::Result<RunResult> {
        let plan = self.plan;
        let s = &plan.scenario;
        if let Some(plot) = &mut self.plot {
            plot.end = ts(end);
        }
        let model = &mut self.model;
        let totals = model.totals().clone();
        let tasks = model.tasks().clone();
        let billed = [
            totals.billed_node_ticks(Priority::Dedicated),
            totals.billed_node_ticks(Priority::LowPriority),
        ];
        let idle = totals.node_ticks[0][NodeState::Idle.index()]
            + totals.node_ticks[1][NodeState::Idle.index()];
        let wait = &tasks.queue_wait;
        let secs_f = |t: f64| Num(t / TICKS_PER_SECOND as f64);
        let time_to_first_node = self.first_submit.and_then(|submit| {
            if self.ready_at_submit {
                let zero = Num(0.0);
                return Some(TimeToFirstNode {
                    total: zero,
                    wait_for_evaluation: zero,
                    sample_lag_and_window: zero,
                    allocation: zero,
                    start: zero,
                });
            }
            let first = model.first_usable()?;
            let ready = first.ready.ticks();
            let eval = first.requested.ticks().max(submit);
            let join = first.joined.ticks().max(eval);
            let visible = self.first_visible.unwrap_or(eval).max(submit);
            let seen = visible.min(eval);
            Some(TimeToFirstNode {
                total: Num(seconds(ready - submit)),
                wait_for_evaluation: Num(seconds(eval - seen)),
                sample_lag_and_window: Num(seconds(seen - submit)),
                allocation: Num(seconds(join - eval)),
                start: Num(seconds(ready - join)),
            })
        });
        let remaining = tasks.queued + tasks.running + tasks.never_runnable;
        let makespan = match (tasks.first_submit, tasks.last_end) {
            (Some(first), Some(last)) if remaining == 0 => Some(Num(seconds(last - first))),
            _ => None,
        };
        let summary = Summary {
            mode: plan.mode,
            seed: self.seed,
            seeds: None,
            start: plan.start.to_rfc3339(),
            end: ts(end).to_rfc3339(),
            parameters: plan.parameters(),
            node_hours: ByPriority {
                dedicated: Num(hours(billed[0])),
                low_priority: Num(hours(billed[1])),
            },
            core_hours: ByPriority {
                dedicated: Num(hours(billed[0]) * f64::from(s.cores)),
                low_priority: Num(hours(billed[1]) * f64::from(s.cores)),
            },
            idle_node_hours: Num(hours(idle)),
            cost: self.cost_of(billed).map(Num),
            tasks: Tasks {
                submitted: Num(tasks.submitted as f64),
                completed: Num(tasks.completed as f64),
                failed: Num(0.0),
                requeued: Num(tasks.requeued as f64),
                terminated: Num(tasks.terminated as f64),
                never_runnable: Num(tasks.never_runnable as f64),
                queued_at_end: Num(tasks.queued as f64),
                running_at_end: Num(tasks.running as f64),
                skipped_records: plan.skipped_records.map(|n| Num(n as f64)),
            },
            wasted_task_hours: Num(hours(tasks.wasted_ticks)),
            queue_wait: QueueWait {
                mean: wait.mean().map(secs_f),
                p50: wait.percentile(50.0).map(secs_f),
                p95: wait.percentile(95.0).map(secs_f),
                p99: wait.percentile(99.0).map(secs_f),
                max: wait.max().map(|m| secs_f(m as f64)),
            },
            time_to_first_node,
            makespan,
            evaluations: Evaluations {
                total: Num(self.evaluations as f64),
                failed: Num(self.failed as f64),
                failed_by_code: self
                    .failed_by_code
                    .iter()
                    .map(|(k, v)| (k.clone(), Num(*v as f64)))
                    .collect(),
            },
            capped_seconds: Num(seconds(self.capped_ticks)),
            under_provisioned_seconds: Num(seconds(totals.under_provisioned_ticks as i128)),
            over_provisioned_seconds: Num(seconds(totals.over_provisioned_ticks as i128)),
        };
        Ok(RunResult {
            summary,
            plot: self.plot,
        })
    }
}

/// Runs seeds `first`, `first + 1`, …, `first + count - 1` in parallel on every core
/// (rayon), the first with `outputs`, the others with none. Returns every summary in seed
/// order and the first seed's result. The same inputs give the same results whatever the
/// number of threads.
pub fn run_seeds(
    plan: &Plan,
    first: u64,
    count: u64,
    outputs: &mut Outputs<'_>,
) -> io::Result<(Vec<Summary<Num>>, RunResult)> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let count = count.max(1);
    // With several seeds, progress is the share of seeds done.
    let progress = outputs.progress;
    if count > 1 {
        outputs.progress = None;
    }
    let done = AtomicU64::new(0);
    let tick = || {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let (Some(p), true) = (progress, count > 1) {
            p(n as f64 / count as f64);
        }
    };
    let (head, rest) = rayon::join(
        || {
            let r = plan.run(first, outputs);
            tick();
            r
        },
        || {
            (1..count)
                .into_par_iter()
                .map(|i| {
                    let r = plan
                        .run(first.wrapping_add(i), &mut Outputs::default())
                        .map(|r| r.summary);
                    tick();
                    r
                })
                .collect::<io::Result<Vec<_>>>()
        },
    );
    outputs.progress = progress;
    let head = head?;
    let mut summaries = vec![head.summary.clone()];
    summaries.extend(rest?);
    Ok((summaries, head))
}
