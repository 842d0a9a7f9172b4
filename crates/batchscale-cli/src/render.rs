//! Printing for people (codespan-reporting, rustc style) and for scripts (JSON).

use std::ops::Range;

use batchscale::diagnostic::{Code, Diagnostic, Severity};
use batchscale::engine::Evaluation;
use batchscale::syntax::span::LineIndex;
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{self as cfiles, Location};
use codespan_reporting::term::{self, Config, termcolor};
use serde_json::json;

/// One formula's text and name, for rendering.
pub struct Files<'a> {
    name: &'a str,
    text: &'a str,
    lines: LineIndex,
}

impl<'a> Files<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Files<'a> {
        Files {
            name,
            text,
            lines: LineIndex::new(text),
        }
    }
}

/// The formula as codespan sees it, with the service's lines and columns: a line ends at
/// LF, CRLF or a lone CR, and columns count UTF-16 code units [decided], so the
/// `file:line:column` of the rendering agrees with `--format json` and with the service's
/// `Line L, Col C`.
impl<'a> cfiles::Files<'a> for Files<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, cfiles::Error> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, cfiles::Error> {
        Ok(self.text)
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, cfiles::Error> {
        Ok(self.lines.line_col(self.text, byte_index).line - 1)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, cfiles::Error> {
        let count = self.lines.line_count();
        if line_index >= count {
            return Err(cfiles::Error::LineTooLarge {
                given: line_index,
                max: count - 1,
            });
        }
        Ok(self.lines.line_range(self.text, line_index + 1))
    }

    fn location(&'a self, (): (), byte_index: usize) -> Result<Location, cfiles::Error> {
        let at = self.lines.line_col(self.text, byte_index);
        Ok(Location {
            line_number: at.line,
            column_number: at.column,
        })
    }
}

fn report(d: &Diagnostic) -> Report<()> {
    let base = match d.severity {
        Severity::Error => Report::error(),
        Severity::Warning => Report::warning(),
    };
    // The evaluation interval is not in the formula: no source excerpt to show.
    let labels = if d.code == Code::IntervalOutOfRange {
        Vec::new()
    } else {
        vec![Label::primary((), d.span.range())]
    };
    let mut r = base.with_message(&d.message).with_labels(labels);
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
        if term::emit_to_write_style(&mut writer.lock(), &config, files, &report(d)).is_err() {
            eprintln!(
                "{}: {}: {}",
                files.name,
                severity_word(d.severity),
                d.message
            );
        }
    }
}

/// Renders diagnostics as plain text (no colour), for a command's own output.
pub fn render_plain(files: &Files<'_>, diagnostics: &[Diagnostic]) -> String {
    let config = Config::default();
    let mut text = String::new();
    for d in diagnostics {
        match term::emit_into_string(&config, files, &report(d)) {
            Ok(rendered) => text.push_str(&rendered),
            Err(_) => text.push_str(&format!("{}: {}\n", files.name, d.message)),
        }
    }
    text
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
        .variables()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("evaluated at {}\n", evaluation.run.timestamp);
    for (name, value) in evaluation.variables() {
        out.push_str(&format!("  {name:<width$}  {value}\n"));
    }
    match &evaluation.run.error {
        Some(error) => out.push_str(&format!("run failed: {} ({})\n", error.code, error.message)),
        None => out.push_str("run succeeded\n"),
    }
    out
}
