//! Diagnostics: what the checker and the parser say about a formula, each with a stable
//! code, a severity, a message, a span and, where there is a fix, a help text.

use serde::Serialize;

use crate::syntax::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code from [`codes`], such as `BS0101`.
    pub code: &'static str,
    /// One lower-case sentence; user input in quotes.
    pub message: String,
    pub span: Span,
    /// How to fix it, where we know.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic code, in one place. Codes never change meaning once published.
///
/// - `BS00xx`: the service's limits
/// - `BS01xx`: syntax
/// - `BS02xx`: names
/// - `BS03xx`: types and arity
/// - `BS05xx`: warnings about behaviour the service may not share (a [decided] rule)
/// - `BS06xx`: lints: likely mistakes drawn from real failures (`check` only)
/// - `BS07xx`: warnings from a run (what one evaluation did)
///
/// `docs/diagnostics.md` documents every code with an example and its fix.
pub mod codes {
    /// More than 8192 characters.
    pub const TOO_LONG: &str = "BS0001";
    /// More than 100 statements.
    pub const TOO_MANY_STATEMENTS: &str = "BS0002";
    /// Evaluation interval outside 5 minutes to 168 hours.
    pub const INTERVAL_OUT_OF_RANGE: &str = "BS0003";
    /// A statement that nests deeper than batchscale supports (`syntax::nesting`).
    pub const TOO_DEEP: &str = "BS0004";

    /// A character that starts no token.
    pub const UNEXPECTED_CHARACTER: &str = "BS0101";
    /// A `#` comment.
    pub const HASH_COMMENT: &str = "BS0102";
    /// A `/* */` comment.
    pub const BLOCK_COMMENT: &str = "BS0103";
    /// A string without its closing quote.
    pub const UNTERMINATED_STRING: &str = "BS0104";
    /// Two statements on separate lines without `;` between them.
    pub const MISSING_SEMICOLON: &str = "BS0105";
    /// A token the grammar does not allow where it stands.
    pub const UNEXPECTED_TOKEN: &str = "BS0106";
    /// The formula ends inside a statement.
    pub const UNEXPECTED_END: &str = "BS0107";

    /// A name read before any statement assigns it, or that means nothing at all.
    pub const UNDEFINED_SYMBOL: &str = "BS0201";
    /// A call of a function that does not exist.
    pub const UNKNOWN_FUNCTION: &str = "BS0202";
    /// A method that sampled metrics do not have.
    pub const UNKNOWN_METHOD: &str = "BS0203";
    /// A field that timestamps do not have.
    pub const UNKNOWN_FIELD: &str = "BS0204";
    /// An assignment to a read-only system variable (a pool scalar or a sampled metric).
    pub const ASSIGN_READ_ONLY: &str = "BS0205";
    /// An assignment to a time constant or a deallocation keyword.
    pub const ASSIGN_CONSTANT: &str = "BS0206";

    /// An operator applied to operand types it is not defined for.
    pub const OPERATOR_TYPE: &str = "BS0301";
    /// The condition of `?:` is not a double.
    pub const CONDITION_TYPE: &str = "BS0302";
    /// A function or method called with the wrong number of arguments.
    pub const ARITY: &str = "BS0303";
    /// A function or method argument of the wrong type.
    pub const ARGUMENT_TYPE: &str = "BS0304";
    /// A call with no arguments of a function that fails on an empty list (`avg()`).
    pub const EMPTY_ARGUMENT_LIST: &str = "BS0305";
    /// A method called on something other than a sampled metric.
    pub const METHOD_RECEIVER: &str = "BS0306";
    /// A field read from something other than a timestamp.
    pub const FIELD_RECEIVER: &str = "BS0307";
    /// A sampled metric used as a value instead of through a method.
    pub const METRIC_AS_VALUE: &str = "BS0308";
    /// The value of `stop()` used.
    pub const STOP_VALUE: &str = "BS0309";
    /// `$TargetDedicatedNodes` or `$TargetLowPriorityNodes` assigned a value that is not a
    /// double.
    pub const TARGET_TYPE: &str = "BS0310";
    /// `$NodeDeallocationOption` assigned something other than a deallocation keyword.
    pub const DEALLOCATION_TYPE: &str = "BS0311";
    /// A constant argument that always fails: `GetSample(0)`, a percentage outside 0..100.
    pub const ARGUMENT_OUT_OF_RANGE: &str = "BS0312";
    /// `time("...")` with a literal that is not a W3C-DTF or RFC 1123 time.
    pub const INVALID_TIME_TEXT: &str = "BS0313";
    /// A time interval divided by a constant zero (always out of range).
    pub const INTERVAL_DIVISION_BY_ZERO: &str = "BS0314";
    /// An operation that fails for some of the types its operands may have (a variable
    /// or `?:` that is a number on one path and something else on another).
    pub const TYPE_ON_SOME_PATHS: &str = "BS0315";

    /// `double op doubleVec`: accepted element-wise [decided]; the service may reject it.
    pub const SCALAR_VECTOR_OPERATION: &str = "BS0501";
    /// The branches of `?:` have different types.
    pub const BRANCH_TYPES_DIFFER: &str = "BS0502";
    /// `.weekday` compared with 7: weekday runs 0 (Sunday) to 6 [decided].
    pub const WEEKDAY_SEVEN: &str = "BS0503";
    /// A legacy alias (`$TargetDedicated`, `$TargetLowPriority`, `$CurrentDedicated`).
    pub const LEGACY_NAME: &str = "BS0504";
    /// A metric the service retired in 2024.
    pub const RETIRED_METRIC: &str = "BS0505";
    /// `val(v, i)` with a constant negative index: always 0 [decided].
    pub const NEGATIVE_VAL_INDEX: &str = "BS0506";
    /// A division by a constant zero: IEEE infinity or NaN [decided].
    pub const DIVISION_BY_ZERO: &str = "BS0507";
    /// A new user variable whose name is close to a target's (`$targetDedicatedNodes`).
    pub const LOOKALIKE_TARGET: &str = "BS0509";
    /// A user variable named like a function.
    pub const FUNCTION_NAME_VARIABLE: &str = "BS0510";
    /// An empty statement (`;;`, or a `;` before the first statement) [decided].
    pub const EMPTY_STATEMENT: &str = "BS0511";
    /// A `//` comment ended by a lone CR, which ends a line here [decided].
    pub const LONE_CR_COMMENT: &str = "BS0512";
    /// `TimeInterval_Year`, taken as 365 days [decided].
    pub const YEAR_LENGTH: &str = "BS0513";
    /// `&&` mixed with `||`, or a comparison of a comparison, without parentheses: C's
    /// precedence [decided].
    pub const PRECEDENCE: &str = "BS0514";
    /// A deallocation keyword passed through a user variable or `?:` [decided].
    pub const DEALLOCATION_PASS_THROUGH: &str = "BS0515";
    /// `.weekday` compared with 0: Sunday is 0 [decided].
    pub const WEEKDAY_SUNDAY: &str = "BS0516";
    /// `doubleVec op doubleVec`: pairwise; unequal lengths fail [decided].
    pub const VECTOR_PAIRWISE: &str = "BS0517";
    /// A sample method on the right of `&&` or `||`: evaluated only when needed [decided].
    pub const SHORT_CIRCUIT: &str = "BS0518";
    /// Strings ordered with `<`, `<=`, `>`, `>=`: ordinal comparison [decided].
    pub const STRING_ORDER: &str = "BS0519";
    /// `percentile()`: nearest rank [decided].
    pub const PERCENTILE_METHOD: &str = "BS0520";
    /// `rand()`: reproducible offline, random on the service [decided].
    pub const RAND_VALUES: &str = "BS0521";
    /// `std()` of one value: 0 [decided].
    pub const STD_OF_ONE: &str = "BS0522";
    /// `stop()`: ends the run keeping earlier assignments [decided].
    pub const STOP_KEEPS_ASSIGNMENTS: &str = "BS0523";
    /// `val()` of a vector of several samples: oldest first [decided].
    pub const SAMPLE_ORDER: &str = "BS0524";
    /// `$NodeDeallocationOption` read before it is assigned: `requeue` each run [decided].
    pub const DEALLOCATION_START: &str = "BS0525";

    /// A sample window without a percentage (70% required) and no `GetSamplePercent`
    /// guard: fails on a new pool.
    pub const COLD_START: &str = "BS0601";
    /// A target that can become negative.
    pub const NEGATIVE_TARGET: &str = "BS0602";
    /// A target that can be fractional by arithmetic; the service truncates it.
    pub const FRACTIONAL_TARGET: &str = "BS0603";
    /// `$NodeDeallocationOption` left at `requeue` by a formula that can scale down.
    pub const REQUEUE_BY_DEFAULT: &str = "BS0604";
    /// A condition made of constants: always true or always false.
    pub const CONSTANT_CONDITION: &str = "BS0605";
    /// A condition that ranges make always true or always false (`w < 1 && w > 5`,
    /// `time().hour > 23`).
    pub const IMPOSSIBLE_CONDITION: &str = "BS0606";
    /// A percentage (0..100) compared with a fraction below 1.
    pub const PERCENT_AS_FRACTION: &str = "BS0607";
    /// A user variable assigned and never read.
    pub const UNUSED_VARIABLE: &str = "BS0608";
    /// No statement assigns a target: the pool keeps its size.
    pub const NO_TARGET: &str = "BS0609";
    /// `$CPUPercent.GetSample(1)`: one sample, documented as unreliable.
    pub const CPU_SINGLE_SAMPLE: &str = "BS0610";

    /// Run-time: a target ends the run negative.
    pub const RUN_NEGATIVE_TARGET: &str = "BS0701";
    /// Run-time: `val(v, i)` with `i` outside the vector gives 0 [decided].
    pub const RUN_VAL_OUT_OF_RANGE: &str = "BS0702";
    /// Run-time: a variable ends the run as NaN or an infinity.
    pub const RUN_NON_FINITE_VALUE: &str = "BS0703";
}

impl From<&crate::syntax::parser::SyntaxError> for Diagnostic {
    fn from(e: &crate::syntax::parser::SyntaxError) -> Diagnostic {
        use crate::syntax::parser::SyntaxErrorKind as K;
        let code = match e.kind {
            K::UnexpectedCharacter => codes::UNEXPECTED_CHARACTER,
            K::HashComment => codes::HASH_COMMENT,
            K::BlockComment => codes::BLOCK_COMMENT,
            K::UnterminatedString => codes::UNTERMINATED_STRING,
            K::MissingSemicolon => codes::MISSING_SEMICOLON,
            K::UnexpectedToken => codes::UNEXPECTED_TOKEN,
            K::UnexpectedEnd => codes::UNEXPECTED_END,
        };
        Diagnostic {
            severity: Severity::Error,
            code,
            message: e.message.clone(),
            span: e.span,
            help: e.help.clone(),
        }
    }
}
