//! Types and arity: arguments (their number and types), operators, conditions, targets,
//! results of built-ins.

use super::*;

#[test]
fn function_arguments_have_types() {
    let d = error("x = avg(time());", Code::ArgumentType, "time()", true);
    assert_eq!(
        d.message,
        "avg() takes doubles and doubleVecs, not a timestamp"
    );
    let d = error("x = percentile(1, 2);", Code::ArgumentType, "1", true);
    assert_eq!(
        d.message,
        "argument 1 of percentile() must be a doubleVec, not a double"
    );
    error(&format!("{V}x = val(v, v);"), Code::ArgumentType, "v", true);
    error("x = time(1);", Code::ArgumentType, "1", true);
    error("x = max(requeue);", Code::ArgumentType, "requeue", true);
    clean_except(
        &format!("{V}x = percentile(v, 90); y = val(v, 0); z = time(\"2024-03-01\");"),
        &[Code::PercentileMethod, Code::SampleOrder],
    );
}

#[test]
fn method_arguments_have_types_and_two_forms() {
    // A method's errors point at the `(` that opens its arguments (section 9.1).
    let d = error(
        "x = $CPUPercent.GetSample(\"a\");",
        Code::ArgumentType,
        "(\"a\")",
        true,
    );
    assert_eq!(
        d.message,
        "argument 1 of GetSample() must be a double, timestamp or timeinterval, not a string"
    );
    error(
        "x = $CPUPercent.GetSample(1, 2);",
        Code::ArgumentType,
        "(1, 2)",
        true,
    );
    let text = "x = $CPUPercent.GetSample(TimeInterval_Minute, \"x\");";
    error(
        text,
        Code::ArgumentType,
        "(TimeInterval_Minute, \"x\")",
        true,
    );
    error(
        "x = $CPUPercent.GetSamplePercent(5);",
        Code::ArgumentType,
        "(5)",
        true,
    );
    error(
        "x = $CPUPercent.GetSample(time(), 2, 50);",
        Code::ArgumentType,
        "(time(), 2, 50)",
        true,
    );
    // GetSample(t, x): a double x is the percentage, a time x the second bound.
    clean(
        "a = $CPUPercent.GetSample(TimeInterval_Minute, 70); \
         b = $CPUPercent.GetSample(TimeInterval_Minute * 10, TimeInterval_Minute); \
         c = $CPUPercent.GetSample(time(), TimeInterval_Minute, 50); \
         d = $CPUPercent.GetSamplePercent(time() + -TimeInterval_Hour, time()); \
         e = $CPUPercent.GetSample(3);",
    );
}

#[test]
fn methods_need_a_sampled_metric() {
    let d = error(
        "x = time(); y = x.GetSample(1);",
        Code::MethodReceiver,
        "x",
        true,
    );
    assert_eq!(
        d.message,
        "'GetSample' is called on a timestamp, but only sampled metrics have methods"
    );
    // An unknown method name is reported first, at the name (section 9.1).
    let d = error("y = time().hour();", Code::UnknownMethod, "hour", true);
    assert_eq!(
        d.help.as_deref(),
        Some("a field is read without parentheses: '.hour'")
    );
    error(
        "y = $CurrentDedicatedNodes.Count();",
        Code::MethodReceiver,
        "$CurrentDedicatedNodes",
        true,
    );
    // A misspelt metric is an undefined name, not a second error.
    let d = error(
        "y = $pendingTasks.GetSample(1);",
        Code::UndefinedSymbol,
        "$pendingTasks",
        true,
    );
    assert_eq!(d.help.as_deref(), Some("did you mean '$PendingTasks'?"));
    lacks("y = $pendingTasks.GetSample(1);", Code::MethodReceiver);
}

#[test]
fn fields_need_a_timestamp() {
    let d = error("x = 1; y = x.hour;", Code::FieldReceiver, "x", false);
    assert_eq!(
        d.message,
        "'.hour' reads a field of a timestamp, not of a double"
    );
    let d = error(
        "y = $CPUPercent.hour;",
        Code::FieldReceiver,
        "$CPUPercent",
        true,
    );
    assert!(d.help.unwrap().contains("GetSample(1)"));
    let d = error(
        "y = $CPUPercent.Count;",
        Code::FieldReceiver,
        "$CPUPercent",
        true,
    );
    assert_eq!(
        d.help.as_deref(),
        Some("call the method: '$CPUPercent.Count()'")
    );
    clean("y = time().weekday + $CPUPercent.HistoryBeginTime().hour;");
}

#[test]
fn a_sampled_metric_is_not_a_value() {
    let d = error(
        "x = max(0, $PendingTasks);",
        Code::MetricAsValue,
        "$PendingTasks",
        true,
    );
    assert_eq!(
        d.message,
        "$PendingTasks is a sampled metric and cannot be used as a value"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("use a method such as $PendingTasks.GetSample(1)")
    );
    // No second error from the argument's unknown type.
    assert_eq!(diagnostics("x = max(0, $PendingTasks);").len(), 1);
    error(
        "x = $CPUPercent * 2;",
        Code::MetricAsValue,
        "$CPUPercent",
        true,
    );
}

#[test]
fn operators_take_exactly_the_documented_types() {
    let d = error(
        "x = time() + time();",
        Code::OperatorType,
        "time() + time()",
        false,
    );
    assert_eq!(
        d.message,
        "operator '+' is not defined for a timestamp and a timestamp"
    );
    error("x = \"a\" < 1;", Code::OperatorType, "\"a\" < 1", false);
    error(
        "x = TimeInterval_Minute * TimeInterval_Minute;",
        Code::OperatorType,
        "TimeInterval_Minute * TimeInterval_Minute",
        false,
    );
    error(
        "x = 2 / TimeInterval_Minute;",
        Code::OperatorType,
        "2 / TimeInterval_Minute",
        false,
    );
    let d = error(
        "x = TimeInterval_Minute > 5;",
        Code::OperatorType,
        "TimeInterval_Minute > 5",
        true,
    );
    assert!(d.help.unwrap().contains("TimeInterval_Minute"));
    let d = error(&format!("{V}x = v > 1;"), Code::OperatorType, "v > 1", true);
    assert!(d.help.unwrap().contains("avg(v)"));
    error(
        &format!("{V}x = v && 1;"),
        Code::OperatorType,
        "v && 1",
        false,
    );
    clean_except(
        "a = 2 * TimeInterval_Minute; b = TimeInterval_Minute * 2 / 3; \
         c = time() + a + -TimeInterval_Second; d = a + time(); e = time() - time(); \
         f = \"a\" < \"b\"; g = time() >= time(); h = a != b; i = (1 && 0) || 1; \
         j = -a; k = !1; l = -2;",
        &[Code::StringOrder],
    );
    clean(&format!("{V}w = v + 1; u = v * v; z = v / 2 - v;"));
}

#[test]
fn unary_operators_have_types() {
    let d = error("x = !time();", Code::OperatorType, "!time()", false);
    assert_eq!(d.message, "operator '!' is not defined for a timestamp");
    error("x = -\"a\";", Code::OperatorType, "-\"a\"", false);
    error(
        "x = !TimeInterval_Second;",
        Code::OperatorType,
        "!TimeInterval_Second",
        false,
    );
}

#[test]
fn deallocation_keywords_only_pass_through() {
    let d = error("x = requeue + 1;", Code::OperatorType, "requeue + 1", true);
    assert!(d.help.unwrap().contains("$NodeDeallocationOption"));
    error(
        "x = requeue == requeue;",
        Code::OperatorType,
        "requeue == requeue",
        true,
    );
    clean_except(
        "x = requeue; $NodeDeallocationOption = x; $NodeDeallocationOption = 1 ? terminate : taskcompletion;",
        &[Code::DeallocationPassThrough],
    );
    clean_except(
        "$NodeDeallocationOption = retaineddata; y = $NodeDeallocationOption;",
        &[Code::DeallocationPassThrough],
    );
}

#[test]
fn the_condition_must_be_a_double() {
    let d = error("x = time() ? 1 : 2;", Code::ConditionType, "time()", false);
    assert_eq!(
        d.message,
        "the condition of '?:' must be a double, not a timestamp"
    );
    error(
        &format!("{V}x = v ? 1 : 2;"),
        Code::ConditionType,
        "v",
        true,
    );
}

#[test]
fn the_value_of_stop_cannot_be_used() {
    let d = error("x = stop();", Code::StopValue, "stop()", true);
    assert_eq!(d.message, "stop() has no value to use");
    error("y = 1 + stop();", Code::StopValue, "stop()", true);
    error("y = 1 ? stop() : 2;", Code::StopValue, "stop()", true);
    // No second error from the unknown value.
    let all = diagnostics("y = 1 + stop();");
    assert_eq!(all.iter().filter(|d| d.is_error()).count(), 1, "{all:#?}");
    clean_except("stop();", &[Code::StopKeepsAssignments]);
    clean_except(
        "$TargetDedicatedNodes = 1; $TargetDedicatedNodes > 0 ? stop() : (1 ? 2 : stop());",
        &[Code::StopKeepsAssignments],
    );
}

#[test]
fn targets_must_be_doubles() {
    let d = error(
        "$TargetDedicatedNodes = vec(1, 2);",
        Code::TargetType,
        "$TargetDedicatedNodes = vec(1, 2)",
        true,
    );
    assert_eq!(
        d.message,
        "'$TargetDedicatedNodes' must end the run as a double, not a doubleVec"
    );
    error(
        "$TargetLowPriorityNodes = time();",
        Code::TargetType,
        "$TargetLowPriorityNodes = time()",
        false,
    );
    error(
        "$TargetLowPriorityNodes = requeue;",
        Code::TargetType,
        "$TargetLowPriorityNodes = requeue",
        false,
    );
    error(
        "$TargetDedicated = time();",
        Code::TargetType,
        "$TargetDedicated = time()",
        false,
    );
    clean("$TargetDedicatedNodes = 1; $TargetLowPriorityNodes = $TargetDedicatedNodes * 2;");
}

/// language.md section 9.1 [decided]: only what a target holds at the end of the run (or
/// at `stop()`) must be a double; an earlier assignment of another type is fine.
#[test]
fn a_target_assigned_a_non_double_then_a_double_is_valid_decided() {
    clean("$TargetDedicatedNodes = time(); $TargetDedicatedNodes = 1;");
    clean("$NodeDeallocationOption = 1; $NodeDeallocationOption = requeue;");
    // A `stop()` ends the run where it stands: the target must be right there.
    error(
        "$TargetDedicatedNodes = time(); $TargetDedicatedNodes > 0 ? stop() : 1; $TargetDedicatedNodes = 1;",
        Code::TargetType,
        "$TargetDedicatedNodes = time()",
        false,
    );
    // The last assignment is the one reported.
    error(
        "$TargetLowPriorityNodes = 1; $TargetLowPriorityNodes = time();",
        Code::TargetType,
        "$TargetLowPriorityNodes = time()",
        false,
    );
}

#[test]
fn the_deallocation_option_holds_only_keywords() {
    let d = error(
        "$NodeDeallocationOption = 1;",
        Code::DeallocationType,
        "$NodeDeallocationOption = 1",
        true,
    );
    assert_eq!(
        d.message,
        "'$NodeDeallocationOption' can only hold a deallocation option, not a double"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("assign one of requeue, terminate, taskcompletion or retaineddata")
    );
    error(
        "$NodeDeallocationOption = \"requeue\";",
        Code::DeallocationType,
        "$NodeDeallocationOption = \"requeue\"",
        true,
    );
}

#[test]
fn variables_take_the_type_of_their_last_assignment() {
    error(
        "x = 1; x = time(); y = x + 1;",
        Code::OperatorType,
        "x + 1",
        true,
    );
    clean("x = time(); x = 1; y = x + 1;");
    error(
        "$TargetDedicatedNodes = time() - time(); y = $TargetDedicatedNodes + 1;",
        Code::OperatorType,
        "$TargetDedicatedNodes + 1",
        false,
    );
}

#[test]
fn elementwise_functions_pick_their_form_by_type() {
    clean("$TargetDedicatedNodes = floor(2.5) + ceil(1) + round(1) + lg(2) + ln(2) + log(2);");
    error(
        "$TargetDedicatedNodes = floor(vec(1));",
        Code::TargetType,
        "$TargetDedicatedNodes = floor(vec(1))",
        true,
    );
    error(
        "$TargetDedicatedNodes = floor(1, 2);",
        Code::TargetType,
        "$TargetDedicatedNodes = floor(1, 2)",
        true,
    );
    error("x = floor(time());", Code::ArgumentType, "time()", true);
}

#[test]
fn method_and_function_results_have_types() {
    clean_except(
        "a = $CPUPercent.GetSamplePercent(TimeInterval_Minute) + $CPUPercent.Count(); \
         b = $CPUPercent.HistoryBeginTime() + $CPUPercent.GetSamplePeriod(); \
         c = avg($CPUPercent.GetSample(1)) + rand(); d = time().year;",
        &[Code::RandValues],
    );
    error(
        "x = $CPUPercent.GetSamplePeriod() + 1;",
        Code::OperatorType,
        "$CPUPercent.GetSamplePeriod() + 1",
        false,
    );
}

#[test]
fn time_with_a_bad_literal_always_fails() {
    let d = error(
        "x = time(\"yesterday\");",
        Code::InvalidTimeText,
        "\"yesterday\"",
        false,
    );
    assert!(d.message.starts_with("time(\"yesterday\") always fails: "));
    clean("x = time(\"2024-03-01T10:00:00Z\"); y = time(\"Mon, 13 Mar 2023 20:30:20 GMT\");");
}

#[test]
fn functions_with_fixed_arity() {
    // At the `(` that opens the arguments (section 9.1).
    let d = error("x = rand(1);", Code::Arity, "(1)", true);
    assert_eq!(d.message, "rand() takes no arguments, got 1");
    error("stop(1);", Code::Arity, "(1)", true);
    error(
        "x = time(\"2024\", 2, 3);",
        Code::Arity,
        "(\"2024\", 2, 3)",
        true,
    );
    let d = error(&format!("{V}x = percentile(v);"), Code::Arity, "(v)", true);
    assert_eq!(d.message, "percentile() takes 2 arguments, got 1");
    error(
        &format!("{V}x = val(v, 1, 2);"),
        Code::Arity,
        "(v, 1, 2)",
        true,
    );
    clean_except("x = time(); y = rand();", &[Code::RandValues]);
}

#[test]
fn list_functions_take_any_number_but_some_fail_on_none() {
    clean("a = sum(); b = len(); c = vec(); d = floor();");
    for name in ["avg", "max", "min", "norm", "range", "std"] {
        let text = format!("x = {name}();");
        error(&text, Code::EmptyArgumentList, &format!("{name}()"), true);
    }
    clean(&format!("{V}x = avg(v, 7, 1, v);"));
}

#[test]
fn methods_check_their_arity() {
    // Every error of a method at the `(` that opens its arguments (section 9.1).
    let d = error("x = $CPUPercent.Count(1);", Code::Arity, "(1)", true);
    assert_eq!(d.message, "method 'Count' takes no arguments, got 1");
    let d = error("x = $CPUPercent.GetSample();", Code::Arity, "()", true);
    assert_eq!(
        d.message,
        "method 'GetSample' takes 1 to 3 arguments, got 0"
    );
    let t = "TimeInterval_Minute";
    error(
        &format!("x = $CPUPercent.GetSample({t}, {t}, 50, 1);"),
        Code::Arity,
        &format!("({t}, {t}, 50, 1)"),
        true,
    );
    let d = error(
        "x = $CPUPercent.GetSamplePercent();",
        Code::Arity,
        "()",
        true,
    );
    assert_eq!(
        d.message,
        "method 'GetSamplePercent' takes 1 or 2 arguments, got 0"
    );
    clean(
        "a = $CPUPercent.Count(); b = $CPUPercent.HistoryBeginTime(); c = $CPUPercent.GetSamplePeriod();",
    );
}
