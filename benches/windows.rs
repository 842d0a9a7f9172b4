//! `windows`: `avg`, `max` and `percentile` over `GetSample` windows of 10 to 1,000,000
//! samples, against a plain-Rust loop over the same slice (found by the same binary
//! search). Throughput is in samples per second.
//!
//! `cargo bench --bench windows -- <filter>`, e.g. `windows/avg/batchscale/1000000`.

mod common;

use std::hint::black_box;

use batchscale::Metric;
use batchscale::time::{Interval, TICKS_PER_SECOND, Timestamp};
use batchscale::{SampleHistory, Snapshot};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

const SIZES: [usize; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// The history holds a few more samples than the largest window.
const HISTORY: usize = 1_000_100;

/// The window `(now - n periods, now]`, which holds exactly the newest `n` samples.
fn window(history: &SampleHistory, now: Timestamp, n: usize) -> &[f64] {
    let earlier = now
        .checked_sub(Interval(
            n as i64 * common::PERIOD_SECONDS * TICKS_PER_SECOND,
        ))
        .expect("in range");
    let end = history.times().partition_point(|t| *t <= now);
    let start = history.times().partition_point(|t| *t <= earlier);
    &history.values()[start..end]
}

fn avg(s: &[f64]) -> f64 {
    s.iter().sum::<f64>() / s.len() as f64
}

fn max(s: &[f64]) -> f64 {
    s.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// The 90th percentile by nearest rank: for these sizes (multiples of 10) rank 0.9 n,
/// selected from a copy in linear time.
fn p90(s: &[f64]) -> f64 {
    let mut copy = s.to_vec();
    *copy
        .select_nth_unstable_by(s.len() * 9 / 10 - 1, f64::total_cmp)
        .1
}

struct Aggregate {
    name: &'static str,
    formula: fn(usize) -> String,
    baseline: fn(&[f64]) -> f64,
}

const AGGREGATES: [Aggregate; 3] = [
    Aggregate {
        name: "avg",
        formula: |seconds| {
            format!(
                "$TargetDedicatedNodes = avg($CPUPercent.GetSample(TimeInterval_Second * {seconds}))"
            )
        },
        baseline: avg,
    },
    Aggregate {
        name: "max",
        formula: |seconds| {
            format!(
                "$TargetDedicatedNodes = max($CPUPercent.GetSample(TimeInterval_Second * {seconds}))"
            )
        },
        baseline: max,
    },
    Aggregate {
        name: "percentile",
        formula: |seconds| {
            format!(
                "$TargetDedicatedNodes = percentile($CPUPercent.GetSample(TimeInterval_Second * {seconds}), 90)"
            )
        },
        baseline: p90,
    },
];

fn snapshot() -> Snapshot {
    let now = common::now();
    let mut snapshot = Snapshot {
        evaluation_time: Some(now),
        ..Snapshot::default()
    };
    snapshot.metrics.set(
        Metric::CpuPercent,
        common::history(now, HISTORY, |i| common::wobble(i, 7)),
    );
    snapshot
}

fn bench_windows(c: &mut Criterion) {
    let snapshot = snapshot();
    let now = common::now();
    let history = snapshot.metrics.get(Metric::CpuPercent);
    for aggregate in &AGGREGATES {
        let mut group = c.benchmark_group(format!("windows/{}", aggregate.name));
        group.sampling_mode(SamplingMode::Flat);
        for n in SIZES {
            let seconds = n as i64 * common::PERIOD_SECONDS;
            let compiled = common::Compiled::new(&(aggregate.formula)(seconds as usize));
            let want = (aggregate.baseline)(window(history, now, n));
            assert_eq!(window(history, now, n).len(), n);
            let got = compiled.target(&snapshot, now);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{} of {n}: batchscale gives {got}, the baseline {want}",
                aggregate.name
            );
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("baseline", n), &n, |b, &n| {
                b.iter(|| (aggregate.baseline)(window(history, black_box(now), n)))
            });
            let mut outcome = compiled.outcome(&snapshot, now);
            group.bench_with_input(BenchmarkId::new("batchscale", n), &n, |b, _| {
                b.iter(|| compiled.outcome_into(&snapshot, black_box(now), &mut outcome))
            });
        }
        group.finish();
    }
}

criterion_group! { name = benches; config = common::config(); targets = bench_windows }
criterion_main!(benches);
