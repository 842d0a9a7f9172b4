//! From syntax tree to a compiled program: names resolved to slots or built-ins once,
//! constant subexpressions folded, so evaluation does no string lookups.
//!
//! Parts that give doubles (most of any formula) are then lowered to [`Num`](super::program::Num) trees by
//! `lower`, evaluated on plain `f64`s without [`Value`]s or type dispatch.
//!
//! Compiling never fails: what the checker reports as an error still compiles, into a
//! node that fails when (and only when) it is evaluated, as the service reports type
//! errors and undefined names only when the offending statement runs \[seen\].

use crate::builtins::operators as ops;
use crate::builtins::{
    self, DeallocationOption, Field, Implementation, Method, Metric, SystemVariable,
};
use crate::syntax::ast::{self, ExprKind, StatementKind};
use crate::syntax::span::Span;
use std::collections::HashMap;

use super::lower::lower;
use super::program::{
    Call, CompiledStatement, MethodCall, Node, Program, Slot, SlotInfo, SlotKind, TargetSlots,
};
use super::value::Value;
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
                    span: operator_span(e),
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
            ExprKind::Call {
                function,
                args,
                args_span,
            } => {
                // An unknown name is checked before the arguments run (section 9.1).
                let Some(def) = builtins::function(&function.text) else {
                    return Node::Fail {
                        first: Vec::new(),
                        span: function.span,
                        detail: format!("unknown function '{}'", function.text),
                    };
                };
                if def.implementation == Implementation::Stop && args.is_empty() {
                    return Node::StopAsValue { span };
                }
                Node::Call(Call {
                    function: def,
                    arg_spans: args.iter().map(|a| a.span).collect(),
                    args: args.iter().map(|a| self.expr(a)).collect(),
                    args_span: *args_span,
                    span,
                })
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
                // The value before the `.` runs first; then an unknown name fails (before
                // the arguments run); then the arguments; then the call's own checks, the
                // first of which is that it is called on a sampled metric (section 9.1).
                let Some(m) = Method::from_name(&method.text) else {
                    let on = metric.map_or_else(|| snippet(receiver), |m| m.name().to_string());
                    return Node::Fail {
                        first: metric
                            .is_none()
                            .then(|| self.expr(receiver))
                            .into_iter()
                            .collect(),
                        span: method.span,
                        detail: format!("unknown method '{}' of {on}", method.text),
                    };
                };
                let Some(metric) = metric else {
                    let mut first = vec![self.expr(receiver)];
                    first.extend(args.iter().map(|a| self.expr(a)));
                    return Node::Fail {
                        first,
                        span: receiver.span,
                        detail: format!(
                            "{}() is a method of sampled metrics such as $PendingTasks; '{}' is not one",
                            m.name(),
                            snippet(receiver)
                        ),
                    };
                };
                Node::Method(MethodCall {
                    metric,
                    method: m,
                    arg_spans: args.iter().map(|a| a.span).collect(),
                    args: args.iter().map(|a| self.expr(a)).collect(),
                    args_span: *args_span,
                })
            }
            ExprKind::Field { receiver, field } => {
                let receiver_node = self.expr(receiver);
                match Field::from_name(&field.text) {
                    // A receiver that is not a timestamp fails at its start (section 9.1).
                    Some(f) => Node::Field {
                        receiver: Box::new(receiver_node),
                        field: f,
                        span: receiver.span,
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

/// Where an operator's type error points: its left operand's first character, inside any
/// parentheses (section 9.1), to the operator expression's end.
pub(crate) fn operator_span(e: &ast::Expr) -> Span {
    match &e.kind {
        ExprKind::Binary { lhs, .. } => Span::new(lhs.span.start as usize, e.span.end as usize),
        _ => e.span,
    }
}

/// A short description of an expression for messages.
fn snippet(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Number(x) => crate::doubles::format_double(*x),
        _ => "this expression".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::Target;
    use crate::eval::program::{Arg, Num};

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
