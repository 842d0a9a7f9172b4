//! The formula language (`../shared/spec/language.md`) rule by rule, through the library.
//! Each test names the rule it pins; a test pinning a [decided] rule ends in `_decided`.

use crate::common::{compile, snapshot};
use batchscale::{AutoScaleRun, BatchError, CompiledFormula, Evaluation};

/// A Wednesday.
const NOW: &str = "2024-05-01T12:00:00Z";
const EMPTY_POOL: &str = r#"{"evaluationTime": "2024-05-01T12:00:00Z"}"#;
const TARGETS: &str =
    "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue";
const EVALUATION_ERROR: &str = "AutoScalingFormulaEvaluationError";

/// A pool whose state differs in every field.
const POOL: &str = r#"{
    "evaluationTime": "2024-05-01T12:00:00Z",
    "pool": {"targetDedicatedNodes": 4, "targetLowPriorityNodes": 2,
             "currentDedicatedNodes": 3, "currentLowPriorityNodes": 5, "taskSlotsPerNode": 8}
}"#;

/// Histories at `NOW` = 12:00:00. `$ActiveTasks`: value k at 11:55:30 + (k-1)·30 s, so 1..=10
/// are available and 11, 12 (12:00:30, 12:01:00) lie after `now`. `$PendingTasks`: 6 of the
/// 10 slots of the last 5 minutes. `$FailedTasks`: 7 of those 10. `$RunningTasks`: explicit
/// samples out of order. `$CPUPercent`: one per minute, 11:57 to 12:00.
/// `$PreemptedNodeCount`: three samples in the last 10 seconds, period 30 s.
const SAMPLES: &str = r#"{
    "evaluationTime": "2024-05-01T12:00:00Z",
    "metrics": {
        "$ActiveTasks": {"start": "2024-05-01T11:55:30Z", "values": [1,2,3,4,5,6,7,8,9,10,11,12]},
        "$PendingTasks": {"start": "2024-05-01T11:55:30Z",
                          "values": [1, null, null, 4, null, 6, 7, null, 9, 10]},
        "$FailedTasks": {"start": "2024-05-01T11:55:30Z",
                         "values": [1, null, 3, null, 5, null, 7, 8, 9, 10]},
        "$RunningTasks": {"samples": [{"time": "2024-05-01T11:59:30Z", "value": 2},
                                      {"time": "2024-05-01T12:00:00Z", "value": 3},
                                      {"time": "2024-05-01T11:58:30Z", "value": 1}]},
        "$CPUPercent": {"start": "2024-05-01T11:57:00Z", "period": "PT1M", "values": [50, 60, 70, 80]},
        "$PreemptedNodeCount": {"samples": [{"time": "2024-05-01T11:59:50Z", "value": 1},
                                            {"time": "2024-05-01T11:59:55Z", "value": 2},
                                            {"time": "2024-05-01T12:00:00Z", "value": 3}]}
    }
}"#;

// ---- helpers ---------------------------------------------------------------------------

fn evaluation(formula: &str, snapshot_json: &str) -> Evaluation {
    compile(formula).evaluate(&snapshot(snapshot_json))
}

fn run_on(formula: &str, snapshot_json: &str) -> AutoScaleRun {
    evaluation(formula, snapshot_json).run
}

fn run(formula: &str) -> AutoScaleRun {
    run_on(formula, EMPTY_POOL)
}

/// The results string of a run that must succeed.
fn results_on(formula: &str, snapshot_json: &str) -> String {
    let run = run_on(formula, snapshot_json);
    assert!(
        run.error.is_none(),
        "formula {formula:?} should succeed but failed: {:?}",
        run.error
    );
    run.results
}

fn results(formula: &str) -> String {
    results_on(formula, EMPTY_POOL)
}

/// The printed value of variable `name` after a successful run.
fn var_on(formula: &str, snapshot_json: &str, name: &str) -> String {
    let results = results_on(formula, snapshot_json);
    results
        .split(';')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} is not in the results {results:?} of {formula:?}"))
        .to_string()
}

/// The printed value of `x` after a successful run of `formula`.
fn x(formula: &str) -> String {
    var_on(formula, EMPTY_POOL, "x")
}

/// The printed value of `expr`.
fn value(expr: &str) -> String {
    x(&format!("x = {expr};"))
}

/// Each `(expr, printed)`: `x = expr;` prints `printed`.
fn values(cases: &[(&str, &str)]) {
    for (expr, printed) in cases {
        assert_eq!(value(expr), *printed, "{expr}");
    }
}

/// Each `(a, operator, b, printed)`: `a operator b` prints `printed` (see [`op`]).
fn ops(cases: &[(&str, &str, &str, &str)]) {
    for (a, operator, b, printed) in cases {
        assert_eq!(op(a, operator, b), *printed, "{a} {operator} {b}");
    }
}

/// `a OP b` with both operands in variables, so the interpreter (not constant folding)
/// applies the operator.
fn op(a: &str, operator: &str, b: &str) -> String {
    x(&format!("a = {a}; b = {b}; x = a {operator} b;"))
}

/// The printed value of `x` after a successful run against the sample histories.
fn sampled(expr: &str) -> String {
    var_on(&format!("x = {expr};"), SAMPLES, "x")
}

/// The (code, Message value) of a run that must fail.
fn failure_on(formula: &str, snapshot_json: &str) -> (String, String) {
    let run = run_on(formula, snapshot_json);
    let error = run.error.unwrap_or_else(|| {
        panic!(
            "formula {formula:?} should fail but succeeded with {:?}",
            run.results
        )
    });
    assert_eq!(error.values.len(), 1, "one Message value: {error:?}");
    assert_eq!(error.values[0].name, "Message", "{error:?}");
    (error.code, error.values[0].value.clone())
}

/// The Message of a run that must fail with `AutoScalingFormulaEvaluationError`.
fn eval_error_on(formula: &str, snapshot_json: &str) -> String {
    let run = run_on(formula, snapshot_json);
    let error = run
        .error
        .unwrap_or_else(|| panic!("formula {formula:?} should fail but gave {:?}", run.results));
    assert_eq!(
        error.code, EVALUATION_ERROR,
        "formula {formula:?}: {error:?}"
    );
    assert_eq!(
        error.message, "The specified auto-scaling formula has evaluation error",
        "formula {formula:?}"
    );
    assert_eq!(error.values.len(), 1, "{error:?}");
    error.values[0].value.clone()
}

fn eval_error(formula: &str) -> String {
    eval_error_on(formula, EMPTY_POOL)
}

/// The run fails with an evaluation error at `Line line, Col col`.
fn assert_eval_error_at(formula: &str, line: usize, col: usize) {
    let message = eval_error(formula);
    let at = format!("Line {line}, Col {col}: ");
    assert!(
        message.starts_with(&at),
        "formula {formula:?}: expected an error at {at:?}, got {message:?}"
    );
}

/// The run fails with an evaluation error (anywhere).
fn assert_eval_fails(formula: &str) {
    let message = eval_error(formula);
    assert!(
        message.starts_with("Line "),
        "formula {formula:?}: the message should start with its position: {message:?}"
    );
}

/// 1-based column of the first `needle` in a one-line ASCII formula.
fn col(formula: &str, needle: &str) -> usize {
    formula
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {formula:?}"))
        + 1
}

/// The Batch error of a formula the service refuses.
fn rejection(formula: &str) -> BatchError {
    match CompiledFormula::new(formula) {
        Ok(_) => panic!(
            "formula {:?}… ({} chars) should be rejected",
            formula.chars().take(60).collect::<String>(),
            formula.chars().count()
        ),
        Err(r) => r.error,
    }
}

fn assert_syntax_error_at(formula: &str, line: usize, col: usize) {
    let error = rejection(formula);
    assert_eq!(
        error.code, "AutoScalingFormulaSyntaxError",
        "formula {formula:?}: {error}"
    );
    let at = format!("Line {line}, Col {col}: ");
    assert!(
        error.detail().is_some_and(|d| d.starts_with(&at)),
        "formula {formula:?}: expected a syntax error at {at:?}, got {:?}",
        error.detail()
    );
}

/// Each formula is refused with a syntax error.
fn syntax_errors(formulas: &[&str]) {
    formulas.iter().for_each(|f| assert_syntax_error(f));
}

/// Each formula's run fails with an evaluation error.
fn eval_failures(formulas: &[&str]) {
    formulas.iter().for_each(|f| assert_eval_fails(f));
}

fn assert_syntax_error(formula: &str) {
    let error = rejection(formula);
    assert_eq!(
        error.code, "AutoScalingFormulaSyntaxError",
        "formula {formula:?}: {error}"
    );
}

/// Runs `f` on a thread with a large stack.
fn on_large_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// `n` assignments `x0 = 0;` … one per line.
fn statements(n: usize) -> String {
    (0..n).map(|i| format!("x{i} = {i};\n")).collect()
}

// ---- 1. text ---------------------------------------------------------------------------

#[test]
fn last_semicolon_is_optional() {
    assert_eq!(results("x = 1"), format!("{TARGETS};x=1"));
    assert_eq!(results("x = 1; y = 2"), format!("{TARGETS};x=1;y=2"));
}

#[test]
fn empty_statements_are_allowed_decided() {
    assert_eq!(
        results(";;x = 1;; ;\n; // done\n"),
        format!("{TARGETS};x=1")
    );
}

#[test]
fn white_space_and_line_breaks_are_free_between_tokens() {
    assert_eq!(x("x\n=\t1\r\n+\r2\n;"), "3");
}

#[test]
fn line_comments_run_to_the_end_of_the_line() {
    assert_eq!(x("x = 1; // x = 2;\n// x = 3;\n"), "1");
    assert_eq!(x("x = 1 + // comment\n 2;"), "3");
}

#[test]
fn hash_comment_is_a_syntax_error_decided() {
    assert_syntax_error_at("# scale\nx = 1;", 1, 1);
    assert_syntax_error_at("x = 1; # scale", 1, 8);
}

#[test]
fn block_comment_is_a_syntax_error_decided() {
    assert_syntax_error_at("/* scale */ x = 1;", 1, 1);
}

#[test]
fn dollar_is_part_of_a_variable_name() {
    assert_eq!(results("x = 1; $x = 2;"), format!("{TARGETS};$x=2;x=1"));
    assert_eq!(
        eval_error("x = 1; y = $x;"),
        "Line 1, Col 12: Undefined symbol: $x"
    );
}

#[test]
fn identifiers_take_letters_digits_and_underscores() {
    assert_eq!(
        results("_a1 = 1; B_2 = 2;"),
        format!("{TARGETS};B_2=2;_a1=1")
    );
}

#[test]
fn function_and_method_names_never_carry_a_dollar() {
    assert_syntax_error("x = $max(1, 2);");
    assert_syntax_error("x = $ActiveTasks.$Count();");
}

#[test]
fn names_are_case_sensitive_decided() {
    // A lower-case `t` makes a user variable: the pool's target is untouched.
    assert_eq!(
        results("$targetDedicatedNodes = 5;"),
        format!("{TARGETS};$targetDedicatedNodes=5")
    );
    assert_eval_error_at("x = Max(1, 2);", 1, 5);
}

#[test]
fn numbers_are_digits_with_an_optional_fraction() {
    assert_eq!(value("1.50"), "1.5");
    assert_eq!(value("007"), "7");
}

#[test]
fn numbers_have_no_exponent_leading_dot_or_hex_decided() {
    syntax_errors(&["x = 1e5;", "x = .5;", "x = 0x10;", "x = 1.;"]);
}

#[test]
fn negative_numbers_are_unary_minus() {
    assert_eq!(value("-3"), "-3");
    assert_eq!(value("2 - -3"), "5");
}

#[test]
fn strings_have_no_escapes_decided() {
    assert_eq!(value(r#""C:\temp\n""#), r"C:\temp\n");
}

#[test]
fn string_cannot_contain_a_line_break_decided() {
    assert_syntax_error("x = \"a\nb\";");
    assert_syntax_error("x = \"abc;");
}

#[test]
fn time_interval_constants_have_their_documented_lengths() {
    values(&[
        ("TimeInterval_Zero", "0s"),
        ("TimeInterval_100ns", "0.0000001s"),
        ("TimeInterval_Microsecond", "0.000001s"),
        ("TimeInterval_Millisecond", "0.001s"),
        ("TimeInterval_Second", "1s"),
        ("TimeInterval_Minute", "1m"),
        ("TimeInterval_Hour", "1h"),
        ("TimeInterval_Day", "1d"),
        ("TimeInterval_Week", "7d"),
    ]);
}

#[test]
fn time_interval_year_is_365_days_decided() {
    assert_eq!(value("TimeInterval_Year"), "365d");
}

// ---- 1. limits and the order of the checks ---------------------------------------------

#[test]
fn formula_over_8192_characters_is_too_long() {
    let error = rejection(&format!("//{}", "x".repeat(8191)));
    assert_eq!(error.code, "AutoScalingFormulaTooLong", "{error}");
}

#[test]
fn formula_of_exactly_8192_characters_is_not_too_long() {
    let formula = format!("x = 1;//{}", "x".repeat(8192 - 8));
    assert_eq!(formula.len(), 8192);
    assert_eq!(results(&formula), format!("{TARGETS};x=1"));
}

#[test]
fn length_counts_utf16_code_units_decided() {
    // 'é' is one unit in two bytes; '😀' two units in four bytes. A large stack keeps this
    // test about the length rule (see `long_non_ascii_text_lexes_on_a_2_mib_thread_stack`).
    on_large_stack(|| {
        compile(&format!("//{}", "é".repeat(8190)));
        compile(&format!("//{}", "😀".repeat(4095)));
        let error = rejection(&format!("//{}", "😀".repeat(4096)));
        assert_eq!(error.code, "AutoScalingFormulaTooLong", "{error}");
    });
}

/// Formulas the service accepts, up to the length limit, compile on an ordinary thread
/// (2 MiB of stack, what `std::thread::spawn` gives): long comments, strings and runs of
/// white space, ASCII or not. (logos's generated matcher once recursed per byte here.)
#[test]
fn long_non_ascii_text_lexes_on_a_2_mib_thread_stack() {
    for formula in [
        format!("//{}", "é".repeat(8190)),
        format!("s = \"{}\";", "é".repeat(8184)),
        format!("//{}", "x".repeat(8190)),
        format!("x = 1;{}", " ".repeat(8180)),
        format!("x = 1;{}", "\r\n".repeat(4090)),
    ] {
        compile_on_2_mib_stack(formula);
    }
}

fn compile_on_2_mib_stack(formula: String) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || compile(&formula))
        .expect("spawn a thread")
        .join()
        .expect("compiling does not panic");
}

#[test]
fn syntax_error_is_rejected_with_the_documented_code_and_message() {
    let error = rejection("$TargetDedicatedNodes = 2 *;");
    assert_eq!(error.code, "AutoScalingFormulaSyntaxError");
    assert_eq!(error.message.lang, "en-US");
    assert_eq!(
        error.message.value,
        "The specified auto-scaling formula has a syntax error."
    );
    assert_eq!(error.values.len(), 1, "{error:?}");
    assert_eq!(error.values[0].key, "Message");
    assert!(
        error.values[0].value.starts_with("Line 1, Col 28: "),
        "{error:?}"
    );
}

#[test]
fn syntax_error_position_counts_lines_and_columns() {
    assert_syntax_error_at("a = 1;\nb = 2;\nc = (3 + ;", 3, 10);
}

#[test]
fn nul_byte_is_a_syntax_error() {
    assert_syntax_error_at("x = 1;\0", 1, 7);
}

#[test]
fn statements_need_a_semicolon_between_them() {
    assert_syntax_error_at("a = 1\nb = 2;", 2, 1);
    assert_syntax_error("a = 1 b = 2;");
}

#[test]
fn operators_outside_the_grammar_are_syntax_errors() {
    assert_syntax_error_at("x = 5 % 2;", 1, 7);
    assert_syntax_error_at("x = 2 ^ 3;", 1, 7);
    assert_syntax_error_at("x = [1, 2];", 1, 5);
    syntax_errors(&["x = 1; x += 1;", "v = vec(1); x = v[0];", "x = 1 & 2;"]);
}

#[test]
fn assignment_is_a_statement_not_an_expression() {
    assert_syntax_error("x = (y = 1);");
}

#[test]
fn more_than_100_statements_are_rejected_decided() {
    let error = rejection(&statements(101));
    assert_eq!(error.code, "InvalidAutoScalingSettings", "{error}");
    let error = rejection(&"1;".repeat(101));
    assert_eq!(error.code, "InvalidAutoScalingSettings", "{error}");
}

/// Section 9 \[doc\]: the two limits' rejections carry the documentation's sentences.
#[test]
fn too_long_and_too_many_statements_carry_the_documented_messages() {
    let error = rejection(&format!("//{}", "x".repeat(8191)));
    assert_eq!(error.code, "AutoScalingFormulaTooLong");
    assert_eq!(
        error.message.value,
        "The specified auto-scaling formula exceeds lengths limit."
    );
    let error = rejection(&statements(101));
    assert_eq!(error.code, "InvalidAutoScalingSettings");
    assert_eq!(
        error.message.value,
        "The specified auto-scaling settings are not valid."
    );
}

#[test]
fn one_hundred_statements_with_empty_statements_are_fine_decided() {
    let formula = format!(
        ";;{};;\n; // the end\n;",
        statements(100).replace('\n', ";\n")
    );
    let run = run(&formula);
    assert!(run.error.is_none(), "{:?}", run.error);
    assert!(run.results.ends_with(";x99=99"), "{}", run.results);
}

#[test]
fn length_is_checked_before_syntax_decided() {
    let error = rejection(&format!("# bad {}", "x".repeat(8192)));
    assert_eq!(error.code, "AutoScalingFormulaTooLong", "{error}");
}

#[test]
fn syntax_is_checked_before_the_statement_count_decided() {
    let error = rejection(&format!("{}x = 1 +;", statements(101)));
    assert_eq!(error.code, "AutoScalingFormulaSyntaxError", "{error}");
}

#[test]
fn length_is_checked_before_the_statement_count_decided() {
    let error = rejection(&"1;".repeat(4100));
    assert_eq!(error.code, "AutoScalingFormulaTooLong", "{error}");
}

#[test]
fn type_errors_and_undefined_names_do_not_reject_a_formula() {
    compile("x = 1 + \"a\";");
    compile("x = undefinedName;");
    compile("$CurrentDedicatedNodes = 1;");
}

// ---- 1. positions ------------------------------------------------------------------------

#[test]
fn positions_count_lines_from_1() {
    assert_eq!(
        eval_error("a = 1;\nb = 2;\nc = d;"),
        "Line 3, Col 5: Undefined symbol: d"
    );
}

#[test]
fn crlf_ends_a_line_once_decided() {
    assert_eq!(
        eval_error("a = 1;\r\nb = 2;\r\nc = d;"),
        "Line 3, Col 5: Undefined symbol: d"
    );
}

#[test]
fn lone_cr_ends_a_line_decided() {
    assert_eq!(
        eval_error("a = 1;\rb = 2;\rc = d;"),
        "Line 3, Col 5: Undefined symbol: d"
    );
}

#[test]
fn comments_before_the_error_count_as_lines() {
    assert_eq!(
        eval_error("// one; two\n// three\n  a = 1; // four\n  c = d;"),
        "Line 4, Col 7: Undefined symbol: d"
    );
}

#[test]
fn tab_counts_as_one_column_decided() {
    assert_eq!(
        eval_error("\tc =\td;"),
        "Line 1, Col 6: Undefined symbol: d"
    );
}

#[test]
fn non_ascii_character_counts_as_one_column_decided() {
    assert_eq!(
        eval_error("s = \"é\"; c = d;"),
        "Line 1, Col 14: Undefined symbol: d"
    );
}

#[test]
fn astral_character_counts_as_two_columns_decided() {
    assert_eq!(
        eval_error("s = \"😀\"; c = d;"),
        "Line 1, Col 15: Undefined symbol: d"
    );
    assert_syntax_error_at("s = \"😀\"; c = 1 +;", 1, 18);
}

// ---- 2. grammar --------------------------------------------------------------------------

#[test]
fn bare_expression_statement_is_evaluated() {
    assert_eq!(results("1 + 2; x = 3;"), format!("{TARGETS};x=3"));
    assert_eq!(
        eval_error("x = 1;\nnope;"),
        "Line 2, Col 1: Undefined symbol: nope"
    );
}

#[test]
fn precedence_and_associativity_follow_c_decided() {
    values(&[
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("8 / 4 / 2", "1"),
        ("-2 * 3", "-6"),
        ("!0 + 1", "2"),
        ("1 + 1 < 3", "1"),
        ("1 < 2 == 1", "1"),
        ("1 || 0 && 0", "1"),
        ("0 && 1 || 1", "1"),
        ("- - 3", "3"),
    ]);
}

#[test]
fn conditional_is_right_associative() {
    values(&[
        ("0 ? 1 : 0 ? 2 : 3", "3"),
        ("0 ? 1 : 1 ? 2 : 3", "2"),
        ("1 ? 0 ? 4 : 5 : 6", "5"),
    ]);
}

// ---- 3. types ----------------------------------------------------------------------------

#[test]
fn timestamp_fields_are_doubles() {
    let t = r#"t = time("2024-03-10T13:45:50.5Z");"#;
    assert_eq!(x(&format!("{t} x = t.year;")), "2024");
    assert_eq!(x(&format!("{t} x = t.month;")), "3");
    assert_eq!(x(&format!("{t} x = t.day;")), "10");
    assert_eq!(x(&format!("{t} x = t.hour;")), "13");
    assert_eq!(x(&format!("{t} x = t.minute;")), "45");
    assert_eq!(x(&format!("{t} x = t.second;")), "50");
    assert_eq!(value("time().hour + 1"), "13");
}

#[test]
fn weekday_monday_is_one() {
    assert_eq!(value(r#"time("2024-03-11").weekday"#), "1");
}

#[test]
fn weekday_sunday_is_zero_decided() {
    assert_eq!(value(r#"time("2024-03-10").weekday"#), "0");
}

#[test]
fn weekday_saturday_is_six_decided() {
    assert_eq!(value(r#"time("2024-03-16").weekday"#), "6");
}

#[test]
fn unknown_timestamp_field_fails_at_run_time() {
    assert_eval_fails("t = time(); x = t.millisecond;");
}

#[test]
fn field_of_a_non_timestamp_fails_at_run_time() {
    assert_eval_fails("a = 1; x = a.hour;");
}

#[test]
fn variable_may_change_type() {
    assert_eq!(x("x = 1; x = \"one\"; x = TimeInterval_Minute;"), "1m");
}

// ---- 4. operators: the table -----------------------------------------------------------

#[test]
fn double_arithmetic_on_doubles() {
    ops(&[
        ("7", "+", "2", "9"),
        ("7", "-", "2", "5"),
        ("7", "*", "2", "14"),
        ("7", "/", "2", "3.5"),
    ]);
}

#[test]
fn double_times_timeinterval_is_a_timeinterval() {
    assert_eq!(op("3", "*", "TimeInterval_Minute"), "3m");
}

#[test]
fn doublevec_with_double_is_element_wise() {
    let v = "vec(2, 4, 6)";
    assert_eq!(op(v, "+", "1"), "[3,5,7]");
    assert_eq!(op(v, "-", "1"), "[1,3,5]");
    assert_eq!(op(v, "*", "2"), "[4,8,12]");
    assert_eq!(op(v, "/", "2"), "[1,2,3]");
}

#[test]
fn doublevec_with_doublevec_is_pairwise() {
    let (v, w) = ("vec(6, 8)", "vec(2, 4)");
    assert_eq!(op(v, "+", w), "[8,12]");
    assert_eq!(op(v, "-", w), "[4,4]");
    assert_eq!(op(v, "*", w), "[12,32]");
    assert_eq!(op(v, "/", w), "[3,2]");
}

#[test]
fn doublevecs_of_unequal_lengths_fail_decided() {
    let formula = "a = vec(1, 2); b = vec(1, 2, 3); x = a + b;";
    assert_eval_error_at(formula, 1, col(formula, "a + b"));
}

#[test]
fn double_with_doublevec_is_element_wise_decided() {
    ops(&[
        ("2", "*", "vec(1, 2, 3)", "[2,4,6]"),
        ("10", "-", "vec(1, 2)", "[9,8]"),
        ("12", "/", "vec(3, 4)", "[4,3]"),
        ("1", "+", "vec(1)", "[2]"),
    ]);
}

#[test]
fn timeinterval_times_or_divided_by_double_is_a_timeinterval() {
    assert_eq!(op("TimeInterval_Minute", "*", "3"), "3m");
    assert_eq!(op("TimeInterval_Minute", "/", "4"), "15s");
}

#[test]
fn timeinterval_scaling_rounds_to_ticks_half_to_even_decided() {
    ops(&[
        ("TimeInterval_100ns", "*", "2.5", "0.0000002s"),
        ("TimeInterval_100ns", "*", "3.5", "0.0000004s"),
        ("TimeInterval_100ns", "*", "1.5", "0.0000002s"),
        ("TimeInterval_100ns", "/", "2", "0s"),
    ]);
}

#[test]
fn timeinterval_plus_or_minus_timeinterval() {
    assert_eq!(op("TimeInterval_Hour", "+", "TimeInterval_Minute"), "1h1m");
    assert_eq!(op("TimeInterval_Minute", "-", "TimeInterval_Hour"), "-59m");
}

#[test]
fn timeinterval_plus_timestamp_is_a_timestamp() {
    assert_eq!(
        op("TimeInterval_Day", "+", r#"time("2024-01-01")"#),
        "2024-01-02T00:00:00.000Z"
    );
}

#[test]
fn timestamp_plus_timeinterval_is_a_timestamp() {
    assert_eq!(
        op(r#"time("2024-01-01")"#, "+", "TimeInterval_Hour"),
        "2024-01-01T01:00:00.000Z"
    );
}

#[test]
fn timestamp_minus_timestamp_is_a_timeinterval() {
    let (later, earlier) = (r#"time("2024-01-02T06:00:00Z")"#, r#"time("2024-01-01")"#);
    assert_eq!(op(later, "-", earlier), "1d6h");
    assert_eq!(op(earlier, "-", later), "-1d6h");
}

#[test]
fn unary_minus_and_not_on_doubles() {
    assert_eq!(x("a = 7; x = -a;"), "-7");
    assert_eq!(x("a = 7; x = !a;"), "0");
    assert_eq!(x("a = 0; x = !a;"), "1");
    assert_eq!(x("a = 0.5; x = !a;"), "0");
}

#[test]
fn unary_minus_on_timeinterval() {
    assert_eq!(x("a = TimeInterval_Minute; x = -a;"), "-1m");
}

#[test]
fn comparisons_of_doubles_give_one_or_zero() {
    let cases = [
        ("<", "1", "0"),
        ("<=", "1", "1"),
        ("==", "0", "1"),
        (">=", "0", "1"),
        (">", "0", "0"),
        ("!=", "1", "0"),
    ];
    for (operator, one_two, two_two) in cases {
        assert_eq!(op("1", operator, "2"), one_two, "1 {operator} 2");
        assert_eq!(op("2", operator, "2"), two_two, "2 {operator} 2");
    }
}

#[test]
fn comparisons_of_strings_timestamps_and_timeintervals() {
    assert_eq!(op(r#""abc""#, "==", r#""abc""#), "1");
    assert_eq!(op(r#""abc""#, "!=", r#""abd""#), "1");
    assert_eq!(
        op(r#"time("2024-01-01")"#, "<", r#"time("2024-01-02")"#),
        "1"
    );
    assert_eq!(
        op(
            r#"time("2024-01-01")"#,
            "==",
            r#"time("2024-01-01T00:00:00Z")"#
        ),
        "1"
    );
    assert_eq!(op("TimeInterval_Minute", ">", "TimeInterval_Second"), "1");
    assert_eq!(
        op("TimeInterval_Minute", "<=", "60 * TimeInterval_Second"),
        "1"
    );
}

#[test]
fn string_comparison_is_ordinal_decided() {
    ops(&[
        (r#""B""#, "<", r#""a""#, "1"),
        (r#""a""#, "<", r#""ab""#, "1"),
        (r#""z""#, "<", r#""é""#, "1"),
    ]);
}

#[test]
fn logic_operators_give_one_or_zero() {
    ops(&[
        ("2", "&&", "-1", "1"),
        ("2", "&&", "0", "0"),
        ("0", "||", "0", "0"),
        ("0", "||", "3", "1"),
    ]);
}

#[test]
fn division_by_zero_follows_ieee_decided() {
    ops(&[
        ("1", "/", "0", "Infinity"),
        ("-1", "/", "0", "-Infinity"),
        ("0", "/", "0", "NaN"),
    ]);
}

#[test]
fn timeinterval_overflow_is_an_error_decided() {
    let formula = "a = TimeInterval_Year; x = a * 100000;";
    assert_eval_error_at(formula, 1, col(formula, "a * "));
}

#[test]
fn timestamp_beyond_year_9999_is_an_error_decided() {
    let formula = r#"t = time("9999-12-31"); x = t + TimeInterval_Week;"#;
    assert_eval_error_at(formula, 1, col(formula, "t + "));
}

// ---- 4. operators: type errors at run time ----------------------------------------------

#[test]
fn double_plus_timeinterval_is_a_type_error() {
    assert_eval_error_at("x = 1 + TimeInterval_Second;", 1, 5);
}

#[test]
fn double_divided_by_timeinterval_is_a_type_error() {
    assert_eval_error_at("x = 1 / TimeInterval_Second;", 1, 5);
}

#[test]
fn timestamp_minus_timeinterval_is_a_type_error() {
    // Not in the documented table: only timestamp + timeinterval is.
    assert_eval_error_at("x = time() - TimeInterval_Hour;", 1, 5);
}

#[test]
fn timeinterval_times_timeinterval_is_a_type_error() {
    assert_eval_error_at("x = TimeInterval_Second * TimeInterval_Second;", 1, 5);
}

#[test]
fn string_arithmetic_is_a_type_error() {
    assert_eval_error_at("a = 1;\nx = \"a\" + \"b\";", 2, 5);
}

#[test]
fn comparison_of_different_types_is_a_type_error() {
    assert_eval_error_at("x = 1 < TimeInterval_Second;", 1, 5);
}

#[test]
fn comparison_of_doublevecs_is_a_type_error() {
    assert_eval_error_at("v = vec(1); x = v == v;", 1, 17);
}

#[test]
fn not_of_a_timeinterval_is_a_type_error() {
    assert_eval_error_at("x = !TimeInterval_Second;", 1, 5);
}

#[test]
fn unary_minus_of_a_doublevec_is_a_type_error() {
    assert_eval_error_at("v = vec(1); x = -v;", 1, 17);
}

#[test]
fn logic_on_a_doublevec_is_a_type_error() {
    assert_eval_error_at("v = vec(1); x = 1 && v;", 1, 17);
}

#[test]
fn type_error_keeps_the_earlier_results_and_stops_the_run() {
    let run = run("a = 1;\nx = a + \"s\";\nb = 2;");
    assert_eq!(run.results, format!("{TARGETS};a=1"));
    assert!(run.error.is_some());
}

// ---- 4. lazy ?: and short-circuit && || --------------------------------------------------

#[test]
fn conditional_evaluates_only_the_chosen_branch() {
    assert_eq!(value("1 ? 2 : undefinedName"), "2");
    assert_eq!(value("0 ? undefinedName : 3"), "3");
    assert_eq!(
        eval_error("x = 1 ? undefinedName : 3;"),
        "Line 1, Col 9: Undefined symbol: undefinedName"
    );
}

#[test]
fn conditional_branches_may_differ_in_type() {
    assert_eq!(value(r#"1 ? "yes" : 2"#), "yes");
    assert_eq!(value(r#"0 ? "yes" : 2"#), "2");
}

#[test]
fn conditional_condition_must_be_a_double() {
    assert_eval_error_at(r#"x = "s" ? 1 : 2;"#, 1, 5);
}

#[test]
fn and_does_not_evaluate_its_right_side_when_the_left_is_false_decided() {
    assert_eq!(value("0 && nope"), "0");
    assert_eq!(
        eval_error("x = 1 && nope;"),
        "Line 1, Col 10: Undefined symbol: nope"
    );
}

#[test]
fn or_does_not_evaluate_its_right_side_when_the_left_is_true_decided() {
    assert_eq!(value("2 || nope"), "1");
    assert_eq!(
        eval_error("x = 0 || nope;"),
        "Line 1, Col 10: Undefined symbol: nope"
    );
}

// ---- 5. functions --------------------------------------------------------------------------

#[test]
fn avg_is_the_mean_of_the_flattened_list() {
    assert_eq!(x("v = vec(1, 2, 3); x = avg(v, 7);"), "3.25");
    assert_eq!(value("avg(5)"), "5");
}

#[test]
fn avg_of_an_empty_list_fails() {
    assert_eval_error_at("x = avg();", 1, 5);
    assert_eval_fails("v = vec(); x = avg(v);");
}

#[test]
fn len_counts_the_flattened_list() {
    values(&[
        ("len(vec(1, 2), 3)", "3"),
        ("len()", "0"),
        ("len(vec())", "0"),
    ]);
}

#[test]
fn lg_is_log_base_2() {
    assert_eq!(value("lg(8)"), "3");
    assert_eq!(value("lg(vec(2, 4))"), "[1,2]");
}

#[test]
fn ln_is_the_natural_log() {
    values(&[
        ("ln(1)", "0"),
        ("ln(2)", "0.693147"),
        ("ln(vec(1, 1))", "[0,0]"),
    ]);
}

#[test]
fn log_is_log_base_10() {
    assert_eq!(value("log(1000)"), "3");
    assert_eq!(value("log(vec(10, 100))"), "[1,2]");
}

#[test]
fn one_double_argument_picks_the_scalar_form_anything_else_the_vector_form() {
    values(&[
        ("lg(8, 2)", "[3,1]"),
        ("lg(vec(8))", "[3]"),
        ("ceil(vec(1.5))", "[2]"),
        ("floor(1.5, vec(2.5))", "[1,2]"),
        ("round(0.5, 1.5)", "[1,2]"),
    ]);
}

#[test]
fn ceil_rounds_up() {
    values(&[
        ("ceil(1.2)", "2"),
        ("ceil(-1.2)", "-1"),
        ("ceil(vec(1.2, 2.5))", "[2,3]"),
    ]);
}

#[test]
fn floor_rounds_down() {
    values(&[
        ("floor(1.8)", "1"),
        ("floor(-1.2)", "-2"),
        ("floor(vec(1.8, -0.5))", "[1,-1]"),
    ]);
}

#[test]
fn round_rounds_halves_away_from_zero() {
    values(&[
        ("round(2.5)", "3"),
        ("round(-2.5)", "-3"),
        ("round(0.5)", "1"),
        ("round(1.4)", "1"),
        ("round(-0.4)", "0"),
        ("round(vec(0.5, -1.5))", "[1,-2]"),
    ]);
}

#[test]
fn max_and_min_of_the_flattened_list() {
    assert_eq!(value("max(1, vec(9, 3), 4)"), "9");
    assert_eq!(value("min(4, vec(9, 1), 3)"), "1");
}

/// Section 5 \[decided\]: NaN anywhere in the list makes `max`, `min` and `range` NaN, in
/// the two-value fast path and the list path alike (`max(0/0)` was -Infinity).
#[test]
fn max_min_and_range_of_a_list_holding_nan_are_nan_decided() {
    let n = "n = 0 / 0;";
    for call in [
        "max(n)",
        "max(1, n)",
        "max(n, 1)",
        "max(vec(1, n), 2)",
        "min(n)",
        "min(1, n)",
        "min(n, -1)",
        "min(2, vec(n, 1))",
        "range(n)",
        "range(1, n, 2)",
        "range(vec(n, 1))",
    ] {
        assert_eq!(x(&format!("{n} x = {call};")), "NaN", "{call}");
    }
    values(&[("max(0 / 0)", "NaN"), ("min(1, 0 / 0)", "NaN")]);
}

/// Section 5 \[decided\]: `percentile` sorts `-0` before `0` and NaN, whatever its sign,
/// after +Infinity.
#[test]
fn percentile_sorts_nan_after_infinity_whatever_its_sign_decided() {
    let v = "n = 0 / 0; v = vec(-n, 1 / 0, 1, n, -1 / 0);";
    for (p, expected) in [
        ("20", "-Infinity"),
        ("40", "1"),
        ("60", "Infinity"),
        ("80", "NaN"),
        ("100", "NaN"),
    ] {
        assert_eq!(
            x(&format!("{v} x = percentile(v, {p});")),
            expected,
            "p = {p}"
        );
    }
    // -0 sorts before 0: 1 / the 50th percentile of (0, -0) is -Infinity.
    assert_eq!(x("v = vec(0, -0); x = 1 / percentile(v, 50);"), "-Infinity");
    assert_eq!(x("v = vec(0, -0); x = 1 / percentile(v, 100);"), "Infinity");
}

#[test]
fn max_and_min_of_an_empty_list_fail() {
    assert_eval_error_at("x = max();", 1, 5);
    assert_eval_error_at("x = min();", 1, 5);
}

#[test]
fn norm_is_the_square_root_of_the_sum_of_squares() {
    assert_eq!(value("norm(3, 4)"), "5");
    assert_eq!(value("norm(vec(3), 4)"), "5");
    assert_eval_error_at("x = norm();", 1, 5);
}

#[test]
fn percentile_is_the_nearest_rank_decided() {
    let v = "v = vec(5, 1, 4, 2, 3);";
    for (p, expected) in [
        ("50", "3"),
        ("90", "5"),
        ("0", "1"),
        ("100", "5"),
        ("20", "1"),
        ("20.000001", "2"),
        ("40", "2"),
        ("41", "3"),
    ] {
        assert_eq!(
            x(&format!("{v} x = percentile(v, {p});")),
            expected,
            "p = {p}"
        );
    }
}

#[test]
fn percentile_rank_is_exact_without_rounding_error_decided() {
    let hundred: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    for p in ["7", "29", "57"] {
        let formula = format!("v = vec({}); x = percentile(v, {p});", hundred.join(","));
        assert_eq!(x(&formula), p, "the {p}th percentile of 1..=100");
    }
}

#[test]
fn percentile_outside_0_to_100_fails_decided() {
    let v = "v = vec(1, 2);";
    assert_eval_fails(&format!("{v} x = percentile(v, 101);"));
    assert_eval_fails(&format!("{v} x = percentile(v, -1);"));
    assert_eval_fails(&format!("{v} x = percentile(v, 0 / 0);"));
}

#[test]
fn percentile_of_an_empty_vector_fails_decided() {
    assert_eval_fails("v = vec(); x = percentile(v, 50);");
}

#[test]
fn percentile_takes_a_doublevec_and_a_double() {
    assert_eval_fails("x = percentile(5, 50);");
    assert_eval_fails("x = percentile(vec(5));");
}

#[test]
fn rand_is_in_zero_to_one_decided() {
    let mut sum = 0.0;
    for seed in 0..200 {
        let json = format!(r#"{{"evaluationTime": "{NOW}", "randomSeed": {seed}}}"#);
        let formula = "r = rand(); x = r >= 0 && r < 1; y = r * 1000000;";
        assert_eq!(var_on(formula, &json, "x"), "1", "seed {seed}");
        sum += var_on(formula, &json, "y")
            .parse::<f64>()
            .expect("a number");
    }
    let mean = sum / 200.0 / 1e6;
    assert!((0.4..0.6).contains(&mean), "mean of 200 draws: {mean}");
}

#[test]
fn rand_is_reproducible_with_the_same_seed_decided() {
    let seeded = |seed: u32| format!(r#"{{"evaluationTime": "{NOW}", "randomSeed": {seed}}}"#);
    let formula = "a = rand(); b = rand();";
    assert_eq!(
        results_on(formula, &seeded(7)),
        results_on(formula, &seeded(7))
    );
    assert_ne!(
        results_on(formula, &seeded(7)),
        results_on(formula, &seeded(8)),
        "another seed gives other numbers"
    );
}

#[test]
fn rand_without_a_seed_is_reproducible_from_the_evaluation_time_decided() {
    let formula = "a = rand(); b = rand();";
    assert_eq!(results(formula), results(formula));
    let other_time = r#"{"evaluationTime": "2024-05-01T12:00:01Z"}"#;
    assert_ne!(
        results(formula),
        results_on(formula, other_time),
        "another evaluation time gives other numbers"
    );
}

#[test]
fn range_is_max_minus_min() {
    assert_eq!(value("range(1, vec(5, 3))"), "4");
    assert_eval_error_at("x = range();", 1, 5);
}

#[test]
fn std_is_the_sample_standard_deviation() {
    assert_eq!(value("std(2, 4, 4, 4, 5, 5, 7, 9)"), "2.13809");
    assert_eq!(value("std(vec(1, 3))"), "1.41421");
}

#[test]
fn std_of_one_element_is_zero_decided() {
    assert_eq!(value("std(42)"), "0");
}

#[test]
fn std_of_an_empty_list_fails_decided() {
    assert_eval_error_at("x = std();", 1, 5);
}

#[test]
fn stop_ends_the_run_keeping_earlier_assignments_decided() {
    let run = run("a = 1; $TargetDedicatedNodes = 3; stop(); b = 2; $TargetDedicatedNodes = 5;");
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(
        run.results,
        "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;a=1"
    );
}

#[test]
fn stop_value_cannot_be_used() {
    assert_eval_error_at("a = 1; x = stop();", 1, 12);
}

#[test]
fn sum_of_the_flattened_list() {
    assert_eq!(value("sum(1, vec(2, 3))"), "6");
}

#[test]
fn sum_of_an_empty_list_is_zero() {
    assert_eq!(value("sum()"), "0");
    assert_eq!(value("sum(vec())"), "0");
}

#[test]
fn time_is_the_evaluation_instant() {
    assert_eq!(value("time()"), "2024-05-01T12:00:00.000Z");
    let json = r#"{"evaluationTime": "2024-05-01T12:00:00.1234567Z"}"#;
    assert_eq!(var_on("x = time();", json, "x"), "2024-05-01T12:00:00.123Z");
}

#[test]
fn every_time_call_in_a_run_is_the_same_instant_decided() {
    assert_eq!(value("time() == time()"), "1");
    assert_eq!(x("a = time(); b = time(); x = b - a;"), "0s");
}

#[test]
fn time_parses_w3c_dtf() {
    for (text, expected) in [
        ("2024", "2024-01-01T00:00:00.000Z"),
        ("2024-03", "2024-03-01T00:00:00.000Z"),
        ("2024-03-05", "2024-03-05T00:00:00.000Z"),
        ("2024-03-05T10:20Z", "2024-03-05T10:20:00.000Z"),
        ("2024-03-05T10:20:30Z", "2024-03-05T10:20:30.000Z"),
        ("2024-03-05T10:20:30.5Z", "2024-03-05T10:20:30.500Z"),
        (
            "2024-03-05T10:20:30.1234567+02:00",
            "2024-03-05T08:20:30.123Z",
        ),
        ("2024-03-05T10:20:30-01:30", "2024-03-05T11:50:30.000Z"),
    ] {
        assert_eq!(
            value(&format!("time(\"{text}\")")),
            expected,
            "time({text:?})"
        );
    }
}

#[test]
fn time_parses_rfc_1123() {
    assert_eq!(
        value(r#"time("Mon, 13 Mar 2023 20:30:20 GMT")"#),
        "2023-03-13T20:30:20.000Z"
    );
}

#[test]
fn time_with_a_clock_time_needs_an_offset() {
    assert_eval_fails(r#"x = time("2024-03-05T10:20:30");"#);
}

#[test]
fn time_with_more_than_7_fraction_digits_fails() {
    assert_eval_fails(r#"x = time("2024-03-05T10:20:30.12345678Z");"#);
    assert_eval_fails(r#"x = time("2024-10-30T00:00:00.880011123Z");"#);
}

#[test]
fn time_rfc_1123_weekday_must_match_the_date() {
    assert_eval_fails(r#"x = time("Tue, 13 Mar 2023 20:30:20 GMT");"#);
}

#[test]
fn time_of_other_text_fails() {
    eval_failures(&[
        r#"x = time("yesterday");"#,
        r#"x = time("");"#,
        r#"x = time("2024-13-01");"#,
        "x = time(5);",
    ]);
}

#[test]
fn val_picks_an_element_counting_from_zero() {
    let v = "v = vec(10, 20, 30);";
    assert_eq!(x(&format!("{v} x = val(v, 0);")), "10");
    assert_eq!(x(&format!("{v} x = val(v, 2);")), "30");
}

#[test]
fn val_truncates_the_index_toward_zero() {
    let v = "v = vec(10, 20, 30);";
    assert_eq!(x(&format!("{v} x = val(v, 1.9);")), "20");
    assert_eq!(x(&format!("{v} x = val(v, -0.5);")), "10");
}

#[test]
fn val_out_of_range_is_zero_with_a_warning_decided() {
    for formula in [
        "v = vec(10, 20, 30); x = val(v, 3);",
        "v = vec(10, 20, 30); x = val(v, -1);",
        "v = vec(); x = val(v, 0);",
    ] {
        let evaluation = evaluation(formula, EMPTY_POOL);
        assert!(
            evaluation.run.error.is_none(),
            "{formula}: {:?}",
            evaluation.run.error
        );
        assert!(
            evaluation.run.results.ends_with(";x=0"),
            "{formula}: {}",
            evaluation.run.results
        );
        assert!(!evaluation.warnings.is_empty(), "{formula}: no warning");
    }
}

#[test]
fn val_of_an_empty_history_is_zero_decided() {
    // batch-shipyard#138: a new pool with no samples did not fail.
    assert_eq!(sampled("val($SucceededTasks.GetSample(1), 0)"), "0");
}

#[test]
fn vec_flattens_its_list_into_one_vector() {
    values(&[
        ("vec(1, vec(2, 3), 4)", "[1,2,3,4]"),
        ("vec(5)", "[5]"),
        ("vec()", "[]"),
    ]);
}

#[test]
fn list_arguments_flatten_in_order() {
    assert_eq!(x("v = vec(1, 9); x = vec(v, 3, v);"), "[1,9,3,1,9]");
    assert_eq!(x("v = vec(1, 2, 3); x = len(v, v);"), "6");
}

#[test]
fn list_argument_of_another_type_fails() {
    eval_failures(&[
        r#"x = sum(1, "a");"#,
        "x = max(TimeInterval_Second);",
        "x = vec(requeue);",
    ]);
}

#[test]
fn unknown_function_fails_at_run_time() {
    assert_eval_error_at("a = 1; x = foo(2);", 1, 12);
}

#[test]
fn wrong_number_of_arguments_fails_at_run_time() {
    eval_failures(&[
        "x = rand(1);",
        "x = val(vec(1));",
        r#"x = time("2024", "2025");"#,
    ]);
}

// ---- 6. system variables ----------------------------------------------------------------

#[test]
fn targets_start_from_the_pool() {
    assert_eq!(
        results_on("", POOL),
        "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue"
    );
    assert_eq!(var_on("x = $TargetDedicatedNodes;", POOL, "x"), "4");
    assert_eq!(var_on("x = $TargetLowPriorityNodes;", POOL, "x"), "2");
}

#[test]
fn deallocation_option_starts_as_requeue() {
    assert_eq!(var_on("x = $NodeDeallocationOption;", POOL, "x"), "requeue");
}

#[test]
fn read_only_scalars_come_from_the_pool() {
    assert_eq!(var_on("x = $CurrentDedicatedNodes;", POOL, "x"), "3");
    assert_eq!(var_on("x = $CurrentLowPriorityNodes;", POOL, "x"), "5");
    assert_eq!(var_on("x = $TaskSlotsPerNode;", POOL, "x"), "8");
    assert_eq!(var_on("x = $CurrentDedicated;", POOL, "x"), "3");
}

#[test]
fn usable_node_count_defaults_to_the_current_nodes() {
    assert_eq!(var_on("x = $UsableNodeCount;", POOL, "x"), "8");
    let json = r#"{"pool": {"currentDedicatedNodes": 3, "usableNodeCount": 1}}"#;
    assert_eq!(var_on("x = $UsableNodeCount;", json, "x"), "1");
}

#[test]
fn empty_pool_has_one_task_slot_and_zero_elsewhere() {
    assert_eq!(
        x(
            "x = vec($TaskSlotsPerNode, $UsableNodeCount, $CurrentDedicatedNodes, $CurrentLowPriorityNodes);"
        ),
        "[1,0,0,0]"
    );
}

#[test]
fn legacy_alias_alone_sets_the_target() {
    assert_eq!(
        results_on("$TargetDedicated = 7;", POOL),
        "$TargetDedicatedNodes=7;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue"
    );
    assert_eq!(
        results_on("$TargetLowPriority = 3;", POOL),
        "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=3;$NodeDeallocationOption=requeue"
    );
}

#[test]
fn full_name_wins_over_its_alias_in_either_order() {
    let expected =
        "$TargetDedicatedNodes=5;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue";
    assert_eq!(
        results_on("$TargetDedicatedNodes = 5; $TargetDedicated = 7;", POOL),
        expected
    );
    assert_eq!(
        results_on("$TargetDedicated = 7; $TargetDedicatedNodes = 5;", POOL),
        expected
    );
}

#[test]
fn alias_is_a_variable_of_its_own() {
    assert_eq!(
        var_on(
            "$TargetDedicatedNodes = 9; x = $TargetDedicated;",
            POOL,
            "x"
        ),
        "4"
    );
    assert_eq!(
        var_on(
            "$TargetLowPriority = 9; x = $TargetLowPriorityNodes;",
            POOL,
            "x"
        ),
        "2"
    );
}

#[test]
fn assigning_a_read_only_variable_fails_at_run_time() {
    for name in [
        "$CurrentDedicatedNodes",
        "$CurrentLowPriorityNodes",
        "$TaskSlotsPerNode",
        "$UsableNodeCount",
        "$CurrentDedicated",
        "$PendingTasks",
        "$CPUPercent",
    ] {
        let formula = format!("a = 1;\n{name} = 2;\nb = 3;");
        let run = run(&formula);
        assert_eq!(run.results, format!("{TARGETS};a=1"), "{name}");
        assert_eval_error_at(&formula, 2, 1);
    }
}

#[test]
fn sampled_metric_cannot_be_used_as_a_value() {
    assert_eval_error_at("x = $CPUPercent;", 1, 5);
    assert_eval_error_at("x = max(0, $PendingTasks);", 1, 12);
}

#[test]
fn deallocation_option_takes_each_keyword() {
    for keyword in ["requeue", "terminate", "taskcompletion", "retaineddata"] {
        assert_eq!(
            results(&format!("$NodeDeallocationOption = {keyword};")),
            format!(
                "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption={keyword}"
            )
        );
    }
}

#[test]
fn deallocation_keyword_may_pass_through_a_user_variable_decided() {
    assert_eq!(
        results("o = retaineddata; $NodeDeallocationOption = o;"),
        "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=retaineddata;o=retaineddata"
    );
}

#[test]
fn deallocation_option_refuses_anything_but_a_keyword() {
    assert_eval_error_at("$NodeDeallocationOption = 1;", 1, 1);
    assert_eval_error_at("$NodeDeallocationOption = \"requeue\";", 1, 1);
    assert_eval_error_at("a = 1; $NodeDeallocationOption = vec(1);", 1, 8);
}

#[test]
fn no_operator_or_function_accepts_a_deallocation_keyword_decided() {
    assert_eval_error_at("x = requeue == requeue;", 1, 5);
    assert_eval_error_at("x = terminate + 1;", 1, 5);
    assert_eval_error_at("x = !terminate;", 1, 5);
    assert_eval_fails("x = max(requeue);");
}

#[test]
fn target_ending_as_nan_fails_at_its_last_assignment_decided() {
    let formula = "$TargetDedicatedNodes = 1;\n$TargetDedicatedNodes = 0 / 0;\nx = 2;";
    assert_eval_error_at(formula, 2, 1);
    assert!(
        run(formula).results.ends_with(";x=2"),
        "later statements ran"
    );
}

#[test]
fn target_ending_infinite_fails_decided() {
    assert_eval_error_at("a = 1; $TargetLowPriorityNodes = 1 / 0;", 1, 8);
}

#[test]
fn target_ending_as_a_vector_fails_decided() {
    assert_eval_error_at("$TargetLowPriorityNodes = vec(1, 2);", 1, 1);
}

#[test]
fn target_ending_as_a_timestamp_fails_decided() {
    assert_eval_error_at("$TargetDedicatedNodes = time();", 1, 1);
}

#[test]
fn alias_ending_as_nan_fails_when_it_decides_the_target_decided() {
    assert_eval_error_at("a = 1; $TargetDedicated = 0 / 0;", 1, 8);
}

#[test]
fn target_non_finite_then_reassigned_is_fine() {
    assert_eq!(
        results("$TargetDedicatedNodes = 0 / 0; $TargetDedicatedNodes = 2;"),
        "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue"
    );
}

#[test]
fn target_non_finite_at_stop_fails_decided() {
    assert_eval_error_at(
        "$TargetDedicatedNodes = 0 / 0; stop(); $TargetDedicatedNodes = 1;",
        1,
        1,
    );
}

#[test]
fn targets_are_truncated_toward_zero() {
    let target = |v: &str| {
        let r = results(&format!(
            "$TargetDedicatedNodes = {v}; $TargetLowPriorityNodes = {v};"
        ));
        let first = r.split(';').next().unwrap().to_string();
        let second = r.split(';').nth(1).unwrap().to_string();
        assert_eq!(
            first.strip_prefix("$TargetDedicatedNodes="),
            second.strip_prefix("$TargetLowPriorityNodes="),
            "both targets print alike: {r}"
        );
        first["$TargetDedicatedNodes=".len()..].to_string()
    };
    assert_eq!(target("58.25"), "58");
    assert_eq!(target("0.99"), "0");
    assert_eq!(target("16777216"), "16777216");
    assert_eq!(target("1000000"), "1000000");
    assert_eq!(target("123456789.9"), "123456789");
    assert_eq!(target("-0.5"), "0");
}

#[test]
fn negative_target_is_truncated_and_warned_about_decided() {
    let evaluation = evaluation("$TargetDedicatedNodes = -2.7;", EMPTY_POOL);
    assert!(evaluation.run.error.is_none(), "{:?}", evaluation.run.error);
    assert!(
        evaluation
            .run
            .results
            .starts_with("$TargetDedicatedNodes=-2;"),
        "{}",
        evaluation.run.results
    );
    assert!(
        !evaluation.warnings.is_empty(),
        "no warning about the negative target"
    );
}

#[test]
fn user_variables_are_not_truncated() {
    assert_eq!(value("58.25"), "58.25");
}

// ---- 7. samples --------------------------------------------------------------------------

#[test]
fn getsample_count_takes_the_most_recent_oldest_first() {
    assert_eq!(sampled("$ActiveTasks.GetSample(3)"), "[8,9,10]");
}

#[test]
fn getsample_count_truncates_n() {
    assert_eq!(sampled("$ActiveTasks.GetSample(2.9)"), "[9,10]");
}

#[test]
fn getsample_count_never_fails_for_lack_of_data() {
    assert_eq!(
        sampled("$ActiveTasks.GetSample(100)"),
        "[1,2,3,4,5,6,7,8,9,10]"
    );
    assert_eq!(sampled("$SucceededTasks.GetSample(5)"), "[]");
}

#[test]
fn getsample_count_below_one_fails() {
    assert_eval_fails("x = $ActiveTasks.GetSample(0);");
    assert_eval_fails("x = $ActiveTasks.GetSample(0.5);");
}

#[test]
fn samples_after_now_are_not_available() {
    assert_eq!(
        sampled(
            r#"$ActiveTasks.GetSample(time("2024-05-01T11:59:00Z"), time("2024-05-01T12:01:00Z"), 0)"#
        ),
        "[9,10]"
    );
    assert_eq!(sampled("$ActiveTasks.Count()"), "10");
}

#[test]
fn getsample_window_looks_back_from_now() {
    assert_eq!(
        sampled("$ActiveTasks.GetSample(TimeInterval_Minute * 2)"),
        "[7,8,9,10]"
    );
}

#[test]
fn getsample_window_is_open_at_the_earlier_end() {
    // (11:58:30, 12:00]: the sample at 11:58:30 is out.
    assert_eq!(
        sampled("$ActiveTasks.GetSample(TimeInterval_Second * 90, 0)"),
        "[8,9,10]"
    );
}

#[test]
fn getsample_two_bounds_in_either_order() {
    let (a, b) = ("TimeInterval_Minute * 2", "TimeInterval_Minute");
    assert_eq!(
        sampled(&format!("$ActiveTasks.GetSample({a}, {b})")),
        "[7,8]"
    );
    assert_eq!(
        sampled(&format!("$ActiveTasks.GetSample({b}, {a})")),
        "[7,8]"
    );
}

#[test]
fn getsample_bounds_may_be_timestamps() {
    let (a, b) = (
        r#"time("2024-05-01T11:58:00Z")"#,
        r#"time("2024-05-01T11:59:00Z")"#,
    );
    assert_eq!(
        sampled(&format!("$ActiveTasks.GetSample({a}, {b})")),
        "[7,8]"
    );
    assert_eq!(
        sampled(&format!("$ActiveTasks.GetSample({b}, {a})")),
        "[7,8]"
    );
    assert_eq!(
        sampled(&format!("$ActiveTasks.GetSample({a}, TimeInterval_Minute)")),
        "[7,8]"
    );
}

#[test]
fn getsample_window_wants_70_percent_by_default() {
    // 6 of the 10 expected samples of the last 5 minutes.
    let formula = "x = $PendingTasks.GetSample(TimeInterval_Minute * 5);";
    let (code, message) = failure_on(formula, SAMPLES);
    assert_eq!(code, "InsufficientSampleData");
    assert_eq!(
        message,
        format!(
            "Line 1, Col {}: Insufficient data from data set: $PendingTasks wanted 70%, received 60%",
            col(formula, "(")
        )
    );
    // 7 of 10 is exactly enough.
    assert_eq!(
        sampled("$FailedTasks.GetSample(TimeInterval_Minute * 5)"),
        "[1,3,5,7,8,9,10]"
    );
}

#[test]
fn insufficient_sample_data_has_its_own_code_and_message() {
    let run = run_on(
        "x = $PendingTasks.GetSample(TimeInterval_Minute * 5);",
        SAMPLES,
    );
    let error = run.error.expect("the run fails");
    assert_eq!(error.code, "InsufficientSampleData");
    assert_eq!(
        error.message,
        "Autoscale evaluation failed due to insufficient sample data"
    );
}

#[test]
fn getsample_window_with_a_required_percent() {
    assert_eq!(
        sampled("$PendingTasks.GetSample(TimeInterval_Minute * 5, 60)"),
        "[1,4,6,7,9,10]"
    );
    let formula = "x = $PendingTasks.GetSample(TimeInterval_Minute * 5, 61);";
    let (code, message) = failure_on(formula, SAMPLES);
    assert_eq!(code, "InsufficientSampleData");
    assert!(
        message.ends_with("$PendingTasks wanted 61%, received 60%"),
        "{message}"
    );
}

#[test]
fn getsample_two_bounds_with_a_required_percent() {
    let (a, b) = ("TimeInterval_Minute * 5", "TimeInterval_Minute * 3");
    assert_eq!(
        sampled(&format!("$PendingTasks.GetSample({b}, {a}, 50)")),
        "[1,4]"
    );
    let (code, message) = failure_on(&format!("x = $PendingTasks.GetSample({a}, {b});"), SAMPLES);
    assert_eq!(code, "InsufficientSampleData");
    assert!(message.ends_with("wanted 70%, received 50%"), "{message}");
}

#[test]
fn getsample_required_percent_outside_0_to_100_fails() {
    let (code, _) = failure_on(
        "x = $ActiveTasks.GetSample(TimeInterval_Minute, 101);",
        SAMPLES,
    );
    assert_eq!(code, EVALUATION_ERROR);
}

#[test]
fn getsamplepercent_is_the_share_of_expected_samples() {
    assert_eq!(
        sampled("$PendingTasks.GetSamplePercent(TimeInterval_Minute * 5)"),
        "60"
    );
    assert_eq!(
        sampled("$PendingTasks.GetSamplePercent(TimeInterval_Minute * 5, TimeInterval_Minute * 3)"),
        "50"
    );
    assert_eq!(
        sampled("$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 2)"),
        "100"
    );
    assert_eq!(
        sampled("$SucceededTasks.GetSamplePercent(TimeInterval_Minute * 2)"),
        "0"
    );
}

#[test]
fn getsamplepercent_never_exceeds_100() {
    // Three samples where one is expected.
    assert_eq!(
        sampled("$PreemptedNodeCount.GetSamplePercent(TimeInterval_Second * 30)"),
        "100"
    );
}

#[test]
fn sample_percent_uses_the_metric_period() {
    // One sample a minute: 4 of 4 expected in 4 minutes.
    assert_eq!(
        sampled("$CPUPercent.GetSamplePercent(TimeInterval_Minute * 4)"),
        "100"
    );
    assert_eq!(
        sampled("$CPUPercent.GetSample(TimeInterval_Minute * 4)"),
        "[50,60,70,80]"
    );
}

#[test]
fn explicit_samples_are_sorted_oldest_first_decided() {
    assert_eq!(sampled("$RunningTasks.GetSample(3)"), "[1,2,3]");
}

#[test]
fn count_is_the_number_of_samples() {
    assert_eq!(sampled("$RunningTasks.Count()"), "3");
    assert_eq!(sampled("$SucceededTasks.Count()"), "0");
}

#[test]
fn history_begin_time_is_the_oldest_sample() {
    assert_eq!(
        sampled("$ActiveTasks.HistoryBeginTime()"),
        "2024-05-01T11:55:30.000Z"
    );
    assert_eq!(
        sampled("$RunningTasks.HistoryBeginTime()"),
        "2024-05-01T11:58:30.000Z"
    );
}

#[test]
fn history_begin_time_of_an_empty_history_fails() {
    let message = eval_error_on("x = $SucceededTasks.HistoryBeginTime();", SAMPLES);
    assert!(message.starts_with("Line 1, Col "), "{message}");
}

#[test]
fn getsampleperiod_is_the_metric_period() {
    assert_eq!(sampled("$ActiveTasks.GetSamplePeriod()"), "30s");
    assert_eq!(sampled("$CPUPercent.GetSamplePeriod()"), "1m");
    assert_eq!(sampled("$SucceededTasks.GetSamplePeriod()"), "30s");
}

#[test]
fn retired_metrics_still_work_with_no_samples() {
    assert_eq!(sampled("$MemoryBytes.Count()"), "0");
    assert_eq!(sampled("$WallClockSeconds.GetSample(1)"), "[]");
}

#[test]
fn method_of_a_non_metric_fails_at_run_time() {
    assert_eval_fails("a = 1; x = a.Count();");
    assert_eval_fails("x = $ActiveTasks.Average();");
}

// ---- 8. results --------------------------------------------------------------------------

#[test]
fn results_list_the_targets_then_user_variables_in_ordinal_order() {
    assert_eq!(
        results("b = 1; $b = 2; a = 3; B = 4; _x = 5;"),
        format!("{TARGETS};$b=2;B=4;_x=5;a=3;b=1")
    );
}

#[test]
fn results_show_each_variable_once_with_its_last_value() {
    assert_eq!(
        results("x = 1; x = 2; x = x + 1;"),
        format!("{TARGETS};x=3")
    );
}

#[test]
fn results_show_only_full_target_names() {
    assert_eq!(
        results("$TargetDedicated = 1; $TargetLowPriority = 2;"),
        "$TargetDedicatedNodes=1;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue"
    );
}

#[test]
fn results_show_values_as_they_stood_when_the_run_failed() {
    let run = run("a = 1;\n$TargetDedicatedNodes = 3;\nb = nope;\nc = 2;");
    assert_eq!(
        run.results,
        "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;a=1"
    );
    assert_eq!(
        run.error.expect("the run fails").values[0].value,
        "Line 3, Col 5: Undefined symbol: nope"
    );
}

#[test]
fn doubles_print_as_g6() {
    for (expr, printed) in [
        ("3", "3"),
        ("0.5", "0.5"),
        ("2 / 3", "0.666667"),
        ("290 / 3", "96.6667"),
        ("123456", "123456"),
        ("999999", "999999"),
        ("-1234.5678", "-1234.57"),
        ("0.0001", "0.0001"),
        ("0.000123456789", "0.000123457"),
    ] {
        assert_eq!(value(expr), printed, "{expr}");
    }
}

#[test]
fn doubles_print_in_exponent_form_outside_1e_minus_5_to_1e6_decided() {
    for (expr, printed) in [
        ("1000000", "1E+06"),
        ("16777216", "1.67772E+07"),
        ("1234567", "1.23457E+06"),
        ("0.00001", "1E-05"),
        ("0.0000123456", "1.23456E-05"),
        ("-25000000", "-2.5E+07"),
        ("999999.5", "1E+06"),
        (&format!("1{}", "0".repeat(100)), "1E+100"),
    ] {
        assert_eq!(value(expr), printed, "{expr}");
    }
}

#[test]
fn double_ties_round_to_even_decided() {
    values(&[
        ("1234565", "1.23456E+06"),
        ("1234575", "1.23458E+06"),
        ("123456.5", "123456"),
        ("123457.5", "123458"),
    ]);
}

#[test]
fn negative_zero_prints_as_zero() {
    assert_eq!(value("-0"), "0");
    assert_eq!(op("0", "*", "-1"), "0");
}

#[test]
fn non_finite_doubles_print_as_nan_and_infinity() {
    ops(&[
        ("0", "/", "0", "NaN"),
        ("1", "/", "0", "Infinity"),
        ("-1", "/", "0", "-Infinity"),
    ]);
}

#[test]
fn vectors_print_their_elements_as_doubles() {
    assert_eq!(
        value("vec(1, 0.5, 1000000, 2 / 3)"),
        "[1,0.5,1E+06,0.666667]"
    );
}

#[test]
fn timestamps_print_with_three_fraction_digits_truncated_decided() {
    assert_eq!(
        value(r#"time("2024-03-05T10:20:30.9999999Z")"#),
        "2024-03-05T10:20:30.999Z"
    );
    assert_eq!(
        value(r#"time("2016-10-13T19:18:47.805Z")"#),
        "2016-10-13T19:18:47.805Z"
    );
}

#[test]
fn timeintervals_print_days_hours_minutes_seconds() {
    let long = "4 * TimeInterval_Day + 22 * TimeInterval_Hour + 14 * TimeInterval_Minute \
                + 53 * TimeInterval_Second + 7821283 * TimeInterval_100ns";
    assert_eq!(value(long), "4d22h14m53.7821283s");
    values(&[
        ("90 * TimeInterval_Second", "1m30s"),
        ("2 * TimeInterval_Minute", "2m"),
        ("TimeInterval_Hour + 5 * TimeInterval_Second", "1h5s"),
    ]);
    assert_eq!(
        value("TimeInterval_Day + TimeInterval_Second / 2"),
        "1d0.5s"
    );
}

#[test]
fn zero_timeinterval_prints_0s_decided() {
    assert_eq!(value("TimeInterval_Zero"), "0s");
    assert_eq!(value("TimeInterval_Minute - TimeInterval_Minute"), "0s");
}

#[test]
fn negative_timeinterval_prints_a_leading_minus_decided() {
    assert_eq!(
        value("TimeInterval_Zero - 90 * TimeInterval_Second"),
        "-1m30s"
    );
}

#[test]
fn strings_print_their_text_decided() {
    assert_eq!(value(r#""hello world""#), "hello world");
    assert_eq!(value(r#""""#), "");
}

#[test]
fn keywords_print_as_themselves() {
    assert_eq!(value("taskcompletion"), "taskcompletion");
}

#[test]
fn run_timestamp_keeps_seven_fraction_digits_without_trailing_zeros() {
    for (at, printed) in [
        (
            "2024-01-05T06:16:56.8665836Z",
            "2024-01-05T06:16:56.8665836Z",
        ),
        (
            "2024-01-05T06:16:56.4380380Z",
            "2024-01-05T06:16:56.438038Z",
        ),
        ("2024-01-05T06:16:56.000Z", "2024-01-05T06:16:56Z"),
        ("2024-01-05T08:16:56.5+02:00", "2024-01-05T06:16:56.5Z"),
    ] {
        let json = format!(r#"{{"evaluationTime": "{at}"}}"#);
        assert_eq!(run_on("", &json).timestamp, printed, "evaluationTime {at}");
    }
}

#[test]
fn evaluate_at_sets_the_evaluation_instant() {
    let now = batchscale::internals::time::parse_rfc3339("2023-02-03T04:05:06Z").expect("a time");
    let evaluation = compile("t = time();").evaluate_at(&snapshot(EMPTY_POOL), now);
    assert_eq!(evaluation.run.timestamp, "2023-02-03T04:05:06Z");
    assert!(
        evaluation
            .run
            .results
            .ends_with(";t=2023-02-03T04:05:06.000Z"),
        "{}",
        evaluation.run.results
    );
}

#[test]
fn evaluate_auto_scale_gives_the_run_or_the_batch_error() {
    let snapshot = snapshot(EMPTY_POOL);
    let run = batchscale::evaluate_auto_scale("x = 1;", &snapshot).expect("not rejected");
    assert_eq!(run.results, format!("{TARGETS};x=1"));
    let error = batchscale::evaluate_auto_scale("x = 1 +;", &snapshot).expect_err("rejected");
    assert_eq!(error.code, "AutoScalingFormulaSyntaxError");
}
