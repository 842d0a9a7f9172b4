//! `eval --explain` (issue 12, point 2): why a run came out as it did, through the binary.
//! As text under the run: a line a statement with its value or error, each sampled
//! metric's call under it with its window, the samples found and the slots missing. As
//! JSON: an `explain` key after the AutoScaleRun's keys, which stay byte for byte.

use serde_json::{Value, json};

use crate::common::{NOW, Out, Scratch, assert_usage_error, batchscale};

/// The cold start: only five minutes of `$PendingTasks` against an hour's window.
const COLD_START: &str =
    "$TargetDedicatedNodes = max($PendingTasks.GetSample(TimeInterval_Minute * 60, 70));\n";

/// The pending-tasks pattern: three hours at 90%, else one node.
const FALLBACK: &str = "\
percent = $PendingTasks.GetSamplePercent(TimeInterval_Hour * 3);
$TargetDedicatedNodes = percent < 90 ? 1 : avg($PendingTasks.GetSample(TimeInterval_Hour * 3, 90)) / 10;
";

/// A snapshot at `NOW` with `minutes` minutes of `$PendingTasks`, one sample every 30 s up
/// to `NOW`, each `value`.
fn pending(dir: &Scratch, minutes: usize, value: u32) -> String {
    let n = minutes * 2;
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    let start = now - chrono::Duration::seconds(30 * (n as i64 - 1));
    let values = vec![value.to_string(); n].join(",");
    dir.file(
        "pool.json",
        format!(
            r#"{{"evaluationTime": "{NOW}", "metrics": {{"$PendingTasks": {{"start": "{}", "values": [{values}]}}}}}}"#,
            start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
}

/// `eval FORMULA --pool POOL` with `extra` flags.
fn eval(dir: &Scratch, formula: &str, pool: &str, extra: &[&str]) -> Out {
    let f = dir.file("f.formula", formula);
    let mut args = vec!["eval", &f, "--pool", pool];
    args.extend_from_slice(extra);
    batchscale(&args)
}

/// The text from the explanation's heading on.
fn explanation(out: &Out) -> &str {
    let at = out
        .stdout
        .find("explanation (")
        .unwrap_or_else(|| panic!("no explanation in {:?}", out.stdout));
    &out.stdout[at..]
}

#[test]
fn a_cold_start_names_the_call_its_window_and_the_missing_slots_in_text() {
    let dir = Scratch::new();
    let pool = pending(&dir, 5, 4);
    let out = eval(&dir, COLD_START, &pool, &["--explain"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let text = explanation(&out);
    let expected = "\
explanation (times UTC, on 2024-05-01 unless dated):
Line 1  $TargetDedicatedNodes = max($PendingTasks.GetSample(TimeInt…  error: Line 1, Col 52: Insufficient data from data set: $PendingTasks wanted 70%, received 8.33333%
    $PendingTasks.GetSample at Line 1, Col 52: window (11:00:00, 12:00:00], 10 samples from 11:55:30 to 12:00:00, 8.33333% covered, 70% required: too few
      missing 11:00:00–11:55:00 (110 slots)
";
    assert_eq!(text, expected);
    // The run's own text comes first, unchanged.
    let plain = eval(&dir, COLD_START, &pool, &[]);
    assert!(out.stdout.starts_with(&plain.stdout), "{out:#?}");
    assert_eq!(out.stdout[plain.stdout.len()..], *text);
}

#[test]
fn a_cold_start_names_the_call_its_window_and_the_missing_slots_in_json() {
    let dir = Scratch::new();
    let pool = pending(&dir, 5, 4);
    let out = eval(&dir, COLD_START, &pool, &["--explain", "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let message = "Insufficient data from data set: $PendingTasks wanted 70%, received 8.33333%";
    assert_eq!(
        out.json()["explain"],
        json!({"statements": [{
            "line": 1, "column": 1,
            "text": COLD_START.trim_end().trim_end_matches(';'),
            "status": "failed",
            "variable": "$TargetDedicatedNodes",
            "code": "InsufficientSampleData",
            "error": format!("Line 1, Col 52: {message}"),
            "samples": [{
                "metric": "$PendingTasks", "method": "GetSample", "line": 1, "column": 52,
                "from": "2024-05-01T11:00:00Z", "to": "2024-05-01T12:00:00Z",
                "period": "30s", "count": 10,
                "first": "2024-05-01T11:55:30Z", "last": "2024-05-01T12:00:00Z",
                "coveredPercent": 100.0 * 10.0 / 120.0, "requiredPercent": 70,
                "missing": [{"from": "2024-05-01T11:00:00Z", "to": "2024-05-01T11:55:00Z", "slots": 110}],
                "error": message
            }]
        }]})
    );
}

#[test]
fn a_succeeding_formula_shows_every_statement_value() {
    let dir = Scratch::new();
    let pool = pending(&dir, 10, 6);
    let formula = "\
// scale on the last ten samples
n = $PendingTasks.GetSample(10);
$TargetDedicatedNodes = avg(n) / 4;   // 1.5: truncated to 1
$NodeDeallocationOption = taskcompletion;
when = $PendingTasks.HistoryBeginTime();
";
    let out = eval(&dir, formula, &pool, &["--explain"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(
        explanation(&out),
        "\
explanation (times UTC, on 2024-05-01 unless dated):
Line 2  n = $PendingTasks.GetSample(10)           = [6,6,6,6,6,6,6,6,6,6]
    $PendingTasks.GetSample at Line 2, Col 28: the 10 most recent samples, 10 samples from 11:55:30 to 12:00:00
Line 3  $TargetDedicatedNodes = avg(n) / 4        = 1 (1.5 before truncation)
Line 4  $NodeDeallocationOption = taskcompletion  = taskcompletion
Line 5  when = $PendingTasks.HistoryBeginTime()   = 2024-05-01T11:50:30.000Z
    $PendingTasks.HistoryBeginTime at Line 5, Col 38: the whole history, 20 samples from 11:50:30 to 12:00:00 = 2024-05-01T11:50:30.000Z
"
    );

    let out = eval(&dir, formula, &pool, &["--explain", "--format", "json"]);
    let run = out.json();
    let statements = run["explain"]["statements"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = statements
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap(),
                s["variable"].as_str().unwrap(),
                s["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("assigned", "n", "[6,6,6,6,6,6,6,6,6,6]"),
            ("assigned", "$TargetDedicatedNodes", "1"),
            ("assigned", "$NodeDeallocationOption", "taskcompletion"),
            ("assigned", "when", "2024-05-01T11:50:30.000Z"),
        ]
    );
    assert_eq!(statements[1]["beforeTruncation"], "1.5");
    // The values print exactly as the results string prints them.
    let results = run["results"].as_str().unwrap();
    for (_, name, value) in got {
        assert!(
            results.contains(&format!("{name}={value}")),
            "{name}={value} is not in {results}"
        );
    }
    let call = &statements[0]["samples"][0];
    assert_eq!(call["mostRecent"], 10);
    assert_eq!(call.get("from"), None);
    assert_eq!(statements[2]["samples"], json!([]));
}

#[test]
fn the_json_keys_of_the_run_stay_byte_for_byte_and_explain_comes_last() {
    let dir = Scratch::new();
    let pool = pending(&dir, 5, 4);
    for formula in [
        COLD_START,
        FALLBACK,
        "$TargetDedicatedNodes = 2; x = \"a;b=c\"; stop(); y = 1;",
        "$TargetDedicatedNodes = 1 / 0;",
        "$TargetDedicatedNodes = undefinedName;",
    ] {
        let plain = eval(&dir, formula, &pool, &["--format", "json"]);
        let explained = eval(&dir, formula, &pool, &["--format", "json", "--explain"]);
        assert_eq!(explained.code, plain.code, "{formula}");
        assert_eq!(explained.stderr, plain.stderr, "{formula}");
        // `{...run keys...}\n` becomes `{...run keys...,"explain":{...}}\n`.
        let keys = plain
            .stdout
            .strip_suffix("}\n")
            .unwrap_or_else(|| panic!("{:?}", plain.stdout));
        let rest = explained.stdout.strip_prefix(keys).unwrap_or_else(|| {
            panic!(
                "{formula}: {:?} does not start with {keys:?}",
                explained.stdout
            )
        });
        assert!(rest.starts_with(",\"explain\":{"), "{formula}: {rest:?}");
        assert!(rest.ends_with("}}\n"), "{formula}: {rest:?}");
        // And nothing else changed: without `explain` it is the plain run.
        let mut run = explained.json();
        run.as_object_mut().unwrap().remove("explain");
        assert_eq!(run, plain.json(), "{formula}");
    }
}

#[test]
fn two_hours_of_samples_at_40_tasks_evaluate_to_1_node_and_the_explanation_says_why() {
    let dir = Scratch::new();
    let pool = pending(&dir, 120, 40);
    let out = eval(&dir, FALLBACK, &pool, &["--explain"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        out.stdout.contains("$TargetDedicatedNodes    1\n"),
        "{out:#?}"
    );
    assert_eq!(
        explanation(&out),
        "\
explanation (times UTC, on 2024-05-01 unless dated):
Line 1  percent = $PendingTasks.GetSamplePercent(TimeInterval_Hour …  = 66.6667
    $PendingTasks.GetSamplePercent at Line 1, Col 41: window (09:00:00, 12:00:00], 240 samples from 10:00:30 to 12:00:00, 66.6667% covered = 66.6667
      missing 09:00:00–10:00:00 (120 slots)
Line 2  $TargetDedicatedNodes = percent < 90 ? 1 : avg($PendingTask…  = 1
"
    );
    let out = eval(&dir, FALLBACK, &pool, &["--explain", "--format", "json"]);
    let explain = &out.json()["explain"];
    let call = &explain["statements"][0]["samples"][0];
    assert_eq!(call["method"], "GetSamplePercent");
    assert_eq!(call["coveredPercent"], json!(100.0 * 240.0 / 360.0));
    assert_eq!(call.get("requiredPercent"), None);
    assert_eq!(
        call["missing"],
        json!([{"from": "2024-05-01T09:00:00Z", "to": "2024-05-01T10:00:00Z", "slots": 120}])
    );
    // The fallback branch ran: no GetSample was called.
    assert_eq!(explain["statements"][1]["value"], "1");
    assert_eq!(explain["statements"][1]["samples"], json!([]));

    // With three hours the window is full and the average decides.
    let pool = pending(&dir, 180, 40);
    let out = eval(&dir, FALLBACK, &pool, &["--explain", "--format", "json"]);
    let second = &out.json()["explain"]["statements"][1];
    assert_eq!(second["value"], "4");
    assert_eq!(second["samples"][0]["coveredPercent"], 100);
    assert_eq!(second["samples"][0]["requiredPercent"], 90);
    assert_eq!(second["samples"][0].get("missing"), None);
}

#[test]
fn statements_after_an_error_or_stop_are_listed_as_not_run() {
    let dir = Scratch::new();
    let pool = dir.snapshot();
    let out = eval(
        &dir,
        "a = 1;\nb = nothing + 1;\nc = 3;\n",
        &pool,
        &["--explain"],
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(
        explanation(&out),
        "\
explanation (times UTC, on 2024-05-01 unless dated):
Line 1  a = 1            = 1
Line 2  b = nothing + 1  error: Line 2, Col 5: Undefined symbol: nothing
Line 3  c = 3            not run
"
    );
    let out = eval(
        &dir,
        "a = 1; stop(); c = 3;",
        &pool,
        &["--explain", "--format", "json"],
    );
    assert_eq!(out.code, Some(0));
    let statuses: Vec<Value> = out.json()["explain"]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("assigned"), json!("stopped"), json!("notRun")]
    );
}

#[test]
fn a_target_that_ends_the_run_not_finite_is_explained_after_the_statements() {
    let dir = Scratch::new();
    let pool = dir.snapshot();
    let formula = "$TargetDedicatedNodes = 1 / 0;";
    let out = eval(&dir, formula, &pool, &["--explain"]);
    assert_eq!(out.code, Some(1));
    assert!(
        explanation(&out).ends_with(
            "Line 1  $TargetDedicatedNodes = 1 / 0  = Infinity\n\
             at the end of the run  error: Line 1, Col 1: $TargetDedicatedNodes must end the evaluation as a finite number, but it is Infinity\n"
        ),
        "{out:#?}"
    );
    let out = eval(&dir, formula, &pool, &["--explain", "--format", "json"]);
    assert_eq!(
        out.json()["explain"]["targetsError"],
        "Line 1, Col 1: $TargetDedicatedNodes must end the evaluation as a finite number, but it is Infinity"
    );
}

#[test]
fn many_holes_are_listed_compactly() {
    // Every other sample of the last hour: 60 runs of one missing slot.
    let dir = Scratch::new();
    let values = (0..120)
        .map(|i| if i % 2 == 0 { "null" } else { "1" })
        .collect::<Vec<_>>()
        .join(",");
    let pool = dir.file(
        "pool.json",
        format!(
            r#"{{"evaluationTime": "{NOW}", "metrics": {{"$CPUPercent": {{"start": "2024-05-01T11:00:30Z", "values": [{values}]}}}}}}"#
        ),
    );
    let formula = "x = $CPUPercent.GetSamplePercent(TimeInterval_Hour);";
    let out = eval(&dir, formula, &pool, &["--explain"]);
    let text = explanation(&out);
    assert_eq!(text.matches("      missing ").count(), 5, "{text}");
    assert!(
        text.contains("      … and 55 more runs of missing slots (55 slots)\n"),
        "{text}"
    );
    // JSON lists them all.
    let out = eval(&dir, formula, &pool, &["--explain", "--format", "json"]);
    let missing = &out.json()["explain"]["statements"][0]["samples"][0]["missing"];
    assert_eq!(missing.as_array().unwrap().len(), 60);
    assert_eq!(
        missing[0],
        json!({"from": "2024-05-01T11:00:00Z", "to": "2024-05-01T11:00:30Z", "slots": 1})
    );
}

#[test]
fn a_statement_over_several_lines_shows_on_one_without_its_comments() {
    let dir = Scratch::new();
    let pool = dir.snapshot();
    let formula = "x = 1 + // one\n    2; // three\ny = \"a // b\";";
    let out = eval(&dir, formula, &pool, &["--explain"]);
    assert_eq!(
        explanation(&out),
        "\
explanation (times UTC, on 2024-05-01 unless dated):
Line 1  x = 1 + 2     = 3
Line 3  y = \"a // b\"  = a // b
"
    );
    // JSON keeps the text as written.
    let out = eval(&dir, formula, &pool, &["--explain", "--format", "json"]);
    assert_eq!(
        out.json()["explain"]["statements"][0]["text"],
        "x = 1 + // one\n    2"
    );
}

#[test]
fn explain_is_a_flag_of_eval_only_and_a_rejected_formula_has_nothing_to_explain() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "x = 1;");
    assert_usage_error(&batchscale(&["check", &f, "--explain"]), "--explain");
    assert_usage_error(&batchscale(&["fmt", &f, "--explain"]), "--explain");
    assert_usage_error(&batchscale(&["eval", &f, "--explain=yes"]), "--explain");
    let help = batchscale(&["eval", "--help"]);
    assert!(help.stdout.contains("--explain"), "{help:#?}");

    // A formula the service refuses never runs: the Batch error, as without --explain.
    let pool = dir.snapshot();
    let bad = dir.file("bad.formula", "x = 2 *;");
    let plain = batchscale(&["eval", &bad, "--pool", &pool, "--format", "json"]);
    let explained = batchscale(&[
        "eval",
        &bad,
        "--pool",
        &pool,
        "--format",
        "json",
        "--explain",
    ]);
    assert_eq!(explained.code, Some(1));
    assert_eq!(explained.stdout, plain.stdout);
    let explained = batchscale(&["eval", &bad, "--pool", &pool, "--explain"]);
    assert!(!explained.stdout.contains("explanation"), "{explained:#?}");
}
