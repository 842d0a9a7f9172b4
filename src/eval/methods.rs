//! Methods of sampled metrics: `GetSample` in its forms, `GetSamplePercent`, `Count`,
//! `HistoryBeginTime`, `GetSamplePeriod`, over the windows of [`super::samples`].

use crate::builtins::{Method, Metric};
use crate::doubles::format_double;
use crate::snapshot::Snapshot;
use crate::syntax::span::Span;
use crate::time::Timestamp;

use super::explain::{Facts, Found, Record, SampleRequest};
use super::interpreter::{Flow, Machine, fail};
use super::outcome::{RunError, RunErrorKind};
use super::program::Node;
use super::samples;
use super::value::Value;

/// A method's evaluated arguments: up to three (every valid form) without allocating.
enum Args {
    Few([Value; 3], usize),
    Many(Vec<Value>),
}

impl Args {
    fn as_slice(&self) -> &[Value] {
        match self {
            Args::Few(values, n) => &values[..*n],
            Args::Many(values) => values,
        }
    }
}

impl<'a, R: Record> Machine<'a, '_, R> {
    /// Evaluates a method's arguments, in order.
    fn args(&mut self, args: &[Node]) -> Result<Args, Flow> {
        if args.len() > 3 {
            let values = args
                .iter()
                .map(|arg| self.eval(arg))
                .collect::<Result<_, _>>()?;
            return Ok(Args::Many(values));
        }
        let mut values = [Value::Double(0.0), Value::Double(0.0), Value::Double(0.0)];
        for (value, arg) in values.iter_mut().zip(args) {
            *value = self.eval(arg)?;
        }
        Ok(Args::Few(values, args.len()))
    }

    /// A method of a sampled metric. Its arguments are evaluated first, left to right;
    /// then it checks their number, their types, then their values. Every error it raises
    /// points at the `(` that opens its arguments (section 9.1; the service's position for
    /// a sample error \[seen\]).
    pub(super) fn method(
        &mut self,
        metric: Metric,
        method: Method,
        args: &[Node],
        args_span: Span,
    ) -> Result<Value, Flow> {
        if method == Method::GetSample {
            // The one place a window's samples are copied: the vector is kept as a value.
            let samples = self.get_sample(metric, args, args_span)?;
            return Ok(Value::DoubleVec(samples.into()));
        }
        let values = self.args(args)?;
        let values = values.as_slice();
        let snapshot: &'a Snapshot = self.snapshot;
        let history = snapshot.metrics.get(metric);
        let wrong = |detail: String| wrong_args(metric, method, args_span, detail);
        match method {
            Method::GetSample => unreachable!("handled above"),
            Method::GetSamplePercent => {
                let (t1, t2) = match values {
                    [t] => (t, None),
                    [t1, t2] => (t1, Some(t2)),
                    _ => return Err(wrong(describe_args(values))),
                };
                time_type(t1, args_span)?;
                if let Some(t) = t2 {
                    time_type(t, args_span)?;
                }
                let a = self.instant(t1, args_span)?;
                let b = match t2 {
                    Some(t) => self.instant(t, args_span)?,
                    None => self.now,
                };
                let window = samples::window(history, self.now, a, b);
                let value = Value::Double(window.percent);
                if R::ON {
                    self.record(Facts {
                        metric,
                        method,
                        args_span,
                        history,
                        request: window_request(a, b),
                        found: Found::Window(window),
                        required: None,
                        value: Some(&value),
                        error: None,
                    });
                }
                Ok(value)
            }
            Method::Count | Method::HistoryBeginTime | Method::GetSamplePeriod
                if !values.is_empty() =>
            {
                Err(wrong(describe_args(values)))
            }
            Method::Count | Method::HistoryBeginTime | Method::GetSamplePeriod => {
                let result = match method {
                    Method::Count => Ok(Value::Double(samples::count(history, self.now) as f64)),
                    Method::HistoryBeginTime => match history.times().first() {
                        Some(t) if *t <= self.now => Ok(Value::Timestamp(*t)),
                        _ => Err(RunError {
                            kind: RunErrorKind::Evaluation,
                            span: args_span,
                            detail: format!(
                                "{} has no samples, so it has no history begin time",
                                metric.name()
                            ),
                        }),
                    },
                    _ => Ok(Value::Interval(history.period)),
                };
                if R::ON {
                    self.record(Facts {
                        metric,
                        method,
                        args_span,
                        history,
                        request: SampleRequest::History,
                        found: Found::Range(0, samples::count(history, self.now)),
                        required: None,
                        value: result.as_ref().ok(),
                        error: result.as_ref().err().map(|e| e.detail.as_str()),
                    });
                }
                result.map_err(Flow::from)
            }
        }
    }

    /// Hands a method call's facts to the recorder of an explained run.
    #[cold]
    #[inline(never)]
    fn record(&mut self, facts: Facts<'_>) {
        if let Some(recorder) = self.recorder.recorder() {
            recorder.sample(facts);
        }
    }

    /// `metric.GetSample(...)`: the samples it gives, in place in the snapshot's history
    /// (a window is a contiguous slice, found by binary search).
    pub(super) fn get_sample(
        &mut self,
        metric: Metric,
        args: &[Node],
        args_span: Span,
    ) -> Result<&'a [f64], Flow> {
        let evaluated;
        let values = match args {
            // The usual window, `GetSample(TimeInterval_Minute * 10)`, folded to a
            // constant: read in place.
            [Node::Const(value)] => std::slice::from_ref(value),
            _ => {
                evaluated = self.args(args)?;
                evaluated.as_slice()
            }
        };
        let snapshot: &'a Snapshot = self.snapshot;
        let history = snapshot.metrics.get(metric);
        let (start, end) = match values {
            [Value::Double(n)] => {
                let n = n.trunc();
                if n.is_nan() || n < 1.0 {
                    return Err(wrong_args(
                        metric,
                        Method::GetSample,
                        args_span,
                        format!(
                            "the sample count must be at least 1, got {}",
                            format_double(n)
                        ),
                    ));
                }
                let (start, end) = samples::most_recent(history, self.now, n as u64);
                if R::ON {
                    self.record(Facts {
                        metric,
                        method: Method::GetSample,
                        args_span,
                        history,
                        request: SampleRequest::MostRecent { count: n as u64 },
                        found: Found::Range(start, end),
                        required: None,
                        value: None,
                        error: None,
                    });
                }
                (start, end)
            }
            [t] => self.checked_window(metric, history, t, None, 70.0, args_span)?,
            [t, Value::Double(p)] => {
                self.checked_window(metric, history, t, None, *p, args_span)?
            }
            [t1, t2] => self.checked_window(metric, history, t1, Some(t2), 70.0, args_span)?,
            [t1, t2, Value::Double(p)] => {
                self.checked_window(metric, history, t1, Some(t2), *p, args_span)?
            }
            _ => {
                return Err(wrong_args(
                    metric,
                    Method::GetSample,
                    args_span,
                    describe_args(values),
                ));
            }
        };
        Ok(&history.values()[start..end])
    }

    /// A window that must hold at least `required` percent of its expected samples: the
    /// arguments' types first, then their values, then the samples.
    pub(super) fn checked_window(
        &mut self,
        metric: Metric,
        history: &crate::snapshot::SampleHistory,
        t1: &Value,
        t2: Option<&Value>,
        required: f64,
        args_span: Span,
    ) -> Result<(usize, usize), Flow> {
        time_type(t1, args_span)?;
        if let Some(t) = t2 {
            time_type(t, args_span)?;
        }
        if !(0.0..=100.0).contains(&required) {
            return Err(fail(
                args_span,
                format!(
                    "{}.GetSample: the required percentage must be between 0 and 100, got {}",
                    metric.name(),
                    format_double(required)
                ),
            ));
        }
        let a = self.instant(t1, args_span)?;
        let b = match t2 {
            Some(t) => self.instant(t, args_span)?,
            None => self.now,
        };
        let window = samples::window(history, self.now, a, b);
        let facts = |error| Facts {
            metric,
            method: Method::GetSample,
            args_span,
            history,
            request: window_request(a, b),
            found: Found::Window(window),
            required: Some(required),
            value: None,
            error,
        };
        if window.percent < required {
            let e = RunError {
                kind: RunErrorKind::InsufficientSampleData,
                span: args_span,
                detail: format!(
                    "Insufficient data from data set: {} wanted {}%, received {}%",
                    metric.name(),
                    format_double(required),
                    format_double(window.percent)
                ),
            };
            if R::ON {
                self.record(facts(Some(&e.detail)));
            }
            return Err(Flow::from(e));
        }
        if R::ON {
            self.record(facts(None));
        }
        Ok((window.start, window.end))
    }

    /// A time argument as an instant: an interval looks back from now \[doc\].
    pub(super) fn instant(&self, v: &Value, span: Span) -> Result<Timestamp, Flow> {
        match v {
            Value::Interval(d) => self
                .now
                .checked_sub(*d)
                .ok_or_else(|| fail(span, "the look-back reaches outside the years 1 to 9999")),
            Value::Timestamp(t) => Ok(*t),
            other => Err(not_a_time(other, span)),
        }
    }
}

/// The window `(earlier, later]` between two instants in either order, as
/// [`samples::window`] takes them.
fn window_request(a: Timestamp, b: Timestamp) -> SampleRequest {
    SampleRequest::Window {
        from: a.min(b),
        to: a.max(b),
    }
}

/// A sample window's bound must be a timeinterval or a timestamp.
fn time_type(v: &Value, span: Span) -> Result<(), Flow> {
    match v {
        Value::Interval(_) | Value::Timestamp(_) => Ok(()),
        other => Err(not_a_time(other, span)),
    }
}

fn not_a_time(v: &Value, span: Span) -> Flow {
    fail(
        span,
        format!(
            "a sample window is given by a timeinterval or a timestamp, not a {}",
            v.type_name()
        ),
    )
}

/// A method called with arguments it does not take.
fn wrong_args(metric: Metric, method: Method, args_span: Span, detail: String) -> Flow {
    fail(
        args_span,
        format!(
            "{}.{}: {detail} (use {})",
            metric.name(),
            method.name(),
            method.signature()
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
