//! Diagnostics for people and for programs (the `render` feature): the plain text the
//! command line prints (rustc's style, by codespan-reporting, with colours if asked), and
//! a located record (file, lines and columns, code, severity, message, help) that
//! `check --format json`, a server or a binding serialise.
//!
//! ```
//! use batchscale::render::Source;
//!
//! let text = "$TargetDedicatedNodes = max(0, $Pending);";
//! let source = Source::new("pool.formula", text);
//! let diagnostics = batchscale::validate(text, None).diagnostics;
//! let located = source.locate(&diagnostics[0]);
//! assert_eq!((located.code.as_str(), located.line, located.column), ("BS0201", Some(1), Some(32)));
//! assert!(source.render(&diagnostics, false).starts_with("error[BS0201]: undefined symbol"));
//! ```
//!
//! Lines end at LF, CRLF or a lone CR and columns count UTF-16 code units, as the service
//! counts them \[decided\]: the text rendering, the located record and the service's
//! `Line L, Col C` agree.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{self, Location};
use codespan_reporting::term::{self, Config, termcolor};
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::engine::Evaluation;
use crate::syntax::span::LineIndex;

/// A formula's text and the name to show for it (a path, `<stdin>`): what diagnostics
/// are located and rendered in.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    name: &'a str,
    text: &'a str,
    lines: LineIndex,
}

/// A diagnostic located in its file: what `batchscale check --format json` prints, one
/// record per diagnostic.
///
/// The fields are declared in the order of their JSON names, so that a record serialises
/// with its keys sorted, as a `serde_json::Value` of it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LocatedDiagnostic {
    /// The code, such as `BS0601`.
    pub code: String,
    /// The column of the start, from 1, in UTF-16 code units; `None` (`null`) for a
    /// diagnostic with no place in the formula (an `--interval` out of range).
    pub column: Option<usize>,
    /// The column of the end (just past the last character).
    pub end_column: Option<usize>,
    /// The line of the end.
    pub end_line: Option<usize>,
    /// The name of the file.
    pub file: String,
    /// How to fix it, where known.
    pub help: Option<String>,
    /// The line of the start, from 1.
    pub line: Option<usize>,
    /// One lower-case sentence.
    pub message: String,
    /// `error` or `warning`.
    pub severity: Severity,
}

impl<'a> Source<'a> {
    /// A formula's text with the name to show for it.
    pub fn new(name: &'a str, text: &'a str) -> Source<'a> {
        Source {
            name,
            text,
            lines: LineIndex::new(text),
        }
    }

    /// The name shown for the text.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Where a diagnostic lies, as a record to serialise.
    pub fn locate(&self, d: &Diagnostic) -> LocatedDiagnostic {
        let placed = has_place(d);
        let at = |offset: u32| placed.then(|| self.lines.line_col(self.text, offset as usize));
        let (start, end) = (at(d.span.start), at(d.span.end));
        LocatedDiagnostic {
            code: d.code.to_string(),
            column: start.map(|p| p.column),
            end_column: end.map(|p| p.column),
            end_line: end.map(|p| p.line),
            file: self.name.to_string(),
            help: d.help.clone(),
            line: start.map(|p| p.line),
            message: d.message.clone(),
            severity: d.severity,
        }
    }

    /// The diagnostics as text for a person: code, message, `file:line:column`, the
    /// source with the part underlined, the help. With `color`, ANSI colours.
    pub fn render(&self, diagnostics: &[Diagnostic], color: bool) -> String {
        let mut out = String::new();
        for d in diagnostics {
            match self.render_report(&report(d), color) {
                Some(text) => out.push_str(&text),
                // A span outside the text must not hide the message itself.
                None => out.push_str(&format!(
                    "{}: {}: {}\n",
                    self.name,
                    severity_word(d.severity),
                    d.message
                )),
            }
        }
        out
    }

    /// The error that ended a run, as text, with the failing part underlined: the code
    /// and `Message` of the AutoScaleRun's error, without a diagnostic code. `None` when
    /// the run had no error.
    pub fn render_run_error(&self, evaluation: &Evaluation) -> Option<String> {
        let (error, span) = (evaluation.run.error.as_ref()?, evaluation.error_span?);
        let detail = error.values.first().map_or("", |v| v.value.as_str());
        let message = format!("{}: {detail}", error.code);
        let report = Report::error()
            .with_message(&message)
            .with_labels(vec![Label::primary((), span.range())]);
        Some(
            self.render_report(&report, false)
                .unwrap_or_else(|| format!("{}: {message}\n", self.name)),
        )
    }

    fn render_report(&self, report: &Report<()>, color: bool) -> Option<String> {
        let config = Config::default();
        let files = Files(self);
        if !color {
            return term::emit_into_string(&config, &files, report).ok();
        }
        let mut out = termcolor::Ansi::new(Vec::new());
        term::emit_to_write_style(&mut out, &config, &files, report).ok()?;
        String::from_utf8(out.into_inner()).ok()
    }
}

/// The formula as codespan sees it, with the service's lines and columns.
struct Files<'s, 'a>(&'s Source<'a>);

impl<'s> files::Files<'s> for Files<'s, '_> {
    type FileId = ();
    type Name = &'s str;
    type Source = &'s str;

    fn name(&'s self, (): ()) -> Result<&'s str, files::Error> {
        Ok(self.0.name)
    }

    fn source(&'s self, (): ()) -> Result<&'s str, files::Error> {
        Ok(self.0.text)
    }

    fn line_index(&'s self, (): (), byte_index: usize) -> Result<usize, files::Error> {
        Ok(self.0.lines.line_col(self.0.text, byte_index).line - 1)
    }

    fn line_range(&'s self, (): (), line_index: usize) -> Result<Range<usize>, files::Error> {
        let count = self.0.lines.line_count();
        if line_index >= count {
            return Err(files::Error::LineTooLarge {
                given: line_index,
                max: count - 1,
            });
        }
        Ok(self.0.lines.line_range(self.0.text, line_index + 1))
    }

    fn location(&'s self, (): (), byte_index: usize) -> Result<Location, files::Error> {
        let at = self.0.lines.line_col(self.0.text, byte_index);
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
    let labels = if !has_place(d) {
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

/// Whether a diagnostic is about a place in the formula: an `--interval` out of range is
/// not (language.md section 9.1: it has no line or column).
fn has_place(d: &Diagnostic) -> bool {
    d.code != Code::IntervalOutOfRange
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_located_record_serialises_with_sorted_keys() {
        let text = "x = 1;\n$TargetDedicatedNodes = nope;";
        let source = Source::new("a.formula", text);
        let diagnostics = crate::validate(text, None).diagnostics;
        let record = source.locate(&diagnostics[0]);
        let json = serde_json::to_string(&record).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json, value.to_string());
        assert_eq!((record.line, record.column), (Some(2), Some(25)));
        assert_eq!((record.end_line, record.end_column), (Some(2), Some(29)));
        let back: LocatedDiagnostic = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
    }

    /// Section 9.1: an `--interval` problem has no place in the formula, so its record
    /// has no line or column (`null`), and its text no source excerpt.
    #[test]
    fn an_interval_diagnostic_has_no_line_or_column() {
        let text = "$TargetDedicatedNodes = 1;";
        let source = Source::new("a.formula", text);
        let interval = crate::Interval(60 * 10_000_000);
        let diagnostics = crate::validate(text, Some(interval)).diagnostics;
        let record = source.locate(&diagnostics[0]);
        assert_eq!(record.code, "BS0003");
        assert_eq!((record.line, record.column), (None, None));
        assert_eq!((record.end_line, record.end_column), (None, None));
        let json: serde_json::Value = serde_json::to_value(&record).unwrap();
        assert!(json["line"].is_null() && json["column"].is_null(), "{json}");
        let rendered = source.render(&diagnostics, false);
        assert!(!rendered.contains("a.formula:"), "{rendered}");
    }

    #[test]
    fn colours_only_when_asked() {
        let text = "x = nope;";
        let source = Source::new("a.formula", text);
        let diagnostics = crate::validate(text, None).diagnostics;
        assert!(!source.render(&diagnostics, false).contains('\u{1b}'));
        assert!(source.render(&diagnostics, true).contains('\u{1b}'));
    }
}
