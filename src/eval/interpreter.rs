//! Evaluates a compiled program against a pool snapshot (language.md sections 3 to 8).

use std::sync::Arc;

use crate::builtins::{
    self, DeallocationOption, Function, Implementation, Method, Metric, PoolScalar, Target,
};
use crate::format::format_double;
use crate::snapshot::Snapshot;
use crate::syntax::ast::BinaryOp;
use crate::syntax::span::Span;
use crate::time::Timestamp;

use super::compile::{Arg, CompiledStatement, Node, Num, Program, Slot, SlotKind};
use super::samples;
use super::value::Value;
use crate::builtins::operators as ops;

/// The most values a flattened `doubleVecList` may hold (128 MiB of doubles) [decided]:
/// far above any real history (a week of 30-second samples is 20,160), low enough that
/// `len(v, v, ..., v)` over a huge vector fails cleanly instead of exhausting memory.
pub const MAX_LIST_VALUES: usize = 16 * 1024 * 1024;

/// Which of the service's two run-time error codes applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunErrorKind {
    /// A sample window below its required percentage: `InsufficientSampleData`.
    InsufficientSampleData,
    /// Anything else: `AutoScalingFormulaEvaluationError`.
    Evaluation,
}

/// The error that ended a run, at the smallest expression that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    pub kind: RunErrorKind,
    pub span: Span,
    pub detail: String,
}

/// Something a run did that the service may treat differently, or that is likely a mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWarning {
    pub code: &'static str,
    pub span: Span,
    pub message: String,
}

/// The state a run ended in.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Each slot's final value (`None`: never assigned and not a target).
    pub values: Vec<Option<Value>>,
    /// Whether each slot was assigned by the formula, and where last.
    pub assigned_at: Vec<Option<Span>>,
    pub error: Option<RunError>,
    pub warnings: Vec<RunWarning>,
    /// The pool's targets as the run leaves them (before truncation).
    pub target_dedicated: Value,
    pub target_low_priority: Value,
    pub deallocation_option: Value,
}

/// Ends evaluation early: an error, or `stop()`.
///
/// The error is boxed so that a `Result<f64, Flow>` fits in two registers: the hot path
/// returns doubles, errors are rare.
enum Flow {
    Error(Box<RunError>),
    Stop,
}

impl From<RunError> for Flow {
    fn from(e: RunError) -> Flow {
        Flow::Error(Box::new(e))
    }
}

fn fail(span: Span, detail: impl Into<String>) -> Flow {
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

/// A vector argument: the samples of a `GetSample` window read in place, or a vector
/// value. Aggregates read a window without copying it.
enum Vector<'a> {
    Samples(&'a [f64]),
    Shared(Arc<[f64]>),
}

impl Vector<'_> {
    fn as_slice(&self) -> &[f64] {
        match self {
            Vector::Samples(s) => s,
            Vector::Shared(v) => v,
        }
    }
}

/// An argument of a `doubleVecList`: a window read in place, or any value.
enum ListArg<'a> {
    Samples(&'a [f64]),
    Value(Value),
}

/// A method's evaluated arguments: up to three (every valid form) without allocating.
enum Args {
    Few([Value; 3], usize),
    Many(Vec<Value>),
}

impl Args {
    fn as_slice(&self) -> &[Value] {
        match self {
            Args::Few(values, n) => &values[..*n],
            Args::Many(values) => values,
        }
    }
}

/// The evaluation of one program against one snapshot at one instant.
///
/// The run works in the buffers of the [`Outcome`] it fills (borrowed, not moved: moving
/// them costs more than a small formula's whole evaluation).
struct Run<'a, 'o> {
    program: &'a Program,
    snapshot: &'a Snapshot,
    now: Timestamp,
    values: &'o mut Vec<Option<Value>>,
    assigned_at: &'o mut Vec<Option<Span>>,
    rng: SplitMix64,
    warnings: &'o mut Vec<RunWarning>,
    /// The failure of a number part on its way out (see [`Pending`]).
    pending: Option<Flow>,
}

/// "The evaluation of a number part failed; the [`Flow`] is in `Run::pending`." A
/// `Result<f64, Pending>` is returned in registers, a `Result<f64, Flow>` through memory.
struct Pending;

/// Evaluates `program` against `snapshot` with `now` as the evaluation instant.
pub fn evaluate(program: &Program, snapshot: &Snapshot, now: Timestamp) -> Outcome {
    let mut outcome = Outcome::default();
    evaluate_into(program, snapshot, now, &mut outcome);
    outcome
}

impl Default for Outcome {
    /// An outcome with nothing in it, to evaluate into.
    fn default() -> Outcome {
        Outcome {
            values: Vec::new(),
            assigned_at: Vec::new(),
            error: None,
            warnings: Vec::new(),
            target_dedicated: Value::Double(0.0),
            target_low_priority: Value::Double(0.0),
            deallocation_option: Value::Deallocation(DeallocationOption::Requeue),
        }
    }
}

/// [`evaluate`] into an existing outcome, reusing its buffers: evaluating a formula of
/// doubles this way allocates nothing. Every field of `outcome` is replaced.
pub fn evaluate_into(
    program: &Program,
    snapshot: &Snapshot,
    now: Timestamp,
    outcome: &mut Outcome,
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
    let mut run = Run {
        program,
        snapshot,
        now,
        values,
        assigned_at,
        rng: SplitMix64(seed),
        warnings,
        pending: None,
    };
    *error = None;
    for statement in &program.statements {
        match run.statement(statement) {
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
    run.final_option(deallocation_option);
    if error.is_none()
        && let Some(e) = run.check_targets([dedicated, low_priority])
    {
        *error = Some(e);
    }
    run.warn_about_final_values();
}

/// Starts each slot over: user variables undefined, targets at the pool's values, none
/// assigned.
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

impl<'a> Run<'a, '_> {
    /// The slot that decides a target: the full name if the formula assigned it, else the
    /// legacy alias if assigned [doc: the fully named variable takes precedence].
    #[inline(always)]
    fn deciding_slot(&self, target: Target) -> Option<Slot> {
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
    fn final_double(&self, deciding: Option<Slot>, initial: f64, out: &mut Value) {
        match deciding.and_then(|slot| self.values[slot].as_ref()) {
            Some(Value::Double(x)) => set_double(out, *x),
            Some(v) => *out = v.clone(),
            None => set_double(out, initial),
        }
    }

    /// `$NodeDeallocationOption` as the run leaves it: requeue unless assigned.
    fn final_option(&self, out: &mut Value) {
        match self
            .deciding_slot(Target::DeallocationOption)
            .and_then(|slot| self.values[slot].as_ref())
        {
            Some(v) => *out = v.clone(),
            None => *out = Value::Deallocation(DeallocationOption::Requeue),
        }
    }

    /// A target must end the run as a finite double [decided], reported at its last
    /// assignment.
    fn check_targets(&mut self, deciding: [Option<Slot>; 2]) -> Option<RunError> {
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
    fn check_target(&mut self, slot: Slot) -> Option<RunError> {
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

    /// Non-finite values outside the targets get a warning (division by zero is IEEE [decided]).
    fn warn_about_final_values(&mut self) {
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
    fn warn_non_finite(&mut self, slot: Slot, x: f64, span: Span) {
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

    fn statement(&mut self, statement: &CompiledStatement) -> Result<(), Flow> {
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

    /// Any statement, evaluated on values. Kept out of the statement loop, which it
    /// would otherwise crowd (registers, stack frame) for the fast assignment.
    #[inline(never)]
    fn general_statement(&mut self, statement: &CompiledStatement) -> Result<(), Flow> {
        match statement {
            CompiledStatement::Assign { slot, value, span } => {
                let value = self.eval(value)?;
                if let SlotKind::Target {
                    target: Target::DeallocationOption,
                    ..
                } = self.program.slots[*slot].kind
                    && !matches!(value, Value::Deallocation(_))
                {
                    return Err(fail(
                        *span,
                        format!(
                            "$NodeDeallocationOption takes {}, not a {}",
                            crate::builtins::forms::or_list(
                                DeallocationOption::ALL.map(DeallocationOption::keyword)
                            ),
                            value.type_name()
                        ),
                    ));
                }
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

    fn eval(&mut self, node: &Node) -> Result<Value, Flow> {
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
            Node::Call {
                function,
                args,
                arg_spans,
                span,
            } => self.call(function, args, arg_spans, *span),
            Node::StopAsValue { span } => Err(fail(*span, "stop() has no value to use")),
            Node::Stop => Err(Flow::Stop),
            Node::Method {
                metric,
                method,
                args,
                arg_spans,
                args_span,
            } => self.method(*metric, *method, args, arg_spans, *args_span),
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
    /// order, as the general [`Run::eval`] of the node it was lowered from.
    #[inline]
    fn number(&mut self, arg: &Arg) -> Result<f64, Flow> {
        self.arg(arg).map_err(|Pending| self.resume())
    }

    /// An operand: leaves are read in place, subexpressions evaluated by [`Run::num`].
    #[inline(always)]
    fn arg(&mut self, arg: &Arg) -> Result<f64, Pending> {
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
    fn num(&mut self, num: &Num) -> Result<f64, Pending> {
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
    fn condition(&mut self, arg: &Arg) -> Result<bool, Pending> {
        match arg {
            Arg::Num(num) => self.compare(num),
            leaf => Ok(self.arg(leaf)? != 0.0),
        }
    }

    /// The outcome of a comparison, or whether any other part is not zero.
    #[inline(always)]
    fn compare(&mut self, num: &Num) -> Result<bool, Pending> {
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
    /// directly). Out of line: it recurses through [`Run::condition`].
    fn logic(&mut self, num: &Num) -> Result<bool, Pending> {
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
    fn aggregate(
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
    fn node_number(&mut self, node: &Node) -> Result<f64, Pending> {
        match self.eval(node) {
            Ok(Value::Double(x)) => Ok(x),
            Ok(other) => Err(self.park(not_a_number(&other))),
            Err(flow) => Err(self.park(flow)),
        }
    }

    /// A double slot read before any assignment (or, never, holding something else).
    #[cold]
    #[inline(never)]
    fn read_failure(&mut self, slot: Slot, span: Span) -> Pending {
        let flow = match &self.values[slot] {
            Some(other) => not_a_number(other),
            None => self.undefined(slot, span),
        };
        self.park(flow)
    }

    /// Keeps the failure of a number part until [`Run::resume`] takes it.
    #[cold]
    fn park(&mut self, flow: Flow) -> Pending {
        self.pending = Some(flow);
        Pending
    }

    #[cold]
    fn resume(&mut self) -> Flow {
        self.pending
            .take()
            .unwrap_or_else(|| fail(Span::default(), "internal error: a failure went missing"))
    }

    fn undefined(&self, slot: Slot, span: Span) -> Flow {
        fail(
            span,
            format!("Undefined symbol: {}", self.program.slots[slot].name),
        )
    }

    fn pool_scalar(&self, scalar: PoolScalar) -> f64 {
        let pool = &self.snapshot.pool;
        match scalar {
            PoolScalar::CurrentDedicatedNodes => pool.current_dedicated_nodes,
            PoolScalar::CurrentLowPriorityNodes => pool.current_low_priority_nodes,
            PoolScalar::TaskSlotsPerNode => pool.task_slots_per_node,
            PoolScalar::UsableNodeCount => pool.usable_node_count,
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Node, rhs: &Node, span: Span) -> Result<Value, Flow> {
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

    fn call(
        &mut self,
        function: &'static Function,
        args: &[Node],
        arg_spans: &[Span],
        span: Span,
    ) -> Result<Value, Flow> {
        let arity_error = || {
            fail(
                span,
                format!(
                    "{}() takes {}, got {} (use {})",
                    function.name,
                    function.forms().arity_text(),
                    args.len(),
                    function.signature()
                ),
            )
        };
        match function.implementation {
            Implementation::Aggregate(kind) => {
                let compute = kind.compute();
                // One vector argument: aggregate the window or the shared slice in place.
                let result = if let [single] = args {
                    match self.list_arg(single)? {
                        ListArg::Samples(s) => compute(s),
                        ListArg::Value(Value::DoubleVec(v)) => compute(&v),
                        ListArg::Value(Value::Double(x)) => compute(&[x]),
                        ListArg::Value(other) => {
                            return Err(list_type_error(function, 0, &other, arg_spans[0]));
                        }
                    }
                } else {
                    compute(&self.flatten(function, args, arg_spans)?)
                };
                result
                    .map(Value::Double)
                    .map_err(|d| fail(span, format!("{}(): {d}", function.name)))
            }
            Implementation::Elementwise(kind) => {
                let apply = kind.apply();
                if let [single] = args {
                    let v = match self.list_arg(single)? {
                        ListArg::Value(Value::Double(x)) => return Ok(Value::Double(apply(x))),
                        ListArg::Samples(s) => s.iter().map(|x| apply(*x)).collect(),
                        ListArg::Value(Value::DoubleVec(v)) => {
                            v.iter().map(|x| apply(*x)).collect()
                        }
                        ListArg::Value(other) => {
                            return Err(list_type_error(function, 0, &other, arg_spans[0]));
                        }
                    };
                    return Ok(Value::DoubleVec(v));
                }
                let list = self.flatten(function, args, arg_spans)?;
                Ok(Value::DoubleVec(list.into_iter().map(apply).collect()))
            }
            Implementation::Vec => Ok(Value::DoubleVec(
                self.flatten(function, args, arg_spans)?.into(),
            )),
            Implementation::Percentile => {
                let [v, p] = args else {
                    return Err(arity_error());
                };
                let v = self.vector_arg(function, v, arg_spans[0], 0)?;
                let p = self.double_arg(function, p, arg_spans[1], 1)?;
                builtins::percentile(v.as_slice(), p)
                    .map(Value::Double)
                    .map_err(|d| fail(span, d))
            }
            Implementation::Val => {
                let [v, i] = args else {
                    return Err(arity_error());
                };
                let v = self.vector_arg(function, v, arg_spans[0], 0)?;
                let i = self.double_arg(function, i, arg_spans[1], 1)?.trunc();
                let v = v.as_slice();
                if i >= 0.0 && i < v.len() as f64 {
                    Ok(Value::Double(v[i as usize]))
                } else {
                    // Out of range gives 0 [decided, after batch-shipyard#138].
                    self.warnings.push(RunWarning {
                        code: crate::diagnostic::Code::RunValOutOfRange.as_str(),
                        span,
                        message: format!(
                            "val(): index {} is outside a vector of {} elements, so the value is 0; the service's behaviour here is unverified",
                            format_double(i),
                            v.len()
                        ),
                    });
                    Ok(Value::Double(0.0))
                }
            }
            Implementation::Rand => {
                if !args.is_empty() {
                    return Err(arity_error());
                }
                Ok(Value::Double(self.rng.next_f64()))
            }
            Implementation::Stop => Err(fail(span, "stop() has no value to use")),
            Implementation::Time => match args {
                // Every call in one run returns the same instant [decided].
                [] => Ok(Value::Timestamp(self.now)),
                [text] => match self.eval(text)? {
                    Value::String(s) => crate::time::parse::parse_time_literal(&s)
                        .map(Value::Timestamp)
                        .map_err(|d| fail(arg_spans[0], format!("time(): {d}"))),
                    other => Err(fail(
                        arg_spans[0],
                        format!("time() takes a string, not a {}", other.type_name()),
                    )),
                },
                _ => Err(arity_error()),
            },
        }
    }

    /// Flattens a `doubleVecList` argument list into one vector, in order [doc].
    fn flatten(
        &mut self,
        function: &Function,
        args: &[Node],
        arg_spans: &[Span],
    ) -> Result<Vec<f64>, Flow> {
        let mut list = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let arg = self.list_arg(arg)?;
            let added = match &arg {
                ListArg::Samples(s) => s.len(),
                ListArg::Value(Value::DoubleVec(v)) => v.len(),
                ListArg::Value(_) => 1,
            };
            // A list may repeat a large vector thousands of times; refuse it before
            // allocating rather than abort on a failed allocation [decided].
            if list.len() + added > MAX_LIST_VALUES {
                return Err(fail(
                    arg_spans[i],
                    format!(
                        "{}(): the list holds more than {MAX_LIST_VALUES} values",
                        function.name
                    ),
                ));
            }
            match arg {
                ListArg::Samples(s) => list.extend_from_slice(s),
                ListArg::Value(Value::Double(x)) => list.push(x),
                ListArg::Value(Value::DoubleVec(v)) => list.extend_from_slice(&v),
                ListArg::Value(other) => {
                    return Err(list_type_error(function, i, &other, arg_spans[i]));
                }
            }
        }
        Ok(list)
    }

    /// Evaluates an argument that may be a vector: a `GetSample` call is read in place
    /// (its window's samples are not copied), anything else evaluates to a value.
    fn list_arg(&mut self, arg: &Node) -> Result<ListArg<'a>, Flow> {
        if let Node::Method {
            metric,
            method: Method::GetSample,
            args,
            arg_spans,
            args_span,
        } = arg
        {
            let samples = self.get_sample(*metric, args, arg_spans, *args_span)?;
            return Ok(ListArg::Samples(samples));
        }
        self.eval(arg).map(ListArg::Value)
    }

    fn vector_arg(
        &mut self,
        function: &Function,
        arg: &Node,
        span: Span,
        index: usize,
    ) -> Result<Vector<'a>, Flow> {
        match self.list_arg(arg)? {
            ListArg::Samples(s) => Ok(Vector::Samples(s)),
            ListArg::Value(Value::DoubleVec(v)) => Ok(Vector::Shared(v)),
            ListArg::Value(other) => Err(fail(
                span,
                format!(
                    "argument {} of {}() must be a doubleVec, not a {} (use {})",
                    index + 1,
                    function.name,
                    other.type_name(),
                    function.signature()
                ),
            )),
        }
    }

    fn double_arg(
        &mut self,
        function: &Function,
        arg: &Node,
        span: Span,
        index: usize,
    ) -> Result<f64, Flow> {
        match self.eval(arg)? {
            Value::Double(x) => Ok(x),
            other => Err(fail(
                span,
                format!(
                    "argument {} of {}() must be a double, not a {} (use {})",
                    index + 1,
                    function.name,
                    other.type_name(),
                    function.signature()
                ),
            )),
        }
    }

    /// Evaluates a method's arguments, in order.
    fn args(&mut self, args: &[Node]) -> Result<Args, Flow> {
        if args.len() > 3 {
            let values = args
                .iter()
                .map(|arg| self.eval(arg))
                .collect::<Result<_, _>>()?;
            return Ok(Args::Many(values));
        }
        let mut values = [Value::Double(0.0), Value::Double(0.0), Value::Double(0.0)];
        for (value, arg) in values.iter_mut().zip(args) {
            *value = self.eval(arg)?;
        }
        Ok(Args::Few(values, args.len()))
    }

    fn method(
        &mut self,
        metric: Metric,
        method: Method,
        args: &[Node],
        arg_spans: &[Span],
        args_span: Span,
    ) -> Result<Value, Flow> {
        if method == Method::GetSample {
            // The one place a window's samples are copied: the vector is kept as a value.
            let samples = self.get_sample(metric, args, arg_spans, args_span)?;
            return Ok(Value::DoubleVec(samples.into()));
        }
        let values = self.args(args)?;
        let values = values.as_slice();
        let history = self.snapshot.metrics.get(metric);
        let wrong = |detail: String| wrong_args(metric, method, args_span, detail);
        match method {
            Method::GetSample => unreachable!("handled above"),
            Method::GetSamplePercent => {
                let window = match values {
                    [t] => {
                        let a = self.instant(t, arg_spans[0])?;
                        samples::window(history, self.now, a, self.now)
                    }
                    [t1, t2] => {
                        let a = self.instant(t1, arg_spans[0])?;
                        let b = self.instant(t2, arg_spans[1])?;
                        samples::window(history, self.now, a, b)
                    }
                    _ => return Err(wrong(describe_args(values))),
                };
                Ok(Value::Double(window.percent))
            }
            Method::Count | Method::HistoryBeginTime | Method::GetSamplePeriod
                if !values.is_empty() =>
            {
                Err(wrong(describe_args(values)))
            }
            Method::Count => Ok(Value::Double(samples::count(history, self.now) as f64)),
            Method::HistoryBeginTime => match history.times.first() {
                Some(t) if *t <= self.now => Ok(Value::Timestamp(*t)),
                _ => Err(fail(
                    args_span,
                    format!(
                        "{} has no samples, so it has no history begin time",
                        metric.name()
                    ),
                )),
            },
            Method::GetSamplePeriod => Ok(Value::Interval(history.period)),
        }
    }

    /// `metric.GetSample(...)`: the samples it gives, in place in the snapshot's history
    /// (a window is a contiguous slice, found by binary search).
    fn get_sample(
        &mut self,
        metric: Metric,
        args: &[Node],
        arg_spans: &[Span],
        args_span: Span,
    ) -> Result<&'a [f64], Flow> {
        let evaluated;
        let values = match args {
            // The usual window, `GetSample(TimeInterval_Minute * 10)`, folded to a
            // constant: read in place.
            [Node::Const(value)] => std::slice::from_ref(value),
            _ => {
                evaluated = self.args(args)?;
                evaluated.as_slice()
            }
        };
        let snapshot: &'a Snapshot = self.snapshot;
        let history = snapshot.metrics.get(metric);
        let (start, end) = match values {
            [Value::Double(n)] => {
                let n = n.trunc();
                if n.is_nan() || n < 1.0 {
                    return Err(wrong_args(
                        metric,
                        Method::GetSample,
                        args_span,
                        format!(
                            "the sample count must be at least 1, got {}",
                            format_double(n)
                        ),
                    ));
                }
                samples::most_recent(history, self.now, n as u64)
            }
            [t] => self.checked_window(metric, history, t, None, 70.0, args_span, arg_spans)?,
            [t, Value::Double(p)] => {
                self.checked_window(metric, history, t, None, *p, args_span, arg_spans)?
            }
            [t1, t2] => {
                self.checked_window(metric, history, t1, Some(t2), 70.0, args_span, arg_spans)?
            }
            [t1, t2, Value::Double(p)] => {
                self.checked_window(metric, history, t1, Some(t2), *p, args_span, arg_spans)?
            }
            _ => {
                return Err(wrong_args(
                    metric,
                    Method::GetSample,
                    args_span,
                    describe_args(values),
                ));
            }
        };
        Ok(&history.values[start..end])
    }

    /// A window that must hold at least `required` percent of its expected samples.
    #[allow(clippy::too_many_arguments)]
    fn checked_window(
        &self,
        metric: Metric,
        history: &crate::snapshot::SampleHistory,
        t1: &Value,
        t2: Option<&Value>,
        required: f64,
        args_span: Span,
        arg_spans: &[Span],
    ) -> Result<(usize, usize), Flow> {
        if !(0.0..=100.0).contains(&required) {
            let p_span = arg_spans.last().copied().unwrap_or(args_span);
            return Err(fail(
                p_span,
                format!(
                    "{}.GetSample: the required percentage must be between 0 and 100, got {}",
                    metric.name(),
                    format_double(required)
                ),
            ));
        }
        let a = self.instant(t1, arg_spans[0])?;
        let b = match t2 {
            Some(t) => self.instant(t, arg_spans[1])?,
            None => self.now,
        };
        let window = samples::window(history, self.now, a, b);
        if window.percent < required {
            return Err(Flow::from(RunError {
                kind: RunErrorKind::InsufficientSampleData,
                span: args_span,
                detail: format!(
                    "Insufficient data from data set: {} wanted {}%, received {}%",
                    metric.name(),
                    format_double(required),
                    format_double(window.percent)
                ),
            }));
        }
        Ok((window.start, window.end))
    }

    /// A time argument as an instant: an interval looks back from now [doc].
    fn instant(&self, v: &Value, span: Span) -> Result<Timestamp, Flow> {
        match v {
            Value::Interval(d) => self
                .now
                .checked_sub(*d)
                .ok_or_else(|| fail(span, "the look-back reaches outside the years 1 to 9999")),
            Value::Timestamp(t) => Ok(*t),
            other => Err(fail(
                span,
                format!(
                    "a sample window is given by a timeinterval or a timestamp, not a {}",
                    other.type_name()
                ),
            )),
        }
    }
}

fn logic_type_error(op: BinaryOp, v: &Value) -> String {
    format!(
        "operator '{}' takes numbers, not a {}",
        op.symbol(),
        v.type_name()
    )
}

fn list_type_error(function: &Function, index: usize, v: &Value, span: Span) -> Flow {
    fail(
        span,
        format!(
            "argument {} of {}() must be a double or a doubleVec, not a {}",
            index + 1,
            function.name,
            v.type_name()
        ),
    )
}

/// A method called with arguments it does not take.
fn wrong_args(metric: Metric, method: Method, args_span: Span, detail: String) -> Flow {
    fail(
        args_span,
        format!(
            "{}.{}: {detail} (use {})",
            metric.name(),
            method.name(),
            method.signature()
        ),
    )
}

fn describe_args(values: &[Value]) -> String {
    if values.is_empty() {
        return "called with no arguments".to_string();
    }
    let types: Vec<&str> = values.iter().map(Value::type_name).collect();
    format!("called with ({})", types.join(", "))
}

/// A small, fast, well-mixed generator (SplitMix64), so `rand()` is reproducible from a seed.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits as a fraction.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
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
        // `max(a, b)` is computed on two values, `max(vec(a), b)` on a list; NaNs are
        // skipped alike, and two NaNs give -inf (max) or +inf (min).
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
    fn a_number_assigned_to_the_deallocation_option_is_an_error() {
        let outcome = run("$NodeDeallocationOption = 1 + 1", &Snapshot::default());
        let error = outcome.error.expect("an error");
        assert!(error.detail.contains("not a double"), "{}", error.detail);
    }
}
