//! The checker's tests, by topic, with one-line helpers: `error` and `warning` find the one
//! diagnostic of a code and check what it underlines, `clean` wants none, `lacks` not
//! that code.

use super::check;
use crate::diagnostic::{Code, Diagnostic};

mod names;
mod robustness;
mod types;
mod warnings;

use crate::diagnostic::Severity;
use crate::syntax::parser::parse;

pub(super) fn diagnostics(text: &str) -> Vec<Diagnostic> {
    let parsed = parse(text);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors in {text:?}: {:?}",
        parsed.errors
    );
    check(&parsed.formula)
}

/// The one diagnostic with `code`: its severity, the text of its span and whether it
/// has a help.
pub(super) fn expect(
    text: &str,
    code: Code,
    severity: Severity,
    span_text: &str,
    help: bool,
) -> Diagnostic {
    let all = diagnostics(text);
    let found: Vec<&Diagnostic> = all.iter().filter(|d| d.code == code).collect();
    assert_eq!(
        found.len(),
        1,
        "one {code} expected in {text:?}, got {all:#?}"
    );
    let d = found[0].clone();
    assert_eq!(d.severity, severity, "{d:?}");
    assert_eq!(&text[d.span.range()], span_text, "{d:?}");
    assert_eq!(d.help.is_some(), help, "{d:?}");
    assert!(d.message.starts_with(|c: char| !c.is_uppercase()), "{d:?}");
    d
}

pub(super) fn error(text: &str, code: Code, span_text: &str, help: bool) -> Diagnostic {
    expect(text, code, Severity::Error, span_text, help)
}

pub(super) fn warning(text: &str, code: Code, span_text: &str, help: bool) -> Diagnostic {
    expect(text, code, Severity::Warning, span_text, help)
}

pub(super) fn clean(text: &str) {
    let all = diagnostics(text);
    assert!(
        all.is_empty(),
        "no diagnostics expected for {text:?}, got {all:#?}"
    );
}

/// No diagnostics but the warnings of `allowed` (about \[decided\] rules the text uses).
pub(super) fn clean_except(text: &str, allowed: &[Code]) {
    let all = diagnostics(text);
    assert!(
        all.iter()
            .all(|d| !d.is_error() && allowed.iter().any(|c| d.code == *c)),
        "only {allowed:?} expected for {text:?}, got {all:#?}"
    );
}

pub(super) fn lacks(text: &str, code: Code) {
    let all = diagnostics(text);
    assert!(
        all.iter().all(|d| d.code != code),
        "no {code} expected for {text:?}, got {all:#?}"
    );
}

pub(super) const V: &str = "v = $CPUPercent.GetSample(5); ";
