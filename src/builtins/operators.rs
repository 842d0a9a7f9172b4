//! The operator table (language.md section 4): for each operator and operand types, the
//! type of the result and how it is computed. Exactly these combinations are defined;
//! every other one is a type error. The checker reads the result types, the evaluator
//! (and the compiler's constant folding) the computations, so they cannot disagree; a
//! test walks every operator and pair of types through both.

use std::sync::{Arc, OnceLock};

use crate::builtins::types::Type;
use crate::eval::value::Value;
use crate::syntax::ast::{BinaryOp, UnaryOp};

/// How a binary operation is computed, on operands of the types its rule names.
type BinaryApply = fn(BinaryOp, &Value, &Value) -> Result<Value, String>;

/// How a unary operation is computed.
type UnaryApply = fn(UnaryOp, &Value) -> Result<Value, String>;

/// A row of the table: what `a op b` gives, and how.
#[derive(Clone, Copy)]
pub struct BinaryRule {
    /// The type of the result.
    pub result: Type,
    /// The computation.
    pub apply: BinaryApply,
}

/// A row of the table for a unary operator.
#[derive(Clone, Copy)]
pub struct UnaryRule {
    /// The type of the result.
    pub result: Type,
    /// The computation.
    pub apply: UnaryApply,
}

/// The rule of `a op b` for operands of types `a` and `b`, if the language defines it:
/// the documented table, plus `double op doubleVec` \[decided\].
pub fn binary_rule(op: BinaryOp, a: Type, b: Type) -> Option<BinaryRule> {
    use BinaryOp::*;
    use Type::*;
    let rule = |result: Type, apply: BinaryApply| Some(BinaryRule { result, apply });
    match (op, a, b) {
        (Add | Sub | Mul | Div, Double, Double) => rule(Double, doubles),
        (Add | Sub | Mul | Div, DoubleVec, Double) => rule(DoubleVec, vector_double),
        // Not in the documented table; accepted element-wise, with a checker warning
        // [decided].
        (Add | Sub | Mul | Div, Double, DoubleVec) => rule(DoubleVec, double_vector),
        (Add | Sub | Mul | Div, DoubleVec, DoubleVec) => rule(DoubleVec, vectors),
        (Mul, Double, TimeInterval) | (Mul | Div, TimeInterval, Double) => {
            rule(TimeInterval, scaled_interval)
        }
        (Add | Sub, TimeInterval, TimeInterval) => rule(TimeInterval, intervals),
        (Add, TimeInterval, Timestamp) | (Add, Timestamp, TimeInterval) => {
            rule(Timestamp, shifted_timestamp)
        }
        (Sub, Timestamp, Timestamp) => rule(TimeInterval, timestamps),
        (Lt | Le | Gt | Ge | Eq | Ne, x, y)
            if x == y && matches!(x, Double | String | Timestamp | TimeInterval) =>
        {
            rule(Double, comparison)
        }
        (And | Or, Double, Double) => rule(Double, logic),
        _ => None,
    }
}

/// The rule of `op a` for an operand of type `a`, if the language defines it.
pub fn unary_rule(op: UnaryOp, a: Type) -> Option<UnaryRule> {
    let rule = |result: Type, apply: UnaryApply| Some(UnaryRule { result, apply });
    match (op, a) {
        (UnaryOp::Neg | UnaryOp::Not, Type::Double) => rule(Type::Double, unary_double),
        (UnaryOp::Neg, Type::TimeInterval) => rule(Type::TimeInterval, negated_interval),
        _ => None,
    }
}

/// Whether `op` gives a double whatever its operands (or fails): true of comparisons and
/// logic, whose every rule gives 1 or 0. Worked out from the table once.
pub fn binary_always_gives_double(op: BinaryOp) -> bool {
    static ALWAYS: OnceLock<Vec<BinaryOp>> = OnceLock::new();
    let always = ALWAYS.get_or_init(|| {
        BinaryOp::ALL
            .into_iter()
            .filter(|&op| {
                Type::ALL.iter().all(|&a| {
                    Type::ALL
                        .iter()
                        .all(|&b| binary_rule(op, a, b).is_none_or(|r| r.result == Type::Double))
                })
            })
            .collect()
    });
    always.contains(&op)
}

/// Whether `op` gives a double whatever its operand (or fails): true of `!`.
pub fn unary_always_gives_double(op: UnaryOp) -> bool {
    Type::ALL
        .iter()
        .all(|&a| unary_rule(op, a).is_none_or(|r| r.result == Type::Double))
}

/// `op v`, or why not.
pub fn unary(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match unary_rule(op, v.type_of()) {
        Some(rule) => (rule.apply)(op, v),
        None => Err(format!(
            "operator '{}' is not defined for a {}",
            op.symbol(),
            v.type_name()
        )),
    }
}

/// A binary operation on two evaluated operands. `&&` and `||` here take both values;
/// the interpreter short-circuits before calling this.
pub fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match binary_rule(op, a.type_of(), b.type_of()) {
        Some(rule) => (rule.apply)(op, a, b),
        None => Err(format!(
            "operator '{}' is not defined for a {} and a {}",
            op.symbol(),
            a.type_name(),
            b.type_name()
        )),
    }
}

/// A rule applied to operands of other types than its own: a bug of the table, reported
/// as an error rather than a panic.
fn mismatch(op: &str, a: &Value) -> String {
    format!(
        "internal error: operator '{op}' applied to a {} by the wrong rule",
        a.type_name()
    )
}

fn doubles(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => Ok(Value::Double(arith(op, *x, *y))),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn vector_double(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::DoubleVec(v), Value::Double(y)) => Ok(Value::DoubleVec(
            v.iter().map(|x| arith(op, *x, *y)).collect(),
        )),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn double_vector(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Double(x), Value::DoubleVec(v)) => Ok(Value::DoubleVec(
            v.iter().map(|y| arith(op, *x, *y)).collect(),
        )),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn vectors(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    let (Value::DoubleVec(v), Value::DoubleVec(w)) = (a, b) else {
        return Err(mismatch(op.symbol(), a));
    };
    if v.len() != w.len() {
        // Unequal lengths are an error [decided].
        return Err(format!(
            "operator '{}' needs vectors of equal length, got {} and {} elements",
            op.symbol(),
            v.len(),
            w.len()
        ));
    }
    let out: Arc<[f64]> = v
        .iter()
        .zip(w.iter())
        .map(|(x, y)| arith(op, *x, *y))
        .collect();
    Ok(Value::DoubleVec(out))
}

fn scaled_interval(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    let scaled = match (op, a, b) {
        (BinaryOp::Mul, Value::Double(x), Value::Interval(i))
        | (BinaryOp::Mul, Value::Interval(i), Value::Double(x)) => i.checked_mul_f64(*x),
        (BinaryOp::Div, Value::Interval(i), Value::Double(x)) => i.checked_div_f64(*x),
        _ => return Err(mismatch(op.symbol(), a)),
    };
    scaled.map(Value::Interval).ok_or_else(interval_overflow)
}

fn intervals(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    let (Value::Interval(i), Value::Interval(j)) = (a, b) else {
        return Err(mismatch(op.symbol(), a));
    };
    let result = if op == BinaryOp::Add {
        i.checked_add(*j)
    } else {
        i.checked_sub(*j)
    };
    result.map(Value::Interval).ok_or_else(interval_overflow)
}

fn shifted_timestamp(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Interval(i), Value::Timestamp(t)) | (Value::Timestamp(t), Value::Interval(i)) => t
            .checked_add(*i)
            .map(Value::Timestamp)
            .ok_or_else(timestamp_overflow),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn timestamps(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Timestamp(t), Value::Timestamp(u)) => Ok(Value::Interval(t.since(*u))),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn comparison(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    compare(op, a, b)
        .map(Value::from)
        .ok_or_else(|| mismatch(op.symbol(), a))
}

fn logic(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => Ok(Value::from(if op == BinaryOp::And {
            *x != 0.0 && *y != 0.0
        } else {
            *x != 0.0 || *y != 0.0
        })),
        _ => Err(mismatch(op.symbol(), a)),
    }
}

fn unary_double(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match (op, v) {
        (UnaryOp::Neg, Value::Double(x)) => Ok(Value::Double(-x)),
        (UnaryOp::Not, Value::Double(x)) => Ok(Value::from(*x == 0.0)),
        _ => Err(mismatch(op.symbol(), v)),
    }
}

fn negated_interval(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match v {
        Value::Interval(i) => i
            .checked_neg()
            .map(Value::Interval)
            .ok_or_else(|| "the time interval is out of range".to_string()),
        _ => Err(mismatch(op.symbol(), v)),
    }
}

/// IEEE-754 arithmetic: division by zero gives inf or NaN \[decided\].
fn arith(op: BinaryOp, x: f64, y: f64) -> f64 {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        _ => x / y,
    }
}

/// Comparison of two values of the same type: double, string (ordinal \[decided\]),
/// timestamp or timeinterval. `None` for any other pair.
fn compare(op: BinaryOp, a: &Value, b: &Value) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            // IEEE comparison: NaN is unordered, so only '!=' holds.
            return Some(match op {
                BinaryOp::Lt => x < y,
                BinaryOp::Le => x <= y,
                BinaryOp::Gt => x > y,
                BinaryOp::Ge => x >= y,
                BinaryOp::Eq => x == y,
                _ => x != y,
            });
        }
        (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Interval(x), Value::Interval(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let o = ordering?;
    Some(match op {
        BinaryOp::Lt => o.is_lt(),
        BinaryOp::Le => o.is_le(),
        BinaryOp::Gt => o.is_gt(),
        BinaryOp::Ge => o.is_ge(),
        BinaryOp::Eq => o.is_eq(),
        _ => o.is_ne(),
    })
}

fn interval_overflow() -> String {
    "the time interval is out of range (more than about 29,000 years)".to_string()
}

fn timestamp_overflow() -> String {
    "the timestamp is outside the years 1 to 9999".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Interval as Iv, TICKS_PER_SECOND, Timestamp as Ts};
    use BinaryOp::*;

    fn d(x: f64) -> Value {
        Value::Double(x)
    }
    fn v(xs: &[f64]) -> Value {
        Value::DoubleVec(xs.into())
    }
    fn secs(s: i64) -> Value {
        Value::Interval(Iv(s * TICKS_PER_SECOND))
    }
    fn ts(s: i64) -> Value {
        Value::Timestamp(Ts::from_ticks(s * TICKS_PER_SECOND).unwrap())
    }
    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn double_arithmetic() {
        for (op, x, y, z) in [
            (Add, 1.0, 2.0, 3.0),
            (Sub, 1.0, 2.0, -1.0),
            (Mul, 3.0, 2.0, 6.0),
            (Div, 3.0, 2.0, 1.5),
        ] {
            assert_eq!(
                binary(op, &d(x), &d(y)),
                Ok(d(z)),
                "{x} {} {y}",
                op.symbol()
            );
        }
    }

    #[test]
    fn division_by_zero_is_ieee_decided() {
        assert_eq!(binary(Div, &d(1.0), &d(0.0)), Ok(d(f64::INFINITY)));
        let Ok(Value::Double(nan)) = binary(Div, &d(0.0), &d(0.0)) else {
            panic!()
        };
        assert!(nan.is_nan());
    }

    #[test]
    fn double_times_interval_either_order() {
        assert_eq!(binary(Mul, &d(2.0), &secs(3)), Ok(secs(6)));
        assert_eq!(binary(Mul, &secs(3), &d(2.0)), Ok(secs(6)));
        assert_eq!(binary(Div, &secs(6), &d(2.0)), Ok(secs(3)));
    }

    #[test]
    fn vector_with_double_is_element_wise() {
        assert_eq!(binary(Add, &v(&[1.0, 2.0]), &d(1.0)), Ok(v(&[2.0, 3.0])));
        assert_eq!(binary(Div, &v(&[2.0, 4.0]), &d(2.0)), Ok(v(&[1.0, 2.0])));
    }

    #[test]
    fn double_with_vector_is_element_wise_decided() {
        assert_eq!(binary(Mul, &d(2.0), &v(&[1.0, 2.0])), Ok(v(&[2.0, 4.0])));
        assert_eq!(binary(Sub, &d(10.0), &v(&[1.0, 2.0])), Ok(v(&[9.0, 8.0])));
    }

    #[test]
    fn vectors_pairwise_and_unequal_lengths_fail_decided() {
        assert_eq!(
            binary(Add, &v(&[1.0, 2.0]), &v(&[3.0, 4.0])),
            Ok(v(&[4.0, 6.0]))
        );
        assert!(binary(Add, &v(&[1.0]), &v(&[3.0, 4.0])).is_err());
    }

    #[test]
    fn interval_and_timestamp_arithmetic() {
        assert_eq!(binary(Add, &secs(1), &secs(2)), Ok(secs(3)));
        assert_eq!(binary(Sub, &secs(1), &secs(2)), Ok(secs(-1)));
        assert_eq!(binary(Add, &ts(10), &secs(5)), Ok(ts(15)));
        assert_eq!(binary(Add, &secs(5), &ts(10)), Ok(ts(15)));
        assert_eq!(binary(Sub, &ts(15), &ts(10)), Ok(secs(5)));
    }

    #[test]
    fn combinations_outside_the_table_are_type_errors() {
        // timestamp - interval is not in the documented table.
        assert!(binary(Sub, &ts(15), &secs(1)).is_err());
        assert!(binary(Add, &d(1.0), &secs(1)).is_err());
        assert!(binary(Div, &d(1.0), &secs(1)).is_err());
        assert!(binary(Mul, &secs(1), &secs(1)).is_err());
        assert!(binary(Add, &s("a"), &s("b")).is_err());
        assert!(binary(Lt, &d(1.0), &secs(1)).is_err());
        assert!(binary(Eq, &v(&[1.0]), &v(&[1.0])).is_err());
        assert!(binary(And, &d(1.0), &v(&[1.0])).is_err());
        let keyword = Value::Deallocation(crate::builtins::DeallocationOption::Requeue);
        assert!(binary(Eq, &keyword, &keyword).is_err());
        assert!(unary(UnaryOp::Not, &secs(1)).is_err());
        assert!(unary(UnaryOp::Neg, &v(&[1.0])).is_err());
    }

    #[test]
    fn comparisons_of_each_type() {
        assert_eq!(binary(Lt, &d(1.0), &d(2.0)), Ok(d(1.0)));
        assert_eq!(binary(Ge, &d(1.0), &d(2.0)), Ok(d(0.0)));
        assert_eq!(binary(Ne, &d(f64::NAN), &d(f64::NAN)), Ok(d(1.0)));
        assert_eq!(binary(Eq, &d(f64::NAN), &d(f64::NAN)), Ok(d(0.0)));
        assert_eq!(binary(Le, &secs(1), &secs(1)), Ok(d(1.0)));
        assert_eq!(binary(Gt, &ts(2), &ts(1)), Ok(d(1.0)));
    }

    #[test]
    fn string_comparison_is_ordinal_decided() {
        assert_eq!(binary(Lt, &s("B"), &s("a")), Ok(d(1.0)));
        assert_eq!(binary(Eq, &s("a"), &s("a")), Ok(d(1.0)));
    }

    #[test]
    fn logic_and_unary() {
        assert_eq!(binary(And, &d(2.0), &d(-1.0)), Ok(d(1.0)));
        assert_eq!(binary(Or, &d(0.0), &d(0.0)), Ok(d(0.0)));
        assert_eq!(unary(UnaryOp::Not, &d(0.0)), Ok(d(1.0)));
        assert_eq!(unary(UnaryOp::Not, &d(3.0)), Ok(d(0.0)));
        assert_eq!(unary(UnaryOp::Neg, &d(3.0)), Ok(d(-3.0)));
        assert_eq!(unary(UnaryOp::Neg, &secs(3)), Ok(secs(-3)));
    }

    #[test]
    fn interval_overflow_is_an_error_not_a_panic() {
        let huge = Value::Interval(Iv(i64::MAX));
        assert!(binary(Mul, &huge, &d(2.0)).is_err());
        assert!(binary(Add, &huge, &huge).is_err());
        assert!(unary(UnaryOp::Neg, &Value::Interval(Iv(i64::MIN))).is_err());
        assert!(binary(Add, &ts(0), &huge).is_err());
        assert!(binary(Div, &secs(1), &d(0.0)).is_err());
    }

    // --- the checker and the evaluator agree ---------------------------------------

    /// A formula's text for a value of type `t`. Doubles are not 0, so that `&&` looks
    /// at its right side (`||` gets a 0 on its left: see `binary_formula`).
    fn literal(t: Type) -> &'static str {
        match t {
            Type::Double => "2",
            Type::DoubleVec => "vec(1, 2)",
            Type::String => "\"a\"",
            Type::Timestamp => "time(\"2024-05-01T00:00:00Z\")",
            Type::TimeInterval => "TimeInterval_Minute",
            Type::Deallocation => "requeue",
            Type::NoValue => unreachable!("stop() has no value"),
        }
    }

    fn value_types() -> impl Iterator<Item = Type> {
        Type::ALL.into_iter().filter(|t| *t != Type::NoValue)
    }

    /// What the checker says `x`'s expression gives: its one type, or `None` when it
    /// reports an operator type error there (then the type it gives is what the operator
    /// would give, for what stands above it: a double for a comparison, or unknown).
    fn checked(text: &str) -> Option<Type> {
        let formula = crate::syntax::parser::parse(text).formula;
        let last = formula.statements.last().expect("a statement");
        let crate::syntax::ast::StatementKind::Assign { value, .. } = &last.kind else {
            panic!("{text}: the last statement assigns x");
        };
        let types = crate::check::expression_types(&formula).of(value);
        let type_error = crate::check::check(&formula).iter().any(|d| {
            d.code == crate::diagnostic::Code::OperatorType
                && d.span.end == value.span.end
                && d.span.start >= value.span.start
        });
        let found: Vec<Type> = types.iter().collect();
        match (found.as_slice(), type_error) {
            ([t], false) => Some(*t),
            ([] | [Type::Double], true) => None,
            _ => panic!("{text}: the checker says {types} with type error {type_error}"),
        }
    }

    /// What the evaluator gives `x`: its value's type, or `None` when the run fails with
    /// an operator's type error.
    fn evaluated(text: &str) -> Option<Type> {
        let parsed = crate::syntax::parser::parse(text);
        assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
        let program = crate::eval::compile::compile(&parsed.formula);
        let now = crate::time::Timestamp::from_date(2024, 5, 1).unwrap();
        let outcome = crate::eval::interpreter::evaluate(
            &program,
            &crate::snapshot::Snapshot::default(),
            now,
        );
        if let Some(error) = outcome.error {
            assert!(
                error.detail.starts_with("operator '"),
                "{text}: fails otherwise than by a type error: {}",
                error.detail
            );
            return None;
        }
        let slot = program.slots.iter().position(|s| s.name == "x").expect("x");
        Some(
            outcome.values[slot]
                .as_ref()
                .expect("x is assigned")
                .type_of(),
        )
    }

    fn binary_formulas(op: BinaryOp, a: Type, b: Type) -> [String; 2] {
        let lhs = match (op, a) {
            (Or, Type::Double) => "0",
            _ => literal(a),
        };
        let (rhs, symbol) = (literal(b), op.symbol());
        [
            // Operands in variables: evaluated by the interpreter (the number fast path
            // for two doubles).
            format!("a = {lhs}; b = {rhs}; x = a {symbol} b;"),
            // Operands written in place: folded by the compiler where they are constants.
            format!("x = ({lhs}) {symbol} ({rhs});"),
        ]
    }

    #[test]
    fn the_checker_and_the_evaluator_agree_on_every_operator_and_type_pair() {
        let mut defined = 0;
        for op in BinaryOp::ALL {
            for a in value_types() {
                for b in value_types() {
                    let table = binary_rule(op, a, b).map(|rule| rule.result);
                    defined += usize::from(table.is_some());
                    for text in binary_formulas(op, a, b) {
                        assert_eq!(checked(&text), table, "the checker on {text}");
                        assert_eq!(evaluated(&text), table, "the evaluator on {text}");
                    }
                }
            }
        }
        // The documented table (section 4) and `double op doubleVec` [decided].
        assert_eq!(defined, 50, "rows of the operator table");
        for op in UnaryOp::ALL {
            for a in value_types() {
                let table = unary_rule(op, a).map(|rule| rule.result);
                for text in [
                    format!("a = {}; x = {}a;", literal(a), op.symbol()),
                    format!("x = {}({});", op.symbol(), literal(a)),
                ] {
                    assert_eq!(checked(&text), table, "the checker on {text}");
                    assert_eq!(evaluated(&text), table, "the evaluator on {text}");
                }
            }
        }
    }
}
