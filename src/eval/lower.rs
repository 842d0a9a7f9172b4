//! Lowering to the number fast path: the parts of each statement that give doubles become
//! [`Num`] trees, evaluated on plain `f64`s. What gives a double comes from the operator
//! table and the built-ins' forms.

use crate::builtins::operators::{binary_always_gives_double, unary_always_gives_double};
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{Aggregate, Implementation, Target};
use crate::syntax::ast::{BinaryOp, UnaryOp};

use super::program::{Arg, CompiledStatement, Node, Num, SlotInfo, SlotKind};
use super::value::Value;

/// Turns the parts of each statement that give doubles into [`Num`] trees.
///
/// A slot is a *double slot* when every value ever stored in it is a double: a target
/// node count (it starts as the pool's) or a user variable (it starts undefined), every
/// assignment of which gives a double. That is a fixed point: start by taking every such
/// slot as a double slot, and drop those with an assignment that may give something
/// else, until none changes.
pub(super) fn lower(
    statements: Vec<CompiledStatement>,
    slots: &[SlotInfo],
) -> Vec<CompiledStatement> {
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
        Node::Call(call) => {
            let forms = call.function.forms();
            match forms.return_for(call.args.len()) {
                Some(t) => t == Type::Double,
                None => {
                    let args: Vec<TypeSet> = call.args.iter().map(types).collect();
                    forms.result_type(&args) == TypeSet::DOUBLE
                }
            }
        }
        Node::Method(m) => m.method.forms().result_type(&[]) == TypeSet::DOUBLE,
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
            Node::Call(mut call) => {
                call.args = self.nodes(call.args);
                Node::Call(call)
            }
            Node::Method(mut m) => {
                m.args = self.nodes(m.args);
                Node::Method(m)
            }
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
            Node::Call(call)
                if call.args.iter().all(|a| self.is_number(a))
                    && matches!(
                        call.function.implementation,
                        Implementation::Aggregate(_) | Implementation::Elementwise(_)
                    ) =>
            {
                let (function, span) = (call.function, call.span);
                let mut args: Vec<Arg> = call.args.into_iter().map(|a| self.arg(a)).collect();
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
