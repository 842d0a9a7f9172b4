//! The lints' shared walk over the syntax tree: children, names read, chains of one
//! logical operator, and the metric a receiver names; comparisons flipped and negated.

use std::collections::BTreeSet;

use crate::builtins::{self, Implementation, Metric};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind};
use crate::syntax::nesting::MAX_NESTING_DEPTH;

/// Calls `f` on each direct sub-expression.
pub(super) fn for_each_child<'e>(e: &'e Expr, f: impl FnMut(&'e Expr)) {
    e.for_each_child(f);
}

/// Every name read in an expression.
pub(super) fn names_read<'e>(e: &'e Expr, read: &mut BTreeSet<&'e str>, depth: usize) {
    if depth > MAX_NESTING_DEPTH {
        return;
    }
    if let ExprKind::Name(name) = &e.kind {
        read.insert(name);
    }
    for_each_child(e, |c| names_read(c, read, depth + 1));
}

/// The leaves of a chain of one logical operator: `a && b && c` gives a, b, c.
pub(super) fn chain<'e>(e: &'e Expr, op: BinaryOp, leaves: &mut Vec<&'e Expr>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
                stack.push(rhs);
                stack.push(lhs);
            }
            _ => leaves.push(e),
        }
    }
}

/// Whether an expression calls `rand()`.
pub(super) fn calls_rand(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Call { function, .. } = &e.kind
            && builtins::function(&function.text)
                .is_some_and(|f| f.implementation == Implementation::Rand)
        {
            return true;
        }
        for_each_child(e, |child| stack.push(child));
    }
    false
}

/// The metric a receiver names.
pub(super) fn metric_of(receiver: &Expr) -> Option<Metric> {
    match &receiver.kind {
        ExprKind::Name(name) => Metric::from_name(name),
        _ => None,
    }
}

/// `a op b` read from the right: `b flip(op) a`.
pub(super) fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

/// The comparison that holds exactly when `op` does not.
pub(super) fn negate(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Lt => BinaryOp::Ge,
        BinaryOp::Le => BinaryOp::Gt,
        BinaryOp::Gt => BinaryOp::Le,
        BinaryOp::Ge => BinaryOp::Lt,
        BinaryOp::Eq => BinaryOp::Ne,
        BinaryOp::Ne => BinaryOp::Eq,
        _ => return None,
    })
}
