//! The shared conformance cases (`../shared/conformance/cases/*.json`), run through the
//! library and through the built binary, compared exactly as `run.py` compares them.
//!
//! Without `../shared` beside the checkout these tests say they skipped; with it, an empty
//! cases folder is a failure, never a silent pass.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use batchscale::{CompiledFormula, Snapshot};
use serde_json::{Value, json};

/// The cases this checkout was built against: at least this many.
const KNOWN_CASES: usize = 36;

/// One case file, parsed.
struct Case {
    id: String,
    formula: String,
    snapshot: Value,
    expect: Value,
    compare: Option<Vec<String>>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases")
}

/// Every case, or `None` (after saying so) when the shared folder is absent. Panics when
/// the folder exists but holds no case, or a case file is unreadable.
fn load_cases() -> Option<Vec<Case>> {
    let dir = cases_dir();
    if !dir.is_dir() {
        eprintln!(
            "skipping: ../shared/conformance not found at {}",
            dir.display()
        );
        return None;
    }
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "{} exists but holds no *.json case",
        dir.display()
    );
    Some(paths.iter().map(|p| parse_case(p)).collect())
}

fn parse_case(path: &Path) -> Case {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read case {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("case {} is not JSON: {e}", path.display()));
    let field = |name: &str| {
        v.get(name)
            .unwrap_or_else(|| panic!("case {} has no {name:?}", path.display()))
    };
    Case {
        id: field("id").as_str().expect("id is a string").to_string(),
        formula: field("formula")
            .as_str()
            .expect("formula is a string")
            .to_string(),
        snapshot: v.get("snapshot").cloned().unwrap_or_else(|| json!({})),
        expect: field("expect").clone(),
        compare: v.get("compare").map(|c| {
            c.as_array()
                .expect("compare is a list")
                .iter()
                .map(|f| f.as_str().expect("compare lists field names").to_string())
                .collect()
        }),
    }
}

/// What one evaluation printed: the JSON object and, for the binary, its exit status.
struct Outcome {
    out: Value,
    exit: Option<i32>,
}

/// The problems of an `error` object against the expected one (run.py's `check_error`).
fn check_error(expected: &Value, actual: Option<&Value>, problems: &mut Vec<String>) {
    let actual = actual.filter(|a| !a.is_null() && *a != &json!({}));
    if expected.is_null() {
        if let Some(a) = actual {
            problems.push(format!("error: expected no error, got {a}"));
        }
        return;
    }
    let Some(actual) = actual.filter(|a| a.is_object()) else {
        problems.push(format!(
            "error: expected an error, got {}",
            actual.map_or("nothing".to_string(), Value::to_string)
        ));
        return;
    };
    for key in ["code", "message"] {
        if let Some(want) = expected.get(key)
            && actual.get(key) != Some(want)
        {
            problems.push(format!(
                "error.{key}: expected {want}, got {}",
                actual.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    if let Some(want) = expected.get("values")
        && actual.get("values") != Some(want)
    {
        problems.push(format!(
            "error.values: expected {want}, got {}",
            actual.get("values").unwrap_or(&Value::Null)
        ));
    }
    if let Some(prefix) = expected.get("valuePrefix").and_then(Value::as_str) {
        let values = actual
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let ok = values.len() == 1
            && values[0].get("name") == Some(&json!("Message"))
            && values[0]
                .get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with(prefix));
        if !ok {
            problems.push(format!(
                "error.values: expected one Message starting {prefix:?}, got {}",
                Value::Array(values)
            ));
        }
    }
}

/// Compares an outcome with the case's expectation, as run.py does. Exit statuses are
/// checked only when the outcome has one (the binary).
fn compare(case: &Case, outcome: &Outcome) -> Vec<String> {
    let out = &outcome.out;
    let mut problems = Vec::new();
    let expect_exit = |code: i32, problems: &mut Vec<String>| {
        if let Some(exit) = outcome.exit
            && exit != code
        {
            problems.push(format!("exit status: expected {code}, got {exit}"));
        }
    };
    if let Some(rejected) = case.expect.get("rejected") {
        if out.get("results").is_some() || out.get("code").is_none() {
            problems.push(format!("expected a rejection (Batch error), got {out}"));
        } else {
            if out.get("code") != rejected.get("code") {
                problems.push(format!(
                    "code: expected {}, got {}",
                    rejected.get("code").unwrap_or(&Value::Null),
                    out.get("code").unwrap_or(&Value::Null)
                ));
            }
            if let Some(prefix) = rejected.get("valuePrefix").and_then(Value::as_str) {
                let first = out
                    .get("values")
                    .and_then(Value::as_array)
                    .and_then(|v| v.first())
                    .and_then(|v| v.get("value"))
                    .and_then(Value::as_str);
                if !first.is_some_and(|v| v.starts_with(prefix)) {
                    problems.push(format!(
                        "values: expected a first value starting {prefix:?}, got {}",
                        out.get("values").unwrap_or(&Value::Null)
                    ));
                }
            }
        }
        expect_exit(1, &mut problems);
        return problems;
    }
    let Some(results) = out.get("results") else {
        problems.push(format!("expected an AutoScaleRun, got {out}"));
        return problems;
    };
    if let Some(prefix) = case.expect.get("resultsPrefix").and_then(Value::as_str) {
        if !results.as_str().is_some_and(|r| r.starts_with(prefix)) {
            problems.push(format!(
                "results: expected to start {prefix:?}, got {results}"
            ));
        }
        return problems;
    }
    let want = case
        .expect
        .get("run")
        .unwrap_or_else(|| panic!("case {}: expect has no run/rejected", case.id));
    let fields = case
        .compare
        .clone()
        .unwrap_or_else(|| ["timestamp", "results", "error"].map(String::from).to_vec());
    for key in ["timestamp", "results"] {
        if fields.iter().any(|f| f == key) && out.get(key) != want.get(key) {
            problems.push(format!(
                "{key}: expected {}, got {}",
                want.get(key).unwrap_or(&Value::Null),
                out.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    if fields.iter().any(|f| f == "error") {
        let expected_error = want.get("error").unwrap_or(&Value::Null);
        check_error(expected_error, out.get("error"), &mut problems);
        expect_exit(if expected_error.is_null() { 0 } else { 1 }, &mut problems);
    }
    problems
}

/// One case through the library: snapshot from JSON, compile, evaluate.
fn run_in_library(case: &Case) -> Outcome {
    let snapshot_json = case.snapshot.to_string();
    let snapshot = Snapshot::from_json(&snapshot_json, "snapshot.json")
        .unwrap_or_else(|e| panic!("case {}: snapshot refused: {e}", case.id));
    let out = match CompiledFormula::new(&case.formula) {
        Ok(formula) => serde_json::to_value(formula.evaluate(&snapshot).run),
        Err(rejection) => serde_json::to_value(rejection.error),
    }
    .expect("the output types serialise");
    Outcome { out, exit: None }
}

/// One case through the binary: `eval FORMULA --pool SNAPSHOT --format json`.
fn run_in_binary(case: &Case, dir: &Path) -> Result<Outcome, String> {
    let formula = dir.join(format!("{}.formula", case.id));
    let snapshot = dir.join(format!("{}.json", case.id));
    fs::write(&formula, case.formula.as_bytes()).expect("write the formula");
    fs::write(&snapshot, case.snapshot.to_string()).expect("write the snapshot");
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .arg("eval")
        .arg(&formula)
        .arg("--pool")
        .arg(&snapshot)
        .args(["--format", "json"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let out: Value = serde_json::from_str(&stdout).map_err(|_| {
        format!(
            "stdout is not one JSON object (exit {:?}): {:?}; stderr: {:?}",
            output.status.code(),
            stdout.chars().take(300).collect::<String>(),
            String::from_utf8_lossy(&output.stderr)
                .chars()
                .take(300)
                .collect::<String>()
        )
    })?;
    Ok(Outcome {
        out,
        exit: Some(output.status.code().unwrap_or(-1)),
    })
}

/// Panics with every failing case and what differed, or does nothing when all pass.
fn report(failures: Vec<(String, Vec<String>)>, total: usize, through: &str) {
    if failures.is_empty() {
        return;
    }
    let mut message = format!(
        "{} of {total} conformance cases fail through the {through}:\n",
        failures.len()
    );
    for (id, problems) in failures {
        message.push_str(&format!("FAIL {id}\n"));
        for p in problems {
            message.push_str(&format!("     {p}\n"));
        }
    }
    panic!("{message}");
}

#[test]
fn every_case_passes_through_the_library() {
    let Some(cases) = load_cases() else { return };
    let failures: Vec<(String, Vec<String>)> = cases
        .iter()
        .map(|case| (case.id.clone(), compare(case, &run_in_library(case))))
        .filter(|(_, problems)| !problems.is_empty())
        .collect();
    report(failures, cases.len(), "library");
}

#[test]
fn every_case_passes_through_the_binary() {
    let Some(cases) = load_cases() else { return };
    let dir = std::env::temp_dir().join(format!("batchscale-conformance-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("create a temporary folder");
    let failures: Vec<(String, Vec<String>)> = cases
        .iter()
        .map(|case| {
            let problems = match run_in_binary(case, &dir) {
                Ok(outcome) => compare(case, &outcome),
                Err(problem) => vec![problem],
            };
            (case.id.clone(), problems)
        })
        .filter(|(_, problems)| !problems.is_empty())
        .collect();
    let _ = fs::remove_dir_all(&dir);
    report(failures, cases.len(), "binary");
}

#[test]
fn at_least_the_known_cases_are_present() {
    let Some(cases) = load_cases() else { return };
    assert!(
        cases.len() >= KNOWN_CASES,
        "expected at least {KNOWN_CASES} conformance cases in {}, found {}",
        cases_dir().display(),
        cases.len()
    );
}

#[test]
fn case_ids_are_unique() {
    let Some(cases) = load_cases() else { return };
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let duplicates: Vec<&&str> = ids
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| &w[0])
        .collect();
    assert!(duplicates.is_empty(), "duplicate case ids: {duplicates:?}");
}

/// The comparison itself must be able to fail: a wrong expectation is reported.
#[test]
fn the_comparison_reports_what_differed() {
    let case = Case {
        id: "self-test".to_string(),
        formula: String::new(),
        snapshot: json!({}),
        expect: json!({"run": {"timestamp": "2024-05-01T12:00:00Z", "results": "x=1", "error": null}}),
        compare: None,
    };
    let outcome = Outcome {
        out: json!({"timestamp": "2024-05-01T12:00:00Z", "results": "x=2",
                    "error": {"code": "C", "message": "M", "values": []}}),
        exit: Some(1),
    };
    let problems = compare(&case, &outcome);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].starts_with("results: expected \"x=1\""),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("error: expected no error"),
        "{problems:?}"
    );
    assert_eq!(
        problems[2], "exit status: expected 0, got 1",
        "{problems:?}"
    );
}
