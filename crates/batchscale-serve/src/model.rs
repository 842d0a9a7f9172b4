//! The pool's nodes, tasks and workload samples as a steppable value (emulator.md 6.2,
//! 6.4): `advance_to(t)` processes every event at or before `t` in order, and
//! `next_event_time()` says when the next one falls.
//!
//! This is the narrow interface the state machine (`pool.rs`) drives. It is meant to be
//! the simulator's model (`crates/batchscale-sim`, issue 10) once that lands; until then
//! this module implements the interface itself, following the rules both specs share
//! (joins after the allocation delay, `starting` then `idle`, removal order, deallocation
//! options, Spread/Pack placement, 30-s samples).

use std::collections::VecDeque;

use batchscale::time::TICKS_PER_SECOND;
use batchscale::{DeallocationOption, Interval, Metric, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// At most this many nodes of each type per pool (6.2).
pub const MAX_NODES_PER_TYPE: u32 = 1000;

/// Samples every 30 s.
pub const TICK: i64 = 30 * TICKS_PER_SECOND;

/// Generated history is kept for 7 days of emulator time.
pub const RETENTION: i64 = 7 * 24 * 3600 * TICKS_PER_SECOND;

/// The generated metrics, in this order in [`NodeModel::series`].
pub const GENERATED: [Metric; 7] = [
    Metric::ActiveTasks,
    Metric::RunningTasks,
    Metric::PendingTasks,
    Metric::SucceededTasks,
    Metric::FailedTasks,
    Metric::CpuPercent,
    Metric::PreemptedNodeCount,
];

/// A node's state as the emulator produces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    /// Joined, not yet usable.
    Starting,
    /// Usable, no task.
    Idle,
    /// Usable, running tasks.
    Running,
    /// Removed, still counted until it leaves.
    LeavingPool,
}

impl NodeState {
    /// The REST name.
    pub fn name(self) -> &'static str {
        match self {
            NodeState::Starting => "starting",
            NodeState::Idle => "idle",
            NodeState::Running => "running",
            NodeState::LeavingPool => "leavingpool",
        }
    }
}

/// How tasks are placed on nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fill {
    /// The node with the most free slots.
    Spread,
    /// The node with the fewest free slots that still fit.
    Pack,
}

/// A task placed on a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningTask {
    /// Arrival number (queue order).
    pub id: u64,
    /// Slots it takes.
    pub slots: u32,
    /// How long it runs.
    #[serde(with = "crate::serde_util::iv")]
    pub duration: Interval,
    /// When it ends.
    #[serde(with = "crate::serde_util::ts")]
    pub ends: Timestamp,
}

/// A queued task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedTask {
    /// Arrival number (queue order).
    pub id: u64,
    /// Slots it takes.
    pub slots: u32,
    /// How long it runs.
    #[serde(with = "crate::serde_util::iv")]
    pub duration: Interval,
}

/// One compute node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The pool's allocation number, from 1.
    pub n: u64,
    /// `tvmps_…_d` / `_p`.
    pub id: String,
    /// Dedicated or low-priority.
    pub dedicated: bool,
    /// Current state.
    pub state: NodeState,
    /// When it entered that state.
    #[serde(with = "crate::serde_util::ts")]
    pub state_since: Timestamp,
    /// When it joined.
    #[serde(with = "crate::serde_util::ts")]
    pub allocation_time: Timestamp,
    /// When it turns idle (while starting).
    #[serde(with = "crate::serde_util::ots")]
    pub idle_at: Option<Timestamp>,
    /// When it leaves (while leaving).
    #[serde(with = "crate::serde_util::ots")]
    pub leave_at: Option<Timestamp>,
    /// Leaving nodes that were starting go back to starting when taken back.
    pub was_starting: bool,
    /// Tasks on it.
    pub running: Vec<RunningTask>,
    /// Tasks ever placed on it.
    pub total_tasks_run: u64,
    /// Tasks that succeeded on it.
    pub total_tasks_succeeded: u64,
}

impl Node {
    /// Slots in use.
    pub fn used_slots(&self) -> u32 {
        self.running.iter().map(|t| t.slots).sum()
    }

    fn usable(&self) -> bool {
        matches!(self.state, NodeState::Idle | NodeState::Running)
    }
}

/// A pending join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Join {
    /// When it joins.
    #[serde(with = "crate::serde_util::ts")]
    pub due: Timestamp,
    /// Dedicated or low-priority.
    pub dedicated: bool,
}

/// One run of equal consecutive 30-s samples (`None`: no sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRun {
    /// Ticks of the first sample.
    pub start: i64,
    /// How many samples.
    pub count: u32,
    /// Their value.
    pub value: Option<f64>,
}

/// A generated series, run-length encoded (samples change rarely).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    /// Runs in time order, each starting where the previous ends.
    pub runs: Vec<SampleRun>,
}

impl Series {
    fn push(&mut self, start: i64, count: u32, value: Option<f64>) {
        if let Some(last) = self.runs.last_mut()
            && last.value == value
            && last.start + i64::from(last.count) * TICK == start
        {
            last.count += count;
            return;
        }
        self.runs.push(SampleRun {
            start,
            count,
            value,
        });
    }

    fn drop_before(&mut self, horizon: i64) {
        let mut remove = 0;
        for run in &mut self.runs {
            let end = run.start + i64::from(run.count) * TICK;
            if end <= horizon {
                remove += 1;
                continue;
            }
            if run.start < horizon {
                let skip = (horizon - run.start + TICK - 1) / TICK;
                run.start += skip * TICK;
                run.count -= skip as u32;
            }
            break;
        }
        self.runs.drain(..remove);
    }

    /// Every sample stamped at or before `last` as (ticks, value), gaps as `None`.
    pub fn samples_until(&self, last: i64) -> Vec<(i64, Option<f64>)> {
        let mut out = Vec::new();
        for run in &self.runs {
            for k in 0..i64::from(run.count) {
                let t = run.start + k * TICK;
                if t > last {
                    return out;
                }
                out.push((t, run.value));
            }
        }
        out
    }
}

/// The settings an operation needs, given by the caller (flags are not stored).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Joins, departures and stops take this long.
    pub allocation: Interval,
    /// A joined node starts this long.
    pub start: Interval,
}

/// The pool's nodes, tasks and generated samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeModel {
    /// `{account}/{lower-cased pool id}/{creation ticks}`: node ids hash it with `/n`.
    pub id_seed: String,
    /// Slots per node.
    pub slots_per_node: u32,
    /// Placement policy.
    pub fill: Fill,
    /// Allocations so far.
    pub allocations: u64,
    /// Nodes in allocation order.
    pub nodes: Vec<Node>,
    /// Joins not yet done, in scheduling order.
    pub joins: Vec<Join>,
    /// Queued tasks in arrival order (requeued ones by their arrival number).
    pub queue: VecDeque<QueuedTask>,
    /// Tasks submitted so far.
    pub submitted: u64,
    /// Tasks that succeeded.
    pub succeeded: u64,
    /// Tasks ended as failed (`terminate`).
    pub failed: u64,
    /// Completions since the last sample.
    pub succeeded_since_tick: u64,
    /// Failures since the last sample.
    pub failed_since_tick: u64,
    /// The next sample's instant.
    #[serde(with = "crate::serde_util::ts")]
    pub next_tick: Timestamp,
    /// The instant the model has been advanced to.
    #[serde(with = "crate::serde_util::ts")]
    pub now: Timestamp,
    /// Generated series, as [`GENERATED`].
    pub series: Vec<Series>,
}

/// The first :00 or :30 second at or after `t`.
fn first_tick_at_or_after(t: Timestamp) -> Timestamp {
    let ticks = t.ticks();
    let rem = ticks.rem_euclid(TICK);
    let aligned = if rem == 0 { ticks } else { ticks - rem + TICK };
    Timestamp::from_ticks(aligned).unwrap_or(t)
}

fn add(t: Timestamp, i: Interval) -> Timestamp {
    t.checked_add(i).unwrap_or(t)
}

impl NodeModel {
    /// An empty pool created at `created`.
    pub fn new(id_seed: String, created: Timestamp, slots_per_node: u32, fill: Fill) -> NodeModel {
        NodeModel {
            id_seed,
            slots_per_node,
            fill,
            allocations: 0,
            nodes: Vec::new(),
            joins: Vec::new(),
            queue: VecDeque::new(),
            submitted: 0,
            succeeded: 0,
            failed: 0,
            succeeded_since_tick: 0,
            failed_since_tick: 0,
            next_tick: first_tick_at_or_after(created),
            now: created,
            series: vec![Series::default(); GENERATED.len()],
        }
    }

    /// Nodes of a type in the pool (`leavingpool` included).
    pub fn current(&self, dedicated: bool) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.dedicated == dedicated)
            .count() as u32
    }

    /// Nodes `idle` or `running`.
    pub fn usable(&self) -> u32 {
        self.nodes.iter().filter(|n| n.usable()).count() as u32
    }

    /// No joins pending and no node leaving.
    pub fn settled(&self) -> bool {
        self.joins.is_empty() && self.nodes.iter().all(|n| n.state != NodeState::LeavingPool)
    }

    /// Joins still pending.
    pub fn pending_joins(&self, dedicated: bool) -> u32 {
        self.joins
            .iter()
            .filter(|j| j.dedicated == dedicated)
            .count() as u32
    }

    /// The next instant at which something happens, if any.
    pub fn next_event_time(&self) -> Option<Timestamp> {
        let joins = self.joins.iter().map(|j| j.due);
        let nodes = self.nodes.iter().flat_map(|n| {
            n.idle_at
                .into_iter()
                .chain(n.leave_at)
                .chain(n.running.iter().map(|t| t.ends))
        });
        joins.chain(nodes).min()
    }

    /// Processes every event at or before `target` in order, taking samples on the way.
    pub fn advance_to(&mut self, target: Timestamp, timing: Timing) {
        loop {
            let event = self.next_event_time().filter(|&e| e <= target);
            let before = match event {
                Some(e) => Timestamp::from_ticks(e.ticks() - 1).unwrap_or(e),
                None => target,
            };
            self.take_samples(before);
            match event {
                Some(e) => self.process_at(e, timing),
                None => break,
            }
        }
        if target > self.now {
            self.now = target;
        }
        if let Some(horizon) = Timestamp::from_ticks(self.now.ticks() - RETENTION) {
            for series in &mut self.series {
                series.drop_before(horizon.ticks());
            }
        }
    }

    fn process_at(&mut self, e: Timestamp, timing: Timing) {
        if e > self.now {
            self.now = e;
        }
        // Task ends first, then departures, joins and starts, then placement.
        for node in &mut self.nodes {
            let mut finished = 0;
            node.running.retain(|t| {
                if t.ends <= e {
                    finished += 1;
                    false
                } else {
                    true
                }
            });
            if finished > 0 {
                node.total_tasks_succeeded += finished;
                self.succeeded += finished;
                self.succeeded_since_tick += finished;
                if node.state == NodeState::Running && node.running.is_empty() {
                    node.state = NodeState::Idle;
                    node.state_since = e;
                }
            }
        }
        self.nodes
            .retain(|n| !(n.state == NodeState::LeavingPool && n.leave_at.is_some_and(|t| t <= e)));
        let (due, later): (Vec<Join>, Vec<Join>) = self.joins.drain(..).partition(|j| j.due <= e);
        self.joins = later;
        for join in due {
            self.allocations += 1;
            let n = self.allocations;
            let digest = Sha256::digest(format!("{}/{n}", self.id_seed).as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let id = format!("tvmps_{hex}_{}", if join.dedicated { "d" } else { "p" });
            let idle_now = timing.start.ticks() <= 0;
            self.nodes.push(Node {
                n,
                id,
                dedicated: join.dedicated,
                state: if idle_now {
                    NodeState::Idle
                } else {
                    NodeState::Starting
                },
                state_since: e,
                allocation_time: e,
                idle_at: (!idle_now).then(|| add(e, timing.start)),
                leave_at: None,
                was_starting: false,
                running: Vec::new(),
                total_tasks_run: 0,
                total_tasks_succeeded: 0,
            });
        }
        for node in &mut self.nodes {
            if node.idle_at.is_some_and(|t| t <= e) {
                node.idle_at = None;
                if node.state == NodeState::Starting {
                    node.state = NodeState::Idle;
                    node.state_since = e;
                }
            }
        }
        self.place(e);
    }

    /// Places queued tasks on usable nodes with free slots, in arrival order.
    fn place(&mut self, now: Timestamp) {
        if self.queue.is_empty() {
            return;
        }
        let slots = self.slots_per_node;
        let mut free: Vec<(usize, u32)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.usable())
            .map(|(i, n)| (i, slots.saturating_sub(n.used_slots())))
            .filter(|&(_, f)| f > 0)
            .collect();
        if free.is_empty() {
            return;
        }
        let mut kept = VecDeque::with_capacity(self.queue.len());
        while let Some(task) = self.queue.pop_front() {
            if free.is_empty() {
                kept.push_back(task);
                continue;
            }
            let candidates = free
                .iter()
                .enumerate()
                .filter(|(_, (_, f))| *f >= task.slots);
            let pick = match self.fill {
                Fill::Spread => candidates.max_by(|a, b| a.1.1.cmp(&b.1.1).then(b.1.0.cmp(&a.1.0))),
                Fill::Pack => candidates.min_by(|a, b| a.1.1.cmp(&b.1.1).then(a.1.0.cmp(&b.1.0))),
            }
            .map(|(k, _)| k);
            let Some(k) = pick else {
                kept.push_back(task);
                continue;
            };
            let (index, ref mut f) = free[k];
            *f -= task.slots;
            if *f == 0 {
                free.remove(k);
            }
            let node = &mut self.nodes[index];
            node.running.push(RunningTask {
                id: task.id,
                slots: task.slots,
                duration: task.duration,
                ends: add(now, task.duration),
            });
            node.total_tasks_run += 1;
            if node.state == NodeState::Idle {
                node.state = NodeState::Running;
                node.state_since = now;
            }
        }
        self.queue = kept;
    }

    /// Takes the samples of every tick at or before `until`.
    fn take_samples(&mut self, until: Timestamp) {
        if self.next_tick > until {
            return;
        }
        let values = self.sample_values();
        let first = self.next_tick.ticks();
        for (series, value) in self.series.iter_mut().zip(values) {
            series.push(first, 1, value);
        }
        self.succeeded_since_tick = 0;
        self.failed_since_tick = 0;
        let mut next = first + TICK;
        if next <= until.ticks() {
            let count = (until.ticks() - next) / TICK + 1;
            let quiet = self.sample_values();
            for (series, value) in self.series.iter_mut().zip(quiet) {
                series.push(next, count as u32, value);
            }
            next += count * TICK;
        }
        self.next_tick = Timestamp::from_ticks(next).unwrap_or(self.next_tick);
    }

    fn sample_values(&self) -> [Option<f64>; 7] {
        let active = self.queue.len() as f64;
        let running: usize = self.nodes.iter().map(|n| n.running.len()).sum();
        let running = running as f64;
        let (used, total) =
            self.nodes
                .iter()
                .filter(|n| n.usable())
                .fold((0u64, 0u64), |(u, t), n| {
                    (
                        u + u64::from(n.used_slots()),
                        t + u64::from(self.slots_per_node),
                    )
                });
        let cpu = (total > 0).then(|| 100.0 * used as f64 / total as f64);
        [
            Some(active),
            Some(running),
            Some(active + running),
            Some(self.succeeded_since_tick as f64),
            Some(self.failed_since_tick as f64),
            cpu,
            Some(0.0),
        ]
    }

    /// Queues `count` tasks at `now` and places what fits.
    pub fn submit(&mut self, now: Timestamp, count: u32, slots: u32, duration: Interval) {
        for _ in 0..count {
            self.submitted += 1;
            self.queue.push_back(QueuedTask {
                id: self.submitted,
                slots,
                duration,
            });
        }
        self.place(now);
    }

    /// (active, running, succeeded, failed) task counts.
    pub fn task_counts(&self) -> (u64, u64, u64, u64) {
        let running: usize = self.nodes.iter().map(|n| n.running.len()).sum();
        (
            self.queue.len() as u64,
            running as u64,
            self.succeeded,
            self.failed,
        )
    }

    /// Moves the node count of each type toward its target: grows by taking back leaving
    /// nodes, then scheduling joins; shrinks by cancelling joins, then removing idle nodes,
    /// then the least busy, most recently allocated first (6.2). Targets above the
    /// capacity stop at [`MAX_NODES_PER_TYPE`].
    pub fn set_targets(
        &mut self,
        now: Timestamp,
        dedicated: u32,
        low_priority: u32,
        option: DeallocationOption,
        timing: Timing,
    ) {
        for (is_dedicated, target) in [(true, dedicated), (false, low_priority)] {
            let target = target.min(MAX_NODES_PER_TYPE);
            let staying = |m: &NodeModel| {
                m.nodes
                    .iter()
                    .filter(|n| n.dedicated == is_dedicated && n.state != NodeState::LeavingPool)
                    .count() as u32
                    + m.pending_joins(is_dedicated)
            };
            let mut have = staying(self);
            if have < target {
                // Take back leaving nodes, most recently allocated first.
                for node in self.nodes.iter_mut().rev() {
                    if have >= target {
                        break;
                    }
                    if node.dedicated == is_dedicated && node.state == NodeState::LeavingPool {
                        node.leave_at = None;
                        node.state = if node.was_starting && node.idle_at.is_some() {
                            NodeState::Starting
                        } else if node.running.is_empty() {
                            NodeState::Idle
                        } else {
                            NodeState::Running
                        };
                        node.state_since = now;
                        have += 1;
                    }
                }
                while have < target {
                    self.joins.push(Join {
                        due: add(now, timing.allocation),
                        dedicated: is_dedicated,
                    });
                    have += 1;
                }
            } else if have > target {
                let mut excess = have - target;
                while excess > 0 {
                    let Some(pos) = self.joins.iter().rposition(|j| j.dedicated == is_dedicated)
                    else {
                        break;
                    };
                    self.joins.remove(pos);
                    excess -= 1;
                }
                while excess > 0 {
                    let pick = self
                        .nodes
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| {
                            n.dedicated == is_dedicated && n.state != NodeState::LeavingPool
                        })
                        .min_by_key(|(_, n)| {
                            (
                                !matches!(n.state, NodeState::Idle | NodeState::Starting),
                                n.running.len(),
                                std::cmp::Reverse(n.n),
                            )
                        })
                        .map(|(i, _)| i);
                    let Some(index) = pick else { break };
                    self.remove_node(index, now, option, timing);
                    excess -= 1;
                }
            }
        }
        self.place(now);
    }

    /// Turns a node `leavingpool` with a deallocation option.
    fn remove_node(
        &mut self,
        index: usize,
        now: Timestamp,
        option: DeallocationOption,
        timing: Timing,
    ) {
        let leave_base = add(now, timing.allocation);
        let node = &mut self.nodes[index];
        node.was_starting = node.state == NodeState::Starting;
        node.state = NodeState::LeavingPool;
        node.state_since = now;
        match option {
            DeallocationOption::Requeue => {
                let tasks: Vec<RunningTask> = node.running.drain(..).collect();
                for t in tasks {
                    let at = self.queue.partition_point(|q| q.id < t.id);
                    self.queue.insert(
                        at,
                        QueuedTask {
                            id: t.id,
                            slots: t.slots,
                            duration: t.duration,
                        },
                    );
                }
                self.nodes[index].leave_at = Some(leave_base);
            }
            DeallocationOption::Terminate => {
                let ended = node.running.len() as u64;
                node.running.clear();
                node.leave_at = Some(leave_base);
                self.failed += ended;
                self.failed_since_tick += ended;
            }
            DeallocationOption::TaskCompletion | DeallocationOption::RetainedData => {
                let last = node.running.iter().map(|t| t.ends).max();
                node.leave_at = Some(last.map_or(leave_base, |l| l.max(leave_base)));
            }
        }
    }

    /// Removes the listed nodes (indices) with an option (remove_nodes).
    pub fn remove_nodes(
        &mut self,
        ids: &[usize],
        now: Timestamp,
        option: DeallocationOption,
        timing: Timing,
    ) {
        for &index in ids {
            self.remove_node(index, now, option, timing);
        }
        self.place(now);
    }

    /// Stops a resize: pending joins are cancelled and leaving nodes return.
    pub fn stop(&mut self, now: Timestamp) {
        self.joins.clear();
        for node in &mut self.nodes {
            if node.state == NodeState::LeavingPool {
                node.leave_at = None;
                node.state = if node.was_starting && node.idle_at.is_some() {
                    NodeState::Starting
                } else if node.running.is_empty() {
                    NodeState::Idle
                } else {
                    NodeState::Running
                };
                node.state_since = now;
            }
        }
        self.place(now);
    }

    /// Cancels every pending join (a resize timeout).
    pub fn cancel_joins(&mut self) {
        self.joins.clear();
    }

    /// Drops every task (the pool is gone).
    pub fn drop_tasks(&mut self) {
        self.queue.clear();
    }

    /// Index of a node by id (case-insensitive).
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.id.eq_ignore_ascii_case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 638_500_000_200_000_000; // on a :00 or :30 second

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_ticks(T0 + seconds * TICKS_PER_SECOND).unwrap()
    }

    fn timing(alloc: i64) -> Timing {
        Timing {
            allocation: Interval(alloc * TICKS_PER_SECOND),
            start: Interval(0),
        }
    }

    #[test]
    fn decided_shrink_removes_idle_nodes_most_recent_first() {
        let mut m = NodeModel::new("a/p/1".into(), t(0), 1, Fill::Spread);
        m.set_targets(t(0), 3, 0, DeallocationOption::Requeue, timing(0));
        m.advance_to(t(0), timing(0));
        assert_eq!(m.current(true), 3);
        m.submit(t(0), 1, 1, Interval(600 * TICKS_PER_SECOND));
        // Spread: ties by allocation order, so node 1 runs the task.
        assert_eq!(m.nodes[0].state, NodeState::Running);
        m.set_targets(t(1), 1, 0, DeallocationOption::Requeue, timing(0));
        m.advance_to(t(1), timing(0));
        let left: Vec<u64> = m.nodes.iter().map(|n| n.n).collect();
        assert_eq!(left, vec![1]);
    }

    #[test]
    fn decided_requeue_puts_tasks_back_ahead_of_later_arrivals() {
        let mut m = NodeModel::new("a/p/1".into(), t(0), 1, Fill::Spread);
        m.set_targets(t(0), 1, 0, DeallocationOption::Requeue, timing(0));
        m.advance_to(t(0), timing(0));
        m.submit(t(0), 3, 1, Interval(600 * TICKS_PER_SECOND));
        assert_eq!(m.queue.iter().map(|q| q.id).collect::<Vec<_>>(), vec![2, 3]);
        m.set_targets(t(1), 0, 0, DeallocationOption::Requeue, timing(0));
        assert_eq!(
            m.queue.iter().map(|q| q.id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn samples_describe_the_state_after_events_at_the_tick() {
        let mut m = NodeModel::new("a/p/1".into(), t(0), 1, Fill::Spread);
        m.submit(t(0), 2, 1, Interval(60 * TICKS_PER_SECOND));
        m.advance_to(t(90), timing(0));
        let active = m.series[0].samples_until(t(90).ticks());
        assert_eq!(active.len(), 4);
        assert!(active.iter().all(|(_, v)| *v == Some(2.0)));
        // No usable node: no CPU sample.
        assert!(
            m.series[5]
                .samples_until(t(90).ticks())
                .iter()
                .all(|(_, v)| v.is_none())
        );
    }
}
