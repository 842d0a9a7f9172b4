//! The methods of a sampled metric (language.md section 7), each one record of its name
//! and forms. The evaluator implements each [`Method`]; the checker, the compiler and
//! messages read the forms.

use super::forms::{Form, Forms, Param};
use crate::builtins::types::{Type, TypeSet};

/// The methods of a sampled metric \[doc\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// The samples of a count or a time window.
    GetSample,
    /// The share of a window's expected samples that exist.
    GetSamplePercent,
    /// The number of samples.
    Count,
    /// The time of the oldest sample.
    HistoryBeginTime,
    /// The sampling period.
    GetSamplePeriod,
}

/// A method's record.
#[derive(Debug, Clone, Copy)]
pub struct MethodDef {
    /// The method.
    pub method: Method,
    /// The name as a formula writes it.
    pub name: &'static str,
    /// Its forms, in the order that picks one.
    pub forms: &'static [Form],
}

/// A time argument: an instant, or a look-back from now \[doc\].
const fn time(text: &'static str) -> Param {
    Param::one(text, TypeSet::TIME)
}

const COUNT: Param = Param::one("count", TypeSet::DOUBLE);
const PERCENT: Param = Param::one("percent", TypeSet::DOUBLE);

/// Every method, in [`Method`] order.
pub const METHODS: &[MethodDef] = &[
    MethodDef {
        method: Method::GetSample,
        name: "GetSample",
        // `GetSample(t, x)` is the percentage form when `x` is a double and the
        // two-bound form when it is a time.
        forms: &[
            Form::new(&[COUNT], Type::DoubleVec),
            Form::new(&[time("time")], Type::DoubleVec),
            Form::new(&[time("time"), PERCENT], Type::DoubleVec),
            Form::new(&[time("time1"), time("time2")], Type::DoubleVec),
            Form::new(&[time("time1"), time("time2"), PERCENT], Type::DoubleVec),
        ],
    },
    MethodDef {
        method: Method::GetSamplePercent,
        name: "GetSamplePercent",
        forms: &[
            Form::new(&[time("time")], Type::Double),
            Form::new(&[time("time1"), time("time2")], Type::Double),
        ],
    },
    MethodDef {
        method: Method::Count,
        name: "Count",
        forms: &[Form::new(&[], Type::Double)],
    },
    MethodDef {
        method: Method::HistoryBeginTime,
        name: "HistoryBeginTime",
        forms: &[Form::new(&[], Type::Timestamp)],
    },
    MethodDef {
        method: Method::GetSamplePeriod,
        name: "GetSamplePeriod",
        forms: &[Form::new(&[], Type::TimeInterval)],
    },
];

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::GetSample,
        Method::GetSamplePercent,
        Method::Count,
        Method::HistoryBeginTime,
        Method::GetSamplePeriod,
    ];

    /// The method's record.
    pub fn def(self) -> &'static MethodDef {
        &METHODS[self as usize]
    }

    /// The name as a formula writes it.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The method of a name, if there is one.
    pub fn from_name(name: &str) -> Option<Method> {
        METHODS.iter().find(|m| m.name == name).map(|m| m.method)
    }

    /// The forms with the name, for signatures, arity and result types.
    pub fn forms(self) -> Forms<'static> {
        Forms {
            name: self.name(),
            forms: self.def().forms,
        }
    }

    /// The documented forms, for messages.
    pub fn signature(self) -> String {
        self.forms().signature()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_method_order() {
        for m in Method::ALL {
            assert_eq!(m.def().method, m);
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
    }

    #[test]
    fn signatures_are_generated_from_the_forms() {
        assert_eq!(
            Method::GetSample.signature(),
            "GetSample(count), GetSample(time), GetSample(time, percent), \
             GetSample(time1, time2) or GetSample(time1, time2, percent)"
        );
        assert_eq!(
            Method::GetSamplePercent.signature(),
            "GetSamplePercent(time) or GetSamplePercent(time1, time2)"
        );
        assert_eq!(Method::Count.signature(), "Count()");
        assert_eq!(Method::GetSample.forms().arity_text(), "1 to 3 arguments");
        assert_eq!(
            Method::GetSamplePercent.forms().arity_text(),
            "1 or 2 arguments"
        );
        assert_eq!(Method::Count.forms().arity_text(), "no arguments");
    }
}
