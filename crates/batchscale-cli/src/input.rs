//! Reading what the commands are given: formula files, standard input, folders of
//! `*.formula` files, and the choices about colour and quiet output every command shares.

use std::io::{IsTerminal, Read};
use std::path::Path;

use clap::{Args, ValueEnum};

use crate::UsageError;

/// Formula files larger than this are refused before reading them whole: a formula has
/// at most 8192 characters, so anything this large is not one.
pub const MAX_FORMULA_FILE_BYTES: u64 = 1 << 20;

/// The UTF-8 byte-order mark: part of a file's encoding, not of the formula
/// (language.md 9.2).
const BOM: char = '\u{feff}';

/// A formula as read: the name to show, the text (without a leading byte-order mark), and
/// whether the file had one.
pub struct Formula {
    pub name: String,
    pub text: String,
    pub bom: bool,
}

/// Reads a formula file, or standard input for `-`. A leading UTF-8 byte-order mark is
/// dropped: positions count from the character after it.
pub fn read_formula(path: &str) -> Result<Formula, UsageError> {
    let (name, text, bom) = read_with_bom(path, Some(MAX_FORMULA_FILE_BYTES))?;
    Ok(Formula { name, text, bom })
}

/// Reads a file (or standard input for `-`) as UTF-8 text, with the name to show for it,
/// without a leading byte-order mark (a snapshot or a configuration file written by a
/// Windows tool may start with one).
pub fn read_text(path: &str, limit: Option<u64>) -> Result<(String, String), UsageError> {
    read_with_bom(path, limit).map(|(name, text, _)| (name, text))
}

/// The text without a leading byte-order mark, and whether it had one.
pub fn without_bom(mut text: String) -> (String, bool) {
    let bom = text.starts_with(BOM);
    if bom {
        text.drain(..BOM.len_utf8());
    }
    (text, bom)
}

fn read_with_bom(path: &str, limit: Option<u64>) -> Result<(String, String, bool), UsageError> {
    let (name, text) = read_raw(path, limit)?;
    let (text, bom) = without_bom(text);
    Ok((name, text, bom))
}

fn read_raw(path: &str, limit: Option<u64>) -> Result<(String, String), UsageError> {
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

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// One thing to read, from the command line's arguments: a file or standard input, or
/// an error found while walking a folder.
pub enum Input {
    Path(String),
    Unreadable { path: String, message: String },
}

/// The arguments as files to read: a folder is walked for `*.formula` files (sorted,
/// hidden files and folders skipped, symbolic links to folders not followed); a file or
/// `-` is itself. A folder without any formula is reported on standard error.
pub fn expand(paths: &[String], quiet: bool) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path == "-" || !Path::new(path).is_dir() {
            inputs.push(Input::Path(path.clone()));
            continue;
        }
        let before = inputs.len();
        let walk = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            match entry {
                Ok(entry) => {
                    let is_formula = entry.file_type().is_file()
                        && entry.path().extension().is_some_and(|x| x == "formula");
                    if is_formula {
                        inputs.push(Input::Path(entry.path().to_string_lossy().into_owned()));
                    }
                }
                Err(e) => {
                    let at = e
                        .path()
                        .map_or_else(|| path.clone(), |p| p.to_string_lossy().into_owned());
                    let reason = e.io_error().map_or_else(|| e.to_string(), io_reason);
                    inputs.push(Input::Unreadable {
                        message: format!("cannot read '{at}': {reason}"),
                        path: at,
                    });
                }
            }
        }
        if inputs.len() == before && !quiet {
            eprintln!("batchscale: warning: no *.formula file in '{path}'");
        }
    }
    inputs
}

/// `--color` and `-q`, for the commands that print diagnostics.
#[derive(Args, Clone, Copy)]
pub struct Output {
    /// When to colour diagnostics: auto (a terminal, unless NO_COLOR is set and not
    /// empty; CLICOLOR_FORCE forces it), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors: no warnings, no summary lines.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Output {
    /// Whether to colour what goes to standard error.
    pub fn stderr_color(self) -> bool {
        self.color_for(std::io::stderr().is_terminal())
    }

    /// Whether to colour what goes to standard output.
    pub fn stdout_color(self) -> bool {
        self.color_for(std::io::stdout().is_terminal())
    }

    /// `always` and `never` win; `auto` follows NO_COLOR (set and not empty: never),
    /// then CLICOLOR_FORCE (set, not empty and not `0`: always), then CLICOLOR=0
    /// (never), then whether the stream is a terminal that supports colour.
    fn color_for(self, terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if anstyle_query::no_color() {
                    return false;
                }
                let force = std::env::var_os("CLICOLOR_FORCE");
                if force.is_some_and(|v| !v.is_empty() && v != "0") {
                    return true;
                }
                if anstyle_query::clicolor() == Some(false) {
                    return false;
                }
                terminal && anstyle_query::term_supports_color()
            }
        }
    }
}
