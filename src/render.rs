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
use crate::syntax::span::{LineCol, LineIndex};

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

    /// The line and column (UTF-16 units, from 1) of a byte offset in the text.
    pub fn position(&self, offset: usize) -> LineCol {
        self.lines.line_col(self.text, offset)
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
        let noted: Vec<(&Diagnostic, Option<&str>)> =
            diagnostics.iter().map(|d| (d, None)).collect();
        self.render_noted(&noted, color)
    }

    /// As [`Source::render`], each diagnostic with a note after its help where one is
    /// given (such as why a warning was denied).
    pub fn render_noted(&self, diagnostics: &[(&Diagnostic, Option<&str>)], color: bool) -> String {
        let mut out = String::new();
        for &(d, note) in diagnostics {
            let mut report = report(d);
            if let Some(note) = note {
                report.notes.push(format!("note: {note}"));
            }
            match self.render_report(&report, color) {
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

/// A file that could not be checked (unreadable, or under a malformed configuration): the
/// machine formats report it beside the diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file it concerns (a formula, or the configuration file at fault).
    pub file: String,
    /// Where in that file, when known: line and column from 1.
    pub at: Option<(usize, usize)>,
    /// What went wrong, in one sentence.
    pub message: String,
}

/// The diagnostics of a check as a SARIF 2.1.0 log (one run of the tool `batchscale`),
/// for code scanning. Columns are UTF-16 code units, SARIF's default `columnKind`. Each
/// code that occurs is a rule, with its summary and its documentation as help; files that
/// could not be checked are tool execution notifications, and make the invocation
/// unsuccessful.
///
/// ```
/// use batchscale::render::{Source, sarif};
///
/// let text = "$TargetDedicatedNodes = nope;";
/// let source = Source::new("pool.formula", text);
/// let located: Vec<_> = batchscale::validate(text, None)
///     .diagnostics
///     .iter()
///     .map(|d| source.locate(d))
///     .collect();
/// let log = sarif(&located, &[], "0.1.0");
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["results"][0]["ruleId"], "BS0201");
/// ```
pub fn sarif(
    diagnostics: &[LocatedDiagnostic],
    failures: &[Failure],
    tool_version: &str,
) -> serde_json::Value {
    use serde_json::json;
    let mut codes: Vec<Code> = diagnostics
        .iter()
        .filter_map(|d| Code::from_text(&d.code))
        .collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": format!("{code:?}"),
                "shortDescription": {"text": code.summary()},
                "fullDescription": {"text": code.summary()},
                "help": {"text": code.documentation(), "markdown": code.documentation()},
                "defaultConfiguration": {"level": sarif_level(code.severity())},
                "properties": {"group": code.group().name()},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let mut location = json!({"artifactLocation": {"uri": sarif_uri(&d.file)}});
            // A diagnostic with no place in the formula (an `--interval` out of range)
            // is about the file as a whole: no region.
            if let (Some(line), Some(column), Some(end_line), Some(end_column)) =
                (d.line, d.column, d.end_line, d.end_column)
            {
                location["region"] = json!({
                    "startLine": line,
                    "startColumn": column,
                    "endLine": end_line,
                    "endColumn": end_column,
                });
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": sarif_level(d.severity),
                "message": {"text": message},
                "locations": [{"physicalLocation": location}],
            });
            if let Some(index) = codes.iter().position(|c| *c == d.code.as_str()) {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    let notifications: Vec<serde_json::Value> = failures
        .iter()
        .map(|f| {
            let mut location = json!({"artifactLocation": {"uri": sarif_uri(&f.file)}});
            if let Some((line, column)) = f.at {
                location["region"] = json!({"startLine": line, "startColumn": column});
            }
            json!({
                "level": "error",
                "message": {"text": f.message},
                "locations": [{"physicalLocation": location}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "batchscale",
                "version": tool_version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A path as a URI reference: forward slashes, and every byte outside RFC 3986's
/// unreserved characters and `/` percent-encoded (a dozen lines; no URL crate in the
/// engine for it). An absolute path becomes a `file://` URI.
fn sarif_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let (mut out, rest) = if let Some(rest) = path.strip_prefix('/') {
        ("file:///".to_string(), rest)
    } else if path.as_bytes().get(1) == Some(&b':') && path.as_bytes()[0].is_ascii_alphabetic() {
        (format!("file:///{}", &path[..2]), &path[2..])
    } else {
        (String::new(), path.as_str())
    };
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A diagnostic as a GitHub Actions workflow command: an annotation on the file's line in
/// a pull request (`::error file=...,line=...::message`).
///
/// ```
/// use batchscale::render::{Source, github};
///
/// let text = "$TargetDedicatedNodes = nope;";
/// let d = &batchscale::validate(text, None).diagnostics[0];
/// let line = github(&Source::new("pool.formula", text).locate(d));
/// assert!(line.starts_with("::error title=BS0201,file=pool.formula,line=1,col=25,"));
/// ```
pub fn github(d: &LocatedDiagnostic) -> String {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut properties = format!(
        "title={},file={}",
        github_property(&d.code),
        github_property(&d.file)
    );
    // A diagnostic with no place in the formula is an annotation on the whole file.
    if let (Some(line), Some(column), Some(end_line), Some(end_column)) =
        (d.line, d.column, d.end_line, d.end_column)
    {
        properties.push_str(&format!(
            ",line={line},col={column},endLine={end_line},endColumn={end_column}"
        ));
    }
    format!(
        "::{} {properties}::{}",
        severity_word(d.severity),
        github_data(&message)
    )
}

/// A failure (a file that could not be checked) as a GitHub Actions error annotation.
pub fn github_failure(f: &Failure) -> String {
    let mut properties = format!("file={}", github_property(&f.file));
    if let Some((line, column)) = f.at {
        properties.push_str(&format!(",line={line},col={column}"));
    }
    format!(
        "::error title=batchscale,{properties}::{}",
        github_data(&f.message)
    )
}

/// The escapes of a workflow command's message.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The escapes of a workflow command's property value.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
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
        // SARIF and GitHub annotations: on the file, with no region or line.
        let log = sarif(std::slice::from_ref(&record), &[], "0");
        let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert!(location.get("region").is_none(), "{location}");
        assert_eq!(location["artifactLocation"]["uri"], "a.formula");
        let annotation = github(&record);
        assert!(
            annotation.starts_with("::error title=BS0003,file=a.formula::"),
            "{annotation}"
        );
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
