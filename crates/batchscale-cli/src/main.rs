//! `batchscale`: evaluate and check Azure Batch autoscale formulas offline.
//!
//! A thin shell over the library: argument parsing, reading files, printing. Exit status
//! 0: valid and (for `eval`) the run had no error; 1: the formula was rejected, failed
//! `check`, or its run ended with an error (for `fmt`: has syntax errors, or with
//! `--check` is not formatted); 2: the command itself could not run.

mod render;
mod serve;
mod simulate;

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use batchscale::{CompiledFormula, Diagnostic, Interval, Severity, Snapshot, Timestamp, validate};
use clap::{Parser, Subcommand, ValueEnum};

/// Formula files larger than this are refused before reading them whole: a formula has
/// at most 8192 characters, so anything this large is not one.
const MAX_FORMULA_FILE_BYTES: u64 = 1 << 20;

#[derive(Parser)]
#[command(
    name = "batchscale",
    version,
    about = "Evaluate and check Azure Batch autoscale formulas offline",
    long_about = "Evaluate and check Azure Batch autoscale formulas offline, with the service's \
                  results, error codes and messages.\n\nExit status: 0 valid (and the run had no \
                  error), 1 the formula was rejected, failed check, or its run ended with an \
                  error, 2 the command could not run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a formula against a pool snapshot, as evaluate_auto_scale does.
    Eval {
        /// The formula file, or '-' for standard input.
        formula: String,
        /// The pool snapshot (JSON); without it, an empty pool with no samples.
        #[arg(long, value_name = "SNAPSHOT.json")]
        pool: Option<String>,
        /// The evaluation instant (RFC 3339); overrides the snapshot's evaluationTime.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Validate formulas as enable_auto_scale does, plus the static checker.
    Check {
        /// Formula files, or '-' for standard input.
        #[arg(required = true)]
        formulas: Vec<String>,
        /// Also validate an evaluation interval (ISO 8601 such as PT15M, or 15m).
        #[arg(long, value_name = "DURATION")]
        interval: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a formula in the canonical layout, comments kept.
    Fmt {
        /// The formula file, or '-' for standard input.
        formula: String,
        /// Print nothing; exit 1 if formatting would change the formula.
        #[arg(long)]
        check: bool,
    },
    Simulate(simulate::SimulateArgs),
    #[command(about = "Emulate the Azure Batch pool API locally (azure-batch SDKs run unchanged)")]
    Serve(serve::ServeArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Why the command itself could not run (exit status 2).
struct UsageError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval {
            formula,
            pool,
            at,
            format,
        } => eval(&formula, pool.as_deref(), at.as_deref(), format),
        Command::Check {
            formulas,
            interval,
            format,
        } => check(&formulas, interval.as_deref(), format),
        Command::Fmt { formula, check } => fmt(&formula, check),
        Command::Simulate(args) => Ok(simulate::run(args)),
        Command::Serve(args) => return serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("batchscale: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn eval(
    formula_path: &str,
    pool: Option<&str>,
    at: Option<&str>,
    format: Format,
) -> Result<ExitCode, UsageError> {
    let (name, text) = read_formula(formula_path)?;
    let mut snapshot = match pool {
        Some(path) => {
            if path == "-" && formula_path == "-" {
                return Err(UsageError(
                    "the formula and the snapshot cannot both be read from standard input"
                        .to_string(),
                ));
            }
            let (snapshot_name, json) = read_text(path, None)?;
            Snapshot::from_json(&json, &snapshot_name).map_err(|e| UsageError(e.to_string()))?
        }
        None => Snapshot::default(),
    };
    if let Some(at) = at {
        let now = Timestamp::parse_rfc3339(at).map_err(|e| UsageError(format!("--at: {e}")))?;
        snapshot.evaluation_time = Some(now);
    }
    let files = render::Files::new(&name, &text);
    let compiled = match CompiledFormula::new(&text) {
        Ok(c) => c,
        Err(rejection) => {
            match format {
                Format::Json => {
                    out(&format!("{}\n", to_json(&rejection.error)));
                    for d in &rejection.diagnostics {
                        eprintln!("{}", render::json_diagnostic(&files, d));
                    }
                }
                Format::Text => {
                    out(&format!("rejected: {}\n", rejection.error));
                    render::emit(&files, &rejection.diagnostics, color());
                }
            }
            return Ok(ExitCode::from(1));
        }
    };
    let evaluation = compiled.evaluate(&snapshot);
    let warnings: Vec<&Diagnostic> = evaluation.warnings.iter().collect();
    match format {
        Format::Json => {
            out(&format!("{}\n", to_json(&evaluation.run)));
            for d in warnings {
                eprintln!("{}", render::json_diagnostic(&files, d));
            }
        }
        Format::Text => {
            out(&render::run_table(&evaluation));
            out(&render::run_error(&files, &evaluation));
            render::emit(&files, &evaluation.warnings, color());
        }
    }
    Ok(ExitCode::from(if evaluation.run.error.is_some() {
        1
    } else {
        0
    }))
}

fn check(paths: &[String], interval: Option<&str>, format: Format) -> Result<ExitCode, UsageError> {
    let interval = interval
        .map(|text| Interval::parse_arg(text).map_err(|e| UsageError(format!("--interval: {e}"))))
        .transpose()?;
    if paths.iter().filter(|p| *p == "-").count() > 1 {
        return Err(UsageError(
            "standard input ('-') can be read only once".to_string(),
        ));
    }
    // Read every file first, so a missing file is a usage error before anything prints.
    let mut inputs = Vec::new();
    for path in paths {
        inputs.push(read_formula(path)?);
    }
    let mut all_valid = true;
    let mut json_items = Vec::new();
    let say = |line: String| out(&line);
    for (name, text) in &inputs {
        let validation = validate(text, interval);
        all_valid &= validation.is_valid();
        let files = render::Files::new(name, text);
        match format {
            Format::Json => json_items.extend(
                validation
                    .diagnostics
                    .iter()
                    .map(|d| render::json_diagnostic_value(&files, d)),
            ),
            Format::Text => {
                render::emit(&files, &validation.diagnostics, color());
                let errors = count(&validation.diagnostics, Severity::Error);
                let warnings = count(&validation.diagnostics, Severity::Warning);
                let verdict = if validation.is_valid() {
                    "valid"
                } else {
                    "invalid"
                };
                say(format!(
                    "{name}: {verdict} ({errors} error{}, {warnings} warning{})\n",
                    plural(errors),
                    plural(warnings)
                ));
            }
        }
    }
    if format == Format::Json {
        say(format!("{}\n", serde_json::Value::Array(json_items)));
    }
    Ok(ExitCode::from(if all_valid { 0 } else { 1 }))
}

/// `fmt`: the formatted formula on standard output (nothing with `--check`); exit 1 if
/// it has syntax errors, or with `--check` if formatting would change it.
fn fmt(path: &str, check: bool) -> Result<ExitCode, UsageError> {
    let (name, text) = read_formula(path)?;
    let formatted = match batchscale::format_formula(&text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            render::emit(&render::Files::new(&name, &text), &diagnostics, color());
            return Ok(ExitCode::from(1));
        }
    };
    let length = batchscale::formula_length(&formatted);
    if length > batchscale::MAX_FORMULA_LENGTH {
        eprintln!(
            "batchscale: warning: the formatted formula is {length} characters long; the service takes at most {}",
            batchscale::MAX_FORMULA_LENGTH
        );
    }
    if check {
        if formatted != text {
            eprintln!("{name}: not formatted");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A reader that stops early (`| head`) is not an error.
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, formatted.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout))
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(UsageError(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Writes to standard output. A reader that stops early (`| head`) or a closed standard
/// output is not an error of ours: the exit status still tells the outcome.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout));
}

fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("the output types serialise to JSON")
}

fn read_formula(path: &str) -> Result<(String, String), UsageError> {
    read_text(path, Some(MAX_FORMULA_FILE_BYTES))
}

/// Reads a file (or standard input for `-`) as UTF-8 text, with the name to show for it.
fn read_text(path: &str, limit: Option<u64>) -> Result<(String, String), UsageError> {
    let (name, bytes) = if path == "-" {
        let mut bytes = Vec::new();
        let stdin = std::io::stdin();
        let mut reader = stdin.lock().take(limit.map_or(u64::MAX, |l| l + 1));
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
        ("<stdin>".to_string(), bytes)
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p)
            .map_err(|e| UsageError(format!("cannot read '{path}': {}", io_reason(&e))))?;
        if meta.is_dir() {
            return Err(UsageError(format!("'{path}' is a directory, not a file")));
        }
        if let Some(limit) = limit
            && meta.len() > limit
        {
            return Err(UsageError(format!(
                "'{path}' is {} bytes; a formula file must be at most {limit} bytes (a formula has at most 8192 characters)",
                meta.len()
            )));
        }
        let bytes = std::fs::read(p)
            .map_err(|e| UsageError(format!("cannot read '{path}': {}", io_reason(&e))))?;
        (path.to_string(), bytes)
    };
    if let Some(limit) = limit
        && bytes.len() as u64 > limit
    {
        return Err(UsageError(format!(
            "{name} is more than {limit} bytes; a formula has at most 8192 characters"
        )));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err(UsageError(format!(
                "{name} is not UTF-8 text (invalid byte 0x{:02x} at byte offset {at})",
                e.as_bytes()[at]
            )))
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
