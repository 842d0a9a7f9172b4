//! From syntax tree to a compiled program: names resolved to slots or built-ins once,
//! constant subexpressions folded, so evaluation does no string lookups.
//!
//! Parts that give doubles (most of any formula) are then lowered to [`Num`] trees,
//! evaluated on plain `f64`s without [`Value`]s or type dispatch.
//!
//! Compiling never fails: what the checker reports as an error still compiles, into a
//! node that fails when (and only when) it is evaluated, as the service reports type
//! errors and undefined names only when the offending statement runs [seen].

use crate::builtins::operators::{
    self as ops, binary_always_gives_double, unary_always_gives_double,
};
use crate::builtins::types::TypeSet;
use crate::builtins::{
    self, Aggregate, DeallocationOption, Field, Function, Implementation, Method, Metric,
    PoolScalar, SystemVariable, Target,
};
use crate::syntax::ast::{self, BinaryOp, ExprKind, StatementKind, UnaryOp};
use crate::syntax::span::Span;
use std::collections::HashMap;

use super::value::Value;

/// Index of a variable's storage in a run.
pub type Slot = usize;

/// What a slot holds and how it starts each run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SlotKind {
    /// A user variable: undefined until assigned.
    User,
    /// A target, or a legacy alias of one: starts with the pool's value.
    Target { target: Target, legacy: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotInfo {
    pub name: String,
    pub kind: SlotKind,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Node {
    /// A part that gives a double, in the fast form (see [`Num`]).
    Number(Arg),
    Const(Value),
    /// Reads a variable; undefined until assigned.
    Read {
        slot: Slot,
        span: Span,
    },
    Pool(PoolScalar),
    Unary {
        op: UnaryOp,
        operand: Box<Node>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
        span: Span,
    },
    /// `condition_span` is where a condition of the wrong type is reported.
    Conditional {
        condition: Box<Node>,
        condition_span: Span,
        then: Box<Node>,
        otherwise: Box<Node>,
        span: Span,
    },
    Call {
        function: &'static Function,
        args: Vec<Node>,
        arg_spans: Vec<Span>,
        span: Span,
    },
    /// `stop()` where its value is used: an error when evaluated.
    StopAsValue {
        span: Span,
    },
    /// `stop()` as a statement (or a branch of a statement-level `?:`): ends the run.
    Stop,
    Method {
        metric: Metric,
        method: Method,
        args: Vec<Node>,
        arg_spans: Vec<Span>,
        args_span: Span,
    },
    Field {
        receiver: Box<Node>,
        field: Field,
        span: Span,
    },
    /// Evaluates `first` (so errors inside it come first), then fails with `detail`.
    Fail {
        first: Vec<Node>,
        span: Span,
        detail: String,
    },
}

#[derive(Debug, Clone)]
// An explicit tag byte: dispatch is a byte load and a jump (a niche tag costs more).
#[repr(u8)]
pub enum CompiledStatement {
    Assign {
        slot: Slot,
        value: Node,
        span: Span,
    },
    /// An assignment the service refuses when it runs (read-only target and the like).
    AssignFail {
        value: Node,
        span: Span,
        detail: String,
    },
    Expr(Node),
}

/// A formula ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Program {
    pub statements: Vec<CompiledStatement>,
    pub slots: Vec<SlotInfo>,
    /// The span of each statement, for target errors reported at an assignment.
    pub statement_spans: Vec<Span>,
    /// The slots of the targets and their aliases.
    pub target_slots: TargetSlots,
    /// The slots of user variables, which a run checks at its end (none in most formulas
    /// that only set targets).
    pub user_slots: Vec<Slot>,
}

pub fn compile(formula: &ast::Formula) -> Program {
    let mut compiler = Compiler {
        slots: Vec::new(),
        by_name: HashMap::new(),
    };
    let mut statements = Vec::new();
    let mut statement_spans = Vec::new();
    for statement in &formula.statements {
        statement_spans.push(statement.span);
        statements.push(match &statement.kind {
            StatementKind::Assign { target, value } => compiler.assignment(target, value),
            StatementKind::Expr(e) => CompiledStatement::Expr(compiler.statement_expr(e)),
        });
    }
    let statements = lower(statements, &compiler.slots);
    Program {
        statements,
        target_slots: TargetSlots::new(&compiler.slots),
        user_slots: (0..compiler.slots.len())
            .filter(|&i| compiler.slots[i].kind == SlotKind::User)
            .collect(),
        slots: compiler.slots,
        statement_spans,
    }
}

struct Compiler {
    slots: Vec<SlotInfo>,
    /// Each slot's index by name (a formula may have a hundred variables).
    by_name: HashMap<String, Slot>,
}

impl Compiler {
    fn slot(&mut self, name: &str, kind: SlotKind) -> Slot {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        self.slots.push(SlotInfo {
            name: name.to_string(),
            kind,
        });
        self.by_name.insert(name.to_string(), self.slots.len() - 1);
        self.slots.len() - 1
    }

    fn assignment(&mut self, target: &ast::Name, value: &ast::Expr) -> CompiledStatement {
        let value = self.expr(value);
        let span = target.span;
        let refuse = |detail: String| CompiledStatement::AssignFail {
            value: value.clone(),
            span,
            detail,
        };
        let name = target.text.as_str();
        match builtins::system_variable(name) {
            Some(SystemVariable::Target { target: t, legacy }) => {
                let slot = self.slot(name, SlotKind::Target { target: t, legacy });
                CompiledStatement::Assign { slot, value, span }
            }
            Some(SystemVariable::Pool { .. }) => {
                refuse(format!("{name} is read-only and cannot be assigned"))
            }
            Some(SystemVariable::Metric(_)) => refuse(format!(
                "{name} is a sampled metric, read-only, and cannot be assigned"
            )),
            None if builtins::time_constant(name).is_some() => {
                refuse(format!("{name} is a constant and cannot be assigned"))
            }
            None if DeallocationOption::from_keyword(name).is_some() => {
                refuse(format!("{name} is a keyword and cannot be assigned"))
            }
            None => {
                let slot = self.slot(name, SlotKind::User);
                CompiledStatement::Assign { slot, value, span }
            }
        }
    }

    /// A bare statement: `stop()` here (also as a `?:` branch) ends the run.
    fn statement_expr(&mut self, e: &ast::Expr) -> Node {
        match &e.kind {
            ExprKind::Call { function, args, .. }
                if args.is_empty()
                    && builtins::function(&function.text)
                        .is_some_and(|f| f.implementation == Implementation::Stop) =>
            {
                Node::Stop
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => Node::Conditional {
                condition: Box::new(self.expr(condition)),
                condition_span: condition.span,
                then: Box::new(self.statement_expr(then)),
                otherwise: Box::new(self.statement_expr(otherwise)),
                span: e.span,
            },
            _ => self.expr(e),
        }
    }

    fn name(&mut self, name: &str, span: Span) -> Node {
        match builtins::system_variable(name) {
            Some(SystemVariable::Target { target, legacy }) => Node::Read {
                slot: self.slot(name, SlotKind::Target { target, legacy }),
                span,
            },
            Some(SystemVariable::Pool { scalar, .. }) => Node::Pool(scalar),
            Some(SystemVariable::Metric(metric)) => Node::Fail {
                first: Vec::new(),
                span,
                detail: format!(
                    "{} is a sampled metric and cannot be used as a value; use a method such as {}.GetSample(1)",
                    metric.name(),
                    metric.name()
                ),
            },
            None => {
                if let Some(interval) = builtins::time_constant(name) {
                    Node::Const(Value::Interval(interval))
                } else if let Some(option) = DeallocationOption::from_keyword(name) {
                    Node::Const(Value::Deallocation(option))
                } else {
                    Node::Read {
                        slot: self.slot(name, SlotKind::User),
                        span,
                    }
                }
            }
        }
    }

    fn expr(&mut self, e: &ast::Expr) -> Node {
        let span = e.span;
        match &e.kind {
            ExprKind::Number(x) => Node::Const(Value::Double(*x)),
            ExprKind::String(s) => Node::Const(Value::String(s.as_str().into())),
            ExprKind::Name(name) => self.name(name, span),
            ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand);
                if let Node::Const(v) = &operand
                    && let Ok(folded) = ops::unary(*op, v)
                {
                    return Node::Const(folded);
                }
                Node::Unary {
                    op: *op,
                    operand: Box::new(operand),
                    span,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let lhs = self.expr(lhs);
                let rhs = self.expr(rhs);
                if let (Node::Const(a), Node::Const(b)) = (&lhs, &rhs)
                    && let Ok(folded) = ops::binary(*op, a, b)
                {
                    return Node::Const(folded);
                }
                Node::Binary {
                    op: *op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                    span,
                }
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => Node::Conditional {
                condition: Box::new(self.expr(condition)),
                condition_span: condition.span,
                then: Box::new(self.expr(then)),
                otherwise: Box::new(self.expr(otherwise)),
                span,
            },
            ExprKind::Call { function, args, .. } => {
                let Some(def) = builtins::function(&function.text) else {
                    return Node::Fail {
                        first: Vec::new(),
                        span: function.span,
                        detail: format!("unknown function '{}'", function.text),
                    };
                };
                if def.implementation == Implementation::Stop {
                    return Node::StopAsValue { span };
                }
                Node::Call {
                    function: def,
                    arg_spans: args.iter().map(|a| a.span).collect(),
                    args: args.iter().map(|a| self.expr(a)).collect(),
                    span,
                }
            }
            ExprKind::Method {
                receiver,
                method,
                args,
                args_span,
            } => {
                let metric = match &receiver.kind {
                    ExprKind::Name(n) => Metric::from_name(n),
                    _ => None,
                };
                let Some(metric) = metric else {
                    return Node::Fail {
                        first: vec![self.expr(receiver)],
                        span: method.span,
                        detail: format!(
                            "{}() is a method of sampled metrics such as $PendingTasks; '{}' is not one",
                            method.text,
                            snippet(receiver)
                        ),
                    };
                };
                let Some(m) = Method::from_name(&method.text) else {
                    return Node::Fail {
                        first: Vec::new(),
                        span: method.span,
                        detail: format!("unknown method '{}' of {}", method.text, metric.name()),
                    };
                };
                Node::Method {
                    metric,
                    method: m,
                    arg_spans: args.iter().map(|a| a.span).collect(),
                    args: args.iter().map(|a| self.expr(a)).collect(),
                    args_span: *args_span,
                }
            }
            ExprKind::Field { receiver, field } => {
                let receiver_node = self.expr(receiver);
                match Field::from_name(&field.text) {
                    Some(f) => Node::Field {
                        receiver: Box::new(receiver_node),
                        field: f,
                        span,
                    },
                    None => Node::Fail {
                        first: vec![receiver_node],
                        span: field.span,
                        detail: format!("unknown field '{}' of a timestamp", field.text),
                    },
                }
            }
        }
    }
}

/// Where each target's variables live: the full name's slot and the legacy alias's, if the
/// formula mentions them. Resolved once, so a run finds its targets without a search.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TargetSlots {
    full: [Option<Slot>; 3],
    legacy: [Option<Slot>; 3],
}

impl TargetSlots {
    fn new(slots: &[SlotInfo]) -> TargetSlots {
        let mut found = TargetSlots::default();
        for (i, slot) in slots.iter().enumerate() {
            if let SlotKind::Target { target, legacy } = slot.kind {
                let list = if legacy {
                    &mut found.legacy
                } else {
                    &mut found.full
                };
                list[target_index(target)] = Some(i);
            }
        }
        found
    }

    /// The slot of a target's full name (`legacy: false`) or of its alias.
    pub fn get(&self, target: Target, legacy: bool) -> Option<Slot> {
        let list = if legacy { &self.legacy } else { &self.full };
        list[target_index(target)]
    }
}

fn target_index(target: Target) -> usize {
    match target {
        Target::Dedicated => 0,
        Target::LowPriority => 1,
        Target::DeallocationOption => 2,
    }
}

/// An expression that gives a double whenever it gives anything (it may still fail),
/// compiled so that evaluation passes plain `f64`s: no [`Value`], no type dispatch.
///
/// Most of a formula is arithmetic, comparisons and aggregates of doubles; those parts
/// become `Num` trees. Where a part may give another type (a user variable that is ever
/// assigned a vector, `GetSample`, `time()`...), it stays a [`Node`], and where a `Node`
/// is known to give a double it is wrapped as [`Num::Node`]. The results, errors and
/// their order are exactly those of the general [`Node`] evaluation.
///
/// Operands are [`Arg`]s: constants, pool scalars and variables are read in place by the
/// operator, without a call of their own.
#[derive(Debug, Clone)]
// An explicit tag byte: dispatch is a byte load and a jump (a niche tag costs more).
#[repr(u8)]
pub enum Num {
    Neg(Arg),
    Not(Arg),
    /// The arithmetic and comparison operators, one variant each (one dispatch per
    /// operator, not two).
    Add(Arg, Arg),
    Sub(Arg, Arg),
    Mul(Arg, Arg),
    Div(Arg, Arg),
    Lt(Arg, Arg),
    Le(Arg, Arg),
    Gt(Arg, Arg),
    Ge(Arg, Arg),
    Eq(Arg, Arg),
    Ne(Arg, Arg),
    /// `&&`, short-circuit.
    And(Arg, Arg),
    /// `||`, short-circuit.
    Or(Arg, Arg),
    Conditional {
        condition: Arg,
        then: Arg,
        otherwise: Arg,
    },
    /// `max` and `min` of two doubles (`max(x, 10)`, the most common call): computed
    /// without a list or a call through a pointer.
    Max(Arg, Arg),
    Min(Arg, Arg),
    /// `avg`, `max`, ... of doubles only.
    Aggregate {
        function: &'static Function,
        compute: fn(&[f64]) -> Result<f64, builtins::BuiltinError>,
        args: Vec<Arg>,
        span: Span,
    },
    /// The scalar form of `ceil`, `ln`, ...
    Apply {
        apply: fn(f64) -> f64,
        arg: Arg,
    },
    /// A general expression that gives a double when it succeeds.
    Node(Box<Node>),
}

/// An operand of a [`Num`]: a leaf, read in place, or a subexpression.
#[derive(Debug, Clone)]
// An explicit tag byte: dispatch is a byte load and a jump (a niche tag costs more).
#[repr(u8)]
pub enum Arg {
    Const(f64),
    Pool(PoolScalar),
    /// A variable that only ever holds doubles (or nothing yet: then `Undefined symbol`).
    Read {
        slot: Slot,
        span: Span,
    },
    Num(Box<Num>),
}

/// Turns the parts of each statement that give doubles into [`Num`] trees.
///
/// A slot is a *double slot* when every value ever stored in it is a double: a target
/// node count (it starts as the pool's) or a user variable (it starts undefined), every
/// assignment of which gives a double. That is a fixed point: start by taking every such
/// slot as a double slot, and drop those with an assignment that may give something
/// else, until none changes.
fn lower(statements: Vec<CompiledStatement>, slots: &[SlotInfo]) -> Vec<CompiledStatement> {
    let mut doubles: Vec<bool> = slots.iter().map(|s| !is_deallocation_slot(s)).collect();
    loop {
        let mut changed = false;
        for statement in &statements {
            if let CompiledStatement::Assign { slot, value, .. } = statement
                && doubles[*slot]
                && !is_number(value, &doubles)
            {
                doubles[*slot] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let lowering = Lowering { doubles };
    statements
        .into_iter()
        .map(|statement| match statement {
            CompiledStatement::Assign { slot, value, span } => CompiledStatement::Assign {
                slot,
                // The run checks what `$NodeDeallocationOption` is given, so its value
                // stays general; every other assignment of a number part is the fast one.
                value: if is_deallocation_slot(&slots[slot]) {
                    lowering.parts(value)
                } else {
                    lowering.node(value)
                },
                span,
            },
            CompiledStatement::AssignFail {
                value,
                span,
                detail,
            } => CompiledStatement::AssignFail {
                value: lowering.node(value),
                span,
                detail,
            },
            CompiledStatement::Expr(node) => CompiledStatement::Expr(lowering.node(node)),
        })
        .collect()
}

fn is_deallocation_slot(slot: &SlotInfo) -> bool {
    matches!(
        slot.kind,
        SlotKind::Target {
            target: Target::DeallocationOption,
            ..
        }
    )
}

/// Whether `node` gives a double whenever it gives anything, `doubles` telling which
/// slots only ever hold doubles. This is the one place that decides what becomes [`Num`];
/// what operators and built-ins give comes from their tables.
fn is_number(node: &Node, doubles: &[bool]) -> bool {
    // What an operand may be, for the tables: a double, or anything.
    let types = |n: &Node| {
        if is_number(n, doubles) {
            TypeSet::DOUBLE
        } else {
            TypeSet::VALUES
        }
    };
    match node {
        Node::Const(v) => matches!(v, Value::Double(_)),
        Node::Read { slot, .. } => doubles[*slot],
        Node::Pool(_) | Node::Number(_) => true,
        // `-` of an interval is an interval; `!` gives 1 or 0, or fails.
        Node::Unary { op, operand, .. } => {
            unary_always_gives_double(*op) || is_number(operand, doubles)
        }
        // Vectors, intervals and timestamps have arithmetic too; comparisons and logic
        // give 1 or 0, or fail.
        Node::Binary { op, lhs, rhs, .. } => {
            binary_always_gives_double(*op) || (is_number(lhs, doubles) && is_number(rhs, doubles))
        }
        Node::Conditional {
            then, otherwise, ..
        } => is_number(then, doubles) && is_number(otherwise, doubles),
        // One argument of type double picks the scalar form [doc].
        Node::Call { function, args, .. } => {
            let args: Vec<TypeSet> = args.iter().map(types).collect();
            function.forms().result_type(&args) == TypeSet::DOUBLE
        }
        Node::Method { method, .. } => method.forms().result_type(&[]) == TypeSet::DOUBLE,
        // Every field of a timestamp is a double.
        Node::Field { .. } => true,
        Node::StopAsValue { .. } | Node::Stop | Node::Fail { .. } => false,
    }
}

struct Lowering {
    doubles: Vec<bool>,
}

impl Lowering {
    fn is_number(&self, node: &Node) -> bool {
        is_number(node, &self.doubles)
    }

    /// A node in general position: a [`Node::Number`] if it gives doubles, else the same
    /// node with its parts lowered.
    fn node(&self, node: Node) -> Node {
        if self.is_number(&node) && !matches!(node, Node::Number(_)) {
            Node::Number(self.arg(node))
        } else {
            self.parts(node)
        }
    }

    /// A node that [`is_number`] as an operand.
    fn arg(&self, node: Node) -> Arg {
        match node {
            Node::Const(Value::Double(x)) => Arg::Const(x),
            Node::Read { slot, span } => Arg::Read { slot, span },
            Node::Pool(scalar) => Arg::Pool(scalar),
            Node::Number(arg) => arg,
            other => Arg::Num(Box::new(self.num(other))),
        }
    }

    fn nodes(&self, nodes: Vec<Node>) -> Vec<Node> {
        nodes.into_iter().map(|n| self.node(n)).collect()
    }

    /// The node itself kept, its parts lowered.
    fn parts(&self, node: Node) -> Node {
        match node {
            Node::Const(_)
            | Node::Read { .. }
            | Node::Pool(_)
            | Node::Number(_)
            | Node::StopAsValue { .. }
            | Node::Stop => node,
            Node::Unary { op, operand, span } => Node::Unary {
                op,
                operand: Box::new(self.node(*operand)),
                span,
            },
            Node::Binary { op, lhs, rhs, span } => Node::Binary {
                op,
                lhs: Box::new(self.node(*lhs)),
                rhs: Box::new(self.node(*rhs)),
                span,
            },
            Node::Conditional {
                condition,
                condition_span,
                then,
                otherwise,
                span,
            } => Node::Conditional {
                condition: Box::new(self.node(*condition)),
                condition_span,
                then: Box::new(self.node(*then)),
                otherwise: Box::new(self.node(*otherwise)),
                span,
            },
            Node::Call {
                function,
                args,
                arg_spans,
                span,
            } => Node::Call {
                function,
                args: self.nodes(args),
                arg_spans,
                span,
            },
            Node::Method {
                metric,
                method,
                args,
                arg_spans,
                args_span,
            } => Node::Method {
                metric,
                method,
                args: self.nodes(args),
                arg_spans,
                args_span,
            },
            Node::Field {
                receiver,
                field,
                span,
            } => Node::Field {
                receiver: Box::new(self.node(*receiver)),
                field,
                span,
            },
            Node::Fail {
                first,
                span,
                detail,
            } => Node::Fail {
                first: self.nodes(first),
                span,
                detail,
            },
        }
    }

    /// A node that [`is_number`] and is not a leaf as a [`Num`]: its own fast form where
    /// its operands are numbers too, else the general node wrapped.
    fn num(&self, node: Node) -> Num {
        debug_assert!(self.is_number(&node));
        match node {
            Node::Unary {
                op: UnaryOp::Neg,
                operand,
                ..
            } => Num::Neg(self.arg(*operand)),
            Node::Unary {
                op: UnaryOp::Not,
                operand,
                ..
            } if self.is_number(&operand) => Num::Not(self.arg(*operand)),
            Node::Binary { op, lhs, rhs, .. } if self.is_number(&lhs) && self.is_number(&rhs) => {
                let (lhs, rhs) = (self.arg(*lhs), self.arg(*rhs));
                match op {
                    BinaryOp::Add => Num::Add(lhs, rhs),
                    BinaryOp::Sub => Num::Sub(lhs, rhs),
                    BinaryOp::Mul => Num::Mul(lhs, rhs),
                    BinaryOp::Div => Num::Div(lhs, rhs),
                    BinaryOp::Lt => Num::Lt(lhs, rhs),
                    BinaryOp::Le => Num::Le(lhs, rhs),
                    BinaryOp::Gt => Num::Gt(lhs, rhs),
                    BinaryOp::Ge => Num::Ge(lhs, rhs),
                    BinaryOp::Eq => Num::Eq(lhs, rhs),
                    BinaryOp::Ne => Num::Ne(lhs, rhs),
                    BinaryOp::And => Num::And(lhs, rhs),
                    BinaryOp::Or => Num::Or(lhs, rhs),
                }
            }
            Node::Conditional {
                condition,
                then,
                otherwise,
                ..
            } if self.is_number(&condition) => Num::Conditional {
                condition: self.arg(*condition),
                then: self.arg(*then),
                otherwise: self.arg(*otherwise),
            },
            Node::Call {
                function,
                args,
                span,
                ..
            } if args.iter().all(|a| self.is_number(a))
                && matches!(
                    function.implementation,
                    Implementation::Aggregate(_) | Implementation::Elementwise(_)
                ) =>
            {
                let mut args: Vec<Arg> = args.into_iter().map(|a| self.arg(a)).collect();
                if let (
                    Implementation::Aggregate(kind @ (Aggregate::Max | Aggregate::Min)),
                    [_, _],
                ) = (function.implementation, args.as_slice())
                {
                    let rhs = args.pop().expect("two arguments");
                    let lhs = args.pop().expect("two arguments");
                    return if kind == Aggregate::Max {
                        Num::Max(lhs, rhs)
                    } else {
                        Num::Min(lhs, rhs)
                    };
                }
                match function.implementation {
                    Implementation::Aggregate(kind) => Num::Aggregate {
                        function,
                        compute: kind.compute(),
                        args,
                        span,
                    },
                    Implementation::Elementwise(kind) => Num::Apply {
                        apply: kind.apply(),
                        arg: args.pop().expect("one argument"),
                    },
                    _ => unreachable!("matched above"),
                }
            }
            other => Num::Node(Box::new(self.parts(other))),
        }
    }
}

/// A short description of an expression for messages.
fn snippet(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Number(x) => crate::format::format_double(*x),
        _ => "this expression".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(text: &str) -> Program {
        let parsed = crate::syntax::parser::parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        compile(&parsed.formula)
    }

    /// The value of the statement `index`, which must be an assignment.
    fn assigned(program: &Program, index: usize) -> &Node {
        match &program.statements[index] {
            CompiledStatement::Assign { value, .. } => value,
            other => panic!("not an assignment: {other:?}"),
        }
    }

    #[test]
    fn double_arithmetic_is_lowered_to_numbers() {
        let p = program("a = 2; b = a * 3 + $CurrentDedicatedNodes > 4 ? a : max(a, 1)");
        assert!(matches!(assigned(&p, 1), Node::Number(Arg::Num(_))));
    }

    #[test]
    fn constants_are_folded_then_lowered() {
        let p = program("$TargetDedicatedNodes = 2 * 3 + 1");
        assert!(matches!(
            assigned(&p, 0),
            Node::Number(Arg::Const(x)) if *x == 7.0
        ));
    }

    #[test]
    fn a_variable_ever_assigned_a_vector_stays_general() {
        // `v` holds a vector after its second assignment, so `v + 1` may be a vector.
        let p = program("v = 1; w = v + 1; v = vec(1, 2)");
        assert!(matches!(assigned(&p, 1), Node::Binary { .. }));
    }

    #[test]
    fn doubles_depending_on_a_general_variable_are_general_too() {
        // `b` copies `a`, which may be a vector: neither is a double slot (a fixed point).
        let p = program("a = vec(1); b = a; c = b * 2");
        assert!(matches!(assigned(&p, 2), Node::Binary { .. }));
    }

    #[test]
    fn comparisons_of_general_values_give_numbers() {
        // A comparison gives 1 or 0 whatever its operands, so it is a number.
        let p = program("t = time(); x = t > time()");
        assert!(
            matches!(assigned(&p, 1), Node::Number(Arg::Num(n)) if matches!(**n, Num::Node(_)))
        );
    }

    #[test]
    fn max_and_min_of_two_numbers_need_no_list() {
        let p = program("a = 2; b = max(a, 1) + min(a, 1) + max(a, 1, 3)");
        let Node::Number(Arg::Num(sum)) = assigned(&p, 1) else {
            panic!("not lowered: {:?}", assigned(&p, 1));
        };
        let Num::Add(Arg::Num(lhs), Arg::Num(three)) = &**sum else {
            panic!("not a sum: {sum:?}");
        };
        assert!(matches!(**three, Num::Aggregate { .. }));
        assert!(matches!(
            &**lhs,
            Num::Add(Arg::Num(max), Arg::Num(min))
                if matches!(**max, Num::Max(..)) && matches!(**min, Num::Min(..))
        ));
    }

    #[test]
    fn a_number_assigned_to_the_deallocation_option_stays_general() {
        // The run checks the type of what `$NodeDeallocationOption` is given.
        let p = program("a = 1; $NodeDeallocationOption = a + 1");
        assert!(matches!(assigned(&p, 1), Node::Binary { .. }));
    }

    #[test]
    fn the_deallocation_option_is_never_a_double_slot() {
        let p = program("$NodeDeallocationOption = taskcompletion; x = 1");
        assert!(matches!(
            assigned(&p, 0),
            Node::Const(Value::Deallocation(_))
        ));
        assert_eq!(
            p.target_slots.get(Target::DeallocationOption, false),
            Some(0)
        );
    }
}
