//! Shared by the benchmarks: criterion settings, snapshots with long histories, and the
//! batchscale entry points the benchmarks time.
//!
//! Each benchmark binary includes this module and uses only part of it.
#![allow(dead_code)]

pub mod peers;

use std::time::Duration;

use batchscale::CompiledFormula;
use batchscale::Metric;
use batchscale::Outcome;
use batchscale::Value;
use batchscale::time::{Interval, TICKS_PER_SECOND, Timestamp};
use batchscale::{SampleHistory, Snapshot};
use criterion::Criterion;

/// Modest settings so that a full `cargo bench` stays within minutes on 2 cores; no
/// plots (drawing them takes longer than measuring).
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .without_plots()
}

/// The sampling period of every generated history: 30 s, the service's nominal one.
pub const PERIOD_SECONDS: i64 = 30;

/// The evaluation instant of the generated snapshots: 2025-04-24T12:00:00Z.
pub fn now() -> Timestamp {
    Timestamp::from_date(2025, 4, 24)
        .and_then(|t| t.checked_add(Interval(12 * 3600 * TICKS_PER_SECOND)))
        .expect("a valid date")
}

/// `n` samples every 30 s, the newest at `now`, with values from `value(i)` (oldest first).
pub fn history(now: Timestamp, n: usize, value: impl Fn(usize) -> f64) -> SampleHistory {
    let step = PERIOD_SECONDS * TICKS_PER_SECOND;
    let first = now.ticks() - (n as i64 - 1) * step;
    let samples = (0..n)
        .map(|i| {
            let time = Timestamp::from_ticks(first + i as i64 * step).expect("in range");
            (time, value(i))
        })
        .collect();
    SampleHistory::from_samples(Interval(step), samples).expect("distinct times")
}

/// A pseudo-random but reproducible value in 0..100 (a CPU percentage, a task count).
pub fn wobble(i: usize, salt: u64) -> f64 {
    let mut z = (i as u64)
        .wrapping_add(salt)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) % 10_000) as f64 / 100.0
}

/// The metrics the service still samples (the task metrics, CPU and preemptions).
pub fn live_metrics() -> impl Iterator<Item = Metric> {
    Metric::ALL.into_iter().filter(|m| !m.is_retired())
}

/// A pool of 10 dedicated nodes with `samples` samples of every live metric, the newest
/// at [`now`].
pub fn busy_pool(samples: usize) -> Snapshot {
    let now = now();
    let mut snapshot = Snapshot {
        evaluation_time: Some(now),
        ..Snapshot::default()
    };
    snapshot.pool.target_dedicated_nodes = 10.0;
    snapshot.pool.current_dedicated_nodes = 10.0;
    snapshot.pool.usable_node_count = 10.0;
    for (k, metric) in live_metrics().enumerate() {
        let salt = k as u64 * 1_000_003;
        let h = match metric {
            // CPU as a fraction, as the documentation's CPU formula reads it.
            Metric::CpuPercent => history(now, samples, |i| wobble(i, salt) / 100.0),
            _ => history(now, samples, |i| wobble(i, salt).floor()),
        };
        snapshot.metrics.set(metric, h);
    }
    snapshot
}

/// A compiled formula, for timing the interpreter alone (no results string) as well as
/// the whole run.
pub struct Compiled {
    pub formula: CompiledFormula,
}

impl Compiled {
    pub fn new(text: &str) -> Compiled {
        let formula = CompiledFormula::new(text).expect("a valid formula");
        assert!(
            formula.diagnostics().iter().all(|d| !d.is_error()),
            "the benchmark formula has errors: {:?}",
            formula.diagnostics()
        );
        Compiled { formula }
    }

    /// The interpreter's outcome: the values as the run leaves them, no text.
    pub fn outcome(&self, snapshot: &Snapshot, now: Timestamp) -> Outcome {
        let mut outcome = Outcome::default();
        self.formula.evaluate_into(snapshot, now, &mut outcome);
        outcome
    }

    /// Evaluates into `outcome`, reusing its buffers: the hot path.
    pub fn outcome_into(&self, snapshot: &Snapshot, now: Timestamp, outcome: &mut Outcome) {
        self.formula.evaluate_into(snapshot, now, outcome);
    }

    /// The run's `$TargetDedicatedNodes` before truncation; panics on a failed run.
    pub fn target(&self, snapshot: &Snapshot, now: Timestamp) -> f64 {
        target_of(&self.outcome(snapshot, now), self.formula.text())
    }
}

/// `$TargetDedicatedNodes` of a run, before truncation; panics on a failed run.
pub fn target_of(outcome: &Outcome, text: &str) -> f64 {
    assert_eq!(outcome.error, None, "{text}");
    match outcome.target_dedicated {
        Value::Double(x) => x,
        ref other => panic!("not a number: {other:?}"),
    }
}
