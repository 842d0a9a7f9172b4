//! Function calls: each function's implementation from its record, lists flattened, a
//! `GetSample` window read in place.

use std::sync::Arc;

use crate::builtins::{self, Function, Implementation, Method};
use crate::doubles::format_double;
use crate::syntax::span::Span;

use super::explain::Record;
use super::interpreter::{Flow, MAX_LIST_VALUES, Machine, fail};
use super::outcome::RunWarning;
use super::program::Node;
use super::value::Value;

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
pub(super) enum ListArg<'a> {
    Samples(&'a [f64]),
    Value(Value),
}

impl<'a, R: Record> Machine<'a, '_, R> {
    /// A function call: every argument is evaluated, left to right, before the call
    /// checks anything of its own; then the number of arguments (at the `(`), their types,
    /// then their values (at the argument) \[decided, section 9.1\].
    pub(super) fn call(
        &mut self,
        function: &'static Function,
        args: &[Node],
        arg_spans: &[Span],
        args_span: Span,
        span: Span,
    ) -> Result<Value, Flow> {
        let arity_error = || {
            fail(
                args_span,
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
                    let list = self.list_args(args)?;
                    compute(&flatten(function, list, arg_spans)?)
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
                let list = self.list_args(args)?;
                let list = flatten(function, list, arg_spans)?;
                Ok(Value::DoubleVec(list.into_iter().map(apply).collect()))
            }
            Implementation::Vec => {
                let list = self.list_args(args)?;
                Ok(Value::DoubleVec(flatten(function, list, arg_spans)?.into()))
            }
            Implementation::Percentile => {
                let [v, p] = args else {
                    self.run_all(args)?;
                    return Err(arity_error());
                };
                let v = self.list_arg(v)?;
                let p = self.eval(p)?;
                let v = vector_of(function, v, arg_spans[0], 0)?;
                let p = double_of(function, p, arg_spans[1], 1)?;
                builtins::percentile(v.as_slice(), p)
                    .map(Value::Double)
                    .map_err(|detail| {
                        // The percentage is checked first, then the vector: the error
                        // points at the argument at fault (section 9.1).
                        let at = if (0.0..=100.0).contains(&p) { 0 } else { 1 };
                        fail(arg_spans[at], detail)
                    })
            }
            Implementation::Val => {
                let [v, i] = args else {
                    self.run_all(args)?;
                    return Err(arity_error());
                };
                let v = self.list_arg(v)?;
                let i = self.eval(i)?;
                let v = vector_of(function, v, arg_spans[0], 0)?;
                let i = double_of(function, i, arg_spans[1], 1)?.trunc();
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
                    self.run_all(args)?;
                    return Err(arity_error());
                }
                Ok(Value::Double(self.rng.next_f64()))
            }
            // Only `stop(...)` with arguments is a call (`stop()` compiles to a stop).
            Implementation::Stop => {
                self.run_all(args)?;
                if args.is_empty() {
                    return Err(fail(span, "stop() has no value to use"));
                }
                Err(arity_error())
            }
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
                _ => {
                    self.run_all(args)?;
                    Err(arity_error())
                }
            },
        }
    }

    /// Evaluates arguments for their errors only (before an arity error).
    fn run_all(&mut self, args: &[Node]) -> Result<(), Flow> {
        for arg in args {
            self.list_arg(arg)?;
        }
        Ok(())
    }

    /// Every argument of a `doubleVecList`, evaluated in order (windows read in place).
    fn list_args(&mut self, args: &[Node]) -> Result<Vec<ListArg<'a>>, Flow> {
        args.iter().map(|arg| self.list_arg(arg)).collect()
    }

    /// Evaluates an argument that may be a vector: a `GetSample` call is read in place
    /// (its window's samples are not copied), anything else evaluates to a value.
    pub(super) fn list_arg(&mut self, arg: &Node) -> Result<ListArg<'a>, Flow> {
        if let Node::Method(m) = arg
            && m.method == Method::GetSample
        {
            let samples = self.get_sample(m.metric, &m.args, m.args_span)?;
            return Ok(ListArg::Samples(samples));
        }
        self.eval(arg).map(ListArg::Value)
    }
}

/// Flattens a `doubleVecList`'s evaluated arguments into one vector, in order \[doc\]:
/// every argument's type is checked first, then the list's size.
fn flatten(
    function: &Function,
    args: Vec<ListArg<'_>>,
    arg_spans: &[Span],
) -> Result<Vec<f64>, Flow> {
    let mut total = 0usize;
    for (i, arg) in args.iter().enumerate() {
        match arg {
            ListArg::Samples(_) | ListArg::Value(Value::Double(_) | Value::DoubleVec(_)) => {}
            ListArg::Value(other) => return Err(list_type_error(function, i, other, arg_spans[i])),
        }
    }
    for (i, arg) in args.iter().enumerate() {
        total += match arg {
            ListArg::Samples(s) => s.len(),
            ListArg::Value(Value::DoubleVec(v)) => v.len(),
            ListArg::Value(_) => 1,
        };
        // A list may repeat a large vector thousands of times; refuse it before
        // allocating rather than abort on a failed allocation [decided].
        if total > MAX_LIST_VALUES {
            return Err(fail(
                arg_spans[i],
                format!(
                    "{}(): the list holds more than {MAX_LIST_VALUES} values",
                    function.name
                ),
            ));
        }
    }
    let mut list = Vec::with_capacity(total);
    for arg in args {
        match arg {
            ListArg::Samples(s) => list.extend_from_slice(s),
            ListArg::Value(Value::Double(x)) => list.push(x),
            ListArg::Value(Value::DoubleVec(v)) => list.extend_from_slice(&v),
            ListArg::Value(_) => {}
        }
    }
    Ok(list)
}

/// An evaluated argument that must be a vector.
fn vector_of<'s>(
    function: &Function,
    arg: ListArg<'s>,
    span: Span,
    index: usize,
) -> Result<Vector<'s>, Flow> {
    match arg {
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

/// An evaluated argument that must be a double.
fn double_of(function: &Function, arg: Value, span: Span, index: usize) -> Result<f64, Flow> {
    match arg {
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
