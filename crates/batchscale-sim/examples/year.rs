//! One pool for a simulated year (or the open loop, or many seeds of a week), timed, with
//! the peak memory: the figures behind BENCHMARKS.md's simulation section.
//!
//! `cargo run --release -p batchscale-sim --example year -- closed|open|seeds [N] [THREADS]`

use std::time::Instant;

use batchscale::time::{TICKS_PER_DAY, TICKS_PER_MINUTE};
use batchscale::{Interval, Metric, Timestamp};
use batchscale_sim::scenario::Scenario;
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan, run_seeds};
use batchscale_sim::synthetic::{metric_series, task_stream};

const PENDING: &str = include_str!("../../../examples/pending-tasks.formula");
const CPU: &str = include_str!("../../../examples/cpu.formula");

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("closed", String::as_str);
    let start = Timestamp::parse_rfc3339("2025-01-06T00:00:00Z").unwrap();
    let mut scenario = Scenario::default();
    scenario.params.task_slots_per_node = 4;
    let days: i64 = args.get(1).and_then(|d| d.parse().ok()).unwrap_or(365);
    let span = Interval(days * TICKS_PER_DAY);
    let inputs = |formula: &str, driver: Driver, span: Interval| Inputs {
        formula_name: "bench.formula".into(),
        formula_text: formula.into(),
        scenario: scenario.clone(),
        driver,
        start: Some(start),
        duration: Some(span),
        interval: Some(Interval(5 * TICKS_PER_MINUTE)),
    };
    let before = peak_rss_kib();
    match what {
        "closed" => {
            let tasks = (1_000_000i64 * days / 365) as usize;
            let plan = Plan::new(inputs(
                PENDING,
                Driver::Workload(task_stream(1, tasks, span)),
                span,
            ))
            .unwrap();
            let after_input = peak_rss_kib();
            let began = Instant::now();
            let result = plan.run(0, &mut Outputs::default()).unwrap();
            let wall = began.elapsed().as_secs_f64();
            let s = result.summary;
            println!(
                "closed loop: {days} days, {tasks} tasks, {} evaluations: {wall:.3} s, {:.0}x real time; completed {}, node-hours {}; peak RSS {} KiB (inputs {} KiB)",
                s.evaluations.total.0,
                span.ticks() as f64 / 1e7 / wall,
                s.tasks.completed.0,
                s.node_hours.dedicated.0,
                peak_rss_kib(),
                after_input.saturating_sub(before),
            );
        }
        "open" => {
            let series = metric_series(2, start, span);
            let samples = series.len();
            let plan = Plan::new(inputs(
                CPU,
                Driver::Metrics(vec![(Metric::CpuPercent, series)]),
                span,
            ))
            .unwrap();
            let began = Instant::now();
            let result = plan.run(0, &mut Outputs::default()).unwrap();
            let wall = began.elapsed().as_secs_f64();
            println!(
                "open loop: {days} days, {samples} samples, {} evaluations: {wall:.3} s, {:.0}x real time; peak RSS {} KiB",
                result.summary.evaluations.total.0,
                span.ticks() as f64 / 1e7 / wall,
                peak_rss_kib()
            );
        }
        "seeds" => {
            let seeds: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
            let threads: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
            let week = Interval(7 * TICKS_PER_DAY);
            let mut s = scenario.clone();
            s.params.preemption_per_node_hour = 0.05;
            let plan = Plan::new(Inputs {
                scenario: s,
                ..inputs(
                    PENDING,
                    Driver::Workload(task_stream(3, 20_000, week)),
                    week,
                )
            })
            .unwrap();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let began = Instant::now();
            let (summaries, _) =
                pool.install(|| run_seeds(&plan, 0, seeds, &mut Outputs::default()).unwrap());
            let wall = began.elapsed().as_secs_f64();
            println!(
                "{seeds} seeds of a week on {} threads: {wall:.3} s ({:.2} ms a seed)",
                pool.current_num_threads(),
                wall * 1000.0 / summaries.len() as f64
            );
        }
        other => eprintln!("unknown benchmark {other}: closed, open or seeds"),
    }
}
