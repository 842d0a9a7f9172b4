//! # batchscale
//!
//! The Azure Batch autoscale formula language, offline: parse, check and evaluate
//! formulas against a pool snapshot, and get the same `AutoScaleRun` the service returns
//! (the `results` string byte for byte, the same error codes and `Line L, Col C`
//! messages).
//!
//! The pipeline (`docs/architecture.md` draws it with the crates around it):
//!
//! ```text
//! text ─▶ lexer (logos) ─▶ parser (LALRPOP) ─▶ syntax tree with spans
//!      ─▶ checker (types, names, arity) ─▶ lints (likely mistakes)   [`validate`]
//!      ─▶ compiled formula (names to slots, constants folded)         [`CompiledFormula`]
//!      ─▶ evaluation over a [`Snapshot`] ─▶ [`AutoScaleRun`], [`Outcome`], [`Decision`]
//! ```
//!
//! Parse and check once, evaluate many times:
//!
//! ```
//! use batchscale::{CompiledFormula, Snapshot};
//!
//! let formula = CompiledFormula::new(
//!     "pending = $PendingTasks.GetSample(1);\n\
//!      $TargetDedicatedNodes = max(1, min(10, val(pending, 0)));",
//! )
//! .expect("the service accepts this formula");
//!
//! let snapshot = Snapshot::from_json(
//!     r#"{
//!         "evaluationTime": "2024-05-01T12:00:00Z",
//!         "metrics": { "$PendingTasks": { "start": "2024-05-01T11:59:30Z", "values": [7] } }
//!     }"#,
//!     "pool.json",
//! )
//! .expect("a valid snapshot");
//!
//! let run = formula.evaluate(&snapshot).run;
//! assert_eq!(run.timestamp, "2024-05-01T12:00:00Z");
//! assert_eq!(
//!     run.results,
//!     "$TargetDedicatedNodes=7;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;pending=[7]"
//! );
//! assert!(run.error.is_none());
//! ```
//!
//! A caller that evaluates many times and wants values rather than text (a simulation, a
//! sweep over snapshots) evaluates into one reused [`Outcome`]; a formula of doubles then
//! evaluates without allocating:
//!
//! ```
//! use batchscale::{CompiledFormula, Outcome, Snapshot, Timestamp, Value};
//!
//! let formula = CompiledFormula::new(
//!     "$TargetDedicatedNodes = max($CurrentDedicatedNodes, 10) > 70 ? 4 : 2;",
//! )
//! .unwrap();
//! let now = Timestamp::from_date(2024, 5, 1).unwrap();
//! let mut snapshot = Snapshot::default();
//! let mut outcome = Outcome::default();
//! for nodes in [0.0, 80.0] {
//!     snapshot.pool.current_dedicated_nodes = nodes;
//!     formula.evaluate_into(&snapshot, now, &mut outcome);
//!     assert!(outcome.error.is_none());
//!     let expected = if nodes > 70.0 { 4.0 } else { 2.0 };
//!     assert_eq!(outcome.target_dedicated, Value::Double(expected));
//! }
//! ```
//!
//! A formula the service refuses on add/enable gives the service's Batch error:
//!
//! ```
//! let error = batchscale::evaluate_auto_scale("$TargetDedicatedNodes = 2 *;", &Default::default())
//!     .unwrap_err();
//! assert_eq!(error.code, "AutoScalingFormulaSyntaxError");
//! assert_eq!(
//!     error.detail(),
//!     Some("Line 1, Col 28: expected an expression after '*', found ';'")
//! );
//! ```
//!
//! [`validate`] reports every diagnostic of a formula (all syntax errors, the static
//! checker's type and name errors, and warnings), as `batchscale check` does; each has a
//! [`Code`] from one registry. With the `render` feature, the `render` module prints them as the
//! command line does, as text or as located JSON records.
//!
//! What a successful run gives the pool is a [`Decision`]: whole node counts and the
//! deallocation option, the same for every consumer.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builtins;
#[doc(hidden)]
mod check;
mod decision;
mod diagnostic;
#[doc(hidden)]
mod doubles;
mod engine;
mod eval;
#[doc(hidden)]
mod lint;
#[cfg(feature = "render")]
pub mod render;
mod results;
mod snapshot;
mod suggest;
mod syntax;
pub mod time;

pub use builtins::{DeallocationOption, Metric};
pub use decision::Decision;
pub use diagnostic::{
    Code, DEFAULT_LAYER, Diagnostic, DirectiveError, Group, InlineAllow, Judged, Level, Origin,
    Policy, PolicyError, Selector, Severity, UnknownSelector, inline_allows,
};
pub use engine::{
    CompiledFormula, DEFAULT_INTERVAL, Evaluation, MAX_FORMULA_LENGTH, MAX_INTERVAL,
    MAX_STATEMENTS, MIN_INTERVAL, Rejection, Validation, check_interval, evaluate_auto_scale,
    format_formula, formula_length, validate,
};
pub use eval::explain::{
    Explanation, SampleCall, SampleRequest, StatementExplanation, StatementResult,
};
pub use eval::outcome::{Outcome, RunError, RunErrorKind, RunWarning};
pub use eval::samples::MissingSlots;
pub use eval::value::Value;
pub use results::{
    AutoScaleRun, AutoScaleRunError, BatchError, ErrorMessage, KeyValuePair, NameValuePair,
};
pub use snapshot::{
    DEFAULT_PERIOD, MetricHistories, PoolState, PushError, SampleHistory, Snapshot, SnapshotError,
};
pub use syntax::span::{LineCol, Span};
pub use time::{Interval, Timestamp};

/// The engine's insides, for its own benches, fuzz targets and tests. Not part of the
/// API: anything here may change without notice.
#[doc(hidden)]
pub mod internals {
    /// Re-exports a private module's items under the same name.
    macro_rules! inside {
        ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
            $($(#[$doc])* pub mod $name { pub use crate::$name::*; })*
        };
    }

    inside! {
        /// The table of built-ins.
        builtins,
        /// The static checker.
        check,
        /// How doubles print.
        doubles,
        /// Compilation and evaluation.
        eval,
        /// The lints.
        lint,
        /// Lexer, parser, syntax tree, formatter.
        syntax,
    }

    /// Times as text.
    pub mod time {
        pub use crate::time::parse::*;
        pub use crate::time::print::*;
    }
    pub use crate::engine::{clock_now, position_text};

    /// The syntax tree of a compiled formula.
    pub fn ast(formula: &crate::CompiledFormula) -> &crate::syntax::ast::Formula {
        formula.ast()
    }

    /// The program a compiled formula runs.
    pub fn program(formula: &crate::CompiledFormula) -> &crate::eval::program::Program {
        formula.program()
    }
}

/// The README's examples, run as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
