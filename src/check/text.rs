//! Warnings that need the text rather than the tree: the token stream shows empty
//! statements (the parser drops them) and `//` comments ended by a lone CR.

use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::lexer::Token;
use crate::syntax::parser;
use crate::syntax::span::Span;

/// Warnings that need the text rather than the tree: empty statements (the parser drops
/// them) and `//` comments ended by a lone CR. Both depend on \[decided\] rules.
pub fn text_warnings(text: &str) -> Vec<Diagnostic> {
    let tokens = parser::recovered_tokens(text);
    let mut diagnostics = Vec::new();
    // `;;` or a `;` before the first statement: an empty statement. A `;` after the last
    // statement is the optional terminator, not an empty statement.
    let mut i = 0;
    while i < tokens.len() {
        let empty =
            tokens[i].1 == Token::Semicolon && (i == 0 || tokens[i - 1].1 == Token::Semicolon);
        if !empty {
            i += 1;
            continue;
        }
        let start = tokens[i].0;
        let mut end = tokens[i].2;
        i += 1;
        while i < tokens.len() && tokens[i].1 == Token::Semicolon {
            end = tokens[i].2;
            i += 1;
        }
        diagnostics.push(
            Diagnostic::new(
                Code::EmptyStatement,
                Span::new(start, end),
                "an empty statement; the service's behaviour here is unverified: it may \
                 reject a ';' with no statement before it",
            )
            .with_help("remove the extra ';'"),
        );
    }
    // Comments live in the gaps between tokens.
    let mut gap_start = 0;
    let ends = tokens
        .iter()
        .map(|t| (t.0, t.2))
        .chain([(text.len(), text.len())]);
    for (start, end) in ends {
        let gap = text.get(gap_start..start).unwrap_or("");
        let mut from = 0;
        while let Some(at) = gap[from..].find("//") {
            let comment_start = from + at;
            let length = gap[comment_start..]
                .find(['\r', '\n'])
                .unwrap_or(gap.len() - comment_start);
            let comment_end = comment_start + length;
            let bytes = gap.as_bytes();
            if bytes.get(comment_end) == Some(&b'\r') && bytes.get(comment_end + 1) != Some(&b'\n')
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::LoneCrComment,
                        Span::new(gap_start + comment_start, gap_start + comment_end),
                        "this comment ends at a lone carriage return (CR), which ends a line \
                         here; the service's behaviour here is unverified: it may read the \
                         next line as part of the comment",
                    )
                    .with_help("end lines with LF or CRLF"),
                );
            }
            from = comment_end.max(comment_start + 2);
        }
        gap_start = end;
    }
    diagnostics.sort_by_key(|d| d.span.start);
    diagnostics
}
