//! Lints: likely mistakes drawn from real failures. Each is a warning with a `BS06xx`
//! code; none makes a formula invalid. They run in validation (`batchscale check`), not
//! in evaluation.
//!
//! The checker ([`crate::check`]) proves errors; the lints look for formulas that are
//! valid but probably wrong, one file per family, sharing one walk over the tree
//! ([`walk`]) and the checker's constant folder ([`crate::check::fold`]), which the lints
//! run through the variables last assigned a constant ([`Linter::number`]):
//!
//! - [`samples`]: a sample window that fails on a new pool (cold start,
//!   [`Code::ColdStart`]), and `$CPUPercent.GetSample(1)`;
//! - [`values`]: a target that can go negative or be fractional, and a formula that
//!   scales down with the default `requeue` (a small range analysis, [`ranges`]);
//! - [`conditions`]: conditions that are always true or always false, and a percentage
//!   compared with a fraction;
//! - [`variables`]: variables never read, targets never assigned.
//!
//! Every name comes from [`builtins`], and the types from the checker
//! ([`expression_types`]).

use std::collections::BTreeMap;

use crate::builtins;
use crate::check::fold::fold_with;
use crate::check::{ExprTypes, expression_types};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast::{Expr, ExprKind, Formula, StatementKind};
use crate::syntax::span::Span;

use ranges::Range;

mod conditions;
mod ranges;
mod samples;
mod values;
mod variables;
mod walk;

/// How many variable definitions the guard analysis follows (`a = b; b = c; ...`).
const MAX_INDIRECTION: usize = 8;

/// Every lint of a formula that parsed and passed the service's validation, in source
/// order. Code after a top-level `stop();` never runs: the checker says so, and the lints
/// say nothing of it (language.md section 9.1).
pub fn lint(text: &str, formula: &Formula) -> Vec<Diagnostic> {
    let stop = formula.statements.iter().position(|s| match &s.kind {
        StatementKind::Expr(e) => crate::check::is_stop(e),
        StatementKind::Assign { .. } => false,
    });
    match stop {
        Some(i) if i + 1 < formula.statements.len() => {
            let reachable = Formula {
                statements: formula.statements[..=i].to_vec(),
            };
            let found = lint_reachable(text, &reachable);
            crate::syntax::nesting::dismantle(reachable);
            found
        }
        _ => lint_reachable(text, formula),
    }
}

fn lint_reachable(text: &str, formula: &Formula) -> Vec<Diagnostic> {
    let mut linter = Linter {
        text,
        types: expression_types(formula),
        definitions: BTreeMap::new(),
        constants: BTreeMap::new(),
        ranges: BTreeMap::new(),
        diagnostics: Vec::new(),
    };
    for statement in &formula.statements {
        let e = match &statement.kind {
            StatementKind::Assign { value, .. } => value,
            StatementKind::Expr(e) => e,
        };
        linter.cold_start(e, &[], 0);
        linter.conditions(e, 0);
        linter.cpu_single_sample(e, 0);
        if let StatementKind::Assign { target, value } = &statement.kind
            && builtins::system_variable(&target.text).is_none()
        {
            linter.definitions.insert(target.text.clone(), value);
            linter.learn(&target.text, value);
        }
    }
    linter.values(formula);
    linter.variables(formula);
    let mut diagnostics = linter.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics
}

pub(super) struct Linter<'a> {
    pub(super) text: &'a str,
    pub(super) types: ExprTypes,
    /// Each user variable's last assignment before the statement being linted.
    pub(super) definitions: BTreeMap<String, &'a Expr>,
    /// The user variables whose last assignment before the statement being linted gave
    /// one constant (`hi = 4 + 1;`), with that value, worked out when the assignment ran.
    constants: BTreeMap<String, f64>,
    /// The user variables whose last assignment before the statement being linted holds a
    /// value of a known range (`w = time().weekday;` is 0 to 6).
    ranges: BTreeMap<String, Range>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl<'a> Linter<'a> {
    pub(super) fn warn(&mut self, code: Code, span: Span, message: String, help: String) {
        self.diagnostics
            .push(Diagnostic::new(code, span, message).with_help(help));
    }

    /// The source text of an expression, on one line.
    pub(super) fn source(&self, e: &Expr) -> String {
        let raw = self.text.get(e.span.range()).unwrap_or("");
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A variable's definition, followed through `a = b` copies.
    pub(super) fn resolve(&self, mut e: &'a Expr) -> &'a Expr {
        for _ in 0..MAX_INDIRECTION {
            match &e.kind {
                ExprKind::Name(name) => match self.definitions.get(name) {
                    Some(definition) => e = definition,
                    None => return e,
                },
                _ => return e,
            }
        }
        e
    }

    /// The value of a constant expression: numbers, operators and the variables last
    /// assigned a constant before the statement being linted (`lo`, `hi + 1`). A variable
    /// last assigned anything else (a pool variable, a `?:` whose branches differ, a
    /// sample) has no value here: the lints do not guess.
    pub(super) fn number(&self, e: &Expr) -> Option<f64> {
        fold_with(e, &|name| self.constants.get(name).copied())
    }

    /// Records what an assignment of a user variable leaves in it: a constant (through
    /// the constants already known), a range, or neither. Statements run in order, so the
    /// last assignment before a use is the value that use sees.
    fn learn(&mut self, name: &str, value: &Expr) {
        match self.number(value).filter(|c| !c.is_nan()) {
            Some(c) => self.constants.insert(name.to_string(), c),
            None => self.constants.remove(name),
        };
        match self.static_range(value) {
            Some(range) => self.ranges.insert(name.to_string(), range),
            None => self.ranges.remove(name),
        };
    }
}
