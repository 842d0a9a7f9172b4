//! `batchscale fmt`: the canonical layout (the library's `format_formula`), printed, checked
//! (`--check`: a unified diff, exit 1 when a file would change) or written in place
//! (`--write`: a temporary file in the same folder, then a rename).
//!
//! Exit status: 2 when a file could not be read or written; else 1 when a formula has
//! syntax errors, or with `--check` when one would change; else 0.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use batchscale::render::Source;
use clap::Args;

use crate::input::{self, Input, Output};
use crate::{UsageError, out};

#[derive(Args)]
pub struct FmtArgs {
    /// Formula files, folders (walked for *.formula files), or '-' for standard input.
    #[arg(required = true, value_name = "FORMULA")]
    formulas: Vec<String>,
    /// Print a unified diff of each file that would change, and exit 1 if any would;
    /// change nothing.
    #[arg(long, conflicts_with = "write")]
    check: bool,
    /// Format the files in place (atomically: a temporary file, then a rename).
    #[arg(long)]
    write: bool,
    #[command(flatten)]
    output: Output,
}

pub fn run(args: FmtArgs) -> Result<ExitCode, UsageError> {
    let several = args.formulas.len() > 1 || args.formulas.iter().any(|p| Path::new(p).is_dir());
    if several && !args.check && !args.write {
        return Err(UsageError(
            "several formulas: use --write to format them in place, or --check to see which \
             would change"
                .to_string(),
        ));
    }
    if args.write && args.formulas.iter().any(|p| p == "-") {
        return Err(UsageError(
            "--write formats files in place; standard input ('-') has no file to write to"
                .to_string(),
        ));
    }
    if args.formulas.iter().filter(|p| *p == "-").count() > 1 {
        return Err(UsageError(
            "standard input ('-') can be read only once".to_string(),
        ));
    }
    let mut failed = false;
    let mut refused = false;
    let mut changed = false;
    for item in input::expand(&args.formulas, args.output.quiet) {
        let path = match item {
            Input::Path(path) => path,
            Input::Unreadable { message, .. } => {
                eprintln!("batchscale: error: {message}");
                failed = true;
                continue;
            }
        };
        let formula = match input::read_formula(&path) {
            Ok(formula) => formula,
            Err(UsageError(message)) => {
                eprintln!("batchscale: error: {message}");
                failed = true;
                continue;
            }
        };
        let name = &formula.name;
        let formatted = match batchscale::format_formula(&formula.text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                let source = Source::new(name, &formula.text);
                eprint!(
                    "{}",
                    source.render(&diagnostics, args.output.stderr_color())
                );
                refused = true;
                continue;
            }
        };
        let length = batchscale::formula_length(&formatted);
        if length > batchscale::MAX_FORMULA_LENGTH {
            eprintln!(
                "batchscale: warning: {name}: the formatted formula is {length} characters long; the service takes at most {}",
                batchscale::MAX_FORMULA_LENGTH
            );
        }
        let differs = formatted != formula.text;
        if args.check {
            if differs {
                changed = true;
                if !args.output.quiet {
                    out(&diff(
                        name,
                        &formula.text,
                        &formatted,
                        args.output.stdout_color(),
                    ));
                    eprintln!("{name}: not formatted");
                }
            }
        } else if args.write {
            if differs {
                let bytes = if formula.bom {
                    format!("\u{feff}{formatted}")
                } else {
                    formatted
                };
                match write_atomically(Path::new(&path), bytes.as_bytes()) {
                    Ok(()) => {
                        if !args.output.quiet {
                            eprintln!("{name}: formatted");
                        }
                    }
                    Err(e) => {
                        eprintln!(
                            "batchscale: error: cannot write '{path}': {}",
                            input::io_reason(&e)
                        );
                        failed = true;
                    }
                }
            }
        } else {
            // A reader that stops early (`| head`) is not an error.
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(formatted.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(UsageError(format!("cannot write to standard output: {e}")));
                }
                _ => {}
            }
        }
    }
    Ok(ExitCode::from(if failed {
        2
    } else if refused || changed {
        1
    } else {
        0
    }))
}

/// A unified diff from the file to its formatted text, both named as the file (so that
/// `patch -p0` applies it), coloured when asked.
fn diff(name: &str, old: &str, new: &str, color: bool) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string();
    if !color {
        return text;
    }
    text.lines()
        .map(|line| {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                "\x1b[1m"
            } else if line.starts_with('+') {
                "\x1b[32m"
            } else if line.starts_with('-') {
                "\x1b[31m"
            } else if line.starts_with("@@") {
                "\x1b[36m"
            } else {
                return format!("{line}\n");
            };
            format!("{style}{line}\x1b[0m\n")
        })
        .collect()
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder (so the
/// rename stays on one file system), with the file's permissions, renamed over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Through a symbolic link, the file it names is replaced, and the link stays.
    let path = &std::fs::canonicalize(path)?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut temporary = tempfile::Builder::new()
        .prefix(".batchscale-fmt-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    std::fs::set_permissions(temporary.path(), permissions)?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}
