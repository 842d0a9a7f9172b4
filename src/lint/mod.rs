//! Lints: likely mistakes drawn from real failures. Each is a warning with a `BS06xx`
//! code; none makes a formula invalid. They run in validation (`batchscale check`), not
//! in evaluation.
//!
//! The checker ([`super::checker`]) proves errors; the lints look for formulas that are
//! valid but probably wrong:
//!
//! - a sample window that fails on a new pool (cold start, [`Code::ColdStart`]);
//! - a target that can go negative or be fractional, and a formula that scales down with
//!   the default `requeue` (a small range analysis);
//! - conditions that are always true or always false;
//! - a percentage compared with a fraction;
//! - variables never read, targets never assigned, `$CPUPercent.GetSample(1)`.
//!
//! Every name comes from [`builtins`], and the types from the checker
//! ([`checker::expression_types`]).
//!
//! ## The cold-start analysis
//!
//! `GetSample(window)` and `GetSample(t1, t2)` without a percentage fail with
//! `InsufficientSampleData` unless 70% of the window's samples exist [seen], and a new pool
//! has none. Such a call is *guarded* when it runs only where a `GetSamplePercent` of the
//! same metric is known to be at least 70: inside the branch of a `?:` (or the right side
//! of `&&`/`||`) whose condition compares the percentage with a threshold of 70 or more,
//! the branch being the one taken when the percentage is high enough. The percentage may
//! be the call itself or a variable last assigned it; the threshold a number or a variable
//! last assigned one; the condition may combine comparisons with `&&`, `||` and `!`, or be
//! a variable last assigned such a condition. Anything else counts as no guard. The
//! windows of the guard and of the call are not compared.
//!
//! A call with an explicit percentage (`GetSample(window, 50)`) is not reported: the
//! author chose how much data the formula needs, and a failed evaluation leaves the pool
//! as it is, which is what asking for a percentage means.

use std::collections::{BTreeMap, BTreeSet};

use crate::builtins::types::TypeSet;
use crate::builtins::{
    self, Aggregate, Field, Implementation, Method, Metric, PoolScalar, SystemVariable,
};
use crate::check::fold::{apply, fold, literal};
use crate::check::{ExprTypes, expression_types};
use crate::diagnostic::{Code, Diagnostic};
use crate::format::format_double;
use crate::suggest::suggest;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Formula, StatementKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::span::Span;

/// The percentage a sample window needs when the call gives none [seen].
const DEFAULT_PERCENT: f64 = 70.0;

/// How many variable definitions the guard analysis follows (`a = b; b = c; ...`).
const MAX_INDIRECTION: usize = 8;

/// Every lint of a formula that parsed and passed the service's validation, in source
/// order.
pub fn lint(text: &str, formula: &Formula) -> Vec<Diagnostic> {
    let mut linter = Linter {
        text,
        types: expression_types(formula),
        definitions: BTreeMap::new(),
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
        }
    }
    linter.values(formula);
    linter.variables(formula);
    let mut diagnostics = linter.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics
}

struct Linter<'a> {
    text: &'a str,
    types: ExprTypes,
    /// Each user variable's last assignment before the statement being linted.
    definitions: BTreeMap<String, &'a Expr>,
    diagnostics: Vec<Diagnostic>,
}

/// What a condition proves about a metric's sample percentage: at least `at_least`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Floor {
    metric: Metric,
    at_least: f64,
}

impl<'a> Linter<'a> {
    fn warn(&mut self, code: Code, span: Span, message: String, help: String) {
        self.diagnostics
            .push(Diagnostic::new(code, span, message).with_help(help));
    }

    /// The source text of an expression, on one line.
    fn source(&self, e: &Expr) -> String {
        let raw = self.text.get(e.span.range()).unwrap_or("");
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A variable's definition, followed through `a = b` copies.
    fn resolve(&self, mut e: &'a Expr) -> &'a Expr {
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

    // --- cold start ---------------------------------------------------------------

    /// Reports every window `GetSample` in `e` that no guard in `floors` covers.
    fn cold_start(&mut self, e: &Expr, floors: &[Floor], depth: usize) {
        if depth > MAX_NESTING_DEPTH {
            return;
        }
        let depth = depth + 1;
        match &e.kind {
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                self.cold_start(condition, floors, depth);
                let mut when_true = floors.to_vec();
                when_true.extend(self.floors(condition, true, 0));
                self.cold_start(then, &when_true, depth);
                let mut when_false = floors.to_vec();
                when_false.extend(self.floors(condition, false, 0));
                self.cold_start(otherwise, &when_false, depth);
            }
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                lhs,
                rhs,
            } => {
                // The right side runs only when the left did not decide [decided; the
                // checker warns about relying on it].
                self.cold_start(lhs, floors, depth);
                let mut known = floors.to_vec();
                known.extend(self.floors(lhs, *op == BinaryOp::And, 0));
                self.cold_start(rhs, &known, depth);
            }
            ExprKind::Method {
                receiver,
                method,
                args,
                ..
            } => {
                for arg in args {
                    self.cold_start(arg, floors, depth);
                }
                if let Some(metric) = metric_of(receiver)
                    && Method::from_name(&method.text) == Some(Method::GetSample)
                    && self.is_default_percent_window(args)
                {
                    self.unguarded_window(e, metric, floors);
                }
            }
            _ => for_each_child(e, |child| self.cold_start(child, floors, depth)),
        }
    }

    /// `GetSample(t)` or `GetSample(t1, t2)`: a window with no percentage of its own.
    fn is_default_percent_window(&self, args: &[Expr]) -> bool {
        let time = |e: &Expr| !self.types.of(e).intersection(TypeSet::TIME).is_unknown();
        match args {
            [t] => time(t),
            [t1, t2] => time(t1) && time(t2),
            _ => false,
        }
    }

    fn unguarded_window(&mut self, call: &Expr, metric: Metric, floors: &[Floor]) {
        let best = floors
            .iter()
            .filter(|f| f.metric == metric)
            .map(|f| f.at_least)
            .fold(None, |best: Option<f64>, x| {
                Some(best.map_or(x, |b| b.max(x)))
            });
        if best.is_some_and(|b| b >= DEFAULT_PERCENT) {
            return;
        }
        let name = metric.name();
        let help = match best {
            Some(low) => format!(
                "the guard checks for only {}% of the samples of {name}, and this call \
                 needs 70%: compare the percentage with 70 or more",
                format_double(low)
            ),
            None => format!(
                "check the data first, as the documentation's examples do: \
                 'p = {name}.GetSamplePercent(window); v = p < 70 ? fallback : \
                 avg({name}.GetSample(window));'"
            ),
        };
        self.warn(
            Code::ColdStart,
            call.span,
            "this sample window fails the evaluation while fewer than 70% of its samples \
             exist, as on a new pool (InsufficientSampleData): without a percentage, \
             GetSample requires 70%"
                .to_string(),
            help,
        );
    }

    /// What `condition` being `truth` proves about sample percentages.
    fn floors(&self, condition: &Expr, truth: bool, indirection: usize) -> Vec<Floor> {
        if indirection > MAX_INDIRECTION {
            return Vec::new();
        }
        let next = indirection + 1;
        match &condition.kind {
            ExprKind::Name(_) => {
                let definition = self.resolve(condition);
                if std::ptr::eq(definition, condition) {
                    Vec::new()
                } else {
                    self.floors(definition, truth, next)
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.floors(operand, !truth, next),
            ExprKind::Binary { op, lhs, rhs } => match (op, truth) {
                // Both sides hold when `&&` is true, neither when `||` is false.
                (BinaryOp::And, true) | (BinaryOp::Or, false) => {
                    let mut all = self.floors(lhs, truth, next);
                    all.extend(self.floors(rhs, truth, next));
                    all
                }
                (BinaryOp::And | BinaryOp::Or, _) => Vec::new(),
                (op, truth) if op.is_comparison() => self
                    .comparison_floor(*op, lhs, rhs, truth)
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// `percent >= threshold` (in any of its spellings) being `truth`.
    fn comparison_floor(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr, truth: bool) -> Option<Floor> {
        let (metric, threshold, op) = match (self.percent_metric(lhs), self.percent_metric(rhs)) {
            (Some(m), None) => (m, self.number(rhs)?, op),
            (None, Some(m)) => (m, self.number(lhs)?, flip(op)),
            _ => return None,
        };
        let op = if truth { op } else { negate(op)? };
        matches!(op, BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq).then_some(Floor {
            metric,
            at_least: threshold,
        })
    }

    /// The metric whose `GetSamplePercent` an expression is (directly or through a
    /// variable).
    fn percent_metric(&self, e: &Expr) -> Option<Metric> {
        match &self.resolve(e).kind {
            ExprKind::Method {
                receiver, method, ..
            } if Method::from_name(&method.text) == Some(Method::GetSamplePercent) => {
                metric_of(receiver)
            }
            _ => None,
        }
    }

    /// A number written in the formula, directly or in a variable.
    fn number(&self, e: &Expr) -> Option<f64> {
        literal(self.resolve(e))
    }

    // --- conditions ---------------------------------------------------------------

    /// Conditions that are always true or always false, and percentages compared with
    /// fractions.
    fn conditions(&mut self, e: &Expr, depth: usize) {
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
        let is_logic = matches!(
            &e.kind,
            ExprKind::Binary { op, .. } if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or)
        );
        if is_logic && fold(e).is_none() && !weekday_against_seven(e) && self.impossible(e) {
            return;
        }
        if let ExprKind::Binary { op, lhs, rhs } = &e.kind
            && op.is_comparison()
        {
            self.percent_as_fraction(lhs, rhs);
            self.percent_as_fraction(rhs, lhs);
        }
        for_each_child(e, |c| self.conditions(c, depth));
    }

    fn conditions_of_branches(&mut self, e: &Expr, depth: usize) {
        if let ExprKind::Conditional {
            then, otherwise, ..
        } = &e.kind
        {
            self.conditions(then, depth);
            self.conditions(otherwise, depth);
        }
    }

    /// A comparison or `&&`/`||` chain that ranges decide; reported, true when so.
    fn impossible(&mut self, e: &Expr) -> bool {
        let Some(value) = self.decided_by_ranges(e) else {
            return false;
        };
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
        self.warn(Code::ImpossibleCondition, e.span, message, help);
        true
    }

    /// Whether the ranges of the values compared decide a comparison or chain.
    fn decided_by_ranges(&self, e: &Expr) -> Option<bool> {
        let ExprKind::Binary { op, .. } = &e.kind else {
            return None;
        };
        if op.is_comparison() {
            let (subject, interval) = self.constraint(e, true)?;
            let range = self.static_range(subject)?;
            let inside = range.intersect(interval);
            if inside.is_empty() {
                return Some(false);
            }
            let (_, outside) = self.constraint(e, false)?;
            if range.intersect(outside).is_empty() {
                return Some(true);
            }
            return None;
        }
        // `a && b && ...` is never true when the comparisons of one value leave it no
        // room; `a || b || ...` is always true when their negations leave none.
        let truth = *op == BinaryOp::Or;
        let mut leaves = Vec::new();
        chain(e, *op, &mut leaves);
        let mut by_subject: BTreeMap<String, (Interval, &Expr)> = BTreeMap::new();
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
                .or_insert((self.static_range(subject).unwrap_or(Interval::ALL), subject));
            entry.0 = entry.0.intersect(interval);
        }
        by_subject
            .values()
            .any(|(interval, _)| interval.is_empty())
            .then_some(truth)
    }

    /// Why a comparison is decided by its subject's range.
    fn range_reason(&self, e: &Expr) -> Option<String> {
        let (subject, _) = self.constraint(e, true)?;
        let range = self.static_range(subject)?;
        Some(format!(
            "'{}' is between {} and {}",
            self.source(subject),
            format_double(range.lo),
            format_double(range.hi)
        ))
    }

    /// A comparison `subject op number` as the set of subject values for which it is
    /// `truth`.
    fn constraint<'e>(&self, e: &'e Expr, truth: bool) -> Option<(&'e Expr, Interval)> {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return None;
        };
        if !op.is_comparison() {
            return None;
        }
        let (subject, c, op) = match (fold(lhs), fold(rhs)) {
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
        let integral = self.static_range(subject).is_some_and(|r| r.integral);
        Some((subject, Interval::satisfying(op, c, integral)?))
    }

    /// The range a value has whatever the pool: timestamp fields, percentages, counts.
    fn static_range(&self, e: &Expr) -> Option<Interval> {
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
                Some(Interval::closed(lo, hi, true))
            }
            ExprKind::Method { method, .. } => match Method::from_name(&method.text)? {
                Method::GetSamplePercent => Some(Interval::closed(0.0, 100.0, false)),
                Method::Count => Some(Interval::closed(0.0, f64::INFINITY, true)),
                _ => None,
            },
            ExprKind::Name(name) => match builtins::system_variable(name) {
                Some(SystemVariable::Pool { .. }) => {
                    Some(Interval::closed(0.0, f64::INFINITY, true))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// `percent < 0.7`: a percentage (0..100) compared with a fraction.
    fn percent_as_fraction(&mut self, percent: &Expr, other: &Expr) {
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
    fn is_cpu_value(&self, e: &Expr) -> bool {
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

    // --- $CPUPercent.GetSample(1) -------------------------------------------------

    fn cpu_single_sample(&mut self, e: &Expr, depth: usize) {
        if depth > MAX_NESTING_DEPTH {
            return;
        }
        if let ExprKind::Method {
            receiver,
            method,
            args,
            ..
        } = &e.kind
            && metric_of(receiver) == Some(Metric::CpuPercent)
            && Method::from_name(&method.text) == Some(Method::GetSample)
            && let [n] = args.as_slice()
            && literal(n).is_some_and(|c| c.trunc() == 1.0)
        {
            self.warn(
                Code::CpuSingleSample,
                e.span,
                "'$CPUPercent.GetSample(1)' is a single CPU sample, which the documentation \
                 calls unreliable for scaling: one sample is noisy and arrives late"
                    .to_string(),
                "summarise a window instead, guarded by GetSamplePercent, as in \
                 'avg($CPUPercent.GetSample(TimeInterval_Minute * 5))'"
                    .to_string(),
            );
        }
        for_each_child(e, |c| self.cpu_single_sample(c, depth + 1));
    }

    // --- targets: negative, fractional, requeue -------------------------------------

    fn values(&mut self, formula: &Formula) {
        let mut env = Env::new();
        // The last assignment of each target name: the name's span, the value's span and
        // what the value can be (when it is a double).
        let mut last: BTreeMap<&str, (Span, Span, Option<Num>)> = BTreeMap::new();
        let mut deallocation_assigned = false;
        for statement in &formula.statements {
            let StatementKind::Assign { target, value } = &statement.kind else {
                continue;
            };
            let num = self.num(value, &env, 0);
            if let Some(SystemVariable::Target { target: t, .. }) =
                builtins::system_variable(&target.text)
            {
                if t == builtins::Target::DeallocationOption {
                    deallocation_assigned = true;
                } else {
                    // Not surely a number (the checker reports it): no range to speak of.
                    let num = (self.types.of(value) == TypeSet::DOUBLE).then_some(num);
                    last.insert(target.text.as_str(), (target.span, value.span, num));
                }
            }
            env.insert(target.text.clone(), num);
        }
        // The full name decides when the formula assigns it, else the legacy alias [doc].
        let mut finals = Vec::new();
        for target in [builtins::Target::Dedicated, builtins::Target::LowPriority] {
            let full = builtins::target_name(target);
            let alias = builtins::legacy_name(target).unwrap_or(full);
            if let Some(found) = last.get(full).or_else(|| last.get(alias)) {
                let name = if last.contains_key(full) { full } else { alias };
                finals.push((name, *found));
            }
        }
        for &(name, (_, value_span, num)) in &finals {
            let Some(num) = num else {
                continue;
            };
            if num.lo < 0.0 {
                let low = if num.lo.is_finite() {
                    format!(" (as low as {})", format_double(num.lo))
                } else {
                    String::new()
                };
                self.warn(
                    Code::NegativeTarget,
                    value_span,
                    format!("'{name}' can become negative here{low}"),
                    "keep it at 0 or above, as in 'max(0, ...)'".to_string(),
                );
            }
            if num.fractional && !num.integral {
                self.warn(
                    Code::FractionalTarget,
                    value_span,
                    format!(
                        "'{name}' can be fractional here, and the service truncates it \
                         toward zero (2.9 nodes become 2)"
                    ),
                    "round it the way you mean: ceil(...) to round up, round(...) or \
                     floor(...)"
                        .to_string(),
                );
            }
        }
        if !deallocation_assigned
            && let Some(&(name, (target_span, _, _))) = finals
                .iter()
                .find(|(_, (_, _, num))| num.is_some_and(|n| n.lo != n.hi))
        {
            self.warn(
                Code::RequeueByDefault,
                target_span,
                format!(
                    "'$NodeDeallocationOption' is never assigned, so when this formula lowers \
                     '{name}' the nodes are removed with 'requeue': the tasks running on \
                     them are stopped and queued again"
                ),
                "to let running tasks finish first, add '$NodeDeallocationOption = \
                 taskcompletion;'"
                    .to_string(),
            );
        }
    }

    /// What a double (or each element of a doubleVec) can be.
    fn num(&self, e: &Expr, env: &Env, depth: usize) -> Num {
        if depth > MAX_NESTING_DEPTH {
            return Num::ANY;
        }
        let depth = depth + 1;
        let num = |x: &Expr| self.num(x, env, depth);
        match &e.kind {
            ExprKind::Number(c) => Num::exact(*c),
            ExprKind::String(_) => Num::ANY,
            ExprKind::Name(name) => env.get(name).copied().unwrap_or_else(|| name_num(name)),
            ExprKind::Unary { op, operand } => {
                let x = num(operand);
                match op {
                    UnaryOp::Neg => Num {
                        lo: -x.hi,
                        hi: -x.lo,
                        ..x
                    },
                    UnaryOp::Not => match x.constant() {
                        Some(c) => Num::exact(f64::from(c == 0.0)),
                        None => Num::BOOL,
                    },
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (num(lhs), num(rhs));
                match op {
                    BinaryOp::Add => a.add(b),
                    BinaryOp::Sub => a.add(b.negate()),
                    BinaryOp::Mul => a.mul(b),
                    BinaryOp::Div => a.div(b),
                    _ => match (a.constant(), b.constant()) {
                        (Some(x), Some(y)) => apply(*op, x, y).map_or(Num::BOOL, Num::exact),
                        _ => Num::BOOL,
                    },
                }
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                match num(condition).constant() {
                    Some(c) if c != 0.0 => return num(then),
                    Some(_) => return num(otherwise),
                    None => {}
                }
                let branch = |truth: bool, branch: &Expr| {
                    let mut refined = env.clone();
                    self.refine(condition, truth, env, &mut refined, depth)
                        .then(|| self.num(branch, &refined, depth))
                };
                match (branch(true, then), branch(false, otherwise)) {
                    (Some(a), Some(b)) => a.join(b),
                    (Some(a), None) => a,
                    (None, Some(b)) => b,
                    (None, None) => Num::ANY,
                }
            }
            ExprKind::Call { function, args, .. } => {
                let values: Vec<Num> = args.iter().map(num).collect();
                self.call_num(&function.text, args, &values)
            }
            ExprKind::Method {
                receiver, method, ..
            } => match (metric_of(receiver), Method::from_name(&method.text)) {
                (Some(metric), Some(Method::GetSample)) => metric_num(metric),
                (Some(_), Some(Method::GetSamplePercent)) => Num::range(0.0, 100.0, false),
                (Some(_), Some(Method::Count)) => Num::COUNT,
                _ => Num::ANY,
            },
            ExprKind::Field { .. } => match self.static_range(e) {
                Some(r) => Num::range(r.lo, r.hi, true),
                None => Num::ANY,
            },
        }
    }

    fn call_num(&self, name: &str, args: &[Expr], values: &[Num]) -> Num {
        let Some(def) = builtins::function(name) else {
            return Num::ANY;
        };
        let any_fraction = values.iter().any(|v| v.fractional);
        let all_integral = values.iter().all(|v| v.integral);
        let join = || values.iter().copied().reduce(Num::join);
        match def.implementation {
            Implementation::Aggregate(kind @ (Aggregate::Max | Aggregate::Min)) => {
                let pick = if kind == Aggregate::Max {
                    f64::max
                } else {
                    f64::min
                };
                values
                    .iter()
                    .copied()
                    .reduce(|a, b| Num {
                        lo: pick(a.lo, b.lo),
                        hi: pick(a.hi, b.hi),
                        integral: a.integral && b.integral,
                        fractional: a.fractional || b.fractional,
                    })
                    .unwrap_or(Num::ANY)
            }
            Implementation::Aggregate(Aggregate::Avg) => join().map_or(Num::ANY, |j| Num {
                integral: false,
                ..j
            }),
            Implementation::Aggregate(Aggregate::Sum) => {
                let vectors = args.iter().any(|a| {
                    self.types
                        .of(a)
                        .contains(crate::builtins::types::Type::DoubleVec)
                });
                if vectors {
                    let lo = if values.iter().all(|v| v.lo >= 0.0) {
                        0.0
                    } else {
                        f64::NEG_INFINITY
                    };
                    let hi = if values.iter().all(|v| v.hi <= 0.0) {
                        0.0
                    } else {
                        f64::INFINITY
                    };
                    Num {
                        lo,
                        hi,
                        integral: all_integral,
                        fractional: any_fraction,
                    }
                } else {
                    values.iter().copied().fold(Num::exact(0.0), Num::add)
                }
            }
            Implementation::Aggregate(Aggregate::Len) => Num::COUNT,
            // std, norm, range: statistics of data, never negative.
            Implementation::Aggregate(_) => Num::range(0.0, f64::INFINITY, false),
            Implementation::Elementwise(kind) if kind.gives_whole_numbers() => {
                let apply = kind.apply();
                join().map_or(Num::ANY, |j| Num {
                    lo: apply(j.lo),
                    hi: apply(j.hi),
                    integral: true,
                    fractional: false,
                })
            }
            // Logarithms: anything, and fractional.
            Implementation::Elementwise(_) => Num {
                fractional: true,
                ..Num::ANY
            },
            Implementation::Percentile => values.first().copied().unwrap_or(Num::ANY),
            // Out of range gives 0 [decided].
            Implementation::Val => values.first().map_or(Num::ANY, |v| v.join(Num::exact(0.0))),
            Implementation::Vec => join().unwrap_or(Num::ANY),
            Implementation::Rand => Num {
                fractional: true,
                ..Num::range(0.0, 1.0, false)
            },
            Implementation::Stop | Implementation::Time => Num::ANY,
        }
    }

    /// Narrows `refined` by `condition` being `truth`; false when that cannot happen.
    fn refine(
        &self,
        condition: &Expr,
        truth: bool,
        env: &Env,
        refined: &mut Env,
        depth: usize,
    ) -> bool {
        if depth > MAX_NESTING_DEPTH {
            return true;
        }
        match &condition.kind {
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.refine(operand, !truth, env, refined, depth + 1),
            ExprKind::Binary { op, lhs, rhs } => match (op, truth) {
                (BinaryOp::And, true) | (BinaryOp::Or, false) => {
                    self.refine(lhs, truth, env, refined, depth + 1)
                        && self.refine(rhs, truth, env, refined, depth + 1)
                }
                (op, truth) if op.is_comparison() => {
                    let (name, c, op) = match (&lhs.kind, &rhs.kind) {
                        (ExprKind::Name(n), _) => match self.num(rhs, env, depth).constant() {
                            Some(c) => (n, c, *op),
                            None => return true,
                        },
                        (_, ExprKind::Name(n)) => match self.num(lhs, env, depth).constant() {
                            Some(c) => (n, c, flip(*op)),
                            None => return true,
                        },
                        _ => return true,
                    };
                    let Some(op) = (if truth { Some(op) } else { negate(op) }) else {
                        return true;
                    };
                    let current = refined.get(name).copied().unwrap_or_else(|| name_num(name));
                    match current.narrow(op, c) {
                        Some(narrowed) => {
                            refined.insert(name.clone(), narrowed);
                            true
                        }
                        None => false,
                    }
                }
                _ => true,
            },
            _ => true,
        }
    }

    // --- variables ----------------------------------------------------------------

    /// User variables never read, and a formula that assigns no target.
    fn variables(&mut self, formula: &Formula) {
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

// --- the value analysis ------------------------------------------------------------

type Env = BTreeMap<String, Num>;

/// What a double can be: a range, whether it is surely a whole number, and whether
/// arithmetic may have made it fractional (a division, a non-whole factor). Fractions
/// that come from data (an average of samples) are not `fractional`, nor is a whole
/// number divided by a whole constant: truncating those is what everyone expects.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Num {
    lo: f64,
    hi: f64,
    integral: bool,
    fractional: bool,
}

impl Num {
    const ANY: Num = Num {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        integral: false,
        fractional: false,
    };
    const BOOL: Num = Num {
        lo: 0.0,
        hi: 1.0,
        integral: true,
        fractional: false,
    };
    const COUNT: Num = Num {
        lo: 0.0,
        hi: f64::INFINITY,
        integral: true,
        fractional: false,
    };

    fn exact(c: f64) -> Num {
        if c.is_nan() {
            return Num::ANY;
        }
        let whole = c.fract() == 0.0;
        Num {
            lo: c,
            hi: c,
            integral: whole,
            fractional: !whole,
        }
    }

    fn range(lo: f64, hi: f64, integral: bool) -> Num {
        Num {
            lo,
            hi,
            integral,
            fractional: false,
        }
    }

    fn constant(self) -> Option<f64> {
        (self.lo == self.hi).then_some(self.lo)
    }

    fn join(self, other: Num) -> Num {
        Num {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            integral: self.integral && other.integral,
            fractional: self.fractional || other.fractional,
        }
    }

    fn negate(self) -> Num {
        Num {
            lo: -self.hi,
            hi: -self.lo,
            ..self
        }
    }

    fn bounds(lo: f64, hi: f64) -> (f64, f64) {
        (
            if lo.is_nan() { f64::NEG_INFINITY } else { lo },
            if hi.is_nan() { f64::INFINITY } else { hi },
        )
    }

    fn add(self, b: Num) -> Num {
        let (lo, hi) = Num::bounds(self.lo + b.lo, self.hi + b.hi);
        Num {
            lo,
            hi,
            integral: self.integral && b.integral,
            fractional: self.fractional || b.fractional,
        }
    }

    fn mul(self, b: Num) -> Num {
        let product = |x: f64, y: f64| if x == 0.0 || y == 0.0 { 0.0 } else { x * y };
        let all = [
            product(self.lo, b.lo),
            product(self.lo, b.hi),
            product(self.hi, b.lo),
            product(self.hi, b.hi),
        ];
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let odd_factor = |n: Num| n.constant().is_some_and(|c| c.fract() != 0.0);
        Num {
            lo,
            hi,
            integral: self.integral && b.integral,
            fractional: self.fractional || b.fractional || odd_factor(self) || odd_factor(b),
        }
    }

    fn div(self, b: Num) -> Num {
        let unit = matches!(b.constant(), Some(c) if c.abs() == 1.0);
        // A whole number divided by a whole constant (`$TargetDedicatedNodes / 2`, "half
        // the pool") is the integer-division idiom: its truncation is expected.
        let idiom = self.integral && matches!(b.constant(), Some(c) if c.fract() == 0.0);
        let fractional = self.fractional || !(unit || idiom);
        let integral = self.integral && unit;
        let (lo, hi) = if b.lo > 0.0 || b.hi < 0.0 {
            let all = [
                self.lo / b.lo,
                self.lo / b.hi,
                self.hi / b.lo,
                self.hi / b.hi,
            ];
            if all.iter().any(|x| x.is_nan()) {
                (f64::NEG_INFINITY, f64::INFINITY)
            } else {
                (
                    all.iter().copied().fold(f64::INFINITY, f64::min),
                    all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            }
        } else if self.lo >= 0.0 && b.lo >= 0.0 {
            // Dividing by a non-negative number that may be 0: never negative.
            (0.0, f64::INFINITY)
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        };
        Num {
            lo,
            hi,
            integral,
            fractional,
        }
    }

    /// The values of `self` for which `self op c` holds; `None` when there are none.
    fn narrow(self, op: BinaryOp, c: f64) -> Option<Num> {
        let Some(allowed) = Interval::satisfying(op, c, self.integral) else {
            return Some(self);
        };
        let inside = Interval::closed(self.lo, self.hi, self.integral).intersect(allowed);
        (!inside.is_empty()).then_some(Num {
            lo: inside.lo,
            hi: inside.hi,
            ..self
        })
    }
}

/// What a name is before any statement assigns it.
fn name_num(name: &str) -> Num {
    match builtins::system_variable(name) {
        Some(SystemVariable::Pool {
            scalar: PoolScalar::TaskSlotsPerNode,
            ..
        }) => Num::range(1.0, f64::INFINITY, true),
        Some(SystemVariable::Pool { .. }) => Num::COUNT,
        // A target starts as the pool's current target [seen].
        Some(SystemVariable::Target { .. }) => Num::COUNT,
        _ => Num::ANY,
    }
}

/// What the samples of a metric can be.
fn metric_num(metric: Metric) -> Num {
    match metric {
        Metric::CpuPercent => Num::range(0.0, 100.0, false),
        Metric::WallClockSeconds => Num::range(0.0, f64::INFINITY, false),
        _ => Num::COUNT,
    }
}

/// A set of numbers `lo..hi`, each end open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    lo: f64,
    lo_open: bool,
    hi: f64,
    hi_open: bool,
    /// Only whole numbers (for messages and integral narrowing).
    integral: bool,
}

impl Interval {
    const ALL: Interval = Interval {
        lo: f64::NEG_INFINITY,
        lo_open: false,
        hi: f64::INFINITY,
        hi_open: false,
        integral: false,
    };

    fn closed(lo: f64, hi: f64, integral: bool) -> Interval {
        Interval {
            lo,
            lo_open: false,
            hi,
            hi_open: false,
            integral,
        }
    }

    /// The numbers `x` with `x op c`; `None` for `!=`, which excludes only a point.
    fn satisfying(op: BinaryOp, c: f64, integral: bool) -> Option<Interval> {
        let all = Interval {
            integral,
            ..Interval::ALL
        };
        let mut i = all;
        match op {
            BinaryOp::Lt if integral => i.hi = c.ceil() - 1.0,
            BinaryOp::Le if integral => i.hi = c.floor(),
            BinaryOp::Gt if integral => i.lo = c.floor() + 1.0,
            BinaryOp::Ge if integral => i.lo = c.ceil(),
            BinaryOp::Lt => (i.hi, i.hi_open) = (c, true),
            BinaryOp::Le => i.hi = c,
            BinaryOp::Gt => (i.lo, i.lo_open) = (c, true),
            BinaryOp::Ge => i.lo = c,
            BinaryOp::Eq => (i.lo, i.hi) = (c, c),
            _ => return None,
        }
        Some(i)
    }

    fn intersect(self, other: Interval) -> Interval {
        let (lo, lo_open) = match self.lo.partial_cmp(&other.lo) {
            Some(std::cmp::Ordering::Greater) => (self.lo, self.lo_open),
            Some(std::cmp::Ordering::Less) => (other.lo, other.lo_open),
            _ => (self.lo, self.lo_open || other.lo_open),
        };
        let (hi, hi_open) = match self.hi.partial_cmp(&other.hi) {
            Some(std::cmp::Ordering::Less) => (self.hi, self.hi_open),
            Some(std::cmp::Ordering::Greater) => (other.hi, other.hi_open),
            _ => (self.hi, self.hi_open || other.hi_open),
        };
        let integral = self.integral || other.integral;
        let (lo, hi) = if integral {
            (
                if lo_open { lo.floor() + 1.0 } else { lo.ceil() },
                if hi_open { hi.ceil() - 1.0 } else { hi.floor() },
            )
        } else {
            (lo, hi)
        };
        let (lo_open, hi_open) = if integral {
            (false, false)
        } else {
            (lo_open, hi_open)
        };
        Interval {
            lo,
            lo_open,
            hi,
            hi_open,
            integral,
        }
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && (self.lo_open || self.hi_open))
    }
}

// --- helpers -----------------------------------------------------------------------

/// The metric a receiver names.
fn metric_of(receiver: &Expr) -> Option<Metric> {
    match &receiver.kind {
        ExprKind::Name(name) => Metric::from_name(name),
        _ => None,
    }
}

/// `a op b` read from the right: `b flip(op) a`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

/// The comparison that holds exactly when `op` does not.
fn negate(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Lt => BinaryOp::Ge,
        BinaryOp::Le => BinaryOp::Gt,
        BinaryOp::Gt => BinaryOp::Le,
        BinaryOp::Ge => BinaryOp::Lt,
        BinaryOp::Eq => BinaryOp::Ne,
        BinaryOp::Ne => BinaryOp::Eq,
        _ => return None,
    })
}

/// `.weekday` compared with 7: the checker's `BS0503` says it better.
fn weekday_against_seven(e: &Expr) -> bool {
    let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
        return false;
    };
    let weekday = |x: &Expr| matches!(&x.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday));
    (weekday(lhs) && fold(rhs) == Some(7.0)) || (weekday(rhs) && fold(lhs) == Some(7.0))
}

/// The leaves of a chain of one logical operator: `a && b && c` gives a, b, c.
fn chain<'e>(e: &'e Expr, op: BinaryOp, leaves: &mut Vec<&'e Expr>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
                stack.push(rhs);
                stack.push(lhs);
            }
            _ => leaves.push(e),
        }
    }
}

/// Whether an expression calls `rand()`.
fn calls_rand(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Call { function, .. } = &e.kind
            && builtins::function(&function.text)
                .is_some_and(|f| f.implementation == Implementation::Rand)
        {
            return true;
        }
        for_each_child(e, |child| stack.push(child));
    }
    false
}

/// Every name read in an expression.
fn names_read<'e>(e: &'e Expr, read: &mut BTreeSet<&'e str>, depth: usize) {
    if depth > MAX_NESTING_DEPTH {
        return;
    }
    if let ExprKind::Name(name) = &e.kind {
        read.insert(name);
    }
    for_each_child(e, |c| names_read(c, read, depth + 1));
}

/// Calls `f` on each direct sub-expression.
fn for_each_child<'e>(e: &'e Expr, mut f: impl FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Name(_) => {}
        ExprKind::Unary { operand, .. } => f(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            f(condition);
            f(then);
            f(otherwise);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(f),
        ExprKind::Method { receiver, args, .. } => {
            f(receiver);
            args.iter().for_each(f);
        }
        ExprKind::Field { receiver, .. } => f(receiver),
    }
}
