//! The one table of built-ins: system variables, sampled metrics, constants, deallocation
//! keywords, functions, methods and timestamp fields. The checker reads it for names,
//! arity and types; the evaluator reads it for what each built-in computes. Neither keeps
//! a list of its own, so they cannot disagree.

use crate::time::{
    Interval, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND,
    TICKS_PER_MINUTE, TICKS_PER_SECOND,
};

/// A sampled metric: a history of `(time, value)` samples, usable only through methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    CpuPercent,
    WallClockSeconds,
    MemoryBytes,
    DiskBytes,
    DiskReadBytes,
    DiskWriteBytes,
    DiskReadOps,
    DiskWriteOps,
    NetworkInBytes,
    NetworkOutBytes,
    SampleNodeCount,
    ActiveTasks,
    RunningTasks,
    PendingTasks,
    SucceededTasks,
    FailedTasks,
    PreemptedNodeCount,
}

impl Metric {
    pub const ALL: [Metric; 17] = [
        Metric::CpuPercent,
        Metric::WallClockSeconds,
        Metric::MemoryBytes,
        Metric::DiskBytes,
        Metric::DiskReadBytes,
        Metric::DiskWriteBytes,
        Metric::DiskReadOps,
        Metric::DiskWriteOps,
        Metric::NetworkInBytes,
        Metric::NetworkOutBytes,
        Metric::SampleNodeCount,
        Metric::ActiveTasks,
        Metric::RunningTasks,
        Metric::PendingTasks,
        Metric::SucceededTasks,
        Metric::FailedTasks,
        Metric::PreemptedNodeCount,
    ];

    /// The name as a formula writes it, with its `$`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::CpuPercent => "$CPUPercent",
            Metric::WallClockSeconds => "$WallClockSeconds",
            Metric::MemoryBytes => "$MemoryBytes",
            Metric::DiskBytes => "$DiskBytes",
            Metric::DiskReadBytes => "$DiskReadBytes",
            Metric::DiskWriteBytes => "$DiskWriteBytes",
            Metric::DiskReadOps => "$DiskReadOps",
            Metric::DiskWriteOps => "$DiskWriteOps",
            Metric::NetworkInBytes => "$NetworkInBytes",
            Metric::NetworkOutBytes => "$NetworkOutBytes",
            Metric::SampleNodeCount => "$SampleNodeCount",
            Metric::ActiveTasks => "$ActiveTasks",
            Metric::RunningTasks => "$RunningTasks",
            Metric::PendingTasks => "$PendingTasks",
            Metric::SucceededTasks => "$SucceededTasks",
            Metric::FailedTasks => "$FailedTasks",
            Metric::PreemptedNodeCount => "$PreemptedNodeCount",
        }
    }

    /// Index into per-metric arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The metric of a name written with its `$`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Retired by the service in 2024 [doc]: still parses, but gets a warning.
    pub fn is_retired(self) -> bool {
        !matches!(
            self,
            Metric::CpuPercent
                | Metric::ActiveTasks
                | Metric::RunningTasks
                | Metric::PendingTasks
                | Metric::SucceededTasks
                | Metric::FailedTasks
                | Metric::PreemptedNodeCount
        )
    }
}

/// The read-write system variables whose final values make the run's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Dedicated,
    LowPriority,
    DeallocationOption,
}

/// The read-only pool scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolScalar {
    CurrentDedicatedNodes,
    CurrentLowPriorityNodes,
    TaskSlotsPerNode,
    UsableNodeCount,
}

/// What a `$` name of the service means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemVariable {
    /// A read-write target; `legacy` for the old alias names, which are variables of their
    /// own that start with the same value [doc].
    Target { target: Target, legacy: bool },
    /// A read-only scalar from the pool's state; `legacy` for the old alias names.
    Pool { scalar: PoolScalar, legacy: bool },
    /// A sampled metric.
    Metric(Metric),
}

/// Every system variable name, with what it is.
pub const SYSTEM_VARIABLES: &[(&str, SystemVariable)] = &[
    (
        "$TargetDedicatedNodes",
        SystemVariable::Target {
            target: Target::Dedicated,
            legacy: false,
        },
    ),
    (
        "$TargetLowPriorityNodes",
        SystemVariable::Target {
            target: Target::LowPriority,
            legacy: false,
        },
    ),
    (
        "$NodeDeallocationOption",
        SystemVariable::Target {
            target: Target::DeallocationOption,
            legacy: false,
        },
    ),
    (
        "$TargetDedicated",
        SystemVariable::Target {
            target: Target::Dedicated,
            legacy: true,
        },
    ),
    (
        "$TargetLowPriority",
        SystemVariable::Target {
            target: Target::LowPriority,
            legacy: true,
        },
    ),
    (
        "$CurrentDedicatedNodes",
        SystemVariable::Pool {
            scalar: PoolScalar::CurrentDedicatedNodes,
            legacy: false,
        },
    ),
    (
        "$CurrentLowPriorityNodes",
        SystemVariable::Pool {
            scalar: PoolScalar::CurrentLowPriorityNodes,
            legacy: false,
        },
    ),
    (
        "$TaskSlotsPerNode",
        SystemVariable::Pool {
            scalar: PoolScalar::TaskSlotsPerNode,
            legacy: false,
        },
    ),
    (
        "$UsableNodeCount",
        SystemVariable::Pool {
            scalar: PoolScalar::UsableNodeCount,
            legacy: false,
        },
    ),
    (
        "$CurrentDedicated",
        SystemVariable::Pool {
            scalar: PoolScalar::CurrentDedicatedNodes,
            legacy: true,
        },
    ),
];

pub fn system_variable(name: &str) -> Option<SystemVariable> {
    if let Some(metric) = Metric::from_name(name) {
        return Some(SystemVariable::Metric(metric));
    }
    SYSTEM_VARIABLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// The full name of a target (what the results show).
pub fn target_name(target: Target) -> &'static str {
    match target {
        Target::Dedicated => "$TargetDedicatedNodes",
        Target::LowPriority => "$TargetLowPriorityNodes",
        Target::DeallocationOption => "$NodeDeallocationOption",
    }
}

/// The full name a legacy alias stands for.
pub fn full_name_of(name: &str) -> Option<&'static str> {
    match system_variable(name)? {
        SystemVariable::Target {
            target,
            legacy: true,
        } => Some(target_name(target)),
        SystemVariable::Pool {
            scalar: PoolScalar::CurrentDedicatedNodes,
            legacy: true,
        } => Some("$CurrentDedicatedNodes"),
        _ => None,
    }
}

/// The named `timeinterval` constants [doc]. `TimeInterval_Year` is 365 days [decided].
pub const TIME_CONSTANTS: &[(&str, Interval)] = &[
    ("TimeInterval_Zero", Interval(0)),
    ("TimeInterval_100ns", Interval(1)),
    ("TimeInterval_Microsecond", Interval(TICKS_PER_MICROSECOND)),
    ("TimeInterval_Millisecond", Interval(TICKS_PER_MILLISECOND)),
    ("TimeInterval_Second", Interval(TICKS_PER_SECOND)),
    ("TimeInterval_Minute", Interval(TICKS_PER_MINUTE)),
    ("TimeInterval_Hour", Interval(TICKS_PER_HOUR)),
    ("TimeInterval_Day", Interval(TICKS_PER_DAY)),
    ("TimeInterval_Week", Interval(7 * TICKS_PER_DAY)),
    ("TimeInterval_Year", Interval(365 * TICKS_PER_DAY)),
];

pub fn time_constant(name: &str) -> Option<Interval> {
    TIME_CONSTANTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// The values `$NodeDeallocationOption` takes [doc].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeallocationOption {
    Requeue,
    Terminate,
    TaskCompletion,
    RetainedData,
}

impl DeallocationOption {
    pub const ALL: [DeallocationOption; 4] = [
        DeallocationOption::Requeue,
        DeallocationOption::Terminate,
        DeallocationOption::TaskCompletion,
        DeallocationOption::RetainedData,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            DeallocationOption::Requeue => "requeue",
            DeallocationOption::Terminate => "terminate",
            DeallocationOption::TaskCompletion => "taskcompletion",
            DeallocationOption::RetainedData => "retaineddata",
        }
    }

    pub fn from_keyword(name: &str) -> Option<DeallocationOption> {
        DeallocationOption::ALL
            .into_iter()
            .find(|d| d.keyword() == name)
    }
}

/// Why a built-in refused its arguments at run time.
pub type BuiltinError = String;

/// What a function computes; the checker derives its signature from this, the evaluator
/// its value.
#[derive(Debug, Clone, Copy)]
pub enum FunctionKind {
    /// `f(L) -> double` over the flattened list. `empty_ok` when an empty list has a value.
    Aggregate {
        compute: fn(&[f64]) -> Result<f64, BuiltinError>,
    },
    /// `f(double) -> double` and `f(L) -> doubleVec`: one argument of static type double
    /// picks the scalar form, anything else the vector form [doc].
    Elementwise { apply: fn(f64) -> f64 },
    /// `percentile(doubleVec v, double p) -> double`.
    Percentile,
    /// `val(doubleVec v, double i) -> double`.
    Val,
    /// `vec(L) -> doubleVec`.
    Vec,
    /// `rand() -> double`.
    Rand,
    /// `stop()`: ends the evaluation; it has no value.
    Stop,
    /// `time() -> timestamp` and `time(string) -> timestamp`.
    Time,
}

#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub kind: FunctionKind,
    /// The signature as the documentation writes it, for messages.
    pub signature: &'static str,
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "avg",
        kind: FunctionKind::Aggregate { compute: avg },
        signature: "avg(doubleVecList)",
    },
    Function {
        name: "len",
        kind: FunctionKind::Aggregate { compute: len },
        signature: "len(doubleVecList)",
    },
    Function {
        name: "lg",
        kind: FunctionKind::Elementwise { apply: f64::log2 },
        signature: "lg(double) or lg(doubleVecList)",
    },
    Function {
        name: "ln",
        kind: FunctionKind::Elementwise { apply: f64::ln },
        signature: "ln(double) or ln(doubleVecList)",
    },
    Function {
        name: "log",
        kind: FunctionKind::Elementwise { apply: f64::log10 },
        signature: "log(double) or log(doubleVecList)",
    },
    Function {
        name: "ceil",
        kind: FunctionKind::Elementwise { apply: f64::ceil },
        signature: "ceil(double) or ceil(doubleVecList)",
    },
    Function {
        name: "floor",
        kind: FunctionKind::Elementwise { apply: f64::floor },
        signature: "floor(double) or floor(doubleVecList)",
    },
    // f64::round rounds halves away from zero, as the documentation says of `round`.
    Function {
        name: "round",
        kind: FunctionKind::Elementwise { apply: f64::round },
        signature: "round(double) or round(doubleVecList)",
    },
    Function {
        name: "max",
        kind: FunctionKind::Aggregate { compute: max },
        signature: "max(doubleVecList)",
    },
    Function {
        name: "min",
        kind: FunctionKind::Aggregate { compute: min },
        signature: "min(doubleVecList)",
    },
    Function {
        name: "norm",
        kind: FunctionKind::Aggregate { compute: norm },
        signature: "norm(doubleVecList)",
    },
    Function {
        name: "percentile",
        kind: FunctionKind::Percentile,
        signature: "percentile(doubleVec v, double p)",
    },
    Function {
        name: "rand",
        kind: FunctionKind::Rand,
        signature: "rand()",
    },
    Function {
        name: "range",
        kind: FunctionKind::Aggregate { compute: range },
        signature: "range(doubleVecList)",
    },
    Function {
        name: "std",
        kind: FunctionKind::Aggregate { compute: std },
        signature: "std(doubleVecList)",
    },
    Function {
        name: "stop",
        kind: FunctionKind::Stop,
        signature: "stop()",
    },
    Function {
        name: "sum",
        kind: FunctionKind::Aggregate { compute: sum },
        signature: "sum(doubleVecList)",
    },
    Function {
        name: "time",
        kind: FunctionKind::Time,
        signature: "time() or time(string)",
    },
    Function {
        name: "val",
        kind: FunctionKind::Val,
        signature: "val(doubleVec v, double i)",
    },
    Function {
        name: "vec",
        kind: FunctionKind::Vec,
        signature: "vec(doubleVecList)",
    },
];

pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

impl FunctionKind {
    /// Whether a call with an empty list always fails at run time.
    pub fn fails_on_empty_list(self) -> bool {
        match self {
            FunctionKind::Aggregate { compute } => compute(&[]).is_err(),
            _ => false,
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

/// What `max` gives for a list that is not empty: NaNs are skipped (`f64::max` ignores
/// them), so a list of NaNs gives -inf. Public for the evaluator's two-argument form.
#[inline]
pub fn greatest(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// What `min` gives for a list that is not empty: NaNs are skipped, a list of NaNs gives
/// +inf. Public for the evaluator's two-argument form.
#[inline]
pub fn least(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn norm(values: &[f64]) -> Result<f64, BuiltinError> {
    nonempty(values)?;
    Ok(values.iter().map(|v| v * v).sum::<f64>().sqrt())
}

fn range(values: &[f64]) -> Result<f64, BuiltinError> {
    Ok(max(values)? - min(values)?)
}

/// Sample standard deviation (divisor n-1) [doc]; one element gives 0 [decided].
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

/// Nearest-rank percentile [decided]: sort ascending, take the k-th element, k the
/// smallest whole number >= 1 with 100·k >= p·n, computed exactly.
pub fn percentile(values: &[f64], p: f64) -> Result<f64, BuiltinError> {
    if !(0.0..=100.0).contains(&p) {
        return Err(format!(
            "percentile: the percentage must be between 0 and 100, got {}",
            crate::format::format_double(p)
        ));
    }
    if values.is_empty() {
        return Err("percentile: the vector is empty".to_string());
    }
    let n = values.len();
    let k = nearest_rank(p, n);
    // The k-th smallest in the total order (NaN last), found without a full sort.
    let mut copy = values.to_vec();
    Ok(*copy.select_nth_unstable_by(k - 1, f64::total_cmp).1)
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

/// The methods of a sampled metric [doc].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    GetSample,
    GetSamplePercent,
    Count,
    HistoryBeginTime,
    GetSamplePeriod,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::GetSample,
        Method::GetSamplePercent,
        Method::Count,
        Method::HistoryBeginTime,
        Method::GetSamplePeriod,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::GetSample => "GetSample",
            Method::GetSamplePercent => "GetSamplePercent",
            Method::Count => "Count",
            Method::HistoryBeginTime => "HistoryBeginTime",
            Method::GetSamplePeriod => "GetSamplePeriod",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The documented forms, for messages.
    pub fn signature(self) -> &'static str {
        match self {
            Method::GetSample => {
                "GetSample(count), GetSample(time), GetSample(time, percent), GetSample(time1, time2) or GetSample(time1, time2, percent)"
            }
            Method::GetSamplePercent => "GetSamplePercent(time) or GetSamplePercent(time1, time2)",
            Method::Count => "Count()",
            Method::HistoryBeginTime => "HistoryBeginTime()",
            Method::GetSamplePeriod => "GetSamplePeriod()",
        }
    }
}

/// The fields of a timestamp [doc].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Year,
    Month,
    Day,
    Weekday,
    Hour,
    Minute,
    Second,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Year,
        Field::Month,
        Field::Day,
        Field::Weekday,
        Field::Hour,
        Field::Minute,
        Field::Second,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Year => "year",
            Field::Month => "month",
            Field::Day => "day",
            Field::Weekday => "weekday",
            Field::Hour => "hour",
            Field::Minute => "minute",
            Field::Second => "second",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn of(self, fields: &crate::time::TimestampFields) -> f64 {
        match self {
            Field::Year => f64::from(fields.year),
            Field::Month => f64::from(fields.month),
            Field::Day => f64::from(fields.day),
            Field::Weekday => f64::from(fields.weekday),
            Field::Hour => f64::from(fields.hour),
            Field::Minute => f64::from(fields.minute),
            Field::Second => f64::from(fields.second),
        }
    }
}

/// Every name the language gives a meaning to, for "did you mean" hints.
pub fn all_known_names() -> impl Iterator<Item = &'static str> {
    SYSTEM_VARIABLES
        .iter()
        .map(|(n, _)| *n)
        .chain(Metric::ALL.iter().map(|m| m.name()))
        .chain(TIME_CONSTANTS.iter().map(|(n, _)| *n))
        .chain(DeallocationOption::ALL.iter().map(|d| d.keyword()))
        .chain(FUNCTIONS.iter().map(|f| f.name))
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
    fn every_metric_name_round_trips() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
            assert_eq!(Metric::ALL[m.index()], m);
        }
    }
}
