//! Evaluates a compiled program against a pool snapshot (language.md sections 3 to 8).

use std::sync::Arc;

use crate::check::builtins::{
    DeallocationOption, Function, FunctionKind, Method, Metric, PoolScalar, Target,
};
use crate::format::format_double;
use crate::snapshot::Snapshot;
use crate::syntax::ast::BinaryOp;
use crate::syntax::span::Span;
use crate::time::Timestamp;

use super::compile::{CompiledStatement, Node, Program, Slot, SlotKind};
use super::ops;
use super::samples;
use super::value::Value;

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
enum Flow {
    Error(RunError),
    Stop,
}

impl From<RunError> for Flow {
    fn from(e: RunError) -> Flow {
        Flow::Error(e)
    }
}

fn fail(span: Span, detail: impl Into<String>) -> Flow {
    Flow::Error(RunError {
        kind: RunErrorKind::Evaluation,
        span,
        detail: detail.into(),
    })
}

/// The evaluation of one program against one snapshot at one instant.
struct Run<'a> {
    program: &'a Program,
    snapshot: &'a Snapshot,
    now: Timestamp,
    values: Vec<Option<Value>>,
    assigned_at: Vec<Option<Span>>,
    rng: SplitMix64,
    warnings: Vec<RunWarning>,
}

/// Evaluates `program` against `snapshot` with `now` as the evaluation instant.
pub fn evaluate(program: &Program, snapshot: &Snapshot, now: Timestamp) -> Outcome {
    let pool = &snapshot.pool;
    let values = program
        .slots
        .iter()
        .map(|slot| match slot.kind {
            SlotKind::User => None,
            SlotKind::Target { target, .. } => Some(initial_target(target, snapshot)),
        })
        .collect();
    // Reproducible: the seed comes from the snapshot, else from the evaluation instant [decided].
    let seed = snapshot.random_seed.unwrap_or(now.ticks() as u64);
    let mut run = Run {
        program,
        snapshot,
        now,
        values,
        assigned_at: vec![None; program.slots.len()],
        rng: SplitMix64(seed),
        warnings: Vec::new(),
    };
    let mut error = None;
    for statement in &program.statements {
        match run.statement(statement) {
            Ok(()) => {}
            Err(Flow::Stop) => break,
            Err(Flow::Error(e)) => {
                error = Some(e);
                break;
            }
        }
    }
    let target_dedicated = run.final_target(
        Target::Dedicated,
        Value::Double(pool.target_dedicated_nodes),
    );
    let target_low_priority = run.final_target(
        Target::LowPriority,
        Value::Double(pool.target_low_priority_nodes),
    );
    let deallocation_option = run.final_target(
        Target::DeallocationOption,
        Value::Deallocation(DeallocationOption::Requeue),
    );
    if error.is_none() {
        error = run.check_targets();
    }
    run.warn_about_final_values();
    Outcome {
        values: run.values,
        assigned_at: run.assigned_at,
        error,
        warnings: run.warnings,
        target_dedicated,
        target_low_priority,
        deallocation_option,
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

impl Run<'_> {
    /// The slot that decides a target: the full name if the formula assigned it, else the
    /// legacy alias if assigned [doc: the fully named variable takes precedence].
    fn deciding_slot(&self, target: Target) -> Option<Slot> {
        let assigned = |legacy: bool| {
            self.program.slots.iter().enumerate().find_map(|(i, s)| {
                (s.kind == SlotKind::Target { target, legacy } && self.assigned_at[i].is_some())
                    .then_some(i)
            })
        };
        assigned(false).or_else(|| assigned(true))
    }

    fn final_target(&self, target: Target, initial: Value) -> Value {
        match self.deciding_slot(target) {
            Some(slot) => self.values[slot].clone().unwrap_or(initial),
            None => initial,
        }
    }

    /// A target must end the run as a finite double [decided], reported at its last
    /// assignment.
    fn check_targets(&mut self) -> Option<RunError> {
        for target in [Target::Dedicated, Target::LowPriority] {
            let Some(slot) = self.deciding_slot(target) else {
                continue;
            };
            let span = self.assigned_at[slot].unwrap_or_default();
            let name = &self.program.slots[slot].name;
            match &self.values[slot] {
                Some(Value::Double(x)) if x.is_finite() && *x < 0.0 => {
                    self.warnings.push(RunWarning {
                        code: crate::diagnostic::codes::RUN_NEGATIVE_TARGET,
                        span,
                        message: format!(
                            "{name} ends the run negative ({}); the service's handling of a negative target is unverified",
                            format_double(*x)
                        ),
                    });
                }
                Some(Value::Double(x)) if x.is_finite() => {}
                Some(Value::Double(x)) => {
                    return Some(RunError {
                        kind: RunErrorKind::Evaluation,
                        span,
                        detail: format!(
                            "{name} must end the evaluation as a finite number, but it is {}",
                            format_double(*x)
                        ),
                    });
                }
                Some(other) => {
                    return Some(RunError {
                        kind: RunErrorKind::Evaluation,
                        span,
                        detail: format!(
                            "{name} must end the evaluation as a number, but it is a {}",
                            other.type_name()
                        ),
                    });
                }
                None => {}
            }
        }
        None
    }

    /// Non-finite values outside the targets get a warning (division by zero is IEEE [decided]).
    fn warn_about_final_values(&mut self) {
        for (i, slot) in self.program.slots.iter().enumerate() {
            if slot.kind != SlotKind::User {
                continue;
            }
            if let (Some(Value::Double(x)), Some(span)) = (&self.values[i], self.assigned_at[i])
                && !x.is_finite()
            {
                self.warnings.push(RunWarning {
                    code: crate::diagnostic::codes::RUN_NON_FINITE_VALUE,
                    span,
                    message: format!(
                        "'{}' ends the run as {} (IEEE arithmetic, such as a division by zero)",
                        slot.name,
                        format_double(*x)
                    ),
                });
            }
        }
    }

    fn statement(&mut self, statement: &CompiledStatement) -> Result<(), Flow> {
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
                            "$NodeDeallocationOption takes requeue, terminate, taskcompletion or retaineddata, not a {}",
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
            Node::Const(v) => Ok(v.clone()),
            Node::Read { slot, span } => match &self.values[*slot] {
                Some(v) => Ok(v.clone()),
                None => Err(fail(
                    *span,
                    format!("Undefined symbol: {}", self.program.slots[*slot].name),
                )),
            },
            Node::Pool(scalar) => Ok(Value::Double(self.pool_scalar(*scalar))),
            Node::Unary { op, operand, span } => {
                let v = self.eval(operand)?;
                ops::unary(*op, &v).map_err(|d| fail(*span, d))
            }
            Node::Binary { op, lhs, rhs, span } => self.binary(*op, lhs, rhs, *span),
            Node::Conditional {
                condition,
                then,
                otherwise,
                ..
            } => {
                let c = self.eval(condition)?;
                let Value::Double(c) = c else {
                    return Err(fail(
                        condition_span(condition).unwrap_or_default(),
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
        let arity_error = |expected: &str| {
            fail(
                span,
                format!(
                    "{}() takes {expected}, got {} (use {})",
                    function.name,
                    args.len(),
                    function.signature
                ),
            )
        };
        match function.kind {
            FunctionKind::Aggregate { compute } => {
                // One vector argument: aggregate the shared slice without copying it.
                let result = if let [single] = args {
                    match self.eval(single)? {
                        Value::DoubleVec(v) => compute(&v),
                        Value::Double(x) => compute(&[x]),
                        other => return Err(list_type_error(function, 0, &other, arg_spans[0])),
                    }
                } else {
                    compute(&self.flatten(function, args, arg_spans)?)
                };
                result
                    .map(Value::Double)
                    .map_err(|d| fail(span, format!("{}(): {d}", function.name)))
            }
            FunctionKind::Elementwise { apply } => {
                if let [single] = args {
                    match self.eval(single)? {
                        Value::Double(x) => return Ok(Value::Double(apply(x))),
                        Value::DoubleVec(v) => {
                            return Ok(Value::DoubleVec(v.iter().map(|x| apply(*x)).collect()));
                        }
                        other => return Err(list_type_error(function, 0, &other, arg_spans[0])),
                    }
                }
                let list = self.flatten(function, args, arg_spans)?;
                Ok(Value::DoubleVec(list.into_iter().map(apply).collect()))
            }
            FunctionKind::Vec => Ok(Value::DoubleVec(
                self.flatten(function, args, arg_spans)?.into(),
            )),
            FunctionKind::Percentile => {
                let [v, p] = args else {
                    return Err(arity_error("2 arguments"));
                };
                let v = self.vector_arg(function, v, arg_spans[0], 0)?;
                let p = self.double_arg(function, p, arg_spans[1], 1)?;
                crate::check::builtins::percentile(&v, p)
                    .map(Value::Double)
                    .map_err(|d| fail(span, d))
            }
            FunctionKind::Val => {
                let [v, i] = args else {
                    return Err(arity_error("2 arguments"));
                };
                let v = self.vector_arg(function, v, arg_spans[0], 0)?;
                let i = self.double_arg(function, i, arg_spans[1], 1)?.trunc();
                if i >= 0.0 && i < v.len() as f64 {
                    Ok(Value::Double(v[i as usize]))
                } else {
                    // Out of range gives 0 [decided, after batch-shipyard#138].
                    self.warnings.push(RunWarning {
                        code: crate::diagnostic::codes::RUN_VAL_OUT_OF_RANGE,
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
            FunctionKind::Rand => {
                if !args.is_empty() {
                    return Err(arity_error("no arguments"));
                }
                Ok(Value::Double(self.rng.next_f64()))
            }
            FunctionKind::Stop => Err(fail(span, "stop() has no value to use")),
            FunctionKind::Time => match args {
                // Every call in one run returns the same instant [decided].
                [] => Ok(Value::Timestamp(self.now)),
                [text] => match self.eval(text)? {
                    Value::String(s) => crate::time_text::parse_time_literal(&s)
                        .map(Value::Timestamp)
                        .map_err(|d| fail(arg_spans[0], format!("time(): {d}"))),
                    other => Err(fail(
                        arg_spans[0],
                        format!("time() takes a string, not a {}", other.type_name()),
                    )),
                },
                _ => Err(arity_error("no argument or one string")),
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
            match self.eval(arg)? {
                Value::Double(x) => list.push(x),
                Value::DoubleVec(v) => list.extend_from_slice(&v),
                other => return Err(list_type_error(function, i, &other, arg_spans[i])),
            }
        }
        Ok(list)
    }

    fn vector_arg(
        &mut self,
        function: &Function,
        arg: &Node,
        span: Span,
        index: usize,
    ) -> Result<Arc<[f64]>, Flow> {
        match self.eval(arg)? {
            Value::DoubleVec(v) => Ok(v),
            other => Err(fail(
                span,
                format!(
                    "argument {} of {}() must be a doubleVec, not a {} (use {})",
                    index + 1,
                    function.name,
                    other.type_name(),
                    function.signature
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
                    function.signature
                ),
            )),
        }
    }

    fn method(
        &mut self,
        metric: Metric,
        method: Method,
        args: &[Node],
        arg_spans: &[Span],
        args_span: Span,
    ) -> Result<Value, Flow> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        let history = self.snapshot.metrics.get(metric);
        let wrong = |detail: String| {
            fail(
                args_span,
                format!(
                    "{}.{}: {detail} (use {})",
                    metric.name(),
                    method.name(),
                    method.signature()
                ),
            )
        };
        match method {
            Method::GetSample => {
                let (start, end) = match values.as_slice() {
                    [Value::Double(n)] => {
                        let n = n.trunc();
                        if n.is_nan() || n < 1.0 {
                            return Err(wrong(format!(
                                "the sample count must be at least 1, got {}",
                                format_double(n)
                            )));
                        }
                        samples::most_recent(history, self.now, n as u64)
                    }
                    [t] => {
                        self.checked_window(metric, history, t, None, 70.0, args_span, arg_spans)?
                    }
                    [t, Value::Double(p)] => {
                        self.checked_window(metric, history, t, None, *p, args_span, arg_spans)?
                    }
                    [t1, t2] => self.checked_window(
                        metric,
                        history,
                        t1,
                        Some(t2),
                        70.0,
                        args_span,
                        arg_spans,
                    )?,
                    [t1, t2, Value::Double(p)] => self.checked_window(
                        metric,
                        history,
                        t1,
                        Some(t2),
                        *p,
                        args_span,
                        arg_spans,
                    )?,
                    _ => return Err(wrong(describe_args(&values))),
                };
                Ok(Value::DoubleVec(history.values[start..end].into()))
            }
            Method::GetSamplePercent => {
                let window = match values.as_slice() {
                    [t] => {
                        let a = self.instant(t, arg_spans[0])?;
                        samples::window(history, self.now, a, self.now)
                    }
                    [t1, t2] => {
                        let a = self.instant(t1, arg_spans[0])?;
                        let b = self.instant(t2, arg_spans[1])?;
                        samples::window(history, self.now, a, b)
                    }
                    _ => return Err(wrong(describe_args(&values))),
                };
                Ok(Value::Double(window.percent))
            }
            Method::Count | Method::HistoryBeginTime | Method::GetSamplePeriod
                if !values.is_empty() =>
            {
                Err(wrong(describe_args(&values)))
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
            return Err(Flow::Error(RunError {
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

fn condition_span(node: &Node) -> Option<Span> {
    match node {
        Node::Read { span, .. }
        | Node::Unary { span, .. }
        | Node::Binary { span, .. }
        | Node::Conditional { span, .. }
        | Node::Call { span, .. }
        | Node::Field { span, .. } => Some(*span),
        Node::Method { args_span, .. } => Some(*args_span),
        _ => None,
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

fn describe_args(values: &[Value]) -> String {
    if values.is_empty() {
        return "called with no arguments".to_string();
    }
    let types: Vec<&str> = values.iter().map(Value::type_name).collect();
    format!("called with ({})", types.join(", "))
}

/// A small, fast, well-mixed generator (SplitMix64), so `rand()` is reproducible from a seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
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
