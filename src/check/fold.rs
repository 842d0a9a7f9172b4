//! Constant folding over the syntax tree, shared by the checker and the lints. The
//! arithmetic is the operator table's ([`crate::builtins::operators`]), the evaluator's.

use crate::builtins::operators;
use crate::eval::value::Value;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;

/// A number literal, possibly negated: all the folding the checker's constant checks need
/// (`GetSample(0)`, `x / 0`, `percentile(v, 101)`).
pub fn literal(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Number(x) => Some(*x),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => literal(operand).map(|x| -x),
        _ => None,
    }
}

/// The value of an expression made only of numbers and operators: a constant condition.
pub fn fold(e: &Expr) -> Option<f64> {
    fold_at(e, 0)
}

fn fold_at(e: &Expr, depth: usize) -> Option<f64> {
    if depth > MAX_NESTING_DEPTH {
        return None;
    }
    match &e.kind {
        ExprKind::Number(c) => Some(*c),
        ExprKind::Unary { op, operand } => {
            let x = fold_at(operand, depth + 1)?;
            match operators::unary(*op, &Value::Double(x)) {
                Ok(Value::Double(y)) => Some(y),
                _ => None,
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let (x, y) = (fold_at(lhs, depth + 1)?, fold_at(rhs, depth + 1)?);
            apply(*op, x, y)
        }
        _ => None,
    }
}

/// `x op y` on two doubles: arithmetic in IEEE-754, comparisons and logic as 1 or 0.
pub fn apply(op: BinaryOp, x: f64, y: f64) -> Option<f64> {
    match operators::binary(op, &Value::Double(x), &Value::Double(y)) {
        Ok(Value::Double(z)) => Some(z),
        _ => None,
    }
}
