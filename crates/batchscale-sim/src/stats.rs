//! Streaming statistics with memory bounded by their resolution, not by how many values
//! they have seen: the queue-wait histogram.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::serde_helpers::map_as_pairs;

/// Significant bits kept of a value: buckets are exact below 2^12 ticks and at most
/// 1/2048 of the value wide above.
const BITS: u32 = 12;

/// A histogram of non-negative durations (ticks) for the mean, nearest-rank percentiles
/// and the maximum.
///
/// Log-linear buckets (as HdrHistogram's): a value is kept to its 12 most significant
/// bits, so a bucket is at most 0.05 % of its values wide, and there are at most a few
/// thousand buckets whatever the number of values. Each bucket also keeps the exact sum
/// of its values and a percentile reports the mean of its bucket: exact whenever the
/// values in that bucket are equal (the usual case in a simulation, whose waits are
/// differences of a few regular instants), and within 0.05 % otherwise. The count, the
/// mean and the maximum are exact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    count: u64,
    sum: u128,
    max: u64,
    #[serde(with = "map_as_pairs")]
    buckets: BTreeMap<u64, (u64, u128)>,
}

fn bucket(value: u64) -> u64 {
    if value < 1 << BITS {
        return value;
    }
    let exponent = 63 - value.leading_zeros();
    let top = value >> (exponent + 1 - BITS);
    (u64::from(exponent) << 32) | top
}

impl Histogram {
    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.count += 1;
        self.sum += u128::from(value);
        self.max = self.max.max(value);
        let entry = self.buckets.entry(bucket(value)).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += u128::from(value);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact mean, or `None` without values.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The exact maximum, or `None` without values.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The nearest-rank `p`-th percentile (0 < `p` ≤ 100): the mean of the bucket that
    /// holds the value of rank ⌈p/100 × count⌉. `None` without values.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.count as f64)
            .ceil()
            .clamp(1.0, self.count as f64) as u64;
        let mut seen = 0;
        for &(n, sum) in self.buckets.values() {
            seen += n;
            if seen >= rank {
                return Some(sum as f64 / n as f64);
            }
        }
        Some(self.max as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_give_exact_percentiles() {
        let mut h = Histogram::default();
        for v in [
            3_000_000_000u64,
            3_000_000_000,
            12_000_000_000,
            15_000_000_000,
        ] {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), Some(3e9));
        assert_eq!(h.percentile(95.0), Some(15e9));
        assert_eq!(h.percentile(75.0), Some(12e9));
        assert_eq!(h.mean(), Some(8.25e9));
        assert_eq!(h.max(), Some(15_000_000_000));
    }

    #[test]
    fn percentiles_are_within_a_twentieth_of_a_percent() {
        let mut h = Histogram::default();
        let values: Vec<u64> = (1..=10_000u64).map(|i| i * i * 7919).collect();
        for &v in &values {
            h.record(v);
        }
        for p in [1.0, 50.0, 95.0, 99.0, 100.0] {
            let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
            let exact = values[rank - 1] as f64;
            let got = h.percentile(p).unwrap();
            assert!(
                (got - exact).abs() <= exact / 2048.0,
                "p{p}: {got} vs {exact}"
            );
        }
        assert!(h.buckets.len() < 10_000);
    }

    #[test]
    fn an_empty_histogram_has_no_figures() {
        let h = Histogram::default();
        assert_eq!((h.mean(), h.max(), h.percentile(50.0)), (None, None, None));
    }
}
