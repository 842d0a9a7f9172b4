//! Errors of input files (scenario, workload, metrics), with the place they point at.

use std::fmt;

/// Why an input file was refused, and where: the file, the 1-based line and column, the
/// field (a key path such as `timing.allocation_delay.median`, or a CSV column), and what
/// was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The file's name as given.
    pub file: String,
    /// 1-based line, when the error has one.
    pub line: Option<usize>,
    /// 1-based column, when the error has one.
    pub column: Option<usize>,
    /// The key path or column name, when the error has one.
    pub field: Option<String>,
    /// What was wrong or expected.
    pub message: String,
}

impl fmt::Display for InputError {
    /// `file:line:column: at field: message`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "at {field}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl InputError {
    /// An error about a whole file (no line).
    pub fn file(file: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    /// An error at a line (and column) of a file.
    pub fn at(
        file: &str,
        line: usize,
        column: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> InputError {
        InputError {
            file: file.to_string(),
            line: Some(line),
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A path from `serde_path_to_error` as `a.b[2].c`; empty for the top level.
pub fn path_text(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, text.find('=').unwrap()), (1, 3));
        assert_eq!(line_column(text, text.rfind('=').unwrap()), (2, 4));
    }

    #[test]
    fn the_message_names_file_line_column_and_field() {
        let e = InputError::at(
            "s.toml",
            3,
            Some(7),
            Some("pool.cores"),
            "expected a number",
        );
        assert_eq!(
            e.to_string(),
            "s.toml:3:7: at pool.cores: expected a number"
        );
        assert_eq!(
            InputError::file("w.csv", "the file is empty").to_string(),
            "w.csv: the file is empty"
        );
    }
}
