//! How deeply a formula nests, measured without recursion, and the limit on it.
//!
//! The parser is table-driven, but everything after it (the checker, the compiler, the
//! evaluator, the formatter, and the derived `Clone`, `Debug` and `Drop` of the syntax
//! tree) walks the tree recursively. An 8192-character formula can nest 8192 levels deep
//! (`----...1`), which would overflow a thread's stack. So a formula that nests deeper
//! than [`MAX_NESTING_DEPTH`] is refused right after parsing, as a syntax error
//! \[decided: the service's own limit is not documented\].
//!
//! The depth of an expression is the number of expression nodes on its longest path from
//! the statement's root: `1` is 1 deep, `-1` and `1 + 2` are 2, `max(1, -x)` is 3.
//! Parentheses add nothing (they leave no node in the tree).

use super::ast::{Expr, ExprKind, Formula, Statement, StatementKind};
use super::span::Span;

/// The deepest expression nesting batchscale accepts \[decided\]. Far above what real
/// formulas use (a 24-way `?:` chain on the hour nests about 27 deep), and low enough that
/// every recursive phase fits a 2 MiB thread stack in an unoptimised build.
pub const MAX_NESTING_DEPTH: usize = 128;

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
            "the formula nests {} levels deep; at most {MAX_NESTING_DEPTH} are supported",
            self.depth
        )
    }

    /// How to fix it.
    pub fn help(&self) -> &'static str {
        "move inner parts into variables of their own, one statement each (this limit is \
         batchscale's own: the service's behaviour here is unverified)"
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

    fn depth(text: &str) -> usize {
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
        assert_eq!(depth("1"), 1);
        assert_eq!(depth("((((1))))"), 1);
        assert_eq!(depth("-1"), 2);
        assert_eq!(depth("x = 1 + 2"), 2);
        assert_eq!(depth("max(1, -x)"), 3);
        assert_eq!(depth("1 + 2 + 3 + 4"), 4);
        assert_eq!(depth("a ? b : c ? d : e"), 3);
        assert_eq!(depth("time().year"), 2);
        assert_eq!(depth("$CPUPercent.GetSample(1 * 2)"), 3);
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
        let ok = format!("y = {}1", "-".repeat(MAX_NESTING_DEPTH - 1));
        assert!(too_deep(&parse(&ok).formula).is_empty());
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
