//! Variables: user variables never read, and a formula that assigns no target.

use std::collections::BTreeSet;

use crate::builtins::{self, SystemVariable};
use crate::diagnostic::Code;
use crate::suggest::suggest;
use crate::syntax::ast::{Formula, StatementKind};
use crate::syntax::span::Span;

use super::Linter;
use super::walk::names_read;

impl<'a> Linter<'a> {
    /// User variables never read, and a formula that assigns no target.
    pub(super) fn variables(&mut self, formula: &Formula) {
        let mut read = BTreeSet::new();
        for statement in &formula.statements {
            let e = match &statement.kind {
                StatementKind::Assign { value, .. } => value,
                StatementKind::Expr(e) => e,
            };
            names_read(e, &mut read, 0);
        }
        let targets: Vec<&str> = builtins::SYSTEM_VARIABLES
            .iter()
            .filter(|(_, v)| {
                matches!(
                    v,
                    SystemVariable::Target {
                        target: builtins::Target::Dedicated | builtins::Target::LowPriority,
                        ..
                    }
                )
            })
            .map(|(n, _)| *n)
            .collect();
        let mut assigned_target = false;
        let mut lookalike = false;
        let mut user: Vec<&crate::syntax::ast::Name> = Vec::new();
        let mut seen = BTreeSet::new();
        for statement in &formula.statements {
            let StatementKind::Assign { target, .. } = &statement.kind else {
                continue;
            };
            let name = target.text.as_str();
            if targets.contains(&name) {
                assigned_target = true;
            } else if builtins::system_variable(name).is_none()
                && builtins::time_constant(name).is_none()
                && builtins::DeallocationOption::from_keyword(name).is_none()
            {
                if suggest(name, targets.iter().copied()).is_some() {
                    // The checker's lookalike warning says it all.
                    lookalike = true;
                } else if seen.insert(name) {
                    user.push(target);
                }
            }
        }
        if !assigned_target && !lookalike {
            let at = formula.statements.last().map_or(Span::default(), |s| Span {
                start: s.span.end,
                end: s.span.end,
            });
            self.warn(
                Code::NoTarget,
                at,
                "no statement assigns $TargetDedicatedNodes or $TargetLowPriorityNodes, so \
                 the pool keeps its size"
                    .to_string(),
                "assign the number of nodes you want, as in '$TargetDedicatedNodes = ...;'"
                    .to_string(),
            );
            // A formula that sets no target is a probe: its variables are its results.
            return;
        }
        for target in user {
            if !read.contains(target.text.as_str()) {
                self.warn(
                    Code::UnusedVariable,
                    target.span,
                    format!("'{}' is assigned but never read", target.text),
                    "use it or remove it (if you assign it only to see its value in the run's \
                     results, ignore this)"
                        .to_string(),
                );
            }
        }
    }
}
