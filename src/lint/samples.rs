//! Sample windows: a `GetSample` window that fails on a new pool (cold start) unless a
//! `GetSamplePercent` guard covers it, and `$CPUPercent.GetSample(1)`.
//!
//! ## The cold-start analysis
//!
//! `GetSample(window)` and `GetSample(t1, t2)` without a percentage fail with
//! `InsufficientSampleData` unless 70% of the window's samples exist \[seen\], and a new pool
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

use crate::builtins::types::TypeSet;
use crate::builtins::{Method, Metric};
use crate::check::fold::literal;
use crate::diagnostic::Code;
use crate::doubles::format_double;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;

use super::walk::{flip, for_each_child, metric_of, negate};
use super::{Linter, MAX_INDIRECTION};

/// The percentage a sample window needs when the call gives none \[seen\].
const DEFAULT_PERCENT: f64 = 70.0;

/// What a condition proves about a metric's sample percentage: at least `at_least`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Floor {
    metric: Metric,
    at_least: f64,
}

impl<'a> Linter<'a> {
    /// Reports every window `GetSample` in `e` that no guard in `floors` covers.
    pub(super) fn cold_start(&mut self, e: &Expr, floors: &[Floor], depth: usize) {
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
    pub(super) fn is_default_percent_window(&self, args: &[Expr]) -> bool {
        let time = |e: &Expr| !self.types.of(e).intersection(TypeSet::TIME).is_unknown();
        match args {
            [t] => time(t),
            [t1, t2] => time(t1) && time(t2),
            _ => false,
        }
    }

    pub(super) fn unguarded_window(&mut self, call: &Expr, metric: Metric, floors: &[Floor]) {
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
    pub(super) fn floors(&self, condition: &Expr, truth: bool, indirection: usize) -> Vec<Floor> {
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
    pub(super) fn comparison_floor(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        truth: bool,
    ) -> Option<Floor> {
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
    pub(super) fn percent_metric(&self, e: &Expr) -> Option<Metric> {
        match &self.resolve(e).kind {
            ExprKind::Method {
                receiver, method, ..
            } if Method::from_name(&method.text) == Some(Method::GetSamplePercent) => {
                metric_of(receiver)
            }
            _ => None,
        }
    }

    pub(super) fn cpu_single_sample(&mut self, e: &Expr, depth: usize) {
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
}
