//! The command line's tests, run against the built binary (and the library where they
//! compare the two), as one test binary. A file of tests is one `mod` line here; shared
//! helpers are in `common.rs`.

mod common;

mod ci;
mod commands;
mod conformance;
mod corpus;
mod determinism;
mod diagnostics;
mod explain;
mod fidelity;
mod formatter;
mod limits;
mod readme;
mod shell;
mod simulate;
