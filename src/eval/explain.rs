//! Why a run came out as it did (`batchscale eval --explain`): what each statement gave,
//! and what each call of a sampled metric's method asked for and found.
//!
//! The interpreter is generic over `Record`: the plain evaluation runs it with
//! `Plain`, which records nothing and takes no room, so every check for a recorder is a
//! constant `false` and compiles out (the plain run's code is what it was without
//! explanations); the explained evaluation runs another instance of it with a
//! `&mut Recorder`. The recorder is given the facts the evaluation itself worked with (the
//! [`samples::Window`] a method found, the value it gave, the error it raised), so the
//! explanation cannot disagree with the run.

use crate::builtins::{Method, Metric};
use crate::snapshot::SampleHistory;
use crate::syntax::span::{LineCol, Span};
use crate::time::{Interval, Timestamp};

use super::outcome::RunError;
use super::program::Slot;
use super::samples::{self, MissingSlots};
use super::value::Value;

/// What one evaluation did, statement by statement
/// ([`crate::CompiledFormula::evaluate_explained`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Explanation {
    /// The evaluation instant.
    pub now: Timestamp,
    /// Every statement of the formula, in order, including those that did not run (after
    /// an error or `stop()`).
    pub statements: Vec<StatementExplanation>,
    /// The error of the checks every run ends with, when they failed: a node count target
    /// that ends the run as something other than a finite number, or
    /// `$NodeDeallocationOption` as something other than a keyword (`Line L, Col C: ...`, as
    /// in the AutoScaleRun). An error raised by a statement is in that statement.
    pub targets_error: Option<String>,
}

/// One statement: where it is, what it did, and its calls of sampled metrics.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatementExplanation {
    /// The statement in the formula's text.
    pub span: Span,
    /// Where it starts.
    pub position: LineCol,
    /// Its source text, as written.
    pub text: String,
    /// The variable an assignment assigns (as written), whether or not it ran.
    pub variable: Option<String>,
    /// What it did.
    pub result: StatementResult,
    /// The calls of sampled metrics' methods it made, in the order they ran.
    pub samples: Vec<SampleCall>,
}

/// What a statement did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StatementResult {
    /// An assignment that ran: the value, printed as the `results` string prints that
    /// variable (a target truncated to a whole number).
    Assigned {
        /// The value as the results string prints it.
        value: String,
        /// A target's value before truncation, when it differs from `value`.
        before_truncation: Option<String>,
    },
    /// A statement that is an expression (not `stop()`): its value, printed as the
    /// results string prints values.
    Evaluated {
        /// The value.
        value: String,
    },
    /// `stop()` ended the run here.
    Stopped,
    /// The statement raised the error that ended the run: `Line L, Col C: detail`, the
    /// AutoScaleRun's message.
    Failed {
        /// The service's error code (`InsufficientSampleData`, ...).
        code: &'static str,
        /// The message, with its position.
        message: String,
    },
    /// The run ended before this statement.
    NotRun,
}

/// What a call of a sampled metric's method asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SampleRequest {
    /// The samples of the window `(from, to]` (`GetSample` with times, `GetSamplePercent`).
    Window {
        /// The earlier instant, not in the window.
        from: Timestamp,
        /// The later instant, in the window.
        to: Timestamp,
    },
    /// The `count` most recent samples (`GetSample(count)`).
    MostRecent {
        /// How many were asked for.
        count: u64,
    },
    /// The whole history available at the evaluation instant (`Count`,
    /// `HistoryBeginTime`, `GetSamplePeriod`).
    History,
}

/// One call of a sampled metric's method, with what it found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SampleCall {
    /// The metric.
    pub metric: Metric,
    /// The method's name (`GetSample`, ...).
    pub method: &'static str,
    /// The arguments, from the `(` that opens them: where the call's errors point.
    pub span: Span,
    /// Where the `(` is.
    pub position: LineCol,
    /// The metric's sampling period: the length of a slot.
    pub period: Interval,
    /// What it asked for.
    pub request: SampleRequest,
    /// How many samples it found.
    pub count: usize,
    /// The time of the oldest sample found.
    pub first: Option<Timestamp>,
    /// The time of the newest sample found.
    pub last: Option<Timestamp>,
    /// For a window: the percent of its expected samples found (language.md section 7).
    pub covered_percent: Option<f64>,
    /// For `GetSample` over a window: the percent it requires.
    pub required_percent: Option<f64>,
    /// For a window covered below 100%: the slots that hold no sample, oldest first.
    pub missing: Vec<MissingSlots>,
    /// The value it gave, printed as the results string prints values; `None` for the
    /// vector of `GetSample`, and for a call that failed.
    pub value: Option<String>,
    /// The error it raised (without its position), if it failed.
    pub error: Option<String>,
}

/// What a statement did, as the recorder keeps it (values not yet printed).
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// An assignment to the slot, and the value it holds after it.
    Assigned(Slot, Value),
    /// An expression statement's value.
    Evaluated(Value),
    /// `stop()`.
    Stopped,
    /// The error that ended the run.
    Failed(RunError),
    /// Not reached.
    NotRun,
}

/// One statement as the recorder keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRecord {
    /// What it did.
    pub result: Recorded,
    /// Its method calls, in the order they ran.
    pub samples: Vec<SampleCall>,
}

/// Whether and where a run records: [`Plain`] (not at all) or a `&mut Recorder`.
pub(crate) trait Record {
    /// Whether the run records: a constant, so that a plain run's checks compile out.
    const ON: bool;
    /// The recorder, if the run records.
    fn recorder(&mut self) -> Option<&mut Recorder>;
}

/// The plain run: records nothing, and takes no room in the interpreter.
pub(crate) struct Plain;

impl Record for Plain {
    const ON: bool = false;

    #[inline(always)]
    fn recorder(&mut self) -> Option<&mut Recorder> {
        None
    }
}

impl Record for &mut Recorder {
    const ON: bool = true;

    fn recorder(&mut self) -> Option<&mut Recorder> {
        Some(self)
    }
}

/// Records a run for an [`Explanation`]: the interpreter calls into it when it has one.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The statements that ran, in order.
    pub statements: Vec<StatementRecord>,
    /// The calls of the statement running now.
    current: Vec<SampleCall>,
    /// The end-of-run check of the targets, when it failed.
    pub targets_error: Option<RunError>,
}

/// The facts of one method call, as the evaluation found them.
pub(super) struct Facts<'h> {
    pub metric: Metric,
    pub method: Method,
    pub args_span: Span,
    pub history: &'h SampleHistory,
    pub request: SampleRequest,
    /// The window [`samples::window`] found, for a window; else the samples found.
    pub found: Found,
    pub required: Option<f64>,
    pub value: Option<&'h Value>,
    pub error: Option<&'h str>,
}

/// The samples a call found.
pub(super) enum Found {
    Window(samples::Window),
    /// Indices `start..end` into the history.
    Range(usize, usize),
}

impl Recorder {
    /// A statement ends: what it did, with the calls it made.
    pub(super) fn statement(&mut self, result: Recorded) {
        self.statements.push(StatementRecord {
            result,
            samples: std::mem::take(&mut self.current),
        });
    }

    /// A method call of the running statement.
    pub(super) fn sample(&mut self, facts: Facts<'_>) {
        let (start, end, covered) = match facts.found {
            Found::Window(w) => (w.start, w.end, Some(w.percent)),
            Found::Range(start, end) => (start, end, None),
        };
        let times = &facts.history.times()[start..end];
        let missing = match (facts.request, facts.found) {
            (SampleRequest::Window { from, to }, Found::Window(w)) if w.percent < 100.0 => {
                samples::missing_slots(facts.history, from, to, w)
            }
            _ => Vec::new(),
        };
        self.current.push(SampleCall {
            metric: facts.metric,
            method: facts.method.name(),
            span: facts.args_span,
            // Set by the engine, which knows the lines.
            position: LineCol { line: 0, column: 0 },
            period: facts.history.period,
            request: facts.request,
            count: times.len(),
            first: times.first().copied(),
            last: times.last().copied(),
            covered_percent: covered,
            required_percent: facts.required,
            missing,
            value: facts.value.map(Value::to_results_text),
            error: facts.error.map(str::to_string),
        });
    }
}
