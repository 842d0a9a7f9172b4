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
