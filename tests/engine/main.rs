//! The engine's tests through its public API, as one test binary: the language rule by
//! rule, and COMPATIBILITY.md's names. A file of tests is one `mod` line here.
//!
//! `properties` (proptest) and `fuzz_corpus` (the fuzz corpus replayed, with seeded
//! mutants) stay test binaries of their own: the README's heavier runs select them by
//! name (`--test properties`, `--test fuzz_corpus`) and tune them by environment.

mod common;
mod compatibility;
mod explain;
mod language;
mod snapshot;
