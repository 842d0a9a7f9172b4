//! Known answers from hand-built scenarios: every figure below is worked out by hand from
//! the rules of `simulation.md` section 2 and 5.1.

use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{Interval, Timestamp};
use batchscale_sim::random::Delay;
use batchscale_sim::report::{Num, Summary};
use batchscale_sim::scenario::Scenario;
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan};
use batchscale_sim::workload::parse_csv;

const M: i64 = TICKS_PER_MINUTE;

fn scenario(alloc_minutes: i64, start_minutes: i64) -> Scenario {
    let mut s = Scenario::default();
    s.params.allocation_delay = Delay::fixed(alloc_minutes * M);
    s.params.start_delay = Delay::fixed(start_minutes * M);
    s
}

fn inputs(formula: &str, scenario: Scenario, csv: Option<&str>, hours: Option<i64>) -> Inputs {
    Inputs {
        formula_name: "f.formula".into(),
        formula_text: formula.into(),
        scenario,
        driver: match csv {
            Some(text) => Driver::Workload(parse_csv(text, "w.csv").unwrap()),
            None => Driver::Empty,
        },
        start: None,
        duration: hours.map(|h| Interval(h * 60 * M)),
        interval: None,
    }
}

fn run(inputs: Inputs) -> Summary<Num> {
    Plan::new(inputs)
        .unwrap()
        .run(0, &mut Outputs::default())
        .unwrap()
        .summary
}

fn n(x: Num) -> f64 {
    x.0
}

const PENDING: &str = "$TargetDedicatedNodes = max(0, $PendingTasks.GetSample(1));";

#[test]
fn decided_time_to_first_node_is_split_into_lag_wait_allocation_and_start() {
    // Evaluations at 00:00 (no sample yet: an empty vector, max(0, []) is 0) and 00:15 (sees the 00:14:30 sample of
    // one pending task); the node joins at 00:20 (5-min allocation), is usable at 00:21
    // (1-min start), and the task starts then.
    let s = run(inputs(
        PENDING,
        scenario(5, 1),
        Some("submit,duration\n60,600\n"),
        Some(1),
    ));
    assert_eq!(s.start, "2025-01-06T00:00:00Z");
    let t = s.time_to_first_node.as_ref().expect("a node came");
    // t_submit 00:01:00; the 00:01:00 sample shows the task and is visible at 00:01:15.
    assert_eq!(n(t.total), 1200.0);
    assert_eq!(n(t.sample_lag_and_window), 15.0);
    assert_eq!(n(t.wait_for_evaluation), 825.0);
    assert_eq!(n(t.allocation), 300.0);
    assert_eq!(n(t.start), 60.0);
    assert_eq!(s.queue_wait.max.map(n), Some(1200.0));
    assert_eq!(s.queue_wait.p50.map(n), Some(1200.0));
    assert_eq!(n(s.tasks.completed), 1.0);
    // The task ends at 00:31; makespan from 00:01.
    assert_eq!(s.makespan.map(n), Some(1800.0));
    assert_eq!(n(s.evaluations.total), 4.0);
    assert_eq!(n(s.evaluations.failed), 0.0);
}

/// Two 60-minute tasks on two nodes from the start; at 00:30 the formula drops the pool
/// to zero with `option`.
fn scale_down(option: &str) -> Summary<Num> {
    let mut sc = scenario(0, 0);
    sc.initial_dedicated = 2;
    let formula = format!(
        "$TargetDedicatedNodes = time() >= time(\"2025-01-06T00:30:00Z\") ? 0 : 2;\n$NodeDeallocationOption = {option};"
    );
    run(inputs(
        &formula,
        sc,
        Some("submit,duration\n0,3600\n0,3600\n"),
        Some(2),
    ))
}

#[test]
fn requeue_on_a_scale_down_wastes_the_work_done_so_far() {
    let s = scale_down("requeue");
    // Both tasks had run 30 minutes: one task-hour lost; they wait with no node.
    assert_eq!(n(s.wasted_task_hours), 1.0);
    assert_eq!(n(s.tasks.requeued), 2.0);
    assert_eq!(n(s.tasks.queued_at_end), 2.0);
    assert_eq!(n(s.tasks.completed), 0.0);
    assert_eq!(n(s.node_hours.dedicated), 1.0);
    assert_eq!(s.makespan, None);
}

#[test]
fn taskcompletion_on_a_scale_down_wastes_nothing() {
    let s = scale_down("taskcompletion");
    assert_eq!(n(s.wasted_task_hours), 0.0);
    assert_eq!(n(s.tasks.requeued), 0.0);
    assert_eq!(n(s.tasks.completed), 2.0);
    // Both nodes stay until 01:00, leaving in the meantime.
    assert_eq!(n(s.node_hours.dedicated), 2.0);
    assert_eq!(s.makespan.map(n), Some(3600.0));
}

#[test]
fn terminate_on_a_scale_down_fails_the_running_tasks() {
    let s = scale_down("terminate");
    assert_eq!(n(s.tasks.terminated), 2.0);
    assert_eq!(n(s.wasted_task_hours), 0.0);
    assert_eq!(n(s.tasks.queued_at_end), 0.0);
    assert_eq!(s.makespan.map(n), Some(1800.0));
}

#[test]
fn decided_a_task_needing_more_slots_than_a_node_has_is_reported_as_never_runnable() {
    let mut sc = scenario(0, 0);
    sc.params.task_slots_per_node = 2;
    let s = run(inputs(
        "$TargetDedicatedNodes = 1;",
        sc,
        Some("submit,duration,slots\n0,60,3\n0,60,1\n"),
        Some(1),
    ));
    assert_eq!(n(s.tasks.never_runnable), 1.0);
    assert_eq!(n(s.tasks.completed), 1.0);
    assert_eq!(s.makespan, None);
}

#[test]
fn a_quota_caps_the_effective_target_and_the_raw_one_is_kept() {
    let mut sc = scenario(0, 0);
    sc.max_dedicated = Some(2);
    let plan = Plan::new(inputs("$TargetDedicatedNodes = 5.5;", sc, None, Some(1))).unwrap();
    let mut runs: Vec<u8> = Vec::new();
    let result = plan
        .run(
            0,
            &mut Outputs {
                runs: Some(&mut runs),
                ..Outputs::default()
            },
        )
        .unwrap();
    let s = result.summary;
    assert_eq!(n(s.node_hours.dedicated), 2.0);
    assert_eq!(n(s.capped_seconds), 3600.0);
    let first = String::from_utf8(runs).unwrap();
    let first = first.lines().next().unwrap();
    assert!(
        first.ends_with(",\"raw\":{\"dedicated\":5.5,\"lowPriority\":0},\"effective\":{\"dedicated\":2,\"lowPriority\":0},\"deallocation\":\"requeue\"}"),
        "{first}"
    );
}

#[test]
fn decided_truncation_alone_is_not_capping() {
    let s = run(inputs(
        "$TargetDedicatedNodes = 1.9;",
        scenario(0, 0),
        None,
        Some(1),
    ));
    assert_eq!(n(s.capped_seconds), 0.0);
    assert_eq!(n(s.node_hours.dedicated), 1.0);
}

#[test]
fn a_workload_of_zero_tasks_runs_and_reports_no_task_figures() {
    let s = run(inputs(
        PENDING,
        scenario(5, 1),
        Some("submit,duration\n"),
        None,
    ));
    assert_eq!(s.mode, "workload");
    assert_eq!(n(s.tasks.submitted), 0.0);
    assert_eq!(s.time_to_first_node, None);
    assert_eq!(s.makespan, None);
    assert_eq!(s.queue_wait.mean, None);
    // Done and settled at the first evaluation that changes nothing: 00:00 fails.
    assert_eq!(s.end, "2025-01-06T00:00:00Z");
}

#[test]
fn a_duration_shorter_than_one_interval_has_one_evaluation() {
    let s = run(inputs("$TargetDedicatedNodes = 1;", scenario(0, 0), None, None).with_minutes(10));
    assert_eq!(n(s.evaluations.total), 1.0);
    assert_eq!(s.end, "2025-01-06T00:10:00Z");
    assert_eq!(n(s.node_hours.dedicated) * 6.0, 1.0);
}

#[test]
fn a_formula_that_fails_every_evaluation_changes_nothing() {
    let mut sc = scenario(0, 0);
    sc.initial_dedicated = 3;
    let s = run(inputs("$TargetDedicatedNodes = 1 / 0;", sc, None, Some(24)));
    assert_eq!(n(s.evaluations.total), 96.0);
    assert_eq!(n(s.evaluations.failed), 96.0);
    assert_eq!(
        s.evaluations
            .failed_by_code
            .get("AutoScalingFormulaEvaluationError")
            .map(|n| n.0),
        Some(96.0)
    );
    assert_eq!(n(s.node_hours.dedicated), 72.0);
    assert_eq!(n(s.idle_node_hours), 72.0);
    assert_eq!(n(s.over_provisioned_seconds), 86400.0);
}

#[test]
fn a_formula_change_evaluates_at_once_and_restarts_the_schedule() {
    let mut sc = scenario(0, 0);
    sc.changes.push(batchscale_sim::scenario::Change {
        at: Timestamp::parse_rfc3339("2025-01-06T00:20:00Z").unwrap(),
        formula: Some(("b.formula".into(), "$TargetDedicatedNodes = 2;".into())),
        interval: None,
    });
    let s = run(inputs("$TargetDedicatedNodes = 1;", sc, None, Some(1)));
    // 00:00, 00:15, then 00:20 (the change), 00:35, 00:50.
    assert_eq!(n(s.evaluations.total), 5.0);
    // One node for 20 minutes, two for 40.
    assert_eq!(n(s.node_hours.dedicated) * 60.0, 100.0);
}

#[test]
fn decided_under_and_over_provisioned_time_follow_the_queue_and_idle_nodes() {
    // A task waits from 00:00 until the node is usable at 00:06 (5 + 1 minutes); it
    // runs 10 minutes; the node then idles until the end at 01:00.
    let s = run(inputs(
        "$TargetDedicatedNodes = 1;",
        scenario(5, 1),
        Some("submit,duration\n0,600\n"),
        Some(1),
    ));
    assert_eq!(n(s.under_provisioned_seconds), 360.0);
    assert_eq!(n(s.over_provisioned_seconds), 44.0 * 60.0);
    assert_eq!(n(s.idle_node_hours) * 60.0, 44.0);
    // The node counts from its join (00:05): 55 minutes billed.
    assert_eq!(n(s.node_hours.dedicated) * 60.0, 55.0);
    let _ = TICKS_PER_SECOND;
}

trait WithMinutes {
    fn with_minutes(self, minutes: i64) -> Self;
}

impl WithMinutes for Inputs {
    fn with_minutes(mut self, minutes: i64) -> Inputs {
        self.duration = Some(Interval(minutes * M));
        self
    }
}
