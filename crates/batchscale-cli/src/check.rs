//! `batchscale check`: validation as on add/enable plus the static checker, for people
//! (text) and for CI (JSON, SARIF, GitHub annotations), with `--allow`/`--deny`,
//! `batchscale.toml` and inline `// batchscale: allow(...)` comments.
//!
//! Every file is checked and reported, even when another cannot be read; a file that
//! cannot be checked (unreadable, or under a malformed configuration or allow comment)
//! makes the exit status 2 at the end. Otherwise 1 when any file has an error (denied
//! warnings included), else 0.

use std::process::ExitCode;

use batchscale::render::{self, Failure, LocatedDiagnostic, Source};
use batchscale::{DEFAULT_LAYER, Diagnostic, Interval, Judged, Origin, Policy, Selector, validate};
use clap::{Args, ValueEnum};

use crate::config::{Config, Finder};
use crate::input::{self, Input, Output};
use crate::{UsageError, out};

#[derive(Args)]
pub struct CheckArgs {
    /// Formula files, folders (walked for *.formula files), or '-' for standard input.
    #[arg(required = true, value_name = "FORMULA")]
    formulas: Vec<String>,
    /// Also validate an evaluation interval (ISO 8601 such as PT15M, or 15m).
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Let warnings pass unreported: a code (BS0608) or a group (decided, lint, run).
    /// Repeatable, or comma-separated.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    allow: Vec<Selector>,
    /// Fail on warnings: a code, a group, or `warnings` for every warning still
    /// reported. Repeatable, or comma-separated.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    deny: Vec<Selector>,
    /// Use this configuration file instead of the nearest batchscale.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<String>,
    /// Ignore batchscale.toml files.
    #[arg(long)]
    no_config: bool,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// For people: rendered diagnostics on standard error, a verdict per file on standard
    /// output.
    Text,
    /// One JSON list of diagnostics on standard output.
    Json,
    /// A SARIF 2.1.0 log on standard output (for code scanning).
    Sarif,
    /// GitHub Actions workflow commands on standard output (annotations).
    Github,
}

/// The layer of the command line's `--allow` and `--deny`.
const COMMAND_LINE: &str = "the command line";

fn parse_selector(text: &str) -> Result<Selector, String> {
    text.parse()
        .map_err(|e: batchscale::UnknownSelector| e.to_string())
}

/// What one run of check collects for the machine formats.
#[derive(Default)]
struct Report {
    /// JSON entries, diagnostics and failures in the order met.
    json: Vec<serde_json::Value>,
    located: Vec<LocatedDiagnostic>,
    failures: Vec<Failure>,
    any_error: bool,
}

pub fn run(args: CheckArgs) -> Result<ExitCode, UsageError> {
    let interval = args
        .interval
        .as_deref()
        .map(|text| Interval::parse_arg(text).map_err(|e| UsageError(format!("--interval: {e}"))))
        .transpose()?;
    if args.formulas.iter().filter(|p| *p == "-").count() > 1 {
        return Err(UsageError(
            "standard input ('-') can be read only once".to_string(),
        ));
    }
    // The command line's settings must apply on their own.
    Policy::default()
        .apply(COMMAND_LINE, &args.allow, &args.deny)
        .map_err(|e| UsageError(format!("--allow/--deny: {e}")))?;
    let mut finder = Finder::default();
    let explicit = match &args.config {
        Some(path) => {
            Some(Config::read(std::path::Path::new(path)).map_err(|e| UsageError(e.to_string()))?)
        }
        None => None,
    };
    let mut report = Report::default();
    let mut reported_configs = std::collections::HashSet::new();
    for item in input::expand(&args.formulas, args.output.quiet) {
        let path = match item {
            Input::Path(path) => path,
            Input::Unreadable { path, message } => {
                fail(&mut report, &args, path, None, message);
                continue;
            }
        };
        let formula = match input::read_formula(&path) {
            Ok(formula) => formula,
            Err(UsageError(message)) => {
                let file = if path == "-" {
                    "<stdin>".to_string()
                } else {
                    path
                };
                fail(&mut report, &args, file, None, message);
                continue;
            }
        };
        let config = if args.no_config {
            None
        } else if let Some(config) = &explicit {
            Some(config.clone())
        } else {
            match finder.for_formula(&path) {
                None => None,
                Some(Ok(config)) => Some(config),
                Some(Err(e)) => {
                    if reported_configs.insert(e.path.clone()) {
                        fail(&mut report, &args, e.path.clone(), e.at, e.message.clone());
                    }
                    fail(
                        &mut report,
                        &args,
                        formula.name.clone(),
                        None,
                        format!("not checked: {} is invalid", e.path),
                    );
                    continue;
                }
            }
        };
        check_one(&args, &mut report, &formula, config.as_ref(), interval);
    }
    match args.format {
        CheckFormat::Json => out(&format!("{}\n", serde_json::Value::Array(report.json))),
        CheckFormat::Sarif => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&render::sarif(
                &report.located,
                &report.failures,
                env!("CARGO_PKG_VERSION"),
            ))
            .expect("a SARIF log is JSON")
        )),
        CheckFormat::Text | CheckFormat::Github => {}
    }
    Ok(ExitCode::from(if !report.failures.is_empty() {
        2
    } else if report.any_error {
        1
    } else {
        0
    }))
}

/// Records a file that could not be checked, and prints it now where the format prints
/// as it goes.
fn fail(
    report: &mut Report,
    args: &CheckArgs,
    file: String,
    at: Option<(usize, usize)>,
    message: String,
) {
    let failure = Failure { file, at, message };
    match args.format {
        // The SARIF log goes to a file for code scanning; the CI log says it too.
        CheckFormat::Text | CheckFormat::Sarif => {
            let at = failure
                .at
                .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
            // A message that already names the file is not prefixed with it again.
            if failure.message.contains(&failure.file) && failure.at.is_none() {
                eprintln!("batchscale: error: {}", failure.message);
            } else {
                eprintln!(
                    "batchscale: error: {}{at}: {}",
                    failure.file, failure.message
                );
            }
        }
        CheckFormat::Github => out(&format!("{}\n", render::github_failure(&failure))),
        CheckFormat::Json => report.json.push(serde_json::json!({
            "code": null,
            "column": failure.at.map(|a| a.1),
            "endColumn": null,
            "endLine": null,
            "file": failure.file,
            "help": null,
            "line": failure.at.map(|a| a.0),
            "message": failure.message,
            "severity": "error",
        })),
    }
    report.failures.push(failure);
}

fn check_one(
    args: &CheckArgs,
    report: &mut Report,
    formula: &input::Formula,
    config: Option<&Config>,
    cli_interval: Option<Interval>,
) {
    let name = &formula.name;
    let text = &formula.text;
    let mut policy = Policy::default();
    if let Some(config) = config {
        policy
            .apply(&config.path, &config.allow, &config.deny)
            .expect("a configuration's settings were checked when it was read");
    }
    policy
        .apply(COMMAND_LINE, &args.allow, &args.deny)
        .expect("the command line's settings were checked first");
    let interval = cli_interval.or(config.and_then(|c| c.interval));
    let validation = validate(text, interval);
    let judged = match policy.judge(text, validation.diagnostics) {
        Ok(judged) => judged,
        Err(errors) => {
            let source = Source::new(name, text);
            for e in errors {
                let at = source.position(e.span.start as usize);
                fail(
                    report,
                    args,
                    name.clone(),
                    Some((at.line, at.column)),
                    format!("{e}; the file was not checked"),
                );
            }
            return;
        }
    };
    let judged: Vec<Judged> = judged
        .into_iter()
        .filter(|j| !args.output.quiet || j.diagnostic.is_error())
        .collect();
    let errors = judged.iter().filter(|j| j.diagnostic.is_error()).count();
    let warnings = judged.len() - errors;
    report.any_error |= errors > 0;
    let source = Source::new(name, text);
    match args.format {
        CheckFormat::Text => {
            let notes: Vec<Option<String>> = judged
                .iter()
                .map(|j| j.denied_by.as_ref().map(note))
                .collect();
            let noted: Vec<(&Diagnostic, Option<&str>)> = judged
                .iter()
                .zip(&notes)
                .map(|(j, n)| (&j.diagnostic, n.as_deref()))
                .collect();
            eprint!(
                "{}",
                source.render_noted(&noted, args.output.stderr_color())
            );
            if !args.output.quiet {
                let invalid = judged
                    .iter()
                    .any(|j| j.diagnostic.is_error() && j.denied_by.is_none());
                let verdict = if invalid {
                    "invalid"
                } else if errors > 0 {
                    "failed"
                } else {
                    "valid"
                };
                out(&format!(
                    "{name}: {verdict} ({errors} error{}, {warnings} warning{})\n",
                    plural(errors),
                    plural(warnings)
                ));
            }
        }
        CheckFormat::Json => report.json.extend(judged.iter().map(|j| {
            serde_json::to_value(source.locate(&j.diagnostic))
                .expect("a located diagnostic is JSON")
        })),
        CheckFormat::Sarif => report
            .located
            .extend(judged.iter().map(|j| source.locate(&j.diagnostic))),
        CheckFormat::Github => {
            for j in &judged {
                out(&format!(
                    "{}\n",
                    render::github(&source.locate(&j.diagnostic))
                ));
            }
        }
    }
}

/// Why a warning was denied, for the text rendering.
fn note(origin: &Origin) -> String {
    let selector = origin.selector;
    if origin.layer == DEFAULT_LAYER {
        format!(
            "{selector} is denied by default: the assignment sets nothing; `--allow {selector}` \
             lets it pass"
        )
    } else if origin.layer == COMMAND_LINE {
        format!("denied by `--deny {selector}`")
    } else {
        format!("denied by `deny = [\"{selector}\"]` in {}", origin.layer)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
