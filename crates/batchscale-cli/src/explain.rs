//! `eval --explain`: why a run came out as it did, from the engine's [`Explanation`]: as
//! text under the run for a person, and as an `explain` key beside the AutoScaleRun's keys
//! for a script. Values and times are the engine's printing (the results string's values,
//! the AutoScaleRun's timestamps); nothing here prints a value of its own.
//!
//! Every statement of the formula is listed, in order; those after an error or `stop()`
//! are marked as not run.

use batchscale::{
    AutoScaleRun, Explanation, MissingSlots, SampleCall, SampleRequest, StatementExplanation,
    StatementResult, Timestamp, Value,
};
use serde::{Serialize, Serializer};

/// The longest statement text a line shows; a longer one is cut, with `…`.
const TEXT_WIDTH: usize = 60;

/// The most runs of missing slots a call lists in text; the rest are counted.
const MISSING_RUNS: usize = 5;

/// A double as the results string prints it.
fn double(x: f64) -> String {
    Value::Double(x).to_results_text()
}

/// The explanation for a person, to print under the run: a line a statement (its line
/// number, its text on one line, and what it did, aligned), each sampled metric's call
/// indented under its statement.
pub fn text(explanation: &Explanation) -> String {
    let day = Day::of(explanation.now);
    let mut out = format!("explanation (times UTC, on {} unless dated):\n", day.date());
    let texts: Vec<String> = explanation
        .statements
        .iter()
        .map(|s| one_line(&s.text))
        .collect();
    let widths = Widths {
        line: explanation
            .statements
            .iter()
            .map(|s| s.position.line.to_string().len())
            .max()
            .unwrap_or(0),
        text: texts.iter().map(|t| t.chars().count()).max().unwrap_or(0),
    };
    for (statement, text) in explanation.statements.iter().zip(&texts) {
        statement_text(&mut out, statement, text, widths, &day);
    }
    if let Some(error) = &explanation.targets_error {
        out.push_str(&format!("at the end of the run  error: {error}\n"));
    }
    out
}

/// The widths of the columns of statement lines: the line number and the text.
#[derive(Clone, Copy)]
struct Widths {
    line: usize,
    text: usize,
}

fn statement_text(
    out: &mut String,
    statement: &StatementExplanation,
    text: &str,
    widths: Widths,
    day: &Day,
) {
    let what = match &statement.result {
        StatementResult::Assigned {
            value,
            before_truncation: Some(before),
        } => format!("= {value} ({before} before truncation)"),
        StatementResult::Assigned { value, .. } | StatementResult::Evaluated { value } => {
            format!("= {value}")
        }
        StatementResult::Stopped => "stop(): the run ends here".to_string(),
        StatementResult::Failed { message, .. } => format!("error: {message}"),
        StatementResult::NotRun => "not run".to_string(),
        // A kind of result the engine adds later: the statement ran.
        _ => "ran".to_string(),
    };
    let pad = widths.text - text.chars().count();
    out.push_str(&format!(
        "Line {:<line$}  {text}{:pad$}  {what}\n",
        statement.position.line,
        "",
        line = widths.line,
    ));
    for call in &statement.samples {
        sample_text(out, call, day);
    }
}

fn sample_text(out: &mut String, call: &SampleCall, day: &Day) {
    let mut line = format!(
        "    {}.{} at Line {}, Col {}: ",
        call.metric.name(),
        call.method,
        call.position.line,
        call.position.column
    );
    match call.request {
        SampleRequest::Window { from, to } => {
            line.push_str(&format!("window ({}, {}], ", day.time(from), day.time(to)));
        }
        SampleRequest::MostRecent { count: 1 } => line.push_str("the most recent sample, "),
        SampleRequest::MostRecent { count } => {
            line.push_str(&format!("the {count} most recent samples, "));
        }
        _ => line.push_str("the whole history, "),
    }
    match (call.count, call.first, call.last) {
        (1, Some(t), _) => line.push_str(&format!("1 sample at {}", day.time(t))),
        (n, Some(first), Some(last)) => line.push_str(&format!(
            "{n} samples from {} to {}",
            day.time(first),
            day.time(last)
        )),
        _ => line.push_str("no samples"),
    }
    if let Some(covered) = call.covered_percent {
        line.push_str(&format!(", {}% covered", double(covered)));
    }
    if let Some(required) = call.required_percent {
        line.push_str(&format!(", {}% required", double(required)));
    }
    if let Some(value) = &call.value {
        line.push_str(&format!(" = {value}"));
    } else if call.error.is_some() {
        let too_few = matches!(
            (call.covered_percent, call.required_percent),
            (Some(c), Some(r)) if c < r
        );
        line.push_str(if too_few { ": too few" } else { ": failed" });
    }
    out.push_str(&line);
    out.push('\n');
    for run in call.missing.iter().take(MISSING_RUNS) {
        out.push_str(&format!(
            "      missing {}–{} ({})\n",
            day.time(run.from),
            day.time(run.to),
            slots(run.slots)
        ));
    }
    if call.missing.len() > MISSING_RUNS {
        let rest = &call.missing[MISSING_RUNS..];
        out.push_str(&format!(
            "      … and {} more runs of missing slots ({})\n",
            rest.len(),
            slots(rest.iter().map(|r| r.slots).sum())
        ));
    }
}

fn slots(n: u64) -> String {
    if n == 1 {
        "1 slot".to_string()
    } else {
        format!("{n} slots")
    }
}

/// A statement on one line: each source line without its `//` comment, trimmed, joined by
/// a space; cut at [`TEXT_WIDTH`] characters.
fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(|line| without_comment(line).trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() <= TEXT_WIDTH {
        return joined;
    }
    let mut cut: String = joined.chars().take(TEXT_WIDTH - 1).collect();
    cut.push('…');
    cut
}

/// A source line up to its `//` comment (a string, which holds no line break, may hold
/// `//`).
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The evaluation's day: times on it print as the time of day, others in full.
struct Day {
    /// `YYYY-MM-DDT`, as the engine prints the evaluation instant.
    prefix: String,
}

impl Day {
    fn of(now: Timestamp) -> Day {
        let printed = now.to_rfc3339();
        Day {
            prefix: printed[..=printed.find('T').unwrap_or(0)].to_string(),
        }
    }

    fn date(&self) -> &str {
        self.prefix.trim_end_matches('T')
    }

    /// `11:55:30` on the day, else `2024-04-30T23:59:30Z`.
    fn time(&self, t: Timestamp) -> String {
        let printed = t.to_rfc3339();
        match printed.strip_prefix(&self.prefix) {
            Some(time) => time.trim_end_matches('Z').to_string(),
            None => printed,
        }
    }
}

// ---- JSON ------------------------------------------------------------------------------

/// The AutoScaleRun with an `explain` key after its own keys, which serialise exactly as
/// they do without it.
pub fn json(run: &AutoScaleRun, explanation: &Explanation) -> String {
    #[derive(Serialize)]
    struct Explained<'a> {
        #[serde(flatten)]
        run: &'a AutoScaleRun,
        explain: ExplainJson<'a>,
    }
    let explained = Explained {
        run,
        explain: ExplainJson {
            statements: explanation.statements.iter().map(statement_json).collect(),
            targets_error: explanation.targets_error.as_deref(),
        },
    };
    serde_json::to_string(&explained).expect("the explanation serialises to JSON")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExplainJson<'a> {
    statements: Vec<StatementJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets_error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatementJson<'a> {
    line: usize,
    column: usize,
    text: &'a str,
    /// `assigned`, `evaluated`, `stopped`, `failed` or `notRun`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variable: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before_truncation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    samples: Vec<SampleJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SampleJson<'a> {
    metric: &'static str,
    method: &'static str,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    most_recent: Option<u64>,
    period: String,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "percent")]
    covered_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "percent")]
    required_percent: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<MissingJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct MissingJson {
    from: String,
    to: String,
    slots: u64,
}

/// A percent as a JSON number: whole ones without a fraction (`70`, not `70.0`).
fn percent<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *x {
        Some(x) if x.fract() == 0.0 && x.abs() <= 1e15 => s.serialize_i64(x as i64),
        Some(x) => s.serialize_f64(x),
        None => s.serialize_none(),
    }
}

fn statement_json(statement: &StatementExplanation) -> StatementJson<'_> {
    let mut json = StatementJson {
        line: statement.position.line,
        column: statement.position.column,
        text: &statement.text,
        status: "notRun",
        variable: statement.variable.as_deref(),
        value: None,
        before_truncation: None,
        code: None,
        error: None,
        samples: statement.samples.iter().map(sample_json).collect(),
    };
    match &statement.result {
        StatementResult::Assigned {
            value,
            before_truncation,
        } => {
            json.status = "assigned";
            json.value = Some(value);
            json.before_truncation = before_truncation.as_deref();
        }
        StatementResult::Evaluated { value } => {
            json.status = "evaluated";
            json.value = Some(value);
        }
        StatementResult::Stopped => json.status = "stopped",
        StatementResult::Failed { code, message } => {
            json.status = "failed";
            json.code = Some(code);
            json.error = Some(message);
        }
        _ => {}
    }
    json
}

fn sample_json(call: &SampleCall) -> SampleJson<'_> {
    let time = |t: Timestamp| t.to_rfc3339();
    let (from, to, most_recent) = match call.request {
        SampleRequest::Window { from, to } => (Some(time(from)), Some(time(to)), None),
        SampleRequest::MostRecent { count } => (None, None, Some(count)),
        _ => (None, None, None),
    };
    SampleJson {
        metric: call.metric.name(),
        method: call.method,
        line: call.position.line,
        column: call.position.column,
        from,
        to,
        most_recent,
        period: Value::Interval(call.period).to_results_text(),
        count: call.count,
        first: call.first.map(time),
        last: call.last.map(time),
        covered_percent: call.covered_percent,
        required_percent: call.required_percent,
        missing: call
            .missing
            .iter()
            .map(|m: &MissingSlots| MissingJson {
                from: time(m.from),
                to: time(m.to),
                slots: m.slots,
            })
            .collect(),
        value: call.value.as_deref(),
        error: call.error.as_deref(),
    }
}
