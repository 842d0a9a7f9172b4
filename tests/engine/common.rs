//! Helpers the engine's test files share.

use batchscale::{CompiledFormula, Snapshot};

/// A snapshot from JSON text, which the test means to be valid.
pub fn snapshot(json: &str) -> Snapshot {
    Snapshot::from_json(json, "test-snapshot.json")
        .unwrap_or_else(|e| panic!("the test snapshot is refused: {e}"))
}

/// A formula compiled, which the test means to be accepted.
pub fn compile(formula: &str) -> CompiledFormula {
    CompiledFormula::new(formula)
        .unwrap_or_else(|r| panic!("formula {formula:?} was rejected: {}", r.error))
}
