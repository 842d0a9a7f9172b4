//! Order, robustness, and the conformance corpus.

use super::*;

use crate::syntax::ast::{Expr, ExprKind, Formula, StatementKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::parser::parse;
use crate::syntax::span::{LineIndex, Span};

#[test]
fn diagnostics_come_in_source_order() {
    let text = "a = nope1;\nb = $TargetDedicated + nope2;\nc = 1 / 0;";
    let all = diagnostics(text);
    let starts: Vec<u32> = all.iter().map(|d| d.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    let spans: Vec<&str> = all.iter().map(|d| &text[d.span.range()]).collect();
    assert_eq!(spans, ["nope1", "$TargetDedicated", "nope2", "1 / 0"]);
}

#[test]
fn a_tree_deeper_than_the_limit_does_not_overflow() {
    // Built by hand: no text the pipeline accepts nests this deeply. The checker stops
    // at the limit, so a stack sized for the limit holds it.
    let span = Span::new(0, 1);
    let mut e = Expr::new(ExprKind::Number(1.0), span);
    for _ in 0..MAX_NESTING_DEPTH * 4 {
        let operand = Box::new(e);
        e = Expr::new(
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            },
            span,
        );
    }
    let statement = crate::syntax::ast::Statement {
        kind: StatementKind::Expr(e),
        span,
    };
    let formula = Formula {
        statements: vec![statement],
    };
    let found = crate::syntax::nesting::with_stack(MAX_NESTING_DEPTH, || check(&formula));
    assert!(found.is_empty());
    crate::syntax::nesting::dismantle(formula);
}

#[test]
fn an_empty_formula_is_clean() {
    clean("");
    clean("  // only a comment\n");
}

proptest::proptest! {
    /// Any formula that parses can be checked without a panic.
    #[test]
    fn checking_never_panics(tokens in proptest::collection::vec(proptest::sample::select(vec![
        "x", "$x", "=", ";", "1", "0", "-", "!", "+", "*", "/", "<", "==", "&&", "?", ":",
        "(", ")", ",", ".", "\"a\"", "avg", "stop", "time", "val", "percentile", "floor",
        "$CPUPercent", "$MemoryBytes", "GetSample", "Count", "hour", "weekday", "7",
        "requeue", "TimeInterval_Minute", "$TargetDedicatedNodes", "$NodeDeallocationOption",
        "$TargetDedicated", "$CurrentDedicated", "foo",
    ]), 0..24)) {
        let text = tokens.join(" ");
        let parsed = parse(&text);
        let all = check(&parsed.formula);
        for d in &all {
            proptest::prop_assert!(text.get(d.span.range()).is_some());
        }
    }
}

#[test]
fn the_conformance_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/corpus.jsonl"
    );
    let Ok(corpus) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is absent");
        return;
    };
    let mut checked = 0;
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let id = case["id"].as_str().unwrap_or("?");
        let text = case["formula"].as_str().expect("a formula");
        let parsed = parse(text);
        let all = check(&parsed.formula);
        let first_error = all.iter().find(|d| d.is_error());
        if case["valid"].as_bool() == Some(true) {
            assert!(parsed.errors.is_empty(), "{id}: {:?}", parsed.errors);
            assert!(first_error.is_none(), "{id}: {all:#?}");
        } else if parsed.errors.is_empty() {
            let expected = case["first_error"].as_str().expect("a first error");
            let d = first_error.unwrap_or_else(|| panic!("{id}: no error found"));
            let at = LineIndex::new(text).line_col(text, d.span.start as usize);
            let position = format!("Line {}, Col {}: ", at.line, at.column);
            assert!(
                expected.starts_with(&position),
                "{id}: {position} {d:?}, expected {expected}"
            );
            assert_eq!(&expected[position.len()..], d.message, "{id}");
        }
        checked += 1;
    }
    assert!(checked >= 29, "only {checked} corpus formulas");
}
