//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same checks as the fuzz
//! targets (`fuzz/src/checks.rs`), so every input the fuzzers kept stays a cheap,
//! deterministic regression test in `cargo test`; then a short bounded fuzz run on the
//! stable toolchain: mutants of each corpus input (libFuzzer-style byte edits, dictionary
//! tokens, splices), from a fixed seed.
//!
//! `FUZZ_MUTANTS` sets the mutants per input (default 4) and `FUZZ_SEED` the seed, e.g.
//! `FUZZ_MUTANTS=200 FUZZ_SEED=$RANDOM cargo test --release --test fuzz_corpus`.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

/// The corpus of a target: (file name, bytes), in name order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
        .into_iter()
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect()
}

/// Runs one input on a fresh 2 MiB stack, as a test thread has; a panic names it.
fn run_check(target: &str, check: fn(&[u8]), name: &str, data: Vec<u8>) {
    let shown = format!("{:?}", String::from_utf8_lossy(&data));
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || check(&data))
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("{name} fails the {target} checks: {shown}"));
}

fn replay(target: &str, check: fn(&[u8])) {
    for (name, data) in corpus(target) {
        run_check(target, check, &name, data);
    }
}

/// The tokens of a libFuzzer dictionary (`"..."` lines, with `\"` and `\\` escapes).
fn dictionary(target: &str) -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/{target}.dict"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter_map(|line| line.trim().strip_prefix('"')?.strip_suffix('"'))
        .map(|token| {
            token
                .replace("\\\"", "\"")
                .replace("\\\\", "\\")
                .into_bytes()
        })
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64: a fixed, dependency-free stream of mutation choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four edits of `data`: what libFuzzer's mutators do most, within `max_len`.
fn mutate(
    data: &[u8],
    others: &[(String, Vec<u8>)],
    tokens: &[Vec<u8>],
    rng: &mut Rng,
    max_len: usize,
) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            // Change a byte (often to one that matters to the grammar).
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                const BYTES: &[u8] = b";()?:.,=<>!-+*/\"{}[]#0123456789 \n\x00\xff";
                out[i] = BYTES[rng.below(BYTES.len())];
            }
            // Erase a range.
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            // Insert a dictionary token.
            2 if !tokens.is_empty() => {
                let token = &tokens[rng.below(tokens.len())];
                out.splice(at..at, token.iter().copied());
            }
            // Duplicate a range in place.
            3 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(64)).min(out.len());
                let copy = out[start..end].to_vec();
                out.splice(at..at, copy);
            }
            // Splice with another input: our head, its tail.
            4 => {
                let other = &others[rng.below(others.len())].1;
                let from = rng.below(other.len() + 1);
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            // Repeat a short piece many times (deep nesting, long chains).
            _ => {
                let start = rng.below(out.len() + 1);
                let end = (start + 1 + rng.below(4)).min(out.len());
                let piece = out[start..end].to_vec();
                for _ in 0..rng.below(300) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
        }
        out.truncate(max_len);
    }
    out
}

/// The bounded fuzz run: `FUZZ_MUTANTS` mutants of every corpus input.
fn fuzz_mutants(target: &str, check: fn(&[u8]), max_len: usize) {
    let inputs = corpus(target);
    let tokens = dictionary(target);
    let mutants = env_number("FUZZ_MUTANTS", 4);
    let mut rng = Rng(env_number("FUZZ_SEED", 0x00f0_22ed));
    for (name, data) in &inputs {
        for k in 0..mutants {
            let mutant = mutate(data, &inputs, &tokens, &mut rng, max_len);
            run_check(target, check, &format!("mutant {k} of {name}"), mutant);
        }
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

#[test]
fn formula_corpus_mutants_pass_the_checks() {
    // The formula target's -max_len: a little over the length limit.
    fuzz_mutants("formula", checks::formula, 8300);
}

#[test]
fn snapshot_corpus_mutants_pass_the_checks() {
    fuzz_mutants("snapshot", checks::snapshot, 100_000);
}
