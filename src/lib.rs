//! # batchscale
//!
//! The Azure Batch autoscale formula language, offline: parse, check and evaluate
//! formulas against a pool snapshot, and get the same `AutoScaleRun` the service returns
//! (the `results` string byte for byte, the same error codes and `Line L, Col C`
//! messages).
//!
//! The pipeline, one module each:
//!
//! ```text
//! text ─▶ syntax (logos lexer, LALRPOP parser, AST with spans)
//!      ─▶ check (the one table of built-ins; static checker and its diagnostics)
//!      ─▶ eval::compile (names resolved to slots, constants folded)
//!      ─▶ eval::interpreter over a snapshot ─▶ run::AutoScaleRun
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
//! sweep over snapshots) evaluates into one reused [`eval::outcome::Outcome`]; a
//! formula of doubles then evaluates without allocating:
//!
//! ```
//! use batchscale::eval::outcome::Outcome;
//! use batchscale::eval::value::Value;
//! use batchscale::time::Timestamp;
//! use batchscale::{CompiledFormula, Snapshot};
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
//! checker's type and name errors, and warnings), as `batchscale check` does.

#![forbid(unsafe_code)]

pub mod builtins;
pub mod check;
pub mod decision;
pub mod diagnostic;
pub mod doubles;
pub mod engine;
pub mod eval;
pub mod lint;
pub mod results;
pub mod snapshot;
mod suggest;
pub mod syntax;
pub mod time;

pub use builtins::{DeallocationOption, Metric};
pub use decision::Decision;
pub use diagnostic::{Diagnostic, Severity};
pub use engine::{
    CompiledFormula, DEFAULT_INTERVAL, Evaluation, MAX_FORMULA_LENGTH, MAX_INTERVAL,
    MAX_STATEMENTS, MIN_INTERVAL, Rejection, Validation, check_interval, evaluate_auto_scale,
    validate,
};
pub use eval::outcome::Outcome;
pub use results::{AutoScaleRun, BatchError};
pub use snapshot::{MetricHistories, PoolState, PushError, SampleHistory, Snapshot, SnapshotError};
pub use time::{Interval, Timestamp};

/// The README's examples, run as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
