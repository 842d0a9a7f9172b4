//! Evaluation: compile a checked formula once, then evaluate it against snapshots.
//!
//! - [`program`]: the compiled form (slots, nodes, the number fast path's trees);
//! - [`compile`]: syntax tree to program, names resolved, constants folded;
//! - [`lower`]: the parts that give doubles to the number fast path;
//! - [`interpreter`]: runs a program against a snapshot, with [`calls`], [`methods`] and
//!   [`samples`] (the windows); [`random`] for `rand()`;
//! - [`outcome`]: what a run leaves; [`value`]: run-time values.

mod calls;
pub mod compile;
pub mod interpreter;
mod lower;
mod methods;
pub mod outcome;
pub mod program;
pub mod random;
pub mod samples;
pub mod value;
