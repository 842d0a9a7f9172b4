//! The tokens of a formula (language.md section 1), produced by logos with byte spans.

use logos::Logos;
use std::fmt;

/// Why the lexer stopped at a character.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LexError {
    /// A character that starts no token.
    #[default]
    UnexpectedCharacter,
    /// `#`: a comment style the language does not have.
    HashComment,
    /// `/*`: a comment style the language does not have.
    BlockComment,
    /// A `"` with no closing `"` on the same line.
    UnterminatedString,
}

fn hash_comment(_: &mut logos::Lexer<'_, Token>) -> Result<(), LexError> {
    Err(LexError::HashComment)
}

fn block_comment(_: &mut logos::Lexer<'_, Token>) -> Result<(), LexError> {
    Err(LexError::BlockComment)
}

/// `//` to the end of the line. Scanned by hand: logos's generated matcher for a long
/// run of multi-byte characters recurses per byte in debug builds and can overflow a
/// thread's stack on an 8192-character comment.
fn line_comment(lex: &mut logos::Lexer<'_, Token>) -> logos::Skip {
    let rest = lex.remainder();
    lex.bump(rest.find(['\r', '\n']).unwrap_or(rest.len()));
    logos::Skip
}

/// A string after its opening `"`: up to the closing `"` on the same line, no escapes
/// \[decided\]. Scanned by hand for the same reason as comments.
fn string(lex: &mut logos::Lexer<'_, Token>) -> Result<String, LexError> {
    let rest = lex.remainder();
    match rest.find(['"', '\r', '\n']) {
        Some(end) if rest.as_bytes()[end] == b'"' => {
            lex.bump(end + 1);
            Ok(rest[..end].to_string())
        }
        found => {
            lex.bump(found.unwrap_or(rest.len()));
            Err(LexError::UnterminatedString)
        }
    }
}

#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(error = LexError)]
#[logos(skip r"[ \t\r\n]+")]
pub enum Token {
    /// `[0-9]+(\.[0-9]+)?`: no sign, exponent, leading dot or hex \[decided\].
    #[regex(r"[0-9]+(\.[0-9]+)?", |lex| lex.slice().parse::<f64>().ok())]
    Number(f64),
    /// Double-quoted, no escapes, no `"` or line break inside \[decided\].
    #[token("\"", string)]
    String(String),
    /// `//` comments are skipped.
    #[token("//", line_comment)]
    LineComment,
    /// A name without `$`: functions, methods, fields, constants, keywords, user variables.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Name(String),
    /// A name with `$`: system variables and user variables.
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    DollarName(String),
    #[token("#", hash_comment)]
    HashComment,
    #[token("/*", block_comment)]
    BlockComment,
    #[token(";")]
    Semicolon,
    #[token("=")]
    Assign,
    #[token("?")]
    Question,
    #[token(":")]
    Colon,
    #[token("||")]
    OrOr,
    #[token("&&")]
    AndAnd,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("!")]
    Bang,
    #[token(".")]
    Dot,
    #[token(",")]
    Comma,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
}

impl fmt::Display for Token {
    /// The token as a message quotes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(n) => write!(f, "number {n}"),
            Token::String(s) => write!(f, "string \"{s}\""),
            Token::Name(s) | Token::DollarName(s) => write!(f, "'{s}'"),
            other => write!(f, "'{}'", other.symbol()),
        }
    }
}

impl Token {
    /// The fixed text of a punctuation token.
    pub fn symbol(&self) -> &'static str {
        match self {
            Token::Semicolon => ";",
            Token::Assign => "=",
            Token::Question => "?",
            Token::Colon => ":",
            Token::OrOr => "||",
            Token::AndAnd => "&&",
            Token::EqEq => "==",
            Token::NotEq => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Bang => "!",
            Token::Dot => ".",
            Token::Comma => ",",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::HashComment => "#",
            Token::BlockComment => "/*",
            Token::Number(_)
            | Token::String(_)
            | Token::LineComment
            | Token::Name(_)
            | Token::DollarName(_) => "",
        }
    }

    /// Whether this token can begin an expression.
    pub fn starts_expression(&self) -> bool {
        matches!(
            self,
            Token::Number(_)
                | Token::String(_)
                | Token::Name(_)
                | Token::DollarName(_)
                | Token::Minus
                | Token::Bang
                | Token::LParen
        )
    }
}

/// A lexical error with where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct LexFailure {
    pub error: LexError,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `text` as `(start, token, end)` triples, the form LALRPOP takes.
pub fn tokens(text: &str) -> impl Iterator<Item = Result<(usize, Token, usize), LexFailure>> + '_ {
    Token::lexer(text)
        .spanned()
        .map(|(result, span)| match result {
            Ok(token) => Ok((span.start, token, span.end)),
            Err(error) => Err(LexFailure {
                error,
                start: span.start,
                end: span.end,
            }),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> Vec<Result<Token, LexError>> {
        tokens(text)
            .map(|r| r.map(|(_, t, _)| t).map_err(|f| f.error))
            .collect()
    }

    #[test]
    fn every_token_kind() {
        use Token::*;
        let toks: Vec<Token> =
            lex("x $y 1 2.5 \"s\" ; = ? : || && == != < <= > >= + - * / ! . , ( )")
                .into_iter()
                .map(Result::unwrap)
                .collect();
        assert_eq!(
            toks,
            vec![
                Name("x".into()),
                DollarName("$y".into()),
                Number(1.0),
                Number(2.5),
                String("s".into()),
                Semicolon,
                Assign,
                Question,
                Colon,
                OrOr,
                AndAnd,
                EqEq,
                NotEq,
                Lt,
                Le,
                Gt,
                Ge,
                Plus,
                Minus,
                Star,
                Slash,
                Bang,
                Dot,
                Comma,
                LParen,
                RParen
            ]
        );
    }

    #[test]
    fn line_comments_are_skipped() {
        assert_eq!(
            lex("a // b c\r\nd"),
            vec![Ok(Token::Name("a".into())), Ok(Token::Name("d".into()))]
        );
    }

    #[test]
    fn hash_and_block_comments_are_errors_decided() {
        assert_eq!(
            lex("# x"),
            vec![Err(LexError::HashComment), Ok(Token::Name("x".into()))]
        );
        assert_eq!(lex("/* x */")[0], Err(LexError::BlockComment));
    }

    #[test]
    fn numbers_have_no_sign_exponent_leading_dot_or_hex_decided() {
        assert_eq!(
            lex("1e5"),
            vec![Ok(Token::Number(1.0)), Ok(Token::Name("e5".into()))]
        );
        assert_eq!(lex(".5"), vec![Ok(Token::Dot), Ok(Token::Number(5.0))]);
        assert_eq!(
            lex("0x1"),
            vec![Ok(Token::Number(0.0)), Ok(Token::Name("x1".into()))]
        );
        assert_eq!(lex("1."), vec![Ok(Token::Number(1.0)), Ok(Token::Dot)]);
    }

    #[test]
    fn strings_have_no_escapes_or_line_breaks_decided() {
        assert_eq!(lex(r#""a\b""#), vec![Ok(Token::String("a\\b".into()))]);
        assert_eq!(lex("\"ab\ncd\"")[0], Err(LexError::UnterminatedString));
    }

    #[test]
    fn stray_characters_are_errors() {
        assert_eq!(lex("\\")[0], Err(LexError::UnexpectedCharacter));
        assert_eq!(lex("$")[0], Err(LexError::UnexpectedCharacter));
        assert_eq!(lex("%")[0], Err(LexError::UnexpectedCharacter));
    }
}
