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
    fold_with(e, &|_| None)
}

/// The value of an expression made of numbers, operators and names whose value `known`
/// gives: the lints pass the variables last assigned a constant, so that `hi = 4 + 1;`
/// makes `hi - 1` 4. A name `known` does not give (a system variable, a named constant, a
/// variable assigned anything else) makes the expression not constant.
pub fn fold_with(e: &Expr, known: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    fold_at(e, known, 0)
}

fn fold_at(e: &Expr, known: &dyn Fn(&str) -> Option<f64>, depth: usize) -> Option<f64> {
    if depth > MAX_NESTING_DEPTH {
        return None;
    }
    match &e.kind {
        ExprKind::Number(c) => Some(*c),
        ExprKind::Name(name) => known(name),
        ExprKind::Unary { op, operand } => {
            let x = fold_at(operand, known, depth + 1)?;
            match operators::unary(*op, &Value::Double(x)) {
                Ok(Value::Double(y)) => Some(y),
                _ => None,
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let (x, y) = (
                fold_at(lhs, known, depth + 1)?,
                fold_at(rhs, known, depth + 1)?,
            );
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

#[cfg(test)]
mod tests {
    use super::{fold, fold_with};
    use crate::syntax::parser::parse_expr;

    fn expr(text: &str) -> crate::syntax::ast::Expr {
        parse_expr(text).expect("an expression")
    }

    /// `lo` is 1 and `hi` is 5; nothing else has a value.
    fn known(name: &str) -> Option<f64> {
        match name {
            "lo" => Some(1.0),
            "hi" => Some(5.0),
            _ => None,
        }
    }

    #[test]
    fn fold_takes_numbers_and_operators_only() {
        assert_eq!(fold(&expr("4 + 1")), Some(5.0));
        assert_eq!(fold(&expr("-(2 * 3) < 0")), Some(1.0));
        assert_eq!(fold(&expr("hi - 1")), None);
        assert_eq!(fold(&expr("time().hour")), None);
    }

    #[test]
    fn fold_with_gives_names_the_values_it_is_told() {
        assert_eq!(fold_with(&expr("hi - 1"), &known), Some(4.0));
        assert_eq!(fold_with(&expr("lo < hi && !(hi == 5)"), &known), Some(0.0));
        assert_eq!(fold_with(&expr("-lo"), &known), Some(-1.0));
    }

    #[test]
    fn fold_with_stops_at_a_name_without_a_value() {
        for text in [
            "lo + other",
            "$CurrentDedicatedNodes",
            "TimeInterval_Minute * hi",
            "lo ? 1 : 2",
            "max(lo, hi)",
        ] {
            assert_eq!(fold_with(&expr(text), &known), None, "{text}");
        }
    }
}
