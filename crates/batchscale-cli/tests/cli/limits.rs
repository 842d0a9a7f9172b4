//! Hard limits (issue 5, point 4; issue 12, point 8): there is no nesting limit below what
//! 8192 characters can express (language.md section 9.2): the deepest formula of every
//! shape checks, evaluates, formats, clones and drops on a 2 MiB stack (a test thread's,
//! and a spawned thread's default), never a stack overflow; arithmetic on timestamps and
//! intervals that leaves its range is an evaluation error, not a panic.
//!
//! Run in both builds: `cargo test --test cli -- limits::` and
//! `cargo test --release --test cli -- limits::` (stack frames differ a lot between them).

use std::process::Command;

use batchscale::Snapshot;
use batchscale::time::Timestamp;
use batchscale::{CompiledFormula, format_formula, validate};

const LIMIT: usize = 8192;
/// A test thread's stack, and the default of `std::thread::spawn`.
const TEST_STACK: usize = 2 << 20;

/// Runs `f` on a fresh thread with a 2 MiB stack (whatever RUST_MIN_STACK says).
fn on_2mib_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(TEST_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn now() -> Timestamp {
    Timestamp::from_ticks(638_500_000_000_000_000).unwrap()
}

/// `n` levels of each nesting shape, around an inner expression `x` (a variable, so that
/// nothing folds to a constant and every phase really recurses).
fn nest(shape: &str, n: usize, x: &str) -> String {
    match shape {
        "parens" => format!("{}{x}{}", "(".repeat(n), ")".repeat(n)),
        "minus" => format!("{}{x}", "-".repeat(n)),
        "not" => format!("{}{x}", "!".repeat(n)),
        "ternary" => format!("{}{x}{}", "1?".repeat(n), ":0".repeat(n)),
        "else-ternary" => format!("{}{x}", "0?0:".repeat(n)),
        "call" => format!("{}{x}{}", "max(".repeat(n), ")".repeat(n)),
        "sum" => format!("{x}{}", "+1".repeat(n)),
        "right-sum" => format!("{}{x}{}", "1-(".repeat(n), ")".repeat(n)),
        "neg-parens" => format!("{}{x}{}", "-(".repeat(n), ")".repeat(n)),
        "field" => format!("time(){}", ".year".repeat(n)),
        "method-arg" => format!(
            "{}{x}{}",
            "$CPUPercent.GetSamplePercent(".repeat(n),
            ")".repeat(n)
        ),
        "vector-sum" => format!("{x}{}", "+v".repeat(n)),
        _ => unreachable!("{shape}"),
    }
}

const SHAPES: [&str; 12] = [
    "parens",
    "minus",
    "not",
    "ternary",
    "else-ternary",
    "call",
    "sum",
    "right-sum",
    "neg-parens",
    "field",
    "method-arg",
    "vector-sum",
];

/// The variables the inner expression reads.
const PREFIX: &str = "a = $CurrentDedicatedNodes; v = vec(1, 2);\nr = ";

/// The deepest formula of a shape that fits in 8192 characters, around `inner`.
fn deepest(shape: &str, inner: &str) -> String {
    // With the closing `;`.
    let fits = |n: usize| PREFIX.len() + nest(shape, n, inner).len() < LIMIT;
    let mut n = 1;
    while fits(n * 2) {
        n *= 2;
    }
    let (mut lo, mut hi) = (n, n * 2);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    format!("{PREFIX}{};", nest(shape, lo, inner))
}

fn inner(shape: &str) -> &'static str {
    match shape {
        "method-arg" => "TimeInterval_Minute",
        "vector-sum" => "v",
        _ => "a",
    }
}

/// Section 9.2 \[decided\]: the deepest formula of every shape that fits in 8192
/// characters is accepted, checked (with the lints), evaluated, formatted, printed,
/// cloned and dropped on a 2 MiB stack.
#[test]
fn the_deepest_formula_of_each_shape_checks_and_evaluates_on_a_2_mib_stack_decided() {
    for shape in SHAPES {
        let text = deepest(shape, inner(shape));
        assert!(text.len() <= LIMIT && text.len() > LIMIT - 40, "{shape}");
        let (run, valid, formatted) = on_2mib_stack(move || {
            let compiled =
                CompiledFormula::new(&text).unwrap_or_else(|r| panic!("{shape}: {}", r.error));
            let printed = format!("{compiled:?}");
            assert!(printed.len() > text.len(), "{shape}");
            let cloned = compiled.clone();
            drop(compiled);
            let run = cloned.evaluate_at(&Snapshot::default(), now()).run;
            let mut outcome = batchscale::Outcome::default();
            cloned.evaluate_into(&Snapshot::default(), now(), &mut outcome);
            assert_eq!(outcome.error.is_some(), run.error.is_some(), "{shape}");
            // The explained run (eval --explain) is the same run, as deep.
            let (explained, explanation) =
                cloned.evaluate_explained_at(&Snapshot::default(), now());
            assert_eq!(explained.run, run, "{shape}");
            assert_eq!(explanation.statements.len(), 3, "{shape}");
            let validation = validate(&text, None);
            let formatted = format_formula(&text).unwrap_or_else(|e| panic!("{shape}: {e:?}"));
            // What formatting gives evaluates alike (its parentheses may make it longer;
            // its lines differ).
            if formatted.len() <= LIMIT {
                let again = CompiledFormula::new(&formatted).unwrap();
                let again = again.evaluate_at(&Snapshot::default(), now()).run;
                assert_eq!(again.results, run.results, "{shape}");
                let code = |r: &batchscale::AutoScaleRun| r.error.as_ref().map(|e| e.code.clone());
                assert_eq!(code(&again), code(&run), "{shape}");
            }
            (run, validation.is_valid(), formatted)
        });
        // `.year.year` and GetSamplePercent(GetSamplePercent(..)) are type errors; they are
        // here for their depth.
        let fails = shape == "field" || shape == "method-arg";
        assert_eq!(run.error.is_some(), fails, "{shape}: {:?}", run.error);
        assert_eq!(valid, !fails, "{shape}");
        assert!(formatted.starts_with("a = "), "{shape}");
    }
}

/// Section 9.2 \[decided\]: no nesting limit below what 8192 characters can express. A
/// sum of 4,000 terms (129 were refused once), 2,000 nested parentheses around sums, and
/// 2,000 nested ternaries evaluate and check like any other formula.
#[test]
fn no_nesting_limit_below_what_8192_characters_can_express_decided() {
    let sum = format!("x = 1{};", "+1".repeat(3999));
    let parens = format!("x = {}0{};", "(1+".repeat(2000), ")".repeat(2000));
    let ternaries = format!("x = {}7{};", "1?".repeat(2000), ":0".repeat(2000));
    let else_ternaries = format!("n = 3; x = {}9;", "n<0?0:".repeat(1300));
    for (text, x) in [
        (sum, "4000"),
        (parens, "2000"),
        (ternaries, "7"),
        (else_ternaries, "9"),
    ] {
        assert!(text.len() <= LIMIT);
        let (value, diagnostics) = on_2mib_stack(move || {
            let compiled = CompiledFormula::new(&text).unwrap_or_else(|r| panic!("{}", r.error));
            let evaluation = compiled.evaluate_at(&Snapshot::default(), now());
            assert!(evaluation.run.error.is_none(), "{:?}", evaluation.run.error);
            let value = evaluation.variable("x").unwrap().to_string();
            let validation = validate(&text, None);
            assert!(validation.is_valid(), "{:?}", validation.diagnostics);
            let codes: Vec<String> = validation
                .diagnostics
                .iter()
                .map(|d| d.code.to_string())
                .collect();
            (value, codes)
        });
        assert_eq!(value, x);
        assert!(
            !diagnostics.iter().any(|c| c == "BS0004"),
            "{diagnostics:?}"
        );
    }
}

/// The binary gets the deepest formulas too: `eval`, `check` and `fmt` run them like any
/// other (exit 0), and the deepest of all, 8191 minus signs, also compiles.
#[test]
fn the_cli_evaluates_checks_and_formats_the_deepest_formulas() {
    let dir = std::env::temp_dir().join(format!("batchscale-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for shape in ["minus", "call", "ternary", "sum", "not"] {
        let path = dir.join(format!("{shape}.formula"));
        std::fs::write(&path, deepest(shape, "a")).unwrap();
        for args in [
            vec!["eval", "--format", "json"],
            vec!["eval", "--explain"],
            vec!["check"],
            vec!["fmt"],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_batchscale"))
                .args(&args)
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{shape} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let path = dir.join("deepest.formula");
    std::fs::write(&path, format!("{}1", "-".repeat(LIMIT - 1))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["eval", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A formula as long as allowed whose every statement is wrong reports every error, each
/// at its own place. Looking up what each message needs is a binary search, so this
/// stays linear in the errors (it was cubic for lexical errors); `cargo bench --bench
/// worst_case -- front/errors` times the same texts.
#[test]
fn every_statement_of_a_formula_at_the_length_limit_may_be_wrong() {
    for (unit, code_at) in [
        ("a\nb;\n", 2),
        ("a=1&2;", 3),
        ("a=*1;", 2),
        ("#\n;", 0),
        ("a=(1;", 4),
    ] {
        let n = LIMIT / unit.len();
        let text = unit.repeat(n);
        let parsed = batchscale::internals::syntax::parser::parse(&text);
        assert_eq!(parsed.errors.len(), n, "{unit:?}");
        for (i, error) in parsed.errors.iter().enumerate() {
            assert_eq!(
                error.span.start as usize,
                i * unit.len() + code_at,
                "{unit:?} error {i}: {}",
                error.message
            );
        }
        let rejection = CompiledFormula::new(&text).expect_err(unit);
        let errors = rejection.diagnostics.iter().filter(|d| d.is_error());
        assert_eq!(errors.count(), n, "{unit:?}");
    }
}

/// One run of a formula; the AutoScaleRun's error message, if any.
fn run_error(text: &str) -> Option<(String, String)> {
    let run = CompiledFormula::new(text)
        .unwrap_or_else(|r| panic!("{text}: {}", r.error))
        .evaluate_at(&Snapshot::default(), now())
        .run;
    run.error.map(|e| (e.code, e.values[0].value.clone()))
}

#[test]
fn timestamp_and_interval_overflow_is_an_evaluation_error_not_a_panic() {
    let cases = [
        // interval * double beyond 64-bit ticks (about 29,000 years)
        (
            "x = TimeInterval_Year * 30000;",
            "Line 1, Col 5",
            "time interval is out of range",
        ),
        (
            "x = 30000 * TimeInterval_Year;",
            "Line 1, Col 5",
            "time interval is out of range",
        ),
        (
            "x = TimeInterval_Day / 0;",
            "Line 1, Col 5",
            "time interval is out of range",
        ),
        (
            "x = TimeInterval_Day / 0.0000000000001;",
            "Line 1, Col 5",
            "out of range",
        ),
        (
            "x = TimeInterval_Second * (0 / 0);",
            "Line 1, Col 5",
            "out of range",
        ),
        (
            "y = TimeInterval_Year * 20000; x = y + y;",
            "Line 1, Col 36",
            "time interval is out of range",
        ),
        (
            "y = TimeInterval_Year * -20000; x = y - TimeInterval_Year * 20000;",
            "Line 1, Col 37",
            "time interval is out of range",
        ),
        // -(i64::MIN ticks) does not exist
        (
            "y = TimeInterval_100ns * -9223372036854775808; x = -y;",
            "Line 1, Col 52",
            "time interval is out of range",
        ),
        // timestamps leave the years 1 to 9999
        (
            "x = time() + TimeInterval_Year * 9000;",
            "Line 1, Col 5",
            "outside the years 1 to 9999",
        ),
        (
            "x = TimeInterval_Year * 9000 + time();",
            "Line 1, Col 5",
            "outside the years 1 to 9999",
        ),
        (
            "x = time(\"0001-01-01T00:00:00Z\") + -TimeInterval_100ns;",
            "Line 1, Col 5",
            "outside the years 1 to 9999",
        ),
        (
            "x = time(\"9999-12-31T23:59:59.9999999Z\") + TimeInterval_100ns;",
            "Line 1, Col 5",
            "outside the years 1 to 9999",
        ),
        // a look-back past the year 1
        (
            "x = $CPUPercent.GetSample(TimeInterval_Year * 5000);",
            "Line 1, Col 26",
            "outside the years 1 to 9999",
        ),
        (
            "x = $CPUPercent.GetSamplePercent(TimeInterval_Year * 5000);",
            "Line 1, Col 33",
            "outside the years 1 to 9999",
        ),
        // an interval assigned to a target
        (
            "$TargetDedicatedNodes = TimeInterval_Year * 29000;",
            "Line 1, Col 1",
            "must end the evaluation as a number",
        ),
    ];
    for (text, at, needle) in cases {
        let (code, message) = on_2mib_stack(move || run_error(text))
            .unwrap_or_else(|| panic!("{text}: expected an evaluation error"));
        assert_eq!(code, "AutoScalingFormulaEvaluationError", "{text}");
        assert!(
            message.starts_with(&format!("{at}: ")) && message.contains(needle),
            "{text}: {message}"
        );
    }
}

#[test]
fn the_extremes_of_time_that_fit_evaluate() {
    let text = "a = time(\"9999-12-31T23:59:59.9999999Z\") - time(\"0001-01-01T00:00:00Z\");\n\
                b = -a; c = a / 2 * 2; d = TimeInterval_100ns * 9223372036854774784;\n\
                e = time(\"0001-01-01T00:00:00Z\") + a;";
    assert_eq!(run_error(text), None);
    let evaluation = CompiledFormula::new(text)
        .unwrap()
        .evaluate_at(&Snapshot::default(), now());
    let value = |name: &str| evaluation.variable(name).unwrap().to_string();
    assert_eq!(value("a"), "3652058d23h59m59.9999999s");
    assert_eq!(value("b"), "-3652058d23h59m59.9999999s");
    assert_eq!(value("e"), "9999-12-31T23:59:59.999Z");
}

#[test]
fn evaluating_at_the_first_and_last_instants_works() {
    for ticks in [0, batchscale::time::MAX_TIMESTAMP_TICKS] {
        let at = Timestamp::from_ticks(ticks).unwrap();
        let run = CompiledFormula::new(
            "t = time(); y = t.year; w = t.weekday; n = $CPUPercent.GetSample(1); \
             p = $CPUPercent.GetSamplePercent(TimeInterval_Minute);",
        )
        .unwrap()
        .evaluate_at(&Snapshot::default(), at)
        .run;
        // A look-back from the year 1 leaves the range; that is the only error allowed.
        match run.error {
            None => {}
            Some(e) => assert!(
                ticks == 0 && e.values[0].value.contains("outside the years 1 to 9999"),
                "{e:?}"
            ),
        }
    }
}

/// A list argument may repeat a big vector: `len(v, v, ..., v)` with 4000 copies of a
/// million-sample `v` flattens to 4 billion doubles (32 GB). That must be an evaluation
/// error (or computed without the copy), not an allocation failure that aborts the
/// process. Run through the binary under a 1 GiB address-space limit, so the failure
/// cannot take the machine's memory. A flattened list holds at most
/// `MAX_LIST_VALUES` values [decided].
#[cfg(target_os = "linux")]
#[test]
fn a_list_of_billions_of_values_is_an_error_not_an_abort() {
    let dir = std::env::temp_dir().join(format!("batchscale-flatten-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let values: Vec<String> = (0..1_000_000).map(|i| (i % 10).to_string()).collect();
    let pool = dir.join("pool.json");
    std::fs::write(
        &pool,
        format!(
            r#"{{"evaluationTime": "2030-01-01T00:00:00Z", "metrics": {{"$CPUPercent":
                {{"start": "2024-01-01T00:00:00Z", "values": [{}]}}}}}}"#,
            values.join(",")
        ),
    )
    .unwrap();
    let mut results = Vec::new();
    for function in ["len", "vec"] {
        let formula = dir.join(format!("{function}.formula"));
        let copies = vec!["v"; 4000].join(",");
        std::fs::write(
            &formula,
            format!("v = $CPUPercent.GetSample(1000000);\nx = {function}({copies});"),
        )
        .unwrap();
        assert!(std::fs::metadata(&formula).unwrap().len() <= 8192);
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_batchscale"))
            .args(["eval", "--format", "json", "--pool"])
            .arg(&pool)
            .arg(&formula)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !matches!(out.status.code(), Some(0 | 1)) {
            results.push(format!(
                "{function}(v x 4000): {:?}: {}",
                out.status,
                stderr.lines().next().unwrap_or("")
            ));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(results.is_empty(), "{}", results.join("\n"));
}
