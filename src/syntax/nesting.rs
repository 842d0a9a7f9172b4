//! How deeply a formula nests, measured without recursion, and the stack the recursive
//! phases get for it.
//!
//! The parser is table-driven, but everything after it (the checker, the lints, the
//! compiler, the evaluator, the formatter, and the derived `Clone`, `Debug` and `Drop` of
//! the syntax tree and the compiled program) walks the tree recursively. There is no
//! nesting limit below what the service's 8192 characters can express (language.md
//! section 9.2 \[decided\]): a chain of 4,000 `+` terms, 2,000 nested parentheses or
//! ternaries, 8,191 unary minus signs check and evaluate like any other formula. So a
//! phase that walks a deep tree runs through [`with_stack`], which gives it a stack sized
//! for its depth (grown with `stacker` only when the current one is too small: a shallow
//! formula pays one comparison).
//!
//! The depth of an expression is the number of expression nodes on its longest path from
//! the statement's root: `1` is 1 deep, `-1` and `1 + 2` are 2, `max(1, -x)` is 3.
//! Parentheses add nothing (they leave no node in the tree). Every node but a leaf has a
//! token of its own, so a formula nests at most as deep as it has characters: 8192.

use super::ast::{Expr, ExprKind, Formula, Statement, StatementKind};
use super::span::Span;

/// The deepest expression nesting batchscale takes: the deepest that a formula within the
/// service's length limit can hold (`---...-1`, 8191 minus signs). Only a longer text,
/// which the service refuses for its length first, can nest deeper; the formatter, which
/// formats texts of any length, refuses those (`BS0004`).
pub const MAX_NESTING_DEPTH: usize = crate::engine::MAX_FORMULA_LENGTH;

/// Up to this depth every recursive phase fits any thread's stack as it is (a 2 MiB
/// thread's in an unoptimised build, with room to spare): [`with_stack`] adds nothing.
pub const SHALLOW_DEPTH: usize = 64;

/// The stack one level of nesting may take in the most demanding phase, with a margin:
/// measured on the deepest formula of each shape that fits in 8192 characters (unary
/// operators, sums, ternaries, calls, fields, method arguments), the evaluator takes up to
/// 12 KiB a level unoptimised and 1 KiB optimised; the checker, the lints and the compiler
/// less.
const STACK_PER_LEVEL: usize = if cfg!(debug_assertions) {
    32 * 1024
} else {
    4 * 1024
};

/// Room for what runs around the recursion (the caller's frames, formatting a message).
const STACK_MARGIN: usize = 256 * 1024;

/// Runs `f` with enough stack for the recursive phases on a tree `depth` levels deep: on
/// the current stack when it has room (always for a depth up to [`SHALLOW_DEPTH`]), else
/// on a stack grown for it (`stacker`; only the pages used are touched).
#[inline]
pub fn with_stack<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    if depth <= SHALLOW_DEPTH {
        return f();
    }
    let needed = depth
        .min(MAX_NESTING_DEPTH + 1)
        .saturating_mul(STACK_PER_LEVEL)
        .saturating_add(STACK_MARGIN);
    stacker::maybe_grow(needed, needed, f)
}

/// How deeply the deepest statement of a formula nests (0 for no statement). Uses an
/// explicit stack: any depth is safe.
pub fn depth(formula: &Formula) -> usize {
    formula
        .statements
        .iter()
        .map(|s| expr_depth(statement_expr(s), usize::MAX - 1).0)
        .max()
        .unwrap_or(0)
}

/// A statement that nests deeper than [`MAX_NESTING_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// Index of the statement in [`Formula::statements`].
    pub statement: usize,
    /// How deep the statement's expression nests.
    pub depth: usize,
    /// The outermost expression at depth `MAX_NESTING_DEPTH + 1`: where it gets too deep.
    pub span: Span,
}

impl TooDeep {
    /// One lower-case sentence for the diagnostic and the Batch error's `Message`.
    pub fn message(&self) -> String {
        format!(
            "the text nests {} levels deep, deeper than any formula of at most \
             {MAX_NESTING_DEPTH} characters can",
            self.depth
        )
    }

    /// How to fix it.
    pub fn help(&self) -> &'static str {
        "no formula the service accepts nests this deeply: it takes at most 8192 characters"
    }

    /// The error diagnostic (code `BS0004`).
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic::new(
            crate::diagnostic::Code::TooDeep,
            self.span,
            self.message(),
        )
        .with_help(self.help())
    }
}

/// The depth of an expression (1 for a leaf), and the outermost node at `limit + 1` if
/// it goes deeper than `limit`. Uses an explicit stack: any depth is safe.
pub fn expr_depth<'a>(root: &'a Expr, limit: usize) -> (usize, Option<Span>) {
    let mut deepest = 0;
    let mut first_too_deep: Option<Span> = None;
    let mut stack: Vec<(&'a Expr, usize)> = vec![(root, 1)];
    while let Some((e, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if depth == limit + 1 && first_too_deep.is_none_or(|s| e.span.start < s.start) {
            first_too_deep = Some(e.span);
        }
        e.for_each_child(|child| stack.push((child, depth + 1)));
    }
    (deepest, first_too_deep)
}

fn statement_expr(statement: &Statement) -> &Expr {
    match &statement.kind {
        StatementKind::Assign { value, .. } => value,
        StatementKind::Expr(e) => e,
    }
}

/// Every statement that nests deeper than [`MAX_NESTING_DEPTH`], in order.
pub fn too_deep(formula: &Formula) -> Vec<TooDeep> {
    formula
        .statements
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (depth, span) = expr_depth(statement_expr(s), MAX_NESTING_DEPTH);
            span.map(|span| TooDeep {
                statement: i,
                depth,
                span,
            })
        })
        .collect()
}

/// Drops a syntax tree of any depth without recursion (the derived drop recurses once
/// per level).
pub fn dismantle(formula: Formula) {
    let mut stack: Vec<Expr> = Vec::new();
    for statement in formula.statements {
        match statement.kind {
            StatementKind::Assign { value, .. } => stack.push(value),
            StatementKind::Expr(e) => stack.push(e),
        }
        while let Some(e) = stack.pop() {
            match e.kind {
                ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Name(_) => {}
                ExprKind::Unary { operand, .. } => stack.push(*operand),
                ExprKind::Binary { lhs, rhs, .. } => {
                    stack.push(*lhs);
                    stack.push(*rhs);
                }
                ExprKind::Conditional {
                    condition,
                    then,
                    otherwise,
                } => {
                    stack.push(*condition);
                    stack.push(*then);
                    stack.push(*otherwise);
                }
                ExprKind::Call { args, .. } => stack.extend(args),
                ExprKind::Method { receiver, args, .. } => {
                    stack.push(*receiver);
                    stack.extend(args);
                }
                ExprKind::Field { receiver, .. } => stack.push(*receiver),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parser::parse;

    fn depth_of(text: &str) -> usize {
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        expr_depth(
            statement_expr(&parsed.formula.statements[0]),
            usize::MAX - 1,
        )
        .0
    }

    #[test]
    fn depth_counts_nodes_on_the_longest_path_not_parentheses() {
        assert_eq!(depth_of("1"), 1);
        assert_eq!(depth_of("((((1))))"), 1);
        assert_eq!(depth_of("-1"), 2);
        assert_eq!(depth_of("x = 1 + 2"), 2);
        assert_eq!(depth_of("max(1, -x)"), 3);
        assert_eq!(depth_of("1 + 2 + 3 + 4"), 4);
        assert_eq!(depth_of("a ? b : c ? d : e"), 3);
        assert_eq!(depth_of("time().year"), 2);
        assert_eq!(depth_of("$CPUPercent.GetSample(1 * 2)"), 3);
    }

    #[test]
    fn too_deep_points_at_the_outermost_node_past_the_limit() {
        let text = format!("x = 1;\ny = {}1", "-".repeat(MAX_NESTING_DEPTH + 5));
        let parsed = parse(&text);
        let found = too_deep(&parsed.formula);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, 1);
        assert_eq!(found[0].depth, MAX_NESTING_DEPTH + 6);
        // Line 2 "y = " then MAX_NESTING_DEPTH minus signs, then the one too deep.
        assert_eq!(found[0].span.start as usize, 11 + MAX_NESTING_DEPTH);
        assert_eq!(depth(&parsed.formula), MAX_NESTING_DEPTH + 6);
        dismantle(parsed.formula);
        let ok = format!("y = {}1", "-".repeat(MAX_NESTING_DEPTH - 1));
        let parsed = parse(&ok);
        assert!(too_deep(&parsed.formula).is_empty());
        dismantle(parsed.formula);
    }

    #[test]
    fn no_formula_within_the_length_limit_is_too_deep() {
        // The deepest text of 8192 characters: 8191 minus signs and a digit.
        let text = format!("{}1", "-".repeat(crate::engine::MAX_FORMULA_LENGTH - 1));
        let parsed = parse(&text);
        assert_eq!(depth(&parsed.formula), MAX_NESTING_DEPTH);
        assert!(too_deep(&parsed.formula).is_empty());
        dismantle(parsed.formula);
    }

    #[test]
    fn with_stack_gives_a_deep_walk_room_on_a_small_thread() {
        fn walk(e: &Expr) -> usize {
            let mut deepest = 0;
            e.for_each_child(|c| deepest = deepest.max(walk(c)));
            deepest + 1
        }
        let text = format!("x = {}1", "-".repeat(8000));
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let parsed = parse(&text);
                let d = depth(&parsed.formula);
                let StatementKind::Assign { value, .. } = &parsed.formula.statements[0].kind else {
                    panic!("an assignment")
                };
                assert_eq!(with_stack(d, || walk(value)), 8001);
                dismantle(parsed.formula);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn dismantle_drops_a_very_deep_tree_on_a_small_stack() {
        let text = format!("x = {}1", "-".repeat(100_000));
        let parsed = parse(&text);
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || dismantle(parsed.formula))
            .unwrap()
            .join()
            .unwrap();
    }
}
