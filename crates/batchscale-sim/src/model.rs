//! The pool model: nodes, tasks and metric samples as a deterministic discrete-event
//! system on integer 100-ns ticks (`simulation.md` section 2, `emulator.md` section 6).
//!
//! A [`Model`] is a value that is stepped, never run to an end: [`Model::advance_to`]
//! fires every event due at or before an instant, in due order (ties: the order they were
//! scheduled in), each with the clock at its own due instant; [`Model::next_event_time`]
//! says when the next one is due. Between steps the owner acts on the pool at the model's
//! current instant ([`Model::set_targets`], [`Model::remove_nodes`],
//! [`Model::stop_resize`], [`Model::remove_all`], [`Model::submit`]) and reads it (nodes,
//! counts, task counters, the sample histories a formula would see, a [`Snapshot`] for an
//! evaluation at now). `batchscale simulate` steps it on a virtual clock; `batchscale
//! serve` steps it on the emulator's clock. Everything that differs between the two is a
//! [`ModelParams`] field; evaluation schedules, caps and quotas live above the model.
//!
//! ```
//! use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};
//! use batchscale::{DeallocationOption, Interval, Timestamp};
//! use batchscale_sim::model::{Model, ModelParams, NodeState, Priority, TaskSpec};
//! use batchscale_sim::random::Delay;
//!
//! let start = Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap();
//! let mut params = ModelParams::simulate();
//! params.allocation_delay = Delay::fixed(5 * TICKS_PER_MINUTE);
//! params.start_delay = Delay::ZERO;
//! let mut pool = Model::new(params, start, 0);
//!
//! pool.submit(&TaskSpec::new(1, Interval::from_seconds(600).unwrap()));
//! pool.set_targets(1, 0, DeallocationOption::Requeue);
//! assert_eq!(pool.next_event_time(), start.checked_add(Interval(5 * TICKS_PER_MINUTE)));
//!
//! pool.advance_to(start.checked_add(Interval(6 * TICKS_PER_MINUTE)).unwrap());
//! let node = pool.nodes().next().unwrap();
//! assert_eq!((node.id, node.priority, node.state), (1, Priority::Dedicated, NodeState::Running));
//! assert_eq!(pool.tasks().running, 1);
//! // The $PendingTasks sample of 00:05:30 is visible 15 s later, at 00:05:45.
//! let history = pool.history(batchscale::Metric::PendingTasks);
//! assert_eq!(history.values().last(), Some(&1.0));
//! # let _ = TICKS_PER_SECOND;
//! ```

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use batchscale::time::{TICKS_PER_HOUR, TICKS_PER_SECOND};
use batchscale::{
    DeallocationOption, Interval, Metric, PoolState, SampleHistory, Snapshot, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::random::{Delay, SplitMix64};
use crate::serde_helpers::{compact_histories, interval_ticks, map_as_pairs, timestamp_ticks};
use crate::stats::Histogram;

/// Samples are taken every 30 s \[doc\], on every :00 and :30 second.
pub const SAMPLE_PERIOD: i64 = 30 * TICKS_PER_SECOND;

/// A node's priority: dedicated, or low-priority (Spot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Priority {
    /// A dedicated node.
    Dedicated,
    /// A low-priority (Spot) node.
    LowPriority,
}

impl Priority {
    /// Both, dedicated first.
    pub const ALL: [Priority; 2] = [Priority::Dedicated, Priority::LowPriority];

    /// 0 for dedicated, 1 for low-priority.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A node's state as the service names it (`ComputeNodeState`), the subset the model
/// produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    /// In the pool, not yet usable (also a recovering Spot node).
    Starting,
    /// Usable, running no task.
    Idle,
    /// Usable, running at least one task.
    Running,
    /// Removed, still in the pool (draining or about to leave).
    LeavingPool,
    /// A low-priority node taken back by the provider; still counted in the pool.
    Preempted,
}

impl NodeState {
    /// Every state, in the order of [`NodeState::index`].
    pub const ALL: [NodeState; 5] = [
        NodeState::Starting,
        NodeState::Idle,
        NodeState::Running,
        NodeState::LeavingPool,
        NodeState::Preempted,
    ];

    /// Index into per-state arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The service's name: `starting`, `idle`, `running`, `leavingpool`, `preempted`.
    pub fn name(self) -> &'static str {
        match self {
            NodeState::Starting => "starting",
            NodeState::Idle => "idle",
            NodeState::Running => "running",
            NodeState::LeavingPool => "leavingpool",
            NodeState::Preempted => "preempted",
        }
    }
}

/// How queued tasks choose among nodes with free slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeFill {
    /// The node with the most free slots (ties: the earliest allocated) \[doc\].
    Spread,
    /// The node with the fewest free slots that still fit the task (ties: the earliest
    /// allocated), so nodes fill one after another \[doc\].
    Pack,
}

/// Which nodes a shrink removes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalOrder {
    /// Idle nodes first, most recently allocated first; then the nodes with the fewest
    /// running tasks, most recently allocated first \[decided\].
    IdleFirst,
    /// Uniformly at random among the nodes that can go.
    Random,
}

/// What `$CPUPercent` records while no node is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuWithoutNodes {
    /// A sample of 0 (`simulate`'s default \[decided\]).
    Zero,
    /// No sample (the emulator's rule).
    NoSample,
}

/// Every parameter of the model: the \[decided\] rules of `simulation.md` and
/// `emulator.md` that differ between the two, as values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelParams {
    /// Slots per node (`taskSlotsPerNode`), at least 1.
    pub task_slots_per_node: u32,
    /// Where queued tasks go.
    pub node_fill: NodeFill,
    /// From a grow to the node joining the pool (in `starting`).
    pub allocation_delay: Delay,
    /// From joining (or recovering) to usable (`idle`).
    pub start_delay: Delay,
    /// From a removal to the node leaving the pool: `simulate` 0 (at once), the emulator
    /// its allocation delay. Under `taskcompletion`/`retaineddata` a node leaves at the
    /// later of this and the end of its last task.
    pub removal_delay: Delay,
    /// From a task being placed on a node to it running (0: at once \[decided\]); the
    /// task holds its slots meanwhile, and its queue wait runs to the end of it.
    #[serde(with = "interval_ticks", default)]
    pub placement_latency: Interval,
    /// A sample taken at `t` becomes visible to formulas at `t + ingestion_lag`.
    #[serde(with = "interval_ticks")]
    pub ingestion_lag: Interval,
    /// The probability that a generated sample is never recorded (each metric's sample
    /// drawn on its own).
    pub sample_drop: f64,
    /// Samples older than this (before `now - retention`) are gone.
    #[serde(with = "interval_ticks")]
    pub history_retention: Interval,
    /// Which nodes a shrink removes first.
    pub removal_order: RemovalOrder,
    /// Preemptions per low-priority node-hour (0: never).
    pub preemption_per_node_hour: f64,
    /// From a preemption to the node starting again.
    pub recovery_delay: Delay,
    /// What `$CPUPercent` records while no node is usable.
    pub cpu_without_usable_nodes: CpuWithoutNodes,
}

impl ModelParams {
    /// `simulate`'s defaults (`simulation.md` section 3): allocation log-normal with
    /// median 5 min and 95th percentile 12 min, start 1 min, removal at once, lag 15 s,
    /// no drops, 7 days of history, idle first, spread, no preemption, recovery 10 min,
    /// `$CPUPercent` 0 without usable nodes, one slot per node.
    pub fn simulate() -> ModelParams {
        let minute = 60 * TICKS_PER_SECOND;
        ModelParams {
            task_slots_per_node: 1,
            node_fill: NodeFill::Spread,
            allocation_delay: Delay::LogNormal {
                median: 5 * minute,
                p95: 12 * minute,
            },
            start_delay: Delay::fixed(minute),
            removal_delay: Delay::ZERO,
            placement_latency: Interval::ZERO,
            ingestion_lag: Interval(15 * TICKS_PER_SECOND),
            sample_drop: 0.0,
            history_retention: Interval(7 * 24 * TICKS_PER_HOUR),
            removal_order: RemovalOrder::IdleFirst,
            preemption_per_node_hour: 0.0,
            recovery_delay: Delay::fixed(10 * minute),
            cpu_without_usable_nodes: CpuWithoutNodes::Zero,
        }
    }

    /// The emulator's rules (`emulator.md` section 6): the given allocation delay (also
    /// for removals), start delay and sample lag; no preemption; no `$CPUPercent` sample
    /// without usable nodes; 7 days of history.
    pub fn emulator(
        allocation_delay: Interval,
        start_delay: Interval,
        sample_lag: Interval,
    ) -> ModelParams {
        ModelParams {
            allocation_delay: Delay::fixed(allocation_delay.ticks()),
            start_delay: Delay::fixed(start_delay.ticks()),
            removal_delay: Delay::fixed(allocation_delay.ticks()),
            ingestion_lag: sample_lag,
            cpu_without_usable_nodes: CpuWithoutNodes::NoSample,
            ..ModelParams::simulate()
        }
    }
}

/// A task to submit: slots, run time, CPU and job priority.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    /// Slots it needs on one node (at least 1).
    pub slots: u32,
    /// How long it runs once started.
    #[serde(with = "interval_ticks")]
    pub duration: Interval,
    /// Its CPU use in percent of its slots (`None`: 100).
    pub cpu: Option<f64>,
    /// Its job's priority: higher goes first; equal priorities go in submit order.
    pub priority: i32,
}

impl TaskSpec {
    /// A task of `slots` slots running `duration`, full CPU, priority 0.
    pub fn new(slots: u32, duration: Interval) -> TaskSpec {
        TaskSpec {
            slots,
            duration,
            cpu: None,
            priority: 0,
        }
    }
}

/// What the model counts about tasks. `submitted` = `queued` + `never_runnable` +
/// `running` + `completed` + `terminated` at every instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCounters {
    /// Tasks ever submitted.
    pub submitted: u64,
    /// Tasks waiting that some node could run (they count in `$ActiveTasks`).
    pub queued: u64,
    /// Tasks waiting that need more slots than a node has: they never run, and count in
    /// `$ActiveTasks` (the service keeps them active).
    pub never_runnable: u64,
    /// Tasks running now.
    pub running: u64,
    /// Tasks that ran to their end (succeeded).
    pub completed: u64,
    /// Tasks killed by a `terminate` removal: failed, never rerun.
    pub terminated: u64,
    /// Requeue events (a task may be requeued more than once): `requeue` removals and
    /// preemptions.
    pub requeued: u64,
    /// Work lost to requeues and preemptions: ticks of running time thrown away.
    pub wasted_ticks: u128,
    /// The first submit instant (ticks).
    pub first_submit: Option<i64>,
    /// The instant a task last ended, completed or terminated (ticks).
    pub last_end: Option<i64>,
    /// Ticks from each task's submit to its first start.
    pub queue_wait: Histogram,
}

impl TaskCounters {
    /// `$ActiveTasks`: queued tasks, runnable or not.
    pub fn active(&self) -> u64 {
        self.queued + self.never_runnable
    }
}

/// Time integrals of the pool's state since the model's creation, in ticks, up to
/// [`Totals::until`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Node-ticks by priority and state (index with [`Priority::index`],
    /// [`NodeState::index`]).
    pub node_ticks: [[u128; 5]; 2],
    /// Ticks during which at least one usable node was idle.
    pub over_provisioned_ticks: u128,
    /// Ticks during which at least one runnable task waited in the queue.
    pub under_provisioned_ticks: u128,
    /// The instant the integrals run to (ticks).
    pub until: i64,
}

impl Totals {
    /// Node-ticks of a priority in every state but `preempted` (what is billed).
    pub fn billed_node_ticks(&self, priority: Priority) -> u128 {
        let row = &self.node_ticks[priority.index()];
        row.iter().sum::<u128>() - row[NodeState::Preempted.index()]
    }
}

/// One node as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// The pool's allocation sequence number: 1, 2, 3, … in the order nodes joined.
    pub id: u64,
    /// Dedicated or low-priority.
    pub priority: Priority,
    /// The state now.
    pub state: NodeState,
    /// When it joined the pool.
    pub allocation_time: Timestamp,
    /// When it entered its current state.
    pub state_transition_time: Timestamp,
    /// Tasks ever placed on it.
    pub tasks_run: u64,
    /// Tasks that ran to their end on it.
    pub tasks_succeeded: u64,
    /// Tasks running on it now.
    pub running_tasks: u32,
    /// Slots those tasks use.
    pub running_slots: u32,
}

/// The pool's state at one 30-s sample tick, for a time series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TickRecord {
    /// The tick.
    pub time: Timestamp,
    /// Nodes by priority and state.
    pub nodes: [[u32; 5]; 2],
    /// Nodes `idle` or `running`.
    pub usable: u32,
    /// Queued tasks (runnable or not).
    pub active: u64,
    /// Running tasks.
    pub running: u64,
    /// Slots in use on usable nodes.
    pub used_slots: u64,
    /// Slots of usable nodes.
    pub total_slots: u64,
    /// Billed node-ticks so far, by priority.
    pub billed_node_ticks: [u128; 2],
    /// Whether this tick's `$PendingTasks` sample was recorded (not dropped) and showed
    /// at least one task.
    pub pending_sample_shows_tasks: bool,
}

impl TickRecord {
    /// Nodes of a priority in the pool (every state).
    pub fn nodes_of(&self, priority: Priority) -> u32 {
        self.nodes[priority.index()].iter().sum()
    }

    /// Nodes in a state, both priorities.
    pub fn in_state(&self, state: NodeState) -> u32 {
        self.nodes[0][state.index()] + self.nodes[1][state.index()]
    }
}

/// The metrics the model generates from its own state, in sample order.
pub const GENERATED: [Metric; 7] = [
    Metric::ActiveTasks,
    Metric::RunningTasks,
    Metric::PendingTasks,
    Metric::SucceededTasks,
    Metric::FailedTasks,
    Metric::CpuPercent,
    Metric::PreemptedNodeCount,
];

// ---------------------------------------------------------------------------------------
// Internal state.

/// A node's life apart from leaving: the state it returns to if a removal is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Base {
    Starting,
    Usable,
    Preempted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Task {
    seq: u64,
    submitted: i64,
    slots: u32,
    duration: i64,
    /// CPU use in hundredths of a percent of its slots (10000 = 100 %).
    cpu: u32,
    priority: i32,
    started_before: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RunningTask {
    task: Task,
    started: i64,
    run: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    priority: Priority,
    base: Base,
    /// Counts base transitions; timers carry it and are stale once it moves on.
    life: u32,
    /// `Some(not_before)` while leaving: the node goes once it runs no task and the
    /// clock has reached `not_before`.
    leaving: Option<i64>,
    /// Counts removals and take-backs; leave timers carry it.
    leave_gen: u32,
    allocated: i64,
    /// When the resize that allocated it happened (its join for nodes present from the
    /// start).
    #[serde(default)]
    requested: i64,
    state: NodeState,
    state_since: i64,
    tasks_run: u64,
    tasks_succeeded: u64,
    running: Vec<RunningTask>,
    used_slots: u32,
    /// Σ slots × cpu of the running tasks (hundredths of a percent).
    load: u64,
}

impl Node {
    fn display_state(&self) -> NodeState {
        if self.leaving.is_some() {
            NodeState::LeavingPool
        } else {
            match self.base {
                Base::Starting => NodeState::Starting,
                Base::Preempted => NodeState::Preempted,
                Base::Usable if self.running.is_empty() => NodeState::Idle,
                Base::Usable => NodeState::Running,
            }
        }
    }
}

/// What a node contributes to the pool's aggregates, before and after a change.
#[derive(Debug, Clone, Copy)]
struct Mark {
    priority: Priority,
    state: Option<NodeState>,
    used: u32,
    load: u64,
    index_key: Option<(u32, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum EventKind {
    Join { join: u64 },
    Ready { node: u64, life: u32 },
    Preempt { node: u64, life: u32 },
    Recover { node: u64, life: u32 },
    TaskEnd { node: u64, run: u64 },
    Leave { node: u64, leave_gen: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Event {
    time: i64,
    order: u64,
    kind: EventKind,
}

// The heap is a max-heap: the earliest (time, order) must compare greatest.
impl Ord for Event {
    fn cmp(&self, other: &Event) -> std::cmp::Ordering {
        (other.time, other.order).cmp(&(self.time, self.order))
    }
}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Event) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct PendingJoin {
    priority: Priority,
    due: i64,
    /// When the resize that scheduled it happened.
    #[serde(default)]
    requested: i64,
}

/// A sample taken but not yet visible (ingestion lag), one value per [`GENERATED`]
/// metric (`None`: dropped, or no value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct PendingSample {
    time: i64,
    values: [Option<f64>; 7],
}

/// Where a metric's samples come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Source {
    /// Generated from the pool's state.
    Generated,
    /// A recorded series (open loop), fed in as its samples become visible.
    Recorded {
        times: Vec<i64>,
        values: Vec<f64>,
        next: usize,
    },
    /// No samples (the retired metrics).
    Silent,
}

/// Independent random streams, one per purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Streams {
    allocation: SplitMix64,
    start: SplitMix64,
    removal: SplitMix64,
    preemption: SplitMix64,
    recovery: SplitMix64,
    drops: SplitMix64,
    order: SplitMix64,
}

impl Streams {
    fn new(seed: u64) -> Streams {
        Streams {
            allocation: SplitMix64::stream(seed, 1),
            start: SplitMix64::stream(seed, 2),
            removal: SplitMix64::stream(seed, 3),
            preemption: SplitMix64::stream(seed, 4),
            recovery: SplitMix64::stream(seed, 5),
            drops: SplitMix64::stream(seed, 6),
            order: SplitMix64::stream(seed, 7),
        }
    }
}

/// The pool model. See the [module documentation](self).
///
/// `Serialize + Deserialize`: a model saved and restored goes on exactly as the original
/// would.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    params: ModelParams,
    created: i64,
    now: i64,
    streams: Streams,
    /// The next allocation sequence number.
    next_node: u64,
    next_join: u64,
    next_task: u64,
    next_run: u64,
    next_order: u64,
    events: BinaryHeap<Event>,
    #[serde(with = "map_as_pairs")]
    nodes: BTreeMap<u64, Node>,
    /// Nodes that can take a task: usable, not leaving, with free slots; as (free, id).
    free: BTreeSet<(u32, u64)>,
    #[serde(with = "map_as_pairs")]
    joins: BTreeMap<u64, PendingJoin>,
    /// Runnable queued tasks by (−job priority, submit sequence).
    #[serde(with = "map_as_pairs")]
    queue: BTreeMap<(i64, u64), Task>,
    /// How many queued tasks need each number of slots.
    #[serde(with = "map_as_pairs")]
    queue_slots: BTreeMap<u32, u64>,
    targets: [u32; 2],
    counts: [[u32; 5]; 2],
    /// Slots in use on usable nodes and their CPU load.
    usable_used: u64,
    usable_load: u64,
    tasks: TaskCounters,
    totals: Totals,
    /// The next sample tick not yet taken.
    next_tick: i64,
    succeeded_window: u64,
    failed_window: u64,
    pending: VecDeque<PendingSample>,
    sources: Vec<Source>,
    /// The snapshot handed to evaluations; its metrics are the visible histories.
    #[serde(with = "compact_histories")]
    visible: Snapshot,
    record_ticks: bool,
    #[serde(skip)]
    ticks: Vec<TickRecord>,
    #[serde(default)]
    watch_usable: bool,
    #[serde(default)]
    first_usable: Option<FirstUsable>,
    /// Whether any metric has a recorded source.
    #[serde(default)]
    has_recorded: bool,
}

/// The first node to become usable after [`Model::watch_first_usable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstUsable {
    /// When it became usable.
    #[serde(with = "timestamp_ticks")]
    pub ready: Timestamp,
    /// When it joined the pool.
    #[serde(with = "timestamp_ticks")]
    pub joined: Timestamp,
    /// When the resize that allocated it happened.
    #[serde(with = "timestamp_ticks")]
    pub requested: Timestamp,
}

fn ts(ticks: i64) -> Timestamp {
    Timestamp::from_ticks(ticks).expect("model instants stay within the years 1 to 9999")
}

impl Model {
    /// An empty pool created at `created`, with every random draw seeded by `seed`. Its
    /// first sample tick is the first :00 or :30 second at or after `created`.
    pub fn new(params: ModelParams, created: Timestamp, seed: u64) -> Model {
        let created = created.ticks();
        let mut visible = Snapshot::default();
        visible.pool.task_slots_per_node = f64::from(params.task_slots_per_node.max(1));
        let sources = Metric::ALL
            .into_iter()
            .map(|m| {
                if GENERATED.contains(&m) {
                    Source::Generated
                } else {
                    Source::Silent
                }
            })
            .collect();
        Model {
            params,
            created,
            now: created,
            streams: Streams::new(seed),
            next_node: 1,
            next_join: 0,
            next_task: 0,
            next_run: 0,
            next_order: 0,
            events: BinaryHeap::new(),
            nodes: BTreeMap::new(),
            free: BTreeSet::new(),
            joins: BTreeMap::new(),
            queue: BTreeMap::new(),
            queue_slots: BTreeMap::new(),
            targets: [0, 0],
            counts: [[0; 5]; 2],
            usable_used: 0,
            usable_load: 0,
            tasks: TaskCounters::default(),
            totals: Totals {
                until: created,
                ..Totals::default()
            },
            next_tick: created.div_euclid(SAMPLE_PERIOD) * SAMPLE_PERIOD
                + if created.rem_euclid(SAMPLE_PERIOD) == 0 {
                    0
                } else {
                    SAMPLE_PERIOD
                },
            succeeded_window: 0,
            failed_window: 0,
            pending: VecDeque::new(),
            sources,
            visible,
            record_ticks: false,
            ticks: Vec::new(),
            watch_usable: false,
            first_usable: None,
            has_recorded: false,
        }
    }

    /// Adds nodes that are in the pool, usable, from the start (a pool created with
    /// them), and makes them the targets.
    pub fn add_initial_nodes(&mut self, dedicated: u32, low_priority: u32) {
        for (priority, n) in [
            (Priority::Dedicated, dedicated),
            (Priority::LowPriority, low_priority),
        ] {
            for _ in 0..n {
                self.join_node(priority, true);
            }
            self.targets[priority.index()] += n;
        }
        self.place();
    }

    /// The parameters in force.
    pub fn params(&self) -> &ModelParams {
        &self.params
    }

    /// Replaces the delays, the sample lag and the retention (an emulator restarted with
    /// other flags), and, while the pool has no node, the slots per node and the fill
    /// policy (a pool updated while empty). Events already scheduled keep their instants.
    /// Returns `false`, changing nothing, if the slots or the fill would change while the
    /// pool has nodes.
    pub fn set_params(&mut self, params: ModelParams) -> bool {
        let layout_changes = params.task_slots_per_node != self.params.task_slots_per_node
            || params.node_fill != self.params.node_fill;
        if layout_changes && !self.nodes.is_empty() {
            return false;
        }
        self.visible.pool.task_slots_per_node = f64::from(params.task_slots_per_node.max(1));
        self.params = params;
        true
    }

    /// The pool's creation instant.
    pub fn created(&self) -> Timestamp {
        ts(self.created)
    }

    /// The model's current instant.
    pub fn now(&self) -> Timestamp {
        ts(self.now)
    }

    /// When the next event (a join, a node turning usable, a task ending, a node leaving,
    /// a preemption or recovery) is due; `None` when none is scheduled. Sample ticks are
    /// not events: a tick is taken as the clock moves past it (or when a history at its
    /// instant is asked for), so nothing needs waking for it.
    pub fn next_event_time(&self) -> Option<Timestamp> {
        // An event beyond the year 9999 (a pathological delay) is never.
        self.events
            .peek()
            .and_then(|e| Timestamp::from_ticks(e.time))
    }

    /// Moves the clock to `t`, firing every event due at or before `t` in due order (ties:
    /// scheduling order), each at its own instant, and taking every sample tick passed on
    /// the way (a tick at `t'` after every event due at or before `t'`). Events that fire
    /// schedule others, which fire too if due by `t`. An instant before [`Model::now`]
    /// does nothing; `advance_to(now)` fires what is due now (zero delays).
    pub fn advance_to(&mut self, t: Timestamp) {
        let target = t.ticks();
        if target < self.now {
            return;
        }
        loop {
            let next_event = self.events.peek().map(|e| e.time);
            match next_event {
                Some(time) if time <= target && time <= self.next_tick => {
                    let event = self.events.pop().expect("peeked");
                    self.set_now(time);
                    self.fire(event.kind);
                }
                _ if self.next_tick < target => {
                    let tick = self.next_tick;
                    self.set_now(tick);
                    self.take_sample();
                }
                _ => break,
            }
        }
        self.set_now(target);
        self.flush_visible();
    }

    /// The targets last set.
    pub fn targets(&self) -> (u32, u32) {
        (self.targets[0], self.targets[1])
    }

    /// Sets the targets at now and resizes towards them (`emulator.md` 6.2). For each
    /// priority, with `have` = nodes not leaving + joins pending:
    ///
    /// - growing takes back leaving nodes first (earliest allocated first; they return to
    ///   `idle`/`running`), then schedules joins, each after its own allocation delay;
    /// - shrinking cancels joins not yet done (the latest due first), then removes nodes
    ///   in the removal order with `option`.
    ///
    /// Zero-delay events are due now: call [`Model::advance_to`] with now to fire them.
    pub fn set_targets(&mut self, dedicated: u32, low_priority: u32, option: DeallocationOption) {
        self.targets = [dedicated, low_priority];
        for priority in Priority::ALL {
            self.resize(priority, self.targets[priority.index()], option);
        }
        self.place();
    }

    /// Removes the listed nodes (allocation sequence numbers) with `option`, and lowers
    /// the targets by the nodes removed of each priority. Unknown ids and nodes already
    /// leaving are skipped. Returns how many nodes were removed.
    pub fn remove_nodes(&mut self, ids: &[u64], option: DeallocationOption) -> usize {
        let mut removed = 0;
        for &id in ids {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            if node.leaving.is_some() {
                continue;
            }
            let p = node.priority.index();
            self.targets[p] = self.targets[p].saturating_sub(1);
            self.remove_node(id, option);
            removed += 1;
        }
        self.place();
        removed
    }

    /// Cancels every join not yet done (a resize timeout); leaving nodes go on leaving.
    /// Targets are unchanged.
    pub fn cancel_joins(&mut self) {
        self.joins.clear();
    }

    /// Stops a resize: cancels every join not yet done, and takes back every leaving
    /// node (tasks already requeued or terminated stay so). Targets are unchanged.
    pub fn stop_resize(&mut self) {
        self.joins.clear();
        let leaving: Vec<u64> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.leaving.is_some())
            .map(|(&id, _)| id)
            .collect();
        for id in leaving {
            self.take_back(id);
        }
        self.place();
    }

    /// Removes everything, as a pool deletion does: targets 0, joins cancelled, every
    /// node removed with `requeue` (its tasks go back to the queue).
    pub fn remove_all(&mut self) {
        self.targets = [0, 0];
        self.joins.clear();
        let ids: Vec<u64> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.leaving.is_none())
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            self.remove_node(id, DeallocationOption::Requeue);
        }
    }

    /// Submits a task at now: it queues behind earlier ones (by job priority, then submit
    /// order) and is placed at once if a node has room. A task needing more slots than a
    /// node has never runs (it stays active).
    pub fn submit(&mut self, spec: &TaskSpec) {
        self.tasks.submitted += 1;
        self.tasks.first_submit.get_or_insert(self.now);
        let slots = spec.slots.max(1);
        if slots > self.params.task_slots_per_node {
            self.tasks.never_runnable += 1;
            return;
        }
        let cpu = spec
            .cpu
            .map_or(10_000, |c| (c.clamp(0.0, 100.0) * 100.0).round() as u32);
        let task = Task {
            seq: self.next_task,
            submitted: self.now,
            slots,
            duration: spec.duration.ticks().max(0),
            cpu,
            priority: spec.priority,
            started_before: false,
        };
        self.next_task += 1;
        self.enqueue(task);
        self.place();
    }

    /// Submits `count` copies of a task at now.
    pub fn submit_many(&mut self, count: u64, spec: &TaskSpec) {
        for _ in 0..count {
            self.submit(spec);
        }
    }

    /// Every node, in allocation order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeInfo> + '_ {
        self.nodes.iter().map(|(&id, n)| info(id, n))
    }

    /// One node by its allocation sequence number.
    pub fn node(&self, id: u64) -> Option<NodeInfo> {
        self.nodes.get(&id).map(|n| info(id, n))
    }

    /// Nodes of a priority in a state.
    pub fn count(&self, priority: Priority, state: NodeState) -> u32 {
        self.counts[priority.index()][state.index()]
    }

    /// Nodes of a priority in the pool, in any state (`leavingpool` and `preempted`
    /// included): `$CurrentDedicatedNodes`, `$CurrentLowPriorityNodes`.
    pub fn current_nodes(&self, priority: Priority) -> u32 {
        self.counts[priority.index()].iter().sum()
    }

    /// Nodes `idle` or `running`: `$UsableNodeCount`.
    pub fn usable_nodes(&self) -> u32 {
        self.counts
            .iter()
            .map(|row| row[NodeState::Idle.index()] + row[NodeState::Running.index()])
            .sum()
    }

    /// Joins scheduled and not yet done, of a priority.
    pub fn pending_joins(&self, priority: Priority) -> u32 {
        self.joins
            .values()
            .filter(|j| j.priority == priority)
            .count() as u32
    }

    /// Whether any join is scheduled and not yet done.
    pub fn joins_pending(&self) -> bool {
        !self.joins.is_empty()
    }

    /// Whether any node is leaving.
    pub fn nodes_leaving(&self) -> bool {
        self.counts
            .iter()
            .any(|row| row[NodeState::LeavingPool.index()] > 0)
    }

    /// The task counters.
    pub fn tasks(&self) -> &TaskCounters {
        &self.tasks
    }

    /// Slots in use on usable nodes, and slots of usable nodes.
    pub fn slots(&self) -> (u64, u64) {
        (
            self.usable_used,
            u64::from(self.usable_nodes()) * u64::from(self.params.task_slots_per_node),
        )
    }

    /// The time integrals, brought up to now.
    pub fn totals(&mut self) -> &Totals {
        self.integrate(self.now);
        &self.totals
    }

    /// A metric's history as a formula sees it at now: the samples visible (taken at `t`
    /// with `t + lag <= now`), not dropped, within the retention.
    pub fn history(&mut self, metric: Metric) -> &SampleHistory {
        self.settle();
        self.visible.metrics.get(metric)
    }

    /// The snapshot an evaluation at now sees (`evaluationTime` = now, no `randomSeed`):
    /// the targets last set, the nodes of each priority in the pool, the usable nodes,
    /// the slots per node, and every metric's visible history.
    pub fn snapshot(&mut self) -> &Snapshot {
        self.settle();
        let pool = &mut self.visible.pool;
        *pool = PoolState {
            target_dedicated_nodes: f64::from(self.targets[0]),
            target_low_priority_nodes: f64::from(self.targets[1]),
            current_dedicated_nodes: f64::from(self.counts[0].iter().sum::<u32>()),
            current_low_priority_nodes: f64::from(self.counts[1].iter().sum::<u32>()),
            task_slots_per_node: f64::from(self.params.task_slots_per_node),
            usable_node_count: f64::from(
                self.counts
                    .iter()
                    .map(|r| r[NodeState::Idle.index()] + r[NodeState::Running.index()])
                    .sum::<u32>(),
            ),
        };
        self.visible.evaluation_time = Some(ts(self.now));
        self.visible.random_seed = None;
        &self.visible
    }

    /// Replaces a metric's samples with a recorded series (open loop): its samples become
    /// visible at their time plus the ingestion lag (drops do not apply), whatever the
    /// pool does. The metric's history so far is cleared.
    pub fn set_recorded(&mut self, metric: Metric, series: &SampleHistory) {
        self.has_recorded = true;
        self.sources[metric.index()] = Source::Recorded {
            times: series.times().iter().map(|t| t.ticks()).collect(),
            values: series.values().to_vec(),
            next: 0,
        };
        let period = series.period;
        let history = self.visible.metrics.get_mut(metric);
        *history = SampleHistory::new(period);
        self.flush_visible();
    }

    /// Notes the next node to become usable (`idle` or `running`) from now on; read it
    /// with [`Model::first_usable`].
    pub fn watch_first_usable(&mut self) {
        self.watch_usable = true;
        self.first_usable = None;
    }

    /// The node noted by [`Model::watch_first_usable`], once one became usable.
    pub fn first_usable(&self) -> Option<FirstUsable> {
        self.first_usable
    }

    /// Starts or stops keeping a [`TickRecord`] for every sample tick taken; take them
    /// with [`Model::drain_ticks`].
    pub fn record_ticks(&mut self, on: bool) {
        self.record_ticks = on;
    }

    /// The tick records kept since the last call, oldest first.
    pub fn drain_ticks(&mut self) -> std::vec::Drain<'_, TickRecord> {
        self.ticks.drain(..)
    }

    // -----------------------------------------------------------------------------------
    // Clock, events and samples.

    fn set_now(&mut self, t: i64) {
        self.integrate(t);
        self.now = t;
    }

    fn integrate(&mut self, t: i64) {
        let dt = t - self.totals.until;
        if dt <= 0 {
            return;
        }
        let dt = dt as u128;
        for p in 0..2 {
            for s in 0..5 {
                self.totals.node_ticks[p][s] += u128::from(self.counts[p][s]) * dt;
            }
        }
        if self.counts[0][NodeState::Idle.index()] + self.counts[1][NodeState::Idle.index()] > 0 {
            self.totals.over_provisioned_ticks += dt;
        }
        if self.tasks.queued > 0 {
            self.totals.under_provisioned_ticks += dt;
        }
        self.totals.until = t;
    }

    fn schedule(&mut self, time: i64, kind: EventKind) {
        let order = self.next_order;
        self.next_order += 1;
        self.events.push(Event { time, order, kind });
    }

    fn fire(&mut self, kind: EventKind) {
        match kind {
            EventKind::Join { join } => {
                if let Some(pending) = self.joins.remove(&join) {
                    let id = self.join_node(pending.priority, false);
                    self.nodes.get_mut(&id).expect("joined").requested = pending.requested;
                    self.place();
                }
            }
            EventKind::Ready { node, life } => {
                if self
                    .nodes
                    .get(&node)
                    .is_some_and(|n| n.life == life && n.base == Base::Starting)
                {
                    let mark = self.mark(node);
                    self.nodes.get_mut(&node).expect("checked").base = Base::Usable;
                    self.commit(node, mark);
                    self.place();
                }
            }
            EventKind::Preempt { node, life } => {
                if self
                    .nodes
                    .get(&node)
                    .is_some_and(|n| n.life == life && n.base != Base::Preempted)
                {
                    self.preempt(node);
                    self.place();
                }
            }
            EventKind::Recover { node, life } => {
                if self
                    .nodes
                    .get(&node)
                    .is_some_and(|n| n.life == life && n.base == Base::Preempted)
                {
                    self.recover(node);
                    self.place();
                }
            }
            EventKind::TaskEnd { node, run } => self.end_task(node, run),
            EventKind::Leave { node, leave_gen } => {
                if self.nodes.get(&node).is_some_and(|n| {
                    n.leave_gen == leave_gen && n.leaving.is_some() && n.running.is_empty()
                }) {
                    self.drop_node(node);
                }
            }
        }
    }

    /// Takes the sample of the next tick (at now: every event due by then has fired).
    fn take_sample(&mut self) {
        let time = self.next_tick;
        self.next_tick = time + SAMPLE_PERIOD;
        let active = self.tasks.active() as f64;
        let running = self.tasks.running as f64;
        let usable_slots =
            u64::from(self.usable_nodes()) * u64::from(self.params.task_slots_per_node);
        let cpu = if usable_slots > 0 {
            Some(self.usable_load as f64 / (usable_slots as f64 * 100.0))
        } else {
            match self.params.cpu_without_usable_nodes {
                CpuWithoutNodes::Zero => Some(0.0),
                CpuWithoutNodes::NoSample => None,
            }
        };
        let preempted = f64::from(
            self.counts[0][NodeState::Preempted.index()]
                + self.counts[1][NodeState::Preempted.index()],
        );
        let mut values = [
            Some(active),
            Some(running),
            Some(active + running),
            Some(self.succeeded_window as f64),
            Some(self.failed_window as f64),
            cpu,
            Some(preempted),
        ];
        self.succeeded_window = 0;
        self.failed_window = 0;
        if self.params.sample_drop > 0.0 {
            for value in &mut values {
                if self.streams.drops.next_open01() <= self.params.sample_drop {
                    *value = None;
                }
            }
        }
        if self.record_ticks {
            self.integrate(time);
            let (used, total) = self.slots();
            let record = TickRecord {
                time: ts(time),
                nodes: self.counts,
                usable: self.usable_nodes(),
                active: self.tasks.active(),
                running: self.tasks.running,
                used_slots: used,
                total_slots: total,
                billed_node_ticks: [
                    self.totals.billed_node_ticks(Priority::Dedicated),
                    self.totals.billed_node_ticks(Priority::LowPriority),
                ],
                pending_sample_shows_tasks: values[2].is_some_and(|v| v > 0.0)
                    && matches!(
                        self.sources[Metric::PendingTasks.index()],
                        Source::Generated
                    ),
            };
            self.ticks.push(record);
        }
        self.pending.push_back(PendingSample { time, values });
        self.flush_visible();
    }

    /// Takes the tick at now if its sample would already be visible (a zero lag), moves
    /// visible samples into the histories and applies the retention exactly (dropping is
    /// cheap: a history moves its start, not its samples).
    fn settle(&mut self) {
        if self.next_tick <= self.now - self.params.ingestion_lag.ticks() {
            self.take_sample();
        }
        self.flush_visible();
        let horizon = ts(self
            .now
            .saturating_sub(self.params.history_retention.ticks())
            .max(0));
        for metric in Metric::ALL {
            self.visible.metrics.get_mut(metric).drop_before(horizon);
        }
    }

    /// Moves every sample visible at now into the histories.
    fn flush_visible(&mut self) {
        let lag = self.params.ingestion_lag.ticks();
        let visible_until = self.now - lag;
        while let Some(sample) = self.pending.front() {
            if sample.time > visible_until {
                break;
            }
            let sample = self.pending.pop_front().expect("peeked");
            for (metric, value) in GENERATED.iter().zip(sample.values) {
                if let (Some(value), Source::Generated) = (value, &self.sources[metric.index()]) {
                    // Ticks only move forward, so the push cannot be refused.
                    let _ = self
                        .visible
                        .metrics
                        .get_mut(*metric)
                        .push(ts(sample.time), value);
                }
            }
        }
        for metric in Metric::ALL {
            if !self.has_recorded {
                break;
            }
            if let Source::Recorded {
                times,
                values,
                next,
            } = &mut self.sources[metric.index()]
            {
                let history = self.visible.metrics.get_mut(metric);
                while *next < times.len() && times[*next] <= visible_until {
                    let _ = history.push(ts(times[*next]), values[*next]);
                    *next += 1;
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Nodes.

    /// A new node joins now, in `starting` (or usable at once with a zero start delay, or
    /// `usable` for a node present from the pool's creation).
    fn join_node(&mut self, priority: Priority, usable: bool) -> u64 {
        let id = self.next_node;
        self.next_node += 1;
        let node = Node {
            priority,
            base: Base::Starting,
            life: 0,
            leaving: None,
            leave_gen: 0,
            allocated: self.now,
            requested: self.now,
            state: NodeState::Starting,
            state_since: self.now,
            tasks_run: 0,
            tasks_succeeded: 0,
            running: Vec::new(),
            used_slots: 0,
            load: 0,
        };
        self.nodes.insert(id, node);
        let mark = Mark {
            priority,
            state: None,
            used: 0,
            load: 0,
            index_key: None,
        };
        self.start_node(id, usable);
        self.commit(id, mark);
        id
    }

    /// Starts a node that joined or recovered: usable after the start delay, preempted
    /// after its own draw of the hazard.
    fn start_node(&mut self, id: u64, usable: bool) {
        let start = if usable {
            0
        } else {
            self.params.start_delay.sample(&mut self.streams.start)
        };
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        let (life, priority) = (node.life, node.priority);
        if start == 0 {
            node.base = Base::Usable;
        } else {
            node.base = Base::Starting;
            self.schedule(self.now + start, EventKind::Ready { node: id, life });
        }
        let hazard = self.params.preemption_per_node_hour;
        if priority == Priority::LowPriority && hazard > 0.0 {
            let hours = self.streams.preemption.exponential(1.0 / hazard);
            let ticks = libm::round(hours * TICKS_PER_HOUR as f64);
            // Beyond a thousand years is never.
            if ticks < 1000.0 * 8766.0 * TICKS_PER_HOUR as f64 {
                self.schedule(
                    self.now + ticks as i64,
                    EventKind::Preempt { node: id, life },
                );
            }
        }
    }

    fn preempt(&mut self, id: u64) {
        let mark = self.mark(id);
        self.kill_tasks(id, DeallocationOption::Requeue);
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        node.base = Base::Preempted;
        node.life += 1;
        let life = node.life;
        let leaving = node.leaving;
        self.commit(id, mark);
        let recovery = self
            .params
            .recovery_delay
            .sample(&mut self.streams.recovery);
        self.schedule(self.now + recovery, EventKind::Recover { node: id, life });
        if leaving.is_some_and(|not_before| not_before <= self.now) {
            self.drop_node(id);
        }
    }

    fn recover(&mut self, id: u64) {
        let mark = self.mark(id);
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        node.life += 1;
        self.start_node(id, false);
        self.commit(id, mark);
    }

    fn resize(&mut self, priority: Priority, target: u32, option: DeallocationOption) {
        let staying = self
            .nodes
            .values()
            .filter(|n| n.priority == priority && n.leaving.is_none())
            .count() as u64;
        let joining = self
            .joins
            .values()
            .filter(|j| j.priority == priority)
            .count() as u64;
        let have = staying + joining;
        let target = u64::from(target);
        if target > have {
            let mut need = target - have;
            let leaving: Vec<u64> = self
                .nodes
                .iter()
                .filter(|(_, n)| n.priority == priority && n.leaving.is_some())
                .map(|(&id, _)| id)
                .take(need as usize)
                .collect();
            for id in leaving {
                self.take_back(id);
                need -= 1;
            }
            for _ in 0..need {
                let delay = self
                    .params
                    .allocation_delay
                    .sample(&mut self.streams.allocation);
                let join = self.next_join;
                self.next_join += 1;
                let due = self.now + delay;
                self.joins.insert(
                    join,
                    PendingJoin {
                        priority,
                        due,
                        requested: self.now,
                    },
                );
                self.schedule(due, EventKind::Join { join });
            }
        } else if target < have {
            let mut excess = have - target;
            // Cancel the joins that would come last.
            let mut joins: Vec<(i64, u64)> = self
                .joins
                .iter()
                .filter(|(_, j)| j.priority == priority)
                .map(|(&id, j)| (j.due, id))
                .collect();
            joins.sort_unstable();
            while excess > 0 {
                let Some((_, id)) = joins.pop() else { break };
                self.joins.remove(&id);
                excess -= 1;
            }
            if excess > 0 {
                for id in self.removal_candidates(priority, excess as usize) {
                    self.remove_node(id, option);
                }
            }
        }
    }

    /// The `count` nodes of a priority a shrink removes, in removal order.
    fn removal_candidates(&mut self, priority: Priority, count: usize) -> Vec<u64> {
        let mut candidates: Vec<(bool, usize, std::cmp::Reverse<u64>)> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.priority == priority && n.leaving.is_none())
            .map(|(&id, n)| {
                (
                    n.display_state() != NodeState::Idle,
                    n.running.len(),
                    std::cmp::Reverse(id),
                )
            })
            .collect();
        match self.params.removal_order {
            RemovalOrder::IdleFirst => {
                candidates.sort_unstable();
                candidates.truncate(count);
                candidates.into_iter().map(|c| c.2.0).collect()
            }
            RemovalOrder::Random => {
                // In allocation order, then a partial Fisher-Yates shuffle.
                candidates.sort_unstable_by_key(|c| c.2.0);
                let count = count.min(candidates.len());
                for i in 0..count {
                    let j = i + self.streams.order.below(candidates.len() - i);
                    candidates.swap(i, j);
                }
                candidates.truncate(count);
                candidates.into_iter().map(|c| c.2.0).collect()
            }
        }
    }

    /// Removes a node now with `option`: its tasks are requeued or terminated at once, or
    /// (`taskcompletion`, `retaineddata`) left to finish; it turns `leavingpool` and
    /// leaves after the removal delay, once it runs no task.
    fn remove_node(&mut self, id: u64, option: DeallocationOption) {
        let mark = self.mark(id);
        if matches!(
            option,
            DeallocationOption::Requeue | DeallocationOption::Terminate
        ) {
            self.kill_tasks(id, option);
        }
        let delay = self.params.removal_delay.sample(&mut self.streams.removal);
        let not_before = self.now + delay;
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        node.leaving = Some(not_before);
        node.leave_gen += 1;
        let (leave_gen, idle) = (node.leave_gen, node.running.is_empty());
        self.commit(id, mark);
        if delay == 0 && idle {
            self.drop_node(id);
        } else if delay > 0 {
            self.schedule(
                not_before,
                EventKind::Leave {
                    node: id,
                    leave_gen,
                },
            );
        }
    }

    /// A leaving node returns to the pool.
    fn take_back(&mut self, id: u64) {
        let mark = self.mark(id);
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        node.leaving = None;
        node.leave_gen += 1;
        self.commit(id, mark);
    }

    /// Kills a node's running tasks: requeued (work lost) or terminated (failed).
    fn kill_tasks(&mut self, id: u64, option: DeallocationOption) {
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        let running = std::mem::take(&mut node.running);
        node.used_slots = 0;
        node.load = 0;
        for run in running {
            self.tasks.running -= 1;
            if option == DeallocationOption::Terminate {
                self.tasks.terminated += 1;
                self.failed_window += 1;
                self.tasks.last_end = Some(self.now);
            } else {
                self.tasks.requeued += 1;
                self.tasks.wasted_ticks += (self.now - run.started).max(0) as u128;
                self.enqueue(run.task);
            }
        }
    }

    /// A node leaves the pool now.
    fn drop_node(&mut self, id: u64) {
        let mark = self.mark(id);
        self.nodes.remove(&id);
        self.uncount(mark);
        if let Some(key) = mark.index_key {
            self.free.remove(&key);
        }
    }

    /// What a node contributes now.
    fn mark(&self, id: u64) -> Mark {
        let node = &self.nodes[&id];
        Mark {
            priority: node.priority,
            state: Some(node.display_state()),
            used: node.used_slots,
            load: node.load,
            index_key: self.index_key(node, id),
        }
    }

    fn index_key(&self, node: &Node, id: u64) -> Option<(u32, u64)> {
        let free = self.params.task_slots_per_node - node.used_slots;
        (node.base == Base::Usable && node.leaving.is_none() && free > 0).then_some((free, id))
    }

    fn uncount(&mut self, mark: Mark) {
        if let Some(state) = mark.state {
            self.counts[mark.priority.index()][state.index()] -= 1;
            if matches!(state, NodeState::Idle | NodeState::Running) {
                self.usable_used -= u64::from(mark.used);
                self.usable_load -= mark.load;
            }
        }
    }

    /// Applies a node's change since `before` to the aggregates and the free index.
    fn commit(&mut self, id: u64, before: Mark) {
        self.uncount(before);
        let now = self.now;
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        let state = node.display_state();
        if before.state != Some(state) {
            node.state = state;
            node.state_since = now;
        }
        let (used, load, priority) = (node.used_slots, node.load, node.priority);
        let (allocated, requested) = (node.allocated, node.requested);
        self.counts[priority.index()][state.index()] += 1;
        let usable = |s: Option<NodeState>| matches!(s, Some(NodeState::Idle | NodeState::Running));
        if usable(Some(state)) {
            self.usable_used += u64::from(used);
            self.usable_load += load;
            if self.watch_usable && !usable(before.state) {
                self.watch_usable = false;
                self.first_usable = Some(FirstUsable {
                    ready: ts(now),
                    joined: ts(allocated),
                    requested: ts(requested),
                });
            }
        }
        let key = self.index_key(&self.nodes[&id], id);
        if before.index_key != key {
            if let Some(old) = before.index_key {
                self.free.remove(&old);
            }
            if let Some(new) = key {
                self.free.insert(new);
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Tasks.

    fn enqueue(&mut self, task: Task) {
        self.tasks.queued += 1;
        *self.queue_slots.entry(task.slots).or_insert(0) += 1;
        self.queue
            .insert((-i64::from(task.priority), task.seq), task);
    }

    /// Places queued tasks on nodes with room, in queue order; a task that fits no node
    /// now lets later ones that fit go first.
    fn place(&mut self) {
        let mut after: Option<(i64, u64)> = None;
        loop {
            let Some(&(max_free, _)) = self.free.last() else {
                return;
            };
            let Some((&min_need, _)) = self.queue_slots.first_key_value() else {
                return;
            };
            if max_free < min_need {
                return;
            }
            let mut range = match after {
                None => self.queue.range(..),
                Some(key) => self
                    .queue
                    .range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded)),
            };
            let Some((&key, _)) = range.find(|(_, t)| t.slots <= max_free) else {
                return;
            };
            after = Some(key);
            let task = self.queue.remove(&key).expect("found");
            self.tasks.queued -= 1;
            let count = self.queue_slots.get_mut(&task.slots).expect("counted");
            *count -= 1;
            if *count == 0 {
                self.queue_slots.remove(&task.slots);
            }
            let node = match self.params.node_fill {
                NodeFill::Spread => {
                    let first = self.free.range((max_free, 0)..).next();
                    first.expect("the largest free count is in the index").1
                }
                NodeFill::Pack => {
                    let first = self.free.range((task.slots, 0)..).next();
                    first.expect("a node with room exists").1
                }
            };
            self.start_task(node, task);
        }
    }

    fn start_task(&mut self, id: u64, mut task: Task) {
        let mark = self.mark(id);
        let started = self.now + self.params.placement_latency.ticks().max(0);
        if !task.started_before {
            task.started_before = true;
            self.tasks
                .queue_wait
                .record((started - task.submitted) as u64);
        }
        self.tasks.running += 1;
        let run = self.next_run;
        self.next_run += 1;
        let end = started + task.duration;
        let node = self.nodes.get_mut(&id).expect("a node of the pool");
        node.used_slots += task.slots;
        node.load += u64::from(task.slots) * u64::from(task.cpu);
        node.tasks_run += 1;
        node.running.push(RunningTask { task, started, run });
        self.commit(id, mark);
        self.schedule(end, EventKind::TaskEnd { node: id, run });
    }

    fn end_task(&mut self, id: u64, run: u64) {
        let Some(position) = self
            .nodes
            .get(&id)
            .and_then(|n| n.running.iter().position(|r| r.run == run))
        else {
            return;
        };
        let mark = self.mark(id);
        let node = self.nodes.get_mut(&id).expect("found");
        let done = node.running.swap_remove(position);
        node.used_slots -= done.task.slots;
        node.load -= u64::from(done.task.slots) * u64::from(done.task.cpu);
        node.tasks_succeeded += 1;
        let gone = node.running.is_empty() && node.leaving.is_some_and(|nb| nb <= self.now);
        self.tasks.running -= 1;
        self.tasks.completed += 1;
        self.tasks.last_end = Some(self.now);
        self.succeeded_window += 1;
        self.commit(id, mark);
        if gone {
            self.drop_node(id);
        }
        self.place();
    }
}

fn info(id: u64, n: &Node) -> NodeInfo {
    NodeInfo {
        id,
        priority: n.priority,
        state: n.state,
        allocation_time: ts(n.allocated),
        state_transition_time: ts(n.state_since),
        tasks_run: n.tasks_run,
        tasks_succeeded: n.tasks_succeeded,
        running_tasks: n.running.len() as u32,
        running_slots: n.used_slots,
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
