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
                .times
                .iter()
                .zip(&history.values)
                .map(|(&time, &value)| serde_json::json!({"time": rfc3339(time), "value": value}))
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

    #[test]
    fn a_snapshot_serialises_to_what_it_reads() {
        let text = r#"{"evaluationTime":"2024-05-01T10:00:00Z","pool":{"currentDedicatedNodes":2},
            "metrics":{"$ActiveTasks":{"start":"2024-05-01T09:59:00Z","values":[1,null,3]}},"randomSeed":7}"#;
        let snapshot = Snapshot::from_json(text, "s.json").unwrap();
        let written = serde_json::to_string(&snapshot).unwrap();
        let back: Snapshot = serde_json::from_str(&written).unwrap();
        assert_eq!(back, snapshot);
    }

    use super::*;
    use crate::time::{TICKS_PER_DAY, TICKS_PER_MINUTE, TICKS_PER_SECOND};

    /// The contract's example, also a fixture for the CLI's tests.
    const EXAMPLE: &str = include_str!("../../tests/data/snapshots/example.json");

    fn ts(text: &str) -> Timestamp {
        parse_rfc3339(text).unwrap()
    }

    fn parse(text: &str) -> Snapshot {
        Snapshot::from_json(text, "test.json").unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> SnapshotError {
        match Snapshot::from_json(text, "test.json") {
            Ok(s) => panic!("accepted {text}: {s:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error's path, position and that its message contains `needle`.
    #[track_caller]
    fn assert_err(text: &str, path: &str, line: usize, column: usize, needle: &str) {
        let e = parse_err(text);
        let shown = e.to_string();
        assert_eq!(e.path, path, "path of {shown}");
        assert_eq!((e.line, e.column), (line, column), "position of {shown}");
        assert!(e.message.contains(needle), "{shown} lacks {needle:?}");
        assert!(!e.message.contains(" at line "), "{shown}");
        assert_eq!(e.source_name, "test.json");
    }

    #[test]
    fn full_example_parses() {
        let s = parse(EXAMPLE);
        assert_eq!(s.evaluation_time, Some(ts("2025-04-24T11:34:37.971Z")));
        assert_eq!(s.random_seed, Some(7));
        assert_eq!(
            s.pool,
            PoolState {
                target_dedicated_nodes: 1.0,
                target_low_priority_nodes: 0.0,
                current_dedicated_nodes: 1.0,
                current_low_priority_nodes: 0.0,
                task_slots_per_node: 1.0,
                usable_node_count: 1.0,
            }
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.period, DEFAULT_PERIOD);
        assert_eq!(
            active.times,
            vec![
                ts("2025-04-24T11:20:00Z"),
                ts("2025-04-24T11:20:30Z"),
                ts("2025-04-24T11:21:30Z"),
            ]
        );
        assert_eq!(active.values, vec![0.0, 0.0, 0.0]);
        let cpu = s.metrics.get(Metric::CpuPercent);
        assert_eq!(cpu.period, DEFAULT_PERIOD);
        assert_eq!(cpu.times, vec![ts("2025-04-24T11:34:00Z")]);
        assert_eq!(cpu.values, vec![12.5]);
        for (metric, history) in s.metrics.iter() {
            if metric != Metric::ActiveTasks && metric != Metric::CpuPercent {
                assert_eq!(history, &SampleHistory::default());
            }
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(parse("{}"), Snapshot::default());
        assert_eq!(parse(" {\n}\n "), Snapshot::default());
        let s = parse(r#"{"pool": {"currentDedicatedNodes": 3, "currentLowPriorityNodes": -1}}"#);
        assert_eq!(s.pool.usable_node_count, 2.0);
        assert_eq!(s.pool.task_slots_per_node, 1.0);
        assert_eq!(s.pool.target_dedicated_nodes, 0.0);
        assert_eq!(s.pool.current_low_priority_nodes, -1.0);
        assert_eq!(parse(r#"{"pool": {}}"#).pool, PoolState::default());
        assert_eq!(parse(r#"{"metrics": {}}"#), Snapshot::default());
        assert_eq!(s.evaluation_time, None);
        assert_eq!(s.random_seed, None);
        let d = SampleHistory::default();
        assert_eq!(d.period, Interval(300_000_000));
        assert!(d.is_empty());
    }

    #[test]
    fn dollarless_names_and_periods() {
        let s = parse(
            r#"{"metrics": {
                "ActiveTasks": {"start": "2025-01-01T00:00:00Z", "period": "PT1M", "values": [1, 2]},
                "PendingTasks": {"period": "PT5M"},
                "RunningTasks": {},
                "FailedTasks": {"period": "PT0.5S", "samples": []}
            }, "randomSeed": 18446744073709551615}"#,
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.period, Interval(60 * TICKS_PER_SECOND));
        assert_eq!(
            active.times,
            vec![ts("2025-01-01T00:00:00Z"), ts("2025-01-01T00:01:00Z")]
        );
        assert_eq!(active.values, vec![1.0, 2.0]);
        let pending = s.metrics.get(Metric::PendingTasks);
        assert!(pending.is_empty());
        assert_eq!(pending.period, Interval(5 * TICKS_PER_MINUTE));
        assert_eq!(
            s.metrics.get(Metric::RunningTasks),
            &SampleHistory::default()
        );
        assert_eq!(
            s.metrics.get(Metric::FailedTasks).period,
            Interval(TICKS_PER_SECOND / 2)
        );
        assert_eq!(s.random_seed, Some(u64::MAX));
    }

    #[test]
    fn unsorted_samples_are_sorted() {
        let s = parse(
            r#"{"metrics": {"$CPUPercent": {"period": "PT1M", "samples": [
                {"time": "2025-04-24T11:36:00Z", "value": 3},
                {"value": 1, "time": "2025-04-24T11:34:00Z"},
                {"time": "2025-04-24T11:35:00.5Z", "value": -2.5}
            ]}}}"#,
        );
        let cpu = s.metrics.get(Metric::CpuPercent);
        assert_eq!(
            cpu.times,
            vec![
                ts("2025-04-24T11:34:00Z"),
                ts("2025-04-24T11:35:00.5Z"),
                ts("2025-04-24T11:36:00Z"),
            ]
        );
        assert_eq!(cpu.values, vec![1.0, -2.5, 3.0]);
        assert_eq!(cpu.period, Interval(60 * TICKS_PER_SECOND));
    }

    #[test]
    fn syntax_and_type_errors() {
        assert_err("", "", 1, 1, "EOF while parsing a value");
        assert_err(
            "{\n  \"pool\": {,}\n}",
            "pool",
            2,
            12,
            "key must be a string",
        );
        assert_err("{} x", "", 1, 4, "trailing characters");
        assert_err("[]", "", 1, 1, "expected a snapshot object");
        // serde's derive would take a struct as an array of its fields; this does not.
        assert_err(
            r#"["2025-01-01T00:00:00Z"]"#,
            "",
            1,
            1,
            "expected a snapshot object",
        );
        assert_err(r#"{"pool": [1]}"#, "pool", 1, 9, "expected a pool object");
        assert_err(
            "{\"pool\": {\n  \"currentDedicatedNodes\": \"2\"}}",
            "pool.currentDedicatedNodes",
            2,
            30,
            "invalid type: string \"2\", expected a finite number",
        );
        assert_err(
            r#"{"pool": {"taskSlotsPerNode": null}}"#,
            "pool.taskSlotsPerNode",
            1,
            34,
            "invalid type: null, expected a finite number",
        );
        assert_err(
            r#"{"randomSeed": -1}"#,
            "randomSeed",
            1,
            17,
            "invalid value: integer `-1`, expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"randomSeed": 18446744073709551616}"#,
            "randomSeed",
            1,
            35,
            "expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"pool": {"currentDedicatedNodes": 1e308, "currentLowPriorityNodes": 1e308}}"#,
            "pool",
            1,
            75,
            "expected usableNodeCount to be given",
        );
        let s = parse(
            r#"{"pool": {"currentDedicatedNodes": 1e308, "currentLowPriorityNodes": 1e308, "usableNodeCount": 5}}"#,
        );
        assert_eq!(s.pool.usable_node_count, 5.0);
        assert_err(
            r#"{"randomSeed": 7.5}"#,
            "randomSeed",
            1,
            18,
            "invalid type: floating point `7.5`, expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"evaluationTime": null}"#,
            "evaluationTime",
            1,
            23,
            "expected an RFC 3339 time string",
        );
        assert_err(
            r#"{"metrics": []}"#,
            "metrics",
            1,
            12,
            "expected an object of metric series",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [1]}}}"#,
            "metrics.$CPUPercent.samples[0]",
            1,
            42,
            "expected a sample object",
        );
    }

    #[test]
    fn unknown_keys() {
        assert_err(
            "{\n  \"evaluationtime\": 1}",
            "evaluationtime",
            2,
            18,
            "unknown field `evaluationtime`, expected one of `evaluationTime`",
        );
        assert_err(
            r#"{"pool": {"dedicated": 1}}"#,
            "pool.dedicated",
            1,
            21,
            "unknown field `dedicated`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"start": "2025-01-01T00:00:00Z", "Values": []}}}"#,
            "metrics.$CPUPercent.Values",
            1,
            70,
            "unknown field `Values`, expected one of `start`, `period`, `values`, `samples`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2025-01-01T00:00:00Z", "value": 1, "x": 2}]}}}"#,
            "metrics.$CPUPercent.samples[0].x",
            1,
            89,
            "unknown field `x`, expected `time` or `value`",
        );
        assert_err(
            r#"{"pool": {}, "pool": {}}"#,
            "pool",
            1,
            19,
            "duplicate field `pool`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"period": "PT1M", "period": "PT1M"}}}"#,
            "metrics.$CPUPercent.period",
            1,
            55,
            "duplicate field `period`",
        );
    }

    #[test]
    fn unknown_and_duplicate_metrics() {
        let e = parse_err(r#"{"metrics": {"$CpuPercent": {}}}"#);
        assert_eq!(e.path, "metrics.$CpuPercent");
        assert_eq!((e.line, e.column), (1, 26));
        assert!(e.message.contains("unknown metric \"$CpuPercent\""), "{e}");
        assert!(e.message.contains("case-sensitive"), "{e}");
        assert!(
            e.message.starts_with(
                "unknown metric \"$CpuPercent\" (did you mean \"$CPUPercent\"? metric names \
                 are case-sensitive); expected one of $CPUPercent, "
            ),
            "{e}"
        );
        for metric in Metric::ALL {
            assert!(e.message.contains(metric.name()), "{e}");
        }
        let e = parse_err(r#"{"metrics": {"ActiveTask": {}}}"#);
        assert!(
            e.message
                .starts_with("unknown metric \"ActiveTask\" (did you mean \"$ActiveTasks\"?);"),
            "{e}"
        );
        assert!(!e.message.contains("case-sensitive"), "{e}");
        let e = parse_err(r#"{"metrics": {"Bogus": {}}}"#);
        assert!(!e.message.contains("did you mean"), "{e}");
        assert!(
            e.message.ends_with(
                "; expected one of $CPUPercent, $WallClockSeconds, $MemoryBytes, \
                 $DiskBytes, $DiskReadBytes, $DiskWriteBytes, $DiskReadOps, $DiskWriteOps, \
                 $NetworkInBytes, $NetworkOutBytes, $SampleNodeCount, $ActiveTasks, \
                 $RunningTasks, $PendingTasks, $SucceededTasks, $FailedTasks, \
                 $PreemptedNodeCount, with or without the `$`"
            ),
            "{e}"
        );
        assert_err(
            r#"{"metrics": {"a.b": {}}}"#,
            r#"metrics["a.b"]"#,
            1,
            18,
            "unknown metric \"a.b\"",
        );
        assert_err(
            "{\"metrics\": {\n  \"ActiveTasks\": {},\n  \"$ActiveTasks\": {}}}",
            "metrics.$ActiveTasks",
            3,
            16,
            "duplicate metric $ActiveTasks: \"ActiveTasks\" and \"$ActiveTasks\" name the same metric",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {}, "$ActiveTasks": {}}}"#,
            "metrics.$ActiveTasks",
            1,
            47,
            "duplicate metric \"$ActiveTasks\"",
        );
    }

    #[test]
    fn bad_numbers() {
        assert_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"2025-01-01T00:00:00Z\",\n  \"values\": [0, 1, \"x\"]}}}",
            "metrics.$ActiveTasks.values[2]",
            2,
            22,
            "invalid type: string \"x\", expected a finite number or null",
        );
        assert_err(
            r#"{"pool": {"targetDedicatedNodes": 1e999}}"#,
            "pool.targetDedicatedNodes",
            1,
            39,
            "number out of range",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z", "values": [1, -1e400]}}}"#,
            "metrics.$ActiveTasks.values[1]",
            1,
            83,
            "number out of range",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2025-01-01T00:00:00Z", "value": null}]}}}"#,
            "metrics.$CPUPercent.samples[0].value",
            1,
            87,
            "invalid type: null, expected a finite number",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z", "values": [true]}}}"#,
            "metrics.$ActiveTasks.values[0]",
            1,
            78,
            "expected a finite number or null",
        );
        // Direct check of the visitor, since serde_json never produces a non-finite f64.
        let err: serde_json::Error = NumberVisitor { null_ok: true }
            .visit_f64(f64::INFINITY)
            .unwrap_err();
        assert!(
            err.to_string().contains("expected a finite number"),
            "{err}"
        );
    }

    #[test]
    fn bad_times_and_periods() {
        // The message is the time parser's own ("expected ..., found ..."); it quotes the input.
        assert_err(
            "{\n  \"evaluationTime\": \"yesterday\"}",
            "evaluationTime",
            2,
            31,
            "\"yesterday\"",
        );
        assert_err(
            r#"{"evaluationTime": "2025-04-24T11:34:37.12345678Z"}"#,
            "evaluationTime",
            1,
            50,
            "\"2025-04-24T11:34:37.12345678Z\"",
        );
        assert_err(
            r#"{"evaluationTime": "0000-12-31T23:00:00Z"}"#,
            "evaluationTime",
            1,
            41,
            "\"0000-12-31T23:00:00Z\"",
        );
        assert_err(
            r#"{"evaluationTime": "9999-12-31T23:00:00-05:00"}"#,
            "evaluationTime",
            1,
            46,
            "\"9999-12-31T23:00:00-05:00\"",
        );
        assert_err(
            r#"{"evaluationTime": 20250424}"#,
            "evaluationTime",
            1,
            27,
            "invalid type: integer `20250424`, expected an RFC 3339 time string",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01", "values": []}}}"#,
            "metrics.$ActiveTasks.start",
            1,
            51,
            "\"2025-01-01\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "30s"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            45,
            "\"30s\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "PT0S"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            46,
            "expected a positive period such as \"PT30S\", found \"PT0S\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "-PT30S"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            48,
            "expected a positive period such as \"PT30S\", found \"-PT30S\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": 30}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            42,
            "expected an ISO 8601 duration string",
        );
    }

    #[test]
    fn regular_series_must_end_by_9999() {
        let s = parse(
            r#"{"metrics": {"$ActiveTasks": {"start": "9999-12-31T23:58:00Z", "values": [1, null, 3, null]}}}"#,
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(
            active.times,
            vec![ts("9999-12-31T23:58:00Z"), ts("9999-12-31T23:59:00Z")]
        );
        assert_eq!(active.values, vec![1.0, 3.0]);
        // The last slot counts even when its value is null.
        assert_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"9999-12-31T23:59:00Z\",\n  \"values\": [1, 2, null]}}}",
            "metrics.$ActiveTasks",
            2,
            25,
            "expected a series that ends by 9999-12-31T23:59:59.9999999Z, found values[2] at \
             9999-12-31T23:59:00Z + 2 * PT30S",
        );
        // start + i * period overflowing 64 bits is the same error, not a panic.
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "0001-01-01T00:00:00Z", "period": "P5000000D", "values": [1, 2, 3, 4]}}}"#,
            "metrics.$ActiveTasks",
            1,
            109,
            "found values[3] at 0001-01-01T00:00:00Z + 3 * P5000000D",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"values": [1]}}}"#,
            "metrics.$ActiveTasks",
            1,
            44,
            "missing field `start`",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z"}}}"#,
            "metrics.$ActiveTasks",
            1,
            62,
            "missing field `values`",
        );
    }

    #[test]
    fn mixed_forms_are_refused() {
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"samples": [], "start": "2025-01-01T00:00:00Z"}}}"#,
            "metrics.$ActiveTasks",
            1,
            77,
            "(`start`, `period`, `values`), found `samples` with `start`",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"values": [], "samples": []}}}"#,
            "metrics.$ActiveTasks",
            1,
            58,
            "found `samples` with `values`",
        );
    }

    #[test]
    fn duplicate_sample_times() {
        let text = r#"{"metrics": {"$CPUPercent": {"samples": [
    {"time": "2025-04-24T11:34:00Z", "value": 1},
    {"time": "2025-04-24T11:35:00Z", "value": 2},
    {"value": 3, "time": "2025-04-24T12:34:00+01:00"}
]}}}"#;
        assert_err(
            text,
            "metrics.$CPUPercent.samples[2].time",
            4,
            52,
            "expected at most one sample per time, found a second sample at \
             2025-04-24T11:34:00Z (the first is samples[0])",
        );
    }

    #[test]
    fn display() {
        let e = parse_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"2025-01-01T00:00:00Z\",\n  \"values\": [0, 1, \"x\"]}}}",
        );
        assert_eq!(
            e.to_string(),
            "test.json:2:22: at metrics.$ActiveTasks.values[2]: invalid type: string \"x\", \
             expected a finite number or null"
        );
        let e = parse_err("{} x");
        assert_eq!(
            e.to_string(),
            "test.json:1:4: at the top level: trailing characters"
        );
    }

    #[test]
    fn round_trip() {
        let mut s = parse(EXAMPLE);
        let round = |s: &Snapshot| {
            let text = serde_json::to_string_pretty(&s.to_json()).unwrap();
            Snapshot::from_json(&text, "round.json").unwrap_or_else(|e| panic!("{e}\n{text}"))
        };
        assert_eq!(round(&s), s);
        assert_eq!(round(&Snapshot::default()), Snapshot::default());
        s.evaluation_time = Timestamp::from_ticks(MAX_TIMESTAMP_TICKS);
        s.random_seed = Some(u64::MAX);
        s.pool.current_low_priority_nodes = -3.25;
        s.pool.usable_node_count = 1e300;
        s.metrics.set(
            Metric::PendingTasks,
            SampleHistory {
                period: Interval(7),
                ..SampleHistory::default()
            },
        );
        s.metrics.set(
            Metric::PreemptedNodeCount,
            SampleHistory::from_samples(
                Interval(TICKS_PER_DAY + 1),
                vec![
                    (Timestamp::from_ticks(0).unwrap(), 0.1),
                    (Timestamp::from_ticks(1).unwrap(), -0.0),
                    (
                        Timestamp::from_ticks(123_456_789_012_345_678).unwrap(),
                        1e-300,
                    ),
                ],
            )
            .unwrap(),
        );
        let again = round(&s);
        assert_eq!(again, s);
        let json = s.to_json();
        assert_eq!(json["metrics"]["$CPUPercent"]["period"], "PT30S");
        assert_eq!(json["metrics"]["$PendingTasks"]["period"], "PT0.0000007S");
        assert_eq!(json["evaluationTime"], "9999-12-31T23:59:59.9999999Z");
        assert!(json["metrics"].get("$RunningTasks").is_none());
    }

    #[test]
    fn huge_sample_lists_parse() {
        let values: Vec<String> = (0..100_000)
            .map(|i| {
                if i % 7 == 0 {
                    "null".to_string()
                } else {
                    format!("{}.5", i % 1000)
                }
            })
            .collect();
        let text = format!(
            r#"{{"metrics": {{"$ActiveTasks": {{"start": "2025-01-01T00:00:00Z", "values": [{}]}}}}}}"#,
            values.join(",")
        );
        let s = parse(&text);
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.len(), 100_000 - 100_000usize.div_ceil(7));
        assert!(active.times.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            active.times.last().map(|t| t.since(active.times[0])),
            Some(Interval(
                99_999 * 30 * TICKS_PER_SECOND - 30 * TICKS_PER_SECOND
            ))
        );

        let samples: Vec<String> = (0..100_000)
            .rev()
            .map(|i| {
                format!(
                    r#"{{"time": "2025-01-01T00:00:{:02}.{i:07}Z", "value": {i}}}"#,
                    i % 60
                )
            })
            .collect();
        let text = format!(
            r#"{{"metrics": {{"$CPUPercent": {{"samples": [{}]}}}}}}"#,
            samples.join(",")
        );
        let s = parse(&text);
        assert_eq!(s.metrics.get(Metric::CpuPercent).len(), 100_000);
    }

    #[test]
    fn never_panics_on_mangled_input() {
        let bytes = EXAMPLE.as_bytes();
        for end in 0..bytes.len() {
            if let Ok(text) = std::str::from_utf8(&bytes[..end]) {
                let _ = Snapshot::from_json(text, "cut.json");
            }
        }
        let replacements = [
            "",
            "0",
            "-1",
            "1e999",
            "null",
            "\"\"",
            "[]",
            "{}",
            "\"PT0S\"",
            "\"$\"",
            "true",
            ",",
            "\"9999-12-31T23:59:59.9999999Z\"",
            "\"P99999999999999D\"",
        ];
        for start in 0..bytes.len() {
            for len in [1, 2, 5] {
                let end = (start + len).min(bytes.len());
                let (Ok(head), Ok(tail)) = (
                    std::str::from_utf8(&bytes[..start]),
                    std::str::from_utf8(&bytes[end..]),
                ) else {
                    continue;
                };
                for r in replacements {
                    let text = format!("{head}{r}{tail}");
                    if let Err(e) = Snapshot::from_json(&text, "m.json") {
                        assert!(e.line >= 1 && e.column >= 1);
                    }
                }
            }
        }
        let deep = "[".repeat(100_000);
        let _ = Snapshot::from_json(&format!("{{\"pool\": {deep}}}"), "deep.json");
        let _ = Snapshot::from_json(&deep, "deep.json");
    }
}
