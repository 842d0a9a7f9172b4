//! The operator table (language.md section 4): exactly these combinations are defined;
//! every other one is a type error.

use std::sync::Arc;

use crate::syntax::ast::{BinaryOp, UnaryOp};

use super::value::Value;

pub fn unary(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match (op, v) {
        (UnaryOp::Neg, Value::Double(x)) => Ok(Value::Double(-x)),
        (UnaryOp::Not, Value::Double(x)) => Ok(Value::from(*x == 0.0)),
        (UnaryOp::Neg, Value::Interval(i)) => i
            .checked_neg()
            .map(Value::Interval)
            .ok_or_else(|| "the time interval is out of range".to_string()),
        _ => Err(format!(
            "operator '{}' is not defined for a {}",
            op.symbol(),
            v.type_name()
        )),
    }
}

/// A binary operation on two evaluated operands. `&&` and `||` here take both values;
/// the interpreter short-circuits before calling this.
pub fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    use BinaryOp::*;
    use Value::*;
    let result = match (op, a, b) {
        (Add | Sub | Mul | Div, Double(x), Double(y)) => Some(Double(arith(op, *x, *y))),
        (Add | Sub | Mul | Div, DoubleVec(v), Double(y)) => {
            Some(DoubleVec(v.iter().map(|x| arith(op, *x, *y)).collect()))
        }
        // Not in the documented table; accepted element-wise, with a checker warning [decided].
        (Add | Sub | Mul | Div, Double(x), DoubleVec(v)) => {
            Some(DoubleVec(v.iter().map(|y| arith(op, *x, *y)).collect()))
        }
        (Add | Sub | Mul | Div, DoubleVec(v), DoubleVec(w)) => {
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
            Some(DoubleVec(out))
        }
        (Mul, Double(x), Interval(i)) | (Mul, Interval(i), Double(x)) => Some(Interval(
            i.checked_mul_f64(*x).ok_or_else(interval_overflow)?,
        )),
        (Div, Interval(i), Double(x)) => Some(Interval(
            i.checked_div_f64(*x).ok_or_else(interval_overflow)?,
        )),
        (Add, Interval(i), Interval(j)) => {
            Some(Interval(i.checked_add(*j).ok_or_else(interval_overflow)?))
        }
        (Sub, Interval(i), Interval(j)) => {
            Some(Interval(i.checked_sub(*j).ok_or_else(interval_overflow)?))
        }
        (Add, Interval(i), Timestamp(t)) | (Add, Timestamp(t), Interval(i)) => {
            Some(Timestamp(t.checked_add(*i).ok_or_else(timestamp_overflow)?))
        }
        (Sub, Timestamp(t), Timestamp(u)) => Some(Interval(t.since(*u))),
        (Lt | Le | Gt | Ge | Eq | Ne, _, _) => compare(op, a, b).map(Value::from),
        (And, Double(x), Double(y)) => Some(Value::from(*x != 0.0 && *y != 0.0)),
        (Or, Double(x), Double(y)) => Some(Value::from(*x != 0.0 || *y != 0.0)),
        _ => None,
    };
    result.ok_or_else(|| {
        format!(
            "operator '{}' is not defined for a {} and a {}",
            op.symbol(),
            a.type_name(),
            b.type_name()
        )
    })
}

/// IEEE-754 arithmetic: division by zero gives inf or NaN [decided].
fn arith(op: BinaryOp, x: f64, y: f64) -> f64 {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        _ => x / y,
    }
}

/// Comparison of two values of the same type: double, string (ordinal [decided]),
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
        assert_eq!(binary(Add, &d(1.0), &d(2.0)), Ok(d(3.0)));
        assert_eq!(binary(Sub, &d(1.0), &d(2.0)), Ok(d(-1.0)));
        assert_eq!(binary(Mul, &d(3.0), &d(2.0)), Ok(d(6.0)));
        assert_eq!(binary(Div, &d(3.0), &d(2.0)), Ok(d(1.5)));
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
        let keyword = Value::Deallocation(crate::check::builtins::DeallocationOption::Requeue);
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
}
