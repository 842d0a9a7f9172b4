//! Evaluation: compile a checked formula once, then evaluate it against snapshots.
//!
//! - [`program`]: the compiled form (slots, nodes, the number fast path's trees);
//! - [`compile`]: syntax tree to program, names resolved, constants folded;
//! - [`lower`]: the parts that give doubles to the number fast path;
//! - [`interpreter`]: runs a program against a snapshot, with [`calls`], [`methods`] and
//!   [`samples`] (the windows); [`random`] for `rand()`;
//! - [`outcome`]: what a run leaves; [`value`]: run-time values;
//! - [`explain`]: what a run did, statement by statement, when asked (`--explain`).

mod calls;
#[doc(hidden)]
pub mod compile;
pub mod explain;
#[doc(hidden)]
pub mod interpreter;
mod lower;
mod methods;
pub mod outcome;
#[doc(hidden)]
pub mod program;
#[doc(hidden)]
pub mod random;
#[doc(hidden)]
pub mod samples;
pub mod value;
