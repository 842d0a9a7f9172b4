//! The values a double can have, for the lints: a range, whether it is whole, whether
//! arithmetic made it fractional ([`Estimate`]); and sets of numbers with open or closed
//! ends ([`Range`]).

use std::collections::BTreeMap;

use crate::builtins::{self, Metric, PoolScalar, SystemVariable};
use crate::syntax::ast::BinaryOp;

pub(super) type Env = BTreeMap<String, Estimate>;

/// What a double can be: a range, whether it is surely a whole number, and whether
/// arithmetic may have made it fractional (a division, a non-whole factor). Fractions
/// that come from data (an average of samples) are not `fractional`, nor is a whole
/// number divided by a whole constant: truncating those is what everyone expects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Estimate {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) integral: bool,
    pub(super) fractional: bool,
}

impl Estimate {
    pub(super) const ANY: Estimate = Estimate::range(f64::NEG_INFINITY, f64::INFINITY, false);
    pub(super) const BOOL: Estimate = Estimate::range(0.0, 1.0, true);
    pub(super) const COUNT: Estimate = Estimate::range(0.0, f64::INFINITY, true);

    pub(super) fn exact(c: f64) -> Estimate {
        if c.is_nan() {
            return Estimate::ANY;
        }
        let whole = c.fract() == 0.0;
        Estimate {
            lo: c,
            hi: c,
            integral: whole,
            fractional: !whole,
        }
    }

    pub(super) const fn range(lo: f64, hi: f64, integral: bool) -> Estimate {
        Estimate {
            lo,
            hi,
            integral,
            fractional: false,
        }
    }

    pub(super) fn constant(self) -> Option<f64> {
        (self.lo == self.hi).then_some(self.lo)
    }

    pub(super) fn join(self, other: Estimate) -> Estimate {
        Estimate {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            integral: self.integral && other.integral,
            fractional: self.fractional || other.fractional,
        }
    }

    pub(super) fn negate(self) -> Estimate {
        Estimate {
            lo: -self.hi,
            hi: -self.lo,
            ..self
        }
    }

    pub(super) fn bounds(lo: f64, hi: f64) -> (f64, f64) {
        (
            if lo.is_nan() { f64::NEG_INFINITY } else { lo },
            if hi.is_nan() { f64::INFINITY } else { hi },
        )
    }

    pub(super) fn add(self, b: Estimate) -> Estimate {
        let (lo, hi) = Estimate::bounds(self.lo + b.lo, self.hi + b.hi);
        Estimate {
            lo,
            hi,
            integral: self.integral && b.integral,
            fractional: self.fractional || b.fractional,
        }
    }

    pub(super) fn mul(self, b: Estimate) -> Estimate {
        let product = |x: f64, y: f64| if x == 0.0 || y == 0.0 { 0.0 } else { x * y };
        let all = [
            product(self.lo, b.lo),
            product(self.lo, b.hi),
            product(self.hi, b.lo),
            product(self.hi, b.hi),
        ];
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let odd_factor = |n: Estimate| n.constant().is_some_and(|c| c.fract() != 0.0);
        Estimate {
            lo,
            hi,
            integral: self.integral && b.integral,
            fractional: self.fractional || b.fractional || odd_factor(self) || odd_factor(b),
        }
    }

    pub(super) fn div(self, b: Estimate) -> Estimate {
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
        Estimate {
            lo,
            hi,
            integral,
            fractional,
        }
    }

    /// The values of `self` for which `self op c` holds; `None` when there are none.
    pub(super) fn narrow(self, op: BinaryOp, c: f64) -> Option<Estimate> {
        let Some(allowed) = Range::satisfying(op, c, self.integral) else {
            return Some(self);
        };
        let inside = Range::closed(self.lo, self.hi, self.integral).intersect(allowed);
        (!inside.is_empty()).then_some(Estimate {
            lo: inside.lo,
            hi: inside.hi,
            ..self
        })
    }
}

/// What a name is before any statement assigns it.
pub(super) fn name_estimate(name: &str) -> Estimate {
    match builtins::system_variable(name) {
        Some(SystemVariable::Pool {
            scalar: PoolScalar::TaskSlotsPerNode,
            ..
        }) => Estimate::range(1.0, f64::INFINITY, true),
        Some(SystemVariable::Pool { .. }) => Estimate::COUNT,
        // A target starts as the pool's current target [seen].
        Some(SystemVariable::Target { .. }) => Estimate::COUNT,
        _ => Estimate::ANY,
    }
}

/// What the samples of a metric can be.
pub(super) fn metric_estimate(metric: Metric) -> Estimate {
    match metric {
        Metric::CpuPercent => Estimate::range(0.0, 100.0, false),
        Metric::WallClockSeconds => Estimate::range(0.0, f64::INFINITY, false),
        _ => Estimate::COUNT,
    }
}

/// A set of numbers `lo..hi`, each end open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    lo: f64,
    lo_open: bool,
    hi: f64,
    hi_open: bool,
    /// Only whole numbers (for messages and integral narrowing).
    integral: bool,
}

impl Range {
    /// The lowest and highest number of the set.
    pub(super) fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// Whether the set holds only whole numbers.
    pub(super) fn is_integral(&self) -> bool {
        self.integral
    }

    pub(super) const ALL: Range = Range::closed(f64::NEG_INFINITY, f64::INFINITY, false);

    pub(super) const fn closed(lo: f64, hi: f64, integral: bool) -> Range {
        Range {
            lo,
            lo_open: false,
            hi,
            hi_open: false,
            integral,
        }
    }

    /// The numbers `x` with `x op c`; `None` for `!=`, which excludes only a point.
    pub(super) fn satisfying(op: BinaryOp, c: f64, integral: bool) -> Option<Range> {
        let all = Range {
            integral,
            ..Range::ALL
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

    pub(super) fn intersect(self, other: Range) -> Range {
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
        Range {
            lo,
            lo_open,
            hi,
            hi_open,
            integral,
        }
    }

    pub(super) fn is_empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && (self.lo_open || self.hi_open))
    }
}
