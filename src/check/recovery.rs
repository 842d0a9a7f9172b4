//! Checking a formula that did not parse completely, so that one run reports every
//! mistake: the statements that parsed are checked, knowing which names the broken ones
//! assign.

use super::walk::check_statements;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{self, Formula};
use crate::syntax::lexer::Token;
use crate::syntax::{nesting, parser};

/// What the checker needs to know to check the statements of a formula that did not
/// parse completely (so that one run reports every error, not only the syntax errors).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovery {
    /// Statements (indices into [`Formula::statements`]) not to check: they nest too
    /// deeply to walk.
    pub skip: Vec<usize>,
    /// Names assigned by statements that failed to parse or are skipped, with the byte
    /// offset of that statement. From there on each name counts as assigned, with an
    /// unknown type, so that reading it is not reported as undefined.
    pub assigned: Vec<(u32, String)>,
}

/// Checks the statements that parsed, as [`super::check`] does, knowing what the others assign.
pub fn check_recovered(formula: &Formula, recovery: &Recovery) -> Vec<Diagnostic> {
    check_statements(formula, recovery, false).0
}

/// The names that statements which failed to parse would have assigned: every `name =`
/// in a `;`-separated stretch of the text where no statement parsed, with the offset of
/// the stretch. The checker takes them as assigned (see [`Recovery`]).
pub fn assigned_by_broken_statements(text: &str, formula: &Formula) -> Vec<(u32, String)> {
    let tokens = parser::recovered_tokens(text);
    let mut names = Vec::new();
    let mut statements = formula.statements.iter().map(|s| s.span.start as usize);
    let mut next_parsed = statements.next();
    for stretch in tokens.split(|(_, t, _)| *t == Token::Semicolon) {
        let (Some(first), Some(last)) = (stretch.first(), stretch.last()) else {
            continue;
        };
        while next_parsed.is_some_and(|s| s < first.0) {
            next_parsed = statements.next();
        }
        if next_parsed.is_some_and(|s| s <= last.0) {
            continue;
        }
        for pair in stretch.windows(2) {
            if let [
                (_, Token::Name(n) | Token::DollarName(n), _),
                (_, Token::Assign, _),
            ] = pair
            {
                names.push((first.0 as u32, n.clone()));
            }
        }
    }
    names
}

/// The checker's diagnostics for the statements of a formula with syntax errors: every
/// statement that parsed and is not too deep, knowing which names the others assign.
pub fn check_what_parsed(
    text: &str,
    formula: &ast::Formula,
    errors: &[parser::SyntaxError],
    too_deep: &[nesting::TooDeep],
) -> Vec<Diagnostic> {
    // A statement around a lexical error parsed from what was left of it (`time(\"x\")`
    // without its `\`): what the checker would say of it is a consequence, not news.
    let mangled = |s: &ast::Statement| {
        errors
            .iter()
            .any(|e| s.span.start <= e.span.start && e.span.start < s.span.end)
    };
    let mut recovery = Recovery {
        skip: too_deep.iter().map(|t| t.statement).collect(),
        assigned: assigned_by_broken_statements(text, formula),
    };
    for (index, statement) in formula.statements.iter().enumerate() {
        if mangled(statement) {
            recovery.skip.push(index);
        }
    }
    for &index in &recovery.skip {
        let statement = &formula.statements[index];
        if let ast::StatementKind::Assign { target, .. } = &statement.kind {
            recovery
                .assigned
                .push((statement.span.start, target.text.clone()));
        }
    }
    let mut diagnostics = check_recovered(formula, &recovery);
    diagnostics.extend(super::text_warnings(text));
    diagnostics
}
