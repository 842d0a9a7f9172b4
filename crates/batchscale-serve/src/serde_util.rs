//! serde for the engine's time types, as tick counts, for the store (1.3).

/// A [`batchscale::Timestamp`] as its ticks.
pub mod ts {
    use batchscale::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the ticks.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.ticks())
    }

    /// Reads the ticks, refusing values outside the years 1 to 9999.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let ticks = i64::deserialize(d)?;
        Timestamp::from_ticks(ticks)
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// An optional [`batchscale::Timestamp`] as its ticks or null.
pub mod ots {
    use batchscale::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the ticks or null.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&t.ticks()),
            None => s.serialize_none(),
        }
    }

    /// Reads the ticks or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            None => Ok(None),
            Some(ticks) => Timestamp::from_ticks(ticks)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("timestamp out of range")),
        }
    }
}

/// A [`batchscale::Interval`] as its ticks.
pub mod iv {
    use batchscale::Interval;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the ticks.
    pub fn serialize<S: Serializer>(i: &Interval, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(i.ticks())
    }

    /// Reads the ticks.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
        Ok(Interval(i64::deserialize(d)?))
    }
}

/// A [`batchscale::DeallocationOption`] as its keyword.
pub mod dealloc {
    use batchscale::DeallocationOption;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the keyword.
    pub fn serialize<S: Serializer>(o: &DeallocationOption, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(o.keyword())
    }

    /// Reads the keyword.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DeallocationOption, D::Error> {
        let text = String::deserialize(d)?;
        DeallocationOption::from_keyword(&text)
            .ok_or_else(|| serde::de::Error::custom("unknown deallocation option"))
    }
}
