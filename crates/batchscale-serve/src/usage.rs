//! Pool usage (emulator.md section 7): 30-minute buckets of core-hours, computed exactly
//! in core-ticks, and the cores of a VM size.

use std::collections::{BTreeMap, BTreeSet};

use batchscale::Timestamp;
use batchscale::time::{TICKS_PER_HOUR, TICKS_PER_MINUTE};
use serde::{Deserialize, Serialize};

/// A bucket is 30 minutes.
pub const BUCKET: i64 = 30 * TICKS_PER_MINUTE;

/// One pool's usage in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageEntry {
    /// The pool's id (case kept).
    pub pool_id: String,
    /// The pool's `vmSize` at the last time the bucket was accounted.
    pub vm_size: String,
    /// ∫ nodes × cores dt, in core-ticks.
    pub core_ticks: u128,
}

impl UsageEntry {
    /// `totalCoreHours`, converted once.
    pub fn core_hours(&self) -> f64 {
        self.core_ticks as f64 / TICKS_PER_HOUR as f64
    }
}

/// An account's usage entries, by (bucket start ticks, lower-cased pool id).
#[derive(Debug, Clone, Default)]
pub struct UsageBook {
    /// The entries.
    pub entries: BTreeMap<(i64, String), UsageEntry>,
    /// Entries changed since the last commit.
    pub dirty: BTreeSet<(i64, String)>,
}

impl UsageBook {
    /// Accounts `[from, until)` at `rate` core-ticks per tick, splitting at bucket edges;
    /// every bucket touched gets an entry, even at 0.
    pub fn accumulate(
        &mut self,
        pool_id: &str,
        vm_size: &str,
        from: Timestamp,
        until: Timestamp,
        rate: u64,
    ) {
        let lower = pool_id.to_lowercase();
        let mut t = from.ticks();
        let end = until.ticks();
        loop {
            let bucket = t - t.rem_euclid(BUCKET);
            let stop = (bucket + BUCKET).min(end);
            let key = (bucket, lower.clone());
            let entry = self
                .entries
                .entry(key.clone())
                .or_insert_with(|| UsageEntry {
                    pool_id: pool_id.to_string(),
                    vm_size: vm_size.to_string(),
                    core_ticks: 0,
                });
            entry.vm_size = vm_size.to_string();
            entry.core_ticks += u128::from(rate) * (stop - t).max(0) as u128;
            self.dirty.insert(key);
            if stop >= end {
                break;
            }
            t = stop;
        }
    }
}

/// cores(vmSize) (7.2): the table, else the name rule, else `None` (1 core, with a warning).
pub fn cores(vm_size: &str) -> Option<u32> {
    let s = vm_size.to_ascii_lowercase();
    let table: &[(&str, u32)] = &[
        ("small", 1),
        ("medium", 2),
        ("large", 4),
        ("extralarge", 8),
        ("standard_a1", 1),
        ("standard_a2", 2),
        ("standard_a3", 4),
        ("standard_a4", 8),
        ("standard_a5", 2),
        ("standard_a6", 4),
        ("standard_a7", 8),
        ("standard_a1_v2", 1),
        ("standard_a2_v2", 2),
        ("standard_a4_v2", 4),
        ("standard_a8_v2", 8),
        ("standard_a2m_v2", 2),
        ("standard_a4m_v2", 4),
        ("standard_a8m_v2", 8),
        ("standard_d5_v2", 16),
        ("standard_ds5_v2", 16),
        ("standard_d15_v2", 20),
        ("standard_ds15_v2", 20),
    ];
    if let Some(&(_, c)) = table.iter().find(|(name, _)| *name == s) {
        return Some(c);
    }
    // The D family of the table: d1..d4, d11..d14 (and _v2, ds…, ds…_v2).
    let d_family: &[(u32, u32)] = &[
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 8),
        (11, 2),
        (12, 4),
        (13, 8),
        (14, 16),
    ];
    for prefix in ["standard_ds", "standard_d"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            let number = rest.strip_suffix("_v2").unwrap_or(rest);
            if let Ok(n) = number.parse::<u32>()
                && let Some(&(_, c)) = d_family.iter().find(|(k, _)| *k == n)
            {
                return Some(c);
            }
        }
    }
    // The name rule: standard_{letters}{N}…, or M for a constrained size …{N}-{M}….
    let rest = s.strip_prefix("standard_")?;
    let letters = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 {
        return None;
    }
    let after = &rest[letters..];
    let digits = after.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let n: u32 = after[..digits].parse().ok()?;
    let tail = &after[digits..];
    if let Some(constrained) = tail.strip_prefix('-') {
        let m_digits = constrained
            .bytes()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if m_digits > 0 {
            return constrained[..m_digits].parse().ok();
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_cores_of_vm_sizes_follow_the_table_then_the_name_rule() {
        for (size, expected) in [
            ("small", 1),
            ("ExtraLarge", 8),
            ("standard_a5", 2),
            ("standard_a8m_v2", 8),
            ("standard_d14", 16),
            ("standard_ds12_v2", 4),
            ("Standard_D15_v2", 20),
            ("standard_d2s_v3", 2),
            ("standard_d4ds_v5", 4),
            ("standard_f16s_v2", 16),
            ("standard_e8as_v5", 8),
            ("standard_nc6", 6),
            ("standard_nc24ads_a100_v4", 24),
            ("standard_hb120rs_v3", 120),
            ("standard_m8-2ms", 2),
        ] {
            assert_eq!(cores(size), Some(expected), "{size}");
        }
        assert_eq!(cores("weird"), None);
    }

    #[test]
    fn decided_usage_buckets_are_30_minutes_aligned_and_exact() {
        let mut book = UsageBook::default();
        let t0 = Timestamp::parse_rfc3339("2024-05-01T10:20:00Z").unwrap();
        let t1 = Timestamp::parse_rfc3339("2024-05-01T11:10:00Z").unwrap();
        book.accumulate("P1", "standard_d2s_v3", t0, t1, 2);
        let hours: Vec<f64> = book.entries.values().map(|e| e.core_hours()).collect();
        // 10 min, 30 min, 10 min at 2 cores.
        assert_eq!(hours.len(), 3);
        assert!((hours[0] - 2.0 / 6.0).abs() < 1e-12);
        assert!((hours[1] - 1.0).abs() < 1e-12);
        assert!((hours[2] - 2.0 / 6.0).abs() < 1e-12);
    }
}
