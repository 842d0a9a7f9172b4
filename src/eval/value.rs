//! Run-time values.

use std::sync::Arc;

use crate::builtins::DeallocationOption;
use crate::builtins::types::Type;
use crate::doubles;
use crate::time::{Interval, Timestamp};

/// A value a formula computes. Small and cheap to clone: vectors and strings are shared.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `double`.
    Double(f64),
    /// A `doubleVec`.
    DoubleVec(Arc<[f64]>),
    /// A `string`.
    String(Arc<str>),
    /// A `timestamp`.
    Timestamp(Timestamp),
    /// A `timeinterval`.
    Interval(Interval),
    /// A deallocation keyword (`requeue`, ...).
    Deallocation(DeallocationOption),
}

impl Value {
    /// The value's type.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Double(_) => Type::Double,
            Value::DoubleVec(_) => Type::DoubleVec,
            Value::String(_) => Type::String,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Interval(_) => Type::TimeInterval,
            Value::Deallocation(_) => Type::Deallocation,
        }
    }

    /// The type's name as the documentation writes it, for messages.
    pub fn type_name(&self) -> &'static str {
        self.type_of().name()
    }

    /// How the value prints in the results string (language.md section 8.1).
    pub fn to_results_text(&self) -> String {
        let mut out = String::new();
        self.write_results_text(&mut out);
        out
    }

    /// [`Value::to_results_text`], appended to `out`.
    pub fn write_results_text(&self, out: &mut String) {
        match self {
            Value::Double(x) => doubles::write_double(out, *x),
            Value::DoubleVec(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    doubles::write_double(out, *x);
                }
                out.push(']');
            }
            Value::String(s) => out.push_str(s),
            Value::Timestamp(t) => crate::time::print::write_timestamp(out, *t),
            Value::Interval(i) => crate::time::print::write_interval(out, *i),
            Value::Deallocation(d) => out.push_str(d.keyword()),
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Double(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Double(if b { 1.0 } else { 0.0 })
    }
}
