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
    pub kind: RunErrorKind,
    pub span: Span,
    pub detail: String,
}

/// Something a run did that the service may treat differently, or that is likely a mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWarning {
    pub code: &'static str,
    pub span: Span,
    pub message: String,
}

/// The state a run ended in.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Each slot's final value (`None`: never assigned and not a target).
    pub values: Vec<Option<Value>>,
    /// Whether each slot was assigned by the formula, and where last.
    pub assigned_at: Vec<Option<Span>>,
    pub error: Option<RunError>,
    pub warnings: Vec<RunWarning>,
    /// The pool's targets as the run leaves them (before truncation).
    pub target_dedicated: Value,
    pub target_low_priority: Value,
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
