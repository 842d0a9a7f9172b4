//! The snapshot as JSON (`../shared/spec/interfaces.md` section 1):
//!
//! ```json
//! {
//!   "evaluationTime": "2025-04-24T11:34:37.971Z",
//!   "pool": { "targetDedicatedNodes": 1, "currentDedicatedNodes": 1, "taskSlotsPerNode": 1 },
//!   "metrics": {
//!     "$ActiveTasks": { "start": "2025-04-24T11:20:00Z", "period": "PT30S", "values": [0, null, 3] },
//!     "$CPUPercent":  { "samples": [ { "time": "2025-04-24T11:34:00Z", "value": 12.5 } ] }
//!   },
//!   "randomSeed": 7
//! }
//! ```
//!
//! Every part is optional. Bad input is refused, never guessed: unknown keys at any level,
//! wrong types, `null` anywhere but in a regular series' `values`, non-finite numbers,
//! unparsable or out-of-range times and durations, non-positive periods, unknown or
//! duplicate metrics, duplicate keys, two samples of a metric at one time, and a regular
//! series whose last slot falls after the year 9999.
//!
//! Errors name the file, the place as a path (`metrics.$ActiveTasks.values[2]`; keys that
//! are not plain words are quoted: `metrics["a b"]`; empty for the top level), and
//! serde_json's 1-based line and column. Those point at the last character of the
//! offending value or key (a number's last digit, a string's closing quote); for an object
//! or array where something else was expected, at the character just before it; for a
//! missing field, a mixed series form or a regular series running past 9999, at the
//! closing brace of the series or sample object.
//!
//! The objects are serde derives (`deny_unknown_fields`) read through [`Object`], which
//! refuses arrays and duplicate keys and then checks what the derive read; the leaves are
//! a few newtypes whose visitors say what they expected.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde_json::{Map, Value};

use super::{DEFAULT_PERIOD, METRIC_COUNT, MetricHistories, PoolState, SampleHistory, Snapshot};
use crate::builtins::Metric;
use crate::time::parse::{parse_iso8601_duration, parse_rfc3339};
use crate::time::print::{iso8601_duration, rfc3339};
use crate::time::{Interval, MAX_TIMESTAMP_TICKS, Timestamp};

/// Why a snapshot was refused, and where.
///
/// Displays on one line as `<file>:<line>:<column>: at <path>: <message>`, with
/// `at the top level` when the path is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}:{column}: at {}: {message}", place(path))]
pub struct SnapshotError {
    /// The name the caller gave the input (a path, `<stdin>`, ...).
    pub source_name: String,
    /// Where, as `metrics.$ActiveTasks.values[2]`; empty for the top level.
    pub path: String,
    /// 1-based line, as serde_json reports it.
    pub line: usize,
    /// 1-based column, as serde_json reports it.
    pub column: usize,
    /// What was wrong or expected, e.g. `invalid type: string "x", expected a finite number or null`.
    pub message: String,
}

fn place(path: &str) -> &str {
    if path.is_empty() {
        "the top level"
    } else {
        path
    }
}

impl Snapshot {
    /// Parses snapshot JSON text; `source_name` is the file name used in errors.
    pub fn from_json(text: &str, source_name: &str) -> Result<Snapshot, SnapshotError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let snapshot: Object<Snapshot> = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|err| {
                let path = path_string(err.path());
                snapshot_error(source_name, path, err.into_inner())
            })?;
        deserializer
            .end()
            .map_err(|err| snapshot_error(source_name, String::new(), err))?;
        Ok(snapshot.0)
    }

    /// The snapshot as JSON in the shape [`Snapshot::from_json`] reads (write it with
    /// `serde_json::to_string_pretty`).
    ///
    /// Every pool field is written (`usableNodeCount` explicitly); metrics in the explicit
    /// `samples` form with their period, omitting those that are empty with the default
    /// period; times as RFC 3339 in UTC with 0 to 7 fractional digits; periods as ISO 8601
    /// (`PT30S`, `PT0.5S`, `PT1M30S`, `P1DT2H`). `from_json(to_json(s))` gives back `s` for
    /// any snapshot `from_json` can produce, with one caveat on numbers: serde_json's
    /// default float parser reads numbers of up to 15 significant digits exactly but may
    /// come back one ulp off for some 16- and 17-digit ones (such as `958787.2702291189`)
    /// unless its `float_roundtrip` feature is enabled. Non-finite numbers, which no
    /// parsed snapshot holds, become `null`.
    pub fn to_json(&self) -> Value {
        let mut root = Map::new();
        if let Some(time) = self.evaluation_time {
            root.insert("evaluationTime".into(), rfc3339(time).into());
        }
        let pool = &self.pool;
        let pool: Map<String, Value> = [
            ("targetDedicatedNodes", pool.target_dedicated_nodes),
            ("targetLowPriorityNodes", pool.target_low_priority_nodes),
            ("currentDedicatedNodes", pool.current_dedicated_nodes),
            ("currentLowPriorityNodes", pool.current_low_priority_nodes),
            ("taskSlotsPerNode", pool.task_slots_per_node),
            ("usableNodeCount", pool.usable_node_count),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.into()))
        .collect();
        root.insert("pool".into(), pool.into());
        let mut metrics = Map::new();
        for (metric, history) in self.metrics.iter() {
            if history.is_empty() && history.period == DEFAULT_PERIOD {
                continue;
            }
            let samples: Vec<Value> = history
                .samples()
                .map(|(time, value)| serde_json::json!({"time": rfc3339(time), "value": value}))
                .collect();
            let series = serde_json::json!({
                "period": iso8601_duration(history.period),
                "samples": samples,
            });
            metrics.insert(metric.name().into(), series);
        }
        if !metrics.is_empty() {
            root.insert("metrics".into(), metrics.into());
        }
        if let Some(seed) = self.random_seed {
            root.insert("randomSeed".into(), seed.into());
        }
        Value::Object(root)
    }
}

/// Writes [`Snapshot::to_json`]'s shape, so that a snapshot built in code (by a simulator,
/// say) can be saved and replayed with `batchscale eval --pool`.
impl serde::Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Reads the shape [`Snapshot::from_json`] reads, with the same checks (use `from_json`
/// for errors that carry the file name, line and column).
impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Snapshot, D::Error> {
        Object::<Snapshot>::deserialize(deserializer).map(|object| object.0)
    }
}

fn snapshot_error(source_name: &str, path: String, err: serde_json::Error) -> SnapshotError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    SnapshotError {
        source_name: source_name.to_string(),
        path,
        // serde_json says column 0 at the very start of a line (e.g. empty input).
        line: line.max(1),
        column: column.max(1),
        message,
    }
}

/// `a.b[2].c`, with keys that are not plain words quoted: `metrics["a.b"]`.
fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    let quoted = serde_json::to_string(key).unwrap_or_else(|_| "?".into());
                    out.push_str(&format!("[{quoted}]"));
                }
            }
            // A key that failed to parse: the error is about the enclosing object.
            Segment::Unknown => {}
        }
    }
    out
}

// --- objects: a serde derive, read from a JSON object only, without duplicate keys ----------

/// What a JSON object is read into: its serde derive (`Raw`), then checked.
trait FromObject: Sized {
    /// The object's fields as serde derives them (`deny_unknown_fields`).
    type Raw: DeserializeOwned;
    /// What the object is, for "expected ..." messages.
    const EXPECTING: &'static str;
    /// The checks the derive cannot make, once every field is read; an error here points
    /// at the object's closing brace.
    fn from_raw(raw: Self::Raw) -> Result<Self, String>;
}

/// A `T` read from a JSON object: not from an array (serde's derive would take a struct
/// from an array of its fields), and refusing a key given twice.
struct Object<T>(T);

impl<'de, T: FromObject> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: FromObject> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
        let keys = UniqueKeys {
            map,
            seen: Vec::new(),
        };
        let raw = T::Raw::deserialize(MapAccessDeserializer::new(keys))?;
        T::from_raw(raw).map(Object).map_err(de::Error::custom)
    }
}

/// A map whose keys are refused when given twice, as they are read (so that the error
/// points at the second one).
struct UniqueKeys<A> {
    map: A,
    seen: Vec<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for UniqueKeys<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.map.next_key_seed(UniqueKey {
            seed,
            seen: &mut self.seen,
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

struct UniqueKey<'a, K> {
    seed: K,
    seen: &'a mut Vec<String>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for UniqueKey<'_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        let key = String::deserialize(deserializer)?;
        if self.seen.contains(&key) {
            return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
        }
        let value = self
            .seed
            .deserialize(IntoDeserializer::<D::Error>::into_deserializer(
                key.as_str(),
            ))?;
        self.seen.push(key);
        Ok(value)
    }
}

/// An optional field: `None` when absent (the objects' `#[serde(default)]`), while `null`
/// is refused like any other wrong type (serde's `Option` would take it as absent).
struct Given<T>(Option<T>);

impl<T> Default for Given<T> {
    fn default() -> Self {
        Given(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Given(Some(value)))
    }
}

// --- the objects ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct RawSnapshot {
    evaluation_time: Given<Rfc3339Time>,
    pool: Given<Object<PoolState>>,
    metrics: Given<Metrics>,
    random_seed: Given<Seed>,
}

impl FromObject for Snapshot {
    type Raw = RawSnapshot;
    const EXPECTING: &'static str = "a snapshot object";

    fn from_raw(raw: RawSnapshot) -> Result<Snapshot, String> {
        Ok(Snapshot {
            evaluation_time: raw.evaluation_time.0.map(|t| t.0),
            pool: raw.pool.0.map(|p| p.0).unwrap_or_default(),
            metrics: raw.metrics.0.map(|m| m.0).unwrap_or_default(),
            random_seed: raw.random_seed.0.map(|s| s.0),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct RawPool {
    target_dedicated_nodes: Given<Finite>,
    target_low_priority_nodes: Given<Finite>,
    current_dedicated_nodes: Given<Finite>,
    current_low_priority_nodes: Given<Finite>,
    task_slots_per_node: Given<Finite>,
    usable_node_count: Given<Finite>,
}

impl FromObject for PoolState {
    type Raw = RawPool;
    const EXPECTING: &'static str = "a pool object";

    fn from_raw(raw: RawPool) -> Result<PoolState, String> {
        let given = |x: Given<Finite>| x.0.map(|x| x.0);
        let current_dedicated_nodes = given(raw.current_dedicated_nodes).unwrap_or(0.0);
        let current_low_priority_nodes = given(raw.current_low_priority_nodes).unwrap_or(0.0);
        let usable_node_count = match given(raw.usable_node_count) {
            Some(count) => count,
            None => {
                let sum = current_dedicated_nodes + current_low_priority_nodes;
                if !sum.is_finite() {
                    return Err("expected usableNodeCount to be given: its default, \
                         currentDedicatedNodes + currentLowPriorityNodes, is not finite here"
                        .to_string());
                }
                sum
            }
        };
        Ok(PoolState {
            target_dedicated_nodes: given(raw.target_dedicated_nodes).unwrap_or(0.0),
            target_low_priority_nodes: given(raw.target_low_priority_nodes).unwrap_or(0.0),
            current_dedicated_nodes,
            current_low_priority_nodes,
            task_slots_per_node: given(raw.task_slots_per_node).unwrap_or(1.0),
            usable_node_count,
        })
    }
}

/// One metric's series, in either form.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawSeries {
    start: Given<Rfc3339Time>,
    period: Given<Period>,
    values: Given<Vec<MaybeFinite>>,
    samples: Given<Samples>,
}

impl FromObject for SampleHistory {
    type Raw = RawSeries;
    const EXPECTING: &'static str = "a metric series object: {\"start\", \"period\", \"values\"} \
         or {\"samples\", \"period\"}";

    fn from_raw(raw: RawSeries) -> Result<SampleHistory, String> {
        let (start, values) = (raw.start.0, raw.values.0);
        let period = raw.period.0.map_or(DEFAULT_PERIOD, |p| p.0);
        if let Some(samples) = raw.samples.0 {
            let mut regular: Vec<&str> = Vec::new();
            if start.is_some() {
                regular.push("`start`");
            }
            if values.is_some() {
                regular.push("`values`");
            }
            if !regular.is_empty() {
                return Err(format!(
                    "expected either the explicit form (`samples`, `period`) or the regular \
                     form (`start`, `period`, `values`), found `samples` with {}",
                    regular.join(" and ")
                ));
            }
            // `Samples` has already refused duplicate times.
            return SampleHistory::from_samples(period, samples.0)
                .map_err(|time| format!("two samples at {}", rfc3339(time)));
        }
        match (start, values) {
            (None, None) => Ok(SampleHistory {
                period,
                ..SampleHistory::default()
            }),
            // A series with no values has no first time to give (interfaces.md section 1).
            (None, Some(values)) if values.is_empty() => Ok(SampleHistory {
                period,
                ..SampleHistory::default()
            }),
            (None, Some(_)) => Err("missing field `start`".to_string()),
            (Some(_), None) => Err("missing field `values`".to_string()),
            (Some(start), Some(values)) => regular_history(start.0, period, &values),
        }
    }
}

/// The history of a regular series: value `i` at `start + i * period`, nulls skipped.
/// Every slot, null or not, must fall within the years 1 to 9999.
fn regular_history(
    start: Timestamp,
    period: Interval,
    values: &[MaybeFinite],
) -> Result<SampleHistory, String> {
    if let Some(last) = values.len().checked_sub(1) {
        let end = i64::try_from(last)
            .ok()
            .and_then(|i| i.checked_mul(period.ticks()))
            .and_then(|offset| start.ticks().checked_add(offset))
            .and_then(Timestamp::from_ticks);
        if end.is_none() {
            return Err(format!(
                "expected a series that ends by {}, found values[{last}] at {} + {last} * {}",
                Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).map_or_else(String::new, rfc3339),
                rfc3339(start),
                iso8601_duration(period),
            ));
        }
    }
    let count = values.iter().filter(|v| v.0.is_some()).count();
    let mut times = Vec::with_capacity(count);
    let mut kept = Vec::with_capacity(count);
    let mut ticks = start.ticks();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            // Cannot overflow: the last slot was checked above and slots increase.
            ticks = ticks.saturating_add(period.ticks());
        }
        if let Some(value) = value.0
            && let Some(time) = Timestamp::from_ticks(ticks)
        {
            times.push(time);
            kept.push(value);
        }
    }
    Ok(SampleHistory {
        period,
        times,
        values: kept,
        first: 0,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSample {
    time: SampleTime,
    value: Finite,
}

/// One `{time, value}` sample.
struct Sample(Timestamp, f64);

impl FromObject for Sample {
    type Raw = RawSample;
    const EXPECTING: &'static str = "a sample object {\"time\": ..., \"value\": ...}";

    fn from_raw(raw: RawSample) -> Result<Sample, String> {
        Ok(Sample(raw.time.0, raw.value.0))
    }
}

// --- metrics: keys with or without their `$`, each metric once ---------------------------

/// The `metrics` object, as histories.
struct Metrics(MetricHistories);

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MetricsVisitor)
    }
}

struct MetricsVisitor;

impl<'de> Visitor<'de> for MetricsVisitor {
    type Value = Metrics;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of metric series keyed by metric name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metrics, A::Error> {
        let mut histories = MetricHistories::default();
        let mut spellings: [Option<String>; METRIC_COUNT] = Default::default();
        while let Some(metric) = map.next_key_seed(MetricKey {
            spellings: &mut spellings,
        })? {
            let series: Object<SampleHistory> = map.next_value()?;
            histories.set(metric, series.0);
        }
        Ok(Metrics(histories))
    }
}

/// A metric name with or without its `$`, not given before (under either spelling).
struct MetricKey<'a> {
    spellings: &'a mut [Option<String>; METRIC_COUNT],
}

impl<'de> DeserializeSeed<'de> for MetricKey<'_> {
    type Value = Metric;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Metric, D::Error> {
        let name = String::deserialize(deserializer)?;
        let bare = name.strip_prefix('$').unwrap_or(&name);
        let Some(metric) = Metric::ALL.into_iter().find(|m| &m.name()[1..] == bare) else {
            return Err(de::Error::custom(unknown_metric_message(&name)));
        };
        let slot = &mut self.spellings[metric.index()];
        if let Some(earlier) = slot {
            return Err(de::Error::custom(if *earlier == name {
                format!("duplicate metric {}", quote(&name))
            } else {
                format!(
                    "duplicate metric {}: {} and {} name the same metric",
                    metric.name(),
                    quote(earlier),
                    quote(&name)
                )
            }));
        }
        *slot = Some(name);
        Ok(metric)
    }
}

fn unknown_metric_message(name: &str) -> String {
    let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
    let mut message = format!("unknown metric {}", quote(name));
    match suggest_metric(name) {
        Some((metric, true)) => message.push_str(&format!(
            " (did you mean \"{}\"? metric names are case-sensitive)",
            metric.name()
        )),
        Some((metric, false)) => {
            message.push_str(&format!(" (did you mean \"{}\"?)", metric.name()));
        }
        None => {}
    }
    message.push_str(&format!(
        "; expected one of {}, with or without the `$`",
        known.join(", ")
    ));
    message
}

/// The metric `name` was probably meant to be, and whether it differs only by case.
/// Names are compared as written, with or without the `$`.
fn suggest_metric(name: &str) -> Option<(Metric, bool)> {
    let dollar = name.starts_with('$');
    let spelt = |metric: Metric| {
        if dollar {
            metric.name()
        } else {
            &metric.name()[1..]
        }
    };
    let found = crate::suggest::suggest(name, Metric::ALL.into_iter().map(spelt))?;
    let metric = Metric::ALL.into_iter().find(|&m| spelt(m) == found)?;
    Some((metric, found.eq_ignore_ascii_case(name)))
}

// --- samples: each time once ---------------------------------------------------------------

thread_local! {
    /// The times of the `samples` list being read, with the index of the sample that gave
    /// each, so that a second sample at a time is refused at its `time`.
    static SAMPLE_TIMES: RefCell<Option<HashMap<Timestamp, usize>>> = const { RefCell::new(None) };
}

/// The `samples` list of an explicit series.
struct Samples(Vec<(Timestamp, f64)>);

impl<'de> Deserialize<'de> for Samples {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SamplesVisitor)
    }
}

struct SamplesVisitor;

/// Clears [`SAMPLE_TIMES`] when a list is read, whether it was read through or not.
struct SampleTimesGuard;

impl Drop for SampleTimesGuard {
    fn drop(&mut self) {
        SAMPLE_TIMES.with(|times| times.borrow_mut().take());
    }
}

impl<'de> Visitor<'de> for SamplesVisitor {
    type Value = Samples;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of {\"time\": ..., \"value\": ...} samples")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Samples, A::Error> {
        let hint = seq.size_hint().unwrap_or(0).min(1 << 16);
        SAMPLE_TIMES.with(|times| *times.borrow_mut() = Some(HashMap::with_capacity(hint)));
        let _clear = SampleTimesGuard;
        let mut samples = Vec::with_capacity(hint);
        while let Some(Object(Sample(time, value))) = seq.next_element()? {
            samples.push((time, value));
        }
        Ok(Samples(samples))
    }
}

/// A sample's time, refused if an earlier sample of the list has it.
struct SampleTime(Timestamp);

impl<'de> Deserialize<'de> for SampleTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text {
            expecting: RFC3339_EXPECTED,
            parse: |v| {
                let time = parse_rfc3339(v)?;
                let earlier = SAMPLE_TIMES.with(|times| {
                    let mut times = times.borrow_mut();
                    let times = times.as_mut()?;
                    let index = times.len();
                    let earlier = times.get(&time).copied();
                    times.entry(time).or_insert(index);
                    earlier
                });
                match earlier {
                    Some(earlier) => Err(format!(
                        "expected at most one sample per time, found a second sample at {} \
                         (the first is samples[{earlier}])",
                        rfc3339(time)
                    )),
                    None => Ok(time),
                }
            },
        };
        deserializer.deserialize_str(text).map(SampleTime)
    }
}

// --- the leaves --------------------------------------------------------------------------

/// A finite number (integers are converted).
struct Finite(f64);

impl<'de> Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_f64(NumberVisitor { null_ok: false })
            // Without null_ok the visitor never gives None.
            .map(|x| Finite(x.unwrap_or(0.0)))
    }
}

/// A finite number or `null` (a missing sample in a regular series).
struct MaybeFinite(Option<f64>);

impl<'de> Deserialize<'de> for MaybeFinite {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NumberVisitor { null_ok: true })
            .map(MaybeFinite)
    }
}

struct NumberVisitor {
    null_ok: bool,
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.null_ok {
            "a finite number or null"
        } else {
            "a finite number"
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
        if v.is_finite() {
            Ok(Some(v))
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
        if self.null_ok {
            Ok(None)
        } else {
            Err(E::invalid_type(Unexpected::Unit, &self))
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<f64>, E> {
        self.visit_unit()
    }
}

/// `randomSeed`: an unsigned 64-bit integer.
struct Seed(u64);

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(SeedVisitor).map(Seed)
    }
}

struct SeedVisitor;

impl<'de> Visitor<'de> for SeedVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an unsigned 64-bit integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }
}

/// A string read by a parser whose errors already read "expected ..., found ...".
struct Text<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

impl<'de, T> Visitor<'de> for Text<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

const RFC3339_EXPECTED: &str = "an RFC 3339 time string such as \"2025-04-24T11:34:37Z\"";

/// An RFC 3339 instant in the years 1 to 9999 with at most 7 fractional digits.
struct Rfc3339Time(Timestamp);

impl<'de> Deserialize<'de> for Rfc3339Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text {
            expecting: RFC3339_EXPECTED,
            parse: parse_rfc3339,
        };
        deserializer.deserialize_str(text).map(Rfc3339Time)
    }
}

/// A positive ISO 8601 duration.
struct Period(Interval);

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text {
            expecting: "an ISO 8601 duration string such as \"PT30S\"",
            parse: |v| match parse_iso8601_duration(v)? {
                period if period.ticks() > 0 => Ok(period),
                _ => Err(format!(
                    "expected a positive period such as \"PT30S\", found {}",
                    quote(v)
                )),
            },
        };
        deserializer.deserialize_str(text).map(Period)
    }
}

/// A string as JSON writes it, shortened if long.
fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    if text.chars().count() > MAX_CHARS {
        let head: String = text.chars().take(MAX_CHARS).collect();
        format!("{}...", serde_json::Value::from(head))
    } else {
        serde_json::Value::from(text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The reader's behaviour is tested through the public API in tests/engine/snapshot.rs.

    #[test]
    fn bad_numbers() {
        // Direct check of the visitor, since serde_json never produces a non-finite f64.
        let err: serde_json::Error = NumberVisitor { null_ok: true }
            .visit_f64(f64::INFINITY)
            .unwrap_err();
        assert!(
            err.to_string().contains("expected a finite number"),
            "{err}"
        );
    }
}
