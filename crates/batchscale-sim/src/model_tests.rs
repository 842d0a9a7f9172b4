//! Unit tests of the pool model: each rule of `simulation.md` section 2 and
//! `emulator.md` section 6.2/6.4 the model implements, on hand-built pools.

use super::*;
use batchscale::time::TICKS_PER_MINUTE;

const S: i64 = TICKS_PER_SECOND;
const M: i64 = TICKS_PER_MINUTE;

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap()
}

fn at(ticks: i64) -> Timestamp {
    Timestamp::from_ticks(start().ticks() + ticks).unwrap()
}

/// Fixed delays: allocation `alloc`, start `boot`, no removal delay.
fn params(alloc: i64, boot: i64, slots: u32) -> ModelParams {
    ModelParams {
        task_slots_per_node: slots,
        allocation_delay: Delay::fixed(alloc),
        start_delay: Delay::fixed(boot),
        ..ModelParams::simulate()
    }
}

fn pool(alloc: i64, boot: i64, slots: u32) -> Model {
    Model::new(params(alloc, boot, slots), start(), 0)
}

fn task(minutes: i64) -> TaskSpec {
    TaskSpec::new(1, Interval(minutes * M))
}

fn ids(m: &Model) -> Vec<u64> {
    m.nodes().map(|n| n.id).collect()
}

fn running_tasks(m: &Model) -> Vec<u32> {
    m.nodes().map(|n| n.running_tasks).collect()
}

fn states(m: &Model) -> Vec<(u64, NodeState)> {
    m.nodes().map(|n| (n.id, n.state)).collect()
}

#[test]
fn a_node_joins_after_the_allocation_delay_and_is_usable_after_the_start_delay() {
    let mut m = pool(5 * M, M, 1);
    m.set_targets(1, 0, DeallocationOption::Requeue);
    assert!(m.joins_pending());
    assert_eq!(m.pending_joins(Priority::Dedicated), 1);
    assert_eq!(m.next_event_time(), Some(at(5 * M)));
    m.advance_to(at(5 * M - 1));
    assert_eq!(m.current_nodes(Priority::Dedicated), 0);
    m.advance_to(at(5 * M));
    assert_eq!(states(&m), vec![(1, NodeState::Starting)]);
    assert_eq!(m.current_nodes(Priority::Dedicated), 1);
    assert_eq!(m.usable_nodes(), 0);
    assert!(!m.joins_pending());
    m.advance_to(at(6 * M));
    assert_eq!(states(&m), vec![(1, NodeState::Idle)]);
    let node = m.node(1).unwrap();
    assert_eq!(node.allocation_time, at(5 * M));
    assert_eq!(node.state_transition_time, at(6 * M));
    assert_eq!(m.usable_nodes(), 1);
}

#[test]
fn tasks_run_on_usable_nodes_and_end_after_their_duration() {
    let mut m = pool(0, 0, 1);
    m.submit(&task(10));
    assert_eq!(m.tasks().queued, 1);
    m.set_targets(1, 0, DeallocationOption::Requeue);
    m.advance_to(m.now());
    assert_eq!(states(&m), vec![(1, NodeState::Running)]);
    assert_eq!(m.tasks().running, 1);
    m.advance_to(at(10 * M));
    assert_eq!(states(&m), vec![(1, NodeState::Idle)]);
    let t = m.tasks();
    assert_eq!((t.completed, t.running, t.queued), (1, 0, 0));
    assert_eq!(t.last_end, Some(at(10 * M).ticks()));
    let node = m.node(1).unwrap();
    assert_eq!((node.tasks_run, node.tasks_succeeded), (1, 1));
}

#[test]
fn spread_places_on_the_node_with_the_most_free_slots() {
    let mut m = pool(0, 0, 4);
    m.add_initial_nodes(2, 0);
    for _ in 0..3 {
        m.submit(&task(60));
    }
    let slots: Vec<u32> = m.nodes().map(|n| n.running_slots).collect();
    assert_eq!(slots, vec![2, 1]);
}

#[test]
fn pack_places_on_the_node_with_the_fewest_free_slots_that_fit() {
    let mut p = params(0, 0, 4);
    p.node_fill = NodeFill::Pack;
    let mut m = Model::new(p, start(), 0);
    m.add_initial_nodes(3, 0);
    for _ in 0..5 {
        m.submit(&task(60));
    }
    let slots: Vec<u32> = m.nodes().map(|n| n.running_slots).collect();
    assert_eq!(slots, vec![4, 1, 0]);
    // A 3-slot task does not fit node 1 (full) and goes to node 2 (3 free, fewest that
    // fit), not node 3 (4 free).
    m.submit(&TaskSpec::new(3, Interval(60 * M)));
    let slots: Vec<u32> = m.nodes().map(|n| n.running_slots).collect();
    assert_eq!(slots, vec![4, 4, 0]);
}

#[test]
fn a_task_needing_more_slots_than_a_node_has_never_runs_and_stays_active() {
    let mut m = pool(0, 0, 2);
    m.add_initial_nodes(1, 0);
    m.submit(&TaskSpec::new(3, Interval(M)));
    m.submit(&task(1));
    let t = m.tasks();
    assert_eq!((t.never_runnable, t.running, t.active()), (1, 1, 1));
    m.advance_to(at(2 * M));
    assert_eq!(m.history(Metric::ActiveTasks).values().last(), Some(&1.0));
    assert_eq!(m.tasks().completed, 1);
}

#[test]
fn decided_a_big_task_waiting_for_room_lets_smaller_ones_through() {
    let mut m = pool(0, 0, 2);
    m.add_initial_nodes(1, 0);
    m.submit(&task(10));
    m.submit(&TaskSpec::new(2, Interval(M)));
    m.submit(&task(5));
    assert_eq!(m.tasks().running, 2);
    m.advance_to(at(10 * M));
    // Both small ones ended by 10 min; the 2-slot task then runs.
    assert_eq!(m.tasks().running, 1);
    assert_eq!(m.node(1).unwrap().running_slots, 2);
}

#[test]
fn job_priority_goes_first_then_submit_order() {
    let mut m = pool(0, 0, 1);
    let mut low = task(10);
    low.priority = -5;
    let mut high = task(20);
    high.priority = 100;
    m.submit(&low);
    m.submit(&task(30));
    m.submit(&high);
    m.add_initial_nodes(1, 0);
    // The high-priority task runs first; it ends at 20 min.
    m.advance_to(at(20 * M));
    assert_eq!(m.tasks().completed, 1);
    m.advance_to(at(50 * M));
    assert_eq!(m.tasks().completed, 2);
    m.advance_to(at(60 * M));
    assert_eq!(m.tasks().completed, 3);
}

#[test]
fn decided_shrinking_cancels_the_latest_joins_first_then_removes_nodes() {
    let mut m = pool(10 * M, 0, 1);
    m.add_initial_nodes(3, 0);
    m.submit(&task(60)); // on node 1
    m.set_targets(5, 0, DeallocationOption::Requeue);
    assert_eq!(m.pending_joins(Priority::Dedicated), 2);
    m.set_targets(2, 0, DeallocationOption::Requeue);
    assert_eq!(m.pending_joins(Priority::Dedicated), 0);
    // One of three nodes goes: node 3, the newest idle one.
    assert_eq!(
        states(&m),
        vec![(1, NodeState::Running), (2, NodeState::Idle)]
    );
}

#[test]
fn decided_removal_order_is_idle_first_then_fewest_running_tasks_newest_first() {
    let mut m = pool(0, 10 * M, 4);
    m.add_initial_nodes(4, 0);
    // Spread: one task on each of nodes 1..4, then a second on node 1.
    for _ in 0..5 {
        m.submit(&task(60));
    }
    assert_eq!(running_tasks(&m), vec![2, 1, 1, 1]);
    m.add_initial_nodes(1, 0); // node 5, idle
    m.set_targets(6, 0, DeallocationOption::Requeue);
    m.advance_to(m.now()); // node 6 joins, starting
    assert_eq!(m.node(6).unwrap().state, NodeState::Starting);
    m.set_targets(5, 0, DeallocationOption::Requeue);
    // The idle node goes first, though the starting node is newer and runs no task.
    assert_eq!(ids(&m), vec![1, 2, 3, 4, 6]);
    m.set_targets(4, 0, DeallocationOption::Requeue);
    // Then the fewest running tasks (0), newest first.
    assert_eq!(ids(&m), vec![1, 2, 3, 4]);
    m.set_targets(3, 0, DeallocationOption::Requeue);
    // The fewest running tasks (1), the newest of them: node 4. Its task goes back to
    // the queue and at once to node 2 (most free slots, earliest).
    assert_eq!(ids(&m), vec![1, 2, 3]);
    assert_eq!(running_tasks(&m), vec![2, 2, 1]);
    m.set_targets(1, 0, DeallocationOption::Requeue);
    // Node 3 (1 task), then node 2 (2 tasks, newer than node 1).
    assert_eq!(ids(&m), vec![1]);
    assert_eq!(m.tasks().requeued, 4);
    // Node 1 takes two of the three requeued tasks (4 slots).
    assert_eq!((m.tasks().running, m.tasks().queued), (4, 1));
}

#[test]
fn decided_requeued_tasks_go_back_ahead_of_later_arrivals_and_their_work_is_lost() {
    let mut m = pool(0, 0, 1);
    m.add_initial_nodes(1, 0);
    m.submit(&task(30)); // A, running
    m.advance_to(at(10 * M));
    m.submit(&task(5)); // B, queued
    m.set_targets(0, 0, DeallocationOption::Requeue);
    assert_eq!(m.tasks().requeued, 1);
    assert_eq!(m.tasks().wasted_ticks, (10 * M) as u128);
    m.set_targets(1, 0, DeallocationOption::Requeue);
    m.advance_to(m.now());
    // A runs again first (from zero), then B.
    m.advance_to(at(10 * M + 30 * M));
    assert_eq!(m.tasks().completed, 1);
    assert_eq!(m.tasks().running, 1);
    m.advance_to(at(10 * M + 35 * M));
    assert_eq!(m.tasks().completed, 2);
    // The wait of A counts once, from its submit to its first start (0 s); B waited
    // 30 min.
    assert_eq!(m.tasks().queue_wait.count(), 2);
    assert_eq!(m.tasks().queue_wait.max(), Some((30 * M) as u64));
}

#[test]
fn terminate_kills_running_tasks_as_failed_and_never_reruns_them() {
    let mut m = pool(0, 0, 2);
    m.add_initial_nodes(1, 0);
    m.submit(&task(30));
    m.submit(&task(30));
    m.advance_to(at(M));
    m.set_targets(0, 0, DeallocationOption::Terminate);
    let t = m.tasks();
    assert_eq!(
        (t.terminated, t.running, t.queued, t.requeued),
        (2, 0, 0, 0)
    );
    assert_eq!(t.wasted_ticks, 0);
    assert_eq!(m.current_nodes(Priority::Dedicated), 0);
    m.advance_to(at(2 * M));
    // The tick of 00:01:00 is taken when the clock moves past it, so it describes the
    // state after everything done at that instant: it counts the two failures.
    assert_eq!(
        m.history(Metric::FailedTasks).values(),
        vec![0.0, 0.0, 2.0, 0.0]
    );
}

#[test]
fn taskcompletion_lets_tasks_finish_places_nothing_new_and_then_the_node_leaves() {
    let mut m = pool(0, 0, 2);
    m.add_initial_nodes(2, 0);
    m.submit(&task(30)); // node 1
    m.submit(&task(20)); // node 2
    m.set_targets(1, 0, DeallocationOption::TaskCompletion);
    // Node 2 (newest, 1 running task like node 1) leaves when its task ends.
    assert_eq!(
        states(&m),
        vec![(1, NodeState::Running), (2, NodeState::LeavingPool)]
    );
    assert_eq!(m.current_nodes(Priority::Dedicated), 2);
    assert_eq!(m.usable_nodes(), 1);
    m.submit(&task(5)); // goes to node 1, not to the leaving node 2
    assert_eq!(m.node(1).unwrap().running_tasks, 2);
    assert_eq!(m.node(2).unwrap().running_tasks, 1);
    m.advance_to(at(20 * M));
    assert_eq!(states(&m), vec![(1, NodeState::Running)]);
    assert_eq!(m.tasks().completed, 2);
    assert_eq!(m.tasks().requeued, 0);
}

#[test]
fn decided_a_rising_target_takes_draining_nodes_back_first() {
    let mut m = pool(5 * M, 0, 1);
    m.add_initial_nodes(2, 0);
    m.submit(&task(30));
    m.submit(&task(30));
    m.set_targets(0, 0, DeallocationOption::TaskCompletion);
    assert_eq!(m.count(Priority::Dedicated, NodeState::LeavingPool), 2);
    m.set_targets(3, 0, DeallocationOption::Requeue);
    // Both come back running; one join for the third.
    assert_eq!(m.count(Priority::Dedicated, NodeState::Running), 2);
    assert_eq!(m.pending_joins(Priority::Dedicated), 1);
    assert_eq!(m.tasks().requeued, 0);
}

#[test]
fn a_removal_delay_keeps_the_node_leaving_until_it_passes() {
    let mut p = params(0, 0, 1);
    p.removal_delay = Delay::fixed(5 * M);
    let mut m = Model::new(p, start(), 0);
    m.add_initial_nodes(1, 0);
    m.submit(&task(60));
    m.set_targets(0, 0, DeallocationOption::Requeue);
    assert_eq!(states(&m), vec![(1, NodeState::LeavingPool)]);
    assert!(m.nodes_leaving());
    assert_eq!(m.tasks().queued, 1);
    assert_eq!(m.next_event_time(), Some(at(5 * M)));
    m.advance_to(at(5 * M));
    assert!(m.nodes().next().is_none());
    assert!(!m.nodes_leaving());
}

#[test]
fn stop_resize_cancels_joins_and_returns_leaving_nodes() {
    let mut p = params(5 * M, 0, 1);
    p.removal_delay = Delay::fixed(5 * M);
    let mut m = Model::new(p, start(), 0);
    m.add_initial_nodes(2, 0);
    m.submit(&task(60));
    m.set_targets(1, 2, DeallocationOption::Requeue);
    assert_eq!(m.count(Priority::Dedicated, NodeState::LeavingPool), 1);
    assert_eq!(m.pending_joins(Priority::LowPriority), 2);
    m.stop_resize();
    assert!(!m.joins_pending());
    assert!(!m.nodes_leaving());
    assert_eq!(m.targets(), (1, 2));
    assert_eq!(m.usable_nodes(), 2);
    m.advance_to(at(10 * M));
    assert_eq!(m.current_nodes(Priority::LowPriority), 0);
    assert_eq!(m.current_nodes(Priority::Dedicated), 2);
}

#[test]
fn remove_nodes_removes_the_listed_nodes_and_lowers_the_targets() {
    let mut m = pool(0, 0, 1);
    m.add_initial_nodes(3, 1);
    assert_eq!(m.targets(), (3, 1));
    let removed = m.remove_nodes(&[2, 4, 99], DeallocationOption::Requeue);
    assert_eq!(removed, 2);
    assert_eq!(m.targets(), (2, 0));
    assert_eq!(m.nodes().map(|n| n.id).collect::<Vec<_>>(), vec![1, 3]);
}

#[test]
fn remove_all_empties_the_pool_and_requeues_every_task() {
    let mut m = pool(5 * M, 0, 1);
    m.add_initial_nodes(2, 0);
    m.submit(&task(60));
    m.set_targets(4, 0, DeallocationOption::Requeue);
    m.remove_all();
    assert_eq!(m.targets(), (0, 0));
    assert!(!m.joins_pending());
    assert!(m.nodes().next().is_none());
    assert_eq!((m.tasks().queued, m.tasks().requeued), (1, 1));
    m.advance_to(at(10 * M));
    assert!(m.nodes().next().is_none());
}

#[test]
fn decided_events_due_at_one_instant_fire_in_scheduling_order() {
    // Two tasks on one 1-slot node's queue end at the same instant as a node joins:
    // the task end scheduled first fires first, and the queued task goes to the node
    // that is free first (node 1, then the newcomer gets the next).
    let mut m = pool(10 * M, 0, 1);
    m.add_initial_nodes(1, 0);
    m.submit(&task(10)); // ends at 10 min, scheduled before the join
    m.submit(&task(10)); // queued
    m.submit(&task(10)); // queued
    m.set_targets(2, 0, DeallocationOption::Requeue);
    m.advance_to(at(10 * M));
    // At 10 min: the first task ends (scheduled first), the second takes node 1, then
    // node 2 joins and takes the third.
    assert_eq!(m.node(1).unwrap().tasks_run, 2);
    assert_eq!(m.node(2).unwrap().tasks_run, 1);
}

#[test]
fn samples_fall_on_every_00_and_30_second_at_or_after_creation() {
    let created = Timestamp::parse_rfc3339("2025-01-06T00:00:10Z").unwrap();
    let mut p = params(0, 0, 1);
    p.ingestion_lag = Interval::ZERO;
    let mut m = Model::new(p, created, 0);
    m.advance_to(Timestamp::parse_rfc3339("2025-01-06T00:01:30Z").unwrap());
    let times: Vec<String> = m
        .history(Metric::ActiveTasks)
        .times()
        .iter()
        .map(|t| t.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        [
            "2025-01-06T00:00:30Z",
            "2025-01-06T00:01:00Z",
            "2025-01-06T00:01:30Z"
        ]
    );
}

#[test]
fn decided_ingestion_lag_hides_samples_until_it_has_passed() {
    let mut m = pool(0, 0, 1);
    m.submit(&task(1));
    m.advance_to(at(44 * S));
    // Samples at 0 s (visible at 15 s) and 30 s (visible at 45 s).
    assert_eq!(m.history(Metric::PendingTasks).len(), 1);
    m.advance_to(at(45 * S));
    assert_eq!(m.history(Metric::PendingTasks).len(), 2);
    assert_eq!(m.history(Metric::PendingTasks).values(), vec![1.0, 1.0]);
}

#[test]
fn decided_a_sample_describes_the_state_after_every_event_at_its_tick() {
    let mut p = params(0, 0, 1);
    p.ingestion_lag = Interval::ZERO;
    let mut m = Model::new(p, start(), 0);
    m.add_initial_nodes(1, 0);
    m.submit(&TaskSpec::new(1, Interval(30 * S)));
    m.submit(&TaskSpec::new(1, Interval(30 * S)));
    m.advance_to(at(60 * S));
    // 0 s: one running, one queued; 30 s: the first ended and the second started at
    // that instant; 60 s: both done, and the window (30 s, 60 s] saw one success.
    assert_eq!(
        m.history(Metric::RunningTasks).values(),
        vec![1.0, 1.0, 0.0]
    );
    assert_eq!(m.history(Metric::ActiveTasks).values(), vec![1.0, 0.0, 0.0]);
    assert_eq!(
        m.history(Metric::SucceededTasks).values(),
        vec![0.0, 1.0, 1.0]
    );
}

#[test]
fn decided_cpu_percent_is_busy_slots_over_usable_slots_or_the_tasks_cpu_and_0_without_usable_nodes()
{
    let mut p = params(0, 0, 4);
    p.ingestion_lag = Interval::ZERO;
    let mut m = Model::new(p, start(), 0);
    m.advance_to(at(30 * S));
    m.add_initial_nodes(2, 0);
    m.submit(&task(60));
    let mut half = TaskSpec::new(2, Interval(60 * M));
    half.cpu = Some(50.0);
    m.submit(&half);
    m.advance_to(at(60 * S));
    // No usable node at 0 s: 0 [decided]; from 30 s (the nodes came at that instant,
    // before the tick was taken) (1×100 + 2×50) / 8 slots.
    assert_eq!(
        m.history(Metric::CpuPercent).values(),
        vec![0.0, 25.0, 25.0]
    );
}

#[test]
fn the_emulator_records_no_cpu_sample_without_usable_nodes() {
    let mut m = Model::new(
        ModelParams::emulator(Interval::ZERO, Interval::ZERO, Interval::ZERO),
        start(),
        0,
    );
    m.advance_to(at(60 * S));
    assert!(m.history(Metric::CpuPercent).is_empty());
    assert_eq!(m.history(Metric::ActiveTasks).len(), 3);
}

#[test]
fn retired_metrics_have_no_samples() {
    let mut m = pool(0, 0, 1);
    m.advance_to(at(10 * M));
    for metric in Metric::ALL.into_iter().filter(|m| m.is_retired()) {
        assert!(m.history(metric).is_empty(), "{}", metric.name());
    }
}

#[test]
fn decided_samples_older_than_the_retention_are_gone() {
    let mut p = params(0, 0, 1);
    p.history_retention = Interval(10 * M);
    let mut m = Model::new(p, start(), 0);
    m.advance_to(at(60 * M));
    let history = m.history(Metric::ActiveTasks);
    assert_eq!(history.times().first(), Some(&at(50 * M)));
    // 50:00 .. 59:30 are visible (59:30 + 15 s <= 60:00).
    assert_eq!(history.len(), 20);
}

#[test]
fn sample_drop_removes_about_that_share_of_samples() {
    let mut p = params(0, 0, 1);
    p.sample_drop = 0.25;
    let mut m = Model::new(p, start(), 3);
    m.advance_to(at(24 * 60 * M));
    let kept = m.history(Metric::ActiveTasks).len() as f64;
    let share = 1.0 - kept / 2880.0;
    assert!((0.22..0.28).contains(&share), "{share}");
}

#[test]
fn the_snapshot_holds_the_pool_and_the_visible_histories() {
    let mut m = pool(0, 0, 3);
    m.add_initial_nodes(2, 1);
    m.set_targets(2, 4, DeallocationOption::Requeue);
    m.advance_to(at(M));
    let snapshot = m.snapshot().clone();
    assert_eq!(snapshot.evaluation_time, Some(at(M)));
    assert_eq!(snapshot.random_seed, None);
    let pool = snapshot.pool;
    assert_eq!(pool.target_dedicated_nodes, 2.0);
    assert_eq!(pool.target_low_priority_nodes, 4.0);
    assert_eq!(pool.current_dedicated_nodes, 2.0);
    assert_eq!(pool.current_low_priority_nodes, 4.0);
    assert_eq!(pool.usable_node_count, 6.0);
    assert_eq!(pool.task_slots_per_node, 3.0);
    assert_eq!(snapshot.metrics.get(Metric::ActiveTasks).len(), 2);
}

#[test]
fn preempted_nodes_requeue_their_tasks_stay_counted_and_recover() {
    let mut p = params(0, 0, 1);
    p.preemption_per_node_hour = 2.0;
    p.recovery_delay = Delay::fixed(10 * M);
    let mut m = Model::new(p, start(), 11);
    m.add_initial_nodes(0, 1);
    m.submit(&task(24 * 60));
    let preempt_at = m.next_event_time().unwrap();
    assert_ne!(preempt_at, at(24 * 60 * M));
    m.advance_to(preempt_at);
    if m.count(Priority::LowPriority, NodeState::Preempted) == 1 {
        assert_eq!(m.current_nodes(Priority::LowPriority), 1);
        assert_eq!(m.usable_nodes(), 0);
        assert_eq!(m.tasks().requeued, 1);
        assert_eq!(m.tasks().queued, 1);
        m.advance_to(preempt_at.checked_add(Interval(10 * M)).unwrap());
        assert_eq!(m.count(Priority::LowPriority, NodeState::Running), 1);
    } else {
        panic!("the first event of a Spot node with a task of a day is its preemption");
    }
}

#[test]
fn totals_integrate_nodes_by_state_over_time() {
    let mut m = pool(0, 10 * M, 1);
    m.set_targets(1, 0, DeallocationOption::Requeue);
    m.advance_to(at(30 * M));
    let totals = m.totals().clone();
    let d = &totals.node_ticks[0];
    assert_eq!(d[NodeState::Starting.index()], (10 * M) as u128);
    assert_eq!(d[NodeState::Idle.index()], (20 * M) as u128);
    assert_eq!(
        totals.billed_node_ticks(Priority::Dedicated),
        (30 * M) as u128
    );
    assert_eq!(totals.over_provisioned_ticks, (20 * M) as u128);
}

#[test]
fn a_saved_and_restored_model_goes_on_exactly_as_the_original() {
    let mut p = params(0, 0, 2);
    p.allocation_delay = Delay::LogNormal {
        median: 5 * M,
        p95: 12 * M,
    };
    p.preemption_per_node_hour = 0.5;
    p.sample_drop = 0.1;
    let mut a = Model::new(p, start(), 5);
    for i in 0..40 {
        a.submit(&task(7 + i % 13));
    }
    a.set_targets(3, 4, DeallocationOption::Requeue);
    a.advance_to(at(17 * M + 3 * S));
    let saved = serde_json::to_string(&a).unwrap();
    let mut b: Model = serde_json::from_str(&saved).unwrap();
    for model in [&mut a, &mut b] {
        model.advance_to(at(40 * M));
        model.set_targets(1, 1, DeallocationOption::TaskCompletion);
        model.advance_to(at(3 * 60 * M));
    }
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn recorded_series_replace_generated_samples_after_the_lag() {
    let mut m = pool(0, 0, 1);
    let series = SampleHistory::from_samples(
        Interval(60 * S),
        vec![(at(0), 5.0), (at(60 * S), 7.0), (at(-60 * S), 1.0)],
    )
    .unwrap();
    m.set_recorded(Metric::CpuPercent, &series);
    m.advance_to(at(60 * S));
    let h = m.history(Metric::CpuPercent);
    assert_eq!(h.values(), vec![1.0, 5.0]);
    assert_eq!(h.period, Interval(60 * S));
    m.advance_to(at(75 * S));
    assert_eq!(m.history(Metric::CpuPercent).values(), vec![1.0, 5.0, 7.0]);
}

#[test]
fn cancel_joins_leaves_leaving_nodes_leaving() {
    let mut p = params(5 * M, 0, 1);
    p.removal_delay = Delay::fixed(5 * M);
    let mut m = Model::new(p, start(), 0);
    m.add_initial_nodes(2, 0);
    m.set_targets(1, 3, DeallocationOption::Requeue);
    m.cancel_joins();
    assert!(!m.joins_pending());
    assert!(m.nodes_leaving());
    assert_eq!(m.targets(), (1, 3));
    m.advance_to(at(10 * M));
    assert_eq!(ids(&m), vec![1]);
}

#[test]
fn a_saved_model_writes_its_week_of_samples_compactly() {
    let mut m = pool(0, 0, 2);
    m.set_targets(2, 0, DeallocationOption::Requeue);
    for hour in 0..8 * 24 {
        m.submit(&task(7 + hour % 13));
        m.advance_to(at(hour * 60 * M));
    }
    let samples: usize = Metric::ALL
        .iter()
        .map(|&metric| m.history(metric).len())
        .sum();
    assert!(
        samples > 7 * 20_000,
        "a week of 30-s samples of the generated metrics"
    );
    let saved = serde_json::to_string(&m).unwrap();
    // Each sample costs its value and a comma (`0.0,`), not a `{"time": …, "value": …}`
    // object of some 60 bytes.
    assert!(
        saved.len() < 5 * samples,
        "{} bytes for {samples} samples",
        saved.len()
    );
    let restored: Model = serde_json::from_str(&saved).unwrap();
    for metric in Metric::ALL {
        assert_eq!(
            restored.clone().history(metric),
            m.history(metric),
            "{metric:?}"
        );
    }
}
