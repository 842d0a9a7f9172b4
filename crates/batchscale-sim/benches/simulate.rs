//! The simulator's benchmarks (issue 10): a simulated year in closed loop (30-s samples,
//! 5-minute evaluations, a million tasks, the documentation's pending-tasks formula), a
//! year of recorded metrics in open loop, the engine's share (the year's evaluations
//! alone, beside a plain-Rust baseline of the same formula), and many seeds of a week on
//! one thread and on two.
//!
//! `cargo bench -p batchscale-sim --bench simulate`; results in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use batchscale::time::{TICKS_PER_DAY, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{
    CompiledFormula, Decision, Interval, Metric, Outcome, SampleHistory, Snapshot, Timestamp,
};
use batchscale_sim::scenario::Scenario;
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan, run_seeds};
use batchscale_sim::synthetic::{metric_series, task_stream};
use criterion::{Criterion, criterion_group, criterion_main};

const PENDING: &str = include_str!("../../../examples/pending-tasks.formula");
const CPU: &str = include_str!("../../../examples/cpu.formula");

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap()
}

fn plan(formula: &str, driver: Driver, days: i64, preemption: f64) -> Plan {
    let mut scenario = Scenario::default();
    scenario.params.task_slots_per_node = 4;
    scenario.params.preemption_per_node_hour = preemption;
    Plan::new(Inputs {
        formula_name: "bench.formula".into(),
        formula_text: formula.into(),
        scenario,
        driver,
        start: Some(start()),
        duration: Some(Interval(days * TICKS_PER_DAY)),
        interval: Some(Interval(5 * TICKS_PER_MINUTE)),
    })
    .unwrap()
}

fn year(c: &mut Criterion) {
    let span = Interval(365 * TICKS_PER_DAY);
    let closed = plan(
        PENDING,
        Driver::Workload(task_stream(1, 1_000_000, span)),
        365,
        0.0,
    );
    let open = plan(
        CPU,
        Driver::Metrics(vec![(Metric::CpuPercent, metric_series(2, start(), span))]),
        365,
        0.0,
    );
    let mut group = c.benchmark_group("simulate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("year_closed_loop_1m_tasks", |b| {
        b.iter(|| {
            black_box(
                closed
                    .run(0, &mut Outputs::default())
                    .unwrap()
                    .summary
                    .tasks
                    .completed,
            )
        })
    });
    group.bench_function("year_open_loop", |b| {
        b.iter(|| {
            black_box(
                open.run(0, &mut Outputs::default())
                    .unwrap()
                    .summary
                    .evaluations
                    .total,
            )
        })
    });
    group.finish();
}

/// The year's 105,120 evaluations alone, on a snapshot holding 7 days of
/// `$PendingTasks`, moved 5 minutes each time: what the engine costs in the closed loop.
fn engine_share(c: &mut Criterion) {
    let formula = CompiledFormula::new(PENDING).unwrap();
    let period = 30 * TICKS_PER_SECOND;
    let mut history = SampleHistory::default();
    let begin = start().ticks();
    for i in 0..20_160i64 {
        let t = Timestamp::from_ticks(begin + i * period).unwrap();
        history.push(t, (i % 97) as f64).unwrap();
    }
    let mut snapshot = Snapshot::default();
    snapshot.metrics.set(Metric::PendingTasks, history.clone());
    let last = begin + 20_159 * period;
    let evaluations = 105_120i64;
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.bench_function("engine_year_of_evaluations", |b| {
        let mut outcome = Outcome::default();
        b.iter(|| {
            let mut sum = 0.0;
            for k in 0..evaluations {
                // Within the last 5 minutes of the history, so every window is full.
                let now =
                    Timestamp::from_ticks(last + 15 * TICKS_PER_SECOND + (k % 10) * period / 10)
                        .unwrap();
                formula.evaluate_into(&snapshot, now, &mut outcome);
                if let Some(d) = Decision::from_outcome(&outcome) {
                    sum += f64::from(d.dedicated);
                }
            }
            black_box(sum)
        })
    });
    // The same computation in plain Rust: the 70% rule over the last 180 s.
    group.bench_function("engine_year_baseline_plain_rust", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for k in 0..evaluations {
                let now = last + 15 * TICKS_PER_SECOND + (k % 10) * period / 10;
                let from = now - 180 * TICKS_PER_SECOND;
                let end = history.times().partition_point(|t| t.ticks() <= now);
                let begin = history.times().partition_point(|t| t.ticks() <= from);
                let window = &history.values()[begin..end];
                let percent = (100.0 * window.len() as f64 / 6.0).min(100.0);
                let samples = if percent < 70.0 {
                    1.0
                } else {
                    window.iter().sum::<f64>() / window.len() as f64
                };
                sum += f64::min(25.0, samples).trunc();
            }
            black_box(sum)
        })
    });
    group.finish();
}

fn seeds(c: &mut Criterion) {
    let week = Interval(7 * TICKS_PER_DAY);
    let plan = plan(
        PENDING,
        Driver::Workload(task_stream(3, 20_000, week)),
        7,
        0.05,
    );
    let mut group = c.benchmark_group("simulate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_function(format!("week_100_seeds_{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let (summaries, _) = run_seeds(&plan, 0, 100, &mut Outputs::default()).unwrap();
                    black_box(summaries.len())
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, year, engine_share, seeds);
criterion_main!(benches);
