//! COMPATIBILITY.md lists every [decided] rule with the tests that pin it. These tests keep
//! it honest: every test it names exists, and the few rules pinned only here are tested.

use batchscale::time::{Interval, TICKS_PER_HOUR, TICKS_PER_MINUTE};
use batchscale::{CompiledFormula, Snapshot};
use batchscale::{check_interval, validate};

const DOC: &str = include_str!("../../COMPATIBILITY.md");

/// Every `fn name(` in the crate's sources and tests (and `def name(` in crates/**/*.py).
fn test_functions() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = String::new();
    let mut dirs = vec![root.join("src"), root.join("tests"), root.join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the source folders are readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                all.push_str(&std::fs::read_to_string(&path).expect("a source file"));
            } else if path.extension().is_some_and(|e| e == "py") {
                // The emulator's SDK suite (Python) pins rules too: `def name(` counts as
                // `fn name(`.
                let text = std::fs::read_to_string(&path).expect("a source file");
                for line in text.lines() {
                    if let Some(rest) = line.trim_start().strip_prefix("def ") {
                        all.push_str("fn ");
                        all.push_str(rest);
                        all.push('\n');
                    }
                }
            }
        }
    }
    all
}

#[test]
fn every_test_named_in_compatibility_md_exists() {
    let sources = test_functions();
    let mut named = 0;
    let mut missing = Vec::new();
    for line in DOC
        .lines()
        .filter(|l| l.starts_with('|') || l.starts_with("  ") || l.starts_with("- "))
    {
        for (i, part) in line.split('`').enumerate() {
            let is_test_name = i % 2 == 1
                && part.len() > 12
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_test_name {
                named += 1;
                if !sources.contains(&format!("fn {part}(")) {
                    missing.push(part.to_string());
                }
            }
        }
    }
    assert!(named >= 60, "COMPATIBILITY.md names only {named} tests");
    assert!(
        missing.is_empty(),
        "COMPATIBILITY.md names tests that do not exist: {missing:?}"
    );
}

#[test]
fn every_decided_section_of_the_spec_has_a_row() {
    // The sections of language.md that hold [decided] rules.
    for section in [
        "| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 5 |", "| 6 |", "| 7 |", "| 8.1 |", "| 9 |", "| 10 |",
    ] {
        assert!(
            DOC.contains(section),
            "COMPATIBILITY.md has no row for section {section}"
        );
    }
}

#[test]
fn interval_outside_5_minutes_to_168_hours_is_invalid_property_value_decided() {
    for minutes in [0, 4, 168 * 60 + 1] {
        let e = check_interval(Interval(minutes * TICKS_PER_MINUTE)).unwrap_err();
        assert_eq!(e.code, "InvalidPropertyValue", "{minutes} minutes");
    }
    assert!(check_interval(Interval(5 * TICKS_PER_MINUTE)).is_ok());
    assert!(check_interval(Interval(168 * TICKS_PER_HOUR)).is_ok());
    let v = validate(
        "$TargetDedicatedNodes = 1;",
        Some(Interval(TICKS_PER_MINUTE)),
    );
    assert_eq!(
        v.rejection.map(|e| e.code).as_deref(),
        Some("InvalidPropertyValue")
    );
}

#[test]
fn deallocation_option_does_not_carry_over_between_runs_decided() {
    let formula = CompiledFormula::new(
        "$NodeDeallocationOption = $CurrentDedicatedNodes > 2 ? taskcompletion : $NodeDeallocationOption;",
    )
    .unwrap();
    let busy = Snapshot::from_json(
        r#"{"evaluationTime": "2024-05-01T12:00:00Z", "pool": {"currentDedicatedNodes": 3}}"#,
        "busy.json",
    )
    .unwrap();
    let idle =
        Snapshot::from_json(r#"{"evaluationTime": "2024-05-01T12:15:00Z"}"#, "idle.json").unwrap();
    assert!(
        formula
            .evaluate(&busy)
            .run
            .results
            .ends_with("$NodeDeallocationOption=taskcompletion")
    );
    // The same compiled formula, next run: it starts again at requeue.
    assert!(
        formula
            .evaluate(&idle)
            .run
            .results
            .ends_with("$NodeDeallocationOption=requeue")
    );
}

#[test]
fn case_differing_names_get_a_did_you_mean_decided() {
    let v = validate("$TargetDedicatedNodes = $currentDedicatedNodes;", None);
    let d = v
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an undefined-name error");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("$CurrentDedicatedNodes")),
        "help should suggest $CurrentDedicatedNodes: {d:?}"
    );
}
