//! `CompiledFormula::evaluate_explained`: each statement's value or error, each sampled
//! metric's call with its window, the samples found and the slots missing; and the
//! evaluation itself unchanged.

use crate::common::{compile, snapshot};
use batchscale::{
    Explanation, Metric, MissingSlots, SampleCall, SampleRequest, StatementResult, Timestamp,
};

const NOW: &str = "2024-05-01T12:00:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// Explains `formula` on `json`, checking that the evaluation is the plain one.
fn explain(formula: &str, json: &str) -> Explanation {
    let compiled = compile(formula);
    let snapshot = snapshot(json);
    let (evaluation, explanation) = compiled.evaluate_explained(&snapshot);
    assert_eq!(evaluation, compiled.evaluate(&snapshot), "{formula}");
    assert_eq!(explanation.now, at(NOW));
    assert_eq!(explanation.statements.len(), formula.matches(';').count());
    explanation
}

/// `minutes` minutes of `$PendingTasks` samples up to `NOW`, one every 30 s, all `value`.
fn pending(minutes: usize, value: f64) -> String {
    let n = minutes * 2;
    let start = at(NOW)
        .checked_sub(batchscale::Interval::from_seconds(30 * (n as i64 - 1)).unwrap())
        .unwrap();
    let values = vec![value.to_string(); n].join(",");
    format!(
        r#"{{"evaluationTime": "{NOW}", "metrics": {{"$PendingTasks": {{"start": "{}", "values": [{values}]}}}}}}"#,
        start.to_rfc3339()
    )
}

fn only_call(explanation: &Explanation, statement: usize) -> &SampleCall {
    let samples = &explanation.statements[statement].samples;
    assert_eq!(samples.len(), 1, "{samples:#?}");
    &samples[0]
}

#[test]
fn a_cold_start_names_the_call_its_window_the_samples_found_and_the_slots_missing() {
    // Five minutes of samples (10, 11:55:30 to 12:00:00) against an hour's window.
    let formula =
        "$TargetDedicatedNodes = max($PendingTasks.GetSample(TimeInterval_Minute * 60, 70));";
    let e = explain(formula, &pending(5, 4.0));
    let statement = &e.statements[0];
    assert_eq!((statement.position.line, statement.position.column), (1, 1));
    // A statement's text runs to its end, without the ';'.
    assert_eq!(statement.text, formula.trim_end_matches(';'));
    assert_eq!(statement.variable.as_deref(), Some("$TargetDedicatedNodes"));
    assert_eq!(
        statement.result,
        StatementResult::Failed {
            code: "InsufficientSampleData",
            message: "Line 1, Col 52: Insufficient data from data set: $PendingTasks wanted 70%, received 8.33333%".into(),
        }
    );
    let call = only_call(&e, 0);
    assert_eq!(
        (call.metric, call.method),
        (Metric::PendingTasks, "GetSample")
    );
    assert_eq!((call.position.line, call.position.column), (1, 52));
    assert_eq!(
        call.request,
        SampleRequest::Window {
            from: at("2024-05-01T11:00:00Z"),
            to: at(NOW)
        }
    );
    assert_eq!(call.count, 10);
    assert_eq!(call.first, Some(at("2024-05-01T11:55:30Z")));
    assert_eq!(call.last, Some(at(NOW)));
    assert_eq!(call.covered_percent, Some(100.0 * 10.0 / 120.0));
    assert_eq!(call.required_percent, Some(70.0));
    // 110 of the 120 slots are empty: from 11:00:00 to 11:55:00.
    assert_eq!(
        call.missing,
        [MissingSlots {
            from: at("2024-05-01T11:00:00Z"),
            to: at("2024-05-01T11:55:00Z"),
            slots: 110
        }]
    );
    assert_eq!(call.value, None);
    assert_eq!(
        call.error.as_deref(),
        Some("Insufficient data from data set: $PendingTasks wanted 70%, received 8.33333%")
    );
    assert_eq!(e.targets_error, None);
}

#[test]
fn every_statement_that_ran_has_its_value_printed_as_the_results_print_it() {
    let formula = "a = 2.5; v = vec(1, 2); t = time(\"2024-05-01T10:00:00.12345Z\"); \
                   i = TimeInterval_Minute * 90; $TargetDedicatedNodes = a * 3; \
                   $NodeDeallocationOption = taskcompletion; $TargetLowPriorityNodes = 4; a + 1;";
    let e = explain(formula, &format!(r#"{{"evaluationTime": "{NOW}"}}"#));
    let values: Vec<_> = e.statements.iter().map(|s| s.result.clone()).collect();
    let assigned = |value: &str| StatementResult::Assigned {
        value: value.into(),
        before_truncation: None,
    };
    assert_eq!(
        values,
        [
            assigned("2.5"),
            assigned("[1,2]"),
            assigned("2024-05-01T10:00:00.123Z"),
            assigned("1h30m"),
            // A target prints truncated, as in the results string; the value before too.
            StatementResult::Assigned {
                value: "7".into(),
                before_truncation: Some("7.5".into())
            },
            assigned("taskcompletion"),
            assigned("4"),
            StatementResult::Evaluated {
                value: "3.5".into()
            },
        ]
    );
    let variables: Vec<_> = e.statements.iter().map(|s| s.variable.as_deref()).collect();
    assert_eq!(variables[0], Some("a"));
    assert_eq!(variables[4], Some("$TargetDedicatedNodes"));
    assert_eq!(variables[7], None);
    assert!(e.statements.iter().all(|s| s.samples.is_empty()));
    // Positions and texts: each statement from its first character to its end.
    let second = &e.statements[1];
    assert_eq!(second.text, "v = vec(1, 2)");
    assert_eq!((second.position.line, second.position.column), (1, 10));
}

#[test]
fn a_reassigned_variable_shows_each_value_in_turn() {
    let e = explain(
        "x = 1;\nx = x + 1;\nx = x * 10;",
        &format!(r#"{{"evaluationTime": "{NOW}"}}"#),
    );
    let values: Vec<_> = e
        .statements
        .iter()
        .map(|s| match &s.result {
            StatementResult::Assigned { value, .. } => value.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(values, ["1", "2", "20"]);
    let lines: Vec<_> = e.statements.iter().map(|s| s.position.line).collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn statements_after_an_error_or_stop_are_listed_as_not_run() {
    let empty = format!(r#"{{"evaluationTime": "{NOW}"}}"#);
    let e = explain("a = 1; b = undefinedName + 1; c = 3;", &empty);
    assert!(matches!(
        e.statements[0].result,
        StatementResult::Assigned { .. }
    ));
    assert_eq!(
        e.statements[1].result,
        StatementResult::Failed {
            code: "AutoScalingFormulaEvaluationError",
            message: "Line 1, Col 12: Undefined symbol: undefinedName".into()
        }
    );
    assert_eq!(e.statements[2].result, StatementResult::NotRun);
    assert_eq!(e.statements[2].variable.as_deref(), Some("c"));

    let e = explain("a = 1; a > 0 ? stop() : 0; c = 3;", &empty);
    assert_eq!(e.statements[1].result, StatementResult::Stopped);
    assert_eq!(e.statements[2].result, StatementResult::NotRun);
}

#[test]
fn a_failed_assignment_names_its_variable() {
    let e = explain(
        "$CurrentDedicatedNodes = 1;",
        &format!(r#"{{"evaluationTime": "{NOW}"}}"#),
    );
    assert_eq!(
        e.statements[0].variable.as_deref(),
        Some("$CurrentDedicatedNodes")
    );
    assert!(matches!(
        e.statements[0].result,
        StatementResult::Failed { .. }
    ));
}

#[test]
fn a_target_that_fails_the_end_of_run_check_is_the_targets_error() {
    let e = explain(
        "$TargetDedicatedNodes = 1 / 0;",
        &format!(r#"{{"evaluationTime": "{NOW}"}}"#),
    );
    assert_eq!(
        e.statements[0].result,
        StatementResult::Assigned {
            value: "Infinity".into(),
            before_truncation: None
        }
    );
    assert_eq!(
        e.targets_error.as_deref(),
        Some(
            "Line 1, Col 1: $TargetDedicatedNodes must end the evaluation as a finite number, but it is Infinity"
        )
    );
}

#[test]
fn a_deallocation_option_that_ends_the_run_not_a_keyword_is_the_targets_error() {
    // Only where the run ends is it checked: a number then a keyword is fine.
    let empty = format!(r#"{{"evaluationTime": "{NOW}"}}"#);
    let e = explain(
        "$NodeDeallocationOption = 1; $NodeDeallocationOption = retaineddata;",
        &empty,
    );
    assert_eq!(e.targets_error, None);
    let e = explain("$NodeDeallocationOption = 1;", &empty);
    assert_eq!(
        e.statements[0].result,
        StatementResult::Assigned {
            value: "1".into(),
            before_truncation: None
        }
    );
    let error = e.targets_error.expect("the end-of-run check failed");
    assert!(
        error.starts_with("Line 1, Col 1: $NodeDeallocationOption must end the evaluation as "),
        "{error}"
    );
    // A statement's own error is the statement's, not the end's.
    let e = explain("$TargetDedicatedNodes = 1 / 0; x = nothing;", &empty);
    assert_eq!(e.targets_error, None);
    assert!(matches!(
        e.statements[1].result,
        StatementResult::Failed { .. }
    ));
}

#[test]
fn two_hours_at_40_tasks_below_the_required_percent_falls_back_and_shows_why() {
    // Two hours of samples; the formula asks for three hours and 90%, and falls back to
    // one node when it cannot have them.
    let formula = "percent = $PendingTasks.GetSamplePercent(TimeInterval_Hour * 3);\n\
                   $TargetDedicatedNodes = percent < 90 ? 1 : avg($PendingTasks.GetSample(TimeInterval_Hour * 3, 90)) / 10;";
    let e = explain(formula, &pending(120, 40.0));
    assert_eq!(
        e.statements[0].result,
        StatementResult::Assigned {
            value: "66.6667".into(),
            before_truncation: None
        }
    );
    let call = only_call(&e, 0);
    assert_eq!(call.method, "GetSamplePercent");
    assert_eq!(call.count, 240);
    assert_eq!(call.first, Some(at("2024-05-01T10:00:30Z")));
    assert_eq!(call.covered_percent, Some(100.0 * 240.0 / 360.0));
    assert_eq!(call.required_percent, None);
    assert_eq!(call.value.as_deref(), Some("66.6667"));
    assert_eq!(
        call.missing,
        [MissingSlots {
            from: at("2024-05-01T09:00:00Z"),
            to: at("2024-05-01T10:00:00Z"),
            slots: 120
        }]
    );
    // The second statement took the fallback: no GetSample ran.
    assert_eq!(
        e.statements[1].result,
        StatementResult::Assigned {
            value: "1".into(),
            before_truncation: None
        }
    );
    assert!(e.statements[1].samples.is_empty());

    // With enough history the same formula reads the window, in full.
    let e = explain(formula, &pending(180, 40.0));
    assert_eq!(
        e.statements[1].result,
        StatementResult::Assigned {
            value: "4".into(),
            before_truncation: None
        }
    );
    let call = only_call(&e, 1);
    assert_eq!(call.method, "GetSample");
    assert_eq!(call.covered_percent, Some(100.0));
    assert_eq!(call.required_percent, Some(90.0));
    assert!(call.missing.is_empty() && call.error.is_none());
}

#[test]
fn holes_in_a_history_are_each_a_run_of_missing_slots() {
    // `$PendingTasks`: 6 of the 10 slots of the last 5 minutes (11:55:30 to 12:00:00).
    let json = format!(
        r#"{{"evaluationTime": "{NOW}", "metrics": {{"$PendingTasks": {{"start": "2024-05-01T11:55:30Z",
            "values": [1, null, null, 4, null, 6, 7, null, 9, 10]}}}}}}"#
    );
    let e = explain(
        "$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 5));",
        &json,
    );
    let call = only_call(&e, 0);
    assert_eq!(call.count, 6);
    assert_eq!(call.covered_percent, Some(60.0));
    let runs: Vec<_> = call
        .missing
        .iter()
        .map(|m| (m.from.to_rfc3339(), m.to.to_rfc3339(), m.slots))
        .collect();
    let run = |from: &str, to: &str, slots| {
        (
            format!("2024-05-01T{from}Z"),
            format!("2024-05-01T{to}Z"),
            slots,
        )
    };
    assert_eq!(
        runs,
        [
            run("11:55:30", "11:56:30", 2),
            run("11:57:00", "11:57:30", 1),
            run("11:58:30", "11:59:00", 1),
        ]
    );
    // The empty slots are the shortfall: 10 expected, 6 found.
    assert_eq!(call.missing.iter().map(|m| m.slots).sum::<u64>(), 4);
    // 60% is short of 70%: the statement failed on this call.
    assert!(matches!(
        e.statements[0].result,
        StatementResult::Failed {
            code: "InsufficientSampleData",
            ..
        }
    ));
}

#[test]
fn the_other_methods_say_what_they_read() {
    let json = pending(2, 5.0);
    let e = explain(
        "n = $PendingTasks.GetSample(3); c = $PendingTasks.Count(); \
         b = $PendingTasks.HistoryBeginTime(); p = $PendingTasks.GetSamplePeriod(); \
         x = len($PendingTasks.GetSample(1000)); h = $CPUPercent.HistoryBeginTime();",
        &json,
    );
    let most_recent = only_call(&e, 0);
    assert_eq!(most_recent.request, SampleRequest::MostRecent { count: 3 });
    assert_eq!(most_recent.count, 3);
    assert_eq!(
        (most_recent.first, most_recent.last),
        (Some(at("2024-05-01T11:59:00Z")), Some(at(NOW)))
    );
    assert_eq!(most_recent.covered_percent, None);
    assert!(most_recent.missing.is_empty());

    let count = only_call(&e, 1);
    assert_eq!(count.request, SampleRequest::History);
    assert_eq!(count.count, 4);
    assert_eq!(count.value.as_deref(), Some("4"));

    let begin = only_call(&e, 2);
    assert_eq!(begin.value.as_deref(), Some("2024-05-01T11:58:30.000Z"));
    assert_eq!(begin.first, Some(at("2024-05-01T11:58:30Z")));

    let period = only_call(&e, 3);
    assert_eq!(period.value.as_deref(), Some("30s"));
    assert_eq!(
        period.period.ticks(),
        30 * batchscale::time::TICKS_PER_SECOND
    );

    // A call inside a function's arguments is recorded too: fewer samples than asked.
    let inside = only_call(&e, 4);
    assert_eq!(inside.request, SampleRequest::MostRecent { count: 1000 });
    assert_eq!(inside.count, 4);

    // An empty history: the call's own error.
    let empty = only_call(&e, 5);
    assert_eq!((empty.metric, empty.count), (Metric::CpuPercent, 0));
    assert_eq!(
        (empty.first, empty.last, empty.value.as_deref()),
        (None, None, None)
    );
    assert_eq!(
        empty.error.as_deref(),
        Some("$CPUPercent has no samples, so it has no history begin time")
    );
}

#[test]
fn a_window_between_two_instants_in_either_order_is_the_same_window() {
    let json = pending(10, 1.0);
    let e = explain(
        "a = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 2, TimeInterval_Minute * 4); \
         b = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 4, TimeInterval_Minute * 2); \
         c = $PendingTasks.GetSample(time(\"2024-05-01T12:10:00Z\"), 0);",
        &json,
    );
    let window = SampleRequest::Window {
        from: at("2024-05-01T11:56:00Z"),
        to: at("2024-05-01T11:58:00Z"),
    };
    assert_eq!(only_call(&e, 0).request, window);
    assert_eq!(only_call(&e, 1).request, window);
    assert_eq!(only_call(&e, 0).count, 4);
    // A window reaching past now: the samples stop at now, the slots after it are missing.
    let future = only_call(&e, 2);
    assert_eq!(
        future.request,
        SampleRequest::Window {
            from: at(NOW),
            to: at("2024-05-01T12:10:00Z")
        }
    );
    assert_eq!((future.count, future.covered_percent), (0, Some(0.0)));
    assert_eq!(future.missing[0].slots, 20);
    assert!(future.error.is_none());
}

#[test]
fn explaining_never_changes_the_evaluation() {
    // Formulas of every kind on histories with holes: the explained run's Evaluation
    // (AutoScaleRun, values, warnings, decision) equals the plain one (checked by
    // `explain`), whatever the run did.
    let json = format!(
        r#"{{"evaluationTime": "{NOW}", "pool": {{"currentDedicatedNodes": 3}},
            "metrics": {{"$PendingTasks": {{"start": "2024-05-01T11:55:30Z",
            "values": [1, null, null, 4, null, 6, 7, null, 9, 10]}}}}}}"#
    );
    for formula in [
        "$TargetDedicatedNodes = max($CurrentDedicatedNodes, 10) > 70 ? 4 : 2;",
        "t = $CurrentDedicatedNodes * 2; t = t + 10; $TargetDedicatedNodes = min(t, 40);",
        "p = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 5); $TargetDedicatedNodes = p;",
        "$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 5, 50));",
        "$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 5));",
        "$TargetDedicatedNodes = 1 / 0;",
        "$TargetDedicatedNodes = -2.5; x = 0 / 0;",
        "stop(); $TargetDedicatedNodes = 5;",
        "$NodeDeallocationOption = 1;",
        "r = rand(); $TargetDedicatedNodes = r * 10;",
    ] {
        explain(formula, &json);
    }
}
