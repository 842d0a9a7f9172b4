//! The pool snapshot: the state a formula is evaluated against. A model others can build
//! in code (a simulator appends a sample every 30 seconds), and read or write as JSON
//! ([`json`], the shape of `../shared/spec/interfaces.md`).

use crate::builtins::Metric;
use crate::time::{Interval, TICKS_PER_SECOND, Timestamp};

mod json;

pub use json::SnapshotError;

/// The sampling period of a metric whose snapshot does not give one: 30 seconds.
pub const DEFAULT_PERIOD: Interval = Interval(30 * TICKS_PER_SECOND);

const METRIC_COUNT: usize = Metric::ALL.len();

/// Parsed, validated snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// `now`; `None` when the snapshot does not say (the caller picks the clock or `--at`).
    pub evaluation_time: Option<Timestamp>,
    /// The pool's scalars.
    pub pool: PoolState,
    /// Every metric's history.
    pub metrics: MetricHistories,
    /// Seed of `rand()`; `None` when the snapshot does not say (the caller derives one).
    pub random_seed: Option<u64>,
}

/// The pool's scalars. All finite; node counts may be negative (kept as given).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolState {
    /// `$TargetDedicatedNodes` before the run.
    pub target_dedicated_nodes: f64,
    /// `$TargetLowPriorityNodes` before the run.
    pub target_low_priority_nodes: f64,
    /// `$CurrentDedicatedNodes`.
    pub current_dedicated_nodes: f64,
    /// `$CurrentLowPriorityNodes`.
    pub current_low_priority_nodes: f64,
    /// `$TaskSlotsPerNode`.
    pub task_slots_per_node: f64,
    /// Already resolved: when the snapshot omits it, current dedicated + low-priority.
    pub usable_node_count: f64,
}

impl Default for PoolState {
    /// All zero but `task_slots_per_node`, which is 1.
    fn default() -> PoolState {
        PoolState {
            target_dedicated_nodes: 0.0,
            target_low_priority_nodes: 0.0,
            current_dedicated_nodes: 0.0,
            current_low_priority_nodes: 0.0,
            task_slots_per_node: 1.0,
            usable_node_count: 0.0,
        }
    }
}

/// One metric's history: contiguous, sorted by time, no duplicate times.
#[derive(Debug, Clone)]
pub struct SampleHistory {
    /// The nominal sampling period; positive.
    pub period: Interval,
    /// Sample times, strictly ascending, from `first` on (before it: samples dropped by
    /// [`SampleHistory::drop_before`] and not yet compacted away).
    times: Vec<Timestamp>,
    /// Sample values, as many as `times`, all finite.
    values: Vec<f64>,
    /// The index of the oldest kept sample. Dropping old samples moves it instead of the
    /// samples, so a pool that keeps a fixed retention window and drops before every
    /// evaluation does not copy its whole history each time (that copy was 40 % of a
    /// simulated year); the dropped prefix is compacted away once it outgrows the rest.
    first: usize,
}

impl PartialEq for SampleHistory {
    /// Equal periods and equal kept samples (how much has been dropped does not matter).
    fn eq(&self, other: &SampleHistory) -> bool {
        self.period == other.period
            && self.times() == other.times()
            && self.values() == other.values()
    }
}

impl Default for SampleHistory {
    /// No samples, period 30 s.
    fn default() -> SampleHistory {
        SampleHistory::new(DEFAULT_PERIOD)
    }
}

impl SampleHistory {
    /// An empty history with the given sampling period.
    pub fn new(period: Interval) -> SampleHistory {
        SampleHistory {
            period,
            times: Vec::new(),
            values: Vec::new(),
            first: 0,
        }
    }

    /// Builds from (time, value) pairs in any order; `Err(time)` if two share a time.
    ///
    /// Neither the period nor the values are checked: a history from the snapshot has a
    /// positive period and finite values, and a library user should keep it so.
    pub fn from_samples(
        period: Interval,
        mut samples: Vec<(Timestamp, f64)>,
    ) -> Result<SampleHistory, Timestamp> {
        samples.sort_by_key(|&(time, _)| time);
        if let Some(pair) = samples.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(pair[0].0);
        }
        let (times, values) = samples.into_iter().unzip();
        Ok(SampleHistory {
            period,
            times,
            values,
            first: 0,
        })
    }

    /// The sample times, strictly ascending.
    pub fn times(&self) -> &[Timestamp] {
        &self.times[self.first..]
    }

    /// The sample values, one per time, all finite.
    pub fn values(&self) -> &[f64] {
        &self.values[self.first..]
    }

    /// Appends a sample after the last one: the way a live pool's history grows (a
    /// simulator or an emulator adds one every 30 s). The history stays sorted, without
    /// duplicate times, and finite; a sample that would break that is refused and the
    /// history is left as it was.
    pub fn push(&mut self, time: Timestamp, value: f64) -> Result<(), PushError> {
        if !value.is_finite() {
            return Err(PushError::NotFinite { time, value });
        }
        if let Some(&last) = self.times().last()
            && time <= last
        {
            return Err(PushError::NotAfterLast { time, last });
        }
        self.times.push(time);
        self.values.push(value);
        Ok(())
    }

    /// Forgets every sample taken before `horizon` (a retention window): what a pool
    /// keeps is bounded by time, not by how long it has run. Amortised O(log n) per call.
    pub fn drop_before(&mut self, horizon: Timestamp) {
        self.first += self.times().partition_point(|&t| t < horizon);
        // Compact once the dropped prefix is larger than what is kept: each sample is then
        // moved at most once on average, and memory stays within twice the kept samples.
        if self.first > 0 && self.first >= self.times.len() - self.first {
            self.times.drain(..self.first);
            self.values.drain(..self.first);
            self.first = 0;
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.times.len() - self.first
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over `(time, value)` pairs, oldest first.
    pub fn samples(&self) -> impl ExactSizeIterator<Item = (Timestamp, f64)> + '_ {
        self.times()
            .iter()
            .copied()
            .zip(self.values().iter().copied())
    }
}

/// Why [`SampleHistory::push`] refused a sample.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// Samples are finite numbers.
    #[error("a sample's value must be a finite number, not {value} (at {time:?})")]
    NotFinite {
        /// The sample's time.
        time: Timestamp,
        /// Its value.
        value: f64,
    },
    /// Samples come in time order, one per instant.
    #[error("a sample at {time:?} does not come after the last one, at {last:?}")]
    NotAfterLast {
        /// The sample's time.
        time: Timestamp,
        /// The time of the last sample of the history.
        last: Timestamp,
    },
}

/// All 17 metrics' histories, indexed by [`Metric::index`] (absent metrics: empty, 30 s).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHistories {
    histories: [SampleHistory; METRIC_COUNT],
}

impl Default for MetricHistories {
    fn default() -> MetricHistories {
        MetricHistories {
            histories: std::array::from_fn(|_| SampleHistory::default()),
        }
    }
}

impl MetricHistories {
    /// One metric's history.
    pub fn get(&self, metric: Metric) -> &SampleHistory {
        &self.histories[metric.index()]
    }

    /// Replaces one metric's history.
    pub fn set(&mut self, metric: Metric, history: SampleHistory) {
        self.histories[metric.index()] = history;
    }

    /// One metric's history, to append to or trim.
    pub fn get_mut(&mut self, metric: Metric) -> &mut SampleHistory {
        &mut self.histories[metric.index()]
    }

    /// Every metric with its history, in [`Metric::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, &SampleHistory)> {
        Metric::ALL
            .into_iter()
            .map(|metric| (metric, self.get(metric)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn dropping_old_samples_moves_the_start_and_keeps_storage_bounded() {
        let t = |s: i64| Timestamp::from_ticks((63_800_000_000 + s) * TICKS_PER_SECOND).unwrap();
        let mut history = SampleHistory::default();
        for i in 0..10_000 {
            history.push(t(i * 30), i as f64).unwrap();
            // A 50-minute retention, applied before every "evaluation".
            history.drop_before(t(i * 30 - 3000));
            assert!(history.times.len() <= 2 * history.len() + 1, "at {i}");
            assert_eq!(history.times()[0], t((i * 30 - 3000).max(0)), "at {i}");
        }
        assert_eq!(history.len(), 101);
        assert_eq!(history.values()[0], 9899.0);
        assert_eq!(history.samples().last(), Some((t(9999 * 30), 9999.0)));
        // Equality looks at the kept samples only.
        let kept: Vec<_> = history.samples().collect();
        assert_eq!(
            SampleHistory::from_samples(history.period, kept).unwrap(),
            history
        );
    }

    #[test]
    fn push_keeps_a_history_sorted_unique_and_finite() {
        let t = |s: i64| {
            Timestamp::from_ticks(s * TICKS_PER_SECOND + 63_800_000_000 * TICKS_PER_SECOND).unwrap()
        };
        let mut history = SampleHistory::default();
        history.push(t(0), 1.0).unwrap();
        history.push(t(30), 2.0).unwrap();
        assert_eq!(
            history.push(t(30), 3.0),
            Err(PushError::NotAfterLast {
                time: t(30),
                last: t(30)
            })
        );
        assert!(matches!(
            history.push(t(10), 3.0),
            Err(PushError::NotAfterLast { .. })
        ));
        assert!(matches!(
            history.push(t(60), f64::NAN),
            Err(PushError::NotFinite { .. })
        ));
        assert_eq!(
            (history.times(), history.values()),
            (&[t(0), t(30)][..], &[1.0, 2.0][..])
        );
        history.push(t(60), 3.0).unwrap();
        history.drop_before(t(30));
        assert_eq!(history.times(), [t(30), t(60)]);
        assert_eq!(history.values(), [2.0, 3.0]);
        history.drop_before(t(0));
        assert_eq!(history.len(), 2);
        history.drop_before(t(90));
        assert!(history.is_empty());
    }

    #[test]
    fn from_samples_sorts_and_refuses_duplicates() {
        let (a, b) = (ts("2025-01-01T00:00:00Z"), ts("2025-01-01T00:00:30Z"));
        let h = SampleHistory::from_samples(DEFAULT_PERIOD, vec![(b, 2.0), (a, 1.0)]).unwrap();
        assert_eq!(h.times(), [a, b]);
        assert_eq!(h.values(), [1.0, 2.0]);
        assert_eq!(
            SampleHistory::from_samples(DEFAULT_PERIOD, vec![(b, 2.0), (a, 1.0), (b, 3.0)]),
            Err(b)
        );
        let mut m = MetricHistories::default();
        m.set(Metric::FailedTasks, h.clone());
        assert_eq!(m.get(Metric::FailedTasks), &h);
        assert_eq!(m.get(Metric::ActiveTasks), &SampleHistory::default());
    }
}
