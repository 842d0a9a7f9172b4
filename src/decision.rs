//! What a run gives the pool: the targets as whole node counts and the deallocation option.
//!
//! The one place that says how a run's values become a pool's targets, so that the
//! simulator and the emulator apply runs alike:
//!
//! - a failed run changes nothing \[doc\]: there is no decision;
//! - a target is truncated toward zero \[doc\] and a negative one becomes 0 \[decided\];
//! - `$NodeDeallocationOption` left unset means `requeue` \[doc\].
//!
//! Caps (quotas, a pool's maximum) are the caller's: the decision keeps the raw values
//! so that a report can show what the formula asked for.

use crate::builtins::DeallocationOption;
use crate::eval::outcome::Outcome;
use crate::eval::value::Value;

/// The targets and deallocation option a successful run leaves.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Decision {
    /// `$TargetDedicatedNodes` as the run left it (finite; before truncation).
    pub raw_dedicated: f64,
    /// `$TargetLowPriorityNodes` as the run left it (finite; before truncation).
    pub raw_low_priority: f64,
    /// The dedicated target the pool gets: truncated, at least 0.
    pub dedicated: u32,
    /// The low-priority target the pool gets: truncated, at least 0.
    pub low_priority: u32,
    /// How nodes leave if the pool shrinks.
    pub deallocation: DeallocationOption,
}

impl Decision {
    /// The decision of a run, or `None` when the run failed (it changes nothing).
    pub fn from_outcome(outcome: &Outcome) -> Option<Decision> {
        if outcome.error.is_some() {
            return None;
        }
        // A successful run leaves both targets as finite doubles: the interpreter fails a
        // run that leaves anything else.
        let (Value::Double(dedicated), Value::Double(low_priority)) =
            (&outcome.target_dedicated, &outcome.target_low_priority)
        else {
            return None;
        };
        let deallocation = match outcome.deallocation_option {
            Value::Deallocation(option) => option,
            _ => DeallocationOption::Requeue,
        };
        Some(Decision::new(*dedicated, *low_priority, deallocation))
    }

    /// A decision from raw target values: each truncated toward zero, negative to 0,
    /// beyond `u32::MAX` to `u32::MAX`.
    pub fn new(
        raw_dedicated: f64,
        raw_low_priority: f64,
        deallocation: DeallocationOption,
    ) -> Decision {
        Decision {
            raw_dedicated,
            raw_low_priority,
            dedicated: whole_nodes(raw_dedicated),
            low_priority: whole_nodes(raw_low_priority),
            deallocation,
        }
    }
}

/// Truncation toward zero; `as` saturates (negative and NaN to 0, huge to `u32::MAX`).
fn whole_nodes(raw: f64) -> u32 {
    raw.trunc() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompiledFormula;
    use crate::snapshot::Snapshot;
    use crate::time::Timestamp;

    fn decide(formula: &str) -> Option<Decision> {
        let formula = CompiledFormula::new(formula).unwrap();
        let mut outcome = Outcome::default();
        let now = Timestamp::from_date(2024, 5, 1).unwrap();
        formula.evaluate_into(&Snapshot::default(), now, &mut outcome);
        Decision::from_outcome(&outcome)
    }

    #[test]
    fn targets_truncate_toward_zero() {
        let d = decide("$TargetDedicatedNodes = 3.7; $TargetLowPriorityNodes = 0.99;").unwrap();
        assert_eq!((d.dedicated, d.low_priority), (3, 0));
        assert_eq!((d.raw_dedicated, d.raw_low_priority), (3.7, 0.99));
        assert_eq!(d.deallocation, DeallocationOption::Requeue);
    }

    #[test]
    fn decided_negative_targets_become_zero() {
        let d = decide("$TargetDedicatedNodes = -2.5;").unwrap();
        assert_eq!(d.dedicated, 0);
        assert_eq!(d.raw_dedicated, -2.5);
    }

    #[test]
    fn the_deallocation_option_comes_from_the_run() {
        let d =
            decide("$TargetDedicatedNodes = 1; $NodeDeallocationOption = taskcompletion;").unwrap();
        assert_eq!(d.deallocation, DeallocationOption::TaskCompletion);
    }

    #[test]
    fn a_failed_run_decides_nothing() {
        assert_eq!(decide("$TargetDedicatedNodes = undefinedName;"), None);
        assert_eq!(decide("$TargetDedicatedNodes = 1/0;"), None);
    }
}
