//! The one table of built-ins: system variables, sampled metrics, constants, deallocation
//! keywords, functions, methods and timestamp fields. The checker reads it for names,
//! arity and types; the evaluator reads it for what each built-in computes. Neither keeps
//! a list of its own, so they cannot disagree.

#[doc(hidden)]
pub mod forms;
#[doc(hidden)]
pub mod functions;
#[doc(hidden)]
pub mod methods;
#[doc(hidden)]
pub mod operators;
#[doc(hidden)]
pub mod types;

pub use functions::{
    Aggregate, BuiltinError, Elementwise, FUNCTIONS, Function, Implementation, function, greatest,
    least, percentile,
};
pub use methods::Method;

use crate::time::{
    Interval, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND,
    TICKS_PER_MINUTE, TICKS_PER_SECOND,
};

/// A sampled metric: a history of `(time, value)` samples, usable only through methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `$CPUPercent`: CPU use, percent.
    CpuPercent,
    /// `$WallClockSeconds` (retired in 2024).
    WallClockSeconds,
    /// `$MemoryBytes` (retired in 2024).
    MemoryBytes,
    /// `$DiskBytes` (retired in 2024).
    DiskBytes,
    /// `$DiskReadBytes` (retired in 2024).
    DiskReadBytes,
    /// `$DiskWriteBytes` (retired in 2024).
    DiskWriteBytes,
    /// `$DiskReadOps` (retired in 2024).
    DiskReadOps,
    /// `$DiskWriteOps` (retired in 2024).
    DiskWriteOps,
    /// `$NetworkInBytes` (retired in 2024).
    NetworkInBytes,
    /// `$NetworkOutBytes` (retired in 2024).
    NetworkOutBytes,
    /// `$SampleNodeCount` (retired in 2024).
    SampleNodeCount,
    /// `$ActiveTasks`: tasks ready to run.
    ActiveTasks,
    /// `$RunningTasks`: tasks running.
    RunningTasks,
    /// `$PendingTasks`: active and running tasks.
    PendingTasks,
    /// `$SucceededTasks`: tasks that succeeded.
    SucceededTasks,
    /// `$FailedTasks`: tasks that failed.
    FailedTasks,
    /// `$PreemptedNodeCount`: low-priority nodes preempted.
    PreemptedNodeCount,
}

impl Metric {
    /// Every metric, in [`Metric::index`] order.
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

    /// Retired by the service in 2024 \[doc\]: still parses, but gets a warning.
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
    /// `$TargetDedicatedNodes`.
    Dedicated,
    /// `$TargetLowPriorityNodes`.
    LowPriority,
    /// `$NodeDeallocationOption`.
    DeallocationOption,
}

/// The read-only pool scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolScalar {
    /// `$CurrentDedicatedNodes`.
    CurrentDedicatedNodes,
    /// `$CurrentLowPriorityNodes`.
    CurrentLowPriorityNodes,
    /// `$TaskSlotsPerNode`.
    TaskSlotsPerNode,
    /// `$UsableNodeCount`.
    UsableNodeCount,
}

/// What a `$` name of the service means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemVariable {
    /// A read-write target; `legacy` for the old alias names, which are variables of their
    /// own that start with the same value \[doc\].
    Target {
        /// Which target.
        target: Target,
        /// Whether the name is the old alias.
        legacy: bool,
    },
    /// A read-only scalar from the pool's state; `legacy` for the old alias names.
    Pool {
        /// Which scalar.
        scalar: PoolScalar,
        /// Whether the name is the old alias.
        legacy: bool,
    },
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

/// What a `$` name means, if anything.
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

/// The legacy alias of a target, if it has one.
pub fn legacy_name(target: Target) -> Option<&'static str> {
    SYSTEM_VARIABLES.iter().find_map(|(name, v)| match v {
        SystemVariable::Target {
            target: t,
            legacy: true,
        } if *t == target => Some(*name),
        _ => None,
    })
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

/// A named `timeinterval` constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeConstant {
    /// The name as a formula writes it.
    pub name: &'static str,
    /// Its length.
    pub value: Interval,
    /// Whether its length is a rule batchscale decided (the checker warns where it is
    /// used).
    pub decided: bool,
}

const fn constant(name: &'static str, ticks: i64) -> TimeConstant {
    TimeConstant {
        name,
        value: Interval(ticks),
        decided: false,
    }
}

/// The named `timeinterval` constants \[doc\]. `TimeInterval_Year` is 365 days \[decided\].
pub const TIME_CONSTANTS: &[TimeConstant] = &[
    constant("TimeInterval_Zero", 0),
    constant("TimeInterval_100ns", 1),
    constant("TimeInterval_Microsecond", TICKS_PER_MICROSECOND),
    constant("TimeInterval_Millisecond", TICKS_PER_MILLISECOND),
    constant("TimeInterval_Second", TICKS_PER_SECOND),
    constant("TimeInterval_Minute", TICKS_PER_MINUTE),
    constant("TimeInterval_Hour", TICKS_PER_HOUR),
    constant("TimeInterval_Day", TICKS_PER_DAY),
    constant("TimeInterval_Week", 7 * TICKS_PER_DAY),
    TimeConstant {
        decided: true,
        ..constant("TimeInterval_Year", 365 * TICKS_PER_DAY)
    },
];

/// The constant of a name, if there is one.
pub fn time_constant_def(name: &str) -> Option<&'static TimeConstant> {
    TIME_CONSTANTS.iter().find(|c| c.name == name)
}

/// The length of the constant of a name, if there is one.
pub fn time_constant(name: &str) -> Option<Interval> {
    time_constant_def(name).map(|c| c.value)
}

/// The values `$NodeDeallocationOption` takes \[doc\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeallocationOption {
    /// `requeue`: stop running tasks and queue them again (the default).
    Requeue,
    /// `terminate`: stop running tasks; they are not run again.
    Terminate,
    /// `taskcompletion`: let running tasks finish first.
    TaskCompletion,
    /// `retaineddata`: let tasks finish and their data expire.
    RetainedData,
}

impl DeallocationOption {
    /// Every option.
    pub const ALL: [DeallocationOption; 4] = [
        DeallocationOption::Requeue,
        DeallocationOption::Terminate,
        DeallocationOption::TaskCompletion,
        DeallocationOption::RetainedData,
    ];

    /// The keyword as a formula writes it.
    pub fn keyword(self) -> &'static str {
        match self {
            DeallocationOption::Requeue => "requeue",
            DeallocationOption::Terminate => "terminate",
            DeallocationOption::TaskCompletion => "taskcompletion",
            DeallocationOption::RetainedData => "retaineddata",
        }
    }

    /// The option of a keyword, if it is one.
    pub fn from_keyword(name: &str) -> Option<DeallocationOption> {
        DeallocationOption::ALL
            .into_iter()
            .find(|d| d.keyword() == name)
    }
}

/// The fields of a timestamp \[doc\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `.year`.
    Year,
    /// `.month`, 1 to 12.
    Month,
    /// `.day`, 1 to 31.
    Day,
    /// `.weekday`, 0 (Sunday) to 6.
    Weekday,
    /// `.hour`, 0 to 23.
    Hour,
    /// `.minute`, 0 to 59.
    Minute,
    /// `.second`, 0 to 59.
    Second,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 7] = [
        Field::Year,
        Field::Month,
        Field::Day,
        Field::Weekday,
        Field::Hour,
        Field::Minute,
        Field::Second,
    ];

    /// The name as a formula writes it.
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

    /// The field of a name, if there is one.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field's value in a timestamp's fields.
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
        .chain(TIME_CONSTANTS.iter().map(|c| c.name))
        .chain(DeallocationOption::ALL.iter().map(|d| d.keyword()))
        .chain(FUNCTIONS.iter().map(|f| f.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_name_round_trips() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
            assert_eq!(Metric::ALL[m.index()], m);
        }
    }
}
