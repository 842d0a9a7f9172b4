//! Run-time values.

use std::sync::Arc;

use crate::check::builtins::DeallocationOption;
use crate::format;
use crate::time::{Interval, Timestamp};

/// A value a formula computes. Small and cheap to clone: vectors and strings are shared.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Double(f64),
    DoubleVec(Arc<[f64]>),
    String(Arc<str>),
    Timestamp(Timestamp),
    Interval(Interval),
    Deallocation(DeallocationOption),
}

impl Value {
    /// The type's name as the documentation writes it, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Double(_) => "double",
            Value::DoubleVec(_) => "doubleVec",
            Value::String(_) => "string",
            Value::Timestamp(_) => "timestamp",
            Value::Interval(_) => "timeinterval",
            Value::Deallocation(_) => "deallocation option",
        }
    }

    /// How the value prints in the results string (language.md section 8.1).
    pub fn to_results_text(&self) -> String {
        match self {
            Value::Double(x) => format::format_double(*x),
            Value::DoubleVec(v) => {
                let items: Vec<String> = v.iter().map(|x| format::format_double(*x)).collect();
                format!("[{}]", items.join(","))
            }
            Value::String(s) => s.to_string(),
            Value::Timestamp(t) => format::format_timestamp(*t),
            Value::Interval(i) => format::format_interval(*i),
            Value::Deallocation(d) => d.keyword().to_string(),
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
