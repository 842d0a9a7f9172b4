//! Properties over random scenarios and workloads (`simulation.md` section 6):
//! conservation of tasks and node-seconds, no target from a failed run, determinism,
//! and every run replaying to the same AutoScaleRun from its snapshot.
//!
//! Case counts are modest by default; `PROPTEST_CASES=N` runs more.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{CompiledFormula, DeallocationOption, Interval, Snapshot, Timestamp};
use batchscale_sim::model::{Model, ModelParams, NodeFill, Priority, RemovalOrder, TaskSpec};
use batchscale_sim::random::Delay;
use batchscale_sim::scenario::Scenario;
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan, run_seeds};
use batchscale_sim::workload::{Submit, Workload};
use proptest::prelude::*;

const M: i64 = TICKS_PER_MINUTE;
const S: i64 = TICKS_PER_SECOND;

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const FORMULAS: [&str; 6] = [
    "startingNumberOfVMs = 1;\nmaxNumberofVMs = 25;\npendingTaskSamplePercent = $PendingTasks.GetSamplePercent(180 * TimeInterval_Second);\npendingTaskSamples = pendingTaskSamplePercent < 70 ? startingNumberOfVMs : avg($PendingTasks.GetSample(180 * TimeInterval_Second));\n$TargetDedicatedNodes = min(maxNumberofVMs, pendingTaskSamples);\n$NodeDeallocationOption = taskcompletion;",
    "$TargetDedicatedNodes = min(6, $PendingTasks.GetSample(1));\n$TargetLowPriorityNodes = min(4, $ActiveTasks.GetSample(1));\n$NodeDeallocationOption = requeue;",
    "$TargetDedicatedNodes = avg($ActiveTasks.GetSample(TimeInterval_Minute * 5, 60));\n$NodeDeallocationOption = terminate;",
    "$TargetDedicatedNodes = time().minute < 30 ? 3 : 1;\n$TargetLowPriorityNodes = time().minute >= 45 ? 2 : 0;\n$NodeDeallocationOption = retaineddata;",
    "$TargetLowPriorityNodes = rand() * 6 - 1;\n$TargetDedicatedNodes = $RunningTasks.GetSample(1) > 3 ? 4.5 : 1;",
    "c = avg($CPUPercent.GetSample(TimeInterval_Minute * 10));\n$TargetDedicatedNodes = c > 50 ? $CurrentDedicatedNodes + 1 : max(1, $CurrentDedicatedNodes - 1);\n$TargetLowPriorityNodes = $PreemptedNodeCount.GetSample(1) > 0 ? 3 : 2;\n$NodeDeallocationOption = requeue;",
];

fn delay() -> impl Strategy<Value = Delay> {
    prop_oneof![
        (0i64..=10).prop_map(|m| Delay::fixed(m * M)),
        (1i64..=5, 1i64..=3).prop_map(|(m, k)| Delay::LogNormal {
            median: m * M,
            p95: m * k * M
        }),
        (0i64..=3, 0i64..=4).prop_map(|(a, b)| Delay::Uniform {
            min: a * M,
            max: (a + b) * M
        }),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    formula: usize,
    scenario: Scenario,
    tasks: Vec<(i64, TaskSpec)>,
    interval_minutes: i64,
    hours: i64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (1u32..=4, 0u32..=3, 0u32..=3, any::<bool>(), any::<bool>()),
        (delay(), delay(), 0i64..=60, 0.0f64..0.3, 0.0f64..1.5),
        (proptest::option::of(1u32..=8), 0i64..=2),
    )
        .prop_map(
            |((slots, d, lp, pack, random), (alloc, boot, lag, drop, hazard), (cap, removal))| {
                let mut s = Scenario::default();
                s.params.task_slots_per_node = slots;
                s.params.node_fill = if pack {
                    NodeFill::Pack
                } else {
                    NodeFill::Spread
                };
                s.params.removal_order = if random {
                    RemovalOrder::Random
                } else {
                    RemovalOrder::IdleFirst
                };
                s.params.allocation_delay = alloc;
                s.params.start_delay = boot;
                s.params.removal_delay = Delay::fixed(removal * M);
                s.params.ingestion_lag = Interval(lag * S);
                s.params.sample_drop = drop;
                s.params.preemption_per_node_hour = hazard;
                s.initial_dedicated = d;
                s.initial_low_priority = lp;
                s.max_dedicated = cap;
                s
            },
        )
}

fn tasks() -> impl Strategy<Value = Vec<(i64, TaskSpec)>> {
    proptest::collection::vec(
        (
            0i64..6 * 60,
            0i64..120,
            1u32..=5,
            -1i32..=1,
            proptest::option::of(0.0f64..=100.0),
        ),
        0..40,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(at, minutes, slots, priority, cpu)| {
                (
                    at * M,
                    TaskSpec {
                        slots,
                        duration: Interval(minutes * M),
                        cpu,
                        priority,
                    },
                )
            })
            .collect()
    })
}

fn case() -> impl Strategy<Value = Case> {
    (0..FORMULAS.len(), scenario(), tasks(), 5i64..=30, 1i64..=8).prop_map(
        |(formula, scenario, tasks, interval_minutes, hours)| Case {
            formula,
            scenario,
            tasks,
            interval_minutes,
            hours,
        },
    )
}

fn plan(case: &Case) -> Plan {
    let workload = Workload {
        tasks: case
            .tasks
            .iter()
            .map(|(at, spec)| (Submit::After(Interval(*at)), *spec))
            .collect(),
        skipped_records: 0,
    };
    Plan::new(Inputs {
        formula_name: "f.formula".into(),
        formula_text: FORMULAS[case.formula].into(),
        scenario: case.scenario.clone(),
        driver: Driver::Workload(workload),
        start: Some(Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap()),
        duration: Some(Interval(case.hours * 60 * M)),
        interval: Some(Interval(case.interval_minutes * M)),
    })
    .unwrap()
}

static DIRS: AtomicU64 = AtomicU64::new(0);

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "batchscale-sim-properties-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs with every output; returns (runs.jsonl, timeseries.csv, summary JSON, snapshot dir).
fn run_all(plan: &Plan, seed: u64) -> (String, String, String, PathBuf) {
    let dir = temp_dir();
    let mut runs = Vec::new();
    let mut series = Vec::new();
    let result = plan
        .run(
            seed,
            &mut Outputs {
                runs: Some(&mut runs),
                timeseries: Some(&mut series),
                snapshots: Some(&dir),
                plot: true,
                progress: None,
            },
        )
        .unwrap();
    (
        String::from_utf8(runs).unwrap(),
        String::from_utf8(series).unwrap(),
        serde_json::to_string(&result.summary).unwrap(),
        dir,
    )
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn every_task_ends_in_exactly_one_state(case in case(), seed in 0u64..1000) {
        let s = plan(&case).run(seed, &mut Outputs::default()).unwrap().summary;
        let t = &s.tasks;
        let parts = t.completed.0 + t.failed.0 + t.terminated.0 + t.never_runnable.0
            + t.queued_at_end.0 + t.running_at_end.0;
        prop_assert_eq!(parts, t.submitted.0);
        prop_assert_eq!(t.submitted.0, case.tasks.iter().filter(|(at, _)| *at < case.hours * 60 * M).count() as f64);
        // The parts of the time to first node are never negative and add up to it.
        if let Some(f) = &s.time_to_first_node {
            let parts = [f.sample_lag_and_window.0, f.wait_for_evaluation.0, f.allocation.0, f.start.0];
            prop_assert!(parts.iter().all(|p| *p >= 0.0), "{:?}", parts);
            prop_assert!((parts.iter().sum::<f64>() - f.total.0).abs() < 1e-6, "{:?} vs {}", parts, f.total.0);
        }
        // Idle and over-provisioned time fit in the run; billed hours do not exceed
        // the nodes' time in the pool.
        let span = case.hours as f64 * 3600.0;
        prop_assert!(s.over_provisioned_seconds.0 <= span && s.under_provisioned_seconds.0 <= span);
        prop_assert!(s.capped_seconds.0 <= span);
    }

    #[test]
    fn replayed_snapshots_give_every_run_and_no_target_comes_from_a_failed_run(
        case in case(), seed in 0u64..1000,
    ) {
        let plan = plan(&case);
        let (runs, _, _, dir) = run_all(&plan, seed);
        let formula = CompiledFormula::new(FORMULAS[case.formula]).unwrap();
        let mut applied = (
            f64::from(case.scenario.initial_dedicated),
            f64::from(case.scenario.initial_low_priority),
        );
        for (i, line) in runs.lines().enumerate() {
            let text = std::fs::read_to_string(dir.join(format!("{i:06}.json"))).unwrap();
            let snapshot = Snapshot::from_json(&text, "snapshot").unwrap();
            // The evaluation sees the targets of the last successful run.
            prop_assert_eq!(
                (snapshot.pool.target_dedicated_nodes, snapshot.pool.target_low_priority_nodes),
                applied
            );
            let replayed = serde_json::to_string(&formula.evaluate(&snapshot).run).unwrap();
            let line_json: serde_json::Value = serde_json::from_str(line).unwrap();
            let run_json = serde_json::to_string(&line_json["run"]).unwrap();
            let replayed_json = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&replayed).unwrap()).unwrap();
            prop_assert_eq!(&run_json, &replayed_json, "evaluation {}", i);
            prop_assert!(line.contains(&replayed), "evaluation {} is not byte for byte: {} vs {}", i, line, replayed);
            match line_json.get("effective") {
                Some(e) => {
                    prop_assert!(line_json["run"].get("error").is_none());
                    applied = (e["dedicated"].as_f64().unwrap(), e["lowPriority"].as_f64().unwrap());
                }
                None => prop_assert!(line_json["run"].get("error").is_some()),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes(case in case(), seed in 0u64..1000) {
        let plan = plan(&case);
        let (runs_a, series_a, summary_a, dir_a) = run_all(&plan, seed);
        let (runs_b, series_b, summary_b, dir_b) = run_all(&plan, seed);
        prop_assert_eq!(runs_a, runs_b);
        prop_assert_eq!(series_a, series_b);
        prop_assert_eq!(summary_a, summary_b);
        std::fs::remove_dir_all(&dir_a).unwrap();
        std::fs::remove_dir_all(&dir_b).unwrap();
    }
}

proptest! {
    #![proptest_config(cases(8))]

    #[test]
    fn seeds_give_the_same_figures_on_one_thread_and_on_many(case in case(), seed in 0u64..1000) {
        let plan = plan(&case);
        let run_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let (summaries, _) = run_seeds(&plan, seed, 6, &mut Outputs::default()).unwrap();
                serde_json::to_string(&batchscale_sim::report::aggregate(&summaries)).unwrap()
            })
        };
        prop_assert_eq!(run_on(1), run_on(3));
    }
}

/// A random operation on the model.
#[derive(Debug, Clone)]
enum Op {
    Advance(i64),
    Targets(u32, u32, u8),
    Submit(u32, i64, u32),
    Remove(u64, u8),
    Stop,
    RemoveAll,
}

fn option(k: u8) -> DeallocationOption {
    DeallocationOption::ALL[usize::from(k) % 4]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1i64..=20 * 60).prop_map(Op::Advance),
        2 => (0u32..6, 0u32..6, any::<u8>()).prop_map(|(d, l, k)| Op::Targets(d, l, k)),
        2 => (1u32..4, 0i64..90, 1u32..8).prop_map(|(s, m, n)| Op::Submit(s, m, n)),
        1 => (1u64..12, any::<u8>()).prop_map(|(id, k)| Op::Remove(id, k)),
        1 => Just(Op::Stop),
        1 => Just(Op::RemoveAll),
    ]
}

proptest! {
    #![proptest_config(cases(64))]

    /// Node-seconds by state add up to the integral of the node count, measured between
    /// events (the count is constant between two events); task counts are conserved.
    #[test]
    fn node_seconds_by_state_add_up_to_the_integral_of_the_node_count(
        ops in proptest::collection::vec(op(), 1..60),
        seed in 0u64..1000,
        params in (0i64..10, 0i64..3, 0i64..3, 0.0f64..3.0, 1u32..4),
    ) {
        let (alloc, boot, removal, hazard, slots) = params;
        let mut p = ModelParams::simulate();
        p.allocation_delay = Delay::fixed(alloc * M);
        p.start_delay = Delay::fixed(boot * M);
        p.removal_delay = Delay::fixed(removal * M);
        p.preemption_per_node_hour = hazard;
        p.task_slots_per_node = slots;
        let start = Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap();
        let mut model = Model::new(p, start, seed);
        let mut integral: u128 = 0;
        let count = |m: &Model| u128::from(m.current_nodes(Priority::Dedicated) + m.current_nodes(Priority::LowPriority));
        let step_to = |model: &mut Model, integral: &mut u128, target: Timestamp| {
            loop {
                let now = model.now();
                let next = model.next_event_time().filter(|t| *t <= target).unwrap_or(target);
                *integral += count(model) * next.since(now).ticks() as u128;
                model.advance_to(next);
                if next == target {
                    break;
                }
            }
        };
        for op in ops {
            match op {
                Op::Advance(seconds) => {
                    let target = model.now().checked_add(Interval(seconds * S)).unwrap();
                    step_to(&mut model, &mut integral, target);
                }
                Op::Targets(d, l, k) => model.set_targets(d, l, option(k)),
                Op::Submit(slots, minutes, n) => model.submit_many(u64::from(n), &TaskSpec::new(slots, Interval(minutes * M))),
                Op::Remove(id, k) => { model.remove_nodes(&[id], option(k)); }
                Op::Stop => model.stop_resize(),
                Op::RemoveAll => model.remove_all(),
            }
            let now = model.now();
            step_to(&mut model, &mut integral, now);
            let t = model.tasks();
            prop_assert_eq!(t.submitted, t.queued + t.never_runnable + t.running + t.completed + t.terminated);
            let nodes = model.nodes().count() as u32;
            prop_assert_eq!(nodes, model.current_nodes(Priority::Dedicated) + model.current_nodes(Priority::LowPriority));
            let running: u64 = model.nodes().map(|n| u64::from(n.running_tasks)).sum();
            prop_assert_eq!(running, t.running);
        }
        let totals = model.totals().clone();
        let by_state: u128 = totals.node_ticks.iter().flatten().sum();
        prop_assert_eq!(by_state, integral);
    }
}
