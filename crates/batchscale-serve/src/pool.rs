//! One pool and its state machine (emulator.md section 6): allocation states, resizes and
//! their timeouts, stops, autoscale runs on a schedule, deletion; the ETag rule (a change
//! of targets, settings or `state` only); what an evaluation sees (6.4).

use std::collections::BTreeMap;
use std::sync::Arc;

use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{
    AutoScaleRun, CompiledFormula, DeallocationOption, Interval, Metric, SampleHistory, Snapshot,
    Timestamp,
};
use batchscale_sim::model::{GENERATED, SAMPLE_PERIOD};
use serde::{Deserialize, Serialize};

use crate::model::{Fill, NodeModel, Timing};
use crate::usage::UsageBook;

/// `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifecycle {
    /// `active`.
    Active,
    /// `deleting`.
    Deleting,
}

/// `allocationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Allocation {
    /// `steady`.
    Steady,
    /// `resizing`.
    Resizing,
    /// `stopping`.
    Stopping,
}

impl Allocation {
    /// The REST name.
    pub fn name(self) -> &'static str {
        match self {
            Allocation::Steady => "steady",
            Allocation::Resizing => "resizing",
            Allocation::Stopping => "stopping",
        }
    }
}

/// A resize error (`{code, message}`; `values` never produced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResizeError {
    /// `ResizeStopped`, `AllocationTimedout`, `AccountCoreQuotaReached`.
    pub code: String,
    /// The message of 6.1/6.2.
    pub message: String,
}

/// Autoscale settings and schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutoScale {
    /// The formula text.
    pub formula: String,
    /// The evaluation interval.
    #[serde(with = "crate::serde_util::iv")]
    pub interval: Interval,
    /// Runs fall at anchor + k × interval.
    #[serde(with = "crate::serde_util::ts")]
    pub anchor: Timestamp,
    /// The next periodic run.
    #[serde(with = "crate::serde_util::ts")]
    pub next_run: Timestamp,
    /// The last run.
    pub run: Option<AutoScaleRun>,
    /// The compiled formula (not stored; compiled again on load).
    #[serde(skip)]
    pub compiled: Option<Arc<CompiledFormula>>,
}

impl AutoScale {
    /// The compiled formula, compiling it if needed (a stored formula was valid).
    pub fn compiled(&mut self) -> Option<Arc<CompiledFormula>> {
        if self.compiled.is_none() {
            self.compiled = CompiledFormula::new(&self.formula).ok().map(Arc::new);
        }
        self.compiled.clone()
    }
}

/// One pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pool {
    /// As given at add (case kept).
    pub id: String,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `creationTime`.
    #[serde(with = "crate::serde_util::ts")]
    pub creation_time: Timestamp,
    /// `lastModified` (the ETag).
    #[serde(with = "crate::serde_util::ts")]
    pub last_modified: Timestamp,
    /// `state`.
    pub state: Lifecycle,
    /// `stateTransitionTime`.
    #[serde(with = "crate::serde_util::ts")]
    pub state_transition_time: Timestamp,
    /// `allocationState`.
    pub allocation: Allocation,
    /// `allocationStateTransitionTime`.
    #[serde(with = "crate::serde_util::ts")]
    pub allocation_transition_time: Timestamp,
    /// `vmSize` as given.
    pub vm_size: String,
    /// `resizeTimeout`.
    #[serde(with = "crate::serde_util::iv")]
    pub resize_timeout: Interval,
    /// `targetDedicatedNodes`.
    pub target_dedicated: u32,
    /// `targetLowPriorityNodes`.
    pub target_low_priority: u32,
    /// `resizeErrors` of the last resize.
    pub resize_errors: Vec<ResizeError>,
    /// When the current resize times out.
    #[serde(with = "crate::serde_util::ots")]
    pub resize_deadline: Option<Timestamp>,
    /// The option of the current resize.
    #[serde(with = "crate::serde_util::dealloc")]
    pub resize_option: DeallocationOption,
    /// A run's resize waiting for a stop to settle.
    pub resize_after_stop: bool,
    /// When `stopping` settles.
    #[serde(with = "crate::serde_util::ots")]
    pub stop_at: Option<Timestamp>,
    /// When a deleting pool vanishes.
    #[serde(with = "crate::serde_util::ots")]
    pub delete_at: Option<Timestamp>,
    /// Autoscale settings, while on.
    pub autoscale: Option<AutoScale>,
    /// The instant of the last successful enable or autoscale add (the 30-s rule).
    #[serde(with = "crate::serde_util::ots")]
    pub last_enable: Option<Timestamp>,
    /// `enableInterNodeCommunication`.
    pub inter_node: bool,
    /// `taskSlotsPerNode`.
    pub task_slots_per_node: u32,
    /// `taskSchedulingPolicy.nodeFillType` as given (`Spread`/`Pack`).
    pub fill: Fill,
    /// The other fields, echoed as given, by REST name.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Injected samples per metric name (visible when their time ≤ now).
    pub injected: BTreeMap<String, Vec<(i64, f64)>>,
    /// Where usage accounting has got to.
    #[serde(with = "crate::serde_util::ts")]
    pub usage_cursor: Timestamp,
    /// Nodes, tasks, samples.
    pub model: NodeModel,
    /// The pool as a list item, kept while nothing it shows has changed.
    #[serde(skip)]
    pub list_item: ListItemCache,
}

/// What a list item shows that can change: `lastModified` covers every pool-level change;
/// the rest are the node-level ones that leave it alone (6.1).
#[derive(Debug, Clone, PartialEq)]
pub struct ListItemStamp {
    base: String,
    last_modified: Timestamp,
    allocation: Allocation,
    allocation_since: Timestamp,
    current: (u32, u32),
    errors: usize,
    run: Option<String>,
}

/// A cache of the rendered list item (rendering 100 pools is most of a list page's cost).
#[derive(Debug, Default)]
pub struct ListItemCache(std::sync::Mutex<Option<(ListItemStamp, std::sync::Arc<str>)>>);

impl Clone for ListItemCache {
    /// A copy starts empty.
    fn clone(&self) -> ListItemCache {
        ListItemCache::default()
    }
}

impl Pool {
    /// The pool as a list item (no `odata.metadata`, every field), from the cache when
    /// nothing it shows has changed since it was rendered.
    pub fn list_item(&self, base: &str) -> std::sync::Arc<str> {
        let stamp = ListItemStamp {
            base: base.to_string(),
            last_modified: self.last_modified,
            allocation: self.allocation,
            allocation_since: self.allocation_transition_time,
            current: (self.model.current(true), self.model.current(false)),
            errors: self.resize_errors.len(),
            run: self
                .autoscale
                .as_ref()
                .and_then(|a| a.run.as_ref())
                .map(|r| r.timestamp.clone()),
        };
        let mut cache = self.list_item.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, text)) = cache.as_ref()
            && *cached == stamp
        {
            return text.clone();
        }
        let text: std::sync::Arc<str> = crate::render::pool_json(self, base, false, None).into();
        *cache = Some((stamp, text.clone()));
        text
    }
}

/// The delays and the instant an operation runs with.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// The emulator clock's instant.
    pub now: Timestamp,
    /// Allocation delay and start delay.
    pub timing: Timing,
    /// A deleted pool lingers this long.
    pub deletion: Interval,
    /// Workload samples are visible after this.
    pub sample_lag: Interval,
}

/// What a periodic advance did that the caller must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Still there.
    Lives,
    /// Gone (deletion finished).
    Vanished,
}

fn add(t: Timestamp, i: Interval) -> Timestamp {
    t.checked_add(i).unwrap_or(t)
}

/// The default `resizeTimeout` and interval: 15 minutes.
pub const FIFTEEN_MINUTES: Interval = Interval(15 * TICKS_PER_MINUTE);

impl Pool {
    /// The pool's `lastModified` after a change at `now`: max(now, previous + 100 ns).
    pub fn touch(&mut self, now: Timestamp) {
        let bumped = Timestamp::from_ticks(self.last_modified.ticks() + 1).unwrap_or(now);
        self.last_modified = now.max(bumped);
    }

    /// Whether autoscale is on.
    pub fn autoscale_on(&self) -> bool {
        self.autoscale.is_some()
    }

    /// The next instant a timer of this pool falls due.
    pub fn next_due(&self) -> Option<Timestamp> {
        let mut due = self.model.next_event_time();
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        if self.state == Lifecycle::Active {
            consider(self.autoscale.as_ref().map(|a| a.next_run));
        }
        if self.allocation == Allocation::Resizing && self.model.joins_pending() {
            consider(self.resize_deadline);
        }
        consider(self.stop_at);
        consider(self.delete_at);
        due
    }

    /// Fires every timer at or before `target` in order and takes samples and usage up to
    /// it. Node-level events never touch the ETag.
    pub fn advance(
        &mut self,
        target: Timestamp,
        ctx: &Ctx,
        book: &mut UsageBook,
        cores: u32,
    ) -> Fate {
        while let Some(due) = self.next_due().filter(|&d| d <= target) {
            self.account_usage(due, book, cores);
            // Node-level events at or before `due` first.
            self.model.advance_to(due);
            self.check_settled(due);
            let step = Ctx { now: due, ..*ctx };
            if self.delete_at.is_some_and(|t| t <= due) {
                return Fate::Vanished;
            }
            if self.stop_at.is_some_and(|t| t <= due) {
                self.stop_at = None;
                self.set_allocation(Allocation::Steady, due);
                if self.resize_after_stop {
                    self.resize_after_stop = false;
                    self.start_resize(&step);
                }
            }
            if self.allocation == Allocation::Resizing
                && self.resize_deadline.is_some_and(|t| t <= due)
                && self.model.joins_pending()
            {
                self.model.cancel_joins();
                self.resize_deadline = None;
                for (dedicated, target) in [
                    (true, self.target_dedicated),
                    (false, self.target_low_priority),
                ] {
                    if self.model.current(dedicated) < target.min(crate::model::MAX_NODES_PER_TYPE)
                    {
                        self.resize_errors
                            .push(resize_error("AllocationTimedout", dedicated));
                    }
                }
                self.check_settled(due);
            }
            if self.state == Lifecycle::Active
                && let Some(auto) = &mut self.autoscale
                && auto.next_run <= due
            {
                let mut next = auto.next_run;
                while next <= due {
                    next = add(next, auto.interval);
                    if auto.interval.ticks() <= 0 {
                        break;
                    }
                }
                auto.next_run = next;
                self.run_autoscale(&step, due, true);
            }
        }
        self.account_usage(target, book, cores);
        self.model.advance_to(target);
        self.check_settled(target);
        Fate::Lives
    }

    fn account_usage(&mut self, until: Timestamp, book: &mut UsageBook, cores: u32) {
        if until <= self.usage_cursor {
            return;
        }
        let nodes = u64::from(self.model.node_count());
        book.accumulate(
            &self.id,
            &self.vm_size,
            self.usage_cursor,
            until,
            nodes * u64::from(cores),
        );
        self.usage_cursor = until;
    }

    fn set_allocation(&mut self, allocation: Allocation, at: Timestamp) {
        if self.allocation != allocation {
            self.allocation = allocation;
            self.allocation_transition_time = at;
        }
    }

    /// `resizing` turns `steady` once no join is pending and no node is leaving.
    fn check_settled(&mut self, at: Timestamp) {
        // A deleting pool stays `resizing` until it vanishes (6.1).
        if self.state == Lifecycle::Deleting {
            return;
        }
        if self.allocation == Allocation::Resizing && self.model.settled() {
            if self.state == Lifecycle::Active {
                for (dedicated, target) in [
                    (true, self.target_dedicated),
                    (false, self.target_low_priority),
                ] {
                    if target > crate::model::MAX_NODES_PER_TYPE
                        && !self
                            .resize_errors
                            .iter()
                            .any(|e| e.code == "AccountCoreQuotaReached")
                    {
                        self.resize_errors.push(ResizeError {
                            code: "AccountCoreQuotaReached".to_string(),
                            message: format!(
                                "Desired number of {} nodes could not be allocated: the emulator holds at most 1000 per pool",
                                if dedicated { "dedicated" } else { "low priority" }
                            ),
                        });
                    }
                }
            }
            self.resize_deadline = None;
            self.set_allocation(Allocation::Steady, at);
        }
    }

    /// Starts (or re-aims) a resize toward the pool's targets with its option.
    pub fn start_resize(&mut self, ctx: &Ctx) {
        self.resize_errors.clear();
        self.set_allocation(Allocation::Resizing, ctx.now);
        self.resize_deadline = Some(add(ctx.now, self.resize_timeout));
        self.model.set_targets(
            self.target_dedicated,
            self.target_low_priority,
            self.resize_option,
        );
        self.check_settled(ctx.now);
    }

    /// The snapshot an evaluation at `now` sees (6.4): the model's (nodes, generated
    /// metrics with their lag) with the pool's targets and the injected metrics laid over
    /// it. The model must have been advanced to `now`.
    pub fn snapshot(&mut self, now: Timestamp) -> Snapshot {
        let mut snapshot = self.model.snapshot();
        snapshot.evaluation_time = Some(now);
        snapshot.random_seed = None;
        let p = &mut snapshot.pool;
        p.target_dedicated_nodes = f64::from(self.target_dedicated);
        p.target_low_priority_nodes = f64::from(self.target_low_priority);
        p.task_slots_per_node = f64::from(self.task_slots_per_node);
        for metric in Metric::ALL {
            if let Some(samples) = self.injected.get(metric.name()) {
                let visible: Vec<(Timestamp, f64)> = samples
                    .iter()
                    .filter(|(t, _)| *t <= now.ticks())
                    .filter_map(|&(t, v)| Timestamp::from_ticks(t).map(|t| (t, v)))
                    .collect();
                if let Ok(history) =
                    SampleHistory::from_samples(Interval(30 * TICKS_PER_SECOND), visible)
                {
                    snapshot.metrics.set(metric, history);
                }
            } else if !GENERATED.contains(&metric) {
                snapshot.metrics.set(metric, SampleHistory::default());
            }
        }
        snapshot
    }

    /// The snapshot as JSON (`GET /_emulator/pools/{id}/snapshot`): injected metrics in the
    /// explicit form, generated ones in the regular form with `null` gaps.
    pub fn snapshot_json(&mut self, now: Timestamp) -> String {
        let snapshot = self.snapshot(now);
        let mut pool = crate::json::Obj::new();
        let p = &snapshot.pool;
        pool.value("targetDedicatedNodes", &p.target_dedicated_nodes)
            .value("targetLowPriorityNodes", &p.target_low_priority_nodes)
            .value("currentDedicatedNodes", &p.current_dedicated_nodes)
            .value("currentLowPriorityNodes", &p.current_low_priority_nodes)
            .value("taskSlotsPerNode", &p.task_slots_per_node)
            .value("usableNodeCount", &p.usable_node_count);
        let mut metrics = crate::json::Obj::new();
        for metric in Metric::ALL {
            let history = snapshot.metrics.get(metric);
            if self.injected.contains_key(metric.name()) {
                let samples: Vec<String> = history
                    .times()
                    .iter()
                    .zip(history.values())
                    .map(|(t, v)| {
                        let mut o = crate::json::Obj::new();
                        o.time("time", *t).value("value", v);
                        o.finish()
                    })
                    .collect();
                let mut series = crate::json::Obj::new();
                series.raw("samples", &format!("[{}]", samples.join(",")));
                metrics.raw(metric.name(), &series.finish());
            } else if GENERATED.contains(&metric)
                && let (Some(&first), Some(&last)) =
                    (history.times().first(), history.times().last())
            {
                let mut values = Vec::new();
                let mut k = 0;
                let mut t = first.ticks();
                while t <= last.ticks() {
                    if history.times().get(k).is_some_and(|x| x.ticks() == t) {
                        values.push(
                            serde_json::to_string(&history.values()[k])
                                .unwrap_or_else(|_| "null".into()),
                        );
                        k += 1;
                    } else {
                        values.push("null".to_string());
                    }
                    t += SAMPLE_PERIOD;
                }
                let mut series = crate::json::Obj::new();
                series
                    .time("start", first)
                    .str("period", "PT30S")
                    .raw("values", &format!("[{}]", values.join(",")));
                metrics.raw(metric.name(), &series.finish());
            }
        }
        let mut root = crate::json::Obj::new();
        root.time("evaluationTime", now)
            .raw("pool", &pool.finish())
            .raw("metrics", &metrics.finish());
        root.finish()
    }

    /// Runs the pool's formula at `ctx.now` (enable, add, periodic). Stores the run; on
    /// success with other targets, applies them (6.1). Returns whether the targets changed.
    /// `eval_at` is the run's instant (an enable's is its `lastModified`, which a second
    /// change at one manual-clock instant puts 100 ns after the clock); the resize it
    /// starts happens at `ctx.now`.
    pub fn run_autoscale(&mut self, ctx: &Ctx, eval_at: Timestamp, periodic: bool) -> bool {
        let snapshot = self.snapshot(eval_at);
        let Some(auto) = &mut self.autoscale else {
            return false;
        };
        let Some(compiled) = auto.compiled() else {
            return false;
        };
        let evaluation = compiled.evaluate_at(&snapshot, eval_at);
        auto.run = Some(evaluation.run);
        let Some(decision) = evaluation.decision else {
            return false;
        };
        if decision.dedicated == self.target_dedicated
            && decision.low_priority == self.target_low_priority
        {
            return false;
        }
        self.target_dedicated = decision.dedicated;
        self.target_low_priority = decision.low_priority;
        self.resize_option = decision.deallocation;
        if periodic {
            self.touch(ctx.now);
        }
        match self.allocation {
            Allocation::Stopping => self.resize_after_stop = true,
            Allocation::Steady | Allocation::Resizing => self.start_resize(ctx),
        }
        true
    }

    /// Stops a resize (6.1): joins cancelled, leaving nodes return, `stopping` for the
    /// allocation delay; targets unchanged.
    pub fn stop_resize(&mut self, ctx: &Ctx) {
        if self.allocation != Allocation::Resizing {
            return;
        }
        self.model.stop();
        self.resize_deadline = None;
        self.resize_errors.clear();
        for (dedicated, target) in [
            (true, self.target_dedicated),
            (false, self.target_low_priority),
        ] {
            if self.model.current(dedicated) != target {
                self.resize_errors
                    .push(resize_error("ResizeStopped", dedicated));
            }
        }
        self.set_allocation(Allocation::Stopping, ctx.now);
        self.stop_at = Some(add(ctx.now, ctx.timing.allocation));
    }

    /// Marks the pool deleting (6.1).
    pub fn delete(&mut self, ctx: &Ctx) {
        self.touch(ctx.now);
        self.state = Lifecycle::Deleting;
        self.state_transition_time = ctx.now;
        self.stop_at = None;
        self.resize_after_stop = false;
        self.resize_deadline = None;
        self.target_dedicated = 0;
        self.target_low_priority = 0;
        self.set_allocation(Allocation::Resizing, ctx.now);
        self.model.remove_all();
        self.delete_at = Some(add(ctx.now, ctx.deletion));
    }
}

/// `ResizeStopped` / `AllocationTimedout` for a node type (6.1).
pub fn resize_error(code: &str, dedicated: bool) -> ResizeError {
    let kind = if dedicated {
        "dedicated"
    } else {
        "low priority"
    };
    let why = if code == "ResizeStopped" {
        "due to a stop resize operation"
    } else {
        "as the resize timeout was reached"
    };
    ResizeError {
        code: code.to_string(),
        message: format!("Desired number of {kind} nodes could not be allocated {why}"),
    }
}
