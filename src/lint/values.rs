//! What the targets can be: negative or fractional by arithmetic, and a formula that
//! scales down with the default `requeue`. A small range analysis ([`super::ranges`]).

use std::collections::BTreeMap;

use crate::builtins::types::TypeSet;
use crate::builtins::{self, Aggregate, Implementation, Method, SystemVariable};
use crate::check::fold::apply;
use crate::diagnostic::Code;
use crate::doubles::format_double;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Formula, StatementKind, UnaryOp};
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::span::Span;

use super::Linter;
use super::ranges::{Env, Estimate, metric_estimate, name_estimate};
use super::walk::{flip, metric_of, negate};

impl<'a> Linter<'a> {
    pub(super) fn values(&mut self, formula: &Formula) {
        let mut env = Env::new();
        // The last assignment of each target name: the name's span, the value's span and
        // what the value can be (when it is a double).
        let mut last: BTreeMap<&str, (Span, Span, Option<Estimate>)> = BTreeMap::new();
        let mut deallocation_assigned = false;
        for statement in &formula.statements {
            let StatementKind::Assign { target, value } = &statement.kind else {
                continue;
            };
            let num = self.estimate(value, &env, 0);
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
    pub(super) fn estimate(&self, e: &Expr, env: &Env, depth: usize) -> Estimate {
        if depth > MAX_NESTING_DEPTH {
            return Estimate::ANY;
        }
        let depth = depth + 1;
        let num = |x: &Expr| self.estimate(x, env, depth);
        match &e.kind {
            ExprKind::Number(c) => Estimate::exact(*c),
            ExprKind::String(_) => Estimate::ANY,
            ExprKind::Name(name) => env
                .get(name)
                .copied()
                .unwrap_or_else(|| name_estimate(name)),
            ExprKind::Unary { op, operand } => {
                let x = num(operand);
                match op {
                    UnaryOp::Neg => Estimate {
                        lo: -x.hi,
                        hi: -x.lo,
                        ..x
                    },
                    UnaryOp::Not => match x.constant() {
                        Some(c) => Estimate::exact(f64::from(c == 0.0)),
                        None => Estimate::BOOL,
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
                        (Some(x), Some(y)) => {
                            apply(*op, x, y).map_or(Estimate::BOOL, Estimate::exact)
                        }
                        _ => Estimate::BOOL,
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
                        .then(|| self.estimate(branch, &refined, depth))
                };
                match (branch(true, then), branch(false, otherwise)) {
                    (Some(a), Some(b)) => a.join(b),
                    (Some(a), None) => a,
                    (None, Some(b)) => b,
                    (None, None) => Estimate::ANY,
                }
            }
            ExprKind::Call { function, args, .. } => {
                let values: Vec<Estimate> = args.iter().map(num).collect();
                self.call_estimate(&function.text, args, &values)
            }
            ExprKind::Method {
                receiver, method, ..
            } => match (metric_of(receiver), Method::from_name(&method.text)) {
                (Some(metric), Some(Method::GetSample)) => metric_estimate(metric),
                (Some(_), Some(Method::GetSamplePercent)) => Estimate::range(0.0, 100.0, false),
                (Some(_), Some(Method::Count)) => Estimate::COUNT,
                _ => Estimate::ANY,
            },
            ExprKind::Field { .. } => match self.static_range(e) {
                Some(r) => Estimate::range(r.bounds().0, r.bounds().1, true),
                None => Estimate::ANY,
            },
        }
    }

    pub(super) fn call_estimate(&self, name: &str, args: &[Expr], values: &[Estimate]) -> Estimate {
        let Some(def) = builtins::function(name) else {
            return Estimate::ANY;
        };
        let any_fraction = values.iter().any(|v| v.fractional);
        let all_integral = values.iter().all(|v| v.integral);
        let join = || values.iter().copied().reduce(Estimate::join);
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
                    .reduce(|a, b| Estimate {
                        lo: pick(a.lo, b.lo),
                        hi: pick(a.hi, b.hi),
                        integral: a.integral && b.integral,
                        fractional: a.fractional || b.fractional,
                    })
                    .unwrap_or(Estimate::ANY)
            }
            Implementation::Aggregate(Aggregate::Avg) => {
                join().map_or(Estimate::ANY, |j| Estimate {
                    integral: false,
                    ..j
                })
            }
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
                    Estimate {
                        lo,
                        hi,
                        integral: all_integral,
                        fractional: any_fraction,
                    }
                } else {
                    values
                        .iter()
                        .copied()
                        .fold(Estimate::exact(0.0), Estimate::add)
                }
            }
            Implementation::Aggregate(Aggregate::Len) => Estimate::COUNT,
            // std, norm, range: statistics of data, never negative.
            Implementation::Aggregate(_) => Estimate::range(0.0, f64::INFINITY, false),
            Implementation::Elementwise(kind) if kind.gives_whole_numbers() => {
                let apply = kind.apply();
                join().map_or(Estimate::ANY, |j| Estimate {
                    lo: apply(j.lo),
                    hi: apply(j.hi),
                    integral: true,
                    fractional: false,
                })
            }
            // Logarithms: anything, and fractional.
            Implementation::Elementwise(_) => Estimate {
                fractional: true,
                ..Estimate::ANY
            },
            Implementation::Percentile => values.first().copied().unwrap_or(Estimate::ANY),
            // Out of range gives 0 [decided].
            Implementation::Val => values
                .first()
                .map_or(Estimate::ANY, |v| v.join(Estimate::exact(0.0))),
            Implementation::Vec => join().unwrap_or(Estimate::ANY),
            Implementation::Rand => Estimate {
                fractional: true,
                ..Estimate::range(0.0, 1.0, false)
            },
            Implementation::Stop | Implementation::Time => Estimate::ANY,
        }
    }

    /// Narrows `refined` by `condition` being `truth`; false when that cannot happen.
    pub(super) fn refine(
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
                        (ExprKind::Name(n), _) => match self.estimate(rhs, env, depth).constant() {
                            Some(c) => (n, c, *op),
                            None => return true,
                        },
                        (_, ExprKind::Name(n)) => match self.estimate(lhs, env, depth).constant() {
                            Some(c) => (n, c, flip(*op)),
                            None => return true,
                        },
                        _ => return true,
                    };
                    let Some(op) = (if truth { Some(op) } else { negate(op) }) else {
                        return true;
                    };
                    let current = refined
                        .get(name)
                        .copied()
                        .unwrap_or_else(|| name_estimate(name));
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
}
