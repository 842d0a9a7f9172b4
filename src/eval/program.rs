//! The compiled form of a formula: statements over numbered slots, each expression a
//! [`Node`], and the parts that give doubles lowered to [`Num`] trees. [`super::compile`]
//! builds it, `lower` lowers it, [`super::interpreter`] runs it.

use crate::builtins::{self, Field, Function, Method, Metric, PoolScalar, Target};
use crate::syntax::ast::{BinaryOp, UnaryOp};
use crate::syntax::span::Span;

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
    Call(Call),
    /// `stop()` where its value is used: an error when evaluated.
    StopAsValue {
        span: Span,
    },
    /// `stop()` as a statement (or a branch of a statement-level `?:`): ends the run.
    Stop,
    Method(MethodCall),
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

/// A call of a function: its record, its arguments and where each is written.
#[derive(Debug, Clone)]
pub struct Call {
    pub function: &'static Function,
    pub args: Vec<Node>,
    pub arg_spans: Vec<Span>,
    /// From the `(`: where an arity error points.
    pub args_span: Span,
    pub span: Span,
}

/// A method of a sampled metric, called with its arguments; `args_span` (from the `(`) is
/// where the service reports a sample error.
#[derive(Debug, Clone)]
pub struct MethodCall {
    pub metric: Metric,
    pub method: Method,
    pub args: Vec<Node>,
    pub arg_spans: Vec<Span>,
    pub args_span: Span,
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

/// Where each target's variables live: the full name's slot and the legacy alias's, if the
/// formula mentions them. Resolved once, so a run finds its targets without a search.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TargetSlots {
    full: [Option<Slot>; 3],
    legacy: [Option<Slot>; 3],
}

impl TargetSlots {
    pub(super) fn new(slots: &[SlotInfo]) -> TargetSlots {
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
