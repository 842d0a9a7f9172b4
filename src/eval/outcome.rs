//! What a run leaves: the values, the error that ended it, its warnings, and the targets.

use crate::builtins::DeallocationOption;
use crate::syntax::span::Span;

use super::value::Value;

/// Which of the service's two run-time error codes applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunErrorKind {
    /// A sample window below its required percentage: `InsufficientSampleData`.
    InsufficientSampleData,
    /// Anything else: `AutoScalingFormulaEvaluationError`.
    Evaluation,
}

/// The error that ended a run, at the smallest expression that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    /// Which of the service's error codes.
    pub kind: RunErrorKind,
    /// The smallest expression that failed.
    pub span: Span,
    /// What went wrong, without the position.
    pub detail: String,
}

/// Something a run did that the service may treat differently, or that is likely a mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWarning {
    /// The code ([`crate::Code`]) as text.
    pub code: &'static str,
    /// Where.
    pub span: Span,
    /// One lower-case sentence.
    pub message: String,
}

/// The state a run ended in.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Each slot's final value (`None`: never assigned and not a target).
    pub values: Vec<Option<Value>>,
    /// Whether each slot was assigned by the formula, and where last.
    pub assigned_at: Vec<Option<Span>>,
    /// The error that ended the run, if any.
    pub error: Option<RunError>,
    /// Run-time warnings, in the order they happened.
    pub warnings: Vec<RunWarning>,
    /// The pool's targets as the run leaves them (before truncation).
    pub target_dedicated: Value,
    /// `$TargetLowPriorityNodes` as the run leaves it (before truncation).
    pub target_low_priority: Value,
    /// `$NodeDeallocationOption` as the run leaves it.
    pub deallocation_option: Value,
}

impl Default for Outcome {
    /// An outcome with nothing in it, to evaluate into.
    fn default() -> Outcome {
        Outcome {
            values: Vec::new(),
            assigned_at: Vec::new(),
            error: None,
            warnings: Vec::new(),
            target_dedicated: Value::Double(0.0),
            target_low_priority: Value::Double(0.0),
            deallocation_option: Value::Deallocation(DeallocationOption::Requeue),
        }
    }
}
