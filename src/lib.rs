//! batchscale: the Azure Batch autoscale formula language, offline.

pub mod check;
pub mod diagnostic;
pub mod format;
pub mod syntax;
pub mod time;
pub mod time_text;
