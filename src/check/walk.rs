//! The checker's walk: statements in order, each expression's types, names and
//! assignments. Operators are checked in [`super::operators`], calls, methods and fields in
//! [`super::calls`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::help::{keyword_list, vector_help};
use super::{ExprTypes, Recovery};
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{
    self, DeallocationOption, Method, Metric, PoolScalar, SystemVariable, Target,
};
use crate::check::fold::literal;
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::value::Value;
use crate::suggest::suggest;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Formula, Name, StatementKind};
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::span::Span;

/// Checks every statement of a formula in order: the diagnostics, and the type of every
/// expression when `record` asks for it (for the lints).
pub(super) fn check_statements(
    formula: &Formula,
    recovery: &Recovery,
    record: bool,
) -> (Vec<Diagnostic>, ExprTypes) {
    let mut first_assignment: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, statement) in formula.statements.iter().enumerate() {
        if let StatementKind::Assign { target, .. } = &statement.kind {
            first_assignment
                .entry(target.text.as_str())
                .or_insert(index);
        }
    }
    let mut checker = Checker {
        assigned: BTreeMap::new(),
        targets: BTreeMap::new(),
        targets_reported: BTreeSet::new(),
        first_assignment,
        current: 0,
        current_span: Span::default(),
        depth: 0,
        legacy_seen: BTreeSet::new(),
        once: BTreeSet::new(),
        fallible_samples: 0,
        sample_vectors: BTreeSet::new(),
        constants: HashMap::new(),
        types: record.then(HashMap::new),
        diagnostics: Vec::new(),
    };
    let mut reachable = formula.statements.len();
    let mut assumed: Vec<&(u32, String)> = recovery.assigned.iter().collect();
    assumed.sort_by_key(|(offset, _)| *offset);
    let mut assumed = assumed.into_iter().peekable();
    for (index, statement) in formula.statements.iter().enumerate() {
        while let Some((_, name)) = assumed.next_if(|(at, _)| *at <= statement.span.start) {
            checker.assigned.insert(name.clone(), TypeSet::UNKNOWN);
        }
        if recovery.skip.contains(&index) {
            continue;
        }
        checker.current = index;
        checker.current_span = statement.span;
        match &statement.kind {
            StatementKind::Assign { target, value } => {
                // The right-hand side runs before the name is assigned: `x = x + 1`
                // reads an undefined `x` when no earlier statement assigned it.
                let found = checker.expr(value, Use::Value);
                checker.assign(target, value, found);
            }
            StatementKind::Expr(e) => {
                checker.expr(e, Use::Statement);
                if is_stop(e) {
                    reachable = index + 1;
                    break;
                }
            }
        }
    }
    // Code after a top-level `stop();` never runs: one warning, and nothing else in it
    // (section 9.1).
    if let (Some(first), Some(last)) =
        (formula.statements.get(reachable), formula.statements.last())
    {
        checker.report(
            Code::Unreachable,
            first.span.to(last.span),
            "this code never runs: the statement 'stop();' before it always ends the run"
                .to_string(),
            Some("remove it, or move the 'stop();' after it".to_string()),
        );
    } else {
        // The run ends here: what the targets hold must be right.
        checker.targets_at_end();
    }
    let mut diagnostics = checker.diagnostics;
    // Stable: diagnostics at one position keep the order they were found in.
    diagnostics.sort_by_key(|d| d.span.start);
    (diagnostics, ExprTypes(checker.types.unwrap_or_default()))
}

/// What happens to an expression's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    /// The value is used.
    Value,
    /// A bare statement, or a branch of a bare statement's `?:`: the value is dropped,
    /// and `stop()` is allowed here.
    Statement,
}

pub(super) struct Checker<'a> {
    /// Every variable assigned so far (user variables and targets), with the types of its
    /// last assignment. Assignments are whole statements and statements run in order, so
    /// this is exactly what a later statement sees.
    pub(super) assigned: BTreeMap<String, TypeSet>,
    /// Each target name assigned so far: the types of its last assignment, and that
    /// assignment's span. Only what a target holds at the end of the run (or at `stop()`)
    /// must be of its type (section 9.1).
    pub(super) targets: BTreeMap<String, (TypeSet, Span)>,
    /// The target assignments already reported as ending the run with the wrong type.
    pub(super) targets_reported: BTreeSet<(String, u32)>,
    /// The first statement that assigns each name, for "assigned too late" hints.
    pub(super) first_assignment: BTreeMap<&'a str, usize>,
    /// The statement being checked, and its span.
    pub(super) current: usize,
    pub(super) current_span: Span,
    /// How deeply the expression being checked nests.
    pub(super) depth: usize,
    /// The legacy names already warned about: once per name is enough.
    pub(super) legacy_seen: BTreeSet<String>,
    /// The codes of warnings given once per formula, already given.
    pub(super) once: BTreeSet<Code>,
    /// How many sample calls that can fail at run time (a window, `HistoryBeginTime`)
    /// have been checked so far: tells whether an operand contains one.
    pub(super) fallible_samples: usize,
    /// User variables whose last assignment is a vector of several samples.
    pub(super) sample_vectors: BTreeSet<String>,
    /// The value of each constant expression checked so far (literals, named constants,
    /// keywords, and operators over them), by span: an operation on constants that fails
    /// always fails (section 9.1).
    pub(super) constants: HashMap<(u32, u32), Value>,
    /// The type of every expression, when the lints asked for it.
    pub(super) types: Option<HashMap<(u32, u32), TypeSet>>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// A diagnostic of `code` (an error or a warning, as the code says).
    pub(super) fn report(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(code, span, message);
        d.help = help;
        self.diagnostics.push(d);
    }

    /// A warning given at most once per formula (its first occurrence).
    pub(super) fn warning_once(
        &mut self,
        code: Code,
        span: Span,
        message: String,
        help: Option<String>,
    ) {
        if self.once.insert(code) {
            self.report(code, span, message, help);
        }
    }

    /// Requires `found` to be within `wanted`: an error (with `code`) when no possible type
    /// fits, a "may fail" warning when only some do. `message` gets the types that do not
    /// fit. Says nothing about an unknown type (its error is already reported).
    pub(super) fn require(
        &mut self,
        found: TypeSet,
        wanted: TypeSet,
        span: Span,
        code: Code,
        message: impl FnOnce(TypeSet) -> String,
        help: impl FnOnce() -> Option<String>,
    ) {
        if found.is_unknown() || found.is_subset_of(wanted) {
            return;
        }
        let help = help();
        let bad = found.without(wanted);
        if found.intersection(wanted).is_unknown() {
            self.report(code, span, message(bad), help);
        } else {
            // Sound rather than hopeful: a type that is wrong on some path fails the run
            // whenever that path is taken, so it is an error like any other type error.
            let message = format!("this fails at run time on some paths: {}", message(bad));
            self.report(Code::TypeOnSomePaths, span, message, help);
        }
    }

    pub(super) fn assign(&mut self, target: &Name, value: &Expr, found: TypeSet) {
        let name = target.text.as_str();
        let value_span = value.span;
        match builtins::system_variable(name) {
            Some(SystemVariable::Metric(_)) => self.report(
                Code::AssignReadOnly,
                target.span,
                format!("cannot assign to '{name}': a sampled metric is read-only"),
                None,
            ),
            Some(SystemVariable::Pool { scalar, .. }) => {
                let help = match scalar {
                    PoolScalar::CurrentDedicatedNodes => Some(Target::Dedicated),
                    PoolScalar::CurrentLowPriorityNodes => Some(Target::LowPriority),
                    _ => None,
                }
                .map(|t| {
                    format!(
                        "to change the pool's size, assign '{}'",
                        builtins::target_name(t)
                    )
                });
                self.report(
                    Code::AssignReadOnly,
                    target.span,
                    format!(
                        "cannot assign to '{name}': it is read-only, set from the pool's state"
                    ),
                    help,
                );
            }
            Some(SystemVariable::Target { legacy, .. }) => {
                if legacy {
                    self.legacy(name, target.span);
                }
                // Checked where the run ends (or stops): a later assignment may fix it.
                self.targets
                    .insert(name.to_string(), (found, self.current_span));
                self.assigned.insert(name.to_string(), found);
            }
            None => {
                if builtins::time_constant(name).is_some() {
                    let message = format!("cannot assign to '{name}': it is a time constant");
                    let help = Some("give your variable another name".to_string());
                    self.report(Code::AssignConstant, target.span, message, help);
                    return;
                }
                if DeallocationOption::from_keyword(name).is_some() {
                    let message =
                        format!("cannot assign to '{name}': it is a deallocation keyword");
                    let help = Some("give your variable another name".to_string());
                    self.report(Code::AssignConstant, target.span, message, help);
                    return;
                }
                if !self.assigned.contains_key(name) {
                    self.first_user_assignment(target);
                }
                // A `?:` that yields a keyword has had its own warning.
                if found.contains(Type::Deallocation)
                    && !matches!(value.kind, ExprKind::Conditional { .. })
                {
                    self.deallocation_pass_through(value_span);
                }
                if is_multi_sample(value) {
                    self.sample_vectors.insert(name.to_string());
                } else {
                    self.sample_vectors.remove(name);
                }
                self.assigned.insert(name.to_string(), found);
            }
        }
    }

    /// Where the run may end (the end of the formula, or a `stop()`): each target that
    /// decides the pool's value must hold its type, reported at its last assignment
    /// (section 9.1). The full name decides when assigned, else the legacy alias \[doc\].
    pub(super) fn targets_at_end(&mut self) {
        for t in [
            Target::Dedicated,
            Target::LowPriority,
            Target::DeallocationOption,
        ] {
            let full = builtins::target_name(t);
            let deciding = [Some(full), builtins::legacy_name(t)]
                .into_iter()
                .flatten()
                .find_map(|n| self.targets.get(n).map(|&(found, span)| (n, found, span)));
            let Some((name, found, span)) = deciding else {
                continue;
            };
            if !self.targets_reported.insert((name.to_string(), span.start)) {
                continue;
            }
            if t == Target::DeallocationOption {
                let keywords = keyword_list();
                self.require(
                    found,
                    TypeSet::DEALLOCATION,
                    span,
                    Code::DeallocationType,
                    |bad| format!("'{name}' can only hold a deallocation option, not {bad}"),
                    || Some(format!("assign one of {keywords}")),
                );
            } else {
                self.require(
                    found,
                    TypeSet::DOUBLE,
                    span,
                    Code::TargetType,
                    |bad| format!("'{name}' must end the run as a double, not {bad}"),
                    || vector_help(found),
                );
            }
        }
    }

    /// Warnings for the first assignment of a user variable whose name invites a mistake.
    pub(super) fn first_user_assignment(&mut self, target: &Name) {
        let name = target.text.as_str();
        if builtins::function(name).is_some() {
            self.report(
                Code::FunctionNameVariable,
                target.span,
                format!(
                    "'{name}' is also the name of a function; the service's behaviour here is \
                     unverified: it may not accept a variable of that name"
                ),
                Some("give the variable another name".to_string()),
            );
            return;
        }
        // A target written with the wrong case or a typo is a new user variable: the
        // pool's target is then never set.
        let targets = builtins::SYSTEM_VARIABLES
            .iter()
            .filter(|(_, v)| matches!(v, SystemVariable::Target { .. }))
            .map(|(n, _)| *n);
        if let Some(similar) = suggest(name, targets) {
            self.report(
                Code::LookalikeTarget,
                target.span,
                format!(
                    "'{name}' is a new user variable, not the system variable '{similar}', \
                     so this assignment does not set '{similar}'"
                ),
                Some(format!("did you mean '{similar}'?")),
            );
        }
    }

    pub(super) fn legacy(&mut self, name: &str, span: Span) {
        let Some(full) = builtins::full_name_of(name) else {
            return;
        };
        if self.legacy_seen.insert(name.to_string()) {
            self.report(
                Code::LegacyName,
                span,
                format!("'{name}' is a legacy name of '{full}'"),
                Some(format!("use '{full}'")),
            );
        }
    }

    pub(super) fn deallocation_pass_through(&mut self, span: Span) {
        self.report(
            Code::DeallocationPassThrough,
            span,
            "a deallocation option passes through a variable or '?:' here; the service's \
             behaviour here is unverified: it may accept a deallocation keyword only when \
             assigned directly to $NodeDeallocationOption"
                .to_string(),
            Some(
                "assign the keyword directly, as in '$NodeDeallocationOption = taskcompletion;'"
                    .to_string(),
            ),
        );
    }

    pub(super) fn retired(&mut self, metric: Metric, span: Span) {
        if metric.is_retired() {
            self.report(
                Code::RetiredMetric,
                span,
                format!(
                    "'{}' was retired by the service in 2024: it holds no samples unless the \
                     snapshot gives some",
                    metric.name()
                ),
                Some(
                    "scale on task counts ($PendingTasks, $ActiveTasks) or $CPUPercent".to_string(),
                ),
            );
        }
    }

    pub(super) fn expr(&mut self, e: &Expr, use_: Use) -> TypeSet {
        // Callers refuse deeper formulas before checking (a syntax error); stopping here
        // keeps the recursion bounded on any tree a library user may build.
        if self.depth >= MAX_NESTING_DEPTH {
            return TypeSet::UNKNOWN;
        }
        self.depth += 1;
        let found = self.expr_kind(e, use_);
        self.depth -= 1;
        if let Some(value) = self.constant_value(e) {
            self.constants.insert((e.span.start, e.span.end), value);
        }
        if let Some(types) = &mut self.types {
            types.insert((e.span.start, e.span.end), found);
        }
        found
    }

    pub(super) fn expr_kind(&mut self, e: &Expr, use_: Use) -> TypeSet {
        match &e.kind {
            ExprKind::Number(_) => TypeSet::DOUBLE,
            ExprKind::String(_) => TypeSet::STRING,
            ExprKind::Name(name) => self.read(name, e.span),
            ExprKind::Unary { op, operand } => {
                let found = self.expr(operand, Use::Value);
                let result = self.unary(*op, found, e.span);
                if let Some(x) = self.constant(operand)
                    && !result.is_unknown()
                    && let Err(detail) = crate::builtins::operators::unary(*op, x)
                {
                    self.report(
                        Code::ConstantFails,
                        e.span,
                        format!("this always fails: {detail}"),
                        None,
                    );
                }
                result
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.expr(lhs, Use::Value);
                let before = self.fallible_samples;
                let b = self.expr(rhs, Use::Value);
                if matches!(op, BinaryOp::And | BinaryOp::Or) && self.fallible_samples > before {
                    self.short_circuit(*op, rhs.span);
                }
                self.precedence(e, *op, lhs, rhs);
                let error_span = crate::eval::compile::operator_span(e);
                self.binary(e.span, error_span, *op, lhs, rhs, a, b)
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(condition, Use::Value);
                self.require(
                    c,
                    TypeSet::DOUBLE,
                    condition.span,
                    Code::ConditionType,
                    |bad| format!("the condition of '?:' must be a double, not {bad}"),
                    || vector_help(c),
                );
                let a = self.expr(then, use_);
                let b = self.expr(otherwise, use_);
                if a.union(b).contains(Type::Deallocation) {
                    self.deallocation_pass_through(e.span);
                }
                if use_ == Use::Value && !a.is_unknown() && !b.is_unknown() && a != b {
                    self.report(
                        Code::BranchTypesDiffer,
                        e.span,
                        format!(
                            "the branches of '?:' have different types, {a} and {b}; the \
                             service's behaviour here is unverified: it may reject them"
                        ),
                        Some("give both branches the same type".to_string()),
                    );
                }
                a.union(b)
            }
            ExprKind::Call {
                function,
                args,
                args_span,
            } => self.call(e.span, function, args, *args_span, use_),
            ExprKind::Method {
                receiver,
                method,
                args,
                args_span,
            } => self.method(receiver, method, args, *args_span),
            ExprKind::Field { receiver, field } => self.field(receiver, field),
        }
    }

    /// The constant an expression is, from its operands' constants (already checked).
    pub(super) fn constant_value(&self, e: &Expr) -> Option<Value> {
        match &e.kind {
            ExprKind::Number(x) => Some(Value::Double(*x)),
            ExprKind::String(s) => Some(Value::String(s.as_str().into())),
            ExprKind::Name(name) => builtins::time_constant(name).map(Value::Interval),
            ExprKind::Unary { op, operand } => {
                crate::builtins::operators::unary(*op, self.constant(operand)?).ok()
            }
            ExprKind::Binary { op, lhs, rhs } => {
                crate::builtins::operators::binary(*op, self.constant(lhs)?, self.constant(rhs)?)
                    .ok()
            }
            _ => None,
        }
    }

    /// The constant an expression already checked is, if it is one.
    pub(super) fn constant(&self, e: &Expr) -> Option<&Value> {
        self.constants.get(&(e.span.start, e.span.end))
    }

    /// The type of a name read as a value.
    pub(super) fn read(&mut self, name: &str, span: Span) -> TypeSet {
        match builtins::system_variable(name) {
            Some(SystemVariable::Metric(metric)) => {
                let name = metric.name();
                self.report(
                    Code::MetricAsValue,
                    span,
                    format!("{name} is a sampled metric and cannot be used as a value"),
                    Some(format!("use a method such as {name}.GetSample(1)")),
                );
                TypeSet::UNKNOWN
            }
            Some(SystemVariable::Target { target, legacy }) => {
                if legacy {
                    self.legacy(name, span);
                }
                // Until assigned, a target holds the pool's value (or `requeue`) [seen].
                let initial = match target {
                    Target::DeallocationOption => TypeSet::DEALLOCATION,
                    _ => TypeSet::DOUBLE,
                };
                if target == Target::DeallocationOption && !self.assigned.contains_key(name) {
                    self.warning_once(
                        Code::DeallocationStart,
                        span,
                        format!(
                            "'{name}' is read before any statement assigns it, so it is \
                             'requeue'; the service's behaviour here is unverified: it may \
                             keep the value of the previous evaluation"
                        ),
                        Some(format!("assign '{name}' before reading it")),
                    );
                }
                self.assigned.get(name).copied().unwrap_or(initial)
            }
            Some(SystemVariable::Pool { legacy, .. }) => {
                if legacy {
                    self.legacy(name, span);
                }
                TypeSet::DOUBLE
            }
            None if builtins::time_constant(name).is_some() => {
                if builtins::time_constant_def(name).is_some_and(|c| c.decided) {
                    self.warning_once(
                        Code::YearLength,
                        span,
                        "'TimeInterval_Year' is taken as 365 days; the service's behaviour \
                         here is unverified: its year may be another length"
                            .to_string(),
                        Some(
                            "write the length you mean, as in 'TimeInterval_Day * 365'".to_string(),
                        ),
                    );
                }
                TypeSet::TIME_INTERVAL
            }
            None if DeallocationOption::from_keyword(name).is_some() => TypeSet::DEALLOCATION,
            None => match self.assigned.get(name) {
                Some(found) => *found,
                None => {
                    self.undefined(name, span);
                    TypeSet::UNKNOWN
                }
            },
        }
    }

    pub(super) fn undefined(&mut self, name: &str, span: Span) {
        let known = builtins::all_known_names().filter(|n| builtins::function(n).is_none());
        let users = self.assigned.keys().map(String::as_str);
        let similar = suggest(name, known.map(|n| -> &str { n }).chain(users)).map(str::to_string);
        let boolean = ["true", "false"]
            .iter()
            .any(|b| name.eq_ignore_ascii_case(b));
        let help = if boolean {
            Some("there are no boolean constants: write 1 for true and 0 for false".to_string())
        } else if let Some(similar) = similar {
            Some(format!("did you mean '{similar}'?"))
        } else if builtins::function(name).is_some() {
            Some(format!(
                "'{name}' is a function: call it, as in '{name}(...)'"
            ))
        } else {
            match self.first_assignment.get(name) {
                Some(&i) if i == self.current => Some(format!(
                    "this statement assigns '{name}' only after reading it; give it a value in \
                     an earlier statement"
                )),
                Some(&i) if i > self.current => Some(format!(
                    "'{name}' is first assigned by a later statement, and statements run in \
                     order; move that assignment before this one"
                )),
                _ => None,
            }
        };
        self.report(
            Code::UndefinedSymbol,
            span,
            format!("undefined symbol '{name}'"),
            help,
        );
    }

    /// Whether an expression is a vector of several samples: a `GetSample` call other
    /// than `GetSample(1)`, or a variable last assigned one.
    pub(super) fn several_samples(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(name) => self.sample_vectors.contains(name),
            _ => is_multi_sample(e),
        }
    }
}

/// Whether a statement's expression is `stop()`: the run always ends there.
pub(crate) fn is_stop(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { function, args, .. }
        if args.is_empty()
            && builtins::function(&function.text)
                .is_some_and(|f| f.implementation == builtins::Implementation::Stop))
}

/// The metric a receiver names, if it is a sampled metric.
pub(super) fn metric_of(receiver: &Expr) -> Option<Metric> {
    match &receiver.kind {
        ExprKind::Name(name) => match builtins::system_variable(name) {
            Some(SystemVariable::Metric(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// A `GetSample` call that can give more than one sample (anything but `GetSample(1)`).
pub(super) fn is_multi_sample(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Method { method, args, .. }
            if Method::from_name(&method.text) == Some(Method::GetSample) =>
        {
            !matches!(args.as_slice(), [n] if literal(n).is_some_and(|c| c.trunc() <= 1.0))
        }
        _ => false,
    }
}
