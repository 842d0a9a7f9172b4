//! Diagnostics: what the checker and the parser say about a formula, each with a stable
//! code, a severity, a message, a span and, where there is a fix, a help text.

use serde::Serialize;

use crate::syntax::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code from [`codes`], such as `BS0101`.
    pub code: &'static str,
    /// One lower-case sentence; user input in quotes.
    pub message: String,
    pub span: Span,
    /// How to fix it, where we know.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic code, in one place. Codes never change meaning once published.
///
/// - `BS00xx`: the service's limits
/// - `BS01xx`: syntax
/// - `BS02xx`: names
/// - `BS03xx`: types and arity
/// - `BS05xx`: warnings about behaviour the service may not share (a [decided] rule)
/// - `BS07xx`: warnings from a run (what one evaluation did)
pub mod codes {
    /// More than 8192 characters.
    pub const TOO_LONG: &str = "BS0001";
    /// More than 100 statements.
    pub const TOO_MANY_STATEMENTS: &str = "BS0002";
    /// Evaluation interval outside 5 minutes to 168 hours.
    pub const INTERVAL_OUT_OF_RANGE: &str = "BS0003";

    /// A character that starts no token.
    pub const UNEXPECTED_CHARACTER: &str = "BS0101";
    /// A `#` comment.
    pub const HASH_COMMENT: &str = "BS0102";
    /// A `/* */` comment.
    pub const BLOCK_COMMENT: &str = "BS0103";
    /// A string without its closing quote.
    pub const UNTERMINATED_STRING: &str = "BS0104";
    /// Two statements on separate lines without `;` between them.
    pub const MISSING_SEMICOLON: &str = "BS0105";
    /// A token the grammar does not allow where it stands.
    pub const UNEXPECTED_TOKEN: &str = "BS0106";
    /// The formula ends inside a statement.
    pub const UNEXPECTED_END: &str = "BS0107";

    /// Run-time: a target ends the run negative.
    pub const RUN_NEGATIVE_TARGET: &str = "BS0701";
    /// Run-time: `val(v, i)` with `i` outside the vector gives 0 [decided].
    pub const RUN_VAL_OUT_OF_RANGE: &str = "BS0702";
    /// Run-time: a variable ends the run as NaN or an infinity.
    pub const RUN_NON_FINITE_VALUE: &str = "BS0703";
}

impl From<&crate::syntax::parser::SyntaxError> for Diagnostic {
    fn from(e: &crate::syntax::parser::SyntaxError) -> Diagnostic {
        use crate::syntax::parser::SyntaxErrorKind as K;
        let code = match e.kind {
            K::UnexpectedCharacter => codes::UNEXPECTED_CHARACTER,
            K::HashComment => codes::HASH_COMMENT,
            K::BlockComment => codes::BLOCK_COMMENT,
            K::UnterminatedString => codes::UNTERMINATED_STRING,
            K::MissingSemicolon => codes::MISSING_SEMICOLON,
            K::UnexpectedToken => codes::UNEXPECTED_TOKEN,
            K::UnexpectedEnd => codes::UNEXPECTED_END,
        };
        Diagnostic {
            severity: Severity::Error,
            code,
            message: e.message.clone(),
            span: e.span,
            help: e.help.clone(),
        }
    }
}
