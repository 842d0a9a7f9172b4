//! Synthetic inputs for benchmarks and tests: a steady task stream over a long span, and a
//! recorded metric series, both generated from a seed.

use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{Interval, SampleHistory, Timestamp};

use crate::model::TaskSpec;
use crate::random::SplitMix64;
use crate::workload::{Submit, Workload};

/// `count` one-slot tasks spread over `span` after the start: arrivals at uniformly
/// random offsets (sorted), each running 5 to 30 minutes, with a busier working day
/// (two thirds of the tasks fall between 08:00 and 18:00 of some day).
pub fn task_stream(seed: u64, count: usize, span: Interval) -> Workload {
    let mut rng = SplitMix64::new(seed);
    let day = 24 * 60 * TICKS_PER_MINUTE;
    let days = (span.ticks() / day).max(1);
    let mut offsets: Vec<i64> = (0..count)
        .map(|_| {
            if rng.below(3) < 2 && span.ticks() >= day {
                let d = rng.below(days as usize) as i64;
                d * day + 8 * 60 * TICKS_PER_MINUTE + rng.below(10 * 3600) as i64 * TICKS_PER_SECOND
            } else {
                rng.below(span.ticks() as usize / TICKS_PER_SECOND as usize) as i64
                    * TICKS_PER_SECOND
            }
        })
        .map(|t| t.min(span.ticks() - 1))
        .collect();
    offsets.sort_unstable();
    let tasks = offsets
        .into_iter()
        .map(|t| {
            let minutes = 5 + rng.below(26) as i64;
            (
                Submit::After(Interval(t)),
                TaskSpec::new(1, Interval(minutes * TICKS_PER_MINUTE)),
            )
        })
        .collect();
    Workload {
        tasks,
        skipped_records: 0,
    }
}

/// A series sampled every 30 s from `start` over `span`: a daily wave between 5 and 95
/// with noise, 1 % of samples missing.
pub fn metric_series(seed: u64, start: Timestamp, span: Interval) -> SampleHistory {
    let mut rng = SplitMix64::new(seed);
    let period = 30 * TICKS_PER_SECOND;
    let n = span.ticks() / period;
    let mut history = SampleHistory::new(Interval(period));
    for i in 0..n {
        if rng.below(100) == 0 {
            continue;
        }
        let t = start.ticks() + i * period;
        let phase = (i % 2880) as f64 / 2880.0 * std::f64::consts::TAU;
        let value = 50.0 - 45.0 * libm::cos(phase) + (rng.next_open01() - 0.5) * 10.0;
        let time = Timestamp::from_ticks(t).expect("within the years 1 to 9999");
        let _ = history.push(time, value.clamp(0.0, 100.0));
    }
    history
}
