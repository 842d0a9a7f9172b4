//! Every diagnostic, checked three ways:
//!
//! - documented: each code of the registry (`Code::ALL`) has a section in `docs/diagnostics.md`
//!   with an example, and each example really produces its code;
//! - structurally: the example's diagnostic has the expected span (the text it underlines)
//!   and a help where there is a fix ([`EXPECTED`]);
//! - rendered: the binary's output for the example (`check`, or `eval` for run-time
//!   warnings; standard error, `NO_COLOR`) equals `tests/golden/CODE.txt`. Run with
//!   `BLESS=1` to rewrite the golden files after a deliberate change, and review the diff.
//!
//! Then the behaviour issue 3 asks for: every error in one run, "did you mean" hints,
//! warnings for [decided] rules, the lints, and the service's limits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use batchscale::Snapshot;
use batchscale::internals::syntax::span::LineIndex;
use batchscale::time::Interval;
use batchscale::{Code, Diagnostic, Severity};
use batchscale::{CompiledFormula, validate};

const DOC: &str = include_str!("../../../../docs/diagnostics.md");

/// An example of `docs/diagnostics.md`: the code whose section it is in, its text (with
/// the block's `pad=`, `repeat=` and `newline=` applied), and how to run it.
#[derive(Debug, Clone)]
struct Example {
    code: String,
    text: String,
    interval: Option<String>,
    eval: bool,
    /// Formatted (`batchscale fmt`) rather than checked.
    fmt: bool,
}

fn doc_examples() -> Vec<Example> {
    let mut examples = Vec::new();
    let mut code: Option<String> = None;
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if let Some(heading) = line.strip_prefix("### ") {
            code = heading
                .split(':')
                .next()
                .filter(|c| c.starts_with("BS"))
                .map(str::to_string);
            continue;
        }
        let Some(info) = line.strip_prefix("```formula") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let Some(code) = code.take() else {
            continue;
        };
        let mut text = format!("{}\n", body.join("\n"));
        let mut example = Example {
            code,
            text: String::new(),
            interval: None,
            eval: false,
            fmt: false,
        };
        let mut pad = None;
        for attribute in info.split_whitespace() {
            match attribute.split_once('=') {
                Some(("repeat", n)) => text = text.repeat(n.parse().expect("repeat=N")),
                Some(("pad", n)) => pad = Some(n.parse::<usize>().expect("pad=N")),
                Some(("interval", d)) => example.interval = Some(d.to_string()),
                Some(("newline", "cr")) => text = text.replace('\n', "\r"),
                Some(("minus", n)) => {
                    text = text.replace('@', &"-".repeat(n.parse().expect("minus=N")))
                }
                None if attribute == "eval" => example.eval = true,
                None if attribute == "fmt" => example.fmt = true,
                _ => panic!("unknown attribute {attribute:?} in docs/diagnostics.md"),
            }
        }
        if let Some(n) = pad {
            let comment = n - text.chars().count() - 2;
            text.push_str(&format!("//{}", "x".repeat(comment)));
        }
        example.text = text;
        examples.push(example);
    }
    examples
}

/// Every code of the registry, with its name: `(ColdStart, BS0601)`.
fn all_codes() -> Vec<(String, String)> {
    Code::ALL
        .iter()
        .map(|code| (format!("{code:?}"), code.as_str().to_string()))
        .collect()
}

fn now() -> batchscale::time::Timestamp {
    batchscale::internals::time::parse_rfc3339("2024-01-01T00:00:00Z").unwrap()
}

fn interval(text: &str) -> Interval {
    batchscale::internals::time::parse_interval_arg(text).unwrap()
}

/// What the library says of an example: `validate`, the run's warnings for `eval`, or
/// the formatter's refusal for `fmt`.
fn diagnostics_of(example: &Example) -> Vec<Diagnostic> {
    if example.fmt {
        batchscale::format_formula(&example.text)
            .err()
            .unwrap_or_default()
    } else if example.eval {
        let compiled = CompiledFormula::new(&example.text).expect("an eval example is accepted");
        compiled.evaluate_at(&Snapshot::default(), now()).warnings
    } else {
        validate(&example.text, example.interval.as_deref().map(interval)).diagnostics
    }
}

#[test]
fn every_code_is_documented_with_an_example() {
    let codes = all_codes();
    assert!(codes.len() >= 60, "only {} codes found", codes.len());
    let examples = doc_examples();
    let documented: BTreeSet<&str> = examples.iter().map(|e| e.code.as_str()).collect();
    let mut missing = Vec::new();
    for (name, code) in &codes {
        if !DOC.contains(&format!("### {code}: ")) || !documented.contains(code.as_str()) {
            missing.push(format!("{code} ({name})"));
        }
    }
    assert!(
        missing.is_empty(),
        "codes without a section and example in docs/diagnostics.md: {missing:?}"
    );
    // And the document names no code that does not exist.
    let known: BTreeSet<&str> = codes.iter().map(|(_, c)| c.as_str()).collect();
    let stray: Vec<&str> = documented.difference(&known).copied().collect();
    assert!(
        stray.is_empty(),
        "docs/diagnostics.md documents unknown codes: {stray:?}"
    );
    let unique: BTreeSet<&str> = known.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "two constants share a code");
}

#[test]
fn every_example_produces_its_code() {
    let mut wrong = Vec::new();
    for example in doc_examples() {
        let found = diagnostics_of(&example);
        if !found.iter().any(|d| d.code == example.code) {
            let got: Vec<&str> = found.iter().map(|d| d.code).collect();
            wrong.push(format!("{}: got {got:?}", example.code));
        }
    }
    assert!(
        wrong.is_empty(),
        "examples that do not produce their code:\n{}",
        wrong.join("\n")
    );
}

/// For every code: the text its example's diagnostic underlines, and whether it has a help.
const EXPECTED: &[(&str, &str, bool)] = &[
    ("BS0001", "x", true),
    ("BS0002", "$TargetDedicatedNodes = 1", true),
    ("BS0003", "", true),
    ("BS0004", "-1", true),
    ("BS0101", "%", true),
    ("BS0102", "#", true),
    ("BS0103", "/*", true),
    ("BS0104", "\"2024-03-01);", true),
    ("BS0105", "$TargetDedicatedNodes", true),
    ("BS0106", ";", false),
    ("BS0107", "", true),
    ("BS0201", "$CurrentDedicatedNode", true),
    ("BS0202", "Max", true),
    ("BS0203", "GetSamples", true),
    ("BS0204", "Hour", true),
    ("BS0205", "$CurrentDedicatedNodes", true),
    ("BS0206", "TimeInterval_Minute", true),
    ("BS0301", "time() + 1", true),
    ("BS0302", "v", true),
    ("BS0303", "($PendingTasks.GetSample(1))", true),
    ("BS0304", "time()", true),
    ("BS0305", "max()", true),
    ("BS0306", "$CurrentDedicatedNodes", true),
    ("BS0307", "$PendingTasks", true),
    ("BS0308", "$PendingTasks", true),
    ("BS0309", "stop()", true),
    (
        "BS0310",
        "$TargetDedicatedNodes = $PendingTasks.GetSample(1)",
        true,
    ),
    (
        "BS0311",
        "$NodeDeallocationOption = \"taskcompletion\"",
        true,
    ),
    ("BS0312", "(0)", true),
    ("BS0313", "\"2024-13-01\"", false),
    ("BS0314", "TimeInterval_Hour / 0", true),
    ("BS0315", "$TargetDedicatedNodes = x", false),
    ("BS0316", "TimeInterval_Year * 100000", true),
    ("BS0501", "2 * v", true),
    ("BS0502", "$CurrentDedicatedNodes > 0 ? 1 : time()", true),
    ("BS0503", "time().weekday == 7", true),
    ("BS0504", "$TargetDedicated", true),
    ("BS0505", "$MemoryBytes", true),
    ("BS0506", "-1", true),
    ("BS0507", "1 / 0", true),
    ("BS0509", "$targetDedicatedNodes", true),
    ("BS0510", "max", true),
    ("BS0511", ";", true),
    ("BS0512", "// one node", true),
    ("BS0513", "TimeInterval_Year", true),
    ("BS0514", "h >= 8 && h < 18 || h == 20", true),
    (
        "BS0515",
        "time().hour < 8 ? terminate : taskcompletion",
        true,
    ),
    ("BS0516", "time().weekday == 0", true),
    (
        "BS0517",
        "$ActiveTasks.GetSample(10) + $RunningTasks.GetSample(10)",
        true,
    ),
    (
        "BS0518",
        "avg($CPUPercent.GetSample(TimeInterval_Minute * 5)) > 80",
        true,
    ),
    ("BS0519", "\"a\" < \"b\"", true),
    ("BS0520", "percentile", false),
    ("BS0521", "rand()", false),
    ("BS0522", "std($CurrentDedicatedNodes)", true),
    ("BS0523", "stop()", true),
    ("BS0524", "val($PendingTasks.GetSample(10), 0)", true),
    ("BS0525", "$NodeDeallocationOption", true),
    (
        "BS0601",
        "$CPUPercent.GetSample(TimeInterval_Minute * 10)",
        true,
    ),
    ("BS0602", "$CurrentDedicatedNodes - 1", true),
    ("BS0603", "$CurrentDedicatedNodes * 1.5", true),
    ("BS0604", "$TargetDedicatedNodes", true),
    ("BS0605", "0", true),
    ("BS0606", "w < lo && w > hi", true),
    ("BS0607", "0.7", true),
    ("BS0608", "limit", true),
    ("BS0609", "", true),
    ("BS0610", "$CPUPercent.GetSample(1)", true),
    ("BS0611", "$TargetDedicatedNodes = time()", true),
    ("BS0701", "$TargetDedicatedNodes", false),
    ("BS0702", "val($PendingTasks.GetSample(1), 0)", false),
    ("BS0703", "ratio", false),
];

#[test]
fn every_diagnostic_has_its_span_severity_and_help() {
    let examples = doc_examples();
    let mut wrong = Vec::new();
    for (_, code) in all_codes() {
        let Some(&(_, span_text, help)) = EXPECTED.iter().find(|(c, _, _)| *c == code) else {
            wrong.push(format!("{code}: not in EXPECTED"));
            continue;
        };
        let example = examples
            .iter()
            .find(|e| e.code == code)
            .expect("documented");
        let found = diagnostics_of(example);
        let Some(d) = found.iter().find(|d| d.code == code) else {
            wrong.push(format!("{code}: not produced"));
            continue;
        };
        let underlined = example.text.get(d.span.range()).unwrap_or("<outside>");
        if underlined != span_text {
            wrong.push(format!(
                "{code}: underlines {underlined:?}, expected {span_text:?}"
            ));
        }
        if d.help.is_some() != help {
            wrong.push(format!("{code}: help {:?}, expected one: {help}", d.help));
        }
        // The series says the severity.
        let severity = if code.starts_with("BS0") && code.as_bytes()[3] <= b'3' {
            Severity::Error
        } else {
            Severity::Warning
        };
        if d.severity != severity {
            wrong.push(format!("{code}: severity {:?}", d.severity));
        }
        // One lower-case sentence, no trailing period.
        if d.message.starts_with(char::is_uppercase) || d.message.ends_with('.') {
            wrong.push(format!("{code}: message style: {:?}", d.message));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// --- golden renderings ----------------------------------------------------------------

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The binary's standard error for an example, run where the example's file is
/// `CODE.formula`, without colours.
fn rendered(example: &Example, dir: &Path) -> String {
    let name = format!("{}.formula", example.code);
    std::fs::write(dir.join(&name), &example.text).unwrap();
    let mut args: Vec<String> = if example.fmt {
        vec!["fmt".to_string(), name]
    } else if example.eval {
        ["eval", &name, "--at", "2024-01-01T00:00:00Z"]
            .map(str::to_string)
            .to_vec()
    } else {
        vec!["check".to_string(), name]
    };
    if let Some(interval) = &example.interval {
        args.extend(["--interval".to_string(), interval.clone()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    String::from_utf8(output.stderr).expect("UTF-8 output")
}

#[test]
fn every_diagnostic_renders_as_its_golden_file() {
    let bless = std::env::var_os("BLESS").is_some();
    let dir = std::env::temp_dir().join(format!("batchscale-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut differ = Vec::new();
    for example in doc_examples() {
        let text = rendered(&example, &dir);
        assert!(
            !text.contains('\u{1b}'),
            "{}: colours without a terminal",
            example.code
        );
        let path = golden_dir().join(format!("{}.txt", example.code));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == text => {}
            Ok(expected) => differ.push(format!(
                "{}: rendering differs\n--- expected ({})\n{expected}\n--- got\n{text}",
                example.code,
                path.display()
            )),
            Err(_) => differ.push(format!(
                "{}: no golden file {}",
                example.code,
                path.display()
            )),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        differ.is_empty(),
        "{}\n\n(run with BLESS=1 to rewrite the golden files)",
        differ.join("\n\n")
    );
}

#[test]
fn every_golden_file_belongs_to_a_code() {
    let codes: BTreeSet<String> = all_codes().into_iter().map(|(_, c)| c).collect();
    let Ok(entries) = std::fs::read_dir(golden_dir()) else {
        return;
    };
    for entry in entries {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(code) = name.strip_suffix(".txt") {
            assert!(codes.contains(code), "tests/golden/{name} is for no code");
        }
    }
}

// --- helpers for the behaviour tests --------------------------------------------------

/// The registered code of a diagnostic.
fn code_of(d: &Diagnostic) -> Code {
    d.code_kind()
        .unwrap_or_else(|| panic!("{:?} is not a registered code", d.code))
}

fn codes_of(text: &str) -> Vec<Code> {
    validate(text, None)
        .diagnostics
        .iter()
        .map(code_of)
        .collect()
}

/// The one diagnostic with `code`, with the text it underlines.
fn one(text: &str, code: Code) -> (Diagnostic, String) {
    let all = validate(text, None).diagnostics;
    let found: Vec<&Diagnostic> = all.iter().filter(|d| d.code == code).collect();
    assert_eq!(
        found.len(),
        1,
        "one {code} expected in {text:?}, got {all:#?}"
    );
    let d = found[0].clone();
    let underlined = text[d.span.range()].to_string();
    (d, underlined)
}

fn has(text: &str, code: Code) {
    let all = codes_of(text);
    assert!(
        all.contains(&code),
        "{code} expected for {text:?}, got {all:?}"
    );
}

fn lacks(text: &str, code: Code) {
    let all = codes_of(text);
    assert!(
        !all.contains(&code),
        "no {code} expected for {text:?}, got {all:?}"
    );
}

fn help_of(text: &str, code: Code) -> String {
    one(text, code).0.help.unwrap_or_default()
}

fn position(text: &str, d: &Diagnostic) -> (usize, usize) {
    let p = LineIndex::new(text).line_col(text, d.span.start as usize);
    (p.line, p.column)
}

// --- all errors at once ---------------------------------------------------------------

#[test]
fn three_mistakes_in_three_statements_are_reported_in_one_run() {
    let text = "n = $CurrentDedicatedNodes;\n\
                x = n +;\n\
                y = time() + 1;\n\
                $TargetDedicatedNodes = avg(n, requeue);\n";
    let v = validate(text, None);
    let errors: Vec<(Code, (usize, usize))> = v
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (code_of(d), position(text, d)))
        .collect();
    assert_eq!(
        errors,
        [
            (Code::UnexpectedToken, (2, 8)),
            (Code::OperatorType, (3, 5)),
            (Code::ArgumentType, (4, 32)),
        ]
    );
    // The service's answer stays the first syntax error.
    let rejection = v.rejection.expect("rejected");
    assert_eq!(rejection.code, "AutoScalingFormulaSyntaxError");
    assert_eq!(
        rejection.detail(),
        Some("Line 2, Col 8: expected an expression after '+', found ';'")
    );
    // The same through the binary: all three, exit status 1.
    let dir = std::env::temp_dir().join(format!("batchscale-three-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("three.formula"), text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", "three.formula"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for at in [
        "three.formula:2:8",
        "three.formula:3:5",
        "three.formula:4:32",
    ] {
        assert!(stderr.contains(at), "{at} missing from:\n{stderr}");
    }
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("invalid (3 errors"));
}

#[test]
fn names_assigned_by_a_broken_statement_are_not_undefined() {
    // `x` is assigned by the statement that failed to parse: reading it later is not a
    // second error.
    let text = "x = 1 +;\n$TargetDedicatedNodes = x;";
    let errors: Vec<Code> = validate(text, None)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(code_of)
        .collect();
    assert_eq!(errors, [Code::UnexpectedToken]);
    // Nor when a missing `;` swallowed the assignment.
    let text = "a = 1\nb = 2;\n$TargetDedicatedNodes = a + b;";
    let errors: Vec<Code> = validate(text, None)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(code_of)
        .collect();
    assert_eq!(errors, [Code::MissingSemicolon]);
}

#[test]
fn a_statement_around_a_bad_character_is_not_checked_again() {
    // The corpus's BatchExplorer formula: `time(\"...\")` is one mistake, not two.
    let text =
        "x = time() - time(\\\"Mon, 06 Oct 2014 10:20:00 GMT\\\");\n$TargetDedicatedNodes = 1;";
    let all = codes_of(text);
    assert_eq!(all, [Code::UnexpectedCharacter], "{all:?}");
}

#[test]
fn a_parse_error_caused_by_a_bad_character_is_not_reported_twice() {
    assert_eq!(
        codes_of("$TargetDedicatedNodes = 1 & 2;"),
        [Code::UnexpectedCharacter]
    );
    assert_eq!(
        codes_of("x = time(\"2024;\n$TargetDedicatedNodes = 1;"),
        [Code::UnterminatedString]
    );
    // A `#` line is left out whole: an error on the next line is its own.
    let all = codes_of("# comment\n$TargetDedicatedNodes = 1 +;");
    assert_eq!(all, [Code::HashComment, Code::UnexpectedToken]);
}

#[test]
fn errors_come_first_in_source_order_then_warnings() {
    let text = "$TargetDedicated = 1;\nx = nope;\ny = 1 +;";
    let v = validate(text, None).diagnostics;
    let severities: Vec<Severity> = v.iter().map(|d| d.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort();
    assert_eq!(severities, sorted);
    let errors: Vec<u32> = v
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.span.start)
        .collect();
    assert!(errors.windows(2).all(|w| w[0] <= w[1]), "{v:#?}");
}

// --- suggestions ----------------------------------------------------------------------

#[test]
fn misspelt_system_variables_get_a_did_you_mean() {
    assert_eq!(
        help_of(
            "n = $targetDedicatedNodes;\n$TargetDedicatedNodes = 1;",
            Code::UndefinedSymbol
        ),
        "did you mean '$TargetDedicatedNodes'?"
    );
    let (d, underlined) = one("$targetDedicatedNodes = 5;", Code::LookalikeTarget);
    assert_eq!(underlined, "$targetDedicatedNodes");
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean '$TargetDedicatedNodes'?")
    );
    assert_eq!(
        help_of(
            "$TargetDedicatedNodes = max($PendingTask.GetSample(1));",
            Code::UndefinedSymbol
        ),
        "did you mean '$PendingTasks'?"
    );
}

#[test]
fn misspelt_functions_methods_and_fields_get_a_did_you_mean() {
    assert_eq!(
        help_of("$TargetDedicatedNodes = Max(1, 2);", Code::UnknownFunction),
        "did you mean 'max'?"
    );
    assert_eq!(
        help_of(
            "$TargetDedicatedNodes = max($PendingTasks.GetSamples(1));",
            Code::UnknownMethod
        ),
        "did you mean 'GetSample'?"
    );
    assert_eq!(
        help_of(
            "$TargetDedicatedNodes = max($PendingTasks.getSample(1));",
            Code::UnknownMethod
        ),
        "did you mean 'GetSample'?"
    );
    assert_eq!(
        help_of("$TargetDedicatedNodes = time().Hour;", Code::UnknownField),
        "did you mean 'hour'?"
    );
    assert!(
        help_of(
            "$TargetDedicatedNodes = max(GetSample(1));",
            Code::UnknownFunction
        )
        .contains("method of sampled metrics")
    );
}

#[test]
fn misspelt_keywords_and_constants_get_a_did_you_mean() {
    for (written, meant) in [
        ("retaindata", "retaineddata"),
        ("Requeue", "requeue"),
        ("TaskCompletion", "taskcompletion"),
        ("taskcompleton", "taskcompletion"),
    ] {
        let text = format!("$NodeDeallocationOption = {written};\n$TargetDedicatedNodes = 1;");
        assert_eq!(
            help_of(&text, Code::UndefinedSymbol),
            format!("did you mean '{meant}'?"),
            "{written}"
        );
    }
    for (written, meant) in [
        ("TimeInterval_minute", "TimeInterval_Minute"),
        ("TimeInterval_Minutes", "TimeInterval_Minute"),
        ("timeinterval_second", "TimeInterval_Second"),
    ] {
        let text = format!("$TargetDedicatedNodes = max($PendingTasks.GetSample({written}, 0));");
        assert_eq!(
            help_of(&text, Code::UndefinedSymbol),
            format!("did you mean '{meant}'?"),
            "{written}"
        );
    }
    assert!(
        help_of(
            "$TargetDedicatedNodes = true ? 1 : 2;",
            Code::UndefinedSymbol
        )
        .contains("write 1 for true")
    );
}

#[test]
fn a_hash_comment_suggests_slashes() {
    let (d, underlined) = one("# comment\n$TargetDedicatedNodes = 1;", Code::HashComment);
    assert_eq!(underlined, "#");
    assert_eq!(d.help.as_deref(), Some("write comments with '//'"));
}

#[test]
fn a_missing_semicolon_between_lines_is_named_as_such() {
    let text = "a = 1\n$TargetDedicatedNodes = a;";
    let (d, underlined) = one(text, Code::MissingSemicolon);
    assert_eq!(underlined, "$TargetDedicatedNodes");
    assert_eq!(
        d.message,
        "expected ';' between statements, found '$TargetDedicatedNodes'"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("the statement on line 1 has no ';' at its end: add one there")
    );
    // Comments between the lines do not hide it.
    let text = "a = 1 // one\n// more\n$TargetDedicatedNodes = a;";
    assert!(
        one(text, Code::MissingSemicolon)
            .0
            .help
            .unwrap()
            .contains("line 1")
    );
    // On one line it is an unexpected token, with a hint.
    let text = "a = 1 $TargetDedicatedNodes = a;";
    assert!(help_of(text, Code::UnexpectedToken).contains("end the one before with ';'"));
}

#[test]
fn syntax_slips_from_other_languages_get_help() {
    for (text, help) in [
        ("$TargetDedicatedNodes = 1 =< 2;", "'=<' is written '<='"),
        (
            "$TargetDedicatedNodes = 1 <> 2;",
            "'not equal' is written '!='",
        ),
        (
            "x = 1; x += 1; $TargetDedicatedNodes = x;",
            "there is no '+='",
        ),
        (
            "$TargetDedicatedNodes = 1 and 2;",
            "logical and is written '&&'",
        ),
        (
            "$TargetDedicatedNodes = 1 else 2;",
            "there is no 'if'/'else'",
        ),
        (
            "if (1) $TargetDedicatedNodes = 1;",
            "there is no 'if' statement",
        ),
        ("$TargetDedicatedNodes = 1e3;", "as in 1000"),
        ("$TargetDedicatedNodes = .5;", "write 0.5"),
        (
            "$TargetDedicatedNodes = max($PendingTasks.$GetSample(1));",
            "write 'GetSample'",
        ),
    ] {
        let all = validate(text, None).diagnostics;
        let first = all.iter().find(|d| d.is_error()).expect("an error");
        assert!(
            first.help.as_deref().is_some_and(|h| h.contains(help)),
            "{text}: {first:?}"
        );
    }
}

// --- warnings for [decided] rules -----------------------------------------------------

#[test]
fn empty_statements_warn_but_a_final_semicolon_does_not() {
    let (d, underlined) = one("$TargetDedicatedNodes = 1;;", Code::EmptyStatement);
    assert_eq!(underlined, ";");
    assert!(d.message.contains("unverified"));
    let (_, underlined) = one(";$TargetDedicatedNodes = 1;", Code::EmptyStatement);
    assert_eq!(underlined, ";");
    // A run of them is one warning.
    let (_, underlined) = one(
        "$TargetDedicatedNodes = 1; ; // x\n ;\nb = 2;",
        Code::EmptyStatement,
    );
    assert_eq!(underlined, "; // x\n ;");
    for text in [
        "$TargetDedicatedNodes = 1;",
        "$TargetDedicatedNodes = 1",
        "$TargetDedicatedNodes = 1; // the end\n",
        "$TargetDedicatedNodes = 1;\n\n",
        "// only a comment\n$TargetDedicatedNodes = 1;",
        "",
    ] {
        lacks(text, Code::EmptyStatement);
    }
}

#[test]
fn a_comment_ended_by_a_lone_cr_warns() {
    let (_, underlined) = one(
        "$TargetDedicatedNodes = 1; // a\rb = 2;",
        Code::LoneCrComment,
    );
    assert_eq!(underlined, "// a");
    lacks(
        "$TargetDedicatedNodes = 1; // a\r\nb = 2; // c\nd = b;",
        Code::LoneCrComment,
    );
}

#[test]
fn each_decided_rule_that_changes_an_outcome_warns() {
    let t = "$NodeDeallocationOption = taskcompletion;\n";
    for (code, text) in [
        (Code::YearLength, "x = TimeInterval_Year;"),
        (Code::Precedence, "$TargetDedicatedNodes = 1 && 0 || 1;"),
        (Code::Precedence, "$TargetDedicatedNodes = 1 < 2 < 3;"),
        (
            Code::DeallocationPassThrough,
            "x = terminate; $NodeDeallocationOption = x;",
        ),
        (
            Code::WeekdaySunday,
            "$TargetDedicatedNodes = time().weekday != 0;",
        ),
        (
            Code::WeekdaySeven,
            "$TargetDedicatedNodes = time().weekday == 7;",
        ),
        (
            Code::VectorPairwise,
            "$TargetDedicatedNodes = max($ActiveTasks.GetSample(3) - $RunningTasks.GetSample(3));",
        ),
        (
            Code::ShortCircuit,
            "$TargetDedicatedNodes = 0 || max($PendingTasks.GetSample(TimeInterval_Minute));",
        ),
        (Code::StringOrder, "$TargetDedicatedNodes = \"a\" >= \"b\";"),
        (
            Code::PercentileMethod,
            "$TargetDedicatedNodes = percentile(vec(1, 2), 50);",
        ),
        (Code::RandValues, "$TargetDedicatedNodes = rand();"),
        (Code::StdOfOne, "$TargetDedicatedNodes = std(1);"),
        (
            Code::StopKeepsAssignments,
            "$TargetDedicatedNodes = 1; stop();",
        ),
        (
            Code::SampleOrder,
            "v = $PendingTasks.GetSample(5); $TargetDedicatedNodes = val(v, 4);",
        ),
        (Code::DeallocationStart, "x = $NodeDeallocationOption;"),
        (
            Code::ScalarVectorOperation,
            "$TargetDedicatedNodes = max(1 + vec(1));",
        ),
        (Code::DivisionByZero, "$TargetDedicatedNodes = 1 / 0;"),
        (
            Code::NegativeValIndex,
            "$TargetDedicatedNodes = val(vec(1), -1);",
        ),
        (Code::LegacyName, "$TargetDedicated = 1;"),
        (
            Code::RetiredMetric,
            "$TargetDedicatedNodes = max($DiskBytes.GetSample(1));",
        ),
    ] {
        // Assigning $NodeDeallocationOption keeps the requeue lint quiet, except where
        // reading it first is the point.
        let text = if text.contains("$NodeDeallocationOption") {
            text.to_string()
        } else {
            format!("{t}{text}")
        };
        let (d, _) = one(&text, code);
        assert_eq!(d.severity, Severity::Warning, "{text}");
    }
}

#[test]
fn the_decided_warnings_stay_quiet_where_the_rule_does_not_matter() {
    for (code, text) in [
        (
            Code::Precedence,
            "x = (1 && 0) || 1; y = 1 && (0 || 1); z = 1 < 2 && 2 < 3;",
        ),
        (
            Code::VectorPairwise,
            "v = $ActiveTasks.GetSample(3); w = v * v - v / 2;",
        ),
        (
            Code::ShortCircuit,
            "x = 1 && max($PendingTasks.GetSample(1)) > 0;",
        ),
        (
            Code::ShortCircuit,
            "x = 1 && max($PendingTasks.GetSample(TimeInterval_Minute, 0)) > 0;",
        ),
        (Code::StringOrder, "x = \"a\" == \"b\";"),
        (Code::StdOfOne, "x = std(vec(1, 2));"),
        (Code::SampleOrder, "x = val($PendingTasks.GetSample(1), 0);"),
        (
            Code::DeallocationStart,
            "$NodeDeallocationOption = requeue; x = $NodeDeallocationOption;",
        ),
        (
            Code::WeekdaySunday,
            "x = time().weekday >= 1 && time().weekday <= 5;",
        ),
        (
            Code::DeallocationPassThrough,
            "$NodeDeallocationOption = taskcompletion;",
        ),
        (Code::StopKeepsAssignments, "x = 1;"),
    ] {
        lacks(text, code);
    }
}

// --- lints ----------------------------------------------------------------------------

/// A formula's lint codes (the `BS06xx` ones).
fn lints(text: &str) -> Vec<Code> {
    codes_of(text)
        .into_iter()
        .filter(|c| c.as_str().starts_with("BS06"))
        .collect()
}

const END: &str = "\n$NodeDeallocationOption = taskcompletion;";

#[test]
fn the_documented_cpu_example_fails_on_a_new_pool() {
    // The documentation's CPU example: its window needs 70% of the samples.
    let text = "$totalNodes = (min($CPUPercent.GetSample(TimeInterval_Minute * 10)) > 0.7) ? \
                ($CurrentDedicatedNodes * 1.1) : $CurrentDedicatedNodes;\n\
                $TargetDedicatedNodes = min(10, $totalNodes);";
    let (d, underlined) = one(text, Code::ColdStart);
    assert_eq!(
        underlined,
        "$CPUPercent.GetSample(TimeInterval_Minute * 10)"
    );
    assert!(d.message.contains("70%"));
    assert!(d.help.unwrap().contains("GetSamplePercent"));
    // And the evaluation on a new pool indeed fails.
    let run = CompiledFormula::new(text)
        .unwrap()
        .evaluate_at(&Snapshot::default(), now())
        .run;
    assert_eq!(run.error.unwrap().code, "InsufficientSampleData");
}

#[test]
fn a_guarded_window_does_not_warn() {
    let m = "$PendingTasks";
    let w = "TimeInterval_Minute * 15";
    for text in [
        // The documentation's pattern, through a variable.
        format!("p = {m}.GetSamplePercent({w}); x = p < 70 ? 0 : avg({m}.GetSample({w}));"),
        // The call itself, the comparison either way round.
        format!("x = {m}.GetSamplePercent({w}) >= 70 ? avg({m}.GetSample({w})) : 0;"),
        format!("x = 70 <= {m}.GetSamplePercent({w}) ? avg({m}.GetSample({w})) : 0;"),
        format!("x = 80 > {m}.GetSamplePercent({w}) ? 0 : avg({m}.GetSample({w}));"),
        // Negated, combined, through a condition variable and a threshold variable.
        format!("p = {m}.GetSamplePercent({w}); x = !(p < 70) ? avg({m}.GetSample({w})) : 0;"),
        format!(
            "p = {m}.GetSamplePercent({w}); q = $CPUPercent.GetSamplePercent({w}); \
             x = (p < 70 || q < 70) ? 0 : avg({m}.GetSample({w})) + avg($CPUPercent.GetSample({w}));"
        ),
        format!(
            "t = 75; p = {m}.GetSamplePercent({w}); ok = p >= t && 1; \
             x = ok ? avg({m}.GetSample({w})) : 0;"
        ),
        // A threshold in a variable holding a constant expression.
        format!(
            "t = 60 + 10; p = {m}.GetSamplePercent({w}); x = p < t ? 0 : avg({m}.GetSample({w}));"
        ),
        // Nested deeper in the branch.
        format!(
            "p = {m}.GetSamplePercent({w}); x = p < 70 ? 0 : (1 ? max(avg({m}.GetSample({w})), 1) : 2);"
        ),
        // The right side of `&&` (short-circuit; BS0518 says so).
        format!("p = {m}.GetSamplePercent({w}); x = p >= 70 && avg({m}.GetSample({w})) > 5;"),
        // No window: a count, or an explicit percentage.
        format!("x = avg({m}.GetSample(10)) + avg({m}.GetSample({w}, 50));"),
        format!("x = avg({m}.GetSample(time() + -TimeInterval_Hour, time(), 10));"),
    ] {
        assert!(
            !lints(&text).contains(&Code::ColdStart),
            "{text}: {:?}",
            lints(&text)
        );
    }
}

#[test]
fn an_unguarded_or_badly_guarded_window_warns() {
    let m = "$PendingTasks";
    let w = "TimeInterval_Minute * 15";
    for (text, help) in [
        (format!("x = avg({m}.GetSample({w}));"), "GetSamplePercent"),
        // The two-bound window.
        (
            format!("x = avg({m}.GetSample(TimeInterval_Minute, {w}));"),
            "GetSamplePercent",
        ),
        // A window held in a variable.
        (
            format!("w = {w}; x = avg({m}.GetSample(w));"),
            "GetSamplePercent",
        ),
        // The guard takes the wrong branch.
        (
            format!("p = {m}.GetSamplePercent({w}); x = p < 70 ? avg({m}.GetSample({w})) : 0;"),
            "GetSamplePercent",
        ),
        // A threshold below 70.
        (
            format!("p = {m}.GetSamplePercent({w}); x = p < 30 ? 0 : avg({m}.GetSample({w}));"),
            "only 30%",
        ),
        // Another metric's percentage.
        (
            format!(
                "p = $ActiveTasks.GetSamplePercent({w}); x = p < 70 ? 0 : avg({m}.GetSample({w}));"
            ),
            "GetSamplePercent",
        ),
        // Checked after the call: too late (the accessibility-insights probe).
        (
            format!(
                "v = {m}.GetSample({w}); p = {m}.GetSamplePercent({w}); x = p < 70 ? -1 : avg(v);"
            ),
            "GetSamplePercent",
        ),
        // An `||` guard protects nothing on its true side.
        (
            format!(
                "p = {m}.GetSamplePercent({w}); x = (p >= 70 || 1) ? avg({m}.GetSample({w})) : 0;"
            ),
            "GetSamplePercent",
        ),
    ] {
        let text = format!("{text}\n$TargetDedicatedNodes = 1;");
        assert!(help_of(&text, Code::ColdStart).contains(help), "{text}");
    }
}

#[test]
fn a_target_that_can_go_negative_warns() {
    let (d, underlined) = one(
        &format!("$TargetDedicatedNodes = $CurrentDedicatedNodes - 1;{END}"),
        Code::NegativeTarget,
    );
    assert_eq!(underlined, "$CurrentDedicatedNodes - 1");
    assert!(d.message.contains("as low as -1"));
    has(
        &format!("n = max($PendingTasks.GetSample(1)); $TargetLowPriorityNodes = 10 - n;{END}"),
        Code::NegativeTarget,
    );
    // The legacy alias decides when the full name is not assigned.
    has("$TargetDedicated = -1;", Code::NegativeTarget);
    for text in [
        "$TargetDedicatedNodes = max(0, $CurrentDedicatedNodes - 1);",
        "$TargetDedicatedNodes = $CurrentDedicatedNodes > 0 ? $CurrentDedicatedNodes - 1 : 0;",
        "n = $CurrentDedicatedNodes; $TargetDedicatedNodes = n >= 2 ? n - 2 : n;",
        "$TargetDedicatedNodes = $CurrentDedicatedNodes + max($PendingTasks.GetSample(1));",
        // Only the last assignment counts.
        "$TargetDedicatedNodes = -1; $TargetDedicatedNodes = 2;",
    ] {
        lacks(&format!("{text}{END}"), Code::NegativeTarget);
    }
}

#[test]
fn a_target_made_fractional_by_arithmetic_warns() {
    let text = format!("$TargetDedicatedNodes = $CurrentDedicatedNodes * 1.1;{END}");
    let (d, underlined) = one(&text, Code::FractionalTarget);
    assert_eq!(underlined, "$CurrentDedicatedNodes * 1.1");
    assert!(d.help.unwrap().contains("ceil"));
    has(
        &format!(
            "r = avg($PendingTasks.GetSample(10)) / 4; $TargetDedicatedNodes = max(1, r);{END}"
        ),
        Code::FractionalTarget,
    );
    for text in [
        "$TargetDedicatedNodes = ceil($CurrentDedicatedNodes * 1.1);",
        // Averages of samples, and halving a whole number, truncate as expected.
        "$TargetDedicatedNodes = avg($PendingTasks.GetSample(10));",
        "$TargetDedicatedNodes = $CurrentDedicatedNodes / 2;",
        "$TargetDedicatedNodes = $CurrentDedicatedNodes / 1;",
        "$TargetDedicatedNodes = 3 * 2;",
    ] {
        lacks(&format!("{text}{END}"), Code::FractionalTarget);
    }
}

#[test]
fn scaling_down_with_the_default_requeue_warns() {
    let text = "$TargetDedicatedNodes = time().hour < 18 ? 10 : 2;";
    let (d, underlined) = one(text, Code::RequeueByDefault);
    assert_eq!(underlined, "$TargetDedicatedNodes");
    assert!(d.help.unwrap().contains("taskcompletion"));
    for text in [
        // A fixed size, or an explicit choice.
        "$TargetDedicatedNodes = 3; $TargetLowPriorityNodes = 2;",
        "$TargetDedicatedNodes = time().hour < 18 ? 10 : 2; $NodeDeallocationOption = requeue;",
        // A `?:` whose condition is decided picks one value.
        "$TargetDedicatedNodes = 1 ? 10 : 2;",
    ] {
        lacks(text, Code::RequeueByDefault);
    }
}

#[test]
fn conditions_that_are_always_true_or_false_warn() {
    let (d, underlined) = one(
        "$TargetDedicatedNodes = 1 == 1 ? 3 : 2;",
        Code::ConstantCondition,
    );
    assert_eq!(underlined, "1 == 1");
    assert!(d.message.contains("always true"));
    has(
        &format!("x = time().hour; $TargetDedicatedNodes = x > 3 && 0 ? 1 : 2;{END}"),
        Code::ConstantCondition,
    );
    // A constant assigned to a variable is a flag, not a mistake (batch-shipyard writes
    // `rebalance = 0 == 1;`).
    lacks(
        "rebalance = 0 == 1; $TargetDedicatedNodes = rebalance ? 2 : 1;",
        Code::ConstantCondition,
    );

    let h = "h = time().hour;\n";
    for (text, underlined) in [
        ("x = h < 8 && h > 18;", "h < 8 && h > 18"),
        (
            "x = h >= 8 && h < 18 && h == 20;",
            "h >= 8 && h < 18 && h == 20",
        ),
        ("x = h > 5 || h <= 5;", "h > 5 || h <= 5"),
        ("x = time().hour > 23;", "time().hour > 23"),
        ("x = time().hour >= 0;", "time().hour >= 0"),
        (
            "x = $PendingTasks.GetSamplePercent(TimeInterval_Minute) > 100;",
            "$PendingTasks.GetSamplePercent(TimeInterval_Minute) > 100",
        ),
        (
            "x = $CurrentDedicatedNodes < 0;",
            "$CurrentDedicatedNodes < 0",
        ),
    ] {
        let text = format!("{h}{text}\n$TargetDedicatedNodes = x;");
        assert_eq!(
            one(&text, Code::ImpossibleCondition).1,
            underlined,
            "{text}"
        );
    }
    for text in [
        "x = h >= 8 && h < 18;",
        "x = h < 8 || h > 18;",
        "x = time().weekday >= 1 && time().weekday <= 5;",
        "x = h > 5 && time().minute < 5;",
        "x = rand() < 0.1 && rand() > 0.9;",
        "x = h >= 23;",
    ] {
        lacks(
            &format!("{h}{text}\n$TargetDedicatedNodes = x;"),
            Code::ImpossibleCondition,
        );
    }
    // `.weekday == 7` is the checker's (BS0503), once.
    lacks(
        "x = time().weekday == 7; $TargetDedicatedNodes = x;",
        Code::ImpossibleCondition,
    );
}

/// The shipped weekend formula's shape: `w < 1 && w > 5` is never true, with the limits in
/// variables (`lo`, `hi`) set before it.
const WEEKEND: &str = "w = time().weekday;\n\
                       $TargetDedicatedNodes = (w < lo && w > hi) ? 0 : 2;";

#[test]
fn a_contradiction_whose_limits_are_variables_assigned_constants_is_never_true() {
    // The literal form, as before.
    let literal =
        format!("w = time().weekday;\n$TargetDedicatedNodes = (w < 1 && w > 5) ? 0 : 2;{END}");
    let (d, underlined) = one(&literal, Code::ImpossibleCondition);
    assert_eq!(underlined, "w < 1 && w > 5");
    assert!(d.message.contains("never true"), "{d:?}");
    // The same through variables, named with their values in the help.
    for bounds in [
        "lo = 1; hi = 5;",
        "lo = 1; hi = 4 + 1;",
        "lo = 1; hi = lo + 4;",
    ] {
        let text = format!("{bounds}\n{WEEKEND}{END}");
        let (d, underlined) = one(&text, Code::ImpossibleCondition);
        assert_eq!(underlined, "w < lo && w > hi", "{text}");
        assert!(d.message.contains("never true"), "{text}: {d:?}");
        assert_eq!(
            d.help.as_deref(),
            Some(
                "'lo' is 1 and 'hi' is 5; check the comparison operators and limits; a range \
                 is written 'low <= x && x <= high'"
            ),
            "{text}"
        );
    }
    // The limit's value is the one it has where the condition is: its last assignment
    // before it.
    for bounds in [
        "lo = 7; hi = 5; lo = 1;",
        "lo = $CurrentDedicatedNodes; lo = 1; hi = 5;",
        "hi = 0; lo = hi + 1; hi = 5;",
    ] {
        has(
            &format!("{bounds}\n{WEEKEND}{END}"),
            Code::ImpossibleCondition,
        );
    }
    // Reported once, on the whole chain it is part of; inside a chain of the other
    // operator, on itself.
    for (condition, underlined) in [
        ("w < lo && w > hi && h > 3", "w < lo && w > hi && h > 3"),
        (
            "h > 3 && w < lo && h < 20 && w > hi",
            "h > 3 && w < lo && h < 20 && w > hi",
        ),
        ("(w < lo && w > hi) || h > 3", "w < lo && w > hi"),
    ] {
        let text = format!(
            "lo = 1; hi = 5; w = time().weekday; h = time().hour;\n\
             $TargetDedicatedNodes = ({condition}) ? 0 : 2;{END}"
        );
        assert_eq!(
            one(&text, Code::ImpossibleCondition).1,
            underlined,
            "{text}"
        );
    }
    // A limit that a literal gives and one that a variable gives.
    has(
        &format!(
            "lo = 1;\nw = time().weekday; x = w < lo && w > 5;\n$TargetDedicatedNodes = x;{END}"
        ),
        Code::ImpossibleCondition,
    );
}

#[test]
fn a_disjunction_whose_limits_are_variables_assigned_constants_is_always_true() {
    let text = format!(
        "lo = 1; hi = 5; w = time().weekday;\n\
         $TargetDedicatedNodes = (w >= lo || w < hi) ? 0 : 2;{END}"
    );
    let (d, underlined) = one(&text, Code::ImpossibleCondition);
    assert_eq!(underlined, "w >= lo || w < hi");
    assert!(d.message.contains("always true"), "{d:?}");
    assert!(d.help.unwrap().starts_with("'lo' is 1 and 'hi' is 5; "));
    // Limits the other way round leave room both ways: the weekend test written right.
    lacks(
        &format!(
            "lo = 1; hi = 5; w = time().weekday;\n\
             $TargetDedicatedNodes = (w < lo || w > hi) ? 0 : 2;{END}"
        ),
        Code::ImpossibleCondition,
    );
}

#[test]
fn a_comparison_outside_a_values_range_follows_variables_both_sides() {
    for (text, underlined, message, help) in [
        // The limit in a variable, the value direct.
        (
            "limit = 20 + 4; x = time().hour >= limit;",
            "time().hour >= limit",
            "always false: 'time().hour' is between 0 and 23",
            "'limit' is 24; compare with a value inside the range",
        ),
        // The value in a variable, the limit direct.
        (
            "h = time().hour; x = h > 23;",
            "h > 23",
            "always false: 'h' is between 0 and 23",
            "compare with a value inside the range",
        ),
        // Both, and copied from one variable to another.
        (
            "h = time().hour; hour = h; limit = 24; x = hour < limit;",
            "hour < limit",
            "always true: 'hour' is between 0 and 23",
            "'limit' is 24; compare with a value inside the range",
        ),
        (
            "full = 100; p = $PendingTasks.GetSamplePercent(TimeInterval_Minute); x = p > full;",
            "p > full",
            "always false: 'p' is between 0 and 100",
            "'full' is 100; compare with a value inside the range",
        ),
        (
            "n = $CurrentDedicatedNodes; zero = 0; x = n < zero;",
            "n < zero",
            "always false: 'n' is between 0 and",
            "'zero' is 0; compare with a value inside the range",
        ),
        // A 7 the checker's BS0503 does not see (it reads numbers written there only).
        (
            "seven = 7; x = time().weekday == seven;",
            "time().weekday == seven",
            "always false: 'time().weekday' is between 0 and 6",
            "'seven' is 7; compare with a value inside the range",
        ),
        (
            "x = time().weekday == 3 + 4;",
            "time().weekday == 3 + 4",
            "always false: 'time().weekday' is between 0 and 6",
            "compare with a value inside the range",
        ),
    ] {
        let text = format!("{text}\n$TargetDedicatedNodes = x;");
        let (d, got) = one(&text, Code::ImpossibleCondition);
        assert_eq!(got, underlined, "{text}");
        assert!(d.message.contains(message), "{text}: {d:?}");
        assert_eq!(d.help.as_deref(), Some(help), "{text}");
    }
    // Inside the range, through variables too.
    for text in [
        "h = time().hour; limit = 23; x = h >= limit;",
        "w = time().weekday; sunday = 0; x = w == sunday;",
    ] {
        lacks(
            &format!("{text}\n$TargetDedicatedNodes = x;"),
            Code::ImpossibleCondition,
        );
    }
    // The value's range is the one of its last assignment before the comparison.
    lacks(
        "h = time().hour; h = h * 10; x = h > 23;\n$TargetDedicatedNodes = x;",
        Code::ImpossibleCondition,
    );
}

#[test]
fn limits_that_are_not_one_constant_where_they_are_read_do_not_warn() {
    for bounds in [
        // A pool value, a sample, a time field: not constants.
        "lo = $CurrentDedicatedNodes; hi = 5;",
        "lo = 1; hi = max($PendingTasks.GetSample(1));",
        "lo = time().hour; hi = 5;",
        // Different on different paths: no guess.
        "lo = $CurrentDedicatedNodes > 0 ? 1 : 3; hi = 5;",
        "lo = 1; hi = time().hour < 12 ? 5 : 0;",
        // Even a `?:` whose branches agree is not folded.
        "lo = $CurrentDedicatedNodes > 0 ? 1 : 1; hi = 5;",
        // A constant once, then something else by the time of the condition.
        "lo = 1; hi = 5; lo = $CurrentDedicatedNodes;",
        "lo = 1; hi = 5; hi = lo + $CurrentLowPriorityNodes;",
    ] {
        let text = format!("{bounds}\n{WEEKEND}{END}");
        assert!(validate(&text, None).is_valid(), "{text}");
        assert_eq!(
            lints(&text)
                .into_iter()
                .filter(|c| *c == Code::ImpossibleCondition || *c == Code::ConstantCondition)
                .count(),
            0,
            "{text}: {:?}",
            validate(&text, None).diagnostics
        );
    }
    // Assigned a constant only after the condition: what the condition read was not it.
    let text = format!(
        "lo = $CurrentDedicatedNodes; hi = 5;\n{WEEKEND}\nlo = 1; $TargetLowPriorityNodes = lo;{END}"
    );
    assert!(validate(&text, None).is_valid(), "{text}");
    lacks(&text, Code::ImpossibleCondition);
}

#[test]
fn a_condition_made_of_variables_holding_constants_is_a_flag_not_a_mistake() {
    // BS0605 reports conditions written with numbers; one that reads variables set at the
    // top of a formula is a switch set on purpose, and BS0606 does not take it over.
    for text in [
        "enabled = 1; $TargetDedicatedNodes = enabled ? 3 : 2;",
        "lo = 1; hi = 5; $TargetDedicatedNodes = lo < hi ? 3 : 2;",
        "lo = 1; hi = 5; x = lo > hi && lo == 1; $TargetDedicatedNodes = x ? 3 : 2;",
        "flag = 1; $TargetDedicatedNodes = time().hour > 3 && flag ? 3 : 2;",
    ] {
        let text = format!("{text}{END}");
        assert!(validate(&text, None).is_valid(), "{text}");
        let found: Vec<Code> = lints(&text)
            .into_iter()
            .filter(|c| *c == Code::ImpossibleCondition || *c == Code::ConstantCondition)
            .collect();
        assert!(found.is_empty(), "{text}: {found:?}");
    }
}

#[test]
fn a_percentage_compared_with_a_fraction_warns() {
    let text = "p = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 10);\n\
                $TargetDedicatedNodes = p < 0.7 ? 1 : 2;";
    let (d, underlined) = one(text, Code::PercentAsFraction);
    assert_eq!(underlined, "0.7");
    assert_eq!(
        d.help.as_deref(),
        Some("percentages run from 0 to 100: for 70%, write 70")
    );
    has(
        "$TargetDedicatedNodes = avg($CPUPercent.GetSample(10)) > 0.8 ? 2 : 1;",
        Code::PercentAsFraction,
    );
    has(
        "t = 0.5; $TargetDedicatedNodes = t > $PendingTasks.GetSamplePercent(TimeInterval_Minute) ? 2 : 1;",
        Code::PercentAsFraction,
    );
    // The fraction through a variable holding a constant expression.
    let (d, underlined) = one(
        "t = 7 / 10; p = $PendingTasks.GetSamplePercent(TimeInterval_Minute);\n\
         $TargetDedicatedNodes = p < t ? 2 : 1;",
        Code::PercentAsFraction,
    );
    assert_eq!(underlined, "t");
    assert!(d.message.contains("compared with 0.7"), "{d:?}");
    for text in [
        "$TargetDedicatedNodes = $PendingTasks.GetSamplePercent(TimeInterval_Minute) > 0 ? 2 : 1;",
        "$TargetDedicatedNodes = avg($PendingTasks.GetSample(10)) > 0.5 ? 2 : 1;",
        "$TargetDedicatedNodes = avg($CPUPercent.GetSample(10)) > 70 ? 2 : 1;",
    ] {
        lacks(text, Code::PercentAsFraction);
    }
}

#[test]
fn unused_variables_and_missing_targets_warn() {
    let (_, underlined) = one(
        "limit = 20;\n$TargetDedicatedNodes = 5;",
        Code::UnusedVariable,
    );
    assert_eq!(underlined, "limit");
    // Once per name, at its first assignment.
    let (d, _) = one(
        "a = 1; a = 2; $TargetDedicatedNodes = 5;",
        Code::UnusedVariable,
    );
    assert_eq!(d.span.start, 0);
    lacks("a = 1; $TargetDedicatedNodes = a;", Code::UnusedVariable);
    // A formula that sets no target reports through its variables.
    assert_eq!(lints("x = 1; y = 2;"), [Code::NoTarget]);
    let (d, _) = one("x = 1;", Code::NoTarget);
    assert!(d.message.contains("keeps its size"));
    lacks("$TargetLowPriorityNodes = 1;", Code::NoTarget);
    lacks("$TargetDedicated = 1;", Code::NoTarget);
    // A mistyped target has its own warning (BS0509); no echo.
    assert_eq!(
        codes_of("$targetDedicatedNodes = 1;"),
        [Code::LookalikeTarget]
    );
}

#[test]
fn a_single_cpu_sample_warns() {
    let text = "c = max($CPUPercent.GetSample(1));\n$TargetDedicatedNodes = c > 50 ? 2 : 1;";
    assert_eq!(
        one(text, Code::CpuSingleSample).1,
        "$CPUPercent.GetSample(1)"
    );
    lacks(
        "c = max($CPUPercent.GetSample(5)); $TargetDedicatedNodes = c;",
        Code::CpuSingleSample,
    );
    lacks(
        "c = max($PendingTasks.GetSample(1)); $TargetDedicatedNodes = c;",
        Code::CpuSingleSample,
    );
}

#[test]
fn lints_wait_until_the_errors_are_fixed() {
    // Next to an error a lint would mostly echo it.
    let all = codes_of("$TargetDedicatedNodes = max(1, $CurrentDedicatedNode);");
    assert_eq!(all, [Code::UndefinedSymbol]);
}

#[test]
fn lints_do_not_run_in_evaluation() {
    let compiled =
        CompiledFormula::new("$TargetDedicatedNodes = $CurrentDedicatedNodes - 1;").unwrap();
    assert!(
        compiled
            .diagnostics()
            .iter()
            .all(|d| !d.code.starts_with("BS06"))
    );
}

// --- enable validation: interval, length, statements ---------------------------------

#[test]
fn the_evaluation_interval_is_5_minutes_to_168_hours() {
    let f = "$TargetDedicatedNodes = 1;";
    for ok in [
        "5m", "PT5M", "15m", "PT15M", "168h", "PT168H", "7d", "P7D", "1h30m",
    ] {
        assert!(validate(f, Some(interval(ok))).is_valid(), "{ok}");
    }
    for bad in ["4m59s", "PT4M59S", "1m", "168h1s", "PT168H0.1S", "8d"] {
        let v = validate(f, Some(interval(bad)));
        assert!(!v.is_valid(), "{bad}");
        assert_eq!(v.rejection.unwrap().code, "InvalidPropertyValue");
        let d = v.diagnostics.iter().find(|d| d.is_error()).unwrap();
        assert_eq!(d.code, Code::IntervalOutOfRange);
        assert!(d.help.is_some());
    }
}

#[test]
fn the_formula_is_at_most_8192_characters() {
    let statement = "$TargetDedicatedNodes = 1;";
    let at = |n: usize| format!("{statement}//{}", "x".repeat(n - statement.len() - 2));
    assert!(validate(&at(8192), None).is_valid());
    let v = validate(&at(8193), None);
    assert_eq!(v.rejection.unwrap().code, "AutoScalingFormulaTooLong");
    assert_eq!(v.diagnostics[0].code, Code::TooLong);
    // UTF-16 code units: an astral character counts two.
    let astral = format!(
        "{statement}//{}😀",
        "x".repeat(8192 - statement.len() - 2 - 2)
    );
    assert!(validate(&astral, None).is_valid());
    let astral = format!(
        "{statement}//{}😀",
        "x".repeat(8192 - statement.len() - 2 - 1)
    );
    assert!(!validate(&astral, None).is_valid());
}

#[test]
fn the_formula_has_at_most_100_statements_not_counting_empty_ones() {
    let s = "$TargetDedicatedNodes = 1;\n";
    assert!(validate(&s.repeat(100), None).is_valid());
    let v = validate(&s.repeat(101), None);
    assert_eq!(v.rejection.unwrap().code, "InvalidAutoScalingSettings");
    let d = v.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(d.code, Code::TooManyStatements);
    assert_eq!(position(&s.repeat(101), d), (101, 1));
    // Empty statements do not count (but are warned about).
    let v = validate(&format!("{};;;", s.repeat(100)), None);
    assert!(v.is_valid());
    assert!(v.diagnostics.iter().any(|d| d.code == Code::EmptyStatement));
}

// --- the command line -----------------------------------------------------------------

#[test]
fn check_json_names_the_file_and_every_field() {
    let dir = std::env::temp_dir().join(format!("batchscale-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.formula"),
        "x = nope;\n$TargetDedicatedNodes = 1;;",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", "a.formula", "--format", "json", "--interval", "1m"])
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(1));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let list = list.as_array().unwrap();
    let undefined = list
        .iter()
        .find(|d| d["code"] == Code::UndefinedSymbol.as_str())
        .unwrap();
    assert_eq!(
        undefined,
        &serde_json::json!({
            "file": "a.formula", "severity": "error", "code": "BS0201",
            "message": "undefined symbol 'nope'", "line": 1, "column": 5,
            "endLine": 1, "endColumn": 9, "help": null
        })
    );
    assert!(
        list.iter()
            .any(|d| d["code"] == Code::IntervalOutOfRange.as_str())
    );
    let empty = list
        .iter()
        .find(|d| d["code"] == Code::EmptyStatement.as_str())
        .unwrap();
    assert_eq!((&empty["line"], &empty["column"]), (&2.into(), &27.into()));
    assert_eq!(empty["severity"], "warning");
}

#[test]
fn check_reports_a_weekend_test_through_variables_that_never_runs_and_passes() {
    // The shipped formula's shape: the weekend branch never runs. A warning: `check`
    // prints it and exits 0 (only `--deny` makes a warning fail).
    let dir = crate::common::Scratch::new();
    let file = dir.file(
        "weekend.formula",
        "lo = 1;\nhi = 5;\nw = time().weekday;\n\
         $TargetDedicatedNodes = (w < lo && w > hi) ? 0 : 2;\n\
         $NodeDeallocationOption = taskcompletion;\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", &file, "--no-config"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning[BS0606]: this condition is never true"),
        "{stderr}"
    );
    assert!(stderr.contains("weekend.formula:4:26"), "{stderr}");
    assert!(
        stderr.contains("help: 'lo' is 1 and 'hi' is 5; check the comparison operators"),
        "{stderr}"
    );
    // It is the only diagnostic, and denying it fails the check.
    assert_eq!(stderr.matches("warning[").count(), 1, "{stderr}");
    let denied = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", &file, "--no-config", "--deny", "BS0606"])
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn rendered_positions_are_the_services_lines_and_columns() {
    // A lone CR ends a line and columns count UTF-16 code units [decided], in the text
    // rendering as in JSON and the service's messages.
    let dir = std::env::temp_dir().join(format!("batchscale-cols-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.formula"),
        "a = \"😀\"; // x\rb = nope;\n$TargetDedicatedNodes = 1;",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", "a.formula"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a.formula:2:5"), "{stderr}");
    assert!(stderr.contains("a.formula:1:11"), "{stderr}");
}
