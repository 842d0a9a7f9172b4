//! `end_to_end`: the documentation's pending-tasks and CPU formulas (`examples/`) against
//! a pool with 24 hours of history (2,880 samples every 30 s) of every live metric.
//!
//! Rows: `baseline` computes the same targets in plain Rust (binary search and a slice
//! loop); `baseline_results` also builds the same AutoScaleRun text with batchscale's own
//! value formatting; `batchscale` is the interpreter alone (values, no text);
//! `batchscale_run` is `CompiledFormula::evaluate_at`, the full AutoScaleRun.
//!
//! `cargo bench --bench end_to_end -- <filter>`, e.g. `end_to_end/pending_tasks/batchscale_run`.

mod common;

use std::hint::black_box;

use batchscale::AutoScaleRun;
use batchscale::Metric;
use batchscale::internals::doubles::{format_double, format_target};
use batchscale::time::{Interval, TICKS_PER_SECOND, Timestamp};
use batchscale::{SampleHistory, Snapshot};
use criterion::{Criterion, criterion_group, criterion_main};

/// 24 hours of samples every 30 s.
const SAMPLES: usize = 24 * 60 * 2;

const PENDING_TASKS: &str = include_str!("../examples/pending-tasks.formula");
const CPU: &str = include_str!("../examples/cpu.formula");

/// The samples of the window `(now - seconds, now]` and its percentage (language.md 7).
fn window(h: &SampleHistory, now: Timestamp, seconds: i64) -> (&[f64], f64) {
    let earlier = now
        .checked_sub(Interval(seconds * TICKS_PER_SECOND))
        .expect("in range");
    let end = h.times().partition_point(|t| *t <= now);
    let start = h.times().partition_point(|t| *t <= earlier).min(end);
    let length = seconds * TICKS_PER_SECOND;
    let period = h.period.ticks();
    let expected = (length / period + i64::from(length % period != 0)).max(1);
    let percent = (100.0 * (end - start) as f64 / expected as f64).min(100.0);
    (&h.values()[start..end], percent)
}

fn avg(s: &[f64]) -> f64 {
    s.iter().sum::<f64>() / s.len() as f64
}

fn min(s: &[f64]) -> f64 {
    s.iter().copied().fold(f64::INFINITY, f64::min)
}

/// The pending-tasks formula's values: (target, sample percent, samples).
fn pending_tasks(snapshot: &Snapshot, now: Timestamp) -> (f64, f64, f64) {
    let (samples, percent) = window(snapshot.metrics.get(Metric::PendingTasks), now, 180);
    let pending = if percent < 70.0 { 1.0 } else { avg(samples) };
    (pending.min(25.0), percent, pending)
}

fn pending_tasks_run(snapshot: &Snapshot, now: Timestamp) -> AutoScaleRun {
    let (target, percent, pending) = pending_tasks(snapshot, now);
    AutoScaleRun {
        timestamp: now.to_rfc3339(),
        results: format!(
            "$TargetDedicatedNodes={};$TargetLowPriorityNodes={};$NodeDeallocationOption=taskcompletion;\
             maxNumberofVMs=25;pendingTaskSamplePercent={};pendingTaskSamples={};startingNumberOfVMs=1",
            format_target(target),
            format_target(snapshot.pool.target_low_priority_nodes),
            format_double(percent),
            format_double(pending),
        ),
        error: None,
    }
}

/// The CPU formula's values: (target, total dedicated nodes).
fn cpu(snapshot: &Snapshot, now: Timestamp) -> (f64, f64) {
    let h = snapshot.metrics.get(Metric::CpuPercent);
    let current = snapshot.pool.current_dedicated_nodes;
    let (ten, p10) = window(h, now, 600);
    let (sixty, p60) = window(h, now, 3600);
    assert!(p10 >= 70.0 && p60 >= 70.0, "enough samples");
    let total = if min(ten) > 0.7 {
        current * 1.1
    } else {
        current
    };
    let total = if avg(sixty) < 0.2 {
        current * 0.9
    } else {
        total
    };
    (total.min(400.0), total)
}

fn cpu_run(snapshot: &Snapshot, now: Timestamp) -> AutoScaleRun {
    let (target, total) = cpu(snapshot, now);
    AutoScaleRun {
        timestamp: now.to_rfc3339(),
        results: format!(
            "$TargetDedicatedNodes={};$TargetLowPriorityNodes={};$NodeDeallocationOption=requeue;\
             $totalDedicatedNodes={}",
            format_target(target),
            format_target(snapshot.pool.target_low_priority_nodes),
            format_double(total),
        ),
        error: None,
    }
}

struct Case {
    name: &'static str,
    formula: &'static str,
    baseline: fn(&Snapshot, Timestamp) -> f64,
    baseline_run: fn(&Snapshot, Timestamp) -> AutoScaleRun,
}

const CASES: [Case; 2] = [
    Case {
        name: "pending_tasks",
        formula: PENDING_TASKS,
        baseline: |s, now| pending_tasks(s, now).0,
        baseline_run: pending_tasks_run,
    },
    Case {
        name: "cpu",
        formula: CPU,
        baseline: |s, now| cpu(s, now).0,
        baseline_run: cpu_run,
    },
];

fn bench_end_to_end(c: &mut Criterion) {
    let snapshot = common::busy_pool(SAMPLES);
    let now = common::now();
    for case in &CASES {
        let compiled = common::Compiled::new(case.formula);
        // The engines agree: same target, same AutoScaleRun.
        let want = (case.baseline)(&snapshot, now);
        let got = compiled.target(&snapshot, now);
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{}: {got} vs {want}",
            case.name
        );
        let run = compiled.formula.evaluate_at(&snapshot, now).run;
        assert_eq!(run, (case.baseline_run)(&snapshot, now), "{}", case.name);

        let mut group = c.benchmark_group(format!("end_to_end/{}", case.name));
        group.bench_function("baseline", |b| {
            b.iter(|| (case.baseline)(&snapshot, black_box(now)))
        });
        group.bench_function("baseline_results", |b| {
            b.iter(|| (case.baseline_run)(&snapshot, black_box(now)))
        });
        let mut outcome = compiled.outcome(&snapshot, now);
        group.bench_function("batchscale", |b| {
            b.iter(|| compiled.outcome_into(&snapshot, black_box(now), &mut outcome))
        });
        group.bench_function("batchscale_run", |b| {
            b.iter(|| compiled.formula.evaluate_at(&snapshot, black_box(now)))
        });
        group.finish();
    }
}

criterion_group! { name = benches; config = common::config(); targets = bench_end_to_end }
criterion_main!(benches);
