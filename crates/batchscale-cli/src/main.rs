//! `batchscale`: evaluate and check Azure Batch autoscale formulas offline.
//!
//! A thin shell over the library: argument parsing, reading files, printing. Exit status
//! 0: valid and (for `eval`) the run had no error; 1: the formula was rejected, failed
//! `check`, or its run ended with an error (for `fmt`: has syntax errors, or with
//! `--check` is not formatted); 2: the command itself could not run.

mod check;
mod config;
mod explain;
mod fmt;
mod input;
mod render;
mod serve;
mod simulate;

use std::process::ExitCode;

use batchscale::{CompiledFormula, Diagnostic, Snapshot, Timestamp};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::input::Output;

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
        /// Say why the run came out as it did: each statement's value or error, each sampled
        /// metric's window and the samples in it.
        ///
        /// Each statement with its value or error; statements after an error or stop() are
        /// listed as not run. Under it, each call of a sampled metric's method: the window
        /// (from, to], the samples found in it (how many, the first and the last), the
        /// percent covered and the percent required, and the runs of slots (one sampling
        /// period each, 30 seconds by default) that hold no sample. As text it follows the
        /// run; with --format json it is an "explain" key after the AutoScaleRun's keys,
        /// which are printed as without --explain.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Validate formulas as enable_auto_scale does, plus the static checker.
    ///
    /// Settings come from the nearest batchscale.toml (the formula's folder or a parent:
    /// interval, allow, deny), then the command line, then `// batchscale: allow(CODE)`
    /// comments on a line or the line before it; `--deny warnings` fails on every warning
    /// still reported. A look-alike of a target (BS0509) is denied by default.
    Check(check::CheckArgs),
    /// Print formulas in the canonical layout, comments kept; check or rewrite them.
    Fmt(fmt::FmtArgs),
    /// Print the documentation of a diagnostic code (as docs/diagnostics.md has it), or
    /// the codes of a group.
    Explain {
        /// A code such as BS0601, or a group: limits, syntax, names, types, decided, lint,
        /// run.
        code: String,
    },
    /// Print a shell's completion script on standard output.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) on standard output: `batchscale man > batchscale.1`, or a
    /// command's (`batchscale man check`); `--out DIR` writes every page into DIR.
    Man {
        /// A command whose page to print, such as check.
        command: Option<String>,
        /// Write every page (batchscale.1, batchscale-check.1, ...) into this folder.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out: Option<std::path::PathBuf>,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
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
            explain,
            output,
        } => eval(
            &formula,
            pool.as_deref(),
            at.as_deref(),
            format,
            explain,
            output,
        ),
        Command::Check(args) => check::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Explain { code } => explain(&code),
        Command::Completions { shell } => {
            completions(shell);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { command, out } => man(command.as_deref(), out.as_deref()),
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

/// `explain CODE`: the code's section of docs/diagnostics.md; `explain GROUP`: the group's
/// codes with their summaries.
fn explain(word: &str) -> Result<ExitCode, UsageError> {
    match word.parse::<batchscale::Selector>() {
        Ok(batchscale::Selector::Code(code)) => out(&format!("{}\n", code.documentation())),
        Ok(batchscale::Selector::Group(group)) => {
            let mut text = format!("{group} ({}):\n", group.series());
            for code in group.codes() {
                text.push_str(&format!("  {code}  {}\n", code.summary()));
            }
            out(&text);
        }
        Ok(batchscale::Selector::Warnings) | Err(_) => {
            return Err(UsageError(format!(
                "unknown code or group '{word}'; expected a code such as BS0601, or a group: {}",
                batchscale::Group::ALL
                    .iter()
                    .map(|g| g.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn completions(shell: Shell) {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "batchscale", &mut script);
    out(&String::from_utf8_lossy(&script));
}

fn man(command: Option<&str>, out_dir: Option<&std::path::Path>) -> Result<ExitCode, UsageError> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    if let Some(dir) = out_dir {
        clap_mangen::generate_to(cli, dir).map_err(|e| {
            UsageError(format!(
                "cannot write the man pages into '{}': {}",
                dir.display(),
                input::io_reason(&e)
            ))
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => cli.find_subcommand(name).cloned().ok_or_else(|| {
            UsageError(format!(
                "no command '{name}'; expected one of: {}",
                cli.get_subcommands()
                    .map(|c| c.get_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
    };
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .map_err(|e| UsageError(format!("cannot render the man page: {e}")))?;
    out(&String::from_utf8_lossy(&text));
    Ok(ExitCode::SUCCESS)
}

fn eval(
    formula_path: &str,
    pool: Option<&str>,
    at: Option<&str>,
    format: Format,
    explain: bool,
    output: Output,
) -> Result<ExitCode, UsageError> {
    let input::Formula { name, text, .. } = input::read_formula(formula_path)?;
    let mut snapshot = match pool {
        Some(path) => {
            if path == "-" && formula_path == "-" {
                return Err(UsageError(
                    "the formula and the snapshot cannot both be read from standard input"
                        .to_string(),
                ));
            }
            let (snapshot_name, json) = input::read_text(path, None)?;
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
                    render::emit(&files, &rejection.diagnostics, output.stderr_color());
                }
            }
            return Ok(ExitCode::from(1));
        }
    };
    // The explained run is the same run, with what each statement did recorded.
    let (evaluation, explanation) = if explain {
        let (evaluation, explanation) = compiled.evaluate_explained(&snapshot);
        (evaluation, Some(explanation))
    } else {
        (compiled.evaluate(&snapshot), None)
    };
    // `-q`: the run, without its warnings.
    let warnings: &[Diagnostic] = if output.quiet {
        &[]
    } else {
        &evaluation.warnings
    };
    match format {
        Format::Json => {
            let json = match &explanation {
                Some(explanation) => explain::json(&evaluation.run, explanation),
                None => to_json(&evaluation.run),
            };
            out(&format!("{json}\n"));
            for d in warnings {
                eprintln!("{}", render::json_diagnostic(&files, d));
            }
        }
        Format::Text => {
            out(&render::run_table(&evaluation));
            let run_error = render::run_error(&files, &evaluation);
            out(&run_error);
            if let Some(explanation) = &explanation {
                // One blank line between the run and its explanation (a run error ends
                // with one).
                if run_error.is_empty() {
                    out("\n");
                }
                out(&explain::text(explanation));
            }
            render::emit(&files, warnings, output.stderr_color());
        }
    }
    Ok(ExitCode::from(if evaluation.run.error.is_some() {
        1
    } else {
        0
    }))
}

/// Writes to standard output. A reader that stops early (`| head`) or a closed standard
/// output is not an error of ours: the exit status still tells the outcome.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout));
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("the output types serialise to JSON")
}
