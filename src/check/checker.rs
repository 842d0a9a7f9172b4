//! The static checker (language.md): every error it can prove before a run, and warnings
//! where the outcome depends on a [decided] rule or on a type the checker cannot pin down.
//!
//! The service reports these errors only when the offending statement runs (section 9);
//! the checker reports them all up front, because the formula fails whenever that code is
//! reached. Every name, arity and type comes from [`builtins`].
//!
//! Likely mistakes that are not errors (a sample window that fails on a new pool, a target
//! that can go negative, ...) are the lints of [`super::lint`], which reads the types this
//! checker finds ([`expression_types`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::builtins::forms::or_list;
use crate::builtins::operators;
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{
    self, Aggregate, DeallocationOption, Field, Function, Implementation, Method, Metric,
    PoolScalar, SystemVariable, Target,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::suggest;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Formula, Name, StatementKind, UnaryOp};
use crate::syntax::lexer::Token;
use crate::syntax::nesting::MAX_NESTING_DEPTH;
use crate::syntax::parser;
use crate::syntax::span::Span;

/// Checks a syntactically valid formula. Diagnostics come in source order.
pub fn check(formula: &Formula) -> Vec<Diagnostic> {
    run(formula, &Recovery::default(), false).0
}

/// What the checker needs to know to check the statements of a formula that did not
/// parse completely (so that one run reports every error, not only the syntax errors).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovery {
    /// Statements (indices into [`Formula::statements`]) not to check: they nest too
    /// deeply to walk.
    pub skip: Vec<usize>,
    /// Names assigned by statements that failed to parse or are skipped, with the byte
    /// offset of that statement. From there on each name counts as assigned, with an
    /// unknown type, so that reading it is not reported as undefined.
    pub assigned: Vec<(u32, String)>,
}

/// Checks the statements that parsed, as [`check`] does, knowing what the others assign.
pub fn check_recovered(formula: &Formula, recovery: &Recovery) -> Vec<Diagnostic> {
    run(formula, recovery, false).0
}

/// The types the checker found for each expression, for the lints.
#[derive(Debug, Clone, Default)]
pub struct ExprTypes(HashMap<(u32, u32), TypeSet>);

impl ExprTypes {
    /// The types `e` may have; unknown for an expression the checker did not type.
    pub fn of(&self, e: &Expr) -> TypeSet {
        self.0
            .get(&(e.span.start, e.span.end))
            .copied()
            .unwrap_or(TypeSet::UNKNOWN)
    }
}

/// The type of every expression of a formula, in the context where it stands (a variable
/// has the type of its last assignment before the statement).
pub fn expression_types(formula: &Formula) -> ExprTypes {
    run(formula, &Recovery::default(), true).1
}

fn run(formula: &Formula, recovery: &Recovery, record: bool) -> (Vec<Diagnostic>, ExprTypes) {
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
        first_assignment,
        current: 0,
        depth: 0,
        legacy_seen: BTreeSet::new(),
        once: BTreeSet::new(),
        fallible_samples: 0,
        sample_vectors: BTreeSet::new(),
        types: record.then(HashMap::new),
        diagnostics: Vec::new(),
    };
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
        match &statement.kind {
            StatementKind::Assign { target, value } => {
                // The right-hand side runs before the name is assigned: `x = x + 1`
                // reads an undefined `x` when no earlier statement assigned it.
                let found = checker.expr(value, Use::Value);
                checker.assign(target, value, found);
            }
            StatementKind::Expr(e) => {
                checker.expr(e, Use::Statement);
            }
        }
    }
    let mut diagnostics = checker.diagnostics;
    // Stable: diagnostics at one position keep the order they were found in.
    diagnostics.sort_by_key(|d| d.span.start);
    (diagnostics, ExprTypes(checker.types.unwrap_or_default()))
}

/// The names that statements which failed to parse would have assigned: every `name =`
/// in a `;`-separated stretch of the text where no statement parsed, with the offset of
/// the stretch. The checker takes them as assigned (see [`Recovery`]).
pub fn assigned_by_broken_statements(text: &str, formula: &Formula) -> Vec<(u32, String)> {
    let tokens = parser::recovered_tokens(text);
    let mut names = Vec::new();
    let mut statements = formula.statements.iter().map(|s| s.span.start as usize);
    let mut next_parsed = statements.next();
    for stretch in tokens.split(|(_, t, _)| *t == Token::Semicolon) {
        let (Some(first), Some(last)) = (stretch.first(), stretch.last()) else {
            continue;
        };
        while next_parsed.is_some_and(|s| s < first.0) {
            next_parsed = statements.next();
        }
        if next_parsed.is_some_and(|s| s <= last.0) {
            continue;
        }
        for pair in stretch.windows(2) {
            if let [
                (_, Token::Name(n) | Token::DollarName(n), _),
                (_, Token::Assign, _),
            ] = pair
            {
                names.push((first.0 as u32, n.clone()));
            }
        }
    }
    names
}

/// Warnings that need the text rather than the tree: empty statements (the parser drops
/// them) and `//` comments ended by a lone CR. Both depend on [decided] rules.
pub fn text_warnings(text: &str) -> Vec<Diagnostic> {
    let tokens = parser::recovered_tokens(text);
    let mut diagnostics = Vec::new();
    // `;;` or a `;` before the first statement: an empty statement. A `;` after the last
    // statement is the optional terminator, not an empty statement.
    let mut i = 0;
    while i < tokens.len() {
        let empty =
            tokens[i].1 == Token::Semicolon && (i == 0 || tokens[i - 1].1 == Token::Semicolon);
        if !empty {
            i += 1;
            continue;
        }
        let start = tokens[i].0;
        let mut end = tokens[i].2;
        i += 1;
        while i < tokens.len() && tokens[i].1 == Token::Semicolon {
            end = tokens[i].2;
            i += 1;
        }
        diagnostics.push(
            Diagnostic::new(
                Code::EmptyStatement,
                Span::new(start, end),
                "an empty statement; the service's behaviour here is unverified: it may \
                 reject a ';' with no statement before it",
            )
            .with_help("remove the extra ';'"),
        );
    }
    // Comments live in the gaps between tokens.
    let mut gap_start = 0;
    let ends = tokens
        .iter()
        .map(|t| (t.0, t.2))
        .chain([(text.len(), text.len())]);
    for (start, end) in ends {
        let gap = text.get(gap_start..start).unwrap_or("");
        let mut from = 0;
        while let Some(at) = gap[from..].find("//") {
            let comment_start = from + at;
            let length = gap[comment_start..]
                .find(['\r', '\n'])
                .unwrap_or(gap.len() - comment_start);
            let comment_end = comment_start + length;
            let bytes = gap.as_bytes();
            if bytes.get(comment_end) == Some(&b'\r') && bytes.get(comment_end + 1) != Some(&b'\n')
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::LoneCrComment,
                        Span::new(gap_start + comment_start, gap_start + comment_end),
                        "this comment ends at a lone carriage return (CR), which ends a line \
                         here; the service's behaviour here is unverified: it may read the \
                         next line as part of the comment",
                    )
                    .with_help("end lines with LF or CRLF"),
                );
            }
            from = comment_end.max(comment_start + 2);
        }
        gap_start = end;
    }
    diagnostics.sort_by_key(|d| d.span.start);
    diagnostics
}

/// What happens to an expression's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// The value is used.
    Value,
    /// A bare statement, or a branch of a bare statement's `?:`: the value is dropped,
    /// and `stop()` is allowed here.
    Statement,
}

struct Checker<'a> {
    /// Every variable assigned so far (user variables and targets), with the types of its
    /// last assignment. Assignments are whole statements and statements run in order, so
    /// this is exactly what a later statement sees.
    assigned: BTreeMap<String, TypeSet>,
    /// The first statement that assigns each name, for "assigned too late" hints.
    first_assignment: BTreeMap<&'a str, usize>,
    /// The statement being checked.
    current: usize,
    /// How deeply the expression being checked nests.
    depth: usize,
    /// The legacy names already warned about: once per name is enough.
    legacy_seen: BTreeSet<String>,
    /// The codes of warnings given once per formula, already given.
    once: BTreeSet<Code>,
    /// How many sample calls that can fail at run time (a window, `HistoryBeginTime`)
    /// have been checked so far: tells whether an operand contains one.
    fallible_samples: usize,
    /// User variables whose last assignment is a vector of several samples.
    sample_vectors: BTreeSet<String>,
    /// The type of every expression, when the lints asked for it.
    types: Option<HashMap<(u32, u32), TypeSet>>,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(code, span, message);
        d.help = help;
        self.diagnostics.push(d);
    }

    fn warning(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(code, span, message);
        d.help = help;
        self.diagnostics.push(d);
    }

    /// A warning given at most once per formula (its first occurrence).
    fn warning_once(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        if self.once.insert(code) {
            self.warning(code, span, message, help);
        }
    }

    /// Requires `found` to be within `wanted`: an error (with `code`) when no possible type
    /// fits, a "may fail" warning when only some do. `message` gets the types that do not
    /// fit. Says nothing about an unknown type (its error is already reported).
    fn require(
        &mut self,
        found: TypeSet,
        wanted: TypeSet,
        span: Span,
        code: Code,
        message: impl FnOnce(TypeSet) -> String,
        help: Option<String>,
    ) {
        if found.is_unknown() || found.is_subset_of(wanted) {
            return;
        }
        let bad = found.without(wanted);
        if found.intersection(wanted).is_unknown() {
            self.error(code, span, message(bad), help);
        } else {
            // Sound rather than hopeful: a type that is wrong on some path fails the run
            // whenever that path is taken, so it is an error like any other type error.
            let message = format!("this fails at run time on some paths: {}", message(bad));
            self.error(Code::TypeOnSomePaths, span, message, help);
        }
    }

    fn assign(&mut self, target: &Name, value: &Expr, found: TypeSet) {
        let name = target.text.as_str();
        let value_span = value.span;
        match builtins::system_variable(name) {
            Some(SystemVariable::Metric(_)) => self.error(
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
                self.error(
                    Code::AssignReadOnly,
                    target.span,
                    format!(
                        "cannot assign to '{name}': it is read-only, set from the pool's state"
                    ),
                    help,
                );
            }
            Some(SystemVariable::Target { target: t, legacy }) => {
                if legacy {
                    self.legacy(name, target.span);
                }
                if t == Target::DeallocationOption {
                    let keywords = keyword_list();
                    self.require(
                        found,
                        TypeSet::DEALLOCATION,
                        value_span,
                        Code::DeallocationType,
                        |bad| format!("'{name}' can only hold a deallocation option, not {bad}"),
                        Some(format!("assign one of {keywords}")),
                    );
                } else {
                    self.require(
                        found,
                        TypeSet::DOUBLE,
                        value_span,
                        Code::TargetType,
                        |bad| format!("'{name}' must be assigned a double, not {bad}"),
                        vector_help(found),
                    );
                }
                self.assigned.insert(name.to_string(), found);
            }
            None => {
                if builtins::time_constant(name).is_some() {
                    let message = format!("cannot assign to '{name}': it is a time constant");
                    let help = Some("give your variable another name".to_string());
                    self.error(Code::AssignConstant, target.span, message, help);
                    return;
                }
                if DeallocationOption::from_keyword(name).is_some() {
                    let message =
                        format!("cannot assign to '{name}': it is a deallocation keyword");
                    let help = Some("give your variable another name".to_string());
                    self.error(Code::AssignConstant, target.span, message, help);
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

    /// Warnings for the first assignment of a user variable whose name invites a mistake.
    fn first_user_assignment(&mut self, target: &Name) {
        let name = target.text.as_str();
        if builtins::function(name).is_some() {
            self.warning(
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
            self.warning(
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

    fn legacy(&mut self, name: &str, span: Span) {
        let Some(full) = builtins::full_name_of(name) else {
            return;
        };
        if self.legacy_seen.insert(name.to_string()) {
            self.warning(
                Code::LegacyName,
                span,
                format!("'{name}' is a legacy name of '{full}'"),
                Some(format!("use '{full}'")),
            );
        }
    }

    fn deallocation_pass_through(&mut self, span: Span) {
        self.warning(
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

    fn retired(&mut self, metric: Metric, span: Span) {
        if metric.is_retired() {
            self.warning(
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

    fn expr(&mut self, e: &Expr, use_: Use) -> TypeSet {
        // Callers refuse deeper formulas before checking (a syntax error); stopping here
        // keeps the recursion bounded on any tree a library user may build.
        if self.depth >= MAX_NESTING_DEPTH {
            return TypeSet::UNKNOWN;
        }
        self.depth += 1;
        let found = self.expr_kind(e, use_);
        self.depth -= 1;
        if let Some(types) = &mut self.types {
            types.insert((e.span.start, e.span.end), found);
        }
        found
    }

    fn expr_kind(&mut self, e: &Expr, use_: Use) -> TypeSet {
        match &e.kind {
            ExprKind::Number(_) => TypeSet::DOUBLE,
            ExprKind::String(_) => TypeSet::STRING,
            ExprKind::Name(name) => self.read(name, e.span),
            ExprKind::Unary { op, operand } => {
                let found = self.expr(operand, Use::Value);
                self.unary(*op, found, e.span)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.expr(lhs, Use::Value);
                let before = self.fallible_samples;
                let b = self.expr(rhs, Use::Value);
                if matches!(op, BinaryOp::And | BinaryOp::Or) && self.fallible_samples > before {
                    self.short_circuit(*op, rhs.span);
                }
                self.precedence(e, *op, lhs, rhs);
                self.binary(e.span, *op, lhs, rhs, a, b)
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
                    vector_help(c),
                );
                let a = self.expr(then, use_);
                let b = self.expr(otherwise, use_);
                if a.union(b).contains(Type::Deallocation) {
                    self.deallocation_pass_through(e.span);
                }
                if use_ == Use::Value && !a.is_unknown() && !b.is_unknown() && a != b {
                    self.warning(
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

    /// The type of a name read as a value.
    fn read(&mut self, name: &str, span: Span) -> TypeSet {
        match builtins::system_variable(name) {
            Some(SystemVariable::Metric(metric)) => {
                let name = metric.name();
                self.error(
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

    fn undefined(&mut self, name: &str, span: Span) {
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
        self.error(
            Code::UndefinedSymbol,
            span,
            format!("undefined symbol '{name}'"),
            help,
        );
    }

    /// A sample call that can fail, on the right of `&&` or `||`: whether it runs depends
    /// on short-circuit evaluation [decided].
    fn short_circuit(&mut self, op: BinaryOp, rhs: Span) {
        let when = if op == BinaryOp::And { "false" } else { "true" };
        self.warning(
            Code::ShortCircuit,
            rhs,
            format!(
                "this sample call runs only when the left side of '{}' is not {when} \
                 (short-circuit evaluation); the service's behaviour here is unverified: it \
                 may evaluate both sides, and the call may then fail",
                op.symbol()
            ),
            Some(
                "guard the call with 'condition ? ... : ...', which runs only one branch"
                    .to_string(),
            ),
        );
    }

    /// `a && b || c` and `a < b < c` without parentheses: C's precedence [decided].
    fn precedence(&mut self, e: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) {
        // Parentheses leave no node: a child is bare when it starts (left operand) or ends
        // (right operand) where its parent does.
        let bare = |child: &Expr, left: bool| {
            if left {
                child.span.start == e.span.start
            } else {
                child.span.end == e.span.end
            }
        };
        let binary_op = |child: &Expr| match &child.kind {
            ExprKind::Binary { op, .. } => Some(*op),
            _ => None,
        };
        for (child, left) in [(lhs, true), (rhs, false)] {
            let Some(inner) = binary_op(child) else {
                continue;
            };
            if !bare(child, left) {
                continue;
            }
            let mixed_logic = matches!(
                (op, inner),
                (BinaryOp::Or, BinaryOp::And) | (BinaryOp::And, BinaryOp::Or)
            );
            let chained = op.is_comparison() && inner.is_comparison();
            if mixed_logic {
                self.warning(
                    Code::Precedence,
                    e.span,
                    "'&&' and '||' are mixed without parentheses; '&&' binds tighter here, \
                     as in C, but the service's behaviour here is unverified"
                        .to_string(),
                    Some(
                        "add parentheses to say which you mean, as in '(a && b) || c'".to_string(),
                    ),
                );
            } else if chained {
                self.warning(
                    Code::Precedence,
                    e.span,
                    format!(
                        "'{}' compares the result of '{}' (1 or 0), as in C; the service's \
                         behaviour here is unverified, and this is rarely what is meant",
                        op.symbol(),
                        inner.symbol()
                    ),
                    Some("to test a range, write 'a < b && b < c'".to_string()),
                );
            }
        }
    }

    /// Whether an expression is a vector of several samples: a `GetSample` call other
    /// than `GetSample(1)`, or a variable last assigned one.
    fn several_samples(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(name) => self.sample_vectors.contains(name),
            _ => is_multi_sample(e),
        }
    }

    fn unary(&mut self, op: UnaryOp, found: TypeSet, span: Span) -> TypeSet {
        let mut result = TypeSet::UNKNOWN;
        let mut invalid = None;
        for t in found.iter() {
            match operators::unary_rule(op, t) {
                Some(rule) => result.insert(rule.result),
                None => invalid = invalid.or(Some(t)),
            }
        }
        let Some(bad) = invalid else {
            return result;
        };
        let symbol = op.symbol();
        let help = operand_help(None, found, TypeSet::UNKNOWN);
        if result.is_unknown() {
            let message = format!("operator '{symbol}' is not defined for {found}");
            self.error(Code::OperatorType, span, message, help);
        } else {
            let message = format!(
                "this fails at run time on some paths: operator '{symbol}' is not defined for {}",
                TypeSet::of(bad)
            );
            self.error(Code::TypeOnSomePaths, span, message, help);
        }
        result
    }

    fn binary(
        &mut self,
        span: Span,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        a: TypeSet,
        b: TypeSet,
    ) -> TypeSet {
        self.constant_operands(span, op, lhs, rhs, a);
        let mut result = TypeSet::UNKNOWN;
        let mut invalid = None;
        for x in a.iter() {
            for y in b.iter() {
                match binary_type(op, x, y) {
                    Some(t) => result.insert(t),
                    None => invalid = invalid.or(Some((x, y))),
                }
            }
        }
        let symbol = op.symbol();
        let arithmetic = matches!(
            op,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        );
        if arithmetic && a.contains(Type::Double) && b.contains(Type::DoubleVec) {
            let help = matches!(op, BinaryOp::Add | BinaryOp::Mul)
                .then(|| format!("put the doubleVec on the left, as in 'v {symbol} 2'"));
            self.warning(
                Code::ScalarVectorOperation,
                span,
                format!(
                    "a double {symbol} a doubleVec is applied element by element; the \
                     service's behaviour here is unverified: it documents only doubleVec \
                     {symbol} double and may reject this"
                ),
                help,
            );
        }
        if arithmetic
            && a.contains(Type::DoubleVec)
            && b.contains(Type::DoubleVec)
            && !same_vector(lhs, rhs)
        {
            self.warning(
                Code::VectorPairwise,
                span,
                format!(
                    "'{symbol}' between two doubleVecs works pair by pair, and vectors of \
                     different lengths fail the run; the service's behaviour here is \
                     unverified: it may treat different lengths otherwise"
                ),
                Some("reduce each vector to one number first, as in 'avg(a) + avg(b)'".to_string()),
            );
        }
        let ordering = matches!(
            op,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        );
        if ordering && a.contains(Type::String) && b.contains(Type::String) {
            self.warning(
                Code::StringOrder,
                span,
                format!(
                    "strings are ordered by '{symbol}' character code by character code \
                     (ordinal); the service's behaviour here is unverified: it may compare \
                     them by culture rules or reject this"
                ),
                Some("compare strings only with '==' or '!='".to_string()),
            );
        }
        let Some((x, y)) = invalid else {
            return result;
        };
        let help = operand_help(Some(op), a, b);
        if result.is_unknown() {
            let message = format!("operator '{symbol}' is not defined for {a} and {b}");
            self.error(Code::OperatorType, span, message, help);
        } else {
            let message = format!(
                "this fails at run time on some paths: operator '{symbol}' is not defined for {} and {}",
                TypeSet::of(x),
                TypeSet::of(y)
            );
            self.error(Code::TypeOnSomePaths, span, message, help);
        }
        result
    }

    /// Checks that need a constant operand: division by zero, `.weekday` against 7.
    fn constant_operands(&mut self, span: Span, op: BinaryOp, lhs: &Expr, rhs: &Expr, a: TypeSet) {
        if op == BinaryOp::Div && constant(rhs) == Some(0.0) && !a.is_unknown() {
            if a.is_subset_of(TypeSet::TIME_INTERVAL) {
                self.error(
                    Code::IntervalDivisionByZero,
                    span,
                    "dividing a timeinterval by zero always leaves the range of time intervals"
                        .to_string(),
                    Some("divide by a number other than 0".to_string()),
                );
            } else if !a.intersection(TypeSet::LIST_ITEM).is_unknown() {
                self.warning(
                    Code::DivisionByZero,
                    span,
                    "division by zero gives an infinity or NaN; the service's behaviour here \
                     is unverified"
                        .to_string(),
                    Some("guard the division, as in 'n > 0 ? x / n : 0'".to_string()),
                );
            }
        }
        let weekday_against_seven = |field: &Expr, other: &Expr| {
            matches!(&field.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday))
                && constant(other) == Some(7.0)
        };
        let weekday_against_zero = |field: &Expr, other: &Expr| {
            matches!(&field.kind, ExprKind::Field { field, .. } if Field::from_name(&field.text) == Some(Field::Weekday))
                && constant(other) == Some(0.0)
        };
        if op.is_comparison() && (weekday_against_zero(lhs, rhs) || weekday_against_zero(rhs, lhs))
        {
            self.warning(
                Code::WeekdaySunday,
                span,
                "'.weekday' is 0 on Sunday here (as .NET counts); the service's behaviour \
                 here is unverified: it may count Sunday as 7"
                    .to_string(),
                Some(
                    "where you can, test the weekdays 1 (Monday) to 6 (Saturday) instead"
                        .to_string(),
                ),
            );
        }
        if op.is_comparison()
            && (weekday_against_seven(lhs, rhs) || weekday_against_seven(rhs, lhs))
        {
            self.warning(
                Code::WeekdaySeven,
                span,
                "'.weekday' runs from 0 (Sunday) to 6 (Saturday) and is never 7; the service's \
                 behaviour here is unverified: Sunday is taken as 0"
                    .to_string(),
                Some("use 0 for Sunday".to_string()),
            );
        }
    }

    fn call(
        &mut self,
        span: Span,
        function: &Name,
        args: &[Expr],
        args_span: Span,
        use_: Use,
    ) -> TypeSet {
        let found: Vec<TypeSet> = args.iter().map(|a| self.expr(a, Use::Value)).collect();
        let name = function.text.as_str();
        let Some(def) = builtins::function(name) else {
            let help =
                if let Some(similar) = suggest(name, builtins::FUNCTIONS.iter().map(|f| f.name)) {
                    Some(format!("did you mean '{similar}'?"))
                } else if Method::from_name(name).is_some() {
                    Some(format!(
                        "'{name}' is a method of sampled metrics, as in '$CPUPercent.{name}(...)'"
                    ))
                } else {
                    None
                };
            let message = format!("unknown function '{name}'");
            self.error(Code::UnknownFunction, function.span, message, help);
            return TypeSet::UNKNOWN;
        };
        let forms = def.forms();
        // A list form takes any number of arguments, each a double or a doubleVec [doc];
        // the other forms a fixed number, each of its parameter's types.
        let fits = if forms.has_list() {
            self.list_arguments(def, args, &found);
            true
        } else if self.arity(def, args, args_span) {
            let params = forms.param_types(args.len()).unwrap_or_default();
            for (i, ((arg, t), wanted)) in args.iter().zip(&found).zip(params).enumerate() {
                self.fixed_argument(def, i, arg, *t, wanted);
            }
            true
        } else {
            false
        };
        match def.implementation {
            Implementation::Aggregate(kind) => {
                if kind == Aggregate::Std && found.as_slice() == [TypeSet::DOUBLE] {
                    self.warning(
                        Code::StdOfOne,
                        span,
                        "std() of one value is 0 here; the service's behaviour here is \
                         unverified: it may fail, as a sample standard deviation needs two \
                         values"
                            .to_string(),
                        Some("pass a vector of samples, as in 'std(v)'".to_string()),
                    );
                }
                if args.is_empty() && kind.fails_on_empty_list() {
                    self.error(
                        Code::EmptyArgumentList,
                        span,
                        format!(
                            "{name}() with no arguments always fails: its list of values is empty"
                        ),
                        Some(format!("pass at least one value, as in '{name}(v)'")),
                    );
                }
            }
            Implementation::Elementwise(_) | Implementation::Vec => {}
            Implementation::Percentile | Implementation::Val => {
                if fits {
                    self.constant_index_or_percentage(def, &args[1]);
                    if def.implementation == Implementation::Val && self.several_samples(&args[0]) {
                        self.warning(
                            Code::SampleOrder,
                            span,
                            "val() picks an element by position, and sample vectors are taken \
                             oldest first; the service's behaviour here is unverified: its \
                             vectors may be newest first"
                                .to_string(),
                            Some(
                                "use an order-free summary such as max(), avg() or \
                                 percentile(), or GetSample(1) for the latest sample"
                                    .to_string(),
                            ),
                        );
                    }
                }
                if def.implementation == Implementation::Percentile {
                    self.warning_once(
                        Code::PercentileMethod,
                        function.span,
                        "percentile() takes the nearest rank (no interpolation); the \
                         service's behaviour here is unverified: it may interpolate between \
                         samples"
                            .to_string(),
                        None,
                    );
                }
            }
            Implementation::Rand => {
                self.warning_once(
                    Code::RandValues,
                    span,
                    "rand() gives reproducible values offline, from the snapshot's randomSeed; \
                     the service's values are random and differ from run to run"
                        .to_string(),
                    None,
                );
            }
            Implementation::Stop => {
                if use_ == Use::Value {
                    self.error(
                        Code::StopValue,
                        span,
                        "stop() has no value to use".to_string(),
                        Some("call stop() as a statement of its own: 'stop();'".to_string()),
                    );
                    return TypeSet::UNKNOWN;
                }
                self.warning_once(
                    Code::StopKeepsAssignments,
                    span,
                    "stop() ends the run here without an error, keeping the assignments made \
                     before it; the service's behaviour here is unverified: it may discard \
                     them or report an error"
                        .to_string(),
                    Some(
                        "where you can, choose the values with '?:' instead of stopping"
                            .to_string(),
                    ),
                );
            }
            Implementation::Time => {
                if fits
                    && let [text] = args
                    && let ExprKind::String(literal) = &text.kind
                    && let Err(detail) = crate::time::parse::parse_time_literal(literal)
                {
                    let message = format!("time(\"{literal}\") always fails: {detail}");
                    self.error(Code::InvalidTimeText, text.span, message, None);
                }
            }
        }
        forms.result_type(&found)
    }

    /// Checks the number of arguments; true when it is right.
    fn arity(&mut self, def: &Function, args: &[Expr], args_span: Span) -> bool {
        let forms = def.forms();
        if forms.takes(args.len()) {
            return true;
        }
        let most = forms.counts().last().copied().unwrap_or(0);
        let span = extra_arguments_span(args, most).unwrap_or(args_span);
        self.error(
            Code::Arity,
            span,
            format!(
                "{}() takes {}, got {}",
                def.name,
                forms.arity_text(),
                args.len()
            ),
            Some(format!("use {}", def.signature())),
        );
        false
    }

    /// Every argument of a `doubleVecList` parameter is a double or a doubleVec [doc].
    fn list_arguments(&mut self, def: &Function, args: &[Expr], found: &[TypeSet]) {
        for (arg, t) in args.iter().zip(found) {
            self.require(
                *t,
                TypeSet::LIST_ITEM,
                arg.span,
                Code::ArgumentType,
                |bad| format!("{}() takes doubles and doubleVecs, not {bad}", def.name),
                Some(format!("use {}", def.signature())),
            );
        }
    }

    fn fixed_argument(
        &mut self,
        def: &Function,
        index: usize,
        arg: &Expr,
        found: TypeSet,
        wanted: TypeSet,
    ) {
        self.require(
            found,
            wanted,
            arg.span,
            Code::ArgumentType,
            |bad| {
                format!(
                    "argument {} of {}() must be {wanted}, not {bad}",
                    index + 1,
                    def.name
                )
            },
            Some(format!("use {}", def.signature())),
        );
    }

    /// `percentile(v, p)` with a constant p outside 0..100 always fails; `val(v, i)` with
    /// a constant negative index is always 0 [decided].
    fn constant_index_or_percentage(&mut self, def: &Function, arg: &Expr) {
        let Some(c) = constant(arg) else {
            return;
        };
        match def.implementation {
            Implementation::Percentile if !(0.0..=100.0).contains(&c) => self.error(
                Code::ArgumentOutOfRange,
                arg.span,
                format!("percentile() always fails here: the percentage must be between 0 and 100, got {c}"),
                Some("percentages run from 0 to 100: 90 is the 90th percentile".to_string()),
            ),
            // The index is truncated toward zero: -0.5 reads element 0.
            Implementation::Val if c.trunc() < 0.0 => self.warning(
                Code::NegativeValIndex,
                arg.span,
                format!(
                    "val() with the negative index {c} is always 0; the service's behaviour \
                     here is unverified"
                ),
                Some("indices count from 0".to_string()),
            ),
            _ => {}
        }
    }

    fn method(
        &mut self,
        receiver: &Expr,
        method: &Name,
        args: &[Expr],
        args_span: Span,
    ) -> TypeSet {
        let found: Vec<TypeSet> = args.iter().map(|a| self.expr(a, Use::Value)).collect();
        let name = method.text.as_str();
        let Some(metric) = metric_of(receiver) else {
            let t = self.expr(receiver, Use::Value);
            if !t.is_unknown() {
                let help = if Field::from_name(name).is_some() && t.contains(Type::Timestamp) {
                    Some(format!("a field is read without parentheses: '.{name}'"))
                } else {
                    Some(format!(
                        "methods are called on sampled metrics, as in '$CPUPercent.{name}(...)'"
                    ))
                };
                self.error(
                    Code::MethodReceiver,
                    receiver.span,
                    format!("'{name}' is called on {t}, but only sampled metrics have methods"),
                    help,
                );
            }
            return TypeSet::UNKNOWN;
        };
        self.retired(metric, receiver.span);
        let Some(m) = Method::from_name(name) else {
            let help = match suggest(name, Method::ALL.iter().map(|m| m.name())) {
                Some(similar) => format!("did you mean '{similar}'?"),
                None => format!("the methods are {}", method_list()),
            };
            let message = format!("sampled metrics have no method '{name}'");
            self.error(Code::UnknownMethod, method.span, message, Some(help));
            return TypeSet::UNKNOWN;
        };
        let help = || Some(format!("use {}", m.signature()));
        let forms = m.forms();
        match forms.param_types(args.len()) {
            Some(params) => {
                for (i, ((arg, t), wanted)) in args.iter().zip(&found).zip(params).enumerate() {
                    self.require(
                        *t,
                        wanted,
                        arg.span,
                        Code::ArgumentType,
                        |bad| {
                            format!(
                                "argument {} of {}() must be {wanted}, not {bad}",
                                i + 1,
                                m.name()
                            )
                        },
                        help(),
                    );
                }
                self.constant_sample_arguments(metric, m, args);
                let window =
                    m == Method::GetSample && !found[0].intersection(TypeSet::TIME).is_unknown();
                let no_percentage_needed = args.len() > 1
                    && found[args.len() - 1] == TypeSet::DOUBLE
                    && args.last().and_then(constant) == Some(0.0);
                if (window && !no_percentage_needed) || m == Method::HistoryBeginTime {
                    self.fallible_samples += 1;
                }
            }
            None => {
                let most = forms.counts().last().copied().unwrap_or(0);
                let span = extra_arguments_span(args, most).unwrap_or(args_span);
                self.error(
                    Code::Arity,
                    span,
                    format!(
                        "method '{}' takes {}, got {}",
                        m.name(),
                        forms.arity_text(),
                        args.len()
                    ),
                    help(),
                );
            }
        }
        forms.result_type(&found)
    }

    /// `GetSample(n)` with a constant n < 1, or a constant required percentage outside
    /// 0..100, always fails.
    fn constant_sample_arguments(&mut self, metric: Metric, m: Method, args: &[Expr]) {
        if m != Method::GetSample {
            return;
        }
        let metric = metric.name();
        match args {
            [count] => {
                if let Some(n) = constant(count)
                    && n < 1.0
                {
                    self.error(
                        Code::ArgumentOutOfRange,
                        count.span,
                        format!("{metric}.GetSample() always fails here: the sample count must be at least 1, got {n}"),
                        Some(format!("{metric}.GetSample(1) is the latest sample")),
                    );
                }
            }
            // A constant number in last place is the required percentage.
            [_, percent] | [_, _, percent] => {
                if let Some(p) = constant(percent)
                    && !(0.0..=100.0).contains(&p)
                {
                    self.error(
                        Code::ArgumentOutOfRange,
                        percent.span,
                        format!("{metric}.GetSample() always fails here: the required percentage must be between 0 and 100, got {p}"),
                        Some("percentages run from 0 to 100".to_string()),
                    );
                }
            }
            _ => {}
        }
    }

    fn field(&mut self, receiver: &Expr, field: &Name) -> TypeSet {
        let name = field.text.as_str();
        if let Some(metric) = metric_of(receiver) {
            self.retired(metric, receiver.span);
            let metric = metric.name();
            let help = if Method::from_name(name).is_some() {
                format!("call the method: '{metric}.{name}()'")
            } else {
                format!("use a method such as {metric}.GetSample(1)")
            };
            self.error(
                Code::FieldReceiver,
                receiver.span,
                format!(
                    "{metric} is a sampled metric and has no fields, so '.{name}' cannot be read"
                ),
                Some(help),
            );
            return TypeSet::UNKNOWN;
        }
        let t = self.expr(receiver, Use::Value);
        self.require(
            t,
            TypeSet::TIMESTAMP,
            receiver.span,
            Code::FieldReceiver,
            |bad| format!("'.{name}' reads a field of a timestamp, not of {bad}"),
            None,
        );
        if !t.contains(Type::Timestamp) {
            return TypeSet::UNKNOWN;
        }
        if Field::from_name(name).is_none() {
            let help = match suggest(name, Field::ALL.iter().map(|f| f.name())) {
                Some(similar) => format!("did you mean '{similar}'?"),
                None => format!("the fields are {}", field_list()),
            };
            let message = format!("timestamps have no field '{name}'");
            self.error(Code::UnknownField, field.span, message, Some(help));
            return TypeSet::UNKNOWN;
        }
        TypeSet::DOUBLE
    }
}

/// The result of `a op b` for single types: the operator table.
fn binary_type(op: BinaryOp, a: Type, b: Type) -> Option<Type> {
    operators::binary_rule(op, a, b).map(|rule| rule.result)
}

/// A hint for an operator's type error, for the usual mistakes.
fn operand_help(op: Option<BinaryOp>, a: TypeSet, b: TypeSet) -> Option<String> {
    let either = a.union(b);
    let comparison = op.is_some_and(BinaryOp::is_comparison);
    if either.contains(Type::Deallocation) {
        return Some(
            "a deallocation option can only be assigned, to $NodeDeallocationOption or a variable"
                .to_string(),
        );
    }
    if comparison && either.contains(Type::DoubleVec) {
        return vector_help(either);
    }
    let mixes =
        |x: Type, y: Type| (a.contains(x) && b.contains(y)) || (a.contains(y) && b.contains(x));
    // The documented table has no `timestamp - timeinterval`, only `+`.
    if op == Some(BinaryOp::Sub) && a.contains(Type::Timestamp) && b.contains(Type::TimeInterval) {
        return Some(
            "add the negated interval instead, as in 'time() + -TimeInterval_Hour'".to_string(),
        );
    }
    if matches!(op, Some(BinaryOp::Add | BinaryOp::Sub)) && mixes(Type::Timestamp, Type::Double) {
        return Some(
            "add or subtract a time interval, as in 'time() + 5 * TimeInterval_Minute'".to_string(),
        );
    }
    if comparison && mixes(Type::TimeInterval, Type::Double) {
        return Some("compare with a time interval, as in '5 * TimeInterval_Minute'".to_string());
    }
    None
}

/// A hint for a doubleVec where one number is needed.
fn vector_help(found: TypeSet) -> Option<String> {
    found
        .contains(Type::DoubleVec)
        .then(|| "reduce the vector to one number, as in 'avg(v)' or 'max(v)'".to_string())
}

/// The span of the arguments past the first `allowed`, if there are any.
fn extra_arguments_span(args: &[Expr], allowed: usize) -> Option<Span> {
    let first = args.get(allowed)?;
    let last = args.last()?;
    Some(first.span.to(last.span))
}

/// The metric a receiver names, if it is a sampled metric.
fn metric_of(receiver: &Expr) -> Option<Metric> {
    match &receiver.kind {
        ExprKind::Name(name) => match builtins::system_variable(name) {
            Some(SystemVariable::Metric(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// Whether two vector operands surely have the same length: both computed from the same
/// variables (`v * v`, `v / 2 - v`) and no sample call.
fn same_vector(a: &Expr, b: &Expr) -> bool {
    fn names<'e>(e: &'e Expr, out: &mut BTreeSet<&'e str>, depth: usize) -> bool {
        if depth > MAX_NESTING_DEPTH {
            return false;
        }
        match &e.kind {
            ExprKind::Number(_) | ExprKind::String(_) => true,
            ExprKind::Name(n) => {
                out.insert(n);
                true
            }
            ExprKind::Unary { operand, .. } => names(operand, out, depth + 1),
            ExprKind::Binary { lhs, rhs, .. } => {
                names(lhs, out, depth + 1) && names(rhs, out, depth + 1)
            }
            _ => false,
        }
    }
    let (mut x, mut y) = (BTreeSet::new(), BTreeSet::new());
    names(a, &mut x, 0) && names(b, &mut y, 0) && !x.is_empty() && x == y
}

/// A `GetSample` call that can give more than one sample (anything but `GetSample(1)`).
fn is_multi_sample(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Method { method, args, .. }
            if Method::from_name(&method.text) == Some(Method::GetSample) =>
        {
            !matches!(args.as_slice(), [n] if constant(n).is_some_and(|c| c.trunc() <= 1.0))
        }
        _ => false,
    }
}

/// A number literal, possibly negated: all the folding the constant checks need.
pub(crate) fn constant(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Number(x) => Some(*x),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => constant(operand).map(|x| -x),
        _ => None,
    }
}

fn keyword_list() -> String {
    or_list(DeallocationOption::ALL.iter().map(|d| d.keyword()))
}

fn method_list() -> String {
    or_list(Method::ALL.iter().map(|m| m.name()))
}

fn field_list() -> String {
    or_list(Field::ALL.iter().map(|f| f.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::syntax::parser::parse;
    use crate::syntax::span::LineIndex;

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        let parsed = parse(text);
        assert!(
            parsed.errors.is_empty(),
            "syntax errors in {text:?}: {:?}",
            parsed.errors
        );
        check(&parsed.formula)
    }

    /// The one diagnostic with `code`: its severity, the text of its span and whether it
    /// has a help.
    fn expect(
        text: &str,
        code: Code,
        severity: Severity,
        span_text: &str,
        help: bool,
    ) -> Diagnostic {
        let all = diagnostics(text);
        let found: Vec<&Diagnostic> = all.iter().filter(|d| d.code == code).collect();
        assert_eq!(
            found.len(),
            1,
            "one {code} expected in {text:?}, got {all:#?}"
        );
        let d = found[0].clone();
        assert_eq!(d.severity, severity, "{d:?}");
        assert_eq!(&text[d.span.range()], span_text, "{d:?}");
        assert_eq!(d.help.is_some(), help, "{d:?}");
        assert!(d.message.starts_with(|c: char| !c.is_uppercase()), "{d:?}");
        d
    }

    fn error(text: &str, code: Code, span_text: &str, help: bool) -> Diagnostic {
        expect(text, code, Severity::Error, span_text, help)
    }

    fn warning(text: &str, code: Code, span_text: &str, help: bool) -> Diagnostic {
        expect(text, code, Severity::Warning, span_text, help)
    }

    fn clean(text: &str) {
        let all = diagnostics(text);
        assert!(
            all.is_empty(),
            "no diagnostics expected for {text:?}, got {all:#?}"
        );
    }

    /// No diagnostics but the warnings of `allowed` (about [decided] rules the text uses).
    fn clean_except(text: &str, allowed: &[Code]) {
        let all = diagnostics(text);
        assert!(
            all.iter()
                .all(|d| !d.is_error() && allowed.iter().any(|c| d.code == *c)),
            "only {allowed:?} expected for {text:?}, got {all:#?}"
        );
    }

    fn lacks(text: &str, code: Code) {
        let all = diagnostics(text);
        assert!(
            all.iter().all(|d| d.code != code),
            "no {code} expected for {text:?}, got {all:#?}"
        );
    }

    const V: &str = "v = $CPUPercent.GetSample(5); ";

    // --- names ---

    #[test]
    fn reading_an_unassigned_variable_is_undefined() {
        let d = error(
            "$TargetDedicatedNodes = x;",
            Code::UndefinedSymbol,
            "x",
            false,
        );
        assert_eq!(d.message, "undefined symbol 'x'");
        error("$Foo1 = $Bar1 + 1;", Code::UndefinedSymbol, "$Bar1", false);
        // The dollar is part of the name [seen].
        error("x = 1; y = $x;", Code::UndefinedSymbol, "$x", true);
        clean("x = 1; y = x;");
    }

    #[test]
    fn an_assignment_does_not_see_its_own_target() {
        let text = "x = x + 1;";
        let d = error(text, Code::UndefinedSymbol, "x", true);
        assert_eq!(d.span.start, 4);
        assert!(d.help.unwrap().contains("earlier statement"));
        clean("x = 1; x = x + 1;");
    }

    #[test]
    fn a_variable_assigned_later_gets_a_hint() {
        let d = error("a = b; b = 1;", Code::UndefinedSymbol, "b", true);
        assert!(d.help.unwrap().contains("later statement"));
    }

    #[test]
    fn undefined_names_suggest_a_close_known_name() {
        let d = error(
            "n = $targetDedicatedNodes;",
            Code::UndefinedSymbol,
            "$targetDedicatedNodes",
            true,
        );
        assert_eq!(
            d.help.as_deref(),
            Some("did you mean '$TargetDedicatedNodes'?")
        );
        let d = error(
            "n = $PendingTask;",
            Code::UndefinedSymbol,
            "$PendingTask",
            true,
        );
        assert_eq!(d.help.as_deref(), Some("did you mean '$PendingTasks'?"));
    }

    #[test]
    fn undefined_names_suggest_user_variables_and_constants() {
        let d = error(
            "$curTime = time(); h = curTime.hour;",
            Code::UndefinedSymbol,
            "curTime",
            true,
        );
        assert_eq!(d.help.as_deref(), Some("did you mean '$curTime'?"));
        let d = error(
            "x = TimeInterval_minute;",
            Code::UndefinedSymbol,
            "TimeInterval_minute",
            true,
        );
        assert_eq!(
            d.help.as_deref(),
            Some("did you mean 'TimeInterval_Minute'?")
        );
        // A function read as a value.
        let d = error("x = max;", Code::UndefinedSymbol, "max", true);
        assert!(d.help.unwrap().contains("call it"));
    }

    #[test]
    fn an_undefined_name_in_an_untaken_branch_is_still_reported() {
        error("x = 1 ? 2 : nope;", Code::UndefinedSymbol, "nope", false);
    }

    #[test]
    fn assigning_a_lookalike_of_a_target_warns() {
        let text = "$targetDedicatedNodes = 3;";
        let d = warning(text, Code::LookalikeTarget, "$targetDedicatedNodes", true);
        assert_eq!(
            d.help.as_deref(),
            Some("did you mean '$TargetDedicatedNodes'?")
        );
        warning(
            "TargetLowPriorityNodes = 3;",
            Code::LookalikeTarget,
            "TargetLowPriorityNodes",
            true,
        );
        // Only the first assignment warns; unrelated names do not.
        let all = diagnostics("$targetDedicatedNodes = 3; $targetDedicatedNodes = 4;");
        assert_eq!(all.len(), 1);
        clean("maxTargetDedicated = 16; minTargetLowPriority = 0; $targetVMs = 1;");
    }

    #[test]
    fn unknown_functions_suggest_the_known_one() {
        let d = error("x = Avg(1);", Code::UnknownFunction, "Avg", true);
        assert_eq!(d.message, "unknown function 'Avg'");
        assert_eq!(d.help.as_deref(), Some("did you mean 'avg'?"));
        error("x = median(1);", Code::UnknownFunction, "median", false);
        let d = error(
            "x = GetSample(1);",
            Code::UnknownFunction,
            "GetSample",
            true,
        );
        assert!(d.help.unwrap().contains("method"));
        // Arguments are still checked.
        error("x = median(nope);", Code::UndefinedSymbol, "nope", false);
    }

    #[test]
    fn unknown_methods_suggest_the_known_one() {
        let d = error(
            "x = $CPUPercent.GetSamples(1);",
            Code::UnknownMethod,
            "GetSamples",
            true,
        );
        assert_eq!(d.help.as_deref(), Some("did you mean 'GetSample'?"));
        let d = error(
            "x = $CPUPercent.Mean(1);",
            Code::UnknownMethod,
            "Mean",
            true,
        );
        assert!(d.help.unwrap().starts_with("the methods are GetSample, "));
    }

    #[test]
    fn unknown_fields_suggest_the_known_one() {
        let d = error("x = time().Hour;", Code::UnknownField, "Hour", true);
        assert_eq!(d.help.as_deref(), Some("did you mean 'hour'?"));
        let d = error(
            "x = time().millisecond;",
            Code::UnknownField,
            "millisecond",
            true,
        );
        assert!(d.help.unwrap().contains("year, month, day, weekday"));
    }

    #[test]
    fn assigning_read_only_system_variables_is_an_error() {
        let d = error(
            "$CurrentDedicatedNodes = 1;",
            Code::AssignReadOnly,
            "$CurrentDedicatedNodes",
            true,
        );
        assert!(d.help.unwrap().contains("$TargetDedicatedNodes"));
        error(
            "$TaskSlotsPerNode = 1;",
            Code::AssignReadOnly,
            "$TaskSlotsPerNode",
            false,
        );
        error(
            "$PendingTasks = 1;",
            Code::AssignReadOnly,
            "$PendingTasks",
            false,
        );
    }

    #[test]
    fn assigning_constants_and_keywords_is_an_error() {
        error(
            "TimeInterval_Second = 2;",
            Code::AssignConstant,
            "TimeInterval_Second",
            true,
        );
        error("requeue = 1;", Code::AssignConstant, "requeue", true);
        // Neither becomes a variable.
        clean("x = TimeInterval_Zero;");
    }

    #[test]
    fn a_variable_named_like_a_function_is_legal_but_warned() {
        warning(
            "avg = 1; $TargetDedicatedNodes = avg;",
            Code::FunctionNameVariable,
            "avg",
            true,
        );
        lacks(
            "avg = 1; $TargetDedicatedNodes = avg;",
            Code::UndefinedSymbol,
        );
    }

    // --- arity ---

    #[test]
    fn functions_with_fixed_arity() {
        let d = error("x = rand(1);", Code::Arity, "1", true);
        assert_eq!(d.message, "rand() takes no arguments, got 1");
        error("stop(1);", Code::Arity, "1", true);
        error("x = time(\"2024\", 2, 3);", Code::Arity, "2, 3", true);
        let d = error(&format!("{V}x = percentile(v);"), Code::Arity, "(v)", true);
        assert_eq!(d.message, "percentile() takes 2 arguments, got 1");
        error(&format!("{V}x = val(v, 1, 2);"), Code::Arity, "2", true);
        clean_except("x = time(); y = rand();", &[Code::RandValues]);
    }

    #[test]
    fn list_functions_take_any_number_but_some_fail_on_none() {
        clean("a = sum(); b = len(); c = vec(); d = floor();");
        for name in ["avg", "max", "min", "norm", "range", "std"] {
            let text = format!("x = {name}();");
            error(&text, Code::EmptyArgumentList, &format!("{name}()"), true);
        }
        clean(&format!("{V}x = avg(v, 7, 1, v);"));
    }

    #[test]
    fn methods_check_their_arity() {
        let d = error("x = $CPUPercent.Count(1);", Code::Arity, "1", true);
        assert_eq!(d.message, "method 'Count' takes no arguments, got 1");
        let d = error("x = $CPUPercent.GetSample();", Code::Arity, "()", true);
        assert_eq!(
            d.message,
            "method 'GetSample' takes 1 to 3 arguments, got 0"
        );
        let t = "TimeInterval_Minute";
        error(
            &format!("x = $CPUPercent.GetSample({t}, {t}, 50, 1);"),
            Code::Arity,
            "1",
            true,
        );
        let d = error(
            "x = $CPUPercent.GetSamplePercent();",
            Code::Arity,
            "()",
            true,
        );
        assert_eq!(
            d.message,
            "method 'GetSamplePercent' takes 1 or 2 arguments, got 0"
        );
        clean(
            "a = $CPUPercent.Count(); b = $CPUPercent.HistoryBeginTime(); c = $CPUPercent.GetSamplePeriod();",
        );
    }

    // --- types ---

    #[test]
    fn function_arguments_have_types() {
        let d = error("x = avg(time());", Code::ArgumentType, "time()", true);
        assert_eq!(
            d.message,
            "avg() takes doubles and doubleVecs, not a timestamp"
        );
        let d = error("x = percentile(1, 2);", Code::ArgumentType, "1", true);
        assert_eq!(
            d.message,
            "argument 1 of percentile() must be a doubleVec, not a double"
        );
        error(&format!("{V}x = val(v, v);"), Code::ArgumentType, "v", true);
        error("x = time(1);", Code::ArgumentType, "1", true);
        error("x = max(requeue);", Code::ArgumentType, "requeue", true);
        clean_except(
            &format!("{V}x = percentile(v, 90); y = val(v, 0); z = time(\"2024-03-01\");"),
            &[Code::PercentileMethod, Code::SampleOrder],
        );
    }

    #[test]
    fn method_arguments_have_types_and_two_forms() {
        let d = error(
            "x = $CPUPercent.GetSample(\"a\");",
            Code::ArgumentType,
            "\"a\"",
            true,
        );
        assert_eq!(
            d.message,
            "argument 1 of GetSample() must be a double, timestamp or timeinterval, not a string"
        );
        error(
            "x = $CPUPercent.GetSample(1, 2);",
            Code::ArgumentType,
            "1",
            true,
        );
        let text = "x = $CPUPercent.GetSample(TimeInterval_Minute, \"x\");";
        error(text, Code::ArgumentType, "\"x\"", true);
        error(
            "x = $CPUPercent.GetSamplePercent(5);",
            Code::ArgumentType,
            "5",
            true,
        );
        error(
            "x = $CPUPercent.GetSample(time(), 2, 50);",
            Code::ArgumentType,
            "2",
            true,
        );
        // GetSample(t, x): a double x is the percentage, a time x the second bound.
        clean(
            "a = $CPUPercent.GetSample(TimeInterval_Minute, 70); \
             b = $CPUPercent.GetSample(TimeInterval_Minute * 10, TimeInterval_Minute); \
             c = $CPUPercent.GetSample(time(), TimeInterval_Minute, 50); \
             d = $CPUPercent.GetSamplePercent(time() + -TimeInterval_Hour, time()); \
             e = $CPUPercent.GetSample(3);",
        );
    }

    #[test]
    fn methods_need_a_sampled_metric() {
        let d = error(
            "x = time(); y = x.GetSample(1);",
            Code::MethodReceiver,
            "x",
            true,
        );
        assert_eq!(
            d.message,
            "'GetSample' is called on a timestamp, but only sampled metrics have methods"
        );
        let d = error("y = time().hour();", Code::MethodReceiver, "time()", true);
        assert_eq!(
            d.help.as_deref(),
            Some("a field is read without parentheses: '.hour'")
        );
        error(
            "y = $CurrentDedicatedNodes.Count();",
            Code::MethodReceiver,
            "$CurrentDedicatedNodes",
            true,
        );
        // A misspelt metric is an undefined name, not a second error.
        let d = error(
            "y = $pendingTasks.GetSample(1);",
            Code::UndefinedSymbol,
            "$pendingTasks",
            true,
        );
        assert_eq!(d.help.as_deref(), Some("did you mean '$PendingTasks'?"));
        lacks("y = $pendingTasks.GetSample(1);", Code::MethodReceiver);
    }

    #[test]
    fn fields_need_a_timestamp() {
        let d = error("x = 1; y = x.hour;", Code::FieldReceiver, "x", false);
        assert_eq!(
            d.message,
            "'.hour' reads a field of a timestamp, not of a double"
        );
        let d = error(
            "y = $CPUPercent.hour;",
            Code::FieldReceiver,
            "$CPUPercent",
            true,
        );
        assert!(d.help.unwrap().contains("GetSample(1)"));
        let d = error(
            "y = $CPUPercent.Count;",
            Code::FieldReceiver,
            "$CPUPercent",
            true,
        );
        assert_eq!(
            d.help.as_deref(),
            Some("call the method: '$CPUPercent.Count()'")
        );
        clean("y = time().weekday + $CPUPercent.HistoryBeginTime().hour;");
    }

    #[test]
    fn a_sampled_metric_is_not_a_value() {
        let d = error(
            "x = max(0, $PendingTasks);",
            Code::MetricAsValue,
            "$PendingTasks",
            true,
        );
        assert_eq!(
            d.message,
            "$PendingTasks is a sampled metric and cannot be used as a value"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("use a method such as $PendingTasks.GetSample(1)")
        );
        // No second error from the argument's unknown type.
        assert_eq!(diagnostics("x = max(0, $PendingTasks);").len(), 1);
        error(
            "x = $CPUPercent * 2;",
            Code::MetricAsValue,
            "$CPUPercent",
            true,
        );
    }

    #[test]
    fn operators_take_exactly_the_documented_types() {
        let d = error(
            "x = time() + time();",
            Code::OperatorType,
            "time() + time()",
            false,
        );
        assert_eq!(
            d.message,
            "operator '+' is not defined for a timestamp and a timestamp"
        );
        error("x = \"a\" < 1;", Code::OperatorType, "\"a\" < 1", false);
        error(
            "x = TimeInterval_Minute * TimeInterval_Minute;",
            Code::OperatorType,
            "TimeInterval_Minute * TimeInterval_Minute",
            false,
        );
        error(
            "x = 2 / TimeInterval_Minute;",
            Code::OperatorType,
            "2 / TimeInterval_Minute",
            false,
        );
        let d = error(
            "x = TimeInterval_Minute > 5;",
            Code::OperatorType,
            "TimeInterval_Minute > 5",
            true,
        );
        assert!(d.help.unwrap().contains("TimeInterval_Minute"));
        let d = error(&format!("{V}x = v > 1;"), Code::OperatorType, "v > 1", true);
        assert!(d.help.unwrap().contains("avg(v)"));
        error(
            &format!("{V}x = v && 1;"),
            Code::OperatorType,
            "v && 1",
            false,
        );
        clean_except(
            "a = 2 * TimeInterval_Minute; b = TimeInterval_Minute * 2 / 3; \
             c = time() + a + -TimeInterval_Second; d = a + time(); e = time() - time(); \
             f = \"a\" < \"b\"; g = time() >= time(); h = a != b; i = (1 && 0) || 1; \
             j = -a; k = !1; l = -2;",
            &[Code::StringOrder],
        );
        clean(&format!("{V}w = v + 1; u = v * v; z = v / 2 - v;"));
    }

    #[test]
    fn unary_operators_have_types() {
        let d = error("x = !time();", Code::OperatorType, "!time()", false);
        assert_eq!(d.message, "operator '!' is not defined for a timestamp");
        error("x = -\"a\";", Code::OperatorType, "-\"a\"", false);
        error(
            "x = !TimeInterval_Second;",
            Code::OperatorType,
            "!TimeInterval_Second",
            false,
        );
    }

    #[test]
    fn deallocation_keywords_only_pass_through() {
        let d = error("x = requeue + 1;", Code::OperatorType, "requeue + 1", true);
        assert!(d.help.unwrap().contains("$NodeDeallocationOption"));
        error(
            "x = requeue == requeue;",
            Code::OperatorType,
            "requeue == requeue",
            true,
        );
        clean_except(
            "x = requeue; $NodeDeallocationOption = x; $NodeDeallocationOption = 1 ? terminate : taskcompletion;",
            &[Code::DeallocationPassThrough],
        );
        clean_except(
            "$NodeDeallocationOption = retaineddata; y = $NodeDeallocationOption;",
            &[Code::DeallocationPassThrough],
        );
    }

    #[test]
    fn the_condition_must_be_a_double() {
        let d = error("x = time() ? 1 : 2;", Code::ConditionType, "time()", false);
        assert_eq!(
            d.message,
            "the condition of '?:' must be a double, not a timestamp"
        );
        error(
            &format!("{V}x = v ? 1 : 2;"),
            Code::ConditionType,
            "v",
            true,
        );
    }

    #[test]
    fn the_value_of_stop_cannot_be_used() {
        let d = error("x = stop();", Code::StopValue, "stop()", true);
        assert_eq!(d.message, "stop() has no value to use");
        error("y = 1 + stop();", Code::StopValue, "stop()", true);
        error("y = 1 ? stop() : 2;", Code::StopValue, "stop()", true);
        // No second error from the unknown value.
        let all = diagnostics("y = 1 + stop();");
        assert_eq!(all.iter().filter(|d| d.is_error()).count(), 1, "{all:#?}");
        clean_except("stop();", &[Code::StopKeepsAssignments]);
        clean_except(
            "$TargetDedicatedNodes = 1; $TargetDedicatedNodes > 0 ? stop() : (1 ? 2 : stop());",
            &[Code::StopKeepsAssignments],
        );
    }

    #[test]
    fn targets_must_be_doubles() {
        let d = error(
            "$TargetDedicatedNodes = vec(1, 2);",
            Code::TargetType,
            "vec(1, 2)",
            true,
        );
        assert_eq!(
            d.message,
            "'$TargetDedicatedNodes' must be assigned a double, not a doubleVec"
        );
        error(
            "$TargetLowPriorityNodes = time();",
            Code::TargetType,
            "time()",
            false,
        );
        error(
            "$TargetLowPriorityNodes = requeue;",
            Code::TargetType,
            "requeue",
            false,
        );
        error(
            "$TargetDedicated = time();",
            Code::TargetType,
            "time()",
            false,
        );
        clean("$TargetDedicatedNodes = 1; $TargetLowPriorityNodes = $TargetDedicatedNodes * 2;");
    }

    #[test]
    fn the_deallocation_option_holds_only_keywords() {
        let d = error(
            "$NodeDeallocationOption = 1;",
            Code::DeallocationType,
            "1",
            true,
        );
        assert_eq!(
            d.message,
            "'$NodeDeallocationOption' can only hold a deallocation option, not a double"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("assign one of requeue, terminate, taskcompletion or retaineddata")
        );
        error(
            "$NodeDeallocationOption = \"requeue\";",
            Code::DeallocationType,
            "\"requeue\"",
            true,
        );
    }

    #[test]
    fn variables_take_the_type_of_their_last_assignment() {
        error(
            "x = 1; x = time(); y = x + 1;",
            Code::OperatorType,
            "x + 1",
            true,
        );
        clean("x = time(); x = 1; y = x + 1;");
        error(
            "$TargetDedicatedNodes = time() - time(); y = $TargetDedicatedNodes + 1;",
            Code::OperatorType,
            "$TargetDedicatedNodes + 1",
            false,
        );
    }

    #[test]
    fn elementwise_functions_pick_their_form_by_type() {
        clean("$TargetDedicatedNodes = floor(2.5) + ceil(1) + round(1) + lg(2) + ln(2) + log(2);");
        error(
            "$TargetDedicatedNodes = floor(vec(1));",
            Code::TargetType,
            "floor(vec(1))",
            true,
        );
        error(
            "$TargetDedicatedNodes = floor(1, 2);",
            Code::TargetType,
            "floor(1, 2)",
            true,
        );
        error("x = floor(time());", Code::ArgumentType, "time()", true);
    }

    #[test]
    fn method_and_function_results_have_types() {
        clean_except(
            "a = $CPUPercent.GetSamplePercent(TimeInterval_Minute) + $CPUPercent.Count(); \
             b = $CPUPercent.HistoryBeginTime() + $CPUPercent.GetSamplePeriod(); \
             c = avg($CPUPercent.GetSample(1)) + rand(); d = time().year;",
            &[Code::RandValues],
        );
        error(
            "x = $CPUPercent.GetSamplePeriod() + 1;",
            Code::OperatorType,
            "$CPUPercent.GetSamplePeriod() + 1",
            false,
        );
    }

    #[test]
    fn time_with_a_bad_literal_always_fails() {
        let d = error(
            "x = time(\"yesterday\");",
            Code::InvalidTimeText,
            "\"yesterday\"",
            false,
        );
        assert!(d.message.starts_with("time(\"yesterday\") always fails: "));
        clean("x = time(\"2024-03-01T10:00:00Z\"); y = time(\"Mon, 13 Mar 2023 20:30:20 GMT\");");
    }

    // --- warnings ---

    #[test]
    fn a_type_that_is_wrong_on_some_paths_is_an_error() {
        let text = "x = 1 ? 1 : time(); y = x + 1;";
        let d = error(text, Code::TypeOnSomePaths, "x + 1", true);
        assert_eq!(
            d.message,
            "this fails at run time on some paths: operator '+' is not defined for a timestamp and a double"
        );
        error(
            "x = 1 ? 1 : vec(1); $TargetDedicatedNodes = x;",
            Code::TypeOnSomePaths,
            "x",
            true,
        );
        error(
            "x = 1 ? requeue : 1; $NodeDeallocationOption = x;",
            Code::TypeOnSomePaths,
            "x",
            true,
        );
        error(
            "x = 1 ? 1 : \"a\"; y = avg(x);",
            Code::TypeOnSomePaths,
            "x",
            true,
        );
        error(
            "x = 1 ? 1 : \"a\"; y = x ? 1 : 2;",
            Code::TypeOnSomePaths,
            "x",
            false,
        );
        error(
            "x = 1 ? 1 : TimeInterval_Minute; y = !x;",
            Code::TypeOnSomePaths,
            "!x",
            false,
        );
        error(
            "x = 1 ? 1 : time(); y = x.hour;",
            Code::TypeOnSomePaths,
            "x",
            false,
        );
        error(
            "x = 1 ? 1 : \"a\"; y = $CPUPercent.GetSample(TimeInterval_Minute, x);",
            Code::TypeOnSomePaths,
            "x",
            true,
        );
        // A double or a time fits GetSample's second argument either way.
        lacks(
            "x = 1 ? 1 : time(); y = $CPUPercent.GetSample(TimeInterval_Minute, x);",
            Code::TypeOnSomePaths,
        );
    }

    #[test]
    fn a_double_before_a_vector_warns() {
        let d = warning(
            &format!("{V}w = 2 * v;"),
            Code::ScalarVectorOperation,
            "2 * v",
            true,
        );
        assert!(
            d.message
                .contains("the service's behaviour here is unverified")
        );
        warning(
            &format!("{V}w = 2 - v;"),
            Code::ScalarVectorOperation,
            "2 - v",
            false,
        );
        lacks(&format!("{V}w = v * 2;"), Code::ScalarVectorOperation);
    }

    #[test]
    fn branches_of_different_types_warn() {
        let d = warning(
            "x = 1 ? 1 : time();",
            Code::BranchTypesDiffer,
            "1 ? 1 : time()",
            true,
        );
        assert!(d.message.contains("a double and a timestamp"));
        lacks("x = 1 ? 1 : 2;", Code::BranchTypesDiffer);
        // A bare statement's value is dropped.
        clean_except("1 ? stop() : 2;", &[Code::StopKeepsAssignments]);
    }

    #[test]
    fn weekday_compared_with_seven_warns() {
        warning(
            "x = time().weekday == 7;",
            Code::WeekdaySeven,
            "time().weekday == 7",
            true,
        );
        warning(
            "x = 7 > time().weekday;",
            Code::WeekdaySeven,
            "7 > time().weekday",
            true,
        );
        lacks(
            "x = time().weekday == 6; y = time().hour == 7;",
            Code::WeekdaySeven,
        );
    }

    #[test]
    fn legacy_names_warn_with_the_full_name() {
        let d = warning(
            "$TargetDedicated = 1;",
            Code::LegacyName,
            "$TargetDedicated",
            true,
        );
        assert_eq!(d.help.as_deref(), Some("use '$TargetDedicatedNodes'"));
        let d = warning(
            "x = $CurrentDedicated;",
            Code::LegacyName,
            "$CurrentDedicated",
            true,
        );
        assert!(d.message.contains("'$CurrentDedicatedNodes'"));
        warning(
            "$TargetLowPriority = 1;",
            Code::LegacyName,
            "$TargetLowPriority",
            true,
        );
    }

    #[test]
    fn retired_metrics_warn() {
        let d = warning(
            "x = $MemoryBytes.GetSample(1);",
            Code::RetiredMetric,
            "$MemoryBytes",
            true,
        );
        assert!(d.message.contains("retired"));
        lacks("x = $CPUPercent.GetSample(1);", Code::RetiredMetric);
    }

    #[test]
    fn a_negative_constant_val_index_warns() {
        warning(
            &format!("{V}x = val(v, -1);"),
            Code::NegativeValIndex,
            "-1",
            true,
        );
        // Truncated toward zero, -0.5 reads element 0.
        lacks(&format!("{V}x = val(v, -0.5);"), Code::NegativeValIndex);
    }

    #[test]
    fn constant_arguments_that_always_fail_are_errors() {
        error(
            &format!("{V}x = percentile(v, 101);"),
            Code::ArgumentOutOfRange,
            "101",
            true,
        );
        error(
            &format!("{V}x = percentile(v, -1);"),
            Code::ArgumentOutOfRange,
            "-1",
            true,
        );
        clean_except(
            &format!("{V}x = percentile(v, 0) + percentile(v, 100);"),
            &[Code::PercentileMethod],
        );
        error(
            "x = $CPUPercent.GetSample(0);",
            Code::ArgumentOutOfRange,
            "0",
            true,
        );
        error(
            "x = $CPUPercent.GetSample(-3);",
            Code::ArgumentOutOfRange,
            "-3",
            true,
        );
        error(
            "x = $CPUPercent.GetSample(TimeInterval_Minute, 101);",
            Code::ArgumentOutOfRange,
            "101",
            true,
        );
        error(
            "x = $CPUPercent.GetSample(time(), TimeInterval_Minute, -1);",
            Code::ArgumentOutOfRange,
            "-1",
            true,
        );
    }

    #[test]
    fn division_by_a_constant_zero() {
        let d = warning("x = 1 / 0;", Code::DivisionByZero, "1 / 0", true);
        assert!(d.message.contains("unverified"));
        warning(
            &format!("{V}x = v / -0;"),
            Code::DivisionByZero,
            "v / -0",
            true,
        );
        error(
            "x = TimeInterval_Minute / 0;",
            Code::IntervalDivisionByZero,
            "TimeInterval_Minute / 0",
            true,
        );
        lacks("x = 1 / 0.5;", Code::DivisionByZero);
    }

    // --- order and robustness ---

    #[test]
    fn diagnostics_come_in_source_order() {
        let text = "a = nope1;\nb = $TargetDedicated + nope2;\nc = 1 / 0;";
        let all = diagnostics(text);
        let starts: Vec<u32> = all.iter().map(|d| d.span.start).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
        let spans: Vec<&str> = all.iter().map(|d| &text[d.span.range()]).collect();
        assert_eq!(spans, ["nope1", "$TargetDedicated", "nope2", "1 / 0"]);
    }

    #[test]
    fn a_tree_deeper_than_the_limit_does_not_overflow() {
        // Built by hand: the parsing pipeline refuses such a formula before checking.
        let span = Span::new(0, 1);
        let mut e = Expr::new(ExprKind::Number(1.0), span);
        for _ in 0..MAX_NESTING_DEPTH * 4 {
            let operand = Box::new(e);
            e = Expr::new(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand,
                },
                span,
            );
        }
        let statement = crate::syntax::ast::Statement {
            kind: StatementKind::Expr(e),
            span,
        };
        let formula = Formula {
            statements: vec![statement],
        };
        assert!(check(&formula).is_empty());
        crate::syntax::nesting::dismantle(formula);
    }

    #[test]
    fn an_empty_formula_is_clean() {
        clean("");
        clean("  // only a comment\n");
    }

    proptest::proptest! {
        /// Any formula that parses can be checked without a panic.
        #[test]
        fn checking_never_panics(tokens in proptest::collection::vec(proptest::sample::select(vec![
            "x", "$x", "=", ";", "1", "0", "-", "!", "+", "*", "/", "<", "==", "&&", "?", ":",
            "(", ")", ",", ".", "\"a\"", "avg", "stop", "time", "val", "percentile", "floor",
            "$CPUPercent", "$MemoryBytes", "GetSample", "Count", "hour", "weekday", "7",
            "requeue", "TimeInterval_Minute", "$TargetDedicatedNodes", "$NodeDeallocationOption",
            "$TargetDedicated", "$CurrentDedicated", "foo",
        ]), 0..24)) {
            let text = tokens.join(" ");
            let parsed = parse(&text);
            let all = check(&parsed.formula);
            for d in &all {
                proptest::prop_assert!(text.get(d.span.range()).is_some());
            }
        }
    }

    // --- the conformance corpus ---

    #[test]
    fn the_conformance_corpus() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/conformance/corpus.jsonl"
        );
        let Ok(corpus) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is absent");
            return;
        };
        let mut checked = 0;
        for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let id = case["id"].as_str().unwrap_or("?");
            let text = case["formula"].as_str().expect("a formula");
            let parsed = parse(text);
            let all = check(&parsed.formula);
            let first_error = all.iter().find(|d| d.is_error());
            if case["valid"].as_bool() == Some(true) {
                assert!(parsed.errors.is_empty(), "{id}: {:?}", parsed.errors);
                assert!(first_error.is_none(), "{id}: {all:#?}");
            } else if parsed.errors.is_empty() {
                let expected = case["first_error"].as_str().expect("a first error");
                let d = first_error.unwrap_or_else(|| panic!("{id}: no error found"));
                let at = LineIndex::new(text).line_col(text, d.span.start as usize);
                let position = format!("Line {}, Col {}: ", at.line, at.column);
                assert!(
                    expected.starts_with(&position),
                    "{id}: {position} {d:?}, expected {expected}"
                );
                assert_eq!(&expected[position.len()..], d.message, "{id}");
            }
            checked += 1;
        }
        assert!(checked >= 29, "only {checked} corpus formulas");
    }
}
