//! Names: undefined symbols and their hints, lookalikes, read-only and constant names.

use super::*;

#[test]
fn reading_an_unassigned_variable_is_undefined() {
    let d = error(
        "$TargetDedicatedNodes = x;",
        Code::UndefinedSymbol,
        "x",
        false,
    );
    assert_eq!(d.message, "undefined symbol 'x'");
    error("$Foo1 = $Bar1 + 1;", Code::UndefinedSymbol, "$Bar1", false);
    // The dollar is part of the name [seen].
    error("x = 1; y = $x;", Code::UndefinedSymbol, "$x", true);
    clean("x = 1; y = x;");
}

#[test]
fn an_assignment_does_not_see_its_own_target() {
    let text = "x = x + 1;";
    let d = error(text, Code::UndefinedSymbol, "x", true);
    assert_eq!(d.span.start, 4);
    assert!(d.help.unwrap().contains("earlier statement"));
    clean("x = 1; x = x + 1;");
}

#[test]
fn a_variable_assigned_later_gets_a_hint() {
    let d = error("a = b; b = 1;", Code::UndefinedSymbol, "b", true);
    assert!(d.help.unwrap().contains("later statement"));
}

#[test]
fn undefined_names_suggest_a_close_known_name() {
    let d = error(
        "n = $targetDedicatedNodes;",
        Code::UndefinedSymbol,
        "$targetDedicatedNodes",
        true,
    );
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean '$TargetDedicatedNodes'?")
    );
    let d = error(
        "n = $PendingTask;",
        Code::UndefinedSymbol,
        "$PendingTask",
        true,
    );
    assert_eq!(d.help.as_deref(), Some("did you mean '$PendingTasks'?"));
}

#[test]
fn undefined_names_suggest_user_variables_and_constants() {
    let d = error(
        "$curTime = time(); h = curTime.hour;",
        Code::UndefinedSymbol,
        "curTime",
        true,
    );
    assert_eq!(d.help.as_deref(), Some("did you mean '$curTime'?"));
    let d = error(
        "x = TimeInterval_minute;",
        Code::UndefinedSymbol,
        "TimeInterval_minute",
        true,
    );
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean 'TimeInterval_Minute'?")
    );
    // A function read as a value.
    let d = error("x = max;", Code::UndefinedSymbol, "max", true);
    assert!(d.help.unwrap().contains("call it"));
}

#[test]
fn an_undefined_name_in_an_untaken_branch_is_still_reported() {
    error("x = 1 ? 2 : nope;", Code::UndefinedSymbol, "nope", false);
}

#[test]
fn assigning_a_lookalike_of_a_target_warns() {
    let text = "$targetDedicatedNodes = 3;";
    let d = warning(text, Code::LookalikeTarget, "$targetDedicatedNodes", true);
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean '$TargetDedicatedNodes'?")
    );
    warning(
        "TargetLowPriorityNodes = 3;",
        Code::LookalikeTarget,
        "TargetLowPriorityNodes",
        true,
    );
    // Only the first assignment warns; unrelated names do not.
    let all = diagnostics("$targetDedicatedNodes = 3; $targetDedicatedNodes = 4;");
    assert_eq!(all.len(), 1);
    clean("maxTargetDedicated = 16; minTargetLowPriority = 0; $targetVMs = 1;");
}

#[test]
fn unknown_functions_suggest_the_known_one() {
    let d = error("x = Avg(1);", Code::UnknownFunction, "Avg", true);
    assert_eq!(d.message, "unknown function 'Avg'");
    assert_eq!(d.help.as_deref(), Some("did you mean 'avg'?"));
    error("x = median(1);", Code::UnknownFunction, "median", false);
    let d = error(
        "x = GetSample(1);",
        Code::UnknownFunction,
        "GetSample",
        true,
    );
    assert!(d.help.unwrap().contains("method"));
    // Arguments are still checked.
    error("x = median(nope);", Code::UndefinedSymbol, "nope", false);
}

#[test]
fn unknown_methods_suggest_the_known_one() {
    let d = error(
        "x = $CPUPercent.GetSamples(1);",
        Code::UnknownMethod,
        "GetSamples",
        true,
    );
    assert_eq!(d.help.as_deref(), Some("did you mean 'GetSample'?"));
    let d = error(
        "x = $CPUPercent.Mean(1);",
        Code::UnknownMethod,
        "Mean",
        true,
    );
    assert!(d.help.unwrap().starts_with("the methods are GetSample, "));
}

#[test]
fn unknown_fields_suggest_the_known_one() {
    let d = error("x = time().Hour;", Code::UnknownField, "Hour", true);
    assert_eq!(d.help.as_deref(), Some("did you mean 'hour'?"));
    let d = error(
        "x = time().millisecond;",
        Code::UnknownField,
        "millisecond",
        true,
    );
    assert!(d.help.unwrap().contains("year, month, day, weekday"));
}

#[test]
fn assigning_read_only_system_variables_is_an_error() {
    let d = error(
        "$CurrentDedicatedNodes = 1;",
        Code::AssignReadOnly,
        "$CurrentDedicatedNodes",
        true,
    );
    assert!(d.help.unwrap().contains("$TargetDedicatedNodes"));
    error(
        "$TaskSlotsPerNode = 1;",
        Code::AssignReadOnly,
        "$TaskSlotsPerNode",
        false,
    );
    error(
        "$PendingTasks = 1;",
        Code::AssignReadOnly,
        "$PendingTasks",
        false,
    );
}

#[test]
fn assigning_constants_and_keywords_is_an_error() {
    error(
        "TimeInterval_Second = 2;",
        Code::AssignConstant,
        "TimeInterval_Second",
        true,
    );
    error("requeue = 1;", Code::AssignConstant, "requeue", true);
    // Neither becomes a variable.
    clean("x = TimeInterval_Zero;");
}

#[test]
fn a_variable_named_like_a_function_is_legal_but_warned() {
    warning(
        "avg = 1; $TargetDedicatedNodes = avg;",
        Code::FunctionNameVariable,
        "avg",
        true,
    );
    lacks(
        "avg = 1; $TargetDedicatedNodes = avg;",
        Code::UndefinedSymbol,
    );
}
