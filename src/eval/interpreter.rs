//! Evaluates a compiled program against a pool snapshot (language.md sections 3 to 8): the
//! statements in order, the number fast path, and the targets at the end of a run.
//! Function calls are evaluated in `calls`, methods in `methods`.

use crate::builtins::{self, DeallocationOption, Function, PoolScalar, Target};
use crate::doubles::format_double;
use crate::snapshot::Snapshot;
use crate::syntax::ast::BinaryOp;
use crate::syntax::span::Span;
use crate::time::Timestamp;

use super::explain::{Plain, Record, Recorded, Recorder};
use super::outcome::{Outcome, RunError, RunErrorKind, RunWarning};
use super::program::{Arg, CompiledStatement, Node, Num, Program, Slot, SlotKind};
use super::random::SplitMix64;
use super::value::Value;
use crate::builtins::operators as ops;
/// The most values a flattened `doubleVecList` may hold (128 MiB of doubles) \[decided\]:
/// far above any real history (a week of 30-second samples is 20,160), low enough that
/// `len(v, v, ..., v)` over a huge vector fails cleanly instead of exhausting memory.
pub const MAX_LIST_VALUES: usize = 16 * 1024 * 1024;

/// Ends evaluation early: an error, or `stop()`.
///
/// The error is boxed so that a `Result<f64, Flow>` fits in two registers: the hot path
/// returns doubles, errors are rare.
pub(super) enum Flow {
    Error(Box<RunError>),
    Stop,
}

impl From<RunError> for Flow {
    fn from(e: RunError) -> Flow {
        Flow::Error(Box::new(e))
    }
}

pub(super) fn fail(span: Span, detail: impl Into<String>) -> Flow {
    Flow::from(RunError {
        kind: RunErrorKind::Evaluation,
        span,
        detail: detail.into(),
    })
}

/// A [`Num`] that gave something other than a double: a bug of the compiler's lowering,
/// reported as an error rather than a panic.
fn not_a_number(v: &Value) -> Flow {
    debug_assert!(false, "a number part gave a {}", v.type_name());
    fail(
        Span::default(),
        format!("internal error: expected a double, got a {}", v.type_name()),
    )
}

/// `*out = Value::Double(x)`, overwriting only the number when `out` is a double already.
fn set_double(out: &mut Value, x: f64) {
    match out {
        Value::Double(y) => *y = x,
        other => *other = Value::Double(x),
    }
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The evaluation of one program against one snapshot at one instant.
///
/// The run works in the buffers of the [`Outcome`] it fills (borrowed, not moved: moving
/// them costs more than a small formula's whole evaluation). `R` records the run for an
/// explanation; the plain run's [`Plain`] records nothing and takes no room.
pub(super) struct Machine<'a, 'o, R: Record = Plain> {
    pub(super) program: &'a Program,
    pub(super) snapshot: &'a Snapshot,
    pub(super) now: Timestamp,
    pub(super) values: &'o mut Vec<Option<Value>>,
    pub(super) assigned_at: &'o mut Vec<Option<Span>>,
    pub(super) rng: SplitMix64,
    pub(super) warnings: &'o mut Vec<RunWarning>,
    /// The failure of a number part on its way out (see [`Pending`]).
    pub(super) pending: Option<Flow>,
    /// Records the run for an explanation ([`evaluate_explained`]).
    pub(super) recorder: R,
}

/// "The evaluation of a number part failed; the [`Flow`] is in `Machine::pending`." A
/// `Result<f64, Pending>` is returned in registers, a `Result<f64, Flow>` through memory.
pub(super) struct Pending;

/// Evaluates `program` against `snapshot` with `now` as the evaluation instant.
pub fn evaluate(program: &Program, snapshot: &Snapshot, now: Timestamp) -> Outcome {
    let mut outcome = Outcome::default();
    evaluate_into(program, snapshot, now, &mut outcome);
    outcome
}

/// [`evaluate`] into an existing outcome, reusing its buffers: evaluating a formula of
/// doubles this way allocates nothing. Every field of `outcome` is replaced.
pub fn evaluate_into(
    program: &Program,
    snapshot: &Snapshot,
    now: Timestamp,
    outcome: &mut Outcome,
) {
    run(program, snapshot, now, outcome, Plain);
}

/// [`evaluate`], recording what each statement did and what each call of a sampled
/// metric found. The run is the same: the same statements, the same interpreter, the
/// same outcome.
pub fn evaluate_explained(
    program: &Program,
    snapshot: &Snapshot,
    now: Timestamp,
) -> (Outcome, Recorder) {
    let mut outcome = Outcome::default();
    let mut recorder = Recorder::default();
    run(program, snapshot, now, &mut outcome, &mut recorder);
    (outcome, recorder)
}

/// One run, recorded by `recorder` (the plain run's [`Plain`] compiles to the loop
/// without it).
#[inline(always)]
fn run<R: Record>(
    program: &Program,
    snapshot: &Snapshot,
    now: Timestamp,
    outcome: &mut Outcome,
    recorder: R,
) {
    let Outcome {
        values,
        assigned_at,
        error,
        warnings,
        target_dedicated,
        target_low_priority,
        deallocation_option,
    } = outcome;
    reset_slots(program, snapshot, values, assigned_at);
    warnings.clear();
    // Reproducible: the seed comes from the snapshot, else from the evaluation instant [decided].
    let seed = snapshot.random_seed.unwrap_or(now.ticks() as u64);
    let mut run = Machine {
        program,
        snapshot,
        now,
        values,
        assigned_at,
        rng: SplitMix64(seed),
        warnings,
        pending: None,
        recorder,
    };
    *error = None;
    for statement in &program.statements {
        let flow = if R::ON {
            run.explained_statement(statement)
        } else {
            run.statement(statement)
        };
        match flow {
            Ok(()) => {}
            Err(Flow::Stop) => break,
            Err(Flow::Error(e)) => {
                *error = Some(*e);
                break;
            }
        }
    }
    let dedicated = run.deciding_slot(Target::Dedicated);
    let low_priority = run.deciding_slot(Target::LowPriority);
    let pool = &snapshot.pool;
    run.final_double(dedicated, pool.target_dedicated_nodes, target_dedicated);
    run.final_double(
        low_priority,
        pool.target_low_priority_nodes,
        target_low_priority,
    );
    let option = run.deciding_slot(Target::DeallocationOption);
    run.final_option(deallocation_option);
    if error.is_none()
        && let Some(e) = run.check_targets([dedicated, low_priority])
    {
        *error = Some(e);
    }
    if error.is_none()
        && let Some(slot) = option
        && !matches!(run.values[slot], Some(Value::Deallocation(_)) | None)
    {
        *error = Some(run.option_error(slot));
    }
    if R::ON
        && let Some(recorder) = run.recorder.recorder()
    {
        // The checks of the targets where the run ends, when they failed (a statement's
        // error is that statement's).
        let statement_failed = recorder
            .statements
            .last()
            .is_some_and(|s| matches!(s.result, Recorded::Failed(_)));
        if !statement_failed {
            recorder.targets_error = error.clone();
        }
        let ran = recorder.statements.len();
        for _ in ran..program.statements.len() {
            recorder.statement(Recorded::NotRun);
        }
    }
    run.warn_about_final_values();
}

/// Starts each slot over: user variables undefined, targets at the pool's values, none
/// assigned. Inlined into each run (the plain and the explained): called from two places
/// it would otherwise be a call of its own, which costs a small formula's run 5-8%.
#[inline(always)]
fn reset_slots(
    program: &Program,
    snapshot: &Snapshot,
    values: &mut Vec<Option<Value>>,
    assigned_at: &mut Vec<Option<Span>>,
) {
    let n = program.slots.len();
    if values.len() != n || assigned_at.len() != n {
        values.clear();
        values.extend(program.slots.iter().map(|slot| match slot.kind {
            SlotKind::User => None,
            SlotKind::Target { target, .. } => Some(initial_target(target, snapshot)),
        }));
        assigned_at.clear();
        assigned_at.resize(n, None);
        return;
    }
    // The same program again: start each slot over in place, in one pass (a formula has
    // a few slots; clearing and refilling the vectors costs more).
    for ((value, assigned), slot) in values.iter_mut().zip(assigned_at).zip(&program.slots) {
        *assigned = None;
        match (slot.kind, value) {
            (SlotKind::User, value) => *value = None,
            (SlotKind::Target { target, .. }, Some(Value::Double(x)))
                if target != Target::DeallocationOption =>
            {
                *x = initial_double(target, snapshot);
            }
            (SlotKind::Target { target, .. }, value) => {
                *value = Some(initial_target(target, snapshot));
            }
        }
    }
}

/// The pool's value of a node count target.
fn initial_double(target: Target, snapshot: &Snapshot) -> f64 {
    match target {
        Target::LowPriority => snapshot.pool.target_low_priority_nodes,
        _ => snapshot.pool.target_dedicated_nodes,
    }
}

fn initial_target(target: Target, snapshot: &Snapshot) -> Value {
    match target {
        Target::Dedicated => Value::Double(snapshot.pool.target_dedicated_nodes),
        Target::LowPriority => Value::Double(snapshot.pool.target_low_priority_nodes),
        // Each run starts at requeue [seen]; it does not carry over [decided].
        Target::DeallocationOption => Value::Deallocation(DeallocationOption::Requeue),
    }
}

impl<'a, R: Record> Machine<'a, '_, R> {
    /// The slot that decides a target: the full name if the formula assigned it, else the
    /// legacy alias if assigned \[doc: the fully named variable takes precedence\].
    #[inline(always)]
    pub(super) fn deciding_slot(&self, target: Target) -> Option<Slot> {
        let assigned = |legacy: bool| {
            self.program
                .target_slots
                .get(target, legacy)
                .filter(|&i| self.assigned_at[i].is_some())
        };
        assigned(false).or_else(|| assigned(true))
    }

    /// Writes the value a node count target ends the run with (before truncation) into
    /// `out`: its deciding slot's value, else the pool's; in place when a double.
    #[inline(always)]
    pub(super) fn final_double(&self, deciding: Option<Slot>, initial: f64, out: &mut Value) {
        match deciding.and_then(|slot| self.values[slot].as_ref()) {
            Some(Value::Double(x)) => set_double(out, *x),
            Some(v) => *out = v.clone(),
            None => set_double(out, initial),
        }
    }

    /// `$NodeDeallocationOption` as the run leaves it: requeue unless assigned.
    pub(super) fn final_option(&self, out: &mut Value) {
        match self
            .deciding_slot(Target::DeallocationOption)
            .and_then(|slot| self.values[slot].as_ref())
        {
            Some(v) => *out = v.clone(),
            None => *out = Value::Deallocation(DeallocationOption::Requeue),
        }
    }

    /// A target must end the run as a finite double \[decided\], reported at its last
    /// assignment.
    pub(super) fn check_targets(&mut self, deciding: [Option<Slot>; 2]) -> Option<RunError> {
        for slot in deciding.into_iter().flatten() {
            match &self.values[slot] {
                // Finite and not negative (NaN fails): bounded by MAX rather than tested
                // with `is_finite`, two float comparisons instead of bit tests.
                Some(Value::Double(x)) if (0.0..=f64::MAX).contains(x) => {}
                None => {}
                Some(_) => {
                    if let Some(e) = self.check_target(slot) {
                        return Some(e);
                    }
                }
            }
        }
        None
    }

    /// A target that ends the run negative (a warning), non-finite or not a number.
    #[cold]
    #[inline(never)]
    pub(super) fn check_target(&mut self, slot: Slot) -> Option<RunError> {
        let span = self.assigned_at[slot].unwrap_or_default();
        let name = &self.program.slots[slot].name;
        match &self.values[slot] {
            Some(Value::Double(x)) if x.is_finite() && *x < 0.0 => {
                self.warnings.push(RunWarning {
                    code: crate::diagnostic::Code::RunNegativeTarget.as_str(),
                    span,
                    message: format!(
                        "{name} ends the run negative ({}); the service's handling of a negative target is unverified",
                        format_double(*x)
                    ),
                });
                None
            }
            Some(Value::Double(x)) if x.is_finite() => None,
            Some(Value::Double(x)) => Some(RunError {
                kind: RunErrorKind::Evaluation,
                span,
                detail: format!(
                    "{name} must end the evaluation as a finite number, but it is {}",
                    format_double(*x)
                ),
            }),
            Some(other) => Some(RunError {
                kind: RunErrorKind::Evaluation,
                span,
                detail: format!(
                    "{name} must end the evaluation as a number, but it is a {}",
                    other.type_name()
                ),
            }),
            None => None,
        }
    }

    /// `$NodeDeallocationOption` that ends the run (or reaches `stop()`) holding something
    /// other than a deallocation keyword: an error at its last assignment \[decided\].
    #[cold]
    #[inline(never)]
    pub(super) fn option_error(&self, slot: Slot) -> RunError {
        let type_name = self.values[slot]
            .as_ref()
            .map_or("nothing", Value::type_name);
        RunError {
            kind: RunErrorKind::Evaluation,
            span: self.assigned_at[slot].unwrap_or_default(),
            detail: format!(
                "$NodeDeallocationOption must end the evaluation as {}, but it is a {type_name}",
                crate::builtins::forms::or_list(
                    DeallocationOption::ALL.map(DeallocationOption::keyword)
                ),
            ),
        }
    }

    /// Non-finite values outside the targets get a warning (division by zero is IEEE \[decided\]).
    pub(super) fn warn_about_final_values(&mut self) {
        for &i in &self.program.user_slots {
            if let Some(Value::Double(x)) = &self.values[i]
                && !x.is_finite()
                && let Some(span) = self.assigned_at[i]
            {
                self.warn_non_finite(i, *x, span);
            }
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn warn_non_finite(&mut self, slot: Slot, x: f64, span: Span) {
        self.warnings.push(RunWarning {
            code: crate::diagnostic::Code::RunNonFiniteValue.as_str(),
            span,
            message: format!(
                "'{}' ends the run as {} (IEEE arithmetic, such as a division by zero)",
                self.program.slots[slot].name,
                format_double(x)
            ),
        });
    }

    pub(super) fn statement(&mut self, statement: &CompiledStatement) -> Result<(), Flow> {
        match statement {
            // Never `$NodeDeallocationOption`: the compiler leaves its values general.
            CompiledStatement::Assign {
                slot,
                value: Node::Number(arg),
                span,
            } => {
                let x = self.number(arg)?;
                match &mut self.values[*slot] {
                    Some(value) => set_double(value, x),
                    none => *none = Some(Value::Double(x)),
                }
                self.assigned_at[*slot] = Some(*span);
                Ok(())
            }
            other => self.general_statement(other),
        }
    }

    /// [`Machine::statement`], recorded: what the statement did, and (through the
    /// methods) its calls of sampled metrics. An expression statement is evaluated for
    /// its value, as [`Machine::general_statement`] evaluates it.
    #[cold]
    #[inline(never)]
    pub(super) fn explained_statement(
        &mut self,
        statement: &CompiledStatement,
    ) -> Result<(), Flow> {
        let result = match statement {
            CompiledStatement::Expr(node) => self.eval(node).map(Some),
            other => self.statement(other).map(|()| None),
        };
        let recorded = match (&result, statement) {
            (Ok(Some(value)), _) => Recorded::Evaluated(value.clone()),
            (Ok(None), CompiledStatement::Assign { slot, .. }) => match &self.values[*slot] {
                Some(value) => Recorded::Assigned(*slot, value.clone()),
                None => Recorded::NotRun,
            },
            // Only an assignment succeeds without a value.
            (Ok(None), _) => Recorded::NotRun,
            (Err(Flow::Stop), _) => Recorded::Stopped,
            (Err(Flow::Error(e)), _) => Recorded::Failed((**e).clone()),
        };
        if let Some(recorder) = self.recorder.recorder() {
            recorder.statement(recorded);
        }
        result.map(drop)
    }

    /// Any statement, evaluated on values. Kept out of the statement loop, which it
    /// would otherwise crowd (registers, stack frame) for the fast assignment.
    #[inline(never)]
    pub(super) fn general_statement(&mut self, statement: &CompiledStatement) -> Result<(), Flow> {
        match statement {
            CompiledStatement::Assign { slot, value, span } => {
                // What `$NodeDeallocationOption` holds is checked at the end of the run
                // (or at `stop()`), like the targets (section 9.1).
                let value = self.eval(value)?;
                self.values[*slot] = Some(value);
                self.assigned_at[*slot] = Some(*span);
                Ok(())
            }
            CompiledStatement::AssignFail {
                value,
                span,
                detail,
            } => {
                self.eval(value)?;
                Err(fail(*span, detail.clone()))
            }
            CompiledStatement::Expr(node) => self.eval(node).map(drop),
        }
    }

    pub(super) fn eval(&mut self, node: &Node) -> Result<Value, Flow> {
        match node {
            Node::Number(arg) => self.number(arg).map(Value::Double),
            Node::Const(v) => Ok(v.clone()),
            Node::Read { slot, span } => match &self.values[*slot] {
                Some(v) => Ok(v.clone()),
                None => Err(self.undefined(*slot, *span)),
            },
            Node::Pool(scalar) => Ok(Value::Double(self.pool_scalar(*scalar))),
            Node::Unary { op, operand, span } => {
                let v = self.eval(operand)?;
                ops::unary(*op, &v).map_err(|d| fail(*span, d))
            }
            Node::Binary { op, lhs, rhs, span } => self.binary(*op, lhs, rhs, *span),
            Node::Conditional {
                condition,
                condition_span,
                then,
                otherwise,
                ..
            } => {
                let c = self.eval(condition)?;
                let Value::Double(c) = c else {
                    return Err(fail(
                        *condition_span,
                        format!(
                            "the condition of '?:' must be a number, not a {}",
                            c.type_name()
                        ),
                    ));
                };
                // Only the chosen branch is evaluated [seen].
                if c != 0.0 {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            Node::Call(call) => self.call(
                call.function,
                &call.args,
                &call.arg_spans,
                call.args_span,
                call.span,
            ),
            Node::StopAsValue { span } => Err(fail(*span, "stop() has no value to use")),
            Node::Stop => Err(Flow::Stop),
            Node::Method(m) => self.method(m.metric, m.method, &m.args, m.args_span),
            Node::Field {
                receiver,
                field,
                span,
            } => match self.eval(receiver)? {
                Value::Timestamp(t) => Ok(Value::Double(field.of(&t.fields()))),
                other => Err(fail(
                    *span,
                    format!(
                        ".{} is a field of timestamps, not of a {}",
                        field.name(),
                        other.type_name()
                    ),
                )),
            },
            Node::Fail {
                first,
                span,
                detail,
            } => {
                for n in first {
                    self.eval(n)?;
                }
                Err(fail(*span, detail.clone()))
            }
        }
    }

    /// Evaluates a part that gives doubles: the same results and errors, in the same
    /// order, as the general [`Machine::eval`] of the node it was lowered from.
    #[inline]
    pub(super) fn number(&mut self, arg: &Arg) -> Result<f64, Flow> {
        self.arg(arg).map_err(|Pending| self.resume())
    }

    /// An operand: leaves are read in place, subexpressions evaluated by [`Machine::num`].
    #[inline(always)]
    pub(super) fn arg(&mut self, arg: &Arg) -> Result<f64, Pending> {
        match arg {
            Arg::Const(x) => Ok(*x),
            Arg::Pool(scalar) => Ok(self.pool_scalar(*scalar)),
            Arg::Read { slot, span } => match &self.values[*slot] {
                Some(Value::Double(x)) => Ok(*x),
                _ => Err(self.read_failure(*slot, *span)),
            },
            Arg::Num(num) => self.num(num),
        }
    }

    /// The hot path: a recursive walk on plain doubles. A failure is parked in the run
    /// ([`Pending`]) so that results come back in registers; the rare and bulky cases are
    /// separate functions, so that this one keeps a small frame.
    pub(super) fn num(&mut self, num: &Num) -> Result<f64, Pending> {
        Ok(match num {
            Num::Neg(operand) => -self.arg(operand)?,
            Num::Not(..) | Num::And(..) | Num::Or(..) => truth(self.logic(num)?),
            // IEEE-754: division by zero gives inf or NaN, NaN is unordered [decided].
            Num::Add(lhs, rhs) => self.arg(lhs)? + self.arg(rhs)?,
            Num::Sub(lhs, rhs) => self.arg(lhs)? - self.arg(rhs)?,
            Num::Mul(lhs, rhs) => self.arg(lhs)? * self.arg(rhs)?,
            Num::Div(lhs, rhs) => self.arg(lhs)? / self.arg(rhs)?,
            Num::Lt(..) | Num::Le(..) | Num::Gt(..) | Num::Ge(..) | Num::Eq(..) | Num::Ne(..) => {
                truth(self.compare(num)?)
            }
            // Only the chosen branch is evaluated [seen].
            Num::Conditional {
                condition,
                then,
                otherwise,
            } => {
                if self.condition(condition)? {
                    self.arg(then)?
                } else {
                    self.arg(otherwise)?
                }
            }
            // The built-ins' own folds, on two values (left to right, like a list).
            Num::Max(lhs, rhs) => builtins::greatest(&[self.arg(lhs)?, self.arg(rhs)?]),
            Num::Min(lhs, rhs) => builtins::least(&[self.arg(lhs)?, self.arg(rhs)?]),
            Num::Aggregate {
                function,
                compute,
                args,
                span,
            } => self.aggregate(function, *compute, args, *span)?,
            Num::Apply { apply, arg } => apply(self.arg(arg)?),
            Num::Node(node) => self.node_number(node)?,
        })
    }

    /// Whether a number part used as a condition is true (not zero). A comparison is
    /// tested as it is, without making its 1 or 0 and comparing that with zero.
    #[inline(always)]
    pub(super) fn condition(&mut self, arg: &Arg) -> Result<bool, Pending> {
        match arg {
            Arg::Num(num) => self.compare(num),
            leaf => Ok(self.arg(leaf)? != 0.0),
        }
    }

    /// The outcome of a comparison, or whether any other part is not zero.
    #[inline(always)]
    pub(super) fn compare(&mut self, num: &Num) -> Result<bool, Pending> {
        Ok(match num {
            Num::Lt(lhs, rhs) => self.arg(lhs)? < self.arg(rhs)?,
            Num::Le(lhs, rhs) => self.arg(lhs)? <= self.arg(rhs)?,
            Num::Gt(lhs, rhs) => self.arg(lhs)? > self.arg(rhs)?,
            Num::Ge(lhs, rhs) => self.arg(lhs)? >= self.arg(rhs)?,
            Num::Eq(lhs, rhs) => self.arg(lhs)? == self.arg(rhs)?,
            Num::Ne(lhs, rhs) => self.arg(lhs)? != self.arg(rhs)?,
            Num::Not(..) | Num::And(..) | Num::Or(..) => self.logic(num)?,
            other => self.num(other)? != 0.0,
        })
    }

    /// `!`, `&&` and `||` as booleans, their operands tested as conditions (a comparison
    /// directly). Out of line: it recurses through [`Machine::condition`].
    pub(super) fn logic(&mut self, num: &Num) -> Result<bool, Pending> {
        Ok(match num {
            Num::Not(operand) => !self.condition(operand)?,
            // Short-circuit like C [decided].
            Num::And(lhs, rhs) => self.condition(lhs)? && self.condition(rhs)?,
            Num::Or(lhs, rhs) => self.condition(lhs)? || self.condition(rhs)?,
            other => self.num(other)? != 0.0,
        })
    }

    /// `avg`, `max`, ... of double arguments: up to eight are kept on the stack.
    #[inline(never)]
    pub(super) fn aggregate(
        &mut self,
        function: &Function,
        compute: fn(&[f64]) -> Result<f64, builtins::BuiltinError>,
        args: &[Arg],
        span: Span,
    ) -> Result<f64, Pending> {
        const INLINE: usize = 8;
        let result = if args.len() <= INLINE {
            let mut list = [0.0; INLINE];
            for (x, arg) in list.iter_mut().zip(args) {
                *x = self.arg(arg)?;
            }
            compute(&list[..args.len()])
        } else {
            let mut list = Vec::with_capacity(args.len());
            for arg in args {
                list.push(self.arg(arg)?);
            }
            compute(&list)
        };
        result.map_err(|d| self.park(fail(span, format!("{}(): {d}", function.name))))
    }

    /// A general node known to give a double.
    #[inline(never)]
    pub(super) fn node_number(&mut self, node: &Node) -> Result<f64, Pending> {
        match self.eval(node) {
            Ok(Value::Double(x)) => Ok(x),
            Ok(other) => Err(self.park(not_a_number(&other))),
            Err(flow) => Err(self.park(flow)),
        }
    }

    /// A double slot read before any assignment (or, never, holding something else).
    #[cold]
    #[inline(never)]
    pub(super) fn read_failure(&mut self, slot: Slot, span: Span) -> Pending {
        let flow = match &self.values[slot] {
            Some(other) => not_a_number(other),
            None => self.undefined(slot, span),
        };
        self.park(flow)
    }

    /// Keeps the failure of a number part until [`Machine::resume`] takes it.
    #[cold]
    pub(super) fn park(&mut self, flow: Flow) -> Pending {
        self.pending = Some(flow);
        Pending
    }

    #[cold]
    pub(super) fn resume(&mut self) -> Flow {
        self.pending
            .take()
            .unwrap_or_else(|| fail(Span::default(), "internal error: a failure went missing"))
    }

    pub(super) fn undefined(&self, slot: Slot, span: Span) -> Flow {
        fail(
            span,
            format!("Undefined symbol: {}", self.program.slots[slot].name),
        )
    }

    pub(super) fn pool_scalar(&self, scalar: PoolScalar) -> f64 {
        let pool = &self.snapshot.pool;
        match scalar {
            PoolScalar::CurrentDedicatedNodes => pool.current_dedicated_nodes,
            PoolScalar::CurrentLowPriorityNodes => pool.current_low_priority_nodes,
            PoolScalar::TaskSlotsPerNode => pool.task_slots_per_node,
            PoolScalar::UsableNodeCount => pool.usable_node_count,
        }
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &Node,
        rhs: &Node,
        span: Span,
    ) -> Result<Value, Flow> {
        let a = self.eval(lhs)?;
        if let BinaryOp::And | BinaryOp::Or = op {
            // Short-circuit like C [decided].
            let Value::Double(x) = a else {
                return Err(fail(span, logic_type_error(op, &a)));
            };
            let decided = if op == BinaryOp::And {
                x == 0.0
            } else {
                x != 0.0
            };
            if decided {
                return Ok(Value::from(op == BinaryOp::Or));
            }
            let b = self.eval(rhs)?;
            let Value::Double(y) = b else {
                return Err(fail(span, logic_type_error(op, &b)));
            };
            return Ok(Value::from(y != 0.0));
        }
        let b = self.eval(rhs)?;
        ops::binary(op, &a, &b).map_err(|d| fail(span, d))
    }
}

fn logic_type_error(op: BinaryOp, v: &Value) -> String {
    format!(
        "operator '{}' takes numbers, not a {}",
        op.symbol(),
        v.type_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::TICKS_PER_SECOND;

    fn run(text: &str, snapshot: &Snapshot) -> Outcome {
        let parsed = crate::syntax::parser::parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let program = super::super::compile::compile(&parsed.formula);
        let now = Timestamp::from_ticks(1_000_000 * TICKS_PER_SECOND).unwrap();
        evaluate(&program, snapshot, now)
    }

    #[test]
    fn evaluate_into_reuses_an_outcome_and_gives_the_same_result() {
        let parsed = crate::syntax::parser::parse("a = 1; b = a > 0 ? vec(a, 2) : 3; c = len(b)");
        let program = super::super::compile::compile(&parsed.formula);
        let now = Timestamp::from_ticks(1_000_000 * TICKS_PER_SECOND).unwrap();
        let snapshot = Snapshot::default();
        let fresh = evaluate(&program, &snapshot, now);
        let mut reused = evaluate(
            &super::super::compile::compile(&crate::syntax::parser::parse("z = 1/0").formula),
            &snapshot,
            now,
        );
        evaluate_into(&program, &snapshot, now, &mut reused);
        assert_eq!(reused, fresh);
        evaluate_into(&program, &snapshot, now, &mut reused);
        assert_eq!(reused, fresh);
    }

    #[test]
    fn an_undefined_variable_in_a_number_part_fails_at_its_name() {
        let outcome = run("x = 2 * (u + 1)", &Snapshot::default());
        let error = outcome.error.expect("an error");
        assert_eq!(error.detail, "Undefined symbol: u");
        assert_eq!((error.span.start, error.span.end), (9, 10));
    }

    #[test]
    fn an_aggregate_failing_in_a_number_part_fails_at_the_call() {
        let outcome = run("x = 1 + max()", &Snapshot::default());
        let error = outcome.error.expect("an error");
        assert!(error.detail.starts_with("max(): "), "{}", error.detail);
        assert_eq!((error.span.start, error.span.end), (8, 13));
    }

    #[test]
    fn a_number_assigned_over_a_vector_replaces_it() {
        let outcome = run("v = vec(1, 2); v = 3", &Snapshot::default());
        assert_eq!(outcome.values[0], Some(Value::Double(3.0)));
    }

    #[test]
    fn two_argument_max_and_min_agree_with_their_list_forms() {
        // `max(a, b)` is computed on two values, `max(vec(a), b)` on a list; a NaN gives
        // NaN alike [decided].
        let cases = ["0/0", "1", "-1", "1/0", "-1/0", "-0", "0"];
        for a in cases {
            for b in cases {
                let text = format!(
                    "a = {a}; b = {b}; x = max(a, b); y = max(vec(a), b); z = min(a, b); w = min(vec(a), b)"
                );
                let outcome = run(&text, &Snapshot::default());
                let bits = |slot: usize| match outcome.values[slot] {
                    Some(Value::Double(v)) => v.to_bits(),
                    ref other => panic!("{text}: slot {slot} is {other:?}"),
                };
                assert_eq!(bits(2), bits(3), "{text}");
                assert_eq!(bits(4), bits(5), "{text}");
            }
        }
    }

    #[test]
    fn a_comparison_as_a_condition_treats_nan_as_its_number_does() {
        let outcome = run(
            "n = 0/0; a = n > 1 ? 1 : 2; b = n != 1 ? 1 : 2; c = (n > 1) + 0 ? 1 : 2",
            &Snapshot::default(),
        );
        let expected = [2.0, 1.0, 2.0];
        for (slot, x) in (1..).zip(expected) {
            assert_eq!(outcome.values[slot], Some(Value::Double(x)));
        }
    }

    #[test]
    fn a_number_left_in_the_deallocation_option_is_an_error() {
        let outcome = run("$NodeDeallocationOption = 1 + 1", &Snapshot::default());
        let error = outcome.error.expect("an error");
        assert!(
            error.detail.contains("but it is a double"),
            "{}",
            error.detail
        );
        // Only what it holds at the end counts.
        let outcome = run(
            "$NodeDeallocationOption = 1; $NodeDeallocationOption = taskcompletion",
            &Snapshot::default(),
        );
        assert_eq!(outcome.error, None);
    }
}
