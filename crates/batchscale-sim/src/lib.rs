//! # batchscale-sim
//!
//! What a pool does over time under an autoscale formula, offline: the pool model of
//! `simulation.md` section 2 as a deterministic discrete-event system on the engine's
//! 100-ns ticks, and the simulator, readers, reports and plots of `batchscale simulate`
//! built on it.
//!
//! - [`model`]: nodes, tasks and metric samples, stepped to any instant; shared with the
//!   emulator (`batchscale serve`), which runs it on its own clock.
//! - [`random`]: the seeded generator and the delay distributions.
//! - [`stats`]: the bounded queue-wait histogram.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod model;
pub mod random;
mod serde_helpers;
pub mod stats;
