//! The pool's nodes, tasks and workload samples: the simulator's model
//! (`batchscale_sim::model::Model`, issue 10), stepped to the emulator clock's instant.
//! This module is the small adapter the state machine (`pool.rs`) drives: node ids after
//! the real ones (1.7), the capacity of 1000 nodes per type (6.2), the emulator's
//! parameters, and the few operations the emulator names differently.

use batchscale::{DeallocationOption, Interval, Metric, SampleHistory, Snapshot, Timestamp};
use batchscale_sim::model::{Model, ModelParams, NodeInfo, Priority, TaskSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use batchscale_sim::model::NodeFill as Fill;

/// At most this many nodes of each type per pool (6.2).
pub const MAX_NODES_PER_TYPE: u32 = 1000;

/// The delays the model runs with (flags: not stored, given at each start).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Joins, departures and stops take this long.
    pub allocation: Interval,
    /// A joined node starts this long.
    pub start: Interval,
    /// Samples are visible this long after their time.
    pub sample_lag: Interval,
}

/// One pool's model and the seed of its node ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeModel {
    /// `{account}/{lower-cased pool id}/{creation ticks}`: node ids hash it with `/n`.
    pub id_seed: String,
    /// The simulator's model.
    pub inner: Model,
}

fn priority(dedicated: bool) -> Priority {
    if dedicated {
        Priority::Dedicated
    } else {
        Priority::LowPriority
    }
}

fn params(timing: Timing, slots: u32, fill: Fill) -> ModelParams {
    let mut p = ModelParams::emulator(timing.allocation, timing.start, timing.sample_lag);
    p.task_slots_per_node = slots.max(1);
    p.node_fill = fill;
    p
}

impl NodeModel {
    /// An empty pool created at `created`.
    pub fn new(
        id_seed: String,
        created: Timestamp,
        slots: u32,
        fill: Fill,
        timing: Timing,
    ) -> NodeModel {
        NodeModel {
            id_seed,
            inner: Model::new(params(timing, slots, fill), created, 0),
        }
    }

    /// Brings the delays up to date (a restart with other flags).
    pub fn retime(&mut self, timing: Timing) {
        let p = self.inner.params();
        let next = params(timing, p.task_slots_per_node, p.node_fill);
        self.inner.set_params(next);
    }

    /// Changes slots per node and fill; only while the pool has no node.
    pub fn relayout(&mut self, slots: u32, fill: Fill) -> bool {
        let mut next = self.inner.params().clone();
        next.task_slots_per_node = slots.max(1);
        next.node_fill = fill;
        self.inner.set_params(next)
    }

    /// The node id of allocation `n`: `tvmps_` + SHA-256 hex + `_d`/`_p` (1.7).
    pub fn node_id(&self, n: u64, dedicated: bool) -> String {
        let digest = Sha256::digest(format!("{}/{n}", self.id_seed).as_bytes());
        let mut id = String::with_capacity(6 + 64 + 2);
        id.push_str("tvmps_");
        for b in digest {
            id.push_str(&format!("{b:02x}"));
        }
        id.push_str(if dedicated { "_d" } else { "_p" });
        id
    }

    /// Every node in allocation order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeInfo> + '_ {
        self.inner.nodes()
    }

    /// How many nodes are in the pool, every type and state.
    pub fn node_count(&self) -> u32 {
        self.current(true) + self.current(false)
    }

    /// Nodes of a type in the pool (`leavingpool` included).
    pub fn current(&self, dedicated: bool) -> u32 {
        self.inner.current_nodes(priority(dedicated))
    }

    /// Nodes `idle` or `running`.
    pub fn usable(&self) -> u32 {
        self.inner.usable_nodes()
    }

    /// No join pending and no node leaving.
    pub fn settled(&self) -> bool {
        !self.inner.joins_pending() && !self.inner.nodes_leaving()
    }

    /// Whether joins are pending.
    pub fn joins_pending(&self) -> bool {
        self.inner.joins_pending()
    }

    /// When the model's next event falls.
    pub fn next_event_time(&self) -> Option<Timestamp> {
        self.inner.next_event_time()
    }

    /// Fires every model event at or before `t` and takes the samples on the way.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.inner.advance_to(t);
    }

    /// Resizes toward the targets, capped at the capacity.
    pub fn set_targets(&mut self, dedicated: u32, low_priority: u32, option: DeallocationOption) {
        self.inner.set_targets(
            dedicated.min(MAX_NODES_PER_TYPE),
            low_priority.min(MAX_NODES_PER_TYPE),
            option,
        );
    }

    /// Cancels pending joins, leaving nodes as they are (a resize timeout).
    pub fn cancel_joins(&mut self) {
        self.inner.cancel_joins();
    }

    /// Stops a resize.
    pub fn stop(&mut self) {
        self.inner.stop_resize();
    }

    /// Removes every node with `requeue` (a deletion).
    pub fn remove_all(&mut self) {
        self.inner.remove_all();
    }

    /// Removes nodes by allocation number.
    pub fn remove_nodes(&mut self, ids: &[u64], option: DeallocationOption) {
        self.inner.remove_nodes(ids, option);
    }

    /// A node's allocation number by id (case-insensitive).
    pub fn find(&self, id: &str) -> Option<NodeInfo> {
        self.nodes().find(|n| {
            self.node_id(n.id, n.priority == Priority::Dedicated)
                .eq_ignore_ascii_case(id)
        })
    }

    /// Queues `count` tasks at now.
    pub fn submit(&mut self, count: u32, slots: u32, duration: Interval) {
        self.inner
            .submit_many(u64::from(count), &TaskSpec::new(slots, duration));
    }

    /// (active, running, succeeded, failed).
    pub fn task_counts(&self) -> (u64, u64, u64, u64) {
        let t = self.inner.tasks();
        (t.active(), t.running, t.completed, t.terminated)
    }

    /// The snapshot an evaluation at the model's instant sees (generated metrics with
    /// their lag), before the pool's targets and injected metrics are laid over it.
    pub fn snapshot(&mut self) -> Snapshot {
        self.inner.snapshot().clone()
    }

    /// A generated metric's visible history.
    pub fn history(&mut self, metric: Metric) -> SampleHistory {
        self.inner.history(metric).clone()
    }
}
