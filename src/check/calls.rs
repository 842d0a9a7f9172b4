//! The checker on calls: functions and methods from their records' forms (arity,
//! argument types, result types) and the rules that hang on each built-in; fields of
//! timestamps.

use super::help::{field_list, method_list};
use super::walk::{Checker, Use, metric_of};
use crate::builtins::types::{Type, TypeSet};
use crate::builtins::{self, Aggregate, Field, Function, Implementation, Method, Metric};
use crate::check::fold::literal;
use crate::diagnostic::Code;
use crate::suggest::suggest;
use crate::syntax::ast::{Expr, ExprKind, Name};
use crate::syntax::span::Span;

impl Checker<'_> {
    pub(super) fn call(
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
            self.report(Code::UnknownFunction, function.span, message, help);
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
                    self.report(
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
                    self.report(
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
                        self.report(
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
            // A `stop()` with arguments fails on their number first (section 9.1).
            Implementation::Stop if !args.is_empty() => {}
            Implementation::Stop => {
                if use_ == Use::Value {
                    self.report(
                        Code::StopValue,
                        span,
                        "stop() has no value to use".to_string(),
                        Some("call stop() as a statement of its own: 'stop();'".to_string()),
                    );
                    return TypeSet::UNKNOWN;
                }
                // The run may end here: what the targets hold now must be right.
                self.targets_at_end();
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
                    self.report(Code::InvalidTimeText, text.span, message, None);
                }
            }
        }
        forms.result_type(&found)
    }

    /// Checks the number of arguments; true when it is right.
    pub(super) fn arity(&mut self, def: &Function, args: &[Expr], args_span: Span) -> bool {
        let forms = def.forms();
        if forms.takes(args.len()) {
            return true;
        }
        // At the `(` (section 9.1), after the arguments have run.
        self.report(
            Code::Arity,
            args_span,
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

    /// Every argument of a `doubleVecList` parameter is a double or a doubleVec \[doc\].
    pub(super) fn list_arguments(&mut self, def: &Function, args: &[Expr], found: &[TypeSet]) {
        for (arg, t) in args.iter().zip(found) {
            self.require(
                *t,
                TypeSet::LIST_ITEM,
                arg.span,
                Code::ArgumentType,
                |bad| format!("{}() takes doubles and doubleVecs, not {bad}", def.name),
                || Some(format!("use {}", def.signature())),
            );
        }
    }

    pub(super) fn fixed_argument(
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
            || Some(format!("use {}", def.signature())),
        );
    }

    /// `percentile(v, p)` with a constant p outside 0..100 always fails; `val(v, i)` with
    /// a constant negative index is always 0 \[decided\].
    pub(super) fn constant_index_or_percentage(&mut self, def: &Function, arg: &Expr) {
        let Some(c) = literal(arg) else {
            return;
        };
        match def.implementation {
            Implementation::Percentile if !(0.0..=100.0).contains(&c) => self.report(
                Code::ArgumentOutOfRange,
                arg.span,
                format!("percentile() always fails here: the percentage must be between 0 and 100, got {c}"),
                Some("percentages run from 0 to 100: 90 is the 90th percentile".to_string()),
            ),
            // The index is truncated toward zero: -0.5 reads element 0.
            Implementation::Val if c.trunc() < 0.0 => self.report(
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

    /// A method call. In a run the value before the `.` goes first, then an unknown name
    /// fails, then the arguments run, then the call checks that it is on a sampled metric,
    /// its number of arguments, their types and values; every error of a method of a
    /// sampled metric points at the `(` (section 9.1).
    pub(super) fn method(
        &mut self,
        receiver: &Expr,
        method: &Name,
        args: &[Expr],
        args_span: Span,
    ) -> TypeSet {
        let metric = metric_of(receiver);
        let receiver_type = match metric {
            Some(metric) => {
                self.retired(metric, receiver.span);
                TypeSet::UNKNOWN
            }
            None => self.expr(receiver, Use::Value),
        };
        let found: Vec<TypeSet> = args.iter().map(|a| self.expr(a, Use::Value)).collect();
        let name = method.text.as_str();
        let Some(m) = Method::from_name(name) else {
            let field = Field::from_name(name).is_some() && receiver_type.contains(Type::Timestamp);
            let help = match suggest(name, Method::ALL.iter().map(|m| m.name())) {
                _ if field => format!("a field is read without parentheses: '.{name}'"),
                Some(similar) => format!("did you mean '{similar}'?"),
                None => format!("the methods are {}", method_list()),
            };
            let message = format!("sampled metrics have no method '{name}'");
            self.report(Code::UnknownMethod, method.span, message, Some(help));
            return TypeSet::UNKNOWN;
        };
        let Some(metric) = metric else {
            let t = receiver_type;
            if !t.is_unknown() {
                let help = if Field::from_name(name).is_some() && t.contains(Type::Timestamp) {
                    Some(format!("a field is read without parentheses: '.{name}'"))
                } else {
                    Some(format!(
                        "methods are called on sampled metrics, as in '$CPUPercent.{name}(...)'"
                    ))
                };
                self.report(
                    Code::MethodReceiver,
                    receiver.span,
                    format!("'{name}' is called on {t}, but only sampled metrics have methods"),
                    help,
                );
            }
            return TypeSet::UNKNOWN;
        };
        let help = || Some(format!("use {}", m.signature()));
        let forms = m.forms();
        match forms.param_types(args.len()) {
            Some(params) => {
                for (i, (t, wanted)) in found.iter().zip(params).enumerate() {
                    self.require(
                        *t,
                        wanted,
                        args_span,
                        Code::ArgumentType,
                        |bad| {
                            format!(
                                "argument {} of {}() must be {wanted}, not {bad}",
                                i + 1,
                                m.name()
                            )
                        },
                        help,
                    );
                }
                self.constant_sample_arguments(metric, m, args, args_span);
                let window =
                    m == Method::GetSample && !found[0].intersection(TypeSet::TIME).is_unknown();
                let no_percentage_needed = args.len() > 1
                    && found[args.len() - 1] == TypeSet::DOUBLE
                    && args.last().and_then(literal) == Some(0.0);
                if (window && !no_percentage_needed) || m == Method::HistoryBeginTime {
                    self.fallible_samples += 1;
                }
            }
            None => {
                self.report(
                    Code::Arity,
                    args_span,
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
    pub(super) fn constant_sample_arguments(
        &mut self,
        metric: Metric,
        m: Method,
        args: &[Expr],
        args_span: Span,
    ) {
        if m != Method::GetSample {
            return;
        }
        let metric = metric.name();
        match args {
            [count] => {
                if let Some(n) = literal(count)
                    && n < 1.0
                {
                    self.report(
                        Code::ArgumentOutOfRange,
                        args_span,
                        format!("{metric}.GetSample() always fails here: the sample count must be at least 1, got {n}"),
                        Some(format!("{metric}.GetSample(1) is the latest sample")),
                    );
                }
            }
            // A constant number in last place is the required percentage.
            [_, percent] | [_, _, percent] => {
                if let Some(p) = literal(percent)
                    && !(0.0..=100.0).contains(&p)
                {
                    self.report(
                        Code::ArgumentOutOfRange,
                        args_span,
                        format!("{metric}.GetSample() always fails here: the required percentage must be between 0 and 100, got {p}"),
                        Some("percentages run from 0 to 100".to_string()),
                    );
                }
            }
            _ => {}
        }
    }

    pub(super) fn field(&mut self, receiver: &Expr, field: &Name) -> TypeSet {
        let name = field.text.as_str();
        if let Some(metric) = metric_of(receiver) {
            self.retired(metric, receiver.span);
            let metric = metric.name();
            let help = if Method::from_name(name).is_some() {
                format!("call the method: '{metric}.{name}()'")
            } else {
                format!("use a method such as {metric}.GetSample(1)")
            };
            self.report(
                Code::FieldReceiver,
                receiver.span,
                format!(
                    "{metric} is a sampled metric and has no fields, so '.{name}' cannot be read"
                ),
                Some(help),
            );
            return TypeSet::UNKNOWN;
        }
        // The value runs first, then an unknown name fails, then the value's type
        // (section 9.1).
        let t = self.expr(receiver, Use::Value);
        if Field::from_name(name).is_none() {
            let help = match suggest(name, Field::ALL.iter().map(|f| f.name())) {
                Some(similar) => format!("did you mean '{similar}'?"),
                None => format!("the fields are {}", field_list()),
            };
            let message = format!("timestamps have no field '{name}'");
            self.report(Code::UnknownField, field.span, message, Some(help));
            return TypeSet::UNKNOWN;
        }
        self.require(
            t,
            TypeSet::TIMESTAMP,
            receiver.span,
            Code::FieldReceiver,
            |bad| format!("'.{name}' reads a field of a timestamp, not of {bad}"),
            || None,
        );
        TypeSet::DOUBLE
    }
}
