//! Wires the logos tokens into the LALRPOP parser and turns its errors into the
//! service's syntax errors: a position and a sentence saying what was expected and what
//! was found.

use lalrpop_util::{ErrorRecovery, ParseError};

use super::ast::Formula;
use super::lexer::{LexError, LexFailure, Token, tokens};
use super::span::{LineIndex, Span};

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, dead_code)]
    grammar,
    "/formula.rs"
);

/// What kind of syntax error, so callers (lints, suggestions) need not read messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// A character that starts no token.
    UnexpectedCharacter,
    /// A `#` comment \[decided: an error, with a hint to use `//`\].
    HashComment,
    /// A `/* */` comment \[decided: an error, with a hint to use `//`\].
    BlockComment,
    /// A string with no closing quote on its line.
    UnterminatedString,
    /// Two statements on separate lines with no `;` between them.
    MissingSemicolon,
    /// A token the grammar does not allow here.
    UnexpectedToken,
    /// The formula ended in the middle of a statement.
    UnexpectedEnd,
}

/// A syntax error: where, what, and how to fix it where we know.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// The result of parsing: the statements that parsed, and every syntax error (in source
/// order). The formula is valid only when `errors` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub formula: Formula,
    pub errors: Vec<SyntaxError>,
}

/// Parses a formula, recovering at each `;` so that every syntax error is reported.
pub fn parse(text: &str) -> Parsed {
    let mut errors = Vec::new();
    let good = lex_recovering(text, &mut errors);
    // Where the text a `#` or `/*` error leaves out ends: to its reader, that was a
    // comment.
    let comment_ends = errors
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                SyntaxErrorKind::HashComment | SyntaxErrorKind::BlockComment
            )
        })
        .map(|e| comment_end(text, e))
        .collect();
    // Characters left out of the statement around them (a comment is left out whole).
    let lexical_ends = errors
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                SyntaxErrorKind::UnexpectedCharacter | SyntaxErrorKind::UnterminatedString
            )
        })
        .map(|e| e.span.end as usize)
        .collect();
    let mut recovered: Vec<ErrorRecovery<usize, Token, LexFailure>> = Vec::new();
    let result = grammar::FormulaParser::new().parse(&mut recovered, good.iter().cloned().map(Ok));
    let mut parse_errors: Vec<LalrError> = recovered.into_iter().map(|r| r.error).collect();
    let statements = match result {
        Ok(statements) => statements,
        Err(e) => {
            parse_errors.push(e);
            Vec::new()
        }
    };
    let context = Context::new(text, &good, lexical_ends, comment_ends);
    for e in parse_errors {
        // What the parser trips over after a character it could not read, in the same
        // statement (the `b` of `a & b`, the end of `x = "abc`), is that error's
        // consequence, not a second mistake; so is what it finds first after a `#` or
        // `/*` comment (`$x = 1 + # 2` ends after the `+` only because the rest of its
        // line was left out: the error is the `#`, at its place).
        if !context.follows_lexical_error(&e) && !context.first_after_comment(&e) {
            errors.push(context.parse_error(e));
        }
    }
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup_by_key(|e| e.span.start);
    Parsed {
        formula: Formula { statements },
        errors,
    }
}

/// Parses a single expression (for tests and tools); `Err` holds every syntax error.
pub fn parse_expr(text: &str) -> Result<super::ast::Expr, Vec<SyntaxError>> {
    let mut errors = Vec::new();
    let good = lex_recovering(text, &mut errors);
    let mut recovered = Vec::new();
    let result = grammar::ExprParser::new().parse(&mut recovered, good.iter().cloned().map(Ok));
    let context = Context::new(text, &good, Vec::new(), Vec::new());
    errors.extend(recovered.into_iter().map(|r| context.parse_error(r.error)));
    match result {
        Ok(e) if errors.is_empty() => Ok(e),
        Ok(_) => Err(errors),
        Err(e) => {
            errors.push(context.parse_error(e));
            Err(errors)
        }
    }
}

/// The tokens the parser reads: the text's tokens without what lexical errors cover (a
/// `#` line, a `/* */` block). For checks that need the token stream, such as empty
/// statements, which the parser drops.
pub fn recovered_tokens(text: &str) -> Vec<(usize, Token, usize)> {
    lex_recovering(text, &mut Vec::new())
}

/// Lexes the whole text, recording lexical errors and leaving out what they cover, so
/// the parser sees what the author most likely meant (a `#` line is a comment to them).
fn lex_recovering(text: &str, errors: &mut Vec<SyntaxError>) -> Vec<(usize, Token, usize)> {
    let mut good = Vec::new();
    let mut skip_until = 0;
    for item in tokens(text) {
        match item {
            Ok((start, token, end)) => {
                if start >= skip_until {
                    good.push((start, token, end));
                }
            }
            Err(LexFailure { error, start, end }) => {
                if start < skip_until {
                    continue;
                }
                let span = Span::new(start, end);
                let error = match error {
                    LexError::HashComment => {
                        skip_until = line_end(text, start);
                        SyntaxError {
                            kind: SyntaxErrorKind::HashComment,
                            span,
                            message: "'#' does not start a comment in a formula".to_string(),
                            help: Some("write comments with '//'".to_string()),
                        }
                    }
                    LexError::BlockComment => {
                        skip_until = text[start..]
                            .find("*/")
                            .map_or(text.len(), |i| start + i + 2);
                        SyntaxError {
                            kind: SyntaxErrorKind::BlockComment,
                            span,
                            message: "'/*' does not start a comment in a formula".to_string(),
                            help: Some(
                                "write comments with '//' at the start of each line".to_string(),
                            ),
                        }
                    }
                    LexError::UnterminatedString => SyntaxError {
                        kind: SyntaxErrorKind::UnterminatedString,
                        span,
                        message: "this string has no closing '\"' on its line".to_string(),
                        help: Some(
                            "strings are written on one line between double quotes".to_string(),
                        ),
                    },
                    LexError::UnexpectedCharacter => {
                        let c = text[start..].chars().next().unwrap_or('?');
                        SyntaxError {
                            kind: SyntaxErrorKind::UnexpectedCharacter,
                            span: Span::new(start, start + c.len_utf8()),
                            message: format!("unexpected character '{}'", shown(c)),
                            help: unexpected_character_help(c),
                        }
                    }
                };
                errors.push(error);
            }
        }
    }
    good
}

/// A character as a message quotes it: itself, unless it is invisible.
fn shown(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        c.escape_unicode().to_string()
    } else {
        c.to_string()
    }
}

fn unexpected_character_help(c: char) -> Option<String> {
    match c {
        '\\' => Some(
            "strings have no escapes: write time(\"Mon, 06 Oct 2014 10:20:00 GMT\")".to_string(),
        ),
        '\'' => Some("strings are written between double quotes".to_string()),
        '$' => Some("a '$' is followed by a name, as in $TargetDedicatedNodes".to_string()),
        '%' => Some("there is no '%' operator".to_string()),
        '[' | ']' => {
            Some("there is no indexing or vector literal: use val(v, i) or vec(...)".to_string())
        }
        '{' | '}' => Some("there are no blocks: use 'condition ? a : b'".to_string()),
        '&' => Some("logical and is written '&&'".to_string()),
        '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' => {
            Some("a typographic quote (pasted from a document): write '\"'".to_string())
        }
        '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{feff}' | '\u{200b}' => Some(
            "an invisible space (pasted from a web page or document): replace it with a plain space"
                .to_string(),
        ),
        '|' => Some("logical or is written '||'".to_string()),
        _ => None,
    }
}

/// Where the text a `#` or `/*` error leaves out ends (as [`lex_recovering`] skips it).
fn comment_end(text: &str, error: &SyntaxError) -> usize {
    let start = error.span.start as usize;
    match error.kind {
        SyntaxErrorKind::BlockComment => text[start..]
            .find("*/")
            .map_or(text.len(), |i| start + i + 2),
        _ => line_end(text, start),
    }
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| from + i)
}

type LalrError = ParseError<usize, Token, LexFailure>;

/// What turning parse errors into messages looks up: the tokens the parser read, where
/// the `;`s and the lexical errors are, and the lines. Every lookup is a binary search,
/// because an 8192-character formula can hold a thousand errors and a scan per error
/// made parsing such a text quadratic (cubic with lexical errors).
struct Context<'a> {
    text: &'a str,
    good: &'a [(usize, Token, usize)],
    /// Where each `;` token starts, ascending.
    semicolons: Vec<usize>,
    /// Where each lexical error that leaves characters out of a statement ends, ascending.
    lexical_ends: Vec<usize>,
    /// Where the text each `#` or `/*` error leaves out ends, ascending.
    comment_ends: Vec<usize>,
    lines: std::cell::OnceCell<LineIndex>,
}

impl<'a> Context<'a> {
    fn new(
        text: &'a str,
        good: &'a [(usize, Token, usize)],
        mut lexical_ends: Vec<usize>,
        mut comment_ends: Vec<usize>,
    ) -> Self {
        lexical_ends.sort_unstable();
        comment_ends.sort_unstable();
        Context {
            text,
            good,
            semicolons: good
                .iter()
                .filter(|(_, t, _)| *t == Token::Semicolon)
                .map(|(s, _, _)| *s)
                .collect(),
            lexical_ends,
            comment_ends,
            lines: std::cell::OnceCell::new(),
        }
    }

    /// The last token that ends at or before `offset`.
    fn previous(&self, offset: usize) -> Option<&'a (usize, Token, usize)> {
        let i = self.good.partition_point(|(_, _, end)| *end <= offset);
        i.checked_sub(1).map(|i| &self.good[i])
    }

    /// The index of the token that starts at `start`.
    fn index_of(&self, start: usize) -> Option<usize> {
        let i = self.good.partition_point(|(s, _, _)| *s < start);
        (self.good.get(i)?.0 == start).then_some(i)
    }

    /// Whether a `;` starts in `from..to`.
    fn semicolon_between(&self, from: usize, to: usize) -> bool {
        let i = self.semicolons.partition_point(|s| *s < from);
        self.semicolons.get(i).is_some_and(|s| *s < to)
    }

    /// The index of the first token of the statement holding token `index`.
    fn statement_start(&self, index: usize) -> usize {
        let start = self.good[index].0;
        let i = self.semicolons.partition_point(|s| *s < start);
        match i.checked_sub(1) {
            Some(i) => self.index_of(self.semicolons[i]).map_or(0, |at| at + 1),
            None => 0,
        }
    }

    /// Where the token (or end) a parse error found starts, for the errors that found one.
    fn found_at(&self, error: &LalrError) -> Option<usize> {
        match error {
            ParseError::UnrecognizedToken {
                token: (start, _, _),
                ..
            } => Some(*start),
            ParseError::UnrecognizedEof { .. } => Some(self.text.len()),
            _ => None,
        }
    }

    /// Whether the token (or end) a parse error found comes after a lexical error in the
    /// same statement (no `;` between them). The nearest such error decides: when a `;`
    /// separates it from the parse error, one separates every earlier one too.
    fn follows_lexical_error(&self, error: &LalrError) -> bool {
        let Some(at) = self.found_at(error) else {
            return false;
        };
        let i = self.lexical_ends.partition_point(|end| *end <= at);
        i.checked_sub(1)
            .is_some_and(|i| !self.semicolon_between(self.lexical_ends[i], at))
    }

    /// Whether the token (or end) a parse error found is the first the parser read after
    /// the text a `#` or `/*` error left out.
    fn first_after_comment(&self, error: &LalrError) -> bool {
        let Some(at) = self.found_at(error) else {
            return false;
        };
        let i = self.comment_ends.partition_point(|end| *end <= at);
        let Some(end) = i.checked_sub(1).map(|i| self.comment_ends[i]) else {
            return false;
        };
        // The first token after the comment is the one the parser stopped at.
        let next = self.good.partition_point(|(start, _, _)| *start < end);
        self.good.get(next).is_none_or(|(start, _, _)| *start >= at)
    }

    fn parse_error(&self, error: LalrError) -> SyntaxError {
        let text = self.text;
        match error {
            ParseError::UnrecognizedToken {
                token: (start, token, end),
                expected,
            } => {
                let previous = self.previous(start);
                let span = Span::new(start, end);
                let after_line_break =
                    previous.is_some_and(|(_, _, e)| text[*e..start].contains(['\n', '\r']));
                if token.starts_expression() && expects(&expected, ";") && after_line_break {
                    let prev_end = previous.map_or(0, |p| p.2);
                    let line = self
                        .lines
                        .get_or_init(|| LineIndex::new(text))
                        .line_col(text, prev_end)
                        .line;
                    return SyntaxError {
                        kind: SyntaxErrorKind::MissingSemicolon,
                        span,
                        message: format!("expected ';' between statements, found {token}"),
                        help: Some(format!(
                            "the statement on line {line} has no ';' at its end: add one there"
                        )),
                    };
                }
                let help = self.token_help(start, &token, &expected);
                SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedToken,
                    span,
                    message: format!(
                        "expected {}{}, found {token}",
                        describe_expected(&expected),
                        after(previous),
                    ),
                    help,
                }
            }
            ParseError::UnrecognizedEof { location, expected } => {
                let previous = self.good.last();
                // Point at the last token: the end of the text may be a line of comments.
                let at = previous.map_or(location, |p| p.2);
                let help = if expects(&expected, ")") {
                    Some("close the '(' that is still open with ')'".to_string())
                } else if expects(&expected, ":") {
                    Some(
                        "a '?' needs its ':' and the value for when the condition is false"
                            .to_string(),
                    )
                } else {
                    None
                };
                SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedEnd,
                    span: Span::new(at, at),
                    message: format!(
                        "expected {}{}, found the end of the formula",
                        describe_expected(&expected),
                        after(previous)
                    ),
                    help,
                }
            }
            ParseError::ExtraToken {
                token: (start, token, end),
            } => SyntaxError {
                kind: SyntaxErrorKind::UnexpectedToken,
                span: Span::new(start, end),
                message: format!("unexpected {token}"),
                help: None,
            },
            ParseError::InvalidToken { location } => SyntaxError {
                kind: SyntaxErrorKind::UnexpectedCharacter,
                span: Span::new(location, location + 1),
                message: "unexpected character".to_string(),
                help: None,
            },
            ParseError::User { error } => SyntaxError {
                kind: SyntaxErrorKind::UnexpectedCharacter,
                span: Span::new(error.start, error.end),
                message: "unexpected character".to_string(),
                help: None,
            },
        }
    }
}

fn after(previous: Option<&(usize, Token, usize)>) -> String {
    match previous {
        Some((_, token, _)) => format!(" after {token}"),
        None => String::new(),
    }
}

fn expects(expected: &[String], terminal: &str) -> bool {
    expected.iter().any(|e| e.trim_matches('"') == terminal)
}

/// Says what the parser would have taken, in words rather than a token list.
fn describe_expected(expected: &[String]) -> String {
    if expects(expected, "number") {
        return "an expression".to_string();
    }
    let operators = [
        "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "?",
    ];
    let mut parts: Vec<String> = Vec::new();
    if operators.iter().any(|op| expects(expected, op)) {
        parts.push("an operator".to_string());
    }
    for e in expected {
        let t = e.trim_matches('"');
        if operators.contains(&t) {
            continue;
        }
        let described = match t {
            "name" => "a name".to_string(),
            "$name" => continue,
            other => format!("'{other}'"),
        };
        if !parts.contains(&described) {
            parts.push(described);
        }
    }
    match parts.len() {
        0 => "something else".to_string(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {}", parts.join(", "), last)
        }
    }
}

/// How to fix the usual mistakes behind an unexpected token: words and operators of
/// other languages, number forms the language lacks, a missing `;`.
impl Context<'_> {
    fn token_help(&self, start: usize, token: &Token, expected: &[String]) -> Option<String> {
        let good = self.good;
        let index = self.index_of(start)?;
        let previous = index.checked_sub(1).map(|i| &good[i]);
        let next = good.get(index + 1);
        // Two tokens written together, as in `=<`.
        let glued = |a: &(usize, Token, usize), b: &(usize, Token, usize)| a.2 == b.0;
        let statement_start = self.statement_start(index);
        if let Some((_, Token::Name(first), _)) = good.get(statement_start)
            && first.eq_ignore_ascii_case("if")
        {
            return Some(
                "there is no 'if' statement: choose a value with '?:', as in \
             'x = condition ? a : b;'"
                    .to_string(),
            );
        }
        if let Token::Name(word) = token {
            let help = match word.to_ascii_lowercase().as_str() {
                "and" => Some("logical and is written '&&'"),
                "or" => Some("logical or is written '||'"),
                "not" => Some("logical not is written '!'"),
                "else" | "then" | "elif" => {
                    Some("there is no 'if'/'else': write 'condition ? a : b'")
                }
                "mod" => Some("there is no remainder operator"),
                _ => None,
            };
            if let Some(help) = help {
                return Some(help.to_string());
            }
            if let Some(p @ (_, Token::Number(n), _)) = previous
                && glued(p, &good[index])
                && word.starts_with(['e', 'E'])
            {
                let example = match word[1..].parse::<i32>() {
                    Ok(e) if e.abs() <= 15 => {
                        format!(", as in {}", *n * 10f64.powi(e))
                    }
                    _ => String::new(),
                };
                return Some(format!(
                    "numbers have no exponent: write the number in full{example}"
                ));
            }
        }
        match token {
            Token::DollarName(name) if expects(expected, "name") => Some(format!(
                "function, method and field names have no '$': write '{}'",
                name.trim_start_matches('$')
            )),
            Token::Assign => match (previous, next) {
                (Some(p @ (_, Token::Plus | Token::Minus | Token::Star | Token::Slash, _)), _)
                    if glued(p, &good[index]) =>
                {
                    Some(format!(
                        "there is no '{}=': write 'x = x {} ...'",
                        p.1.symbol(),
                        p.1.symbol()
                    ))
                }
                (_, Some(n @ (_, Token::Lt | Token::Gt, _))) if glued(&good[index], n) => {
                    let op = n.1.symbol();
                    Some(format!("'={op}' is written '{op}='"))
                }
                _ if expects(expected, "==") => {
                    Some("'=' assigns; to compare, write '=='".to_string())
                }
                _ => None,
            },
            Token::Gt if matches!(previous, Some(p @ (_, Token::Lt, _)) if glued(p, &good[index])) => {
                Some("'not equal' is written '!='".to_string())
            }
            _ if matches!(
                (index.checked_sub(2).map(|i| &good[i]), previous),
                (Some(n @ (_, Token::Number(_), _)), Some(d @ (_, Token::Dot, _))) if glued(n, d)
            ) =>
            {
                Some("a number has digits after its '.': write 1 or 1.5, not 1.".to_string())
            }
            Token::Dot if matches!(next, Some((_, Token::Number(_), _))) => {
                Some("a number starts with a digit: write 0.5, not .5".to_string())
            }
            Token::LParen if !expects(expected, "(") => {
                Some("only functions and methods are called; a '$' name cannot be".to_string())
            }
            t if t.starts_expression() && expects(expected, ";") => {
                Some("if a new statement starts here, end the one before with ';'".to_string())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{BinaryOp, ExprKind, StatementKind};
    use crate::syntax::span::LineIndex;

    fn first_error(text: &str) -> (usize, usize, String) {
        let parsed = parse(text);
        let e = parsed.errors.first().expect("a syntax error");
        let p = LineIndex::new(text).line_col(text, e.span.start as usize);
        (p.line, p.column, e.message.clone())
    }

    #[test]
    fn trailing_semicolon_is_optional_and_empty_statements_are_allowed() {
        assert!(parse("a = 1").errors.is_empty());
        assert!(parse("a = 1;").errors.is_empty());
        assert!(parse(";;a = 1;; ;// c\n").errors.is_empty());
        assert_eq!(parse(";;a = 1;; b = 2;").formula.statements.len(), 2);
        assert!(parse("").errors.is_empty());
    }

    #[test]
    fn precedence_follows_c_decided() {
        let e = parse_expr("1 + 2 * 3 < 4 && 5 == 6 || 7").unwrap();
        let ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            ..
        } = e.kind
        else {
            panic!("|| loosest")
        };
        let ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            ..
        } = lhs.kind
        else {
            panic!("&& next")
        };
        let ExprKind::Binary {
            op: BinaryOp::Lt,
            lhs,
            ..
        } = lhs.kind
        else {
            panic!("< below ==")
        };
        let ExprKind::Binary {
            op: BinaryOp::Add,
            rhs,
            ..
        } = lhs.kind
        else {
            panic!("+ below <")
        };
        assert!(matches!(
            rhs.kind,
            ExprKind::Binary {
                op: BinaryOp::Mul,
                ..
            }
        ));
    }

    #[test]
    fn binary_operators_are_left_associative_and_ternary_right() {
        let e = parse_expr("1 - 2 - 3").unwrap();
        let ExprKind::Binary { lhs, .. } = e.kind else {
            panic!()
        };
        assert!(matches!(
            lhs.kind,
            ExprKind::Binary {
                op: BinaryOp::Sub,
                ..
            }
        ));
        let e = parse_expr("a ? b : c ? d : e").unwrap();
        let ExprKind::Conditional { otherwise, .. } = e.kind else {
            panic!()
        };
        assert!(matches!(otherwise.kind, ExprKind::Conditional { .. }));
    }

    #[test]
    fn methods_fields_and_calls() {
        let e = parse_expr("$CPUPercent.GetSample(TimeInterval_Minute * 10, 80)").unwrap();
        let ExprKind::Method {
            method,
            args,
            args_span,
            ..
        } = e.kind
        else {
            panic!()
        };
        assert_eq!(method.text, "GetSample");
        assert_eq!(args.len(), 2);
        assert_eq!(args_span.start, 21);
        assert!(matches!(
            parse_expr("time().weekday").unwrap().kind,
            ExprKind::Field { .. }
        ));
        assert!(matches!(
            parse_expr("sum()").unwrap().kind,
            ExprKind::Call { .. }
        ));
    }

    #[test]
    fn bare_expression_statement() {
        let p = parse("stop();");
        assert!(matches!(
            p.formula.statements[0].kind,
            StatementKind::Expr(_)
        ));
    }

    #[test]
    fn dollar_names_cannot_be_called_or_used_as_methods() {
        assert_eq!(first_error("$f(1)").1, 3);
        assert_eq!(first_error("x.$y").1, 3);
    }

    #[test]
    fn missing_operand_says_what_was_expected() {
        let (line, col, msg) = first_error("$TargetDedicatedNodes = 2 *;");
        assert_eq!((line, col), (1, 28));
        assert_eq!(msg, "expected an expression after '*', found ';'");
    }

    #[test]
    fn missing_semicolon_between_lines_is_named() {
        let (line, col, msg) = first_error("a = 1\n    b = 2;");
        assert_eq!((line, col), (2, 5));
        assert_eq!(msg, "expected ';' between statements, found 'b'");
    }

    #[test]
    fn hash_comment_is_an_error_at_the_hash_decided() {
        let text = "# scale\n$TargetDedicatedNodes = 1;";
        let p = parse(text);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].kind, SyntaxErrorKind::HashComment);
        assert_eq!(p.errors[0].span.start, 0);
    }

    #[test]
    fn what_the_parser_finds_first_after_a_comment_is_not_a_second_error_decided() {
        // The `#` is the error, at its place: not an end of the formula after the `+`.
        for (text, kind, column) in [
            ("$x = 1 + # 2", SyntaxErrorKind::HashComment, 10),
            ("$x = 1 + # 2\n;", SyntaxErrorKind::HashComment, 10),
            ("x = (1 + /* two */", SyntaxErrorKind::BlockComment, 10),
            ("x = 1 /* a\nb */ y = 2", SyntaxErrorKind::BlockComment, 7),
            ("x = 1 # one\ny = 2;", SyntaxErrorKind::HashComment, 7),
        ] {
            let p = parse(text);
            assert_eq!(p.errors.len(), 1, "{text:?}: {:?}", p.errors);
            assert_eq!(p.errors[0].kind, kind, "{text:?}");
            assert_eq!(first_error(text).1, column, "{text:?}");
        }
        // A mistake further on is still a mistake of its own.
        let p = parse("# scale\nx = 1 +;");
        assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
        assert_eq!(p.errors[1].kind, SyntaxErrorKind::UnexpectedToken);
    }

    #[test]
    fn backslash_is_an_unexpected_character() {
        let (line, col, msg) = first_error("x = time(\\\"Mon\\\");");
        assert_eq!((line, col), (1, 10));
        assert_eq!(msg, "unexpected character '\\'");
    }

    #[test]
    fn every_statement_error_is_reported() {
        let p = parse("a = 1 +;\nb = * 2;\nc = (3;");
        assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
    }

    #[test]
    fn end_of_formula_inside_a_statement() {
        let (_, _, msg) = first_error("a = (1 + 2");
        assert_eq!(
            msg,
            "expected ')' after number 2, found the end of the formula"
        );
    }
}
