//! Byte spans into the formula text, and their translation to the service's
//! `Line L, Col C` positions (1-based, columns in UTF-16 code units).

use serde::Serialize;

/// A half-open byte range `start..end` into the formula text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// The first byte.
    pub start: u32,
    /// The byte after the last.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span as a range to index the text with.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column, the column counted in UTF-16 code units as the
/// service (a .NET program) counts them \[decided\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in UTF-16 code units.
    pub column: usize,
}

/// Where each line of a text starts. A line ends at LF, CRLF or a lone CR, as
/// .NET's line reading does \[decided\].
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Where each line of `text` starts.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    line_starts.push(i + 2);
                    i += 1;
                }
                b'\r' => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { line_starts }
    }

    /// The line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let prefix = text.get(start..offset).unwrap_or("");
        let column = prefix.chars().map(char::len_utf16).sum::<usize>() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The byte range of line `line` (1-based), without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts[line - 1];
        let mut end = self.line_starts.get(line).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }

    /// How many lines the text has.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Length of a text in UTF-16 code units: the unit of the service's 8192 limit.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lc(text: &str, offset: usize) -> (usize, usize) {
        let p = LineIndex::new(text).line_col(text, offset);
        (p.line, p.column)
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr() {
        let text = "a\nb\r\nc\rd";
        assert_eq!(lc(text, 0), (1, 1));
        assert_eq!(lc(text, 2), (2, 1));
        assert_eq!(lc(text, 5), (3, 1));
        assert_eq!(lc(text, 7), (4, 1));
    }

    #[test]
    fn columns_count_utf16_code_units() {
        // 'é' is one UTF-16 unit (two bytes), '😀' two units (four bytes).
        let text = "é😀x";
        assert_eq!(lc(text, text.find('x').unwrap()), (1, 4));
        assert_eq!(utf16_len(text), 4);
    }

    #[test]
    fn line_range_excludes_the_break() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(&text[idx.line_range(text, 1)], "ab");
        assert_eq!(&text[idx.line_range(text, 2)], "cd");
    }
}
