//! What the service returns: the AutoScaleRun of an evaluation (language.md section 8)
//! and the Batch error of a rejected formula (section 9), in their REST shapes.

use serde::{Deserialize, Serialize};

use crate::eval::compile::{Program, SlotKind};
use crate::eval::interpreter::{Outcome, RunErrorKind};
use crate::eval::value::Value;
use crate::format;

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
pub struct AutoScaleRunError {
    pub code: String,
    pub message: String,
    pub values: Vec<NameValuePair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameValuePair {
    pub name: String,
    pub value: String,
}

/// The code and message of an evaluation that failed for lack of samples.
pub const INSUFFICIENT_SAMPLE_DATA: (&str, &str) = (
    "InsufficientSampleData",
    "Autoscale evaluation failed due to insufficient sample data",
);

/// The code and message of any other evaluation failure.
pub const EVALUATION_ERROR: (&str, &str) = (
    "AutoScalingFormulaEvaluationError",
    "The specified auto-scaling formula has evaluation error",
);

/// The error the service answers a rejected request with (REST shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchError {
    pub code: String,
    pub message: ErrorMessage,
    pub values: Vec<KeyValuePair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorMessage {
    pub lang: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValuePair {
    pub key: String,
    pub value: String,
}

impl BatchError {
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

/// The `results` pairs: the three targets first, then every assigned user variable in
/// ordinal order of its full name (section 8.1) [seen].
pub fn results_pairs(program: &Program, outcome: &Outcome) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = vec![
        (
            "$TargetDedicatedNodes".to_string(),
            target_text(&outcome.target_dedicated),
        ),
        (
            "$TargetLowPriorityNodes".to_string(),
            target_text(&outcome.target_low_priority),
        ),
        (
            "$NodeDeallocationOption".to_string(),
            outcome.deallocation_option.to_results_text(),
        ),
    ];
    let mut user: Vec<(&str, &Value)> = program
        .slots
        .iter()
        .zip(&outcome.values)
        .zip(&outcome.assigned_at)
        .filter_map(
            |((slot, value), assigned)| match (&slot.kind, value, assigned) {
                (SlotKind::User, Some(v), Some(_)) => Some((slot.name.as_str(), v)),
                _ => None,
            },
        )
        .collect();
    user.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    pairs.extend(
        user.into_iter()
            .map(|(name, v)| (name.to_string(), v.to_results_text())),
    );
    pairs
}

/// The `results` string: the pairs as `name=value` joined by `;`.
pub fn results_string(pairs: &[(String, String)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    items.join(";")
}

/// A target prints truncated toward zero in plain digits, as the service applies it [seen].
fn target_text(value: &Value) -> String {
    match value {
        Value::Double(x) if x.is_finite() => format::format_target(*x),
        other => other.to_results_text(),
    }
}

/// The error part of an AutoScaleRun for a failed run, with its `Line L, Col C` message.
pub fn run_error(kind: RunErrorKind, position: (usize, usize), detail: &str) -> AutoScaleRunError {
    let (code, message) = match kind {
        RunErrorKind::InsufficientSampleData => INSUFFICIENT_SAMPLE_DATA,
        RunErrorKind::Evaluation => EVALUATION_ERROR,
    };
    AutoScaleRunError {
        code: code.to_string(),
        message: message.to_string(),
        values: vec![NameValuePair {
            name: "Message".to_string(),
            value: format!("Line {}, Col {}: {detail}", position.0, position.1),
        }],
    }
}
