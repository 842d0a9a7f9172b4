//! `batchscale.toml`: the settings of `check` for the formulas of a folder and the folders
//! below it, found as rustfmt.toml and ruff.toml are (the formula's folder, then each
//! parent up to the root; the nearest wins).
//!
//! ```toml
//! interval = "PT15M"          # as --interval: ISO 8601 or 15m
//! allow = ["BS0608", "decided"] # codes or groups, as --allow
//! deny = ["warnings"]         # codes, groups or warnings, as --deny
//! ```
//!
//! Any other key, a value of the wrong type, an unknown code or group, or TOML that does
//! not parse is refused with the file, line and column, and what was expected.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use batchscale::{Interval, Policy, Selector};
use serde::Deserialize;
use toml::Spanned;

/// The file's name.
pub const FILE_NAME: &str = "batchscale.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    interval: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

/// A configuration file, read and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: String,
    pub interval: Option<Interval>,
    pub allow: Vec<Selector>,
    pub deny: Vec<Selector>,
}

/// A configuration file that cannot be used: where and what was expected.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: String,
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        // Shown relative to the current folder when it lies below it.
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf())
            .display()
            .to_string();
        let error = |at: Option<(usize, usize)>, message: String| ConfigError {
            path: shown.clone(),
            at,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            error(
                None,
                format!("cannot read it: {}", crate::input::io_reason(&e)),
            )
        })?;
        let (text, _) = crate::input::without_bom(text);
        let at = |span: Range<usize>| Some(line_col(&text, span.start));
        let raw: Raw = toml::from_str(&text)
            .map_err(|e| error(e.span().and_then(at), e.message().trim_end().to_string()))?;
        let interval = raw
            .interval
            .map(|value| {
                Interval::parse_arg(value.get_ref()).map_err(|e| {
                    error(
                        at(value.span()),
                        format!("interval: {e}; expected a duration such as \"PT15M\" or \"15m\""),
                    )
                })
            })
            .transpose()?;
        let selectors = |key: &str, values: &[Spanned<String>]| {
            values
                .iter()
                .map(|value| {
                    value
                        .get_ref()
                        .parse::<Selector>()
                        .map_err(|e| error(at(value.span()), format!("{key}: {e}")))
                })
                .collect::<Result<Vec<Selector>, ConfigError>>()
        };
        let allow = selectors("allow", &raw.allow)?;
        let deny = selectors("deny", &raw.deny)?;
        let config = Config {
            path: shown.clone(),
            interval,
            allow,
            deny,
        };
        // Settings that cannot apply (an error allowed, a code both allowed and denied)
        // are refused here, at the first such entry.
        if let Err(e) = Policy::default().apply(&config.path, &config.allow, &config.deny) {
            // The place: the first allow entry that cannot apply on its own.
            let place = raw
                .allow
                .iter()
                .zip(&config.allow)
                .find(|(_, s)| Policy::default().apply("", &[**s], &config.deny).is_err())
                .and_then(|(value, _)| at(value.span()));
            return Err(error(
                place,
                format!("allow: {e}; expected allow to name warnings that deny does not"),
            ));
        }
        Ok(config)
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Finds and reads configuration files, each folder and file once.
#[derive(Default)]
pub struct Finder {
    found: HashMap<PathBuf, Option<PathBuf>>,
    read: HashMap<PathBuf, Result<Config, ConfigError>>,
}

impl Finder {
    /// The configuration for a formula at `formula` (`-`: the current folder's), if any.
    pub fn for_formula(&mut self, formula: &str) -> Option<Result<Config, ConfigError>> {
        let folder = if formula == "-" {
            PathBuf::from(".")
        } else {
            match Path::new(formula).parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let folder = std::path::absolute(&folder).unwrap_or(folder);
        let file = self.find(&folder)?;
        Some(self.read(&file))
    }

    /// The configuration file at `path`, read once.
    pub fn read(&mut self, path: &Path) -> Result<Config, ConfigError> {
        self.read
            .entry(path.to_path_buf())
            .or_insert_with(|| Config::read(path))
            .clone()
    }

    fn find(&mut self, folder: &Path) -> Option<PathBuf> {
        if let Some(found) = self.found.get(folder) {
            return found.clone();
        }
        let candidate = folder.join(FILE_NAME);
        let found = if candidate.is_file() {
            Some(candidate)
        } else {
            folder.parent().and_then(|parent| self.find(parent))
        };
        self.found.insert(folder.to_path_buf(), found.clone());
        found
    }
}
