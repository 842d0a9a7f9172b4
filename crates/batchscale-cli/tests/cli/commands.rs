//! The command line contract (`../shared/spec/interfaces.md` section 3), run against the
//! built binary: output shapes, exit statuses 0/1/2, and clear messages (never a panic)
//! for every misuse.

use std::process::Command;

use serde_json::Value;

use crate::common::{NOW, Out, Scratch, arg, assert_usage_error, batchscale, run};
const TARGETS: &str =
    "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue";

/// The snapshot error names the file and its line, followed by a column.
fn assert_names_file_line(out: &Out, file: &str, line: usize) {
    assert_usage_error(out, file);
    let place = format!("{file}:{line}:");
    let after = out
        .stderr
        .find(&place)
        .map(|i| &out.stderr[i + place.len()..])
        .unwrap_or_else(|| panic!("stderr should name {place:?}COLUMN: {:?}", out.stderr));
    assert!(
        after.starts_with(|c: char| c.is_ascii_digit()),
        "stderr should give a column after {place:?}: {:?}",
        out.stderr
    );
}

fn eval_json(formula: &str) -> Out {
    let dir = Scratch::new();
    let f = dir.file("f.formula", formula);
    let pool = dir.snapshot();
    batchscale(&["eval", &f, "--pool", &pool, "--format", "json"])
}

// ---- eval: output ------------------------------------------------------------------

#[test]
fn eval_text_prints_a_table_of_the_variables() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "$TargetDedicatedNodes = 3; x = 2.5;");
    let pool = dir.snapshot();
    let out = batchscale(&["eval", &f, "--pool", &pool]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    for (name, value) in [
        ("$TargetDedicatedNodes", "3"),
        ("$TargetLowPriorityNodes", "0"),
        ("$NodeDeallocationOption", "requeue"),
        ("x", "2.5"),
    ] {
        assert!(
            out.stdout.lines().any(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                words.contains(&name) && words.contains(&value)
            }),
            "no line shows {name} = {value}: {:?}",
            out.stdout
        );
    }
    assert!(out.stdout.contains(NOW), "the run's time: {:?}", out.stdout);
}

#[test]
fn eval_json_prints_exactly_the_autoscale_run() {
    let out = eval_json("$TargetDedicatedNodes = 3; x = 2.5;");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(
        out.json(),
        serde_json::json!({
            "timestamp": NOW,
            "results": "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;x=2.5"
        })
    );
}

#[test]
fn eval_dash_reads_the_formula_from_stdin() {
    let dir = Scratch::new();
    let pool = dir.snapshot();
    let out = run(
        &["eval", "-", "--pool", &pool, "--format", "json"],
        b"y = 7;",
    );
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.json()["results"], format!("{TARGETS};y=7"));
}

#[test]
fn eval_at_overrides_the_snapshot_evaluation_time() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "t = time();");
    let pool = dir.snapshot();
    let at = "2023-02-03T04:05:06.5Z";
    let out = batchscale(&["eval", &f, "--pool", &pool, "--at", at, "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let run = out.json();
    assert_eq!(run["timestamp"], at);
    assert_eq!(
        run["results"],
        format!("{TARGETS};t=2023-02-03T04:05:06.500Z")
    );
}

#[test]
fn eval_at_works_without_a_snapshot() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "n = $TaskSlotsPerNode;");
    let out = batchscale(&["eval", &f, "--at", NOW, "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(
        out.json(),
        serde_json::json!({"timestamp": NOW, "results": format!("{TARGETS};n=1")})
    );
}

#[test]
fn eval_empty_formula_runs_without_error() {
    let out = eval_json("");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.json()["results"], TARGETS);
}

#[test]
fn eval_formula_of_only_comments_runs_without_error() {
    let out = eval_json("// nothing to do\n// at all\n");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.json()["results"], TARGETS);
}

// ---- eval: exit statuses ---------------------------------------------------------------

#[test]
fn eval_run_with_an_error_exits_1_and_prints_the_autoscale_run() {
    let out = eval_json("a = 1;\nx = y;");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.json(),
        serde_json::json!({
            "timestamp": NOW,
            "results": format!("{TARGETS};a=1"),
            "error": {
                "code": "AutoScalingFormulaEvaluationError",
                "message": "The specified auto-scaling formula has evaluation error",
                "values": [{"name": "Message", "value": "Line 2, Col 5: Undefined symbol: y"}]
            }
        })
    );
}

#[test]
fn eval_text_shows_the_failing_line_with_a_caret() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "a = 1;\nx = y;");
    let pool = dir.snapshot();
    let out = batchscale(&["eval", &f, "--pool", &pool]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let shown = format!("{}{}", out.stdout, out.stderr);
    assert!(shown.contains("Undefined symbol: y"), "{shown}");
    assert!(shown.contains("x = y;"), "the offending line: {shown}");
    let caret = shown
        .lines()
        .find(|l| l.trim_end().ends_with('^'))
        .unwrap_or_else(|| panic!("no caret line: {shown}"));
    let source = shown.lines().find(|l| l.ends_with("x = y;")).unwrap();
    assert_eq!(
        caret.trim_end().len() - 1,
        source.len() - "y;".len(),
        "the caret should sit under 'y':\n{source}\n{caret}"
    );
}

#[test]
fn eval_rejected_formula_exits_1_and_prints_the_batch_error() {
    let out = eval_json("$TargetDedicatedNodes = 2 *;");
    assert_eq!(out.code, Some(1), "{out:#?}");
    let error = out.json();
    let keys: Vec<&String> = error.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 3, "keys code, message, values only: {error}");
    assert_eq!(error["code"], "AutoScalingFormulaSyntaxError");
    assert_eq!(
        error["message"],
        serde_json::json!({"lang": "en-US", "value": "The specified auto-scaling formula has a syntax error."})
    );
    let values = error["values"].as_array().expect("values is a list");
    assert_eq!(values.len(), 1, "{error}");
    assert_eq!(values[0]["key"], "Message");
    let value = values[0]["value"].as_str().expect("a string");
    assert!(value.starts_with("Line 1, Col 28: "), "{value}");
}

#[test]
fn eval_formula_with_a_nul_byte_is_rejected_as_a_syntax_error() {
    let out = eval_json("x = 1;\0");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.json()["code"], "AutoScalingFormulaSyntaxError");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn eval_formula_too_long_is_rejected() {
    let out = eval_json(&format!("//{}", "x".repeat(8191)));
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.json()["code"], "AutoScalingFormulaTooLong");
}

#[test]
fn eval_json_writes_run_warnings_to_stderr_one_json_per_line() {
    // val() out of range gives 0 with a warning [decided].
    let out = eval_json("v = vec(1); x = val(v, 5);");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.json()["results"], format!("{TARGETS};v=[1];x=0"));
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!lines.is_empty(), "the warning is on stderr: {out:#?}");
    for line in lines {
        let diagnostic: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line:?}"));
        assert_eq!(diagnostic["severity"], "warning", "{line}");
    }
}

#[test]
fn no_colours_when_stderr_is_not_a_terminal() {
    let dir = Scratch::new();
    let f = dir.file("bad.formula", "# comment\nx = 1;");
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", &f])
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.is_empty(), "the diagnostic is on stderr");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in piped output: {stderr:?}"
    );
}

// ---- check ---------------------------------------------------------------------------

#[test]
fn check_valid_formula_exits_0() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "$TargetDedicatedNodes = max(1, 2);");
    let out = batchscale(&["check", &f]);
    assert_eq!(out.code, Some(0), "{out:#?}");
}

#[test]
fn check_invalid_formula_exits_1() {
    let dir = Scratch::new();
    let f = dir.file(
        "bad.formula",
        "# a hash comment\n$TargetDedicatedNodes = 1;",
    );
    let out = batchscale(&["check", &f]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("1:1"), "the position: {}", out.stderr);
}

#[test]
fn check_dash_reads_the_formula_from_stdin() {
    assert_eq!(run(&["check", "-"], b"x = 1;").code, Some(0));
    assert_eq!(run(&["check", "-"], b"x = 1 +;").code, Some(1));
}

#[test]
fn check_fails_when_any_of_several_files_is_invalid() {
    let dir = Scratch::new();
    let good = dir.file("good.formula", "x = 1;");
    let bad = dir.file("bad.formula", "x = 1 +;");
    assert_eq!(batchscale(&["check", &good, &good]).code, Some(0));
    let out = batchscale(&["check", &good, &bad]);
    assert_eq!(out.code, Some(1), "{out:#?}");
}

#[test]
fn check_reports_an_undefined_name_as_an_error() {
    // language.md section 9: `check` reports type and name errors up front.
    let dir = Scratch::new();
    let f = dir.file("undefined.formula", "$TargetDedicatedNodes = pending;");
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let diagnostics = out.json();
    let error = diagnostics
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("no error diagnostic: {diagnostics}"));
    assert_eq!((&error["line"], &error["column"]), (&1.into(), &25.into()));
}

#[test]
fn check_json_prints_a_list_of_diagnostics() {
    let dir = Scratch::new();
    let f = dir.file("bad.formula", "x = 1;\n# comment\n");
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let diagnostics = out.json();
    let list = diagnostics.as_array().expect("a JSON list");
    let first = list.first().expect("at least one diagnostic");
    for key in [
        "severity",
        "code",
        "message",
        "line",
        "column",
        "endLine",
        "endColumn",
        "help",
    ] {
        assert!(
            first.get(key).is_some(),
            "diagnostic lacks {key:?}: {first}"
        );
    }
    assert_eq!(first["severity"], "error");
    assert_eq!((&first["line"], &first["column"]), (&2.into(), &1.into()));
    assert!(first["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn check_json_of_a_valid_formula_has_no_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "$TargetDedicatedNodes = 1;");
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let diagnostics = out.json();
    let list = diagnostics.as_array().expect("a JSON list");
    assert!(
        list.iter().all(|d| d["severity"] != "error"),
        "{diagnostics}"
    );
}

#[test]
fn check_interval_below_five_minutes_exits_1() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let out = batchscale(&["check", &f, "--interval", "1m"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn check_interval_above_168_hours_exits_1() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    assert_eq!(
        batchscale(&["check", &f, "--interval", "PT169H"]).code,
        Some(1)
    );
}

#[test]
fn check_interval_within_bounds_is_accepted_in_both_forms() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    for interval in ["PT15M", "15m", "PT5M", "PT168H"] {
        let out = batchscale(&["check", &f, "--interval", interval]);
        assert_eq!(out.code, Some(0), "--interval {interval}: {out:#?}");
    }
}

#[test]
fn check_unparsable_interval_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    assert_usage_error(
        &batchscale(&["check", &f, "--interval", "abc"]),
        "--interval",
    );
}

// ---- misuse: exit 2, a clear message, never a panic -------------------------------

#[test]
fn missing_formula_file_is_a_usage_error() {
    let dir = Scratch::new();
    let missing = dir.path("no-such.formula");
    assert_usage_error(&batchscale(&["eval", &missing]), &missing);
    assert_usage_error(&batchscale(&["check", &missing]), &missing);
}

#[test]
fn directory_as_formula_is_a_usage_error() {
    let dir = Scratch::new();
    let folder = arg(&dir.0);
    assert_usage_error(&batchscale(&["eval", &folder]), &folder);
    assert_usage_error(&batchscale(&["check", &folder]), &folder);
}

#[test]
fn non_utf8_formula_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("latin1.formula", b"x = \"caf\xe9\";");
    assert_usage_error(&batchscale(&["eval", &f]), "UTF-8");
    assert_usage_error(&batchscale(&["check", &f]), "UTF-8");
}

#[test]
fn non_utf8_formula_on_stdin_is_a_usage_error() {
    let out = run(&["eval", "-"], b"x = \xff;");
    assert_usage_error(&out, "UTF-8");
}

#[test]
fn formula_file_over_one_mebibyte_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("huge.formula", vec![b' '; (1 << 20) + 1]);
    assert_usage_error(&batchscale(&["eval", &f]), &f);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    assert_usage_error(&batchscale(&["eval", &f, "--bogus"]), "--bogus");
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    let out = batchscale(&[]);
    assert_usage_error(&out, "eval");
}

#[test]
fn unknown_format_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    assert_usage_error(&batchscale(&["eval", &f, "--format", "xml"]), "xml");
}

#[test]
fn malformed_snapshot_names_file_line_and_column() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let pool = dir.file("pool.json", "{\n  \"pool\": {,\n}");
    assert_names_file_line(&batchscale(&["eval", &f, "--pool", &pool]), &pool, 2);
}

#[test]
fn snapshot_with_an_unknown_key_names_the_key_and_place() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let pool = dir.file(
        "pool.json",
        "{\n  \"evaluationTime\": \"2024-05-01T12:00:00Z\",\n  \"bogus\": 1\n}",
    );
    let out = batchscale(&["eval", &f, "--pool", &pool]);
    assert_names_file_line(&out, &pool, 3);
    assert!(out.stderr.contains("bogus"), "{}", out.stderr);
}

#[test]
fn snapshot_with_a_wrong_type_names_the_field_and_place() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let pool = dir.file(
        "pool.json",
        "{\n  \"pool\": {\n    \"targetDedicatedNodes\": \"three\"\n  }\n}",
    );
    let out = batchscale(&["eval", &f, "--pool", &pool]);
    assert_names_file_line(&out, &pool, 3);
    assert!(
        out.stderr.contains("targetDedicatedNodes"),
        "{}",
        out.stderr
    );
}

#[test]
fn snapshot_with_an_unknown_metric_names_the_metric_and_place() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let pool = dir.file(
        "pool.json",
        "{\n  \"metrics\": {\n    \"$Bogus\": {\"values\": [1]}\n  }\n}",
    );
    let out = batchscale(&["eval", &f, "--pool", &pool]);
    assert_names_file_line(&out, &pool, 3);
    assert!(out.stderr.contains("Bogus"), "{}", out.stderr);
}

#[test]
fn missing_snapshot_file_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let missing = dir.path("no-such-pool.json");
    assert_usage_error(&batchscale(&["eval", &f, "--pool", &missing]), &missing);
}

#[test]
fn directory_as_snapshot_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    let folder = arg(&dir.0);
    assert_usage_error(&batchscale(&["eval", &f, "--pool", &folder]), &folder);
}

#[test]
fn unparsable_at_is_a_usage_error() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", "x = 1;");
    assert_usage_error(&batchscale(&["eval", &f, "--at", "yesterday"]), "--at");
    assert_usage_error(
        &batchscale(&["eval", &f, "--at", "2024-05-01T12:00:00"]),
        "--at",
    );
}

#[test]
fn formula_and_snapshot_cannot_both_come_from_stdin() {
    let out = run(&["eval", "-", "--pool", "-"], b"x = 1;");
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}
