//! The scenario file (`simulation.md` section 3): the pool, its limits, the model's
//! parameters, prices and formula changes, in TOML (or JSON with the same keys).
//!
//! Every key is optional; an unknown key is refused, so a typo never falls back to a
//! default silently. Durations take ISO 8601 (`PT5M`) or the short forms (`30s`, `5m`,
//! `2h`, `1d`); times are RFC 3339 strings. A delay is a duration (fixed) or a table
//! `{ distribution = "fixed", value = "1m" }`, `{ distribution = "lognormal", median =
//! "5m", p95 = "12m" }`, `{ distribution = "uniform", min = "3m", max = "8m" }` or
//! `{ distribution = "exponential", mean = "5m" }`.

use std::fmt;
use std::path::{Path, PathBuf};

use batchscale::{Interval, Timestamp};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::input::{InputError, line_column, path_text};
use crate::model::{CpuWithoutNodes, ModelParams, NodeFill, RemovalOrder};
use crate::random::Delay;

/// At most this many nodes of each priority, whatever the formula asks and the limits
/// say \[decided\]: a safety ceiling, so that a formula returning 1e9 cannot make the
/// simulator schedule a billion joins.
pub const NODE_CEILING: u32 = 10_000;

/// A duration as written in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub Interval);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text)
            .map(Duration)
            .map_err(de::Error::custom)
    }
}

/// The longest duration a scenario or the command line takes: 100 years.
pub const MAX_DURATION: Interval = Interval(36_500 * 24 * 3600 * 10_000_000);

/// A non-negative duration of at most 100 years: ISO 8601 or the short forms.
pub fn parse_duration(text: &str) -> Result<Interval, String> {
    let interval = Interval::parse_arg(text)?;
    if interval.ticks() < 0 {
        return Err(format!("expected a duration of 0 or more, found {text:?}"));
    }
    if interval > MAX_DURATION {
        return Err(format!(
            "expected a duration of at most 100 years (36500d), found {text:?}"
        ));
    }
    Ok(interval)
}

/// An instant as written in a scenario (RFC 3339).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        let text = String::deserialize(deserializer).map_err(|_: D::Error| {
            de::Error::custom(
                "expected an RFC 3339 time as a quoted string, such as \"2025-01-06T09:00:00Z\"",
            )
        })?;
        Timestamp::parse_rfc3339(&text)
            .map(Time)
            .map_err(de::Error::custom)
    }
}

/// A delay as written: a duration (fixed) or a distribution table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelaySpec(pub Delay);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelayTable {
    distribution: String,
    value: Option<Duration>,
    median: Option<Duration>,
    p95: Option<Duration>,
    min: Option<Duration>,
    max: Option<Duration>,
    mean: Option<Duration>,
}

impl DelayTable {
    fn resolve(self) -> Result<Delay, String> {
        let need = |v: Option<Duration>, key: &str| {
            v.map(|d| d.0.ticks()).ok_or_else(|| {
                format!(
                    "a {} delay needs `{key}` (a duration such as \"5m\")",
                    self.distribution
                )
            })
        };
        let allowed: &[&str] = match self.distribution.as_str() {
            "fixed" => &["value"],
            "lognormal" => &["median", "p95"],
            "uniform" => &["min", "max"],
            "exponential" => &["mean"],
            other => {
                return Err(format!(
                    "unknown distribution {other:?}: expected \"fixed\", \"lognormal\", \"uniform\" or \"exponential\""
                ));
            }
        };
        for (key, present) in [
            ("value", self.value.is_some()),
            ("median", self.median.is_some()),
            ("p95", self.p95.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("mean", self.mean.is_some()),
        ] {
            if present && !allowed.contains(&key) {
                return Err(format!(
                    "a {} delay takes {}, not `{key}`",
                    self.distribution,
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
        }
        Ok(match self.distribution.as_str() {
            "fixed" => Delay::Fixed {
                value: need(self.value, "value")?,
            },
            "lognormal" => {
                let median = need(self.median, "median")?;
                let p95 = need(self.p95, "p95")?;
                if median <= 0 || p95 < median {
                    return Err("a lognormal delay needs 0 < median <= p95".to_string());
                }
                Delay::LogNormal { median, p95 }
            }
            "uniform" => {
                let min = need(self.min, "min")?;
                let max = need(self.max, "max")?;
                if max < min {
                    return Err("a uniform delay needs min <= max".to_string());
                }
                Delay::Uniform { min, max }
            }
            _ => Delay::Exponential {
                mean: need(self.mean, "mean")?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for DelaySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DelaySpec, D::Error> {
        struct DelayVisitor;
        impl<'de> Visitor<'de> for DelayVisitor {
            type Value = DelaySpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration such as \"1m\", or a table such as { distribution = \"lognormal\", median = \"5m\", p95 = \"12m\" }",
                )
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DelaySpec, E> {
                parse_duration(text)
                    .map(|d| DelaySpec(Delay::fixed(d.ticks())))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DelaySpec, A::Error> {
                let table = DelayTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.resolve().map(DelaySpec).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(DelayVisitor)
    }
}

/// `[simulation]`: what the command line can also say (the command line wins).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// `--start`.
    pub start: Option<Time>,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--interval`.
    pub interval: Option<Duration>,
    /// `--seed`.
    pub seed: Option<u64>,
}

/// `[pool]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSection {
    /// Informational.
    pub vm_size: Option<String>,
    /// Cores per node: core-hours and core quotas.
    pub cores: Option<u32>,
    /// Default 1.
    pub task_slots_per_node: Option<u32>,
    /// `spread` (default) or `pack`.
    pub node_fill: Option<NodeFill>,
    /// Dedicated nodes present at the start.
    pub initial_dedicated: Option<u32>,
    /// Low-priority nodes present at the start.
    pub initial_low_priority: Option<u32>,
}

/// One step of `[[limits.capacity]]`: from `at` on, at most this many nodes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityStep {
    /// From when.
    pub at: Time,
    /// At most this many dedicated nodes (none: no cap of this step).
    pub max_dedicated: Option<u32>,
    /// At most this many low-priority nodes.
    pub max_low_priority: Option<u32>,
}

/// `[limits]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Quota as dedicated nodes.
    pub max_dedicated: Option<u32>,
    /// Quota as low-priority nodes.
    pub max_low_priority: Option<u32>,
    /// Quota as dedicated cores (divided by `pool.cores`).
    pub dedicated_cores: Option<u32>,
    /// Quota as low-priority cores.
    pub low_priority_cores: Option<u32>,
    /// Capacity over time.
    #[serde(default)]
    pub capacity: Vec<CapacityStep>,
}

/// `[timing]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingSection {
    /// Grow to join.
    pub allocation_delay: Option<DelaySpec>,
    /// Join to usable.
    pub start_delay: Option<DelaySpec>,
    /// Removal to leaving (requeue/terminate; default 0: at once).
    pub removal_delay: Option<DelaySpec>,
    /// Slot free or task arrival to the task running (default 0).
    pub placement_latency: Option<Duration>,
    /// Sample to visible.
    pub ingestion_lag: Option<Duration>,
    /// Probability that a sample is never recorded.
    pub sample_drop: Option<f64>,
    /// How long samples are kept.
    pub history_retention: Option<Duration>,
    /// `idle-first` or `random`.
    pub removal_order: Option<RemovalOrder>,
    /// `zero` or `no-sample`.
    pub cpu_without_usable_nodes: Option<CpuWithoutNodes>,
}

/// `[spot]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotSection {
    /// Preemptions per low-priority node-hour.
    pub preemption_per_node_hour: Option<f64>,
    /// Preemption to starting again.
    pub recovery_delay: Option<DelaySpec>,
}

/// `[cost]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSection {
    /// Price of a dedicated node-hour.
    pub dedicated_per_hour: Option<f64>,
    /// Price of a low-priority node-hour.
    pub low_priority_per_hour: Option<f64>,
}

/// `[[changes]]`: at `at`, a new formula (a path relative to the scenario file) and/or
/// a new interval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSection {
    /// When.
    pub at: Time,
    /// The new formula's file.
    pub formula: Option<String>,
    /// The new interval.
    pub interval: Option<Duration>,
}

/// A scenario file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[simulation]`.
    #[serde(default)]
    pub simulation: SimulationSection,
    /// `[pool]`.
    #[serde(default)]
    pub pool: PoolSection,
    /// `[limits]`.
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[timing]`.
    #[serde(default)]
    pub timing: TimingSection,
    /// `[spot]`.
    #[serde(default)]
    pub spot: SpotSection,
    /// `[cost]`.
    #[serde(default)]
    pub cost: CostSection,
    /// `[[changes]]`.
    #[serde(default)]
    pub changes: Vec<ChangeSection>,
}

/// A formula change, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// When.
    pub at: Timestamp,
    /// The new formula: its file name and text.
    pub formula: Option<(String, String)>,
    /// The new interval.
    pub interval: Option<Interval>,
}

/// A cap step, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// From when.
    pub at: Timestamp,
    /// Cap of dedicated nodes.
    pub max_dedicated: Option<u32>,
    /// Cap of low-priority nodes.
    pub max_low_priority: Option<u32>,
}

/// The scenario with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The model's parameters.
    pub params: ModelParams,
    /// Informational VM size.
    pub vm_size: Option<String>,
    /// Cores per node.
    pub cores: u32,
    /// Nodes at the start.
    pub initial_dedicated: u32,
    /// Nodes at the start.
    pub initial_low_priority: u32,
    /// Quotas and caps.
    pub max_dedicated: Option<u32>,
    /// Quotas and caps.
    pub max_low_priority: Option<u32>,
    /// Core quota.
    pub dedicated_cores: Option<u32>,
    /// Core quota.
    pub low_priority_cores: Option<u32>,
    /// Capacity over time, in time order.
    pub capacity: Vec<Capacity>,
    /// Prices per node-hour.
    pub dedicated_per_hour: Option<f64>,
    /// Prices per node-hour.
    pub low_priority_per_hour: Option<f64>,
    /// Formula changes, in time order.
    pub changes: Vec<Change>,
    /// `[simulation]` values.
    pub start: Option<Timestamp>,
    /// `[simulation]` values.
    pub duration: Option<Interval>,
    /// `[simulation]` values.
    pub interval: Option<Interval>,
    /// `[simulation]` values.
    pub seed: Option<u64>,
    /// The parameters given in the file (camelCase names, as in the report), so the
    /// report can say which were defaults.
    pub given: Vec<&'static str>,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario::resolve(ScenarioFile::default(), Path::new("."), &mut |_| {
            unreachable!("no changes to read")
        })
        .expect("the defaults are valid")
    }
}

impl Scenario {
    /// Reads a scenario file: TOML, or JSON when the name ends in `.json`. `[[changes]]`
    /// formula paths are read relative to the file's folder.
    pub fn load(path: &Path) -> Result<Scenario, InputError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::file(&name, format!("cannot read the scenario: {e}")))?;
        let file = if path.extension().is_some_and(|e| e == "json") {
            parse_json(&text, &name)?
        } else {
            parse_toml(&text, &name)?
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::resolve(file, &base, &mut |p: &Path| std::fs::read_to_string(p)).map_err(
            |(field, message)| {
                let (line, column) = locate_field(&text, &field);
                InputError {
                    file: name.clone(),
                    line,
                    column,
                    field: Some(field),
                    message,
                }
            },
        )
    }

    /// Fills in the defaults and checks what serde could not: ranges, and the formula
    /// files of changes. Errors are (field path, message).
    pub fn resolve(
        file: ScenarioFile,
        base: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<Scenario, (String, String)> {
        let mut given = Vec::new();
        let mut note = |present: bool, name: &'static str| {
            if present {
                given.push(name);
            }
        };
        let defaults = ModelParams::simulate();
        let pool = &file.pool;
        let timing = &file.timing;
        let spot = &file.spot;
        note(pool.task_slots_per_node.is_some(), "taskSlotsPerNode");
        note(pool.node_fill.is_some(), "nodeFill");
        note(pool.cores.is_some(), "cores");
        note(pool.vm_size.is_some(), "vmSize");
        note(pool.initial_dedicated.is_some(), "initialDedicated");
        note(pool.initial_low_priority.is_some(), "initialLowPriority");
        note(timing.allocation_delay.is_some(), "allocationDelay");
        note(timing.start_delay.is_some(), "startDelay");
        note(timing.removal_delay.is_some(), "removalDelay");
        note(timing.placement_latency.is_some(), "placementLatency");
        note(timing.ingestion_lag.is_some(), "ingestionLag");
        note(timing.sample_drop.is_some(), "sampleDrop");
        note(timing.history_retention.is_some(), "historyRetention");
        note(timing.removal_order.is_some(), "removalOrder");
        note(
            timing.cpu_without_usable_nodes.is_some(),
            "cpuWithoutUsableNodes",
        );
        note(
            spot.preemption_per_node_hour.is_some(),
            "preemptionPerNodeHour",
        );
        note(spot.recovery_delay.is_some(), "recoveryDelay");
        let slots = pool.task_slots_per_node.unwrap_or(1);
        if !(1..=256).contains(&slots) {
            return Err((
                "pool.task_slots_per_node".into(),
                format!("expected 1 to 256 slots per node, found {slots}"),
            ));
        }
        let cores = pool.cores.unwrap_or(1);
        if cores == 0 {
            return Err(("pool.cores".into(), "expected at least 1 core".into()));
        }
        let sample_drop = timing.sample_drop.unwrap_or(defaults.sample_drop);
        if !(0.0..=1.0).contains(&sample_drop) {
            return Err((
                "timing.sample_drop".into(),
                format!("expected a probability from 0 to 1, found {sample_drop}"),
            ));
        }
        let retention = timing
            .history_retention
            .map_or(defaults.history_retention, |d| d.0);
        if retention.ticks() <= 0 {
            return Err((
                "timing.history_retention".into(),
                "expected a retention longer than 0".into(),
            ));
        }
        let hazard = spot
            .preemption_per_node_hour
            .unwrap_or(defaults.preemption_per_node_hour);
        if !(hazard.is_finite() && hazard >= 0.0) {
            return Err((
                "spot.preemption_per_node_hour".into(),
                format!("expected a rate of 0 or more per node-hour, found {hazard}"),
            ));
        }
        for (field, price) in [
            ("cost.dedicated_per_hour", file.cost.dedicated_per_hour),
            (
                "cost.low_priority_per_hour",
                file.cost.low_priority_per_hour,
            ),
        ] {
            if let Some(p) = price
                && !(p.is_finite() && p >= 0.0)
            {
                return Err((
                    field.into(),
                    format!("expected a price of 0 or more, found {p}"),
                ));
            }
        }
        let params = ModelParams {
            task_slots_per_node: slots,
            node_fill: pool.node_fill.unwrap_or(defaults.node_fill),
            allocation_delay: timing
                .allocation_delay
                .map_or(defaults.allocation_delay, |d| d.0),
            start_delay: timing.start_delay.map_or(defaults.start_delay, |d| d.0),
            removal_delay: timing.removal_delay.map_or(defaults.removal_delay, |d| d.0),
            placement_latency: timing
                .placement_latency
                .map_or(defaults.placement_latency, |d| d.0),
            ingestion_lag: timing.ingestion_lag.map_or(defaults.ingestion_lag, |d| d.0),
            sample_drop,
            history_retention: retention,
            removal_order: timing.removal_order.unwrap_or(defaults.removal_order),
            preemption_per_node_hour: hazard,
            recovery_delay: spot.recovery_delay.map_or(defaults.recovery_delay, |d| d.0),
            cpu_without_usable_nodes: timing
                .cpu_without_usable_nodes
                .unwrap_or(defaults.cpu_without_usable_nodes),
        };
        let mut capacity: Vec<Capacity> = file
            .limits
            .capacity
            .iter()
            .map(|c| Capacity {
                at: c.at.0,
                max_dedicated: c.max_dedicated,
                max_low_priority: c.max_low_priority,
            })
            .collect();
        capacity.sort_by_key(|c| c.at);
        let mut changes = Vec::new();
        for (i, change) in file.changes.iter().enumerate() {
            if change.formula.is_none() && change.interval.is_none() {
                return Err((
                    format!("changes[{i}]"),
                    "a change needs `formula` (a file) or `interval`, or both".into(),
                ));
            }
            if let Some(interval) = change.interval
                && let Err(e) = batchscale::check_interval(interval.0)
            {
                return Err((
                    format!("changes[{i}].interval"),
                    e.detail().unwrap_or("out of range").to_string(),
                ));
            }
            let formula = match &change.formula {
                None => None,
                Some(relative) => {
                    let path: PathBuf = base.join(relative);
                    let text = read(&path).map_err(|e| {
                        (
                            format!("changes[{i}].formula"),
                            format!("cannot read the formula {}: {e}", path.display()),
                        )
                    })?;
                    Some((path.display().to_string(), text))
                }
            };
            changes.push(Change {
                at: change.at.0,
                formula,
                interval: change.interval.map(|d| d.0),
            });
        }
        changes.sort_by_key(|c| c.at);
        if let Some(interval) = file.simulation.interval
            && let Err(e) = batchscale::check_interval(interval.0)
        {
            return Err((
                "simulation.interval".into(),
                e.detail().unwrap_or("out of range").to_string(),
            ));
        }
        Ok(Scenario {
            params,
            vm_size: pool.vm_size.clone(),
            cores,
            initial_dedicated: pool.initial_dedicated.unwrap_or(0),
            initial_low_priority: pool.initial_low_priority.unwrap_or(0),
            max_dedicated: file.limits.max_dedicated,
            max_low_priority: file.limits.max_low_priority,
            dedicated_cores: file.limits.dedicated_cores,
            low_priority_cores: file.limits.low_priority_cores,
            capacity,
            dedicated_per_hour: file.cost.dedicated_per_hour,
            low_priority_per_hour: file.cost.low_priority_per_hour,
            changes,
            start: file.simulation.start.map(|t| t.0),
            duration: file.simulation.duration.map(|d| d.0),
            interval: file.simulation.interval.map(|d| d.0),
            seed: file.simulation.seed,
            given,
        })
    }

    /// The caps in force at `t`: (dedicated, low-priority) node counts, never above
    /// [`NODE_CEILING`].
    pub fn caps_at(&self, t: Timestamp) -> (Option<u32>, Option<u32>) {
        let min = |a: Option<u32>, b: Option<u32>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut dedicated = min(
            self.max_dedicated,
            self.dedicated_cores.map(|c| c / self.cores),
        );
        let mut low = min(
            self.max_low_priority,
            self.low_priority_cores.map(|c| c / self.cores),
        );
        if let Some(step) = self.capacity.iter().rev().find(|c| c.at <= t) {
            dedicated = min(dedicated, step.max_dedicated);
            low = min(low, step.max_low_priority);
        }
        (
            min(dedicated, Some(NODE_CEILING)),
            min(low, Some(NODE_CEILING)),
        )
    }
}

/// Parses TOML scenario text.
pub fn parse_toml(text: &str, name: &str) -> Result<ScenarioFile, InputError> {
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| toml_error(text, name, &e, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = path_text(e.path());
        toml_error(text, name, e.inner(), Some(field))
    })
}

fn toml_error(text: &str, name: &str, e: &toml::de::Error, field: Option<String>) -> InputError {
    let (line, column) = match e.span() {
        Some(span) => {
            let (l, c) = line_column(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    InputError {
        file: name.to_string(),
        line,
        column,
        field: field.filter(|f| !f.is_empty()),
        message: e.message().trim_end().to_string(),
    }
}

/// Parses JSON scenario text (the same keys).
pub fn parse_json(text: &str, name: &str) -> Result<ScenarioFile, InputError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let file: ScenarioFile = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let field = path_text(e.path());
        let inner = e.inner();
        let message = inner.to_string();
        let suffix = format!(" at line {} column {}", inner.line(), inner.column());
        InputError {
            file: name.to_string(),
            line: Some(inner.line().max(1)),
            column: Some(inner.column().max(1)),
            field: (!field.is_empty()).then_some(field),
            message: message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string(),
        }
    })?;
    deserializer.end().map_err(|e| InputError {
        file: name.to_string(),
        line: Some(e.line()),
        column: Some(e.column()),
        field: None,
        message: "trailing characters after the scenario".into(),
    })?;
    Ok(file)
}

/// The line and column of the last key of a path in the text (best effort: the first
/// line that assigns it), for errors found after parsing.
fn locate_field(text: &str, field: &str) -> (Option<usize>, Option<usize>) {
    let key = field
        .rsplit('.')
        .next()
        .unwrap_or(field)
        .split('[')
        .next()
        .unwrap_or(field);
    if key.is_empty() {
        return (None, None);
    }
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let bare = trimmed.trim_start_matches('"');
        if bare.starts_with(key)
            && bare[key.len()..]
                .trim_start_matches('"')
                .trim_start()
                .starts_with(['=', ':'])
        {
            let column = line.len() - trimmed.len() + 1;
            return (Some(i + 1), Some(column));
        }
        if trimmed.starts_with("[[") && trimmed.contains(key) {
            return (Some(i + 1), Some(1));
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchscale::time::{TICKS_PER_MINUTE, TICKS_PER_SECOND};

    fn parse(text: &str) -> Result<Scenario, InputError> {
        let file = parse_toml(text, "s.toml")?;
        Scenario::resolve(file, Path::new("."), &mut |p| {
            if p.ends_with("new.formula") {
                Ok("$TargetDedicatedNodes = 1;".to_string())
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file",
                ))
            }
        })
        .map_err(|(field, message)| InputError {
            file: "s.toml".into(),
            line: None,
            column: None,
            field: Some(field),
            message,
        })
    }

    #[test]
    fn the_spec_example_reads() {
        let s = parse(
            r#"
[pool]
vm_size = "Standard_D4s_v3"
cores = 4
task_slots_per_node = 4
node_fill = "spread"
initial_dedicated = 0
initial_low_priority = 0
[limits]
max_dedicated = 100
max_low_priority = 200
[timing]
allocation_delay = { distribution = "lognormal", median = "5m", p95 = "12m" }
start_delay = { distribution = "fixed", value = "1m" }
ingestion_lag = "15s"
sample_drop = 0.0
history_retention = "7d"
removal_order = "idle-first"
[spot]
preemption_per_node_hour = 0.0
recovery_delay = { distribution = "fixed", value = "10m" }
[cost]
dedicated_per_hour = 0.192
low_priority_per_hour = 0.0384
[[changes]]
at = "2025-01-07T09:00:00Z"
formula = "new.formula"
"#,
        )
        .unwrap();
        assert_eq!(s.params, {
            let mut p = ModelParams::simulate();
            p.task_slots_per_node = 4;
            p
        });
        assert_eq!(s.cores, 4);
        assert_eq!(
            s.caps_at(Timestamp::from_date(2025, 1, 6).unwrap()),
            (Some(100), Some(200))
        );
        assert_eq!(s.changes.len(), 1);
        assert_eq!(s.dedicated_per_hour, Some(0.192));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let e = parse("[timing]\nallocation_dealy = \"5m\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(
            e.message.contains("unknown field `allocation_dealy`"),
            "{e}"
        );
        assert!(e.message.contains("allocation_delay"), "{e}");
    }

    #[test]
    fn bad_durations_name_the_field_and_what_was_expected() {
        let e = parse("[timing]\nstart_delay = { distribution = \"fixed\", value = \"5 min\" }\n")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.field.as_deref(), Some("timing.start_delay.value"));
        assert!(e.message.contains("5 min"), "{e}");
        let e = parse("[timing]\ningestion_lag = 15\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("timing.ingestion_lag"));
        assert!(e.message.contains("string"), "{e}");
    }

    #[test]
    fn delays_take_a_duration_or_a_distribution() {
        let s = parse("[timing]\nallocation_delay = \"3m\"\nstart_delay = { distribution = \"uniform\", min = \"30s\", max = \"90s\" }\n").unwrap();
        assert_eq!(
            s.params.allocation_delay,
            Delay::fixed(3 * TICKS_PER_MINUTE)
        );
        assert_eq!(
            s.params.start_delay,
            Delay::Uniform {
                min: 30 * TICKS_PER_SECOND,
                max: 90 * TICKS_PER_SECOND
            }
        );
        let e = parse(
            "[timing]\nallocation_delay = { distribution = \"lognormal\", value = \"3m\" }\n",
        )
        .unwrap_err();
        assert!(e.message.contains("lognormal"), "{e}");
        let e = parse("[timing]\nallocation_delay = { distribution = \"gamma\", mean = \"3m\" }\n")
            .unwrap_err();
        assert!(e.message.contains("unknown distribution"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        let e = parse("[timing]\nsample_drop = 1.5\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("timing.sample_drop"));
        let e = parse("[pool]\ntask_slots_per_node = 0\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("pool.task_slots_per_node"));
        let e =
            parse("[[changes]]\nat = \"2025-01-07T09:00:00Z\"\nformula = \"missing.formula\"\n")
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("changes[0].formula"));
        let e =
            parse("[[changes]]\nat = \"2025-01-07T09:00:00Z\"\ninterval = \"1m\"\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("changes[0].interval"));
    }

    #[test]
    fn core_quotas_cap_by_cores_per_node_and_capacity_steps_apply_from_their_time() {
        let s = parse(
            "[pool]\ncores = 4\n[limits]\ndedicated_cores = 10\n[[limits.capacity]]\nat = \"2025-01-06T12:00:00Z\"\nmax_dedicated = 1\nmax_low_priority = 0\n",
        )
        .unwrap();
        let morning = Timestamp::parse_rfc3339("2025-01-06T11:00:00Z").unwrap();
        let noon = Timestamp::parse_rfc3339("2025-01-06T12:00:00Z").unwrap();
        assert_eq!(s.caps_at(morning), (Some(2), Some(NODE_CEILING)));
        assert_eq!(s.caps_at(noon), (Some(1), Some(0)));
    }

    #[test]
    fn json_scenarios_take_the_same_keys() {
        let file = parse_json(
            r#"{"pool": {"cores": 8}, "timing": {"ingestion_lag": "1m"}}"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(file.pool.cores, Some(8));
        let e = parse_json(r#"{"pool": {"corse": 8}}"#, "s.json").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("pool.corse"));
        assert_eq!(e.line, Some(1));
    }
}
