//! batchscale: the Azure Batch autoscale formula language, offline.

pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod eval;
pub mod format;
pub mod run;
pub mod snapshot;
pub mod syntax;
pub mod time;
pub mod time_text;

pub use engine::{
    CompiledFormula, Evaluation, Rejection, Validation, evaluate_auto_scale, validate,
};
pub use run::{AutoScaleRun, BatchError};
pub use snapshot::Snapshot;
