//! The registry of diagnostic codes: one enum, each code with its stable text, its
//! severity and a one-line summary. `docs/diagnostics.md` documents every code with an
//! example and its fix, and its test walks [`Code::ALL`].
//!
//! The series:
//!
//! - `BS00xx`: the service's limits
//! - `BS01xx`: syntax
//! - `BS02xx`: names
//! - `BS03xx`: types and arity
//! - `BS05xx`: warnings about behaviour the service may not share (a decided rule)
//! - `BS06xx`: lints: likely mistakes drawn from real failures (`check` only)
//! - `BS07xx`: warnings from a run (what one evaluation did)
//!
//! Codes never change meaning once published; new ones are added at the end of their
//! series.

use super::Severity;

/// Declares [`Code`] and its table from one list: `Name = "BS0001", Severity;`, each with
/// its summary as the doc comment.
macro_rules! codes {
    ($( $(#[doc = $doc:literal])+ $name:ident = $code:literal, $severity:ident; )+) => {
        /// A diagnostic code. The text (`BS0601`) is what users see and search for.
        ///
        /// The summaries carry the specs' tags `\[doc\]`, `\[seen\]` and `\[decided\]` (what
        /// public material says, what the service was seen to do, what batchscale chose).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        #[allow(rustdoc::broken_intra_doc_links)]
        pub enum Code {
            $( $(#[doc = $doc])+ $name, )+
        }

        impl Code {
            /// Every code, in the order of its number.
            pub const ALL: &'static [Code] = &[$(Code::$name),+];

            /// The code as users see it: `BS0601`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)+
                }
            }

            /// Whether a diagnostic with this code is an error or a warning. The series
            /// says: `BS00xx` to `BS03xx` are errors, the others warnings.
            pub const fn severity(self) -> Severity {
                match self {
                    $(Code::$name => Severity::$severity,)+
                }
            }

            /// What the code means, in one sentence (the summary of `docs/diagnostics.md`'s
            /// section).
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$name => concat!($($doc),+).trim(),)+
                }
            }
        }
    };
}

codes! {
    /// More than 8192 characters.
    TooLong = "BS0001", Error;
    /// More than 100 statements.
    TooManyStatements = "BS0002", Error;
    /// Evaluation interval outside 5 minutes to 168 hours.
    IntervalOutOfRange = "BS0003", Error;
    /// A text that nests deeper than any formula of at most 8192 characters can (more than
    /// 8192 levels): only `fmt`, which formats texts of any length, meets one.
    TooDeep = "BS0004", Error;

    /// A character that starts no token.
    UnexpectedCharacter = "BS0101", Error;
    /// A `#` comment.
    HashComment = "BS0102", Error;
    /// A `/* */` comment.
    BlockComment = "BS0103", Error;
    /// A string without its closing quote.
    UnterminatedString = "BS0104", Error;
    /// Two statements on separate lines without `;` between them.
    MissingSemicolon = "BS0105", Error;
    /// A token the grammar does not allow where it stands.
    UnexpectedToken = "BS0106", Error;
    /// The formula ends inside a statement.
    UnexpectedEnd = "BS0107", Error;

    /// A name read before any statement assigns it, or that means nothing at all.
    UndefinedSymbol = "BS0201", Error;
    /// A call of a function that does not exist.
    UnknownFunction = "BS0202", Error;
    /// A method that sampled metrics do not have.
    UnknownMethod = "BS0203", Error;
    /// A field that timestamps do not have.
    UnknownField = "BS0204", Error;
    /// An assignment to a read-only system variable (a pool scalar or a sampled metric).
    AssignReadOnly = "BS0205", Error;
    /// An assignment to a time constant or a deallocation keyword.
    AssignConstant = "BS0206", Error;

    /// An operator applied to operand types it is not defined for.
    OperatorType = "BS0301", Error;
    /// The condition of `?:` is not a double.
    ConditionType = "BS0302", Error;
    /// A function or method called with the wrong number of arguments.
    Arity = "BS0303", Error;
    /// A function or method argument of the wrong type.
    ArgumentType = "BS0304", Error;
    /// A call with no arguments of a function that fails on an empty list (`avg()`).
    EmptyArgumentList = "BS0305", Error;
    /// A method called on something other than a sampled metric.
    MethodReceiver = "BS0306", Error;
    /// A field read from something other than a timestamp.
    FieldReceiver = "BS0307", Error;
    /// A sampled metric used as a value instead of through a method.
    MetricAsValue = "BS0308", Error;
    /// The value of `stop()` used.
    StopValue = "BS0309", Error;
    /// `$TargetDedicatedNodes` or `$TargetLowPriorityNodes` assigned a value that is not a
    /// double.
    TargetType = "BS0310", Error;
    /// `$NodeDeallocationOption` assigned something other than a deallocation keyword.
    DeallocationType = "BS0311", Error;
    /// A constant argument that always fails: `GetSample(0)`, a percentage outside 0..100.
    ArgumentOutOfRange = "BS0312", Error;
    /// `time("...")` with a literal that is not a W3C-DTF or RFC 1123 time.
    InvalidTimeText = "BS0313", Error;
    /// A time interval divided by a constant zero (always out of range).
    IntervalDivisionByZero = "BS0314", Error;
    /// An operation that fails for some of the types its operands may have (a variable
    /// or `?:` that is a number on one path and something else on another).
    TypeOnSomePaths = "BS0315", Error;
    /// An operation on constants that fails whenever it runs (an interval or a time out
    /// of range, as in `TimeInterval_Year * 100000`).
    ConstantFails = "BS0316", Error;

    /// `double op doubleVec`: accepted element-wise \[decided\]; the service may reject it.
    ScalarVectorOperation = "BS0501", Warning;
    /// The branches of `?:` have different types.
    BranchTypesDiffer = "BS0502", Warning;
    /// `.weekday` compared with 7: weekday runs 0 (Sunday) to 6 \[decided\].
    WeekdaySeven = "BS0503", Warning;
    /// A legacy alias (`$TargetDedicated`, `$TargetLowPriority`, `$CurrentDedicated`).
    LegacyName = "BS0504", Warning;
    /// A metric the service retired in 2024.
    RetiredMetric = "BS0505", Warning;
    /// `val(v, i)` with a constant negative index: always 0 \[decided\].
    NegativeValIndex = "BS0506", Warning;
    /// A division by a constant zero: IEEE infinity or NaN \[decided\].
    DivisionByZero = "BS0507", Warning;
    /// A new user variable whose name is close to a target's (`$targetDedicatedNodes`).
    LookalikeTarget = "BS0509", Warning;
    /// A user variable named like a function.
    FunctionNameVariable = "BS0510", Warning;
    /// An empty statement (`;;`, or a `;` before the first statement) \[decided\].
    EmptyStatement = "BS0511", Warning;
    /// A `//` comment ended by a lone CR, which ends a line here \[decided\].
    LoneCrComment = "BS0512", Warning;
    /// `TimeInterval_Year`, taken as 365 days \[decided\].
    YearLength = "BS0513", Warning;
    /// `&&` mixed with `||`, or a comparison of a comparison, without parentheses: C's
    /// precedence \[decided\].
    Precedence = "BS0514", Warning;
    /// A deallocation keyword passed through a user variable or `?:` \[decided\].
    DeallocationPassThrough = "BS0515", Warning;
    /// `.weekday` compared with 0: Sunday is 0 \[decided\].
    WeekdaySunday = "BS0516", Warning;
    /// `doubleVec op doubleVec`: pairwise; unequal lengths fail \[decided\].
    VectorPairwise = "BS0517", Warning;
    /// A sample method on the right of `&&` or `||`: evaluated only when needed \[decided\].
    ShortCircuit = "BS0518", Warning;
    /// Strings ordered with `<`, `<=`, `>`, `>=`: ordinal comparison \[decided\].
    StringOrder = "BS0519", Warning;
    /// `percentile()`: nearest rank \[decided\].
    PercentileMethod = "BS0520", Warning;
    /// `rand()`: reproducible offline, random on the service \[decided\].
    RandValues = "BS0521", Warning;
    /// `std()` of one value: 0 \[decided\].
    StdOfOne = "BS0522", Warning;
    /// `stop()`: ends the run keeping earlier assignments \[decided\].
    StopKeepsAssignments = "BS0523", Warning;
    /// `val()` of a vector of several samples: oldest first \[decided\].
    SampleOrder = "BS0524", Warning;
    /// `$NodeDeallocationOption` read before it is assigned: `requeue` each run \[decided\].
    DeallocationStart = "BS0525", Warning;

    /// A sample window without a percentage (70% required) and no `GetSamplePercent`
    /// guard: fails on a new pool.
    ColdStart = "BS0601", Warning;
    /// A target that can become negative.
    NegativeTarget = "BS0602", Warning;
    /// A target that can be fractional by arithmetic; the service truncates it.
    FractionalTarget = "BS0603", Warning;
    /// `$NodeDeallocationOption` left at `requeue` by a formula that can scale down.
    RequeueByDefault = "BS0604", Warning;
    /// A condition made of constants: always true or always false.
    ConstantCondition = "BS0605", Warning;
    /// A condition that ranges make always true or always false (`w < 1 && w > 5`,
    /// `time().hour > 23`).
    ImpossibleCondition = "BS0606", Warning;
    /// A percentage (0..100) compared with a fraction below 1.
    PercentAsFraction = "BS0607", Warning;
    /// A user variable assigned and never read.
    UnusedVariable = "BS0608", Warning;
    /// No statement assigns a target: the pool keeps its size.
    NoTarget = "BS0609", Warning;
    /// `$CPUPercent.GetSample(1)`: one sample, documented as unreliable.
    CpuSingleSample = "BS0610", Warning;
    /// Statements after a top-level `stop();`: they never run.
    Unreachable = "BS0611", Warning;

    /// Run-time: a target ends the run negative.
    RunNegativeTarget = "BS0701", Warning;
    /// Run-time: `val(v, i)` with `i` outside the vector gives 0 \[decided\].
    RunValOutOfRange = "BS0702", Warning;
    /// Run-time: a variable ends the run as NaN or an infinity.
    RunNonFiniteValue = "BS0703", Warning;
}

impl Code {
    /// The code of a text such as `BS0601`, if there is one.
    pub fn from_text(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// The group (series) the code belongs to, from its number: `BS06xx` is
    /// [`Group::Lint`].
    pub fn group(self) -> Group {
        match &self.as_str()[2..4] {
            "00" => Group::Limits,
            "01" => Group::Syntax,
            "02" => Group::Names,
            "03" => Group::Types,
            "05" => Group::Decided,
            "06" => Group::Lint,
            _ => Group::Run,
        }
    }

    /// The code's section of `docs/diagnostics.md`, from its `### BS0601: ...` heading to
    /// the next heading: what `batchscale explain BS0601` prints. The document is built
    /// into the library, so the two cannot differ.
    pub fn documentation(self) -> &'static str {
        let heading = format!("### {}: ", self.as_str());
        let Some(start) = DIAGNOSTICS_MD.find(&heading) else {
            return self.summary();
        };
        let rest = &DIAGNOSTICS_MD[start..];
        let end = rest[heading.len()..]
            .find("\n## ")
            .into_iter()
            .chain(rest[heading.len()..].find("\n### "))
            .min()
            .map_or(rest.len(), |i| heading.len() + i + 1);
        rest[..end].trim_end()
    }
}

/// `docs/diagnostics.md`, the documentation of every code.
const DIAGNOSTICS_MD: &str = include_str!("../../docs/diagnostics.md");

/// A family of codes: their series. `--allow` and `--deny` (and `batchscale.toml`) take a
/// group's name where they take a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Group {
    /// `limits`: `BS00xx`, the service's limits (errors).
    Limits,
    /// `syntax`: `BS01xx` (errors).
    Syntax,
    /// `names`: `BS02xx` (errors).
    Names,
    /// `types`: `BS03xx`, types and arity (errors).
    Types,
    /// `decided`: `BS05xx`, behaviour the service may not share (warnings).
    Decided,
    /// `lint`: `BS06xx`, likely mistakes (warnings).
    Lint,
    /// `run`: `BS07xx`, what one evaluation did (warnings).
    Run,
}

impl Group {
    /// Every group, in the order of its series.
    pub const ALL: &'static [Group] = &[
        Group::Limits,
        Group::Syntax,
        Group::Names,
        Group::Types,
        Group::Decided,
        Group::Lint,
        Group::Run,
    ];

    /// The name users write: `lint`.
    pub const fn name(self) -> &'static str {
        match self {
            Group::Limits => "limits",
            Group::Syntax => "syntax",
            Group::Names => "names",
            Group::Types => "types",
            Group::Decided => "decided",
            Group::Lint => "lint",
            Group::Run => "run",
        }
    }

    /// The series as `docs/diagnostics.md` writes it: `BS06xx`.
    pub const fn series(self) -> &'static str {
        match self {
            Group::Limits => "BS00xx",
            Group::Syntax => "BS01xx",
            Group::Names => "BS02xx",
            Group::Types => "BS03xx",
            Group::Decided => "BS05xx",
            Group::Lint => "BS06xx",
            Group::Run => "BS07xx",
        }
    }

    /// The group of a name such as `lint`, if there is one.
    pub fn from_name(name: &str) -> Option<Group> {
        Group::ALL.iter().copied().find(|g| g.name() == name)
    }

    /// The group's codes, in the order of their number.
    pub fn codes(self) -> impl Iterator<Item = Code> {
        Code::ALL.iter().copied().filter(move |c| c.group() == self)
    }

    /// Whether the group's codes are errors (`limits` to `types`) or warnings.
    pub fn severity(self) -> Severity {
        match self {
            Group::Limits | Group::Syntax | Group::Names | Group::Types => Severity::Error,
            Group::Decided | Group::Lint | Group::Run => Severity::Warning,
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// `diagnostic.code == Code::ColdStart`: a diagnostic keeps its code as text.
impl PartialEq<Code> for &str {
    fn eq(&self, code: &Code) -> bool {
        *self == code.as_str()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ordered_and_their_series_says_the_severity() {
        for pair in Code::ALL.windows(2) {
            assert!(pair[0].as_str() < pair[1].as_str(), "{pair:?}");
        }
        for code in Code::ALL {
            let series = code.as_str().as_bytes()[3];
            let error = code.as_str().starts_with("BS0") && series <= b'3';
            assert_eq!(code.severity() == Severity::Error, error, "{code}");
            assert_eq!(Code::from_text(code.as_str()), Some(*code));
            assert!(!code.summary().is_empty() && !code.summary().starts_with(' '));
        }
    }

    #[test]
    fn groups_follow_the_series_and_every_code_has_one() {
        for code in Code::ALL {
            let group = code.group();
            assert!(
                code.as_str().starts_with(&group.series()[..4]),
                "{code} in {group}"
            );
            assert_eq!(group.severity(), code.severity(), "{code}");
            assert!(group.codes().any(|c| c == *code));
            assert_eq!(Group::from_name(group.name()), Some(group));
        }
        for group in Group::ALL {
            assert!(group.codes().count() > 0, "{group} has no code");
        }
        assert_eq!(Group::from_name("warnings"), None);
    }

    #[test]
    fn a_codes_documentation_is_its_section_of_diagnostics_md() {
        for code in Code::ALL {
            let doc = code.documentation();
            assert!(doc.starts_with(&format!("### {code}: ")), "{code}: {doc:?}");
            assert!(!doc.contains("\n## ") && !doc.contains("\n### "), "{code}");
            assert!(doc.lines().count() > 2, "{code}: {doc:?}");
        }
        // The last section of a series ends before the next series' heading.
        assert!(
            !Code::CpuSingleSample
                .documentation()
                .contains("Warnings from a run")
        );
    }
}
