//! The emulator's state: the clock (1.4), every account's pools and usage, the timer
//! queue, and the operations of section 2 applied to validated requests (section 6).
//! Requests are serialisable: the HTTP layer holds one lock around lookup, conditions,
//! state checks, apply and commit.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Instant;

use batchscale::time::TICKS_PER_SECOND;
use batchscale::{AutoScaleRun, Interval, Timestamp};

use crate::body::{Enable, NewPool, RemoveNodes, Resize, Schema, Update};
use crate::config::{ClockMode, Config, Delays};
use crate::error::ApiError;
use crate::model::{NodeModel, Timing};
use crate::pool::{Allocation, AutoScale, Ctx, Fate, Lifecycle, Pool};
use crate::usage::UsageBook;

/// The emulator clock (1.4): 100-ns resolution, never backwards.
#[derive(Debug)]
pub struct Clock {
    mode: ClockMode,
    anchor: Timestamp,
    anchor_wall: Instant,
    /// The last reading in ticks (readings never go back; shared by concurrent readers).
    last: std::sync::atomic::AtomicI64,
}

impl Clock {
    /// A clock starting at `start` (a new store: the wall time; a reopened one: the later
    /// of wall time and its last instant; manual: as given).
    pub fn new(mode: ClockMode, start: Timestamp) -> Clock {
        Clock {
            mode,
            anchor: start,
            anchor_wall: Instant::now(),
            last: std::sync::atomic::AtomicI64::new(start.ticks()),
        }
    }

    /// The mode.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        use std::sync::atomic::Ordering;
        let last = self.last.load(Ordering::SeqCst);
        if let ClockMode::Real { rate } = self.mode {
            let elapsed = self.anchor_wall.elapsed();
            let ticks = (elapsed.as_nanos() as f64 / 100.0 * rate) as i64;
            let t = self.anchor.ticks().saturating_add(ticks);
            if Timestamp::from_ticks(t).is_some() {
                let previous = self.last.fetch_max(t, Ordering::SeqCst);
                return Timestamp::from_ticks(previous.max(t)).unwrap_or(self.anchor);
            }
        }
        Timestamp::from_ticks(last).unwrap_or(self.anchor)
    }

    /// Moves the clock forward to `t` (both modes).
    pub fn set(&mut self, t: Timestamp) {
        let now = self.now();
        if t <= now {
            return;
        }
        if let ClockMode::Real { .. } = self.mode {
            let shift = t.ticks() - now.ticks();
            self.anchor = Timestamp::from_ticks(self.anchor.ticks() + shift).unwrap_or(self.anchor);
        }
        self.last
            .store(t.ticks(), std::sync::atomic::Ordering::SeqCst);
    }

    /// The instant `t` falls at on the wall clock (real mode), for the timer task.
    pub fn wall_delay_until(&self, t: Timestamp) -> Option<std::time::Duration> {
        let ClockMode::Real { rate } = self.mode else {
            return None;
        };
        let now = self.now();
        let ticks = (t.ticks() - now.ticks()).max(0) as f64 / rate;
        Some(std::time::Duration::from_nanos(
            (ticks * 100.0).min(3.6e12) as u64
        ))
    }
}

/// One account: its pools by lower-cased id, and its usage.
#[derive(Debug, Default)]
pub struct AccountState {
    /// Pools by lower-cased id (the list order).
    pub pools: BTreeMap<String, Pool>,
    /// Usage buckets.
    pub usage: UsageBook,
}

/// The whole emulator.
pub struct Emulator {
    /// Delays in force.
    pub delays: Delays,
    /// The clock.
    pub clock: Clock,
    /// Accounts by name.
    pub accounts: BTreeMap<String, AccountState>,
    timers: BinaryHeap<Reverse<(i64, u64, String, String)>>,
    /// The due instant queued last for each pool.
    queued: std::collections::HashMap<(String, String), i64>,
    seq: u64,
    /// Pools changed since the last commit (account, lower id).
    pub dirty: BTreeSet<(String, String)>,
    /// Whether the clock moved since the last commit.
    pub clock_dirty: bool,
}

/// What a successful operation answers.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// The pool's `lastModified` after the request (ETag, Last-Modified).
    pub last_modified: Option<Timestamp>,
    /// A body (JSON text).
    pub body: Option<String>,
    /// The pool's id as stored (for `add`'s DataServiceId).
    pub pool_id: Option<String>,
}

/// Conditional headers of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `If-Match`.
    Match(String),
    /// `If-None-Match`.
    NoneMatch(String),
    /// `If-Modified-Since` (seconds since the Unix epoch).
    ModifiedSince(i64),
    /// `If-Unmodified-Since`.
    UnmodifiedSince(i64),
}

const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

fn etag_matches(given: &str, pool: &Pool) -> bool {
    let g = given.trim();
    if g == "*" {
        return true;
    }
    let g = g.strip_prefix("W/").unwrap_or(g);
    let g = g.trim_matches('"');
    g.eq_ignore_ascii_case(&crate::json::etag(pool.last_modified))
}

fn modified_since(pool: &Pool, seconds: i64) -> bool {
    let lm =
        (crate::json::truncate_to_second(pool.last_modified) - UNIX_EPOCH_TICKS) / TICKS_PER_SECOND;
    lm > seconds
}

/// Checks a condition against a pool: `Err` is the 304 or 412 to answer.
pub fn check_condition(cond: &Option<Condition>, pool: &Pool, read: bool) -> Result<(), ApiError> {
    let Some(cond) = cond else { return Ok(()) };
    let fails = |e: ApiError| Err(e);
    match cond {
        Condition::Match(v) if !etag_matches(v, pool) => fails(ApiError::condition(read)),
        Condition::UnmodifiedSince(s) if modified_since(pool, *s) => {
            fails(ApiError::condition(read))
        }
        Condition::NoneMatch(v) if etag_matches(v, pool) => fails(if read {
            ApiError::not_modified()
        } else {
            ApiError::condition(false)
        }),
        Condition::ModifiedSince(s) if !modified_since(pool, *s) => fails(if read {
            ApiError::not_modified()
        } else {
            ApiError::condition(false)
        }),
        _ => Ok(()),
    }
}

impl Emulator {
    /// An empty emulator for the configured accounts.
    pub fn new(config: &Config, clock: Clock) -> Emulator {
        let accounts = config
            .accounts
            .iter()
            .map(|a| (a.name.clone(), AccountState::default()))
            .collect();
        Emulator {
            delays: config.delays,
            clock,
            accounts,
            timers: BinaryHeap::new(),
            queued: std::collections::HashMap::new(),
            seq: 0,
            dirty: BTreeSet::new(),
            clock_dirty: true,
        }
    }

    /// Adds a loaded pool (from the store) and schedules its timers.
    pub fn insert_loaded(&mut self, account: &str, mut pool: Pool) {
        pool.model.retime(self.timing());
        let key = pool.id.to_lowercase();
        let state = self.accounts.entry(account.to_string()).or_default();
        state.pools.insert(key.clone(), pool);
        self.schedule(account, &key);
    }

    fn timing(&self) -> Timing {
        Timing {
            allocation: self.delays.allocation,
            start: self.delays.start,
            sample_lag: self.delays.sample_lag,
        }
    }
    fn ctx(&self, now: Timestamp) -> Ctx {
        Ctx {
            now,
            timing: self.timing(),
            deletion: self.delays.deletion,
            sample_lag: self.delays.sample_lag,
        }
    }

    fn schedule(&mut self, account: &str, key: &str) {
        let Some(pool) = self.accounts.get(account).and_then(|a| a.pools.get(key)) else {
            return;
        };
        let due = pool.next_due();
        let id = (account.to_string(), key.to_string());
        // One queue entry per pool and due instant: re-queue only when it moved.
        if self.queued.get(&id) == due.map(|d| d.ticks()).as_ref() {
            return;
        }
        if let Some(due) = due {
            self.queued.insert(id, due.ticks());
            self.seq += 1;
            self.timers.push(Reverse((
                due.ticks(),
                self.seq,
                account.to_string(),
                key.to_string(),
            )));
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The earliest pending timer.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.timers
            .peek()
            .and_then(|Reverse((t, ..))| Timestamp::from_ticks(*t))
    }

    /// Fires every timer due at or before `target`, in due order (ties: scheduling order).
    pub fn fire_due(&mut self, target: Timestamp) {
        while let Some(Reverse((due, _, _, _))) = self.timers.peek() {
            if *due > target.ticks() {
                break;
            }
            let Reverse((due, _, account, key)) = self.timers.pop().expect("peeked");
            let id = (account.clone(), key.clone());
            if self.queued.get(&id) == Some(&due) {
                self.queued.remove(&id);
            }
            let Some(due) = Timestamp::from_ticks(due) else {
                continue;
            };
            let ctx = self.ctx(due);
            let Some(state) = self.accounts.get_mut(&account) else {
                continue;
            };
            let Some(pool) = state.pools.get_mut(&key) else {
                continue;
            };
            // A stale entry (the pool's timers moved): skip it; the fresh one is queued.
            if pool.next_due() != Some(due) {
                continue;
            }
            let cores = cores_of(&pool.vm_size);
            match pool.advance(due, &ctx, &mut state.usage, cores) {
                Fate::Vanished => {
                    state.pools.remove(&key);
                }
                Fate::Lives => {}
            }
            self.dirty.insert((account.clone(), key.clone()));
            self.schedule(&account, &key);
        }
    }

    /// Fires what is due now; returns the instant.
    pub fn catch_up(&mut self) -> Timestamp {
        let now = self.now();
        self.fire_due(now);
        now
    }

    /// Moves the clock to `t`, firing every timer on the way (`POST /_emulator/clock`).
    pub fn move_clock(&mut self, t: Timestamp) {
        self.fire_due(t);
        self.clock.set(t);
        self.clock_dirty = true;
        self.fire_due(t);
    }

    fn account(&mut self, account: &str) -> &mut AccountState {
        self.accounts.entry(account.to_string()).or_default()
    }

    /// Brings a pool's samples and usage up to now (no timer is due: they fired).
    pub fn settle_pool(&mut self, account: &str, key: &str) {
        let now = self.now();
        let ctx = self.ctx(now);
        let state = self.account(account);
        let mut vanished = false;
        if let Some(pool) = state.pools.get_mut(key) {
            let cores = cores_of(&pool.vm_size);
            vanished = pool.advance(now, &ctx, &mut state.usage, cores) == Fate::Vanished;
        }
        if vanished {
            state.pools.remove(key);
        }
        self.dirty.insert((account.to_string(), key.to_string()));
        self.schedule(account, key);
    }

    /// Brings a pool's model (nodes, samples) up to now for a read: nothing is marked for
    /// the store, since all of it follows from what is stored.
    pub fn look(&mut self, account: &str, key: &str) {
        let now = self.now();
        if let Some(pool) = self
            .accounts
            .get_mut(account)
            .and_then(|a| a.pools.get_mut(key))
        {
            pool.model.advance_to(now);
        }
    }

    /// A pool by id (case-insensitive).
    pub fn pool(&self, account: &str, id: &str) -> Option<&Pool> {
        self.accounts.get(account)?.pools.get(&id.to_lowercase())
    }

    /// A pool to change, brought up to now first (samples and usage before the change).
    fn pool_mut(&mut self, account: &str, id: &str) -> Result<&mut Pool, ApiError> {
        let key = id.to_lowercase();
        if self.pool(account, id).is_some() {
            self.settle_pool(account, &key);
        }
        self.accounts
            .get_mut(account)
            .and_then(|a| a.pools.get_mut(&id.to_lowercase()))
            .ok_or_else(ApiError::pool_not_found)
    }

    /// After a change: timers the request scheduled fire now, the pool is queued and
    /// marked for the commit.
    fn changed(&mut self, account: &str, id: &str) {
        self.settle_pool(account, &id.to_lowercase());
    }

    /// 1: add.
    pub fn add(&mut self, account: &str, new: NewPool) -> Result<Done, ApiError> {
        let now = self.now();
        let key = new.id.to_lowercase();
        if let Some(existing) = self.pool(account, &new.id) {
            if existing.state == Lifecycle::Deleting {
                return Err(ApiError::being_deleted(&existing.id));
            }
            return Err(ApiError::conflict(
                "PoolExists",
                crate::error::msg::POOL_EXISTS,
                &format!("pool '{}' already exists as '{}'", new.id, existing.id),
            ));
        }
        let seed = format!("{account}/{key}/{}", now.ticks());
        let mut pool = Pool {
            id: new.id.clone(),
            display_name: new.display_name,
            creation_time: now,
            last_modified: now,
            state: Lifecycle::Active,
            state_transition_time: now,
            allocation: Allocation::Steady,
            allocation_transition_time: now,
            vm_size: new.vm_size,
            resize_timeout: new.resize_timeout,
            target_dedicated: new.targets.0,
            target_low_priority: new.targets.1,
            resize_errors: Vec::new(),
            resize_deadline: None,
            resize_option: batchscale::DeallocationOption::Requeue,
            resize_after_stop: false,
            stop_at: None,
            delete_at: None,
            autoscale: None,
            last_enable: None,
            inter_node: new.inter_node,
            task_slots_per_node: new.task_slots,
            fill: new.fill,
            extra: new.extra,
            injected: BTreeMap::new(),
            usage_cursor: now,
            list_item: crate::pool::ListItemCache::default(),
            model: NodeModel::new(seed, now, new.task_slots, new.fill, self.timing()),
        };
        let ctx = self.ctx(now);
        let state = self.account(account);
        state.usage.accumulate(&pool.id, &pool.vm_size, now, now, 0);
        if let Some((formula, compiled, interval)) = new.autoscale {
            pool.autoscale = Some(AutoScale {
                formula,
                interval,
                anchor: now,
                next_run: now.checked_add(interval).unwrap_or(now),
                run: None,
                compiled: Some(compiled),
            });
            pool.last_enable = Some(now);
            pool.target_dedicated = 0;
            pool.target_low_priority = 0;
            pool.run_autoscale(&ctx, now, false);
        }
        pool.start_resize(&ctx);
        let last_modified = pool.last_modified;
        let id = pool.id.clone();
        state.pools.insert(key, pool);
        self.changed(account, &id);
        Ok(Done {
            last_modified: Some(last_modified),
            body: None,
            pool_id: Some(id),
        })
    }

    fn active(pool: &Pool) -> Result<(), ApiError> {
        if pool.state == Lifecycle::Deleting {
            return Err(ApiError::being_deleted(&pool.id));
        }
        Ok(())
    }

    /// A change to one pool, the way every pool operation but add and evaluate runs: the
    /// pool brought up to now, its conditional headers (when the operation takes them),
    /// `PoolBeingDeleted`, then the operation itself; afterwards the timers it scheduled
    /// fire and the pool is marked for the commit. Answers with the pool's `lastModified`.
    fn change(
        &mut self,
        account: &str,
        id: &str,
        cond: Option<&Option<Condition>>,
        operation: impl FnOnce(&mut Pool, &Ctx) -> Result<(), ApiError>,
    ) -> Result<Done, ApiError> {
        let ctx = self.ctx(self.now());
        let pool = self.pool_mut(account, id)?;
        if let Some(cond) = cond {
            check_condition(cond, pool, false)?;
        }
        Self::active(pool)?;
        operation(pool, &ctx)?;
        let last_modified = Some(pool.last_modified);
        self.changed(account, id);
        Ok(Done {
            last_modified,
            ..Done::default()
        })
    }

    /// 3: delete.
    pub fn delete(
        &mut self,
        account: &str,
        id: &str,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
            pool.delete(ctx);
            Ok(())
        })
    }

    /// 4, 5: exists / get (conditions checked; the caller renders).
    pub fn read(
        &self,
        account: &str,
        id: &str,
        cond: &Option<Condition>,
    ) -> Result<&Pool, ApiError> {
        let pool = self
            .pool(account, id)
            .ok_or_else(ApiError::pool_not_found)?;
        check_condition(cond, pool, true)?;
        Ok(pool)
    }

    /// 6 and 12: patch / update_properties.
    pub fn update(
        &mut self,
        account: &str,
        id: &str,
        update: Update,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
        if !update.empty_only.is_empty()
            && (pool.model.node_count() > 0 || pool.allocation != Allocation::Steady)
        {
            return Err(ApiError::invalid_state(&format!(
                "{} can change only while the pool has no nodes and is steady (it has {} nodes, allocationState {})",
                update.empty_only.join(", "),
                pool.model.node_count(),
                pool.allocation.name()
            )));
        }
        for (name, value) in update.extra {
            if value.is_null() {
                pool.extra.remove(&name);
            } else {
                pool.extra.insert(name, value);
            }
        }
        if let Some(name) = update.display_name {
            pool.display_name = Some(name);
        }
        if let Some(vm) = update.vm_size {
            pool.vm_size = vm;
        }
        if let Some(b) = update.inter_node {
            pool.inter_node = b;
        }
        if let Some(slots) = update.task_slots {
            pool.task_slots_per_node = slots;
        }
        if let Some(fill) = update.fill {
            pool.fill = fill;
        }
        pool.model.relayout(pool.task_slots_per_node, pool.fill);
        pool.touch(ctx.now);
        Ok(())
        })
    }

    /// 7: disable_auto_scale.
    pub fn disable(&mut self, account: &str, id: &str) -> Result<Done, ApiError> {
        self.change(account, id, None, |pool, ctx| {
            if pool.autoscale.take().is_some() {
                pool.touch(ctx.now);
            }
            Ok(())
        })
    }

    /// 8: enable_auto_scale.
    pub fn enable(
        &mut self,
        account: &str,
        id: &str,
        enable: Enable,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
            let now = ctx.now;
            if pool.allocation != Allocation::Steady {
                return Err(ApiError::being_resized(pool.allocation.name()));
            }
            if let Some(last) = pool.last_enable
                && now
                    < last
                        .checked_add(Interval(30 * TICKS_PER_SECOND))
                        .unwrap_or(last)
            {
                return Err(ApiError::new(
                    503,
                    "TooManyEnableAutoScaleRequests",
                    crate::error::msg::TOO_MANY_ENABLES,
                    vec![],
                ));
            }
            match (&pool.autoscale, &enable.formula, &enable.interval) {
                (None, None, _) => return Err(ApiError::missing_property("autoScaleFormula")),
                (Some(_), None, None) => {
                    return Err(ApiError::missing_property(
                        "autoScaleFormula and/or autoScaleEvaluationInterval",
                    ));
                }
                _ => {}
            }
            pool.touch(now);
            // The run's timestamp is `lastModified`; what it starts happens at the clock's instant.
            let run_at = pool.last_modified;
            let was_on = pool.autoscale.is_some();
            let auto = pool.autoscale.get_or_insert_with(|| AutoScale {
                formula: String::new(),
                interval: crate::pool::FIFTEEN_MINUTES,
                anchor: run_at,
                next_run: run_at,
                run: None,
                compiled: None,
            });
            if let Some((text, compiled)) = enable.formula {
                auto.formula = text;
                auto.compiled = Some(compiled);
            }
            if let Some(interval) = enable.interval {
                auto.interval = interval;
            }
            if !was_on || enable.interval.is_some() {
                auto.anchor = now;
                auto.next_run = now.checked_add(auto.interval).unwrap_or(now);
            }
            pool.last_enable = Some(now);
            pool.run_autoscale(ctx, run_at, false);
            Ok(())
        })
    }

    /// 9: evaluate_auto_scale: a run at now, nothing stored.
    pub fn evaluate(
        &mut self,
        account: &str,
        id: &str,
        formula: &batchscale::CompiledFormula,
    ) -> Result<AutoScaleRun, ApiError> {
        let now = self.now();
        let key = id.to_lowercase();
        {
            let pool = self
                .pool(account, id)
                .ok_or_else(ApiError::pool_not_found)?;
            Self::active(pool)?;
            if !pool.autoscale_on() {
                return Err(ApiError::invalid_state(&format!(
                    "autoscale is not enabled on pool '{}'",
                    pool.id
                )));
            }
        }
        self.look(account, &key);
        let pool = self
            .accounts
            .get_mut(account)
            .and_then(|a| a.pools.get_mut(&key))
            .ok_or_else(ApiError::pool_not_found)?;
        let snapshot = pool.snapshot(now);
        Ok(formula.evaluate_at(&snapshot, now).run)
    }

    /// 10: resize.
    pub fn resize(
        &mut self,
        account: &str,
        id: &str,
        resize: Resize,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
            if pool.autoscale_on() {
                return Err(ApiError::invalid_state(&format!(
                    "pool '{}' has autoscale enabled; disable it before resizing",
                    pool.id
                )));
            }
            if pool.allocation != Allocation::Steady {
                return Err(ApiError::being_resized(pool.allocation.name()));
            }
            if let Some(d) = resize.dedicated {
                pool.target_dedicated = d;
            }
            if let Some(l) = resize.low_priority {
                pool.target_low_priority = l;
            }
            pool.resize_timeout = resize.timeout;
            pool.resize_option = resize.option;
            pool.touch(ctx.now);
            pool.start_resize(ctx);
            Ok(())
        })
    }

    /// 11: stop_resize.
    pub fn stop_resize(
        &mut self,
        account: &str,
        id: &str,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
            pool.stop_resize(ctx);
            Ok(())
        })
    }

    /// 13: remove_nodes.
    pub fn remove_nodes(
        &mut self,
        account: &str,
        id: &str,
        remove: RemoveNodes,
        cond: &Option<Condition>,
    ) -> Result<Done, ApiError> {
        self.change(account, id, Some(cond), |pool, ctx| {
            let now = ctx.now;
            if pool.allocation != Allocation::Steady {
                return Err(ApiError::being_resized(pool.allocation.name()));
            }
            // Ids are hashes: compute each node's once.
            let by_id: std::collections::HashMap<String, batchscale_sim::model::NodeInfo> = pool
                .model
                .nodes()
                .map(|n| {
                    let id = pool.model.node_id(
                        n.id,
                        n.priority == batchscale_sim::model::Priority::Dedicated,
                    );
                    (id.to_ascii_lowercase(), n)
                })
                .collect();
            let mut indices = Vec::new();
            for node_id in &remove.nodes {
                match by_id.get(&node_id.to_ascii_lowercase()).copied() {
                    Some(n) => indices.push(n),
                    None => return Err(ApiError::node_not_found(node_id)),
                }
            }
            for n in &indices {
                if n.priority == batchscale_sim::model::Priority::Dedicated {
                    pool.target_dedicated = pool.target_dedicated.saturating_sub(1);
                } else {
                    pool.target_low_priority = pool.target_low_priority.saturating_sub(1);
                }
            }
            pool.resize_timeout = remove.timeout;
            pool.resize_option = remove.option;
            pool.touch(now);
            pool.resize_errors.clear();
            let ids: Vec<u64> = indices.iter().map(|n| n.id).collect();
            pool.model.remove_nodes(&ids, remove.option);
            pool.allocation = Allocation::Resizing;
            pool.allocation_transition_time = now;
            pool.resize_deadline = now.checked_add(pool.resize_timeout);
            Ok(())
        })
    }

    /// The schema an api-version selects.
    pub fn schema(version: &str) -> Schema {
        if version == "2024-02-01.19.0" {
            Schema::V2024
        } else {
            Schema::V2025
        }
    }
}

/// cores(vmSize), 1 when unknown.
pub fn cores_of(vm_size: &str) -> u32 {
    crate::usage::cores(vm_size).unwrap_or(1)
}
