//! The [decided] rules of `simulation.md` (sections 2, 3 and 5.1) and our own choices
//! where the spec is silent, one test each, named after the rule. COMPATIBILITY.md
//! ("Simulation") lists each with its default.

use std::path::Path;

use batchscale::time::{TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{DeallocationOption, Interval, Metric, SampleHistory, Timestamp};
use batchscale_sim::model::{Model, ModelParams, NodeState, Priority, TaskSpec};
use batchscale_sim::random::{Delay, SplitMix64};
use batchscale_sim::report::{Num, Summary};
use batchscale_sim::scenario::Scenario;
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan, PlotData};
use batchscale_sim::workload::{parse_csv, parse_swf};

const M: i64 = TICKS_PER_MINUTE;
const S: i64 = TICKS_PER_SECOND;

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap()
}

fn at(ticks: i64) -> Timestamp {
    Timestamp::from_ticks(start().ticks() + ticks).unwrap()
}

fn fixed(alloc: i64, boot: i64) -> Scenario {
    let mut s = Scenario::default();
    s.params.allocation_delay = Delay::fixed(alloc * M);
    s.params.start_delay = Delay::fixed(boot * M);
    s
}

fn plan(formula: &str, scenario: Scenario, driver: Driver, duration: Option<Interval>) -> Plan {
    Plan::new(Inputs {
        formula_name: "f.formula".into(),
        formula_text: formula.into(),
        scenario,
        driver,
        start: None,
        duration,
        interval: None,
    })
    .unwrap()
}

fn workload(csv: &str) -> Driver {
    Driver::Workload(parse_csv(csv, "w.csv").unwrap())
}

fn hours(h: i64) -> Option<Interval> {
    Some(Interval(h * TICKS_PER_HOUR))
}

fn run(plan: &Plan) -> Summary<Num> {
    plan.run(0, &mut Outputs::default()).unwrap().summary
}

/// The summary and the lines of runs.jsonl.
fn run_with_lines(plan: &Plan) -> (Summary<Num>, Vec<String>) {
    let mut runs = Vec::new();
    let summary = plan
        .run(
            0,
            &mut Outputs {
                runs: Some(&mut runs),
                ..Outputs::default()
            },
        )
        .unwrap()
        .summary;
    let lines = String::from_utf8(runs)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (summary, lines)
}

#[test]
fn decided_ingestion_lag_defaults_to_15s() {
    assert_eq!(ModelParams::simulate().ingestion_lag, Interval(15 * S));
    // At 00:15:00 the newest visible sample is 00:14:30 (00:14:45 would need a lag of
    // 15 s or less from 00:15:00, and there is no tick at 00:14:45).
    let p = plan(
        "$TargetDedicatedNodes = 0; t = $ActiveTasks.GetSample(1);",
        fixed(0, 0),
        Driver::Empty,
        hours(1),
    );
    let (_, lines) = run_with_lines(&p);
    let mut model = Model::new(ModelParams::simulate(), start(), 0);
    model.advance_to(at(15 * M));
    let last = *model.history(Metric::ActiveTasks).times().last().unwrap();
    assert_eq!(last, at(14 * M + 30 * S));
    assert!(lines[1].contains("\"time\":\"2025-01-06T00:15:00Z\""));
    assert_eq!(
        run(&p).parameters["ingestionLag"],
        serde_json::json!(15),
        "the report says which lag was in force"
    );
}

#[test]
fn decided_no_sample_is_dropped_by_default() {
    assert_eq!(ModelParams::simulate().sample_drop, 0.0);
    let mut model = Model::new(ModelParams::simulate(), start(), 0);
    model.advance_to(at(24 * 60 * M));
    // 2880 ticks in a day, the last (23:59:30) visible from 23:59:45.
    assert_eq!(model.history(Metric::PendingTasks).len(), 2880);
}

#[test]
fn decided_a_negative_target_becomes_zero_nodes() {
    let mut s = fixed(0, 0);
    s.initial_dedicated = 2;
    let p = plan("$TargetDedicatedNodes = -3.5;", s, Driver::Empty, hours(1));
    let (summary, lines) = run_with_lines(&p);
    assert!(
        lines[0].contains(
            "\"raw\":{\"dedicated\":-3.5,\"lowPriority\":0},\"effective\":{\"dedicated\":0,"
        ),
        "{}",
        lines[0]
    );
    assert_eq!(summary.node_hours.dedicated.0, 0.0);
    // Truncation and the floor at 0 are not caps.
    assert_eq!(summary.capped_seconds.0, 0.0);
}

#[test]
fn decided_a_joining_node_counts_in_current_nodes_while_starting() {
    let mut p = ModelParams::simulate();
    p.allocation_delay = Delay::fixed(5 * M);
    p.start_delay = Delay::fixed(3 * M);
    let mut model = Model::new(p, start(), 0);
    model.set_targets(1, 0, DeallocationOption::Requeue);
    model.advance_to(at(6 * M));
    let pool = model.snapshot().pool;
    assert_eq!(pool.current_dedicated_nodes, 1.0);
    assert_eq!(pool.usable_node_count, 0.0);
    assert_eq!(model.count(Priority::Dedicated, NodeState::Starting), 1);
}

#[test]
fn decided_retaineddata_behaves_as_taskcompletion() {
    let run_with = |option: &str| {
        let mut s = fixed(0, 0);
        s.initial_dedicated = 2;
        let formula = format!(
            "$TargetDedicatedNodes = time() >= time(\"2025-01-06T00:20:00Z\") ? 0 : 2;\n$NodeDeallocationOption = {option};"
        );
        let summary = run(&plan(
            &formula,
            s,
            workload("submit,duration\n0,3600\n0,1800\n"),
            hours(2),
        ));
        serde_json::to_value(&summary).unwrap()
    };
    let mut a = run_with("retaineddata");
    let mut b = run_with("taskcompletion");
    a["parameters"] = serde_json::Value::Null;
    b["parameters"] = serde_json::Value::Null;
    assert_eq!(a, b);
    assert_eq!(a["tasks"]["completed"], 2);
    assert_eq!(a["wastedTaskHours"], 0);
}

#[test]
fn decided_placement_latency_defaults_to_zero() {
    assert_eq!(ModelParams::simulate().placement_latency, Interval::ZERO);
    let mut s = fixed(0, 0);
    s.initial_dedicated = 1;
    let summary = run(&plan(
        "$TargetDedicatedNodes = 1;",
        s.clone(),
        workload("submit,duration\n60,600\n"),
        hours(1),
    ));
    assert_eq!(summary.queue_wait.max.map(|n| n.0), Some(0.0));
    // A latency is spent on the node: the task starts, and ends, that much later.
    s.params.placement_latency = Interval(20 * S);
    let summary = run(&plan(
        "$TargetDedicatedNodes = 1;",
        s,
        workload("submit,duration\n60,600\n"),
        hours(1),
    ));
    assert_eq!(summary.queue_wait.max.map(|n| n.0), Some(20.0));
    assert_eq!(summary.makespan.map(|n| n.0), Some(620.0));
}

#[test]
fn decided_succeeded_and_failed_tasks_count_the_30_seconds_before_each_sample() {
    let mut p = ModelParams::simulate();
    p.ingestion_lag = Interval::ZERO;
    p.task_slots_per_node = 4;
    let mut model = Model::new(p, start(), 0);
    model.add_initial_nodes(1, 0);
    model.submit(&TaskSpec::new(1, Interval(10 * S))); // ends at 10 s
    model.submit(&TaskSpec::new(1, Interval(30 * S))); // ends at 30 s: in (0, 30]
    model.submit(&TaskSpec::new(1, Interval(31 * S))); // ends at 31 s: in (30, 60]
    model.submit(&TaskSpec::new(1, Interval(50 * M)));
    model.advance_to(at(45 * S));
    model.set_targets(0, 0, DeallocationOption::Terminate); // at 45 s: one failure
    model.advance_to(at(60 * S));
    let succeeded = model.history(Metric::SucceededTasks).values().to_vec();
    let failed = model.history(Metric::FailedTasks).values().to_vec();
    assert_eq!(succeeded, vec![0.0, 2.0, 1.0]);
    assert_eq!(failed, vec![0.0, 0.0, 1.0]);
}

#[test]
fn decided_allocation_delay_defaults_to_lognormal_median_5m_p95_12m() {
    let delay = ModelParams::simulate().allocation_delay;
    assert_eq!(
        delay,
        Delay::LogNormal {
            median: 5 * M,
            p95: 12 * M
        }
    );
    let mut rng = SplitMix64::new(42);
    let mut draws: Vec<i64> = (0..4001).map(|_| delay.sample(&mut rng)).collect();
    draws.sort_unstable();
    let median = draws[2000] / S;
    assert!((280..=320).contains(&median), "{median}");
}

#[test]
fn decided_start_delay_defaults_to_1m() {
    assert_eq!(ModelParams::simulate().start_delay, Delay::fixed(M));
    let mut model = Model::new(ModelParams::simulate(), start(), 0);
    model.add_initial_nodes(0, 0);
    let mut p = ModelParams::simulate();
    p.allocation_delay = Delay::ZERO;
    let mut model2 = Model::new(p, start(), 0);
    model2.set_targets(1, 0, DeallocationOption::Requeue);
    model2.advance_to(at(M - 1));
    assert_eq!(model2.usable_nodes(), 0);
    model2.advance_to(at(M));
    assert_eq!(model2.usable_nodes(), 1);
    assert_eq!(model.usable_nodes(), 0);
}

#[test]
fn decided_history_retention_defaults_to_7_days() {
    assert_eq!(
        ModelParams::simulate().history_retention,
        Interval(7 * 24 * TICKS_PER_HOUR)
    );
    let mut model = Model::new(ModelParams::simulate(), start(), 0);
    model.advance_to(at(8 * 24 * 60 * M));
    let begin = model.snapshot().metrics.get(Metric::ActiveTasks).times()[0];
    assert_eq!(begin, at(24 * 60 * M));
}

#[test]
fn decided_mode_is_workload_metrics_or_empty() {
    let p = plan(
        "$TargetDedicatedNodes = 0;",
        fixed(0, 0),
        workload("submit,duration\n"),
        hours(1),
    );
    assert_eq!(run(&p).mode, "workload");
    let series = SampleHistory::from_samples(Interval(30 * S), vec![(start(), 1.0)]).unwrap();
    let p = plan(
        "$TargetDedicatedNodes = 0;",
        fixed(0, 0),
        Driver::Metrics(vec![(Metric::CpuPercent, series)]),
        hours(1),
    );
    assert_eq!(run(&p).mode, "metrics");
    let p = plan(
        "$TargetDedicatedNodes = 0;",
        fixed(0, 0),
        Driver::Empty,
        hours(1),
    );
    assert_eq!(run(&p).mode, "empty");
}

#[test]
fn decided_time_to_first_node_is_zero_with_a_usable_node_at_submit() {
    let mut s = fixed(5, 1);
    s.initial_dedicated = 1;
    let summary = run(&plan(
        "$TargetDedicatedNodes = 1;",
        s,
        workload("submit,duration\n300,60\n"),
        hours(1),
    ));
    let t = summary.time_to_first_node.unwrap();
    assert_eq!(
        [
            t.total,
            t.wait_for_evaluation,
            t.sample_lag_and_window,
            t.allocation,
            t.start
        ]
        .map(|n| n.0),
        [0.0; 5]
    );
}

#[test]
fn decided_time_to_first_node_is_null_when_no_node_becomes_usable() {
    let summary = run(&plan(
        "$TargetDedicatedNodes = 0;",
        fixed(5, 1),
        workload("submit,duration\n300,60\n"),
        hours(1),
    ));
    assert!(summary.time_to_first_node.is_none());
    assert_eq!(summary.tasks.queued_at_end.0, 1.0);
}

#[test]
fn decided_makespan_runs_from_first_submit_to_last_end_and_is_null_while_tasks_remain() {
    let mut s = fixed(0, 0);
    s.initial_dedicated = 1;
    let summary = run(&plan(
        "$TargetDedicatedNodes = 1;",
        s.clone(),
        workload("submit,duration\n120,60\n600,300\n"),
        hours(1),
    ));
    assert_eq!(summary.makespan.map(|n| n.0), Some(780.0));
    let summary = run(&plan(
        "$TargetDedicatedNodes = 1;",
        s,
        workload("submit,duration\n120,60\n600,7200\n"),
        hours(1),
    ));
    assert_eq!(summary.makespan, None);
    assert_eq!(summary.tasks.running_at_end.0, 1.0);
}

#[test]
fn decided_node_hours_leave_out_preempted_nodes_and_cost_is_node_hours_times_prices() {
    let mut s = fixed(0, 0);
    s.initial_low_priority = 1;
    s.initial_dedicated = 1;
    s.params.preemption_per_node_hour = 1.0;
    s.params.recovery_delay = Delay::fixed(24 * 60 * M);
    s.dedicated_per_hour = Some(2.0);
    s.low_priority_per_hour = Some(0.5);
    let p = plan(
        "$TargetDedicatedNodes = 1; $TargetLowPriorityNodes = 1;",
        s,
        Driver::Empty,
        hours(10),
    );
    let mut series = Vec::new();
    let summary = p
        .run(
            0,
            &mut Outputs {
                timeseries: Some(&mut series),
                ..Outputs::default()
            },
        )
        .unwrap()
        .summary;
    let series = String::from_utf8(series).unwrap();
    // The Spot node is preempted at some point and never recovers within 10 hours: it
    // is billed only until then.
    let preempted_rows = series
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(11) == Some("1"))
        .count();
    assert!(preempted_rows > 0, "the Spot node was preempted");
    let low = summary.node_hours.low_priority.0;
    let expected_low = (1200 - preempted_rows) as f64 / 120.0;
    assert!(
        (low - expected_low).abs() <= 1.0 / 120.0,
        "{low} vs {expected_low}"
    );
    assert_eq!(summary.node_hours.dedicated.0, 10.0);
    let cost = summary.cost.unwrap().0;
    assert!((cost - (10.0 * 2.0 + low * 0.5)).abs() < 1e-9);
    // Without prices there is no cost.
    let p = plan(
        "$TargetDedicatedNodes = 1;",
        fixed(0, 0),
        Driver::Empty,
        hours(1),
    );
    assert_eq!(run(&p).cost, None);
}

#[test]
fn decided_slots_count_usable_nodes_only() {
    let mut s = fixed(0, 30);
    s.params.task_slots_per_node = 3;
    s.initial_dedicated = 1;
    let p = plan(
        "$TargetDedicatedNodes = 2;",
        s,
        workload("submit,duration\n0,7200\n"),
        hours(1),
    );
    let mut series = Vec::new();
    p.run(
        0,
        &mut Outputs {
            timeseries: Some(&mut series),
            ..Outputs::default()
        },
    )
    .unwrap();
    let series = String::from_utf8(series).unwrap();
    // At 00:10 the second node is starting: 1 slot used of the 3 of the usable node.
    let row = series
        .lines()
        .find(|l| l.starts_with("2025-01-06T00:10:00Z"))
        .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[7], "1", "starting nodes: {row}");
    assert_eq!((cells[16], cells[17]), ("1", "3"), "{row}");
}

#[test]
fn decided_initial_targets_are_the_initial_node_counts() {
    let mut s = fixed(0, 0);
    s.initial_dedicated = 3;
    s.initial_low_priority = 2;
    let p = plan(
        "x = $TargetDedicatedNodes; y = $TargetLowPriorityNodes; $TargetDedicatedNodes = x;",
        s,
        Driver::Empty,
        hours(1),
    );
    let (_, lines) = run_with_lines(&p);
    assert!(lines[0].contains("x=3;y=2"), "{}", lines[0]);
}

#[test]
fn decided_swf_submit_times_are_seconds_after_the_start_and_skipped_records_are_counted() {
    let w = parse_swf("1 60 0 120 1 -1 -1 1 -1 -1 1 1 1 1 1 -1 -1 -1\n2 90 0 -1 1 -1 -1 1 -1 -1 0 1 1 1 1 -1 -1 -1\n", "t.swf").unwrap();
    let mut s = fixed(0, 0);
    s.initial_dedicated = 1;
    let mut p = plan(
        "$TargetDedicatedNodes = 1;",
        s,
        Driver::Workload(w),
        hours(1),
    );
    let summary = run(&p);
    assert_eq!(summary.start, "2025-01-06T00:00:00Z");
    assert_eq!(summary.tasks.skipped_records.map(|n| n.0), Some(1.0));
    assert_eq!(summary.tasks.submitted.0, 1.0);
    assert_eq!(summary.makespan.map(|n| n.0), Some(120.0));
    let _ = &mut p;
}

#[test]
fn decided_change_formulas_are_read_relative_to_the_scenario_file() {
    let dir = std::env::temp_dir().join(format!("batchscale-decided-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/next.formula"), "$TargetDedicatedNodes = 4;").unwrap();
    std::fs::write(
        dir.join("sub/s.toml"),
        "[[changes]]\nat = \"2025-01-06T01:00:00Z\"\nformula = \"next.formula\"\n",
    )
    .unwrap();
    let s = Scenario::load(&dir.join("sub/s.toml")).unwrap();
    let (name, text) = s.changes[0].formula.clone().unwrap();
    assert_eq!(text, "$TargetDedicatedNodes = 4;");
    assert!(Path::new(&name).ends_with("sub/next.formula"), "{name}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decided_recorded_metrics_become_visible_after_the_lag_and_are_never_dropped() {
    let samples: Vec<(Timestamp, f64)> = (0..120).map(|i| (at(i * 30 * S), i as f64)).collect();
    let series = SampleHistory::from_samples(Interval(30 * S), samples).unwrap();
    let mut s = fixed(0, 0);
    s.params.sample_drop = 0.9;
    let p = plan(
        "n = $CPUPercent.Count(); $TargetDedicatedNodes = 0;",
        s,
        Driver::Metrics(vec![(Metric::CpuPercent, series)]),
        hours(1),
    );
    let (_, lines) = run_with_lines(&p);
    // At 00:15:00 the samples of 00:00:00 .. 00:14:30 are visible: 30, none dropped.
    assert!(lines[1].contains("n=30"), "{}", lines[1]);
}

#[test]
fn decided_queue_wait_runs_from_submit_to_first_start() {
    let mut s = fixed(0, 0);
    s.initial_dedicated = 1;
    // The task waits 0 s, is requeued at 00:15 (target 0), and runs again from 00:30.
    let formula = "t = time(); $TargetDedicatedNodes = t >= time(\"2025-01-06T00:15:00Z\") && t < time(\"2025-01-06T00:30:00Z\") ? 0 : 1;";
    let summary = run(&plan(
        formula,
        s,
        workload("submit,duration\n0,3600\n"),
        hours(2),
    ));
    assert_eq!(summary.tasks.requeued.0, 1.0);
    assert_eq!(summary.queue_wait.max.map(|n| n.0), Some(0.0));
}

#[test]
fn decided_a_run_evaluates_and_samples_before_its_end_not_at_it() {
    let p = plan(
        "$TargetDedicatedNodes = 0;",
        fixed(0, 0),
        Driver::Empty,
        hours(1),
    );
    let mut series = Vec::new();
    let (summary, lines) = {
        let mut runs = Vec::new();
        let summary = p
            .run(
                0,
                &mut Outputs {
                    runs: Some(&mut runs),
                    timeseries: Some(&mut series),
                    ..Outputs::default()
                },
            )
            .unwrap()
            .summary;
        (summary, String::from_utf8(runs).unwrap())
    };
    assert_eq!(summary.evaluations.total.0, 4.0);
    assert!(lines.lines().last().unwrap().contains("00:45:00Z"));
    let series = String::from_utf8(series).unwrap();
    assert_eq!(series.lines().count(), 1 + 120);
    assert!(
        series
            .lines()
            .last()
            .unwrap()
            .starts_with("2025-01-06T00:59:30Z")
    );
}

#[test]
fn decided_without_a_duration_the_run_ends_at_the_first_quiet_evaluation_after_the_workload() {
    // Tasks end by 00:40; the evaluation at 00:45 sees pending samples and keeps one
    // node; 01:00 sees none and sets 0 (a change); 01:15 changes nothing: the end.
    let formula = "$TargetDedicatedNodes = max($PendingTasks.GetSample(1)) > 0 ? 1 : 0;";
    let summary = run(&plan(
        formula,
        fixed(0, 0),
        workload("submit,duration\n0,600\n1800,600\n"),
        None,
    ));
    assert_eq!(summary.tasks.completed.0, 2.0);
    assert!(summary.end.as_str() > "2025-01-06T00:40:00Z");
    assert_eq!(summary.parameters["duration"], serde_json::Value::Null);
    // A pool that never settles stops at 30 days.
    let flapping = "$TargetDedicatedNodes = $CurrentDedicatedNodes > 0 ? 0 : 1;";
    let summary = run(&plan(flapping, fixed(0, 0), Driver::Empty, None));
    assert_eq!(summary.end, "2025-02-05T00:00:00Z");
}

#[test]
fn decided_tasks_before_the_start_are_submitted_at_the_start() {
    let p = Plan::new(Inputs {
        formula_name: "f".into(),
        formula_text: "$TargetDedicatedNodes = 1;".into(),
        scenario: fixed(0, 0),
        driver: workload("submit,duration\n2025-01-05T23:00:00Z,60\n2025-01-06T00:10:00Z,60\n"),
        start: Some(start()),
        duration: hours(1),
        interval: None,
    })
    .unwrap();
    let summary = run(&p);
    assert_eq!(summary.tasks.submitted.0, 2.0);
    assert_eq!(summary.tasks.completed.0, 2.0);
}

#[test]
fn decided_drawn_delays_are_whole_seconds() {
    let mut rng = SplitMix64::new(9);
    for delay in [
        Delay::LogNormal {
            median: 5 * M,
            p95: 12 * M,
        },
        Delay::Uniform { min: M, max: 3 * M },
        Delay::Exponential { mean: 2 * M },
    ] {
        for _ in 0..200 {
            assert_eq!(delay.sample(&mut rng) % S, 0);
        }
    }
}

#[test]
fn decided_failed_evaluations_are_marked_on_the_plot() {
    let p = plan(
        "$TargetDedicatedNodes = time().minute == 0 ? 1 / 0 : 1;",
        fixed(0, 0),
        Driver::Empty,
        hours(2),
    );
    let plot: PlotData = p
        .run(
            0,
            &mut Outputs {
                plot: true,
                ..Outputs::default()
            },
        )
        .unwrap()
        .plot
        .unwrap();
    let failed: Vec<bool> = plot.evaluations.iter().map(|(_, f)| *f).collect();
    assert_eq!(
        failed,
        vec![true, false, false, false, true, false, false, false]
    );
    let svg = batchscale_sim::plot::timeline_svg("t", &[("a", &plot)]);
    assert!(
        svg.contains("rgb(215,25,28)") || svg.contains("#D7191C"),
        "failed marks are red"
    );
}

#[test]
fn decided_targets_are_capped_at_10000_nodes_per_priority() {
    let p = plan(
        "$TargetDedicatedNodes = 1e9;"
            .replace("1e9", "1000000000")
            .as_str(),
        fixed(0, 0),
        Driver::Empty,
        Some(Interval(10 * M)),
    );
    let (summary, lines) = run_with_lines(&p);
    assert!(
        lines[0].contains("\"effective\":{\"dedicated\":10000,"),
        "{}",
        lines[0]
    );
    assert_eq!(summary.node_hours.dedicated.0, 10_000.0 / 6.0);
    assert_eq!(summary.capped_seconds.0, 600.0);
}
