//! The checker's help texts that more than one check gives: how to fix an operator's
//! types, a vector where a number is needed, and the lists of keywords, methods and fields.

use crate::builtins::forms::or_list;
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{DeallocationOption, Field, Method};
use crate::syntax::ast::BinaryOp;

/// A hint for an operator's type error, for the usual mistakes.
pub(super) fn operand_help(op: Option<BinaryOp>, a: TypeSet, b: TypeSet) -> Option<String> {
    let either = a.union(b);
    let comparison = op.is_some_and(BinaryOp::is_comparison);
    if either.contains(Type::Deallocation) {
        return Some(
            "a deallocation option can only be assigned, to $NodeDeallocationOption or a variable"
                .to_string(),
        );
    }
    if comparison && either.contains(Type::DoubleVec) {
        return vector_help(either);
    }
    let mixes =
        |x: Type, y: Type| (a.contains(x) && b.contains(y)) || (a.contains(y) && b.contains(x));
    // The documented table has no `timestamp - timeinterval`, only `+`.
    if op == Some(BinaryOp::Sub) && a.contains(Type::Timestamp) && b.contains(Type::TimeInterval) {
        return Some(
            "add the negated interval instead, as in 'time() + -TimeInterval_Hour'".to_string(),
        );
    }
    if matches!(op, Some(BinaryOp::Add | BinaryOp::Sub)) && mixes(Type::Timestamp, Type::Double) {
        return Some(
            "add or subtract a time interval, as in 'time() + 5 * TimeInterval_Minute'".to_string(),
        );
    }
    if comparison && mixes(Type::TimeInterval, Type::Double) {
        return Some("compare with a time interval, as in '5 * TimeInterval_Minute'".to_string());
    }
    None
}

/// A hint for a doubleVec where one number is needed.
pub(super) fn vector_help(found: TypeSet) -> Option<String> {
    found
        .contains(Type::DoubleVec)
        .then(|| "reduce the vector to one number, as in 'avg(v)' or 'max(v)'".to_string())
}

pub(super) fn keyword_list() -> String {
    or_list(DeallocationOption::ALL.iter().map(|d| d.keyword()))
}

pub(super) fn method_list() -> String {
    or_list(Method::ALL.iter().map(|m| m.name()))
}

pub(super) fn field_list() -> String {
    or_list(Field::ALL.iter().map(|f| f.name()))
}
