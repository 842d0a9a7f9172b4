//! Snapshots at the edges (issue 5, point 5): a million samples per metric, gaps,
//! unsorted samples, duplicate times, zero or negative periods, far-future and far-past
//! times, negative node counts. Each works as documented (interfaces.md section 1,
//! language.md section 7) or is refused with the exact place named: file, JSON path,
//! line and column.

use std::process::Command;

use batchscale::Metric;
use batchscale::{CompiledFormula, Evaluation};
use batchscale::{Snapshot, SnapshotError};

fn snapshot(json: &str) -> Snapshot {
    Snapshot::from_json(json, "pool.json").unwrap_or_else(|e| panic!("{e}"))
}

fn refused(json: &str) -> SnapshotError {
    match Snapshot::from_json(json, "pool.json") {
        Ok(s) => panic!("expected a refusal, got {s:?}"),
        Err(e) => e,
    }
}

/// Asserts the refusal names the file, the path, the line and column, and says why.
fn assert_refused(json: &str, path: &str, line: usize, column: usize, needle: &str) {
    let e = refused(json);
    assert_eq!(
        (e.source_name.as_str(), e.path.as_str(), e.line, e.column),
        ("pool.json", path, line, column),
        "{e}"
    );
    assert!(e.message.contains(needle), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("pool.json:{line}:{column}: at ")),
        "{e}"
    );
}

fn evaluate(formula: &str, snapshot: &Snapshot) -> Evaluation {
    CompiledFormula::new(formula)
        .unwrap_or_else(|r| panic!("{formula}: {r}"))
        .evaluate(snapshot)
}

/// The value of `name` in the results.
fn value(evaluation: &Evaluation, name: &str) -> String {
    evaluation
        .variable(name)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{name} is not in {:?}", evaluation.run))
}

/// `n` values `0, 1, ...` every 30 s from 2024-01-01, in the regular form, for `metric`.
fn regular_series(metric: &str, n: usize) -> String {
    let mut values = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            values.push(',');
        }
        values.push_str(&(i % 1000).to_string());
    }
    format!(
        r#""{metric}": {{"start": "2024-01-01T00:00:00Z", "period": "PT30S", "values": [{values}]}}"#
    )
}

// ---------------------------------------------------------------------------------------
// A million samples per metric.

#[test]
fn a_million_samples_in_every_metric_are_read_and_windowed() {
    const N: usize = 1_000_000;
    // The last sample is at 2024-01-01 + 999,999 * 30 s = 2024-12-13T05:19:30Z.
    let metrics: Vec<String> = Metric::ALL
        .iter()
        .map(|m| regular_series(m.name(), N))
        .collect();
    let json = format!(
        r#"{{"evaluationTime": "2024-12-13T05:19:30Z", "metrics": {{{}}}}}"#,
        metrics.join(",\n")
    );
    let s = snapshot(&json);
    for metric in Metric::ALL {
        assert_eq!(s.metrics.get(metric).len(), N, "{}", metric.name());
    }
    let e = evaluate(
        "n = $PendingTasks.Count();\n\
         last = $CPUPercent.GetSample(1);\n\
         all = len($ActiveTasks.GetSample(2000000));\n\
         day = len($RunningTasks.GetSample(TimeInterval_Day));\n\
         pct = $FailedTasks.GetSamplePercent(TimeInterval_Year);\n\
         whole = avg($SucceededTasks.GetSample(TimeInterval_Day * 400, 0));\n\
         p = percentile($PreemptedNodeCount.GetSample(1000000), 50);\n\
         begin = $DiskBytes.HistoryBeginTime();",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(value(&e, "n"), "1E+06");
    assert_eq!(value(&e, "last"), "[999]");
    assert_eq!(value(&e, "all"), "1E+06");
    // (now - 1 day, now]: 2880 samples.
    assert_eq!(value(&e, "day"), "2880");
    // A year expects 1,051,200 samples; a million are there.
    assert_eq!(value(&e, "pct"), "95.1294");
    assert_eq!(value(&e, "whole"), "499.5");
    assert_eq!(value(&e, "p"), "499");
    assert_eq!(value(&e, "begin"), "2024-01-01T00:00:00.000Z");
}

#[test]
fn a_million_explicit_samples_in_any_order_are_sorted() {
    const N: usize = 1_000_000;
    // Newest first: the explicit form takes any order.
    let mut samples = String::with_capacity(N * 48);
    for i in (0..N).rev() {
        if i != N - 1 {
            samples.push(',');
        }
        let seconds = i as u64 * 30;
        let (day, rest) = (seconds / 86_400, seconds % 86_400);
        // Days from 2000-01-01 through a simple proleptic count of 30-day steps is not a
        // calendar; use ticks via a fixed origin and RFC 3339 with an offset-free time.
        let t = chrono_like(day, rest);
        samples.push_str(&format!(r#"{{"time":"{t}","value":{}}}"#, i % 7));
    }
    let json = format!(
        r#"{{"evaluationTime": "2100-01-01T00:00:00Z", "metrics": {{"$CPUPercent": {{"samples": [{samples}]}}}}}}"#
    );
    let s = snapshot(&json);
    let history = s.metrics.get(Metric::CpuPercent);
    assert_eq!(history.len(), N);
    assert!(history.times.windows(2).all(|w| w[0] < w[1]));
    let e = evaluate("v = $CPUPercent.GetSample(3);", &s);
    // Oldest first [decided]: samples N-3, N-2, N-1.
    let expect: Vec<String> = (N - 3..N).map(|i| (i % 7).to_string()).collect();
    assert_eq!(value(&e, "v"), format!("[{}]", expect.join(",")));
}

/// `2000-01-01` plus `day` days and `rest` seconds, as RFC 3339.
fn chrono_like(day: u64, rest: u64) -> String {
    let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(day);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date.format("%Y-%m-%d"),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

// ---------------------------------------------------------------------------------------
// Gaps and order.

#[test]
fn gaps_lower_the_sample_percentage_as_documented() {
    // 20 slots over the last 10 minutes, every other one missing: 10 samples.
    let values: Vec<&str> = (0..20)
        .map(|i| if i % 2 == 0 { "null" } else { "5" })
        .collect();
    let s = snapshot(&format!(
        r#"{{"evaluationTime": "2024-01-01T00:10:00Z",
            "metrics": {{"$CPUPercent": {{"start": "2024-01-01T00:00:30Z", "values": [{}]}}}}}}"#,
        values.join(",")
    ));
    assert_eq!(s.metrics.get(Metric::CpuPercent).len(), 10);
    let e = evaluate(
        "p = $CPUPercent.GetSamplePercent(TimeInterval_Minute * 10);\n\
         some = $CPUPercent.GetSample(TimeInterval_Minute * 10, 50);\n\
         recent = $CPUPercent.GetSample(4);\n\
         fail = $CPUPercent.GetSample(TimeInterval_Minute * 10);",
        &s,
    );
    assert_eq!(value(&e, "p"), "50");
    assert_eq!(value(&e, "some"), "[5,5,5,5,5,5,5,5,5,5]");
    // GetSample(n) never fails for lack of data [seen].
    assert_eq!(value(&e, "recent"), "[5,5,5,5]");
    let error = e.run.error.expect("70% wanted, 50% there");
    assert_eq!(error.code, "InsufficientSampleData");
    assert_eq!(
        error.values[0].value,
        "Line 4, Col 29: Insufficient data from data set: $CPUPercent wanted 70%, received 50%"
    );
}

#[test]
fn a_gap_of_years_and_samples_after_now() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-06-01T00:00:00Z", "metrics": {"$PendingTasks": {"samples": [
            {"time": "2030-01-01T00:00:00Z", "value": 99},
            {"time": "2024-05-31T23:59:30Z", "value": 3},
            {"time": "2001-01-01T00:00:00Z", "value": 1}]}}}"#,
    );
    let e = evaluate(
        "n = $PendingTasks.Count(); v = $PendingTasks.GetSample(10);\n\
         begin = $PendingTasks.HistoryBeginTime();\n\
         p = $PendingTasks.GetSamplePercent(TimeInterval_Year * 30);",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    // The 2030 sample is not available at now.
    assert_eq!(value(&e, "n"), "2");
    assert_eq!(value(&e, "v"), "[1,3]");
    assert_eq!(value(&e, "begin"), "2001-01-01T00:00:00.000Z");
    // 2 samples where 30 years expect 31,536,000.
    assert_eq!(value(&e, "p"), "6.34196E-06");
}

#[test]
fn duplicate_sample_times_are_refused_at_the_second_one() {
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"samples": [
  {"time": "2024-01-01T00:00:00Z", "value": 1},
  {"time": "2024-01-01T00:00:30Z", "value": 2},
  {"time": "2024-01-01T01:00:00+01:00", "value": 3}]}}}"#,
        "metrics.$CPUPercent.samples[2].time",
        4,
        38,
        "found a second sample at 2024-01-01T00:00:00Z (the first is samples[0])",
    );
    // Times that differ only in the 8th fractional digit would be the same tick: refused
    // for the digit, before any duplicate.
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2024-01-01T00:00:00.00000001Z", "value": 1}]}}}"#,
        "metrics.$CPUPercent.samples[0].time",
        1,
        81,
        "2024-01-01T00:00:00.00000001Z",
    );
}

// ---------------------------------------------------------------------------------------
// Periods.

#[test]
fn zero_and_negative_periods_are_refused_at_the_period() {
    for (period, column) in [("PT0S", 46), ("-PT30S", 48), ("P0D", 45), ("-P1D", 46)] {
        assert_refused(
            &format!(r#"{{"metrics": {{"$ActiveTasks": {{"period": "{period}"}}}}}}"#),
            "metrics.$ActiveTasks.period",
            1,
            column,
            "expected a positive period",
        );
    }
    // Finer than a tick is not a period at all.
    assert_refused(
        r#"{"metrics": {"$ActiveTasks": {"period": "PT0.00000001S"}}}"#,
        "metrics.$ActiveTasks.period",
        1,
        55,
        "PT0.00000001S",
    );
}

#[test]
fn the_smallest_and_largest_periods_work() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-01-01T00:00:00Z", "metrics": {
            "$ActiveTasks": {"start": "2024-01-01T00:00:00Z", "period": "PT0.0000001S", "values": [1]},
            "$RunningTasks": {"start": "2024-01-01T00:00:00Z", "period": "P3650000D", "values": [2]}}}"#,
    );
    let e = evaluate(
        "a = $ActiveTasks.GetSamplePeriod(); r = $RunningTasks.GetSamplePeriod();\n\
         pa = $ActiveTasks.GetSamplePercent(TimeInterval_Second);\n\
         pr = $RunningTasks.GetSamplePercent(TimeInterval_Second);",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(value(&e, "a"), "0.0000001s");
    assert_eq!(value(&e, "r"), "3650000d");
    // One sample where a second expects 10,000,000 of them.
    assert_eq!(value(&e, "pa"), "1E-05");
    assert_eq!(value(&e, "pr"), "100");
}

// ---------------------------------------------------------------------------------------
// Far past and far future.

#[test]
fn the_first_and_last_instants_work_as_evaluation_times() {
    for (at, year) in [
        ("0001-01-01T00:00:00Z", "1"),
        ("9999-12-31T23:59:59.9999999Z", "9999"),
    ] {
        let s = snapshot(&format!(
            r#"{{"evaluationTime": "{at}", "metrics": {{"$CPUPercent": {{"samples": [{{"time": "{at}", "value": 7}}]}}}}}}"#
        ));
        let e = evaluate(
            "y = time().year; v = $CPUPercent.GetSample(1); n = $CPUPercent.Count();",
            &s,
        );
        assert!(e.run.error.is_none(), "{at}: {:?}", e.run);
        assert_eq!(value(&e, "y"), year);
        assert_eq!(value(&e, "v"), "[7]");
    }
    // A look-back past the year 1 is an evaluation error at the argument, not a panic.
    let s = snapshot(r#"{"evaluationTime": "0001-01-01T00:00:30Z"}"#);
    let e = evaluate("v = $CPUPercent.GetSample(TimeInterval_Minute, 0);", &s);
    let error = e.run.error.expect("look-back past year 1");
    assert_eq!(error.code, "AutoScalingFormulaEvaluationError");
    assert!(
        error.values[0].value.starts_with("Line 1, Col 27: ")
            && error.values[0]
                .value
                .contains("outside the years 1 to 9999"),
        "{error:?}"
    );
}

#[test]
fn times_outside_the_years_1_to_9999_are_refused_at_the_value() {
    assert_refused(
        r#"{"evaluationTime": "10000-01-01T00:00:00Z"}"#,
        "evaluationTime",
        1,
        42,
        "10000-01-01T00:00:00Z",
    );
    assert_refused(
        r#"{"evaluationTime": "0001-01-01T00:30:00+01:00"}"#,
        "evaluationTime",
        1,
        46,
        "0001-01-01T00:30:00+01:00",
    );
    assert_refused(
        "{\"metrics\": {\"$CPUPercent\": {\"samples\": [\n  {\"value\": 1, \"time\": \"9999-12-31T23:59:59-00:01\"}]}}}",
        "metrics.$CPUPercent.samples[0].time",
        2,
        50,
        "9999-12-31T23:59:59-00:01",
    );
    // A regular series whose slots run past 9999 is refused at its closing brace.
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"start": "9999-12-31T23:59:00Z", "period": "PT1M", "values": [1, 2]}}}"#,
        "metrics.$CPUPercent",
        1,
        97,
        "expected a series that ends by 9999-12-31T23:59:59.9999999Z",
    );
}

// ---------------------------------------------------------------------------------------
// Negative node counts and other pool values.

#[test]
fn negative_node_counts_are_kept_as_given() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-01-01T00:00:00Z", "pool": {
            "targetDedicatedNodes": -3.5, "targetLowPriorityNodes": -0.5,
            "currentDedicatedNodes": -2, "currentLowPriorityNodes": -1,
            "taskSlotsPerNode": -4}}"#,
    );
    assert_eq!(s.pool.usable_node_count, -3.0);
    let e = evaluate(
        "c = $CurrentDedicatedNodes; l = $CurrentLowPriorityNodes; u = $UsableNodeCount;\n\
         t = $TaskSlotsPerNode; d = $TargetDedicatedNodes;",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(
        e.run.results,
        "$TargetDedicatedNodes=-3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;\
         c=-2;d=-3.5;l=-1;t=-4;u=-3"
    );
    // A negative target the formula assigns is reported truncated, with a warning.
    let e = evaluate("$TargetDedicatedNodes = $CurrentDedicatedNodes * 1.5;", &s);
    assert!(e.run.error.is_none());
    assert!(
        e.run.results.starts_with("$TargetDedicatedNodes=-3;"),
        "{}",
        e.run.results
    );
    assert!(
        e.warnings.iter().any(|w| w.message.contains("negative")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn non_finite_or_unrepresentable_pool_values_are_refused_at_the_value() {
    assert_refused(
        r#"{"pool": {"currentDedicatedNodes": -1e999}}"#,
        "pool.currentDedicatedNodes",
        1,
        41,
        "number out of range",
    );
    // The default usableNodeCount would overflow: it must be given.
    assert_refused(
        r#"{"pool": {"currentDedicatedNodes": 1.7e308, "currentLowPriorityNodes": 1.7e308}}"#,
        "pool",
        1,
        79, // the pool's closing brace
        "expected usableNodeCount to be given",
    );
    assert_refused(r#"{"randomSeed": -1}"#, "randomSeed", 1, 17, "-1");
    assert_refused(
        r#"{"randomSeed": 18446744073709551616}"#,
        "randomSeed",
        1,
        35,
        "",
    );
    assert_eq!(
        snapshot(r#"{"randomSeed": 18446744073709551615}"#).random_seed,
        Some(u64::MAX)
    );
}

/// Through the binary: a bad snapshot is a usage error (exit 2) that names the file, line,
/// column and path.
#[test]
fn the_cli_names_the_place_of_a_bad_snapshot() {
    let dir = std::env::temp_dir().join(format!("batchscale-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let formula = dir.join("f.formula");
    std::fs::write(&formula, "$TargetDedicatedNodes = 1;").unwrap();
    let pool = dir.join("pool.json");
    std::fs::write(
        &pool,
        "{\"metrics\": {\"$CPUPercent\": {\n  \"period\": \"PT0S\"}}}",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .arg("eval")
        .arg(&formula)
        .arg("--pool")
        .arg(&pool)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2:18: at metrics.$CPUPercent.period: expected a positive period",
            pool.display()
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
