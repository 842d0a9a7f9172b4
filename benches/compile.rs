//! `compile`: lex, parse, check and compile (`CompiledFormula::new`) the documentation's
//! formulas (`examples/`) and a formula at the 8192-character limit, in MB/s; and the
//! scalar logic of the `eval` benchmark compiled by every engine.
//!
//! The plain-Rust `baseline` reads the same text once with a hand-written tokenizer (the
//! floor for anything that looks at every byte); it must count the same tokens as
//! batchscale's lexer.
//!
//! `cargo bench --bench compile -- <filter>`, e.g. `compile/limit/batchscale`.

mod common;

use std::hint::black_box;

use batchscale::CompiledFormula;
use batchscale::{MAX_FORMULA_LENGTH, MAX_STATEMENTS};
use common::peers::{self, Batchscale, CASES, Cel, Evalexpr, Fasteval, Rhai};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fasteval2::Compiler as _;

const DOCS: [(&str, &str); 3] = [
    (
        "pending_tasks",
        include_str!("../examples/pending-tasks.formula"),
    ),
    ("cpu", include_str!("../examples/cpu.formula")),
    (
        "working_hours",
        include_str!("../examples/working-hours.formula"),
    ),
];

/// A formula of exactly 8192 characters and 100 statements: assignments in the style of
/// the published formulas, then a comment to fill the length.
fn formula_at_the_limit() -> String {
    let mut text = String::new();
    for i in 0..MAX_STATEMENTS - 1 {
        let statement = match i % 4 {
            0 => format!(
                "p{i} = $PendingTasks.GetSamplePercent(TimeInterval_Minute * {});\n",
                i % 10 + 1
            ),
            1 => format!(
                "a{i} = p{} < 70 ? {i} : avg($PendingTasks.GetSample(TimeInterval_Second * 180));\n",
                i - 1
            ),
            2 => format!(
                "c{i} = max($CurrentDedicatedNodes * 1.5 + {i}, a{} / 2) - {i}.25;\n",
                i - 1
            ),
            _ => format!(
                "t{i} = (c{} > 10 && $TaskSlotsPerNode >= 1) ? c{} : 10;\n",
                i - 1,
                i - 1
            ),
        };
        text.push_str(&statement);
    }
    text.push_str("$TargetDedicatedNodes = min(t95, t91, t87, 400);\n");
    let filler = MAX_FORMULA_LENGTH - text.len() - 3;
    assert!(filler < MAX_FORMULA_LENGTH, "the statements fit");
    text.push_str("//");
    text.push_str(&"x".repeat(filler));
    text.push('\n');
    assert_eq!(text.len(), MAX_FORMULA_LENGTH);
    text
}

/// A hand-written tokenizer: the number of tokens, numbers parsed as the lexer does.
fn count_tokens(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut n) = (0, 0);
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && !matches!(b[i], b'\r' | b'\n') {
                i += 1;
            }
            continue;
        }
        n += 1;
        let start = i;
        i += 1;
        if c == b'$' || c == b'_' || c.is_ascii_alphabetic() {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            black_box(text[start..i].parse::<f64>().ok());
        } else if c == b'"' {
            while b[i] != b'"' {
                i += 1;
            }
            i += 1;
        } else if matches!(
            (c, b.get(i)),
            (b'&', Some(b'&')) | (b'|', Some(b'|')) | (b'=' | b'!' | b'<' | b'>', Some(b'='))
        ) {
            i += 1;
        }
    }
    n
}

fn compile(text: &str) -> CompiledFormula {
    let formula = CompiledFormula::new(text).expect("accepted");
    assert!(
        formula.diagnostics().iter().all(|d| !d.is_error()),
        "{:?}",
        formula.diagnostics()
    );
    formula
}

fn bench_formulas(c: &mut Criterion) {
    let limit = formula_at_the_limit();
    let mut group = c.benchmark_group("compile");
    for (name, text) in DOCS.iter().copied().chain([("limit", limit.as_str())]) {
        let lexer_tokens = batchscale::internals::syntax::lexer::tokens(text)
            .collect::<Result<Vec<_>, _>>()
            .expect("lexes")
            .len();
        assert_eq!(count_tokens(text), lexer_tokens, "{name}");
        let formula = compile(text);
        assert!(batchscale::internals::ast(&formula).statements.len() <= MAX_STATEMENTS);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{name}/baseline"), |b| {
            b.iter(|| count_tokens(black_box(text)))
        });
        group.bench_function(format!("{name}/batchscale"), |b| {
            b.iter(|| CompiledFormula::new(black_box(text)))
        });
    }
    group.finish();
}

/// The `eval` benchmark's scalar logic, compiled by each engine.
fn bench_peers(c: &mut Criterion) {
    for case in CASES.iter().filter(|c| c.name != "statements") {
        // What each engine compiles evaluates the same on every input.
        peers::assert_all_agree(
            case,
            &mut Batchscale::new(case.batchscale),
            case.fasteval.map(Fasteval::new).as_ref(),
            case.cel.map(Cel::new).as_mut(),
            &mut Evalexpr::new(case.evalexpr),
            &mut Rhai::new(case.rhai),
        );
        let mut group = c.benchmark_group(format!("compile/{}", case.name));
        group.bench_function("baseline", |b| {
            b.iter(|| count_tokens(black_box(case.batchscale)))
        });
        group.bench_function("batchscale", |b| {
            b.iter(|| CompiledFormula::new(black_box(case.batchscale)))
        });
        if let Some(text) = case.fasteval {
            let parser = fasteval2::Parser::new();
            let mut slab = fasteval2::Slab::new();
            group.bench_function("fasteval2", |b| {
                b.iter(|| {
                    parser
                        .parse(black_box(text), &mut slab.ps)
                        .expect("parses")
                        .from(&slab.ps)
                        .compile(&slab.ps, &mut slab.cs, &mut fasteval2::EmptyNamespace)
                })
            });
        }
        if let Some(text) = case.cel {
            group.bench_function("cel", |b| b.iter(|| cel::Program::compile(black_box(text))));
        }
        group.bench_function("evalexpr", |b| {
            b.iter(|| evalexpr::build_operator_tree(black_box(case.evalexpr)))
        });
        let engine = rhai::Engine::new();
        group.bench_function("rhai", |b| b.iter(|| engine.compile(black_box(case.rhai))));
        group.finish();
    }
}

criterion_group! { name = benches; config = common::config(); targets = bench_formulas, bench_peers }
criterion_main!(benches);
