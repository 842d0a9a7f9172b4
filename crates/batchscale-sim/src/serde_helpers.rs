//! Serde helpers for the model's state.

/// A map written as a list of `[key, value]` pairs, so that keys need not be strings
/// (JSON objects take only string keys).
pub mod map_as_pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the pairs in key order.
    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    /// Reads the pairs back.
    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}

/// An [`batchscale::Interval`] written as its tick count.
pub mod interval_ticks {
    use batchscale::Interval;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the ticks.
    pub fn serialize<S: Serializer>(interval: &Interval, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(interval.ticks())
    }

    /// Reads the ticks.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Interval, D::Error> {
        i64::deserialize(deserializer).map(Interval)
    }
}

/// A [`batchscale::Timestamp`] written as its tick count.
pub mod timestamp_ticks {
    use batchscale::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes the ticks.
    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(time.ticks())
    }

    /// Reads the ticks.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let ticks = i64::deserialize(deserializer)?;
        Timestamp::from_ticks(ticks)
            .ok_or_else(|| de::Error::custom("a time outside the years 1 to 9999"))
    }
}

/// The model's visible histories, written compactly: per metric with samples, its period,
/// the first time, the gaps between times run-length encoded (samples come every 30 s, so
/// that is one pair for most histories), and the values. Saved state is the emulator's
/// unit of durable write, and a week of samples as `{time, value}` objects was 6 MB per
/// pool; this is the values and little else. Only the metrics are kept: the rest of the
/// snapshot (pool state, evaluation time) is rebuilt for every evaluation.
pub mod compact_histories {
    use batchscale::{DEFAULT_PERIOD, Interval, Metric, SampleHistory, Snapshot, Timestamp};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

    #[derive(Serialize, Deserialize)]
    struct Series {
        /// Index in [`Metric::ALL`].
        metric: usize,
        period: i64,
        first: i64,
        /// `[count, gap]` pairs: `count` successive times each `gap` ticks after the last.
        gaps: Vec<(u32, i64)>,
        values: Vec<f64>,
    }

    /// Writes the metrics' histories.
    pub fn serialize<S: Serializer>(snapshot: &Snapshot, serializer: S) -> Result<S::Ok, S::Error> {
        let series: Vec<Series> = snapshot
            .metrics
            .iter()
            .filter(|(_, history)| !history.is_empty() || history.period != DEFAULT_PERIOD)
            .map(|(metric, history)| {
                let times = history.times();
                let mut gaps: Vec<(u32, i64)> = Vec::new();
                for pair in times.windows(2) {
                    let gap = pair[1].ticks() - pair[0].ticks();
                    match gaps.last_mut() {
                        Some((count, last)) if *last == gap => *count += 1,
                        _ => gaps.push((1, gap)),
                    }
                }
                Series {
                    metric: metric.index(),
                    period: history.period.ticks(),
                    first: times.first().map_or(0, |t| t.ticks()),
                    gaps,
                    values: history.values().to_vec(),
                }
            })
            .collect();
        series.serialize(serializer)
    }

    /// Reads them back into an otherwise default snapshot.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Snapshot, D::Error> {
        let mut snapshot = Snapshot::default();
        for series in Vec::<Series>::deserialize(deserializer)? {
            let metric = *Metric::ALL
                .get(series.metric)
                .ok_or_else(|| de::Error::custom("a metric index out of range"))?;
            let mut times = Vec::with_capacity(series.values.len());
            if !series.values.is_empty() {
                let mut time = series.first;
                times.push(time);
                for (count, gap) in series.gaps {
                    for _ in 0..count {
                        time = time
                            .checked_add(gap)
                            .ok_or_else(|| de::Error::custom("a time out of range"))?;
                        times.push(time);
                    }
                }
            }
            if times.len() != series.values.len() {
                return Err(de::Error::custom(
                    "a history with more times than values, or fewer",
                ));
            }
            let mut history = SampleHistory::new(Interval(series.period));
            for (time, value) in times.into_iter().zip(series.values) {
                let time = Timestamp::from_ticks(time)
                    .ok_or_else(|| de::Error::custom("a time outside the years 1 to 9999"))?;
                history.push(time, value).map_err(de::Error::custom)?;
            }
            snapshot.metrics.set(metric, history);
        }
        Ok(snapshot)
    }
}
