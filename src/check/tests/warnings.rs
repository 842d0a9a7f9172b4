//! Warnings: rules batchscale decided, legacy names, retired metrics, constant arguments.

use super::*;

#[test]
fn a_type_that_is_wrong_on_some_paths_is_an_error() {
    let text = "x = 1 ? 1 : time(); y = x + 1;";
    let d = error(text, Code::TypeOnSomePaths, "x + 1", true);
    assert_eq!(
        d.message,
        "this fails at run time on some paths: operator '+' is not defined for a timestamp and a double"
    );
    error(
        "x = 1 ? 1 : vec(1); $TargetDedicatedNodes = x;",
        Code::TypeOnSomePaths,
        "$TargetDedicatedNodes = x",
        true,
    );
    error(
        "x = 1 ? requeue : 1; $NodeDeallocationOption = x;",
        Code::TypeOnSomePaths,
        "$NodeDeallocationOption = x",
        true,
    );
    error(
        "x = 1 ? 1 : \"a\"; y = avg(x);",
        Code::TypeOnSomePaths,
        "x",
        true,
    );
    error(
        "x = 1 ? 1 : \"a\"; y = x ? 1 : 2;",
        Code::TypeOnSomePaths,
        "x",
        false,
    );
    error(
        "x = 1 ? 1 : TimeInterval_Minute; y = !x;",
        Code::TypeOnSomePaths,
        "!x",
        false,
    );
    error(
        "x = 1 ? 1 : time(); y = x.hour;",
        Code::TypeOnSomePaths,
        "x",
        false,
    );
    error(
        "x = 1 ? 1 : \"a\"; y = $CPUPercent.GetSample(TimeInterval_Minute, x);",
        Code::TypeOnSomePaths,
        "(TimeInterval_Minute, x)",
        true,
    );
    // A double or a time fits GetSample's second argument either way.
    lacks(
        "x = 1 ? 1 : time(); y = $CPUPercent.GetSample(TimeInterval_Minute, x);",
        Code::TypeOnSomePaths,
    );
}

#[test]
fn a_double_before_a_vector_warns() {
    let d = warning(
        &format!("{V}w = 2 * v;"),
        Code::ScalarVectorOperation,
        "2 * v",
        true,
    );
    assert!(
        d.message
            .contains("the service's behaviour here is unverified")
    );
    warning(
        &format!("{V}w = 2 - v;"),
        Code::ScalarVectorOperation,
        "2 - v",
        false,
    );
    lacks(&format!("{V}w = v * 2;"), Code::ScalarVectorOperation);
}

#[test]
fn branches_of_different_types_warn() {
    let d = warning(
        "x = 1 ? 1 : time();",
        Code::BranchTypesDiffer,
        "1 ? 1 : time()",
        true,
    );
    assert!(d.message.contains("a double and a timestamp"));
    lacks("x = 1 ? 1 : 2;", Code::BranchTypesDiffer);
    // A bare statement's value is dropped.
    clean_except("1 ? stop() : 2;", &[Code::StopKeepsAssignments]);
}

#[test]
fn weekday_compared_with_seven_warns() {
    warning(
        "x = time().weekday == 7;",
        Code::WeekdaySeven,
        "time().weekday == 7",
        true,
    );
    warning(
        "x = 7 > time().weekday;",
        Code::WeekdaySeven,
        "7 > time().weekday",
        true,
    );
    lacks(
        "x = time().weekday == 6; y = time().hour == 7;",
        Code::WeekdaySeven,
    );
}

#[test]
fn legacy_names_warn_with_the_full_name() {
    let d = warning(
        "$TargetDedicated = 1;",
        Code::LegacyName,
        "$TargetDedicated",
        true,
    );
    assert_eq!(d.help.as_deref(), Some("use '$TargetDedicatedNodes'"));
    let d = warning(
        "x = $CurrentDedicated;",
        Code::LegacyName,
        "$CurrentDedicated",
        true,
    );
    assert!(d.message.contains("'$CurrentDedicatedNodes'"));
    warning(
        "$TargetLowPriority = 1;",
        Code::LegacyName,
        "$TargetLowPriority",
        true,
    );
}

#[test]
fn retired_metrics_warn() {
    let d = warning(
        "x = $MemoryBytes.GetSample(1);",
        Code::RetiredMetric,
        "$MemoryBytes",
        true,
    );
    assert!(d.message.contains("retired"));
    lacks("x = $CPUPercent.GetSample(1);", Code::RetiredMetric);
}

#[test]
fn a_negative_constant_val_index_warns() {
    warning(
        &format!("{V}x = val(v, -1);"),
        Code::NegativeValIndex,
        "-1",
        true,
    );
    // Truncated toward zero, -0.5 reads element 0.
    lacks(&format!("{V}x = val(v, -0.5);"), Code::NegativeValIndex);
}

#[test]
fn constant_arguments_that_always_fail_are_errors() {
    error(
        &format!("{V}x = percentile(v, 101);"),
        Code::ArgumentOutOfRange,
        "101",
        true,
    );
    error(
        &format!("{V}x = percentile(v, -1);"),
        Code::ArgumentOutOfRange,
        "-1",
        true,
    );
    clean_except(
        &format!("{V}x = percentile(v, 0) + percentile(v, 100);"),
        &[Code::PercentileMethod],
    );
    error(
        "x = $CPUPercent.GetSample(0);",
        Code::ArgumentOutOfRange,
        "(0)",
        true,
    );
    error(
        "x = $CPUPercent.GetSample(-3);",
        Code::ArgumentOutOfRange,
        "(-3)",
        true,
    );
    error(
        "x = $CPUPercent.GetSample(TimeInterval_Minute, 101);",
        Code::ArgumentOutOfRange,
        "(TimeInterval_Minute, 101)",
        true,
    );
    error(
        "x = $CPUPercent.GetSample(time(), TimeInterval_Minute, -1);",
        Code::ArgumentOutOfRange,
        "(time(), TimeInterval_Minute, -1)",
        true,
    );
}

#[test]
fn division_by_a_constant_zero() {
    let d = warning("x = 1 / 0;", Code::DivisionByZero, "1 / 0", true);
    assert!(d.message.contains("unverified"));
    warning(
        &format!("{V}x = v / -0;"),
        Code::DivisionByZero,
        "v / -0",
        true,
    );
    error(
        "x = TimeInterval_Minute / 0;",
        Code::IntervalDivisionByZero,
        "TimeInterval_Minute / 0",
        true,
    );
    lacks("x = 1 / 0.5;", Code::DivisionByZero);
}
