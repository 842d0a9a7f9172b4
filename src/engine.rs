//! The pipeline as the service runs it: validation on add/enable (length, syntax,
//! statement count), then evaluation of a compiled formula against snapshots.

use crate::builtins::Target;
use crate::check;
use crate::decision::Decision;
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::compile;
use crate::eval::explain::{
    Explanation, Recorded, Recorder, StatementExplanation, StatementResult,
};
use crate::eval::interpreter;
use crate::eval::outcome::Outcome;
use crate::eval::program::{CompiledStatement, Program, Slot, SlotKind};
use crate::eval::value::Value;
use crate::results::{self, AutoScaleRun, BatchError, ServiceError};
use crate::snapshot::Snapshot;
use crate::syntax::ast;
use crate::syntax::nesting;
use crate::syntax::parser;
use crate::syntax::span::{LineCol, LineIndex, Span, utf16_len};
use crate::time::{Interval, TICKS_PER_HOUR, TICKS_PER_MINUTE, Timestamp};

/// At most this many characters (UTF-16 code units) \[doc\].
pub const MAX_FORMULA_LENGTH: usize = 8192;
/// At most this many statements \[doc\]; empty statements do not count \[decided\].
pub const MAX_STATEMENTS: usize = 100;
/// The evaluation interval's bounds \[doc\] and default.
pub const MIN_INTERVAL: Interval = Interval(5 * TICKS_PER_MINUTE);
/// The evaluation interval's upper bound \[doc\]: 168 hours.
pub const MAX_INTERVAL: Interval = Interval(168 * TICKS_PER_HOUR);
/// The evaluation interval when none is given: 15 minutes.
pub const DEFAULT_INTERVAL: Interval = Interval(15 * TICKS_PER_MINUTE);

/// A formula the service would refuse on add/enable: the Batch error it answers with, and
/// every diagnostic behind it: all syntax errors, not only the first, then what the checker
/// finds in the statements that parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct Rejection {
    /// The Batch error the service answers with.
    pub error: BatchError,
    /// Every diagnostic: all syntax errors, then what the checker finds in the statements that parsed.
    pub diagnostics: Vec<Diagnostic>,
}

/// A formula that passed the service's validation, compiled for evaluation. Parse and
/// check once, evaluate many times.
pub struct CompiledFormula {
    text: String,
    lines: LineIndex,
    ast: ast::Formula,
    program: Program,
    /// The user variables in the order the results string lists them.
    results_order: Vec<Slot>,
    diagnostics: Vec<Diagnostic>,
    /// How deeply the deepest statement nests: the stack its walks need
    /// ([`nesting::with_stack`]).
    depth: usize,
}

// Cloning, printing and dropping walk the tree and the program recursively: a deep
// formula does so on a stack sized for it.
impl Clone for CompiledFormula {
    fn clone(&self) -> CompiledFormula {
        nesting::with_stack(self.depth, || CompiledFormula {
            text: self.text.clone(),
            lines: self.lines.clone(),
            ast: self.ast.clone(),
            program: self.program.clone(),
            results_order: self.results_order.clone(),
            diagnostics: self.diagnostics.clone(),
            depth: self.depth,
        })
    }
}

impl std::fmt::Debug for CompiledFormula {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        nesting::with_stack(self.depth, || {
            f.debug_struct("CompiledFormula")
                .field("text", &self.text)
                .field("lines", &self.lines)
                .field("ast", &self.ast)
                .field("program", &self.program)
                .field("results_order", &self.results_order)
                .field("diagnostics", &self.diagnostics)
                .field("depth", &self.depth)
                .finish()
        })
    }
}

impl Drop for CompiledFormula {
    fn drop(&mut self) {
        if self.depth > nesting::SHALLOW_DEPTH {
            let ast = std::mem::take(&mut self.ast.statements);
            let program = std::mem::take(&mut self.program.statements);
            nesting::with_stack(self.depth, move || drop((ast, program)));
        }
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// What the service would return.
    pub run: AutoScaleRun,
    /// Where each variable's `name=value` lies in `run.results`.
    pairs: Vec<results::PairSpan>,
    /// Where the error that ended the run happened.
    pub error_span: Option<Span>,
    /// What this run did that deserves a look (run-time warnings).
    pub warnings: Vec<Diagnostic>,
    /// What the pool gets from the run; `None` when it failed.
    pub decision: Option<Decision>,
}

impl Evaluation {
    /// The variables and their printed values, in results order. Split by position, so
    /// a string value holding `;` or `=` stays whole.
    pub fn variables(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.pairs.iter().map(|p| p.split(&self.run.results))
    }

    /// The printed value of one variable (`$TargetDedicatedNodes`, `x`), if the results
    /// list it.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// The full text of a position: `Line L, Col C`.
pub fn position_text(p: LineCol) -> String {
    format!("Line {}, Col {}", p.line, p.column)
}

impl CompiledFormula {
    /// Validates a formula as the service does on add/enable (length, then syntax, then
    /// the statement count \[decided\]) and compiles it. Type errors and undefined names do
    /// not reject a formula: the service reports them when the statement runs \[seen\]; they
    /// are in [`CompiledFormula::diagnostics`].
    pub fn new(text: &str) -> Result<CompiledFormula, Rejection> {
        let lines = LineIndex::new(text);
        let at = |offset: usize| position_text(lines.line_col(text, offset));
        let length = utf16_len(text);
        if length > MAX_FORMULA_LENGTH {
            let offset = offset_of_utf16(text, MAX_FORMULA_LENGTH);
            let detail = format!(
                "the formula is {length} characters long; at most {MAX_FORMULA_LENGTH} are allowed"
            );
            let diagnostic =
                Diagnostic::new(Code::TooLong, Span::new(offset, text.len()), detail.clone())
                    .with_help("shorten comments and names, or move constants out of the formula");
            return Err(Rejection {
                error: ServiceError::TooLong.batch_error(Some(format!("{}: {detail}", at(offset)))),
                diagnostics: vec![diagnostic],
            });
        }
        let parsed = parser::parse(text);
        // Every later phase walks the tree recursively: on a stack sized for its depth.
        let depth = nesting::depth(&parsed.formula);
        nesting::with_stack(depth, move || Self::from_parsed(text, lines, parsed, depth))
    }

    /// [`CompiledFormula::new`] after parsing: syntax errors, the statement count, the
    /// checker and the compiler.
    fn from_parsed(
        text: &str,
        lines: LineIndex,
        parsed: parser::Parsed,
        depth: usize,
    ) -> Result<CompiledFormula, Rejection> {
        let at = |offset: usize| position_text(lines.line_col(text, offset));
        // No formula within the length limit nests deeper than this: a tree built deeper
        // (by a library caller) is refused rather than overflow a stack.
        let too_deep = if depth > nesting::MAX_NESTING_DEPTH {
            nesting::too_deep(&parsed.formula)
        } else {
            Vec::new()
        };
        if !parsed.errors.is_empty() || !too_deep.is_empty() {
            let mut diagnostics: Vec<Diagnostic> =
                parsed.errors.iter().map(Diagnostic::from).collect();
            diagnostics.extend(too_deep.iter().map(nesting::TooDeep::diagnostic));
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            // The service answers with the first syntax error...
            let first = &diagnostics[0];
            let detail = format!("{}: {}", at(first.span.start as usize), first.message);
            // ...and `check` also reports what the checker finds in the statements that
            // parsed, so one run shows every mistake.
            diagnostics.extend(check::recovery::check_what_parsed(
                text,
                &parsed.formula,
                &parsed.errors,
                &too_deep,
            ));
            nesting::dismantle(parsed.formula);
            return Err(Rejection {
                error: ServiceError::SyntaxError.batch_error(Some(detail)),
                diagnostics,
            });
        }
        let count = parsed.formula.statements.len();
        if count > MAX_STATEMENTS {
            let extra = &parsed.formula.statements[MAX_STATEMENTS];
            let detail =
                format!("the formula has {count} statements; at most {MAX_STATEMENTS} are allowed");
            let diagnostic = Diagnostic::new(Code::TooManyStatements, extra.span, detail.clone())
                .with_help("combine statements, for example with '?:' or min()/max()");
            let mut diagnostics = vec![diagnostic];
            diagnostics.extend(check::check(&parsed.formula));
            diagnostics.extend(check::text_warnings(text));
            let error = ServiceError::TooManyStatements
                .batch_error(Some(format!("{}: {detail}", at(extra.span.start as usize))));
            nesting::dismantle(parsed.formula);
            return Err(Rejection { error, diagnostics });
        }
        let diagnostics = check::check(&parsed.formula);
        let program = compile::compile(&parsed.formula);
        Ok(CompiledFormula {
            text: text.to_string(),
            lines,
            ast: parsed.formula,
            results_order: results::user_slots_in_results_order(&program),
            program,
            diagnostics,
            depth,
        })
    }

    /// The formula's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax tree.
    pub(crate) fn ast(&self) -> &ast::Formula {
        &self.ast
    }

    /// The checker's diagnostics: errors the service reports only when the statement runs,
    /// and warnings.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Line and column (UTF-16) of a byte offset in the formula.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// Evaluates at the snapshot's `evaluationTime`, else at the machine's clock.
    pub fn evaluate(&self, snapshot: &Snapshot) -> Evaluation {
        let now = snapshot.evaluation_time.unwrap_or_else(clock_now);
        self.evaluate_at(snapshot, now)
    }

    /// The compiled program the interpreter runs.
    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// Evaluates with `now` as the evaluation instant, into `outcome`: the values as the
    /// run leaves them, its error and warnings, and no text. Reusing one `Outcome`, a
    /// formula of doubles evaluates without allocating: the hot path for callers that
    /// evaluate many times and read values, not the results string.
    pub fn evaluate_into(&self, snapshot: &Snapshot, now: Timestamp, outcome: &mut Outcome) {
        nesting::with_stack(self.depth, || {
            interpreter::evaluate_into(&self.program, snapshot, now, outcome);
        });
    }

    /// Evaluates with `now` as the evaluation instant.
    pub fn evaluate_at(&self, snapshot: &Snapshot, now: Timestamp) -> Evaluation {
        let outcome = nesting::with_stack(self.depth, || {
            interpreter::evaluate(&self.program, snapshot, now)
        });
        self.evaluation(outcome, now)
    }

    /// [`CompiledFormula::evaluate`], and why it came out as it did: each statement's
    /// value or error, and what each call of a sampled metric's method asked for and
    /// found (`batchscale eval --explain`). The evaluation is the same as
    /// [`CompiledFormula::evaluate`]'s.
    pub fn evaluate_explained(&self, snapshot: &Snapshot) -> (Evaluation, Explanation) {
        let now = snapshot.evaluation_time.unwrap_or_else(clock_now);
        self.evaluate_explained_at(snapshot, now)
    }

    /// [`CompiledFormula::evaluate_explained`] with `now` as the evaluation instant.
    pub fn evaluate_explained_at(
        &self,
        snapshot: &Snapshot,
        now: Timestamp,
    ) -> (Evaluation, Explanation) {
        let (outcome, recorder) = nesting::with_stack(self.depth, || {
            interpreter::evaluate_explained(&self.program, snapshot, now)
        });
        let explanation = self.explanation(recorder, now);
        (self.evaluation(outcome, now), explanation)
    }

    /// What the recorder kept, with positions, source texts and printed values.
    fn explanation(&self, recorder: Recorder, now: Timestamp) -> Explanation {
        let message = |e: &crate::RunError| {
            let p = self.line_col(e.span.start as usize);
            results::run_message((p.line, p.column), &e.detail)
        };
        let statements = recorder
            .statements
            .into_iter()
            .zip(&self.program.statements)
            .zip(&self.program.statement_spans)
            .map(|((record, statement), span)| {
                let variable = match statement {
                    CompiledStatement::Assign { slot, .. } => {
                        Some(self.program.slots[*slot].name.clone())
                    }
                    CompiledStatement::AssignFail { span, .. } => {
                        Some(self.text[span.range()].to_string())
                    }
                    CompiledStatement::Expr(_) => None,
                };
                let result = match record.result {
                    Recorded::Assigned(slot, value) => {
                        let printed = value.to_results_text();
                        match (self.program.slots[slot].kind, &value) {
                            // A node count prints truncated, as the results print it.
                            (SlotKind::Target { target, .. }, Value::Double(x))
                                if target != Target::DeallocationOption && x.is_finite() =>
                            {
                                let target = crate::doubles::format_target(*x);
                                StatementResult::Assigned {
                                    before_truncation: (target != printed).then_some(printed),
                                    value: target,
                                }
                            }
                            _ => StatementResult::Assigned {
                                value: printed,
                                before_truncation: None,
                            },
                        }
                    }
                    Recorded::Evaluated(value) => StatementResult::Evaluated {
                        value: value.to_results_text(),
                    },
                    Recorded::Stopped => StatementResult::Stopped,
                    Recorded::Failed(e) => StatementResult::Failed {
                        code: results::run_error_code(e.kind),
                        message: message(&e),
                    },
                    Recorded::NotRun => StatementResult::NotRun,
                };
                let mut samples = record.samples;
                for call in &mut samples {
                    call.position = self.line_col(call.span.start as usize);
                }
                StatementExplanation {
                    span: *span,
                    position: self.line_col(span.start as usize),
                    text: self.text[span.range()].to_string(),
                    variable,
                    result,
                    samples,
                }
            })
            .collect();
        Explanation {
            now,
            statements,
            targets_error: recorder.targets_error.as_ref().map(message),
        }
    }

    /// The AutoScaleRun and the rest of an [`Evaluation`] from what a run left (inlined
    /// into `evaluate_at`, as it was before `evaluate_explained_at` shared it).
    #[inline(always)]
    fn evaluation(&self, outcome: Outcome, now: Timestamp) -> Evaluation {
        // Room for the targets and a few short variables, so that the usual formula
        // writes its results without growing the buffer.
        let mut results = String::with_capacity(96 + 24 * self.results_order.len());
        let mut pairs = Vec::with_capacity(3 + self.results_order.len());
        results::write_results(
            &self.program,
            &self.results_order,
            &outcome,
            &mut results,
            &mut pairs,
        );
        let error = outcome.error.as_ref().map(|e| {
            let p = self.line_col(e.span.start as usize);
            results::run_error(e.kind, (p.line, p.column), &e.detail)
        });
        let warnings = outcome
            .warnings
            .iter()
            .map(|w| Diagnostic {
                severity: crate::diagnostic::Severity::Warning,
                code: w.code,
                message: w.message.clone(),
                span: w.span,
                help: None,
            })
            .collect();
        let decision = Decision::from_outcome(&outcome);
        Evaluation {
            decision,
            run: AutoScaleRun {
                timestamp: crate::time::print::rfc3339(now),
                results,
                error,
            },
            pairs,
            error_span: outcome.error.map(|e| e.span),
            warnings,
        }
    }
}

/// The machine's clock as a timestamp.
pub fn clock_now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
        .expect("the machine's clock is within years 1 to 9999")
}

/// The byte offset of the UTF-16 unit `units` (or the end of the text).
fn offset_of_utf16(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// The REST operation `evaluate_auto_scale`: formula text and snapshot to the
/// AutoScaleRun, or the Batch error of a rejected formula.
pub fn evaluate_auto_scale(text: &str, snapshot: &Snapshot) -> Result<AutoScaleRun, BatchError> {
    CompiledFormula::new(text)
        .map(|f| f.evaluate(snapshot).run)
        .map_err(|r| r.error)
}

/// What `enable_auto_scale` would say of a formula and interval, plus the static checker:
/// every diagnostic, errors first in source order, then warnings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Validation {
    /// The Batch error the service would reject the request with, if any.
    pub rejection: Option<BatchError>,
    /// Every diagnostic, errors first in source order, then warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    /// Whether the formula passes: no rejection and no error diagnostics.
    pub fn is_valid(&self) -> bool {
        self.rejection.is_none() && !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Validates a formula (and optionally an evaluation interval) as `batchscale check` does:
/// the service's checks, the static checker, and the lints (likely mistakes, as
/// warnings) of a formula the service accepts.
pub fn validate(text: &str, interval: Option<Interval>) -> Validation {
    let (mut rejection, mut diagnostics) = match CompiledFormula::new(text) {
        Ok(f) => {
            let mut diagnostics = f.diagnostics.clone();
            // What only the text shows (empty statements), kept out of the compile path.
            diagnostics.extend(check::text_warnings(text));
            // Lints look for likely mistakes in a formula that is right otherwise; next to
            // an error they would mostly echo it.
            if !diagnostics.iter().any(Diagnostic::is_error) {
                let lints = nesting::with_stack(f.depth, || crate::lint::lint(text, &f.ast));
                diagnostics.extend(lints);
            }
            (None, diagnostics)
        }
        Err(r) => (Some(r.error), r.diagnostics),
    };
    if let Some(interval) = interval
        && let Err(e) = check_interval(interval)
    {
        diagnostics.push(
            Diagnostic::new(
                Code::IntervalOutOfRange,
                Span::default(),
                e.detail().unwrap_or_default().to_string(),
            )
            .with_help("choose an interval from 5 minutes (PT5M, 5m) to 168 hours (PT168H, 168h)"),
        );
        rejection.get_or_insert(e);
    }
    diagnostics.sort_by_key(|d| (d.severity, d.span.start, d.span.end));
    Validation {
        rejection,
        diagnostics,
    }
}

/// The evaluation interval must lie in 5 minutes .. 168 hours \[doc\].
pub fn check_interval(interval: Interval) -> Result<(), BatchError> {
    if (MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Ok(());
    }
    Err(ServiceError::InvalidInterval.batch_error(Some(format!(
        "the evaluation interval {} is outside 5 minutes to 168 hours",
        crate::time::print::format_interval(interval)
    ))))
}

/// Formats a formula's text in the canonical layout, keeping its comments (what
/// `batchscale fmt` prints). `Err` holds every syntax error.
pub fn format_formula(text: &str) -> Result<String, Vec<Diagnostic>> {
    // A text nests at most as deeply as it has characters.
    nesting::with_stack(text.len(), || crate::syntax::fmt::format(text))
}

/// The length of a formula as the service counts it, against [`MAX_FORMULA_LENGTH`]: in
/// UTF-16 code units.
pub fn formula_length(text: &str) -> usize {
    utf16_len(text)
}
