//! What every fuzz input goes through; shared with the main crate's corpus replay test
//! (`tests/fuzz_corpus.rs` includes `checks.rs` by path).

#[path = "checks.rs"]
mod checks;

pub use checks::{formula, snapshot};
