//! What the service returns: the AutoScaleRun of an evaluation (language.md section 8)
//! and the Batch error of a rejected formula (section 9), in their REST shapes.

use serde::{Deserialize, Serialize};

use crate::builtins::{Target, target_name};
use crate::doubles;
use crate::eval::outcome::{Outcome, RunErrorKind};
use crate::eval::program::{Program, Slot};
use crate::eval::value::Value;

/// The result of one evaluation, as the REST API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoScaleRun {
    /// The evaluation instant, UTC, 7 fractional digits at most, trailing zeros removed.
    pub timestamp: String,
    /// `name=value` pairs joined by `;` (section 8.1).
    pub results: String,
    /// Present only when the evaluation failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<AutoScaleRunError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The error of a failed evaluation (REST shape).
pub struct AutoScaleRunError {
    /// `InsufficientSampleData` or `AutoScalingFormulaEvaluationError`.
    pub code: String,
    /// The code's fixed sentence.
    pub message: String,
    /// One `Message` value: `Line L, Col C: ...`.
    pub values: Vec<NameValuePair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A `{name, value}` pair of an [`AutoScaleRunError`].
pub struct NameValuePair {
    /// The name (`Message`).
    pub name: String,
    /// The value.
    pub value: String,
}

/// The service's error codes, each with its fixed message \[seen\].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceError {
    /// A formula with a syntax error, on add/enable.
    SyntaxError,
    /// A formula over 8192 characters.
    TooLong,
    /// A formula over 100 statements.
    TooManyStatements,
    /// An evaluation interval outside 5 minutes to 168 hours.
    InvalidInterval,
    /// An evaluation that failed for lack of samples.
    InsufficientSampleData,
    /// Any other evaluation failure.
    Evaluation,
}

macro_rules! formula {
    ($rest:literal) => {
        concat!("The specified auto-scaling formula ", $rest)
    };
}

impl ServiceError {
    /// The code and its message.
    pub(crate) fn code_and_message(self) -> (&'static str, &'static str) {
        use ServiceError::*;
        let code = match self {
            SyntaxError => "AutoScalingFormulaSyntaxError",
            TooLong => "AutoScalingFormulaTooLong",
            TooManyStatements => "InvalidAutoScalingSettings",
            InvalidInterval => "InvalidPropertyValue",
            InsufficientSampleData => "InsufficientSampleData",
            Evaluation => "AutoScalingFormulaEvaluationError",
        };
        let message = match self {
            SyntaxError => formula!("has a syntax error."),
            // Section 9 [doc]: the documentation's sentences, word for word.
            TooLong => formula!("exceeds lengths limit."),
            TooManyStatements => "The specified auto-scaling settings are not valid.",
            Evaluation => formula!("has evaluation error"),
            InsufficientSampleData => "Autoscale evaluation failed due to insufficient sample data",
            InvalidInterval => {
                "The value provided for one of the properties in the request body is invalid."
            }
        };
        (code, message)
    }

    /// The Batch error of a rejected request, with its `Message` detail.
    pub(crate) fn batch_error(self, detail: Option<String>) -> BatchError {
        let (code, message) = self.code_and_message();
        BatchError::new(code, message, detail)
    }
}

/// The error the service answers a rejected request with (REST shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchError {
    /// The Batch error code, such as `AutoScalingFormulaSyntaxError`.
    pub code: String,
    /// The code's fixed sentence.
    pub message: ErrorMessage,
    /// One `Message` value, `Line L, Col C: ...`, when there is a place to name.
    pub values: Vec<KeyValuePair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The `message` of a [`BatchError`].
pub struct ErrorMessage {
    /// Always `en-US`.
    pub lang: String,
    /// The sentence.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A `{key, value}` pair of a [`BatchError`].
pub struct KeyValuePair {
    /// The key (`Message`).
    pub key: String,
    /// The value.
    pub value: String,
}

impl BatchError {
    /// A Batch error with its code, sentence and, if given, its `Message` detail.
    pub fn new(code: &str, message: &str, detail: Option<String>) -> BatchError {
        BatchError {
            code: code.to_string(),
            message: ErrorMessage {
                lang: "en-US".to_string(),
                value: message.to_string(),
            },
            values: detail
                .into_iter()
                .map(|value| KeyValuePair {
                    key: "Message".to_string(),
                    value,
                })
                .collect(),
        }
    }

    /// The `Message` value, if any.
    pub fn detail(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.key == "Message")
            .map(|v| v.value.as_str())
    }
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message.value)?;
        if let Some(detail) = self.detail() {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BatchError {}

/// Where one `name=value` pair lies in a results string: the name is `start..equals`,
/// the value `equals + 1..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairSpan {
    pub start: usize,
    pub equals: usize,
    pub end: usize,
}

impl PairSpan {
    /// The name and the value in `results`.
    pub fn split<'r>(&self, results: &'r str) -> (&'r str, &'r str) {
        (
            &results[self.start..self.equals],
            &results[self.equals + 1..self.end],
        )
    }
}

/// The user variables' slots in results order: ordinal order of their full names
/// (section 8.1) \[seen\]. Fixed for a program, so worked out once.
pub fn user_slots_in_results_order(program: &Program) -> Vec<Slot> {
    let mut user = program.user_slots.clone();
    user.sort_by(|&a, &b| {
        let name = |i: Slot| program.slots[i].name.as_bytes();
        name(a).cmp(name(b))
    });
    user
}

/// Writes the `results` string into `out`: the three targets first, then every assigned
/// user variable (`user_order`, from [`user_slots_in_results_order`]), as `name=value`
/// joined by `;` (section 8.1) \[seen\]. Where each pair lies goes into `pairs`.
pub fn write_results(
    program: &Program,
    user_order: &[Slot],
    outcome: &Outcome,
    out: &mut String,
    pairs: &mut Vec<PairSpan>,
) {
    let mut pair = |out: &mut String, name: &str, value: &dyn Fn(&mut String)| {
        if !pairs.is_empty() {
            out.push(';');
        }
        let start = out.len();
        out.push_str(name);
        let equals = out.len();
        out.push('=');
        value(out);
        pairs.push(PairSpan {
            start,
            equals,
            end: out.len(),
        });
    };
    pair(out, target_name(Target::Dedicated), &|out| {
        write_target(out, &outcome.target_dedicated)
    });
    pair(out, target_name(Target::LowPriority), &|out| {
        write_target(out, &outcome.target_low_priority)
    });
    pair(out, target_name(Target::DeallocationOption), &|out| {
        outcome.deallocation_option.write_results_text(out)
    });
    for &slot in user_order {
        if let (Some(value), Some(_)) = (&outcome.values[slot], outcome.assigned_at[slot]) {
            pair(out, &program.slots[slot].name, &|out| {
                value.write_results_text(out)
            });
        }
    }
}

/// A target prints truncated toward zero in plain digits, as the service applies it \[seen\].
fn write_target(out: &mut String, value: &Value) {
    match value {
        Value::Double(x) if x.is_finite() => doubles::write_target(out, *x),
        other => other.write_results_text(out),
    }
}

/// The error part of an AutoScaleRun for a failed run, with its `Line L, Col C` message.
pub fn run_error(kind: RunErrorKind, position: (usize, usize), detail: &str) -> AutoScaleRunError {
    let (code, message) = run_service_error(kind).code_and_message();
    AutoScaleRunError {
        code: code.to_string(),
        message: message.to_string(),
        values: vec![NameValuePair {
            name: "Message".to_string(),
            value: run_message(position, detail),
        }],
    }
}

fn run_service_error(kind: RunErrorKind) -> ServiceError {
    match kind {
        RunErrorKind::InsufficientSampleData => ServiceError::InsufficientSampleData,
        RunErrorKind::Evaluation => ServiceError::Evaluation,
    }
}

/// The code of a run's error: `InsufficientSampleData` or
/// `AutoScalingFormulaEvaluationError`.
pub fn run_error_code(kind: RunErrorKind) -> &'static str {
    run_service_error(kind).code_and_message().0
}

/// The `Message` of a run's error: `Line L, Col C: detail`.
pub fn run_message(position: (usize, usize), detail: &str) -> String {
    format!("Line {}, Col {}: {detail}", position.0, position.1)
}
