//! From syntax tree to a compiled program: names resolved to slots or built-ins once,
//! constant subexpressions folded, so evaluation does no string lookups.
//!
//! Compiling never fails: what the checker reports as an error still compiles, into a
//! node that fails when (and only when) it is evaluated, as the service reports type
//! errors and undefined names only when the offending statement runs [seen].

use crate::check::builtins::{
    self, DeallocationOption, Field, Function, Method, Metric, PoolScalar, SystemVariable, Target,
};
use crate::syntax::ast::{self, BinaryOp, ExprKind, StatementKind, UnaryOp};
use crate::syntax::span::Span;

use super::ops;
use super::value::Value;

/// Index of a variable's storage in a run.
pub type Slot = usize;

/// What a slot holds and how it starts each run.
#[derive(Debug, Clone, PartialEq)]
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
    Conditional {
        condition: Box<Node>,
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
}

pub fn compile(formula: &ast::Formula) -> Program {
    let mut compiler = Compiler { slots: Vec::new() };
    let mut statements = Vec::new();
    let mut statement_spans = Vec::new();
    for statement in &formula.statements {
        statement_spans.push(statement.span);
        statements.push(match &statement.kind {
            StatementKind::Assign { target, value } => compiler.assignment(target, value),
            StatementKind::Expr(e) => CompiledStatement::Expr(compiler.statement_expr(e)),
        });
    }
    Program {
        statements,
        slots: compiler.slots,
        statement_spans,
    }
}

struct Compiler {
    slots: Vec<SlotInfo>,
}

impl Compiler {
    fn slot(&mut self, name: &str, kind: SlotKind) -> Slot {
        if let Some(i) = self.slots.iter().position(|s| s.name == name) {
            return i;
        }
        self.slots.push(SlotInfo {
            name: name.to_string(),
            kind,
        });
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
            ExprKind::Call { function, args, .. } if function.text == "stop" && args.is_empty() => {
                Node::Stop
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => Node::Conditional {
                condition: Box::new(self.expr(condition)),
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
                if def.name == "stop" {
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

/// A short description of an expression for messages.
fn snippet(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Number(x) => crate::format::format_double(*x),
        _ => "this expression".to_string(),
    }
}
