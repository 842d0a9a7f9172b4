//! The static checker (language.md): every error it can prove before a run, and warnings
//! where the outcome depends on a \[decided\] rule or on a type the checker cannot pin
//! down.
//!
//! The service reports these errors only when the offending statement runs (section 9);
//! the checker reports them all up front, because the formula fails whenever that code is
//! reached. Every name, arity and type comes from [`crate::builtins`].
//!
//! - [`walk`]: statements in order, names, assignments, the type of each expression;
//! - [`operators`]: unary and binary operators, from the operator table;
//! - [`calls`]: functions, methods and fields, from their records;
//! - [`help`]: help texts shared by several checks;
//! - [`recovery`]: checking what parsed of a formula with syntax errors;
//! - [`text`]: warnings only the token stream shows;
//! - [`fold`]: the constant folder the checks and the lints share.
//!
//! Likely mistakes that are not errors (a sample window that fails on a new pool, a target
//! that can go negative, ...) are the lints of [`crate::lint`], which read the types this
//! checker finds ([`expression_types`]).

use std::collections::HashMap;

use crate::builtins::types::TypeSet;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{Expr, Formula};

mod calls;
pub mod fold;
mod help;
mod operators;
pub mod recovery;
pub mod text;
mod walk;

#[cfg(test)]
mod tests;

pub use recovery::{Recovery, check_recovered};
pub use text::text_warnings;
pub(crate) use walk::is_stop;

/// Checks a syntactically valid formula. Diagnostics come in source order.
pub fn check(formula: &Formula) -> Vec<Diagnostic> {
    walk::check_statements(formula, &Recovery::default(), false).0
}

/// The types the checker found for each expression, for the lints.
#[derive(Debug, Clone, Default)]
pub struct ExprTypes(HashMap<(u32, u32), TypeSet>);

impl ExprTypes {
    /// The types `e` may have; unknown for an expression the checker did not type.
    pub fn of(&self, e: &Expr) -> TypeSet {
        self.0
            .get(&(e.span.start, e.span.end))
            .copied()
            .unwrap_or(TypeSet::UNKNOWN)
    }
}

/// The type of every expression of a formula, in the context where it stands (a variable
/// has the type of its last assignment before the statement).
pub fn expression_types(formula: &Formula) -> ExprTypes {
    walk::check_statements(formula, &Recovery::default(), true).1
}
