//! Evaluation: compile a checked formula once, then evaluate it against snapshots.

pub mod compile;
pub mod interpreter;
pub mod samples;
pub mod value;
