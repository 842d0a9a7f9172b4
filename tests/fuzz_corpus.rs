//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same checks as the fuzz
//! targets (`fuzz/src/checks.rs`), so every input the fuzzers kept stays a cheap,
//! deterministic regression test in `cargo test`.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    for path in files {
        let data = std::fs::read(&path).unwrap();
        // Each input on a fresh 2 MiB stack, as a test thread has.
        let name = path.display().to_string();
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || check(&data))
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{name} fails the {target} checks"));
    }
}

#[test]
fn formula_corpus_replays() {
    replay("formula", checks::formula);
}

#[test]
fn snapshot_corpus_replays() {
    replay("snapshot", checks::snapshot);
}
