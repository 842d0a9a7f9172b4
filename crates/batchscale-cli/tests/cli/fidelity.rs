//! Issue 12, point 8: what a differential run against an independent implementation of
//! the spec found, through the binary. Where an error points (language.md section 9.1) is
//! the same in `eval` and `check`; an `--interval` problem has no place in the formula.

use crate::common::{Scratch, batchscale};

/// `eval --format json`'s `Message` value for a formula on an empty pool.
fn eval_message(dir: &Scratch, text: &str) -> String {
    let f = dir.file("e.formula", text);
    let pool = dir.snapshot();
    let out = batchscale(&["eval", &f, "--pool", &pool, "--format", "json"]);
    assert_eq!(out.code, Some(1), "{text}: {out:#?}");
    let run = out.json();
    run["error"]["values"][0]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{text}: no message in {run}"))
        .to_string()
}

/// `check --format json`'s first error as `Line L, Col C`.
fn check_first_error(dir: &Scratch, text: &str) -> String {
    let f = dir.file("c.formula", text);
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(out.code, Some(1), "{text}: {out:#?}");
    let list = out.json();
    let first = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("{text}: no error in {list}"));
    format!("Line {}, Col {}", first["line"], first["column"])
}

#[test]
fn an_interval_diagnostic_has_no_line_or_column() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "$TargetDedicatedNodes = 1;");
    let out = batchscale(&["check", &f, "--interval", "1m", "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let list = out.json();
    let d = &list[0];
    assert_eq!(d["code"], "BS0003", "{list}");
    for key in ["line", "column", "endLine", "endColumn"] {
        assert!(d[key].is_null(), "{key} of {d}");
    }
    let out = batchscale(&["check", &f, "--interval", "1m"]);
    assert!(out.stderr.contains("BS0003"), "{}", out.stderr);
    assert!(!out.stderr.contains("ok.formula:"), "{}", out.stderr);
}

/// Section 9.1: the same fault at the same line and column in `eval` and in `check`.
#[test]
fn every_fault_of_section_9_1_points_at_the_same_place_in_eval_and_check_decided() {
    let dir = Scratch::new();
    for (text, at) in FAULTS {
        let message = eval_message(&dir, text);
        assert!(
            message.starts_with(&format!("{at}: ")),
            "eval of {text:?}: {message}"
        );
        assert_eq!(check_first_error(&dir, text), *at, "check of {text:?}");
    }
}

/// Each row of section 9.1's table (and the parentheses rule), with where it points.
const FAULTS: &[(&str, &str)] = &[
    // A method's errors, arity included, at the `(` of its arguments.
    ("x = $ActiveTasks.Count(1);", "Line 1, Col 23"),
    ("x = $ActiveTasks.GetSample(0);", "Line 1, Col 27"),
    ("x = $ActiveTasks.GetSample(\"a\");", "Line 1, Col 27"),
    (
        "x = $ActiveTasks.GetSample(TimeInterval_Minute, 101);",
        "Line 1, Col 27",
    ),
    ("x = $ActiveTasks.GetSamplePercent(1);", "Line 1, Col 34"),
    // A function's argument of the wrong type or value at that argument.
    ("x = time(\"2024-13-01\");", "Line 1, Col 10"),
    ("x = len(1, requeue);", "Line 1, Col 12"),
    ("v = vec(1); x = percentile(v, 101);", "Line 1, Col 31"),
    ("v = vec(1); x = percentile(v, (101));", "Line 1, Col 32"),
    // A function's arity at the `(`.
    ("x = percentile(vec(1));", "Line 1, Col 15"),
    ("x = rand(1);", "Line 1, Col 9"),
    ("x = time(\"2024\", 1);", "Line 1, Col 9"),
    // An operator at its left operand's first character, inside parentheses.
    ("x = (\"a\") + 1;", "Line 1, Col 6"),
    ("x = ((time())) - 1;", "Line 1, Col 7"),
    ("x = time() && 1;", "Line 1, Col 5"),
    // A `?:` condition at the condition.
    ("x = (time()) ? 1 : 2;", "Line 1, Col 6"),
    // A method on a value that is not a sampled metric, a field on one that is not a
    // timestamp: at that value.
    ("x = TimeInterval_Second.GetSample(1);", "Line 1, Col 5"),
    ("x = (TimeInterval_Week).second;", "Line 1, Col 6"),
    // Unknown names at the name.
    ("x = foo(1);", "Line 1, Col 5"),
    ("x = $ActiveTasks.Foo(1);", "Line 1, Col 18"),
    ("x = time().Foo;", "Line 1, Col 12"),
    // A target at the start of its last assignment.
    ("$TargetDedicatedNodes = time();", "Line 1, Col 1"),
    ("y = 1; $NodeDeallocationOption = y;", "Line 1, Col 8"),
    // A read-only system variable at the start of the assignment.
    ("x = 1; $CurrentDedicatedNodes = 2;", "Line 1, Col 8"),
    // An undefined name at the name.
    ("x = 1 + (nope);", "Line 1, Col 10"),
];

/// Section 9.1 [decided]: every argument runs (left to right) before the call checks
/// anything of its own, and an assignment runs its right side before it checks its target.
#[test]
fn arguments_run_before_a_call_checks_them_decided() {
    let dir = Scratch::new();
    for (text, message) in [
        (
            "x = std(TimeInterval_Second, $CPUPercent.GetSample(TimeInterval_Minute));",
            "Line 1, Col 51: Insufficient data from data set: $CPUPercent wanted 70%, received 0%",
        ),
        (
            "x = rand(undefinedName);",
            "Line 1, Col 10: Undefined symbol: undefinedName",
        ),
        (
            "x = time(\"2024\", nope);",
            "Line 1, Col 18: Undefined symbol: nope",
        ),
        (
            "$UsableNodeCount = undefinedName;",
            "Line 1, Col 20: Undefined symbol: undefinedName",
        ),
    ] {
        assert_eq!(eval_message(&dir, text), message, "{text}");
    }
}

/// The codes `check --format json` reports, in order.
fn check_codes(dir: &Scratch, text: &str) -> (Option<i32>, Vec<String>) {
    let f = dir.file("codes.formula", text);
    let out = batchscale(&["check", &f, "--format", "json"]);
    let codes = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    (out.code, codes)
}

/// Section 9.1 [decided]: `check` reports an error of its own above an operand that
/// already failed, a constant expression that always fails, and only a warning for code
/// after a top-level `stop();`.
#[test]
fn check_reports_independent_errors_constant_failures_and_unreachable_code_decided() {
    let dir = Scratch::new();
    let (code, codes) = check_codes(&dir, "x = (\"a\" < 1) + time();");
    assert_eq!(
        (code, codes),
        (Some(1), vec!["BS0301".into(), "BS0301".into()])
    );
    let (code, codes) = check_codes(&dir, "x = TimeInterval_Year * 100000;");
    assert_eq!(code, Some(1));
    assert!(codes.contains(&"BS0316".to_string()), "{codes:?}");
    let (code, codes) = check_codes(&dir, "x = TimeInterval_Hour / 0;");
    assert_eq!(code, Some(1));
    assert!(codes.contains(&"BS0314".to_string()), "{codes:?}");
    // After `stop();` nothing is type-checked: one warning, exit 0.
    let (code, codes) = check_codes(
        &dir,
        "$TargetDedicatedNodes = 1;\nstop();\n$TargetDedicatedNodes = time() + nope;\n",
    );
    assert_eq!(code, Some(0), "{codes:?}");
    assert!(codes.contains(&"BS0611".to_string()), "{codes:?}");
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("BS02") || c.starts_with("BS03")),
        "{codes:?}"
    );
    // A target assigned a non-double and then a double runs, so it checks.
    let (code, codes) = check_codes(
        &dir,
        "$TargetDedicatedNodes = time(); $TargetDedicatedNodes = 1;",
    );
    assert_eq!(code, Some(0), "{codes:?}");
}
