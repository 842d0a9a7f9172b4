//! Diagnostics: what the checker and the parser say about a formula, each with a stable
//! code, a severity, a message, a span and, where there is a fix, a help text.

use serde::{Deserialize, Serialize};

use crate::syntax::span::Span;

mod code;
mod policy;

pub use code::{Code, Group};
pub use policy::{
    DEFAULT_LAYER, DirectiveError, InlineAllow, Judged, Level, Origin, Policy, PolicyError,
    Selector, UnknownSelector, inline_allows,
};

/// How bad a diagnostic is. Errors sort before warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The formula is rejected, or fails when the statement runs.
    Error,
    /// The formula works, but something deserves a look.
    Warning,
}

/// One thing the parser, the checker, the lints or a run say about a formula.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Diagnostic {
    /// The code's severity ([`Code::severity`]).
    pub severity: Severity,
    /// The code's text ([`Code::as_str`]), such as `BS0101`; [`Diagnostic::code_kind`]
    /// gives the [`Code`].
    pub code: &'static str,
    /// One lower-case sentence; user input in quotes.
    pub message: String,
    /// Where in the formula text, as a byte range.
    pub span: Span,
    /// How to fix it, where we know.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity and no help.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: code.severity(),
            code: code.as_str(),
            message: message.into(),
            span,
            help: None,
        }
    }

    /// The same diagnostic with a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The [`Code`] of the diagnostic.
    pub fn code_kind(&self) -> Option<Code> {
        Code::from_text(self.code)
    }
}

impl From<&crate::syntax::parser::SyntaxError> for Diagnostic {
    fn from(e: &crate::syntax::parser::SyntaxError) -> Diagnostic {
        use crate::syntax::parser::SyntaxErrorKind as K;
        let code = match e.kind {
            K::UnexpectedCharacter => Code::UnexpectedCharacter,
            K::HashComment => Code::HashComment,
            K::BlockComment => Code::BlockComment,
            K::UnterminatedString => Code::UnterminatedString,
            K::MissingSemicolon => Code::MissingSemicolon,
            K::UnexpectedToken => Code::UnexpectedToken,
            K::UnexpectedEnd => Code::UnexpectedEnd,
        };
        Diagnostic {
            help: e.help.clone(),
            ..Diagnostic::new(code, e.span, e.message.clone())
        }
    }
}
