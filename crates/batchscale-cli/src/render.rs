//! Printing for people (rustc style, with colours on a terminal) and for scripts (JSON):
//! the library's `render` module, and the run as a table.

use batchscale::render::Source;
use batchscale::{Diagnostic, Evaluation};

/// One formula's text and name, for rendering.
pub struct Files<'a> {
    source: Source<'a>,
}

impl<'a> Files<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Files<'a> {
        Files {
            source: Source::new(name, text),
        }
    }
}

/// Renders diagnostics on standard error; colours only when asked (a terminal).
pub fn emit(files: &Files<'_>, diagnostics: &[Diagnostic], color: bool) {
    eprint!("{}", files.source.render(diagnostics, color));
}

/// The error that ended a run, with the failing part underlined, as plain text.
pub fn run_error(files: &Files<'_>, evaluation: &Evaluation) -> String {
    files
        .source
        .render_run_error(evaluation)
        .unwrap_or_default()
}

/// A diagnostic as `check --format json` and the JSON stderr stream print it.
pub fn json_diagnostic_value(files: &Files<'_>, d: &Diagnostic) -> serde_json::Value {
    serde_json::to_value(files.source.locate(d)).expect("a located diagnostic is JSON")
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
