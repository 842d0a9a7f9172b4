//! Workload readers (`simulation.md` section 4): CSV with a header, JSON lines, and the
//! Standard Workload Format; and recorded metrics for open loop.
//!
//! CSV and JSON lines take the fields `submit` (an RFC 3339 time, or seconds after the
//! start), `duration` (seconds), and optionally `slots` (default 1), `job`, `priority`
//! (-1000 to 1000, default 0) and `cpu` (percent, 0 to 100). Unknown columns or keys are
//! refused. SWF: field 2 is the submit time (seconds after the start), field 4 the run
//! time, field 5 the allocated processors (the slots; when it is missing, -1 or 0, field 8,
//! the requested processors \[decided\]); lines starting with `;` are comments; records
//! whose run time is -1 are skipped and counted.

use std::path::Path;

use batchscale::time::TICKS_PER_SECOND;
use batchscale::{Interval, Metric, SampleHistory, Snapshot, Timestamp};
use serde::Deserialize;

use crate::input::InputError;
use crate::model::TaskSpec;

/// When a task is submitted: an instant, or an offset from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// An RFC 3339 time.
    At(Timestamp),
    /// Seconds after `--start`.
    After(Interval),
}

/// A workload as read: tasks in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workload {
    /// The tasks.
    pub tasks: Vec<(Submit, TaskSpec)>,
    /// SWF records skipped (run time -1).
    pub skipped_records: u64,
}

impl Workload {
    /// The earliest absolute submit time, if any task has one.
    pub fn first_absolute(&self) -> Option<Timestamp> {
        self.tasks
            .iter()
            .filter_map(|(s, _)| match s {
                Submit::At(t) => Some(*t),
                Submit::After(_) => None,
            })
            .min()
    }

    /// The tasks with submit instants in ticks, sorted by time (file order among equal
    /// times). `None` if an offset runs past the year 9999.
    pub fn resolve(&self, start: Timestamp) -> Option<Vec<(i64, TaskSpec)>> {
        let mut out = Vec::with_capacity(self.tasks.len());
        for (submit, spec) in &self.tasks {
            let t = match submit {
                Submit::At(t) => *t,
                Submit::After(d) => start.checked_add(*d)?,
            };
            out.push((t.ticks(), *spec));
        }
        out.sort_by_key(|(t, _)| *t);
        Some(out)
    }
}

/// Reads a workload by its extension: `.csv`, `.jsonl`/`.ndjson`/`.json`, `.swf`.
pub fn read_workload(path: &Path) -> Result<Workload, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::file(&name, format!("cannot read the workload: {e}")))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => parse_csv(&text, &name),
        "jsonl" | "ndjson" | "json" => parse_jsonl(&text, &name),
        "swf" => parse_swf(&text, &name),
        other => Err(InputError::file(
            &name,
            format!(
                "unknown workload format {other:?}: expected a file ending in .csv, .jsonl or .swf"
            ),
        )),
    }
}

const COLUMNS: [&str; 6] = ["submit", "duration", "slots", "job", "priority", "cpu"];

/// Reads CSV text with a header.
pub fn parse_csv(text: &str, name: &str) -> Result<Workload, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| csv_error(name, &e))?.clone();
    if header.iter().all(str::is_empty) {
        return Err(InputError::at(
            name,
            1,
            None,
            None,
            "expected a header line naming the columns (submit,duration[,slots,job,priority,cpu])",
        ));
    }
    let mut index = [None; 6];
    for (i, column) in header.iter().enumerate() {
        let Some(k) = COLUMNS.iter().position(|c| *c == column) else {
            return Err(InputError::at(
                name,
                1,
                Some(i + 1),
                Some(column),
                format!(
                    "unknown column {column:?}: expected submit, duration, slots, job, priority or cpu"
                ),
            ));
        };
        if index[k].is_some() {
            return Err(InputError::at(
                name,
                1,
                Some(i + 1),
                Some(column),
                "this column appears twice",
            ));
        }
        index[k] = Some(i);
    }
    for (k, required) in [(0, "submit"), (1, "duration")] {
        if index[k].is_none() {
            return Err(InputError::at(
                name,
                1,
                None,
                None,
                format!("the header has no `{required}` column"),
            ));
        }
    }
    let mut workload = Workload::default();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |k: usize| index[k].and_then(|i| record.get(i)).unwrap_or("");
        let fail = |k: usize, message: String| {
            InputError::at(
                name,
                line,
                index[k].map(|i| i + 1),
                Some(COLUMNS[k]),
                message,
            )
        };
        let fields = RawFields {
            submit: Some(FieldValue::Text(get(0).to_string())),
            duration: Some(FieldValue::Text(get(1).to_string())),
            slots: non_empty(get(2)),
            priority: non_empty(get(4)),
            cpu: non_empty(get(5)),
        };
        workload
            .tasks
            .push(fields.resolve().map_err(|(k, m)| fail(k, m))?);
    }
    Ok(workload)
}

fn non_empty(text: &str) -> Option<FieldValue> {
    (!text.is_empty()).then(|| FieldValue::Text(text.to_string()))
}

fn csv_error(name: &str, e: &csv::Error) -> InputError {
    let line = e.position().map(|p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "the line is not UTF-8 text".to_string(),
        _ => e.to_string(),
    };
    InputError {
        file: name.to_string(),
        line,
        column: None,
        field: None,
        message,
    }
}

/// A field as found: text (CSV) or a JSON number or string.
#[derive(Debug, Clone)]
enum FieldValue {
    Text(String),
    Number(f64),
}

impl FieldValue {
    fn number(&self) -> Option<f64> {
        match self {
            FieldValue::Number(n) => Some(*n),
            FieldValue::Text(t) => t.parse::<f64>().ok().filter(|n| n.is_finite()),
        }
    }

    fn shown(&self) -> String {
        match self {
            FieldValue::Number(n) => n.to_string(),
            FieldValue::Text(t) => format!("{t:?}"),
        }
    }
}

struct RawFields {
    submit: Option<FieldValue>,
    duration: Option<FieldValue>,
    slots: Option<FieldValue>,
    priority: Option<FieldValue>,
    cpu: Option<FieldValue>,
}

fn seconds_to_interval(seconds: f64) -> Option<Interval> {
    let ticks = (seconds * TICKS_PER_SECOND as f64).round();
    (0.0..1e18)
        .contains(&ticks)
        .then_some(Interval(ticks as i64))
}

impl RawFields {
    /// The task, or (column index, message).
    fn resolve(self) -> Result<(Submit, TaskSpec), (usize, String)> {
        let submit = match &self.submit {
            None => {
                return Err((
                    0,
                    "missing `submit`: expected an RFC 3339 time or seconds after the start".into(),
                ));
            }
            Some(v) => match v.number() {
                Some(s) => Submit::After(seconds_to_interval(s).ok_or_else(|| {
                    (
                        0,
                        format!(
                            "expected seconds after the start (0 or more), found {}",
                            v.shown()
                        ),
                    )
                })?),
                None => match v {
                    FieldValue::Text(t) => {
                        Submit::At(Timestamp::parse_rfc3339(t).map_err(|e| {
                            (
                                0,
                                format!(
                                    "expected an RFC 3339 time or seconds after the start: {e}"
                                ),
                            )
                        })?)
                    }
                    FieldValue::Number(_) => unreachable!("a number has a value"),
                },
            },
        };
        let duration = match &self.duration {
            None => return Err((1, "missing `duration`: expected seconds".into())),
            Some(v) => v.number().and_then(seconds_to_interval).ok_or_else(|| {
                (
                    1,
                    format!(
                        "expected a duration in seconds (0 or more), found {}",
                        v.shown()
                    ),
                )
            })?,
        };
        let integer = |v: &FieldValue| v.number().filter(|n| n.fract() == 0.0);
        let slots = match &self.slots {
            None => 1,
            Some(v) => integer(v)
                .filter(|n| (1.0..=1024.0).contains(n))
                .ok_or_else(|| {
                    (
                        2,
                        format!(
                            "expected a whole number of slots from 1 to 1024, found {}",
                            v.shown()
                        ),
                    )
                })? as u32,
        };
        let priority = match &self.priority {
            None => 0,
            Some(v) => integer(v)
                .filter(|n| (-1000.0..=1000.0).contains(n))
                .ok_or_else(|| {
                    (
                        4,
                        format!(
                            "expected a whole job priority from -1000 to 1000, found {}",
                            v.shown()
                        ),
                    )
                })? as i32,
        };
        let cpu = match &self.cpu {
            None => None,
            Some(v) => Some(
                v.number()
                    .filter(|n| (0.0..=100.0).contains(n))
                    .ok_or_else(|| {
                        (
                            5,
                            format!(
                                "expected a CPU percentage from 0 to 100, found {}",
                                v.shown()
                            ),
                        )
                    })?,
            ),
        };
        Ok((
            submit,
            TaskSpec {
                slots,
                duration,
                cpu,
                priority,
            },
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTask {
    submit: Option<serde_json::Value>,
    duration: Option<serde_json::Value>,
    slots: Option<serde_json::Value>,
    #[allow(dead_code)]
    job: Option<serde_json::Value>,
    priority: Option<serde_json::Value>,
    cpu: Option<serde_json::Value>,
}

fn json_field(v: Option<serde_json::Value>) -> Option<FieldValue> {
    match v? {
        serde_json::Value::Number(n) => Some(FieldValue::Number(n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Some(FieldValue::Text(s)),
        serde_json::Value::Null => None,
        other => Some(FieldValue::Text(other.to_string())),
    }
}

/// Reads JSON lines: one task object a line; blank lines are skipped.
pub fn parse_jsonl(text: &str, name: &str) -> Result<Workload, InputError> {
    let mut workload = Workload::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let task: JsonTask = serde_json::from_str(line).map_err(|e| {
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            InputError::at(
                name,
                i + 1,
                Some(e.column().max(1)),
                None,
                format!(
                    "{} (expected an object with submit, duration and optionally slots, job, priority, cpu)",
                    message.strip_suffix(&suffix).unwrap_or(&message)
                ),
            )
        })?;
        let fields = RawFields {
            submit: json_field(task.submit),
            duration: json_field(task.duration),
            slots: json_field(task.slots),
            priority: json_field(task.priority),
            cpu: json_field(task.cpu),
        };
        let item = fields
            .resolve()
            .map_err(|(k, m)| InputError::at(name, i + 1, None, Some(COLUMNS[k]), m))?;
        workload.tasks.push(item);
    }
    Ok(workload)
}

/// Reads the Standard Workload Format (v2.2).
pub fn parse_swf(text: &str, name: &str) -> Result<Workload, InputError> {
    let mut workload = Workload::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let field = |n: usize| -> Result<f64, InputError> {
            let text = fields.get(n - 1).ok_or_else(|| {
                InputError::at(
                    name,
                    line_no,
                    None,
                    Some(&format!("field {n}")),
                    format!(
                        "expected at least {n} fields (SWF has 18), found {}",
                        fields.len()
                    ),
                )
            })?;
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    InputError::at(
                        name,
                        line_no,
                        None,
                        Some(&format!("field {n}")),
                        format!("expected a number, found {text:?}"),
                    )
                })
        };
        let submit = field(2)?;
        let run_time = field(4)?;
        if run_time == -1.0 {
            workload.skipped_records += 1;
            continue;
        }
        let bad = |n: usize, message: String| {
            InputError::at(name, line_no, None, Some(&format!("field {n}")), message)
        };
        let submit = seconds_to_interval(submit).ok_or_else(|| {
            bad(
                2,
                format!("expected a submit time of 0 or more seconds, found {submit}"),
            )
        })?;
        let duration = seconds_to_interval(run_time).ok_or_else(|| {
            bad(
                4,
                format!("expected a run time of 0 or more seconds (or -1), found {run_time}"),
            )
        })?;
        let mut processors = field(5)?;
        if processors < 1.0 && fields.len() >= 8 {
            processors = field(8)?;
        }
        if processors < 1.0 || processors.fract() != 0.0 || processors > 1024.0 {
            return Err(bad(
                5,
                format!(
                    "expected allocated processors (field 5) or requested processors (field 8) from 1 to 1024, found {processors}"
                ),
            ));
        }
        workload.tasks.push((
            Submit::After(submit),
            TaskSpec::new(processors as u32, duration),
        ));
    }
    Ok(workload)
}

/// Reads recorded metrics: an object in the snapshot's `metrics` shape
/// (`interfaces.md` section 1), with the snapshot's checks.
pub fn read_metrics(path: &Path) -> Result<Vec<(Metric, SampleHistory)>, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::file(&name, format!("cannot read the metrics: {e}")))?;
    parse_metrics(&text, &name)
}

/// Parses recorded metrics text (see [`read_metrics`]).
pub fn parse_metrics(text: &str, name: &str) -> Result<Vec<(Metric, SampleHistory)>, InputError> {
    if !text.trim_start().starts_with('{') {
        return Err(InputError::at(
            name,
            1,
            Some(1),
            None,
            "expected a JSON object keyed by metric name, as a snapshot's \"metrics\"",
        ));
    }
    // The snapshot reader does every check; wrapped on the first line, so only columns
    // of line 1 move.
    const PREFIX: &str = "{\"metrics\":";
    let wrapped = format!("{PREFIX}{text}\n}}");
    let snapshot = Snapshot::from_json(&wrapped, name).map_err(|e| {
        let column = if e.line == 1 {
            e.column.saturating_sub(PREFIX.len()).max(1)
        } else {
            e.column
        };
        let field = e
            .path
            .strip_prefix("metrics")
            .map(|p| p.trim_start_matches('.').to_string())
            .filter(|p| !p.is_empty());
        InputError {
            file: name.to_string(),
            line: Some(e.line),
            column: Some(column),
            field,
            message: e.message.clone(),
        }
    })?;
    Ok(snapshot
        .metrics
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(m, h)| (m, h.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_times_offsets_and_optional_columns() {
        let w = parse_csv(
            "submit,duration,slots,job,priority,cpu\n2025-01-06T09:00:00Z,600,2,render,5,80\n60,30.5,,,,\n",
            "w.csv",
        )
        .unwrap();
        assert_eq!(w.tasks.len(), 2);
        let (submit, spec) = w.tasks[0];
        assert_eq!(
            submit,
            Submit::At(Timestamp::parse_rfc3339("2025-01-06T09:00:00Z").unwrap())
        );
        assert_eq!((spec.slots, spec.priority, spec.cpu), (2, 5, Some(80.0)));
        assert_eq!(spec.duration, Interval(600 * TICKS_PER_SECOND));
        let (submit, spec) = w.tasks[1];
        assert_eq!(submit, Submit::After(Interval(60 * TICKS_PER_SECOND)));
        assert_eq!(spec.duration, Interval(305 * TICKS_PER_SECOND / 10));
        assert_eq!((spec.slots, spec.priority, spec.cpu), (1, 0, None));
    }

    #[test]
    fn csv_errors_name_the_line_and_column() {
        let e = parse_csv("submit,duration\n0,60\n30,soon\n", "w.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "w.csv:3:2: at duration: expected a duration in seconds (0 or more), found \"soon\""
        );
        let e = parse_csv("submit,duratoin\n", "w.csv").unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(2)));
        assert!(e.message.contains("unknown column"));
        let e = parse_csv("submit,duration\n0,60,3\n", "w.csv").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_csv("submit,duration,slots\n0,60,0\n", "w.csv").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("slots"));
        let e = parse_csv("submit,duration\nyesterday,60\n", "w.csv").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("submit"));
    }

    #[test]
    fn an_empty_csv_with_a_header_is_zero_tasks() {
        assert_eq!(
            parse_csv("submit,duration\n", "w.csv").unwrap().tasks.len(),
            0
        );
        assert!(parse_csv("", "w.csv").is_err());
    }

    #[test]
    fn json_lines_take_the_same_fields() {
        let w = parse_jsonl(
            "{\"submit\": 0, \"duration\": 60}\n\n{\"submit\": \"2025-01-06T00:01:00Z\", \"duration\": 5, \"slots\": 2, \"job\": \"a\"}\n",
            "w.jsonl",
        )
        .unwrap();
        assert_eq!(w.tasks.len(), 2);
        let e = parse_jsonl(
            "{\"submit\": 0, \"duration\": 60}\n{\"submit\": 0, \"durration\": 1}\n",
            "w.jsonl",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("durration"), "{e}");
        let e = parse_jsonl("{\"submit\": 0, \"duration\": -1}\n", "w.jsonl").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("duration"));
        let e = parse_jsonl(
            "{\"submit\": 0, \"duration\": 1}\n{\"submit\": 0,\n",
            "w.jsonl",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn decided_swf_submit_is_seconds_after_the_start_processors_fall_back_to_requested_and_skipped_records_count()
     {
        let w = parse_swf(
            "; Version: 2.2\n; comment\n1 0 10 3600 4 -1 -1 4 -1 -1 1 1 1 1 1 -1 -1 -1\n2 60 0 -1 2 -1 -1 2 -1 -1 0 1 1 1 1 -1 -1 -1\n3 120 0 60 -1 -1 -1 2 -1 -1 1 1 1 1 1 -1 -1 -1\n",
            "t.swf",
        )
        .unwrap();
        assert_eq!(w.skipped_records, 1);
        assert_eq!(w.tasks.len(), 2);
        assert_eq!(w.tasks[0].1.slots, 4);
        assert_eq!(w.tasks[0].1.duration, Interval(3600 * TICKS_PER_SECOND));
        assert_eq!(
            w.tasks[1].0,
            Submit::After(Interval(120 * TICKS_PER_SECOND))
        );
        assert_eq!(w.tasks[1].1.slots, 2);
        let e = parse_swf("1 x 0 60 1\n", "t.swf").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.swf:1: at field 2: expected a number, found \"x\""
        );
    }

    #[test]
    fn resolve_sorts_by_submit_keeping_file_order_for_ties() {
        let w = parse_csv("submit,duration\n60,1\n0,2\n60,3\n", "w.csv").unwrap();
        let start = Timestamp::from_date(2025, 1, 6).unwrap();
        let resolved = w.resolve(start).unwrap();
        let durations: Vec<i64> = resolved
            .iter()
            .map(|(_, s)| s.duration.ticks() / TICKS_PER_SECOND)
            .collect();
        assert_eq!(durations, vec![2, 1, 3]);
    }

    #[test]
    fn metrics_use_the_snapshot_shape_and_its_errors() {
        let m = parse_metrics(
            "{\"$CPUPercent\": {\"start\": \"2025-01-06T00:00:00Z\", \"values\": [1, null, 3]}}",
            "m.json",
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, Metric::CpuPercent);
        assert_eq!(m[0].1.values(), vec![1.0, 3.0]);
        let e = parse_metrics("{\"$CPUPercent\": {\"values\": [1, \"x\"]}}", "m.json").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.field.as_deref().unwrap().contains("CPUPercent"), "{e}");
        let e = parse_metrics("{\n  \"$Nope\": {\"values\": []}\n}", "m.json").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
