//! Printing for people (codespan-reporting, rustc style) and for scripts (JSON).

use batchscale::diagnostic::{Diagnostic, Severity};
use batchscale::engine::Evaluation;
use batchscale::syntax::span::LineIndex;
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config, termcolor};
use serde_json::json;

/// One formula's text and name, for rendering.
pub struct Files<'a> {
    file: SimpleFile<&'a str, &'a str>,
    name: &'a str,
    text: &'a str,
    lines: LineIndex,
}

impl<'a> Files<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Files<'a> {
        Files {
            file: SimpleFile::new(name, text),
            name,
            text,
            lines: LineIndex::new(text),
        }
    }
}

fn report(d: &Diagnostic) -> Report<()> {
    let base = match d.severity {
        Severity::Error => Report::error(),
        Severity::Warning => Report::warning(),
    };
    let mut r = base
        .with_message(&d.message)
        .with_labels(vec![Label::primary((), d.span.range())]);
    if !d.code.is_empty() {
        r = r.with_code(d.code);
    }
    if let Some(help) = &d.help {
        r = r.with_notes(vec![format!("help: {help}")]);
    }
    r
}

/// Renders diagnostics on standard error; colours only when asked (a terminal).
pub fn emit(files: &Files<'_>, diagnostics: &[Diagnostic], color: bool) {
    let choice = if color {
        termcolor::ColorChoice::Always
    } else {
        termcolor::ColorChoice::Never
    };
    let writer = termcolor::StandardStream::stderr(choice);
    let config = Config::default();
    for d in diagnostics {
        // Rendering errors (a span outside the text) must not hide the message itself.
        if term::emit_to_write_style(&mut writer.lock(), &config, &files.file, &report(d)).is_err()
        {
            eprintln!(
                "{}: {}: {}",
                files.name,
                severity_word(d.severity),
                d.message
            );
        }
    }
}

/// Renders diagnostics to standard output, without colour (part of a command's result).
pub fn emit_to_stdout(files: &Files<'_>, diagnostics: &[Diagnostic]) {
    let config = Config::default();
    for d in diagnostics {
        match term::emit_into_string(&config, &files.file, &report(d)) {
            Ok(text) => print!("{text}"),
            Err(_) => println!("{}: {}", files.name, d.message),
        }
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A diagnostic as `check --format json` and the JSON stderr stream print it.
pub fn json_diagnostic_value(files: &Files<'_>, d: &Diagnostic) -> serde_json::Value {
    let start = files.lines.line_col(files.text, d.span.start as usize);
    let end = files.lines.line_col(files.text, d.span.end as usize);
    json!({
        "file": files.name,
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "line": start.line,
        "column": start.column,
        "endLine": end.line,
        "endColumn": end.column,
        "help": d.help,
    })
}

pub fn json_diagnostic(files: &Files<'_>, d: &Diagnostic) -> String {
    json_diagnostic_value(files, d).to_string()
}

/// The run for a person: the timestamp, each variable and its value, and the error code.
pub fn run_table(evaluation: &Evaluation) -> String {
    let width = evaluation
        .variables
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("evaluated at {}\n", evaluation.run.timestamp);
    for (name, value) in &evaluation.variables {
        out.push_str(&format!("  {name:<width$}  {value}\n"));
    }
    match &evaluation.run.error {
        Some(error) => out.push_str(&format!("run failed: {} ({})\n", error.code, error.message)),
        None => out.push_str("run succeeded\n"),
    }
    out
}
