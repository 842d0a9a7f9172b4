//! Conditions: always true or always false (constants, or ranges that decide them), and
//! percentages compared with fractions.

use std::collections::BTreeMap;

use crate::builtins::types::TypeSet;
use crate::builtins::{self, Field, Implementation, Method, Metric, SystemVariable};
use crate::check::fold::{fold, literal};
use crate::diagnostic::Code;
use crate::doubles::format_double;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind};
use crate::syntax::nesting::MAX_NESTING_DEPTH;

use super::Linter;
use super::ranges::Range;
use super::walk::{calls_rand, chain, flip, for_each_child, metric_of, negate};

impl<'a> Linter<'a> {
    /// Conditions that are always true or always false, and percentages compared with
    /// fractions.
    pub(super) fn conditions(&mut self, e: &Expr, depth: usize) {
        self.conditions_in(e, depth, None);
    }

    /// [`Self::conditions`] of `e`, an operand of a `&&` or `||` chain (`chain`) whose
    /// range analysis ran at its top. A part of a chain is decided only when the whole is
    /// (the whole has every comparison of the part, and more), so the part is not analysed
    /// again: a chain of n comparisons costs n, not n².
    fn conditions_in(&mut self, e: &Expr, depth: usize, chain: Option<BinaryOp>) {
        if depth > MAX_NESTING_DEPTH {
            return;
        }
        let depth = depth + 1;
        match &e.kind {
            ExprKind::Conditional { condition, .. } => {
                if let Some(value) = fold(condition) {
                    let (always, never) = if value != 0.0 {
                        ("true", "after ':'")
                    } else {
                        ("false", "after '?'")
                    };
                    self.warn(
                        Code::ConstantCondition,
                        condition.span,
                        format!("this condition is always {always}: the branch {never} never runs"),
                        "replace the '?:' by the branch that runs, or make the condition \
                         depend on the pool"
                            .to_string(),
                    );
                    for_each_child(condition, |c| self.conditions(c, depth));
                    self.conditions_of_branches(e, depth);
                    return;
                }
            }
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                lhs,
                rhs,
            } => {
                for operand in [lhs, rhs] {
                    let logic = matches!(
                        operand.kind,
                        ExprKind::Binary {
                            op: BinaryOp::And | BinaryOp::Or,
                            ..
                        }
                    );
                    if !logic && let Some(value) = fold(operand) {
                        let always = if value != 0.0 { "true" } else { "false" };
                        self.warn(
                            Code::ConstantCondition,
                            operand.span,
                            format!("this operand of '{}' is always {always}", op.symbol()),
                            "remove it, or make it depend on the pool".to_string(),
                        );
                    }
                }
            }
            _ => {}
        }
        let logic_op = match &e.kind {
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                ..
            } => Some(*op),
            _ => None,
        };
        let is_logic = logic_op.is_some()
            || matches!(&e.kind, ExprKind::Binary { op, .. } if op.is_comparison());
        let analysed = logic_op.is_some() && logic_op == chain;
        // A condition made only of constants, directly or through variables, is not this
        // lint's: a literal one is `BS0605`'s, one through variables is a flag set on
        // purpose.
        if is_logic
            && !analysed
            && self.number(e).is_none()
            && !weekday_against_seven(e)
            && self.impossible(e)
        {
            return;
        }
        if let ExprKind::Binary { op, lhs, rhs } = &e.kind
            && op.is_comparison()
        {
            self.percent_as_fraction(lhs, rhs);
            self.percent_as_fraction(rhs, lhs);
        }
        for_each_child(e, |c| self.conditions_in(c, depth, logic_op));
    }

    pub(super) fn conditions_of_branches(&mut self, e: &Expr, depth: usize) {
        if let ExprKind::Conditional {
            then, otherwise, ..
        } = &e.kind
        {
            self.conditions(then, depth);
            self.conditions(otherwise, depth);
        }
    }

    /// A comparison or `&&`/`||` chain that ranges decide; reported, true when so. When a
    /// limit came through variables, the help says what they hold.
    pub(super) fn impossible(&mut self, e: &Expr) -> bool {
        let Some((value, deciding)) = self.decision(e) else {
            return false;
        };
        let values = self.bound_values(&deciding);
        let (message, help) = match &e.kind {
            ExprKind::Binary { op, .. } if op.is_comparison() => (
                format!(
                    "this comparison is always {value}: {}",
                    self.range_reason(e).unwrap_or_default()
                ),
                "compare with a value inside the range".to_string(),
            ),
            _ if value => (
                "this condition is always true: whatever the value, one of its comparisons \
                 holds"
                    .to_string(),
                "check the comparison operators and limits".to_string(),
            ),
            _ => (
                "this condition is never true: its comparisons of the same value contradict \
                 each other"
                    .to_string(),
                "check the comparison operators and limits; a range is written \
                 'low <= x && x <= high'"
                    .to_string(),
            ),
        };
        let help = if values.is_empty() {
            help
        } else {
            let said: Vec<String> = values
                .iter()
                .map(|(name, value)| format!("'{name}' is {}", format_double(*value)))
                .collect();
            let list = match said.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last}", rest.join(", "))
                }
                _ => said.concat(),
            };
            format!("{list}; {help}")
        };
        self.warn(Code::ImpossibleCondition, e.span, message, help);
        true
    }

    /// Whether the ranges of the values compared decide a comparison or chain, with the
    /// comparisons that decide it.
    pub(super) fn decision<'e>(&self, e: &'e Expr) -> Option<(bool, Vec<&'e Expr>)> {
        let ExprKind::Binary { op, .. } = &e.kind else {
            return None;
        };
        if op.is_comparison() {
            let (subject, interval) = self.constraint(e, true)?;
            let range = self.static_range(subject)?;
            let inside = range.intersect(interval);
            if inside.is_empty() {
                return Some((false, vec![e]));
            }
            let (_, outside) = self.constraint(e, false)?;
            if range.intersect(outside).is_empty() {
                return Some((true, vec![e]));
            }
            return None;
        }
        // `a && b && ...` is never true when the comparisons of one value leave it no
        // room; `a || b || ...` is always true when their negations leave none.
        let truth = *op == BinaryOp::Or;
        let mut leaves = Vec::new();
        chain(e, *op, &mut leaves);
        let mut by_subject: BTreeMap<String, (Range, Vec<&Expr>)> = BTreeMap::new();
        for leaf in leaves {
            let Some((subject, interval)) = self.constraint(leaf, !truth) else {
                continue;
            };
            let key = self.source(subject).replace(' ', "");
            // Each call of rand() is another number.
            if calls_rand(subject) {
                continue;
            }
            let entry = by_subject
                .entry(key)
                .or_insert((self.static_range(subject).unwrap_or(Range::ALL), Vec::new()));
            entry.0 = entry.0.intersect(interval);
            entry.1.push(leaf);
        }
        by_subject
            .into_values()
            .find(|(interval, _)| interval.is_empty())
            .map(|(_, deciding)| (truth, deciding))
    }

    /// The variables holding a constant that the limits of `comparisons` read, each once,
    /// in source order, with their values: `w < lo && w > hi` gives `lo` 1 and `hi` 5.
    pub(super) fn bound_values(&self, comparisons: &[&Expr]) -> Vec<(String, f64)> {
        fn names<'e>(e: &'e Expr, out: &mut Vec<&'e str>, depth: usize) {
            if depth > MAX_NESTING_DEPTH {
                return;
            }
            if let ExprKind::Name(name) = &e.kind
                && !out.contains(&name.as_str())
            {
                out.push(name);
            }
            for_each_child(e, |c| names(c, out, depth + 1));
        }
        let mut read = Vec::new();
        for comparison in comparisons {
            if let ExprKind::Binary { lhs, rhs, .. } = &comparison.kind {
                for side in [lhs, rhs] {
                    if self.number(side).is_some() {
                        names(side, &mut read, 0);
                    }
                }
            }
        }
        read.into_iter()
            .filter_map(|name| Some((name.to_string(), *self.constants.get(name)?)))
            .collect()
    }

    /// Why a comparison is decided by its subject's range.
    pub(super) fn range_reason(&self, e: &Expr) -> Option<String> {
        let (subject, _) = self.constraint(e, true)?;
        let range = self.static_range(subject)?;
        Some(format!(
            "'{}' is between {} and {}",
            self.source(subject),
            format_double(range.bounds().0),
            format_double(range.bounds().1)
        ))
    }

    /// A comparison `subject op constant` as the set of subject values for which it is
    /// `truth`. The constant may come through variables (`w < lo` with `lo = 1;`).
    pub(super) fn constraint<'e>(&self, e: &'e Expr, truth: bool) -> Option<(&'e Expr, Range)> {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return None;
        };
        if !op.is_comparison() {
            return None;
        }
        let (subject, c, op) = match (self.number(lhs), self.number(rhs)) {
            (None, Some(c)) => (&**lhs, c, *op),
            (Some(c), None) => (&**rhs, c, flip(*op)),
            _ => return None,
        };
        if !self.types.of(subject).is_subset_of(TypeSet::DOUBLE)
            || self.types.of(subject).is_unknown()
        {
            return None;
        }
        let op = if truth { op } else { negate(op)? };
        let integral = self.static_range(subject).is_some_and(|r| r.is_integral());
        Some((subject, Range::satisfying(op, c, integral)?))
    }

    /// The range a value has whatever the pool: timestamp fields, percentages, counts,
    /// directly or in a variable last assigned one (`w = time().weekday;`).
    pub(super) fn static_range(&self, e: &Expr) -> Option<Range> {
        match &e.kind {
            ExprKind::Field { field, .. } => {
                let (lo, hi) = match Field::from_name(&field.text)? {
                    Field::Year => (1.0, 9999.0),
                    Field::Month => (1.0, 12.0),
                    Field::Day => (1.0, 31.0),
                    Field::Weekday => (0.0, 6.0),
                    Field::Hour => (0.0, 23.0),
                    Field::Minute | Field::Second => (0.0, 59.0),
                };
                Some(Range::closed(lo, hi, true))
            }
            ExprKind::Method { method, .. } => match Method::from_name(&method.text)? {
                Method::GetSamplePercent => Some(Range::closed(0.0, 100.0, false)),
                Method::Count => Some(Range::closed(0.0, f64::INFINITY, true)),
                _ => None,
            },
            ExprKind::Name(name) => match builtins::system_variable(name) {
                Some(SystemVariable::Pool { .. }) => Some(Range::closed(0.0, f64::INFINITY, true)),
                Some(_) => None,
                None => self.ranges.get(name).copied(),
            },
            _ => None,
        }
    }

    /// `percent < 0.7`: a percentage (0..100) compared with a fraction.
    pub(super) fn percent_as_fraction(&mut self, percent: &Expr, other: &Expr) {
        let Some(c) = self.number(other) else {
            return;
        };
        if !(c > 0.0 && c < 1.0) {
            return;
        }
        let what = if self.percent_metric(percent).is_some() {
            "a sample percentage"
        } else if self.is_cpu_value(percent) {
            "a CPU percentage"
        } else {
            return;
        };
        let meant = format_double((c * 100.0 * 1e6).round() / 1e6);
        self.warn(
            Code::PercentAsFraction,
            other.span,
            format!(
                "'{}' is {what}, from 0 to 100, but is compared with {}, a fraction",
                self.source(percent),
                format_double(c)
            ),
            format!(
                "percentages run from 0 to 100: for {}%, write {meant}",
                meant
            ),
        );
    }

    /// A value computed from `$CPUPercent` samples (`avg($CPUPercent.GetSample(...))`).
    pub(super) fn is_cpu_value(&self, e: &Expr) -> bool {
        match &self.resolve(e).kind {
            ExprKind::Call { function, args, .. } => {
                // A summary on the samples' scale: avg, max, min, percentile, val.
                let summary =
                    builtins::function(&function.text).is_some_and(|f| match f.implementation {
                        Implementation::Aggregate(kind) => kind.keeps_scale(),
                        Implementation::Percentile | Implementation::Val => true,
                        _ => false,
                    });
                summary
                    && args.first().is_some_and(|a| match &self.resolve(a).kind {
                        ExprKind::Method { receiver, .. } => {
                            metric_of(receiver) == Some(Metric::CpuPercent)
                        }
                        _ => false,
                    })
            }
            _ => false,
        }
    }
}

/// `.weekday` compared with the number 7: the checker's `BS0503` says it better. As the
/// checker, a number written there only; a 7 through a variable is this lint's.
fn weekday_against_seven(e: &Expr) -> bool {
    let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
        return false;
    };
    let weekday = |x: &Expr| matches!(&x.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday));
    (weekday(lhs) && literal(rhs) == Some(7.0)) || (weekday(rhs) && literal(lhs) == Some(7.0))
}
