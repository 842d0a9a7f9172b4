//! Static types for the checker. An expression's type is a *set* of value types: a
//! variable may be reassigned with another type and `?:` branches may differ, so the
//! checker knows only which types a value may have.

use std::fmt;

/// One value type of the language (section 3), plus `NoValue` for `stop()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Double,
    DoubleVec,
    String,
    Timestamp,
    TimeInterval,
    Deallocation,
    /// What `stop()` gives: nothing to use.
    NoValue,
}

impl Type {
    pub const ALL: [Type; 7] = [
        Type::Double,
        Type::DoubleVec,
        Type::String,
        Type::Timestamp,
        Type::TimeInterval,
        Type::Deallocation,
        Type::NoValue,
    ];

    /// The name as the documentation writes it (the evaluator uses the same words).
    pub fn name(self) -> &'static str {
        match self {
            Type::Double => "double",
            Type::DoubleVec => "doubleVec",
            Type::String => "string",
            Type::Timestamp => "timestamp",
            Type::TimeInterval => "timeinterval",
            Type::Deallocation => "deallocation option",
            Type::NoValue => "stop() result",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of possible types. The empty set means "unknown": an error was already
/// reported for the expression, so nothing more is said about values built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct TypeSet(u8);

impl TypeSet {
    pub const UNKNOWN: TypeSet = TypeSet(0);
    pub const DOUBLE: TypeSet = TypeSet::of(Type::Double);
    pub const DOUBLE_VEC: TypeSet = TypeSet::of(Type::DoubleVec);
    pub const STRING: TypeSet = TypeSet::of(Type::String);
    pub const TIMESTAMP: TypeSet = TypeSet::of(Type::Timestamp);
    pub const TIME_INTERVAL: TypeSet = TypeSet::of(Type::TimeInterval);
    pub const DEALLOCATION: TypeSet = TypeSet::of(Type::Deallocation);
    pub const NO_VALUE: TypeSet = TypeSet::of(Type::NoValue);
    /// Every type a value can have (all but `stop()`'s no-value).
    pub const VALUES: TypeSet = TypeSet(TypeSet::NO_VALUE.0 - 1);
    /// What a `doubleVecList` parameter takes.
    pub const LIST_ITEM: TypeSet = TypeSet::DOUBLE.union(TypeSet::DOUBLE_VEC);
    /// A time argument of a method: an instant or a look-back.
    pub const TIME: TypeSet = TypeSet::TIMESTAMP.union(TypeSet::TIME_INTERVAL);

    pub const fn of(t: Type) -> TypeSet {
        TypeSet(1 << (t as u8))
    }

    pub const fn union(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 | other.0)
    }

    pub fn intersection(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 & other.0)
    }

    /// The types of `self` that are not in `other`.
    pub fn without(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 & !other.0)
    }

    pub fn insert(&mut self, t: Type) {
        self.0 |= t.bit();
    }

    pub fn contains(self, t: Type) -> bool {
        self.0 & t.bit() != 0
    }

    pub fn is_unknown(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: TypeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Type> {
        Type::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// `a double`, `a double or doubleVec`: for messages.
impl fmt::Display for TypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Type::name).collect();
        match names.as_slice() {
            [] => write!(f, "an unknown type"),
            [one] => write!(f, "a {one}"),
            [init @ .., last] => write!(f, "a {} or {last}", init.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_combine_and_describe_themselves() {
        let s = TypeSet::DOUBLE.union(TypeSet::TIMESTAMP);
        assert!(s.contains(Type::Double) && s.contains(Type::Timestamp));
        assert!(!s.contains(Type::String));
        assert!(TypeSet::DOUBLE.is_subset_of(s));
        assert!(!s.is_subset_of(TypeSet::DOUBLE));
        assert_eq!(s.to_string(), "a double or timestamp");
        assert_eq!(TypeSet::DOUBLE_VEC.to_string(), "a doubleVec");
        assert_eq!(TypeSet::UNKNOWN.to_string(), "an unknown type");
        assert!(TypeSet::UNKNOWN.is_unknown());
    }
}
