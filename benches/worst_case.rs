//! `worst_case`: the most expensive formulas of at most 8192 characters, to show that
//! parsing, checking, compiling and evaluating them takes bounded time (issue 5).
//!
//! - `front/<shape>`: `CompiledFormula::new` (length, parse, statement count, check,
//!   compile) of the formulas that are hardest for the front end: the most tokens, the
//!   deepest formula of each shape that fits in 8192 characters (there is no nesting limit
//!   below that: language.md section 9.2), and the most syntax errors;
//! - `eval/<shape>`: one evaluation of the formulas that are hardest for the evaluator,
//!   against a snapshot whose `$CPUPercent` holds `SAMPLES` samples, all in every window:
//!   the most `percentile` sorts, the most whole-history vector operations, the most
//!   sample windows, and the deepest `?:` and call chains that fit.
//!
//! `cargo bench --bench worst_case -- <filter>`.

use std::hint::black_box;

use batchscale::CompiledFormula;
use batchscale::Metric;
use batchscale::time::{Interval, TICKS_PER_SECOND, Timestamp};
use batchscale::{MAX_FORMULA_LENGTH, MAX_STATEMENTS};
use batchscale::{SampleHistory, Snapshot};
use criterion::{Criterion, criterion_group, criterion_main};

/// Samples in the benchmark's history: over a month of 30-second samples.
const SAMPLES: usize = 100_000;

/// Statements `make(i)` after a `prelude`, as many as fit in 8192 characters and 100
/// statements.
fn fill(prelude: &str, make: impl Fn(usize) -> String) -> String {
    let mut text = prelude.to_string();
    let first = prelude.matches(';').count();
    for i in 0..MAX_STATEMENTS - first {
        let statement = make(i);
        if text.len() + statement.len() > MAX_FORMULA_LENGTH {
            break;
        }
        text.push_str(&statement);
    }
    text
}

/// An operand chain `first op x op x ...` of `n` operators.
fn chain(first: &str, op: &str, x: &str, n: usize) -> String {
    let mut s = first.to_string();
    for _ in 0..n {
        s.push_str(op);
        s.push_str(x);
    }
    s
}

fn front_cases() -> Vec<(&'static str, String)> {
    vec![
        // ~4000 tokens: sums of 39 ones in 100 statements.
        (
            "most_tokens",
            fill("", |i| format!("a{i}={};", chain("1", "+", "1", 39))),
        ),
        (
            "deepest_calls",
            format!("x={}1{}", "max(".repeat(1637), ")".repeat(1637)),
        ),
        (
            "deepest_ternary",
            format!("x={}1{}", "1?".repeat(2047), ":0".repeat(2047)),
        ),
        ("deepest_minus", format!("{}1", "-".repeat(8191))),
        ("deepest_sum", format!("x=1{}", "+1".repeat(4094))),
        (
            "parens_8192",
            format!("{}1{}", "(".repeat(4095), ")".repeat(4095)),
        ),
        // The most syntax errors: every statement broken, each message looked up.
        ("errors_missing_semicolons", repeat_to_limit("a\nb;\n")),
        ("errors_characters", repeat_to_limit("a=1&2;")),
        ("errors_operators", repeat_to_limit("a=*1;")),
    ]
}

/// `unit` repeated as often as fits in 8192 characters.
fn repeat_to_limit(unit: &str) -> String {
    unit.repeat(MAX_FORMULA_LENGTH / unit.len())
}

fn eval_cases() -> Vec<(&'static str, String)> {
    let v = "v=$CPUPercent.GetSample(1000000);";
    vec![
        (
            "percentiles",
            fill(v, |i| {
                format!(
                    "a{i}={};",
                    chain("percentile(v,50)", "+", "percentile(v,50)", 4)
                )
            }),
        ),
        (
            "vector_products",
            fill(v, |i| format!("a{i}=len({});", chain("v", "*", "v", 60))),
        ),
        (
            "sample_windows",
            fill("", |i| {
                format!(
                    "a{i}=avg($CPUPercent.GetSample(TimeInterval_Day*{},1));",
                    i % 30 + 1
                )
            }),
        ),
        (
            "deepest_ternary",
            format!(
                "a=$CurrentDedicatedNodes;x={}a{}",
                "a?".repeat(2035),
                ":0".repeat(2035)
            ),
        ),
        (
            "deepest_calls",
            format!(
                "a=$CurrentDedicatedNodes;x={}a,1{}",
                "max(a,".repeat(1160),
                ")".repeat(1160)
            ),
        ),
    ]
}

fn snapshot() -> (Snapshot, Timestamp) {
    let start = 638_000_000_000_000_000i64;
    let period = 30 * TICKS_PER_SECOND;
    let samples = (0..SAMPLES)
        .map(|i| {
            let t = Timestamp::from_ticks(start + i as i64 * period).unwrap();
            // A pseudo-random spread, so sorts do real work.
            let x =
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
            (t, x * 100.0)
        })
        .collect();
    let mut snapshot = Snapshot::default();
    snapshot.metrics.set(
        Metric::CpuPercent,
        SampleHistory::from_samples(Interval(period), samples).unwrap(),
    );
    let now = Timestamp::from_ticks(start + SAMPLES as i64 * period).unwrap();
    (snapshot, now)
}

fn bench(c: &mut Criterion) {
    let mut front = c.benchmark_group("front");
    for (name, text) in front_cases() {
        assert!(text.len() <= MAX_FORMULA_LENGTH, "{name}");
        front.bench_function(name, |b| {
            b.iter(|| black_box(CompiledFormula::new(black_box(&text)).is_ok()))
        });
    }
    front.finish();

    let (snapshot, now) = snapshot();
    let mut eval = c.benchmark_group("eval");
    eval.sample_size(10);
    for (name, text) in eval_cases() {
        assert!(text.len() <= MAX_FORMULA_LENGTH, "{name}");
        let formula = CompiledFormula::new(&text).unwrap_or_else(|r| panic!("{name}: {r}"));
        let run = formula.evaluate_at(&snapshot, now).run;
        assert!(run.error.is_none(), "{name}: {:?}", run.error);
        eval.bench_function(name, |b| {
            b.iter(|| black_box(formula.evaluate_at(black_box(&snapshot), now)))
        });
    }
    eval.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
