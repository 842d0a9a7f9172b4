//! The number of arguments of functions and methods.

use super::*;

#[test]
fn functions_with_fixed_arity() {
    let d = error("x = rand(1);", Code::Arity, "1", true);
    assert_eq!(d.message, "rand() takes no arguments, got 1");
    error("stop(1);", Code::Arity, "1", true);
    error("x = time(\"2024\", 2, 3);", Code::Arity, "2, 3", true);
    let d = error(&format!("{V}x = percentile(v);"), Code::Arity, "(v)", true);
    assert_eq!(d.message, "percentile() takes 2 arguments, got 1");
    error(&format!("{V}x = val(v, 1, 2);"), Code::Arity, "2", true);
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
    let d = error("x = $CPUPercent.Count(1);", Code::Arity, "1", true);
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
        "1",
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
