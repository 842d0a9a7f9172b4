//! The checker on operators: the types of `op a` and `a op b` from the operator table,
//! and the warnings that hang on operators (precedence, short circuits, constants).

use std::collections::BTreeSet;

use super::help::operand_help;
use super::walk::Checker;
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{Field, operators};
use crate::check::fold::literal;
use crate::diagnostic::Code;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::span::Span;

impl Checker<'_> {
    /// A sample call that can fail, on the right of `&&` or `||`: whether it runs depends
    /// on short-circuit evaluation \[decided\].
    pub(super) fn short_circuit(&mut self, op: BinaryOp, rhs: Span) {
        let when = if op == BinaryOp::And { "false" } else { "true" };
        self.report(
            Code::ShortCircuit,
            rhs,
            format!(
                "this sample call runs only when the left side of '{}' is not {when} \
                 (short-circuit evaluation); the service's behaviour here is unverified: it \
                 may evaluate both sides, and the call may then fail",
                op.symbol()
            ),
            Some(
                "guard the call with 'condition ? ... : ...', which runs only one branch"
                    .to_string(),
            ),
        );
    }

    /// `a && b || c` and `a < b < c` without parentheses: C's precedence \[decided\].
    pub(super) fn precedence(&mut self, e: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) {
        // Parentheses leave no node: a child is bare when it starts (left operand) or ends
        // (right operand) where its parent does.
        let bare = |child: &Expr, left: bool| {
            if left {
                child.span.start == e.span.start
            } else {
                child.span.end == e.span.end
            }
        };
        let binary_op = |child: &Expr| match &child.kind {
            ExprKind::Binary { op, .. } => Some(*op),
            _ => None,
        };
        for (child, left) in [(lhs, true), (rhs, false)] {
            let Some(inner) = binary_op(child) else {
                continue;
            };
            if !bare(child, left) {
                continue;
            }
            let mixed_logic = matches!(
                (op, inner),
                (BinaryOp::Or, BinaryOp::And) | (BinaryOp::And, BinaryOp::Or)
            );
            let chained = op.is_comparison() && inner.is_comparison();
            if mixed_logic {
                self.report(
                    Code::Precedence,
                    e.span,
                    "'&&' and '||' are mixed without parentheses; '&&' binds tighter here, \
                     as in C, but the service's behaviour here is unverified"
                        .to_string(),
                    Some(
                        "add parentheses to say which you mean, as in '(a && b) || c'".to_string(),
                    ),
                );
            } else if chained {
                self.report(
                    Code::Precedence,
                    e.span,
                    format!(
                        "'{}' compares the result of '{}' (1 or 0), as in C; the service's \
                         behaviour here is unverified, and this is rarely what is meant",
                        op.symbol(),
                        inner.symbol()
                    ),
                    Some("to test a range, write 'a < b && b < c'".to_string()),
                );
            }
        }
    }

    pub(super) fn unary(&mut self, op: UnaryOp, found: TypeSet, span: Span) -> TypeSet {
        let mut result = TypeSet::UNKNOWN;
        let mut invalid = None;
        for t in found.iter() {
            match operators::unary_rule(op, t) {
                Some(rule) => result.insert(rule.result),
                None => invalid = invalid.or(Some(t)),
            }
        }
        let Some(bad) = invalid else {
            return result;
        };
        let symbol = op.symbol();
        let help = operand_help(None, found, TypeSet::UNKNOWN);
        if result.is_unknown() {
            let message = format!("operator '{symbol}' is not defined for {found}");
            self.report(Code::OperatorType, span, message, help);
            // `!` gives a double whenever it gives anything: what stands above it is
            // judged on that (an error of its own is still one).
            if op == UnaryOp::Not {
                return TypeSet::DOUBLE;
            }
        } else {
            let message = format!(
                "this fails at run time on some paths: operator '{symbol}' is not defined for {}",
                TypeSet::of(bad)
            );
            self.report(Code::TypeOnSomePaths, span, message, help);
        }
        result
    }

    /// `a op b`: `span` is the whole expression, `error_span` where its type error points
    /// (the left operand's first character, inside any parentheses: section 9.1).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn binary(
        &mut self,
        span: Span,
        error_span: Span,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        a: TypeSet,
        b: TypeSet,
    ) -> TypeSet {
        self.constant_operands(error_span, op, lhs, rhs, a);
        let mut result = TypeSet::UNKNOWN;
        let mut invalid = None;
        for x in a.iter() {
            for y in b.iter() {
                match binary_type(op, x, y) {
                    Some(t) => result.insert(t),
                    None => invalid = invalid.or(Some((x, y))),
                }
            }
        }
        let symbol = op.symbol();
        let arithmetic = matches!(
            op,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        );
        if arithmetic && a.contains(Type::Double) && b.contains(Type::DoubleVec) {
            let help = matches!(op, BinaryOp::Add | BinaryOp::Mul)
                .then(|| format!("put the doubleVec on the left, as in 'v {symbol} 2'"));
            self.report(
                Code::ScalarVectorOperation,
                span,
                format!(
                    "a double {symbol} a doubleVec is applied element by element; the \
                     service's behaviour here is unverified: it documents only doubleVec \
                     {symbol} double and may reject this"
                ),
                help,
            );
        }
        if arithmetic
            && a.contains(Type::DoubleVec)
            && b.contains(Type::DoubleVec)
            && !same_vector(lhs, rhs)
        {
            self.report(
                Code::VectorPairwise,
                span,
                format!(
                    "'{symbol}' between two doubleVecs works pair by pair, and vectors of \
                     different lengths fail the run; the service's behaviour here is \
                     unverified: it may treat different lengths otherwise"
                ),
                Some("reduce each vector to one number first, as in 'avg(a) + avg(b)'".to_string()),
            );
        }
        let ordering = matches!(
            op,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        );
        if ordering && a.contains(Type::String) && b.contains(Type::String) {
            self.report(
                Code::StringOrder,
                span,
                format!(
                    "strings are ordered by '{symbol}' character code by character code \
                     (ordinal); the service's behaviour here is unverified: it may compare \
                     them by culture rules or reject this"
                ),
                Some("compare strings only with '==' or '!='".to_string()),
            );
        }
        let Some((x, y)) = invalid else {
            self.constant_failure(error_span, op, lhs, rhs, a);
            return result;
        };
        let help = operand_help(Some(op), a, b);
        if result.is_unknown() {
            let message = format!("operator '{symbol}' is not defined for {a} and {b}");
            self.report(Code::OperatorType, error_span, message, help);
            // Comparisons and logic give a double whenever they give anything: what stands
            // above them is judged on that (`("a" < 1) + time()` is two errors).
            if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) {
                return TypeSet::DOUBLE;
            }
        } else {
            let message = format!(
                "this fails at run time on some paths: operator '{symbol}' is not defined for {} and {}",
                TypeSet::of(x),
                TypeSet::of(y)
            );
            self.report(Code::TypeOnSomePaths, error_span, message, help);
        }
        result
    }

    /// An operation on two constants of the right types that fails (out of range): it
    /// fails whenever it runs, so it is an error (section 9.1). A time interval divided
    /// by a constant zero has its own code.
    pub(super) fn constant_failure(
        &mut self,
        error_span: Span,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        a: TypeSet,
    ) {
        let (Some(x), Some(y)) = (self.constant(lhs), self.constant(rhs)) else {
            return;
        };
        let interval_by_zero = op == BinaryOp::Div
            && literal(rhs) == Some(0.0)
            && a.is_subset_of(TypeSet::TIME_INTERVAL);
        if interval_by_zero {
            return;
        }
        if let Err(detail) = operators::binary(op, x, y) {
            self.report(
                Code::ConstantFails,
                error_span,
                format!("this always fails: {detail}"),
                Some(
                    "keep times within the years 1 to 9999 and intervals within about 29,000 years"
                        .to_string(),
                ),
            );
        }
    }

    /// Checks that need a constant operand: division by zero, `.weekday` against 7.
    pub(super) fn constant_operands(
        &mut self,
        span: Span,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        a: TypeSet,
    ) {
        if op == BinaryOp::Div && literal(rhs) == Some(0.0) && !a.is_unknown() {
            if a.is_subset_of(TypeSet::TIME_INTERVAL) {
                self.report(
                    Code::IntervalDivisionByZero,
                    span,
                    "dividing a timeinterval by zero always leaves the range of time intervals"
                        .to_string(),
                    Some("divide by a number other than 0".to_string()),
                );
            } else if !a.intersection(TypeSet::LIST_ITEM).is_unknown() {
                self.report(
                    Code::DivisionByZero,
                    span,
                    "division by zero gives an infinity or NaN; the service's behaviour here \
                     is unverified"
                        .to_string(),
                    Some("guard the division, as in 'n > 0 ? x / n : 0'".to_string()),
                );
            }
        }
        let weekday_against_seven = |field: &Expr, other: &Expr| {
            matches!(&field.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday))
                && literal(other) == Some(7.0)
        };
        let weekday_against_zero = |field: &Expr, other: &Expr| {
            matches!(&field.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday))
                && literal(other) == Some(0.0)
        };
        if op.is_comparison() && (weekday_against_zero(lhs, rhs) || weekday_against_zero(rhs, lhs))
        {
            self.report(
                Code::WeekdaySunday,
                span,
                "'.weekday' is 0 on Sunday here (as .NET counts); the service's behaviour \
                 here is unverified: it may count Sunday as 7"
                    .to_string(),
                Some(
                    "where you can, test the weekdays 1 (Monday) to 6 (Saturday) instead"
                        .to_string(),
                ),
            );
        }
        if op.is_comparison()
            && (weekday_against_seven(lhs, rhs) || weekday_against_seven(rhs, lhs))
        {
            self.report(
                Code::WeekdaySeven,
                span,
                "'.weekday' runs from 0 (Sunday) to 6 (Saturday) and is never 7; the service's \
                 behaviour here is unverified: Sunday is taken as 0"
                    .to_string(),
                Some("use 0 for Sunday".to_string()),
            );
        }
    }
}

/// The result of `a op b` for single types: the operator table.
fn binary_type(op: BinaryOp, a: Type, b: Type) -> Option<Type> {
    operators::binary_rule(op, a, b).map(|rule| rule.result)
}

/// Whether two vector operands surely have the same length: both computed from the same
/// variables (`v * v`, `v / 2 - v`) and no sample call.
fn same_vector(a: &Expr, b: &Expr) -> bool {
    fn names<'e>(e: &'e Expr, out: &mut BTreeSet<&'e str>, depth: usize) -> bool {
        if depth > MAX_NESTING_DEPTH {
            return false;
        }
        match &e.kind {
            ExprKind::Number(_) | ExprKind::String(_) => true,
            ExprKind::Name(n) => {
                out.insert(n);
                true
            }
            ExprKind::Unary { operand, .. } => names(operand, out, depth + 1),
            ExprKind::Binary { lhs, rhs, .. } => {
                names(lhs, out, depth + 1) && names(rhs, out, depth + 1)
            }
            _ => false,
        }
    }
    let (mut x, mut y) = (BTreeSet::new(), BTreeSet::new());
    names(a, &mut x, 0) && names(b, &mut y, 0) && !x.is_empty() && x == y
}
