//! The functions (language.md section 5): each one record of its name, its forms
//! (parameters and return types) and its implementation. The checker, the compiler and
//! the evaluator all read [`FUNCTIONS`], so they cannot disagree.

use super::forms::{Form, Forms, LIST, Param};
use crate::builtins::types::{Type, TypeSet};

/// Why a built-in refused its arguments at run time.
pub type BuiltinError = String;

/// A built-in function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The name as a formula writes it.
    pub name: &'static str,
    /// Its forms, in the order that picks one.
    pub forms: &'static [Form],
    /// What it computes.
    pub implementation: Implementation,
}

/// What a function computes. The evaluator runs it; the checker's extra rules (the
/// warnings about decided rules) hang on it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `f(doubleVecList) -> double` over the flattened list.
    Aggregate(Aggregate),
    /// `f(double) -> double` and `f(doubleVecList) -> doubleVec`, value by value.
    Elementwise(Elementwise),
    /// `percentile(doubleVec v, double p) -> double`: nearest rank.
    Percentile,
    /// `val(doubleVec v, double i) -> double`.
    Val,
    /// `vec(doubleVecList) -> doubleVec`.
    Vec,
    /// `rand() -> double`.
    Rand,
    /// `stop()`: ends the evaluation; it has no value.
    Stop,
    /// `time() -> timestamp` and `time(string) -> timestamp`.
    Time,
}

/// The aggregates: a list of doubles to one double.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    /// The mean.
    Avg,
    /// The number of values.
    Len,
    /// The greatest value.
    Max,
    /// The least value.
    Min,
    /// The Euclidean norm.
    Norm,
    /// `max - min`.
    Range,
    /// The sample standard deviation.
    Std,
    /// The sum.
    Sum,
}

impl Aggregate {
    /// The computation, as a function of the flattened list.
    pub fn compute(self) -> fn(&[f64]) -> Result<f64, BuiltinError> {
        match self {
            Aggregate::Avg => avg,
            Aggregate::Len => len,
            Aggregate::Max => max,
            Aggregate::Min => min,
            Aggregate::Norm => norm,
            Aggregate::Range => range,
            Aggregate::Std => std,
            Aggregate::Sum => sum,
        }
    }

    /// Whether an empty list always fails.
    pub fn fails_on_empty_list(self) -> bool {
        (self.compute())(&[]).is_err()
    }

    /// Whether the result lies among the values (`max`, `min`) or between them (`avg`):
    /// it keeps the values' scale, so a summary of percentages is a percentage.
    pub fn keeps_scale(self) -> bool {
        matches!(self, Aggregate::Avg | Aggregate::Max | Aggregate::Min)
    }
}

/// The value-by-value functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elementwise {
    /// Logarithm base 2.
    Lg,
    /// Natural logarithm.
    Ln,
    /// Logarithm base 10.
    Log,
    /// Round up.
    Ceil,
    /// Round down.
    Floor,
    /// Round halves away from zero, as the documentation says of `round`.
    Round,
}

impl Elementwise {
    /// The computation of one value.
    pub fn apply(self) -> fn(f64) -> f64 {
        match self {
            Elementwise::Lg => f64::log2,
            Elementwise::Ln => f64::ln,
            Elementwise::Log => f64::log10,
            Elementwise::Ceil => f64::ceil,
            Elementwise::Floor => f64::floor,
            // f64::round rounds halves away from zero.
            Elementwise::Round => f64::round,
        }
    }

    /// Whether it gives whole numbers (the rounding functions).
    pub fn gives_whole_numbers(self) -> bool {
        matches!(
            self,
            Elementwise::Ceil | Elementwise::Floor | Elementwise::Round
        )
    }
}

const DOUBLE: Param = Param::one("double", TypeSet::DOUBLE);
const VECTOR: Param = Param::one("doubleVec v", TypeSet::DOUBLE_VEC);
const VECTOR_AND_PERCENT: &[Param] = &[VECTOR, Param::one("double p", TypeSet::DOUBLE)];
const VECTOR_AND_INDEX: &[Param] = &[VECTOR, Param::one("double i", TypeSet::DOUBLE)];
const PERCENTILE: &[Form] = &[Form::new(VECTOR_AND_PERCENT, Type::Double)];
const VAL: &[Form] = &[Form::new(VECTOR_AND_INDEX, Type::Double)];
const NOTHING_TO_DOUBLE: &[Form] = &[Form::new(&[], Type::Double)];
const NO_VALUE: &[Form] = &[Form::new(&[], Type::NoValue)];
const TIME: &[Form] = &[
    Form::new(&[], Type::Timestamp),
    Form::new(&[Param::one("string", TypeSet::STRING)], Type::Timestamp),
];
const VEC: &[Form] = &[Form::new(&[LIST], Type::DoubleVec)];
const AGGREGATE: &[Form] = &[Form::new(&[LIST], Type::Double)];
const ELEMENTWISE: &[Form] = &[
    Form::new(&[DOUBLE], Type::Double),
    Form::new(&[LIST], Type::DoubleVec),
];

const fn record(
    name: &'static str,
    forms: &'static [Form],
    implementation: Implementation,
) -> Function {
    Function {
        name,
        forms,
        implementation,
    }
}

const fn aggregate(name: &'static str, kind: Aggregate) -> Function {
    Function {
        name,
        forms: AGGREGATE,
        implementation: Implementation::Aggregate(kind),
    }
}

const fn elementwise(name: &'static str, kind: Elementwise) -> Function {
    Function {
        name,
        forms: ELEMENTWISE,
        implementation: Implementation::Elementwise(kind),
    }
}

/// Every function \[doc\], in the documentation's order (which picks among equally close
/// "did you mean" candidates).
pub const FUNCTIONS: &[Function] = &[
    aggregate("avg", Aggregate::Avg),
    aggregate("len", Aggregate::Len),
    elementwise("lg", Elementwise::Lg),
    elementwise("ln", Elementwise::Ln),
    elementwise("log", Elementwise::Log),
    elementwise("ceil", Elementwise::Ceil),
    elementwise("floor", Elementwise::Floor),
    elementwise("round", Elementwise::Round),
    aggregate("max", Aggregate::Max),
    aggregate("min", Aggregate::Min),
    aggregate("norm", Aggregate::Norm),
    record("percentile", PERCENTILE, Implementation::Percentile),
    record("rand", NOTHING_TO_DOUBLE, Implementation::Rand),
    aggregate("range", Aggregate::Range),
    aggregate("std", Aggregate::Std),
    record("stop", NO_VALUE, Implementation::Stop),
    aggregate("sum", Aggregate::Sum),
    record("time", TIME, Implementation::Time),
    record("val", VAL, Implementation::Val),
    record("vec", VEC, Implementation::Vec),
];

/// The function of a name, if there is one.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

impl Function {
    /// The forms with the name, for signatures, arity and result types.
    pub fn forms(&self) -> Forms<'static> {
        Forms {
            name: self.name,
            forms: self.forms,
        }
    }

    /// The signature as the documentation writes it, for messages.
    pub fn signature(&self) -> String {
        self.forms().signature()
    }

    /// The aggregate it is, if it is one.
    pub fn aggregate(&self) -> Option<Aggregate> {
        match self.implementation {
            Implementation::Aggregate(kind) => Some(kind),
            _ => None,
        }
    }
}

fn nonempty(values: &[f64]) -> Result<(), BuiltinError> {
    if values.is_empty() {
        Err("the list of values is empty".to_string())
    } else {
        Ok(())
    }
}

fn avg(values: &[f64]) -> Result<f64, BuiltinError> {
    nonempty(values)?;
    Ok(sum_of(values) / values.len() as f64)
}

fn len(values: &[f64]) -> Result<f64, BuiltinError> {
    Ok(values.len() as f64)
}

fn max(values: &[f64]) -> Result<f64, BuiltinError> {
    nonempty(values)?;
    Ok(greatest(values))
}

fn min(values: &[f64]) -> Result<f64, BuiltinError> {
    nonempty(values)?;
    Ok(least(values))
}

/// What `max` gives for a list that is not empty: a list holding NaN gives NaN
/// \[decided\]. Public for the evaluator's two-argument form.
#[inline]
pub fn greatest(values: &[f64]) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for &x in values {
        if x.is_nan() {
            return f64::NAN;
        }
        m = m.max(x);
    }
    m
}

/// What `min` gives for a list that is not empty: a list holding NaN gives NaN
/// \[decided\]. Public for the evaluator's two-argument form.
#[inline]
pub fn least(values: &[f64]) -> f64 {
    let mut m = f64::INFINITY;
    for &x in values {
        if x.is_nan() {
            return f64::NAN;
        }
        m = m.min(x);
    }
    m
}

fn norm(values: &[f64]) -> Result<f64, BuiltinError> {
    nonempty(values)?;
    Ok(values.iter().map(|v| v * v).sum::<f64>().sqrt())
}

fn range(values: &[f64]) -> Result<f64, BuiltinError> {
    Ok(max(values)? - min(values)?)
}

/// Sample standard deviation (divisor n-1) \[doc\]; one element gives 0 \[decided\].
fn std(values: &[f64]) -> Result<f64, BuiltinError> {
    let mean = avg(values)?;
    if values.len() == 1 {
        return Ok(0.0);
    }
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Ok((squares / (values.len() - 1) as f64).sqrt())
}

fn sum(values: &[f64]) -> Result<f64, BuiltinError> {
    Ok(sum_of(values))
}

fn sum_of(values: &[f64]) -> f64 {
    values.iter().sum()
}

/// Nearest-rank percentile \[decided\]: sort ascending, take the k-th element, k the
/// smallest whole number >= 1 with 100·k >= p·n, computed exactly.
pub fn percentile(values: &[f64], p: f64) -> Result<f64, BuiltinError> {
    if !(0.0..=100.0).contains(&p) {
        return Err(format!(
            "percentile: the percentage must be between 0 and 100, got {}",
            crate::doubles::format_double(p)
        ));
    }
    if values.is_empty() {
        return Err("percentile: the vector is empty".to_string());
    }
    let n = values.len();
    let k = nearest_rank(p, n);
    // The k-th smallest, found without a full sort: ascending with -0 before 0, and NaN,
    // whatever its sign, after +Infinity [decided].
    let mut copy = values.to_vec();
    Ok(*copy.select_nth_unstable_by(k - 1, percentile_order).1)
}

/// The order `percentile` sorts in: IEEE's total order (so `-0` before `0`), except that
/// every NaN, whatever its sign, comes after +Infinity \[decided\].
fn percentile_order(a: &f64, b: &f64) -> std::cmp::Ordering {
    a.is_nan().cmp(&b.is_nan()).then_with(|| a.total_cmp(b))
}

/// The smallest k >= 1 with 100·k >= p·n, exact for every double p in 0..=100.
fn nearest_rank(p: f64, n: usize) -> usize {
    // p·n/100 in f64 can be off by one ulp around whole numbers; check the neighbours
    // of the estimate with exact rational arithmetic on p's binary expansion.
    let estimate = (p * n as f64 / 100.0).ceil().max(1.0) as usize;
    let mut k = estimate.saturating_sub(1).max(1);
    while k < n && !hundred_k_at_least_p_n(k, p, n) {
        k += 1;
    }
    k.min(n)
}

/// Exactly whether 100·k >= p·n, with p a finite non-negative double.
fn hundred_k_at_least_p_n(k: usize, p: f64, n: usize) -> bool {
    // p = mantissa · 2^exp exactly; compare 100·k·2^-exp with mantissa·n in u128/shifts.
    let bits = p.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    let lhs = 100u128 * k as u128;
    let rhs = mantissa as u128 * n as u128;
    if exp >= 0 {
        // p·n = rhs·2^exp; p <= 100 keeps exp small.
        lhs >= rhs << exp
    } else {
        let shift = (-exp) as u32;
        if shift >= 128 {
            return true;
        }
        // lhs >= rhs / 2^shift  <=>  lhs·2^shift >= rhs (lhs·2^shift may overflow: then true)
        match lhs.checked_shl(shift) {
            Some(l) if l >> shift == lhs => l >= rhs,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_on_the_documented_examples() {
        assert_eq!(avg(&[1.0, 2.0, 3.0, 7.0]), Ok(3.25));
        assert_eq!(len(&[]), Ok(0.0));
        assert_eq!(sum(&[]), Ok(0.0));
        assert_eq!(max(&[1.0, 5.0, 3.0]), Ok(5.0));
        assert_eq!(min(&[1.0, 5.0, 3.0]), Ok(1.0));
        assert_eq!(norm(&[3.0, 4.0]), Ok(5.0));
        assert_eq!(range(&[1.0, 5.0, 3.0]), Ok(4.0));
        let s = std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert!((s - 2.138_089_935_299_395).abs() < 1e-12);
    }

    #[test]
    fn std_of_one_element_is_zero_decided() {
        assert_eq!(std(&[42.0]), Ok(0.0));
    }

    #[test]
    fn empty_list_fails_for_avg_max_min_norm_range_std() {
        for f in [avg, max, min, norm, range, std] {
            assert!(f(&[]).is_err());
        }
    }

    #[test]
    fn percentile_nearest_rank_decided() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 50.0), Ok(3.0));
        assert_eq!(percentile(&v, 90.0), Ok(5.0));
        assert_eq!(percentile(&v, 0.0), Ok(1.0));
        assert_eq!(percentile(&v, 100.0), Ok(5.0));
        assert_eq!(percentile(&v, 20.0), Ok(1.0));
        assert_eq!(percentile(&v, 20.000001), Ok(2.0));
        assert!(percentile(&v, 100.5).is_err());
        assert!(percentile(&v, -1.0).is_err());
        assert!(percentile(&v, f64::NAN).is_err());
        assert!(percentile(&[], 50.0).is_err());
    }

    #[test]
    fn max_min_and_range_of_a_list_holding_nan_are_nan_decided() {
        let nan = f64::NAN;
        for list in [
            vec![nan],
            vec![1.0, nan],
            vec![nan, 1.0, 2.0],
            vec![-nan, 5.0],
        ] {
            assert!(max(&list).unwrap().is_nan(), "max {list:?}");
            assert!(min(&list).unwrap().is_nan(), "min {list:?}");
            assert!(range(&list).unwrap().is_nan(), "range {list:?}");
        }
        assert_eq!(max(&[1.0, f64::INFINITY]), Ok(f64::INFINITY));
        assert_eq!(min(&[1.0, f64::NEG_INFINITY]), Ok(f64::NEG_INFINITY));
    }

    #[test]
    fn percentile_sorts_nan_of_either_sign_after_infinity_decided() {
        let nan = f64::NAN;
        let v = [-nan, f64::INFINITY, 1.0, nan, f64::NEG_INFINITY];
        assert_eq!(percentile(&v, 20.0), Ok(f64::NEG_INFINITY));
        assert_eq!(percentile(&v, 40.0), Ok(1.0));
        assert_eq!(percentile(&v, 60.0), Ok(f64::INFINITY));
        assert!(percentile(&v, 80.0).unwrap().is_nan());
        assert!(percentile(&v, 100.0).unwrap().is_nan());
        // -0 before 0.
        let zeros = [0.0, -0.0];
        assert!(percentile(&zeros, 50.0).unwrap().is_sign_negative());
        assert!(percentile(&zeros, 100.0).unwrap().is_sign_positive());
    }

    #[test]
    fn percentile_rank_is_exact_where_floating_point_is_not() {
        // 0.07 * 100 / 100 is not exactly 0.07 in f64; with n = 100, p = 7 must give rank 7.
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 7.0), Ok(7.0));
        assert_eq!(percentile(&v, 29.0), Ok(29.0));
        assert_eq!(percentile(&v, 57.0), Ok(57.0));
        // 0.1 is a little above 1/10 as a double: 0.1·10 > 1 exactly, so rank 2 of 1000.
        let w: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(percentile(&w, 0.1), Ok(2.0));
    }

    #[test]
    fn signatures_are_generated_from_the_forms() {
        let signature = |name: &str| function(name).unwrap().signature();
        assert_eq!(signature("avg"), "avg(doubleVecList)");
        assert_eq!(signature("lg"), "lg(double) or lg(doubleVecList)");
        assert_eq!(signature("percentile"), "percentile(doubleVec v, double p)");
        assert_eq!(signature("rand"), "rand()");
        assert_eq!(signature("time"), "time() or time(string)");
        let arity = |name: &str| function(name).unwrap().forms().arity_text();
        assert_eq!(arity("percentile"), "2 arguments");
        assert_eq!(arity("stop"), "no arguments");
        assert_eq!(arity("time"), "no argument or one string");
    }

    #[test]
    fn one_double_argument_picks_the_scalar_form() {
        let forms = function("floor").unwrap().forms();
        let either = TypeSet::DOUBLE.union(TypeSet::DOUBLE_VEC);
        assert_eq!(forms.result_type(&[TypeSet::DOUBLE]), TypeSet::DOUBLE);
        assert_eq!(
            forms.result_type(&[TypeSet::DOUBLE_VEC]),
            TypeSet::DOUBLE_VEC
        );
        assert_eq!(forms.result_type(&[either]), either);
        assert_eq!(
            forms.result_type(&[TypeSet::DOUBLE; 2]),
            TypeSet::DOUBLE_VEC
        );
        assert_eq!(forms.result_type(&[]), TypeSet::DOUBLE_VEC);
        let avg = function("avg").unwrap().forms();
        assert_eq!(avg.result_type(&[TypeSet::UNKNOWN]), TypeSet::DOUBLE);
    }
}
