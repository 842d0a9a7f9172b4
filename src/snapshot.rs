//! The pool snapshot: the state a formula is evaluated against, read from JSON.
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
//! duplicate metrics, two samples of a metric at one time, and a regular series whose
//! last slot falls after the year 9999.
//!
//! Errors name the file, the place as a path (`metrics.$ActiveTasks.values[2]`; keys that
//! are not plain words are quoted: `metrics["a b"]`; empty for the top level), and
//! serde_json's 1-based line and column. Those point at the last character of the
//! offending value or key (a number's last digit, a string's closing quote); for an object
//! or array where something else was expected, at the character just before it; for a
//! missing field, a mixed series form or a regular series running past 9999, at the
//! closing brace of the series or sample object.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Map, Value};

use crate::builtins::Metric;
use crate::time::parse::{parse_iso8601_duration, parse_rfc3339};
use crate::time::print::{iso8601_duration, rfc3339};
use crate::time::{Interval, MAX_TIMESTAMP_TICKS, TICKS_PER_SECOND, Timestamp};

/// The sampling period of a metric whose snapshot does not give one: 30 seconds.
pub const DEFAULT_PERIOD: Interval = Interval(30 * TICKS_PER_SECOND);

const METRIC_COUNT: usize = Metric::ALL.len();

/// Parsed, validated snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// `now`; `None` when the snapshot does not say (the caller picks the clock or `--at`).
    pub evaluation_time: Option<Timestamp>,
    pub pool: PoolState,
    pub metrics: MetricHistories,
    /// Seed of `rand()`; `None` when the snapshot does not say (the caller derives one).
    pub random_seed: Option<u64>,
}

/// The pool's scalars. All finite; node counts may be negative (kept as given).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolState {
    pub target_dedicated_nodes: f64,
    pub target_low_priority_nodes: f64,
    pub current_dedicated_nodes: f64,
    pub current_low_priority_nodes: f64,
    pub task_slots_per_node: f64,
    /// Already resolved: when the snapshot omits it, current dedicated + low-priority.
    pub usable_node_count: f64,
}

impl Default for PoolState {
    /// All zero but `task_slots_per_node`, which is 1.
    fn default() -> PoolState {
        PoolState {
            target_dedicated_nodes: 0.0,
            target_low_priority_nodes: 0.0,
            current_dedicated_nodes: 0.0,
            current_low_priority_nodes: 0.0,
            task_slots_per_node: 1.0,
            usable_node_count: 0.0,
        }
    }
}

/// One metric's history: contiguous, sorted by time, no duplicate times.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleHistory {
    /// The nominal sampling period; positive.
    pub period: Interval,
    /// Sample times, strictly ascending.
    pub times: Vec<Timestamp>,
    /// Sample values, as many as `times`, all finite.
    pub values: Vec<f64>,
}

impl Default for SampleHistory {
    /// No samples, period 30 s.
    fn default() -> SampleHistory {
        SampleHistory {
            period: DEFAULT_PERIOD,
            times: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl SampleHistory {
    /// Builds from (time, value) pairs in any order; `Err(time)` if two share a time.
    ///
    /// Neither the period nor the values are checked: a history from the snapshot has a
    /// positive period and finite values, and a library user should keep it so.
    pub fn from_samples(
        period: Interval,
        mut samples: Vec<(Timestamp, f64)>,
    ) -> Result<SampleHistory, Timestamp> {
        samples.sort_by_key(|&(time, _)| time);
        if let Some(pair) = samples.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(pair[0].0);
        }
        let (times, values) = samples.into_iter().unzip();
        Ok(SampleHistory {
            period,
            times,
            values,
        })
    }

    /// Appends a sample after the last one: the way a live pool's history grows (a
    /// simulator or an emulator adds one every 30 s). The history stays sorted, without
    /// duplicate times, and finite; a sample that would break that is refused and the
    /// history is left as it was.
    pub fn push(&mut self, time: Timestamp, value: f64) -> Result<(), PushError> {
        if !value.is_finite() {
            return Err(PushError::NotFinite { time, value });
        }
        if let Some(&last) = self.times.last()
            && time <= last
        {
            return Err(PushError::NotAfterLast { time, last });
        }
        self.times.push(time);
        self.values.push(value);
        Ok(())
    }

    /// Forgets every sample taken before `horizon` (a retention window): what a pool
    /// keeps is bounded by time, not by how long it has run.
    pub fn drop_before(&mut self, horizon: Timestamp) {
        let keep_from = self.times.partition_point(|&t| t < horizon);
        if keep_from > 0 {
            self.times.drain(..keep_from);
            self.values.drain(..keep_from);
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// Why [`SampleHistory::push`] refused a sample.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// Samples are finite numbers.
    #[error("a sample's value must be a finite number, not {value} (at {time:?})")]
    NotFinite { time: Timestamp, value: f64 },
    /// Samples come in time order, one per instant.
    #[error("a sample at {time:?} does not come after the last one, at {last:?}")]
    NotAfterLast { time: Timestamp, last: Timestamp },
}

/// All 17 metrics' histories, indexed by [`Metric::index`] (absent metrics: empty, 30 s).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHistories {
    histories: [SampleHistory; METRIC_COUNT],
}

impl Default for MetricHistories {
    fn default() -> MetricHistories {
        MetricHistories {
            histories: std::array::from_fn(|_| SampleHistory::default()),
        }
    }
}

impl MetricHistories {
    pub fn get(&self, metric: Metric) -> &SampleHistory {
        &self.histories[metric.index()]
    }

    pub fn set(&mut self, metric: Metric, history: SampleHistory) {
        self.histories[metric.index()] = history;
    }

    /// One metric's history, to append to or trim.
    pub fn get_mut(&mut self, metric: Metric) -> &mut SampleHistory {
        &mut self.histories[metric.index()]
    }

    /// Every metric with its history, in [`Metric::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, &SampleHistory)> {
        Metric::ALL
            .into_iter()
            .map(|metric| (metric, self.get(metric)))
    }
}

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
        let raw: RawSnapshot =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
                let path = path_string(err.path());
                snapshot_error(source_name, path, err.into_inner())
            })?;
        deserializer
            .end()
            .map_err(|err| snapshot_error(source_name, String::new(), err))?;
        Ok(raw.0)
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
        let mut pool_json = Map::new();
        for (key, value) in [
            ("targetDedicatedNodes", pool.target_dedicated_nodes),
            ("targetLowPriorityNodes", pool.target_low_priority_nodes),
            ("currentDedicatedNodes", pool.current_dedicated_nodes),
            ("currentLowPriorityNodes", pool.current_low_priority_nodes),
            ("taskSlotsPerNode", pool.task_slots_per_node),
            ("usableNodeCount", pool.usable_node_count),
        ] {
            pool_json.insert(key.into(), value.into());
        }
        root.insert("pool".into(), pool_json.into());
        let mut metrics = Map::new();
        for (metric, history) in self.metrics.iter() {
            if history.is_empty() && history.period == DEFAULT_PERIOD {
                continue;
            }
            let samples: Vec<Value> = history
                .times
                .iter()
                .zip(&history.values)
                .map(|(&time, &value)| {
                    let mut sample = Map::new();
                    sample.insert("time".into(), rfc3339(time).into());
                    sample.insert("value".into(), value.into());
                    Value::Object(sample)
                })
                .collect();
            let mut series = Map::new();
            series.insert("period".into(), iso8601_duration(history.period).into());
            series.insert("samples".into(), samples.into());
            metrics.insert(metric.name().into(), series.into());
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
        RawSnapshot::deserialize(deserializer).map(|raw| raw.0)
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

// ---------------------------------------------------------------------------------------
// Deserialisation. Semantic checks happen inside the `visit_*` calls where possible, so
// that serde_json attaches the position of the offending value and serde_path_to_error
// its path.

/// The whole snapshot object.
struct RawSnapshot(Snapshot);

const SNAPSHOT_FIELDS: &[&str] = &["evaluationTime", "pool", "metrics", "randomSeed"];

impl<'de> Deserialize<'de> for RawSnapshot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(SnapshotVisitor)
            .map(RawSnapshot)
    }
}

struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Snapshot;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Snapshot, A::Error> {
        let mut snapshot = Snapshot::default();
        let mut seen = 0u32;
        while let Some(field) = map.next_key_seed(FieldSeed {
            fields: SNAPSHOT_FIELDS,
            seen,
        })? {
            seen |= 1 << field;
            match field {
                0 => snapshot.evaluation_time = Some(map.next_value::<Rfc3339Time>()?.0),
                1 => snapshot.pool = map.next_value::<RawPool>()?.0,
                2 => snapshot.metrics = map.next_value::<RawMetrics>()?.0,
                _ => snapshot.random_seed = Some(map.next_value::<Seed>()?.0),
            }
        }
        Ok(snapshot)
    }
}

/// The `pool` object.
struct RawPool(PoolState);

const POOL_FIELDS: &[&str] = &[
    "targetDedicatedNodes",
    "targetLowPriorityNodes",
    "currentDedicatedNodes",
    "currentLowPriorityNodes",
    "taskSlotsPerNode",
    "usableNodeCount",
];

impl<'de> Deserialize<'de> for RawPool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PoolVisitor).map(RawPool)
    }
}

struct PoolVisitor;

impl<'de> Visitor<'de> for PoolVisitor {
    type Value = PoolState;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pool object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PoolState, A::Error> {
        let mut given: [Option<f64>; 6] = [None; 6];
        let mut seen = 0u32;
        while let Some(field) = map.next_key_seed(FieldSeed {
            fields: POOL_FIELDS,
            seen,
        })? {
            seen |= 1 << field;
            let value = map.next_value::<Finite>()?.0;
            if let Some(slot) = given.get_mut(field) {
                *slot = Some(value);
            }
        }
        let [
            target_dedicated_nodes,
            target_low_priority_nodes,
            current_dedicated_nodes,
            current_low_priority_nodes,
            task_slots_per_node,
            usable_node_count,
        ] = given;
        let current_dedicated_nodes = current_dedicated_nodes.unwrap_or(0.0);
        let current_low_priority_nodes = current_low_priority_nodes.unwrap_or(0.0);
        let usable_node_count = match usable_node_count {
            Some(count) => count,
            None => {
                let sum = current_dedicated_nodes + current_low_priority_nodes;
                if !sum.is_finite() {
                    return Err(de::Error::custom(
                        "expected usableNodeCount to be given: its default, \
                         currentDedicatedNodes + currentLowPriorityNodes, is not finite here",
                    ));
                }
                sum
            }
        };
        Ok(PoolState {
            target_dedicated_nodes: target_dedicated_nodes.unwrap_or(0.0),
            target_low_priority_nodes: target_low_priority_nodes.unwrap_or(0.0),
            current_dedicated_nodes,
            current_low_priority_nodes,
            task_slots_per_node: task_slots_per_node.unwrap_or(1.0),
            usable_node_count,
        })
    }
}

/// A finite number (integers are converted).
struct Finite(f64);

impl<'de> Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_f64(NumberVisitor { null_ok: false })
            .map(|x| {
                // NumberVisitor without null_ok never yields None.
                Finite(x.unwrap_or(0.0))
            })
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

/// An RFC 3339 instant in the years 1 to 9999 with at most 7 fractional digits.
struct Rfc3339Time(Timestamp);

impl<'de> Deserialize<'de> for Rfc3339Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimeVisitor).map(Rfc3339Time)
    }
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 time string such as \"2025-04-24T11:34:37Z\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        // The parser's message already reads "expected ..., found ...".
        parse_rfc3339(v).map_err(E::custom)
    }
}

/// A positive ISO 8601 duration.
struct Period(Interval);

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(PeriodVisitor).map(Period)
    }
}

struct PeriodVisitor;

impl<'de> Visitor<'de> for PeriodVisitor {
    type Value = Interval;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ISO 8601 duration string such as \"PT30S\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Interval, E> {
        match parse_iso8601_duration(v) {
            Ok(period) if period.ticks() > 0 => Ok(period),
            Ok(_) => Err(E::custom(format_args!(
                "expected a positive period such as \"PT30S\", found {}",
                quote(v)
            ))),
            // The parser's message already reads "expected ..., found ...".
            Err(why) => Err(E::custom(why)),
        }
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

/// A field name among `fields`, refusing unknown names and names in `seen` (a bit set).
struct FieldSeed {
    fields: &'static [&'static str],
    seen: u32,
}

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        match self.fields.iter().position(|&field| field == v) {
            Some(i) if self.seen & (1 << i) != 0 => Err(E::duplicate_field(self.fields[i])),
            Some(i) => Ok(i),
            None => Err(E::unknown_field(v, self.fields)),
        }
    }
}

/// The `metrics` object, as histories.
struct RawMetrics(MetricHistories);

impl<'de> Deserialize<'de> for RawMetrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MetricsVisitor).map(RawMetrics)
    }
}

struct MetricsVisitor;

impl<'de> Visitor<'de> for MetricsVisitor {
    type Value = MetricHistories;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of metric series keyed by metric name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetricHistories, A::Error> {
        let mut histories = MetricHistories::default();
        let mut spellings: [Option<String>; METRIC_COUNT] = Default::default();
        while let Some(metric) = map.next_key_seed(MetricKeySeed {
            spellings: &mut spellings,
        })? {
            let series: Series = map.next_value()?;
            histories.set(metric, series.0);
        }
        Ok(histories)
    }
}

/// A metric name with or without its `$`, not given before (under either spelling).
struct MetricKeySeed<'a> {
    spellings: &'a mut [Option<String>; METRIC_COUNT],
}

impl<'de> DeserializeSeed<'de> for MetricKeySeed<'_> {
    type Value = Metric;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Metric, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MetricKeySeed<'_> {
    type Value = Metric;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a metric name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Metric, E> {
        let bare = v.strip_prefix('$').unwrap_or(v);
        let Some(metric) = Metric::ALL.into_iter().find(|m| &m.name()[1..] == bare) else {
            return Err(E::custom(unknown_metric_message(v)));
        };
        let slot = &mut self.spellings[metric.index()];
        if let Some(earlier) = slot {
            return Err(E::custom(if earlier == v {
                format!("duplicate metric {}", quote(v))
            } else {
                format!(
                    "duplicate metric {}: {} and {} name the same metric",
                    metric.name(),
                    quote(earlier),
                    quote(v)
                )
            }));
        }
        *slot = Some(v.to_string());
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

/// One metric's series, in either form, as a history.
struct Series(SampleHistory);

const SERIES_FIELDS: &[&str] = &["start", "period", "values", "samples"];

impl<'de> Deserialize<'de> for Series {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SeriesVisitor).map(Series)
    }
}

struct SeriesVisitor;

impl<'de> Visitor<'de> for SeriesVisitor {
    type Value = SampleHistory;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a metric series object: {\"start\", \"period\", \"values\"} or \
             {\"samples\", \"period\"}",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SampleHistory, A::Error> {
        let mut start: Option<Timestamp> = None;
        let mut period: Option<Interval> = None;
        let mut values: Option<Vec<Option<f64>>> = None;
        let mut samples: Option<Vec<(Timestamp, f64)>> = None;
        let mut seen = 0u32;
        while let Some(field) = map.next_key_seed(FieldSeed {
            fields: SERIES_FIELDS,
            seen,
        })? {
            seen |= 1 << field;
            match field {
                0 => start = Some(map.next_value::<Rfc3339Time>()?.0),
                1 => period = Some(map.next_value::<Period>()?.0),
                2 => values = Some(map.next_value::<Values>()?.0),
                _ => samples = Some(map.next_value_seed(SamplesSeed)?),
            }
        }
        let period = period.unwrap_or(DEFAULT_PERIOD);
        if let Some(samples) = samples {
            let mut regular: Vec<&str> = Vec::new();
            if start.is_some() {
                regular.push("`start`");
            }
            if values.is_some() {
                regular.push("`values`");
            }
            if !regular.is_empty() {
                return Err(de::Error::custom(format_args!(
                    "expected either the explicit form (`samples`, `period`) or the regular \
                     form (`start`, `period`, `values`), found `samples` with {}",
                    regular.join(" and ")
                )));
            }
            // SamplesSeed has already refused duplicate times.
            return SampleHistory::from_samples(period, samples).map_err(|time| {
                de::Error::custom(format_args!("two samples at {}", rfc3339(time)))
            });
        }
        match (start, values) {
            (None, None) => Ok(SampleHistory {
                period,
                ..SampleHistory::default()
            }),
            (None, Some(_)) => Err(de::Error::missing_field("start")),
            (Some(_), None) => Err(de::Error::missing_field("values")),
            (Some(start), Some(values)) => regular_history(start, period, &values),
        }
    }
}

/// The history of a regular series: value `i` at `start + i * period`, nulls skipped.
/// Every slot, null or not, must fall within the years 1 to 9999.
fn regular_history<E: de::Error>(
    start: Timestamp,
    period: Interval,
    values: &[Option<f64>],
) -> Result<SampleHistory, E> {
    if let Some(last) = values.len().checked_sub(1) {
        let end = i64::try_from(last)
            .ok()
            .and_then(|i| i.checked_mul(period.ticks()))
            .and_then(|offset| start.ticks().checked_add(offset))
            .and_then(Timestamp::from_ticks);
        if end.is_none() {
            return Err(E::custom(format_args!(
                "expected a series that ends by {}, found values[{last}] at {} + {last} * {}",
                Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).map_or_else(String::new, rfc3339),
                rfc3339(start),
                iso8601_duration(period),
            )));
        }
    }
    let count = values.iter().filter(|v| v.is_some()).count();
    let mut times = Vec::with_capacity(count);
    let mut kept = Vec::with_capacity(count);
    let mut ticks = start.ticks();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            // Cannot overflow: the last slot was checked above and slots increase.
            ticks = ticks.saturating_add(period.ticks());
        }
        if let Some(value) = *value
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

/// The `values` list of a regular series.
struct Values(Vec<Option<f64>>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ValuesVisitor).map(Values)
    }
}

struct ValuesVisitor;

impl<'de> Visitor<'de> for ValuesVisitor {
    type Value = Vec<Option<f64>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of numbers and nulls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Option<f64>>, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(MaybeFinite(value)) = seq.next_element()? {
            values.push(value);
        }
        Ok(values)
    }
}

/// The `samples` list of an explicit series, refusing two samples at one time.
struct SamplesSeed;

impl<'de> DeserializeSeed<'de> for SamplesSeed {
    type Value = Vec<(Timestamp, f64)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed {
    type Value = Vec<(Timestamp, f64)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of {\"time\": ..., \"value\": ...} samples")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let hint = seq.size_hint().unwrap_or(0).min(1 << 16);
        let mut samples = Vec::with_capacity(hint);
        let mut first_index: HashMap<Timestamp, usize> = HashMap::with_capacity(hint);
        while let Some(sample) = seq.next_element_seed(SampleSeed {
            index: samples.len(),
            first_index: &mut first_index,
        })? {
            samples.push(sample);
        }
        Ok(samples)
    }
}

const SAMPLE_FIELDS: &[&str] = &["time", "value"];

/// One `{time, value}` sample; `first_index` maps the times read so far to their index.
struct SampleSeed<'a> {
    index: usize,
    first_index: &'a mut HashMap<Timestamp, usize>,
}

impl<'de> DeserializeSeed<'de> for SampleSeed<'_> {
    type Value = (Timestamp, f64);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SampleSeed<'_> {
    type Value = (Timestamp, f64);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sample object {\"time\": ..., \"value\": ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut time = None;
        let mut value = None;
        let mut seen = 0u32;
        while let Some(field) = map.next_key_seed(FieldSeed {
            fields: SAMPLE_FIELDS,
            seen,
        })? {
            seen |= 1 << field;
            if field == 0 {
                time = Some(map.next_value_seed(SampleTimeSeed {
                    index: self.index,
                    first_index: &mut *self.first_index,
                })?);
            } else {
                value = Some(map.next_value::<Finite>()?.0);
            }
        }
        let time = time.ok_or_else(|| de::Error::missing_field("time"))?;
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        Ok((time, value))
    }
}

/// A sample's time, refused if an earlier sample of the list has it.
struct SampleTimeSeed<'a> {
    index: usize,
    first_index: &'a mut HashMap<Timestamp, usize>,
}

impl<'de> DeserializeSeed<'de> for SampleTimeSeed<'_> {
    type Value = Timestamp;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Timestamp, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SampleTimeSeed<'_> {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        TimeVisitor.expecting(f)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        let time = TimeVisitor.visit_str(v)?;
        if let Some(&earlier) = self.first_index.get(&time) {
            return Err(E::custom(format_args!(
                "expected at most one sample per time, found a second sample at {} (the first \
                 is samples[{earlier}])",
                rfc3339(time)
            )));
        }
        self.first_index.insert(time, self.index);
        Ok(time)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn push_keeps_a_history_sorted_unique_and_finite() {
        let t = |s: i64| {
            Timestamp::from_ticks(s * TICKS_PER_SECOND + 63_800_000_000 * TICKS_PER_SECOND).unwrap()
        };
        let mut history = SampleHistory::default();
        history.push(t(0), 1.0).unwrap();
        history.push(t(30), 2.0).unwrap();
        assert_eq!(
            history.push(t(30), 3.0),
            Err(PushError::NotAfterLast {
                time: t(30),
                last: t(30)
            })
        );
        assert!(matches!(
            history.push(t(10), 3.0),
            Err(PushError::NotAfterLast { .. })
        ));
        assert!(matches!(
            history.push(t(60), f64::NAN),
            Err(PushError::NotFinite { .. })
        ));
        assert_eq!(
            (history.times.as_slice(), history.values.as_slice()),
            (&[t(0), t(30)][..], &[1.0, 2.0][..])
        );
        history.push(t(60), 3.0).unwrap();
        history.drop_before(t(30));
        assert_eq!(history.times, vec![t(30), t(60)]);
        assert_eq!(history.values, vec![2.0, 3.0]);
        history.drop_before(t(0));
        assert_eq!(history.len(), 2);
        history.drop_before(t(90));
        assert!(history.is_empty());
    }

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
    use crate::time::{TICKS_PER_DAY, TICKS_PER_MINUTE};

    /// The contract's example, also a fixture for the CLI's tests.
    const EXAMPLE: &str = include_str!("../tests/data/snapshots/example.json");

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
    fn from_samples_sorts_and_refuses_duplicates() {
        let (a, b) = (ts("2025-01-01T00:00:00Z"), ts("2025-01-01T00:00:30Z"));
        let h = SampleHistory::from_samples(DEFAULT_PERIOD, vec![(b, 2.0), (a, 1.0)]).unwrap();
        assert_eq!(h.times, vec![a, b]);
        assert_eq!(h.values, vec![1.0, 2.0]);
        assert_eq!(
            SampleHistory::from_samples(DEFAULT_PERIOD, vec![(b, 2.0), (a, 1.0), (b, 3.0)]),
            Err(b)
        );
        let mut m = MetricHistories::default();
        m.set(Metric::FailedTasks, h.clone());
        assert_eq!(m.get(Metric::FailedTasks), &h);
        assert_eq!(m.get(Metric::ActiveTasks), &SampleHistory::default());
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
        // The message is time_text's own ("expected ..., found ..."); it quotes the input.
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
