//! Sample windows over a metric's history (language.md section 7).
//!
//! A history is sorted by time, so every window is two binary searches; the samples of a
//! window are a contiguous slice of the history's values.

use crate::snapshot::SampleHistory;
use crate::time::Timestamp;

/// The share of a window that holds samples, and where those samples are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Indices `start..end` of the samples in the window (all available at `now`).
    pub start: usize,
    pub end: usize,
    /// `min(100, 100 * samples / expected)`.
    pub percent: f64,
}

/// Samples are available when their time is at or before `now`.
fn available_end(history: &SampleHistory, now: Timestamp) -> usize {
    history.times().partition_point(|t| *t <= now)
}

/// The window `(earlier, later]` between two instants in either order.
pub fn window(history: &SampleHistory, now: Timestamp, a: Timestamp, b: Timestamp) -> Window {
    let (earlier, later) = if a <= b { (a, b) } else { (b, a) };
    // Samples after `now` are not available: the window ends at the earlier of `later`
    // and `now`. Two independent binary searches (the processor overlaps them).
    let upper = later.min(now);
    let end = history.times().partition_point(|t| *t <= upper);
    let start = history.times().partition_point(|t| *t <= earlier).min(end);
    let length = later.since(earlier).ticks();
    let period = history.period.ticks().max(1);
    let count = end - start;
    // A full window (count >= expected, i.e. count >= 1 and count * period >= length)
    // is 100 % without the divisions: the usual case, and the divisions cost more than
    // the rest of a small window.
    let percent = if count >= 1 && count as i128 * i128::from(period) >= i128::from(length) {
        100.0
    } else {
        (100.0 * count as f64 / expected(length, period) as f64).min(100.0)
    };
    Window {
        start,
        end,
        percent,
    }
}

/// The samples a window of `length` ticks expects at one every `period` ticks (at least
/// 1): `max(1, ceil(length / period))`, in whole ticks so nothing rounds.
#[inline]
pub fn expected(length: i64, period: i64) -> i64 {
    (length / period + i64::from(length % period != 0)).max(1)
}

/// A run of a window's slots that hold no sample: the time `(from, to]` they cover and how
/// many they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSlots {
    /// Where the run of empty slots starts (exclusive).
    pub from: Timestamp,
    /// Where it ends (inclusive).
    pub to: Timestamp,
    /// How many slots: samples the window expected there.
    pub slots: u64,
}

/// The slots of the window `(earlier, later]` that hold none of its samples, oldest first,
/// consecutive empty slots as one [`MissingSlots`]. The window as [`window`] found it (`found`) is
/// cut into the [`expected`] slots of one period each, counted back from `later` (the
/// oldest may be shorter): slot `k` is `(later - (k + 1) * period, later - k * period]`.
/// A history with one sample a period fills at most one sample a slot, so its empty slots
/// are exactly `expected - samples`, the shortfall behind [`Window::percent`].
pub fn missing_slots(
    history: &SampleHistory,
    earlier: Timestamp,
    later: Timestamp,
    found: Window,
) -> Vec<MissingSlots> {
    let period = history.period.ticks().max(1);
    let length = later.since(earlier).ticks();
    let slots = expected(length, period) as u64;
    // Slot `k` of a sample at `t` (within `(earlier, later]`, so `k < slots`).
    let slot = |t: Timestamp| (later.since(t).ticks() / period) as u64;
    // The run of slots `newest..=oldest` as times: clamped to the window's start.
    let run = |newest: u64, oldest: u64| {
        let instant = |k: u64| {
            let ticks = i128::from(later.ticks()) - i128::from(k) * i128::from(period);
            let ticks = ticks.max(i128::from(earlier.ticks()));
            Timestamp::from_ticks(ticks as i64).unwrap_or(earlier)
        };
        MissingSlots {
            from: instant(oldest + 1),
            to: instant(newest),
            slots: oldest - newest + 1,
        }
    };
    let mut runs = Vec::new();
    // Newest first: `next` is the newest slot not yet seen filled or empty.
    let mut next = 0;
    for t in history.times()[found.start..found.end].iter().rev() {
        let k = slot(*t);
        if k > next {
            runs.push(run(next, k - 1));
        }
        next = next.max(k + 1);
    }
    if next < slots {
        runs.push(run(next, slots - 1));
    }
    runs.reverse();
    runs
}

/// Indices of the `n` most recent available samples (fewer if the history is shorter).
pub fn most_recent(history: &SampleHistory, now: Timestamp, n: u64) -> (usize, usize) {
    let end = available_end(history, now);
    let start = end.saturating_sub(usize::try_from(n).unwrap_or(usize::MAX));
    (start, end)
}

/// Number of samples available at `now`.
pub fn count(history: &SampleHistory, now: Timestamp) -> usize {
    available_end(history, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Interval, TICKS_PER_SECOND};

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_ticks(1_000_000 * TICKS_PER_SECOND + seconds * TICKS_PER_SECOND).unwrap()
    }

    fn history(seconds: &[i64]) -> SampleHistory {
        SampleHistory::from_samples(
            Interval(30 * TICKS_PER_SECOND),
            seconds.iter().map(|s| (at(*s), *s as f64)).collect(),
        )
        .unwrap()
    }

    #[test]
    fn window_is_open_at_the_earlier_end_and_closed_at_the_later() {
        let h = history(&[0, 30, 60, 90]);
        let w = window(&h, at(90), at(0), at(60));
        assert_eq!((w.start, w.end), (1, 3));
        // Order of the two instants does not matter.
        assert_eq!(window(&h, at(90), at(60), at(0)), w);
    }

    #[test]
    fn samples_after_now_are_not_available() {
        let h = history(&[0, 30, 60, 90]);
        let w = window(&h, at(60), at(0), at(120));
        assert_eq!((w.start, w.end), (1, 3));
        assert_eq!(most_recent(&h, at(60), 10), (0, 3));
        assert_eq!(count(&h, at(60)), 3);
    }

    #[test]
    fn percent_counts_against_the_expected_samples() {
        let h = history(&[30, 60, 90]);
        // 120 s window expects 4 samples; 3 are there.
        assert_eq!(window(&h, at(90), at(-30), at(90)).percent, 75.0);
        // A window shorter than the period still expects one sample.
        assert_eq!(window(&h, at(90), at(80), at(90)).percent, 100.0);
        assert_eq!(window(&h, at(90), at(91), at(95)).percent, 0.0);
        // Never above 100.
        assert_eq!(window(&h, at(90), at(29), at(90)).percent, 100.0);
    }

    #[test]
    fn the_full_window_shortcut_agrees_with_the_division() {
        // Samples every 30 s with gaps, windows of every length from 0 to 400 s at
        // every offset: percent is min(100, 100 * count / max(1, ceil(length / period))).
        let h = history(&[0, 30, 60, 150, 180, 210, 240, 360]);
        for from in -60..400 {
            for length in 0..400 {
                let (a, b) = (at(from), at(from + length));
                let w = window(&h, at(400), a, b);
                let ticks = length * TICKS_PER_SECOND;
                let period = 30 * TICKS_PER_SECOND;
                let expected = (ticks / period + i64::from(ticks % period != 0)).max(1);
                let percent = (100.0 * (w.end - w.start) as f64 / expected as f64).min(100.0);
                assert_eq!(w.percent, percent, "({from}, {}]", from + length);
            }
        }
    }

    #[test]
    fn missing_slots_are_the_slots_without_a_sample() {
        // Samples at 30, 60, 150, 180: the window (0, 210] expects 7 slots, ending at
        // 210, 180, 150, 120, 90, 60, 30; those ending at 210, 120 and 90 are empty.
        let h = history(&[30, 60, 150, 180]);
        let w = window(&h, at(210), at(0), at(210));
        let runs = missing_slots(&h, at(0), at(210), w);
        let as_seconds = |g: &MissingSlots| {
            let s = |t: Timestamp| (t.ticks() - at(0).ticks()) / TICKS_PER_SECOND;
            (s(g.from), s(g.to), g.slots)
        };
        let found: Vec<_> = runs.iter().map(as_seconds).collect();
        assert_eq!(found, [(60, 120, 2), (180, 210, 1)]);
    }

    #[test]
    fn an_empty_history_misses_every_slot_and_a_short_oldest_slot_is_clamped() {
        let h = history(&[]);
        // (5, 100]: 95 s expects 4 slots; the oldest is (5, 10].
        let w = window(&h, at(100), at(5), at(100));
        let g = missing_slots(&h, at(5), at(100), w);
        assert_eq!(
            g,
            [MissingSlots {
                from: at(5),
                to: at(100),
                slots: 4
            }]
        );
        // An empty window still expects one sample.
        let w = window(&h, at(100), at(100), at(100));
        assert_eq!(missing_slots(&h, at(100), at(100), w)[0].slots, 1);
    }

    #[test]
    fn the_empty_slots_are_the_shortfall_behind_the_percent() {
        // One sample a period, with holes: at every window, the empty slots number
        // expected - samples, so they explain the percent exactly.
        let h = history(&[0, 30, 60, 150, 180, 210, 240, 360]);
        for from in -60..400 {
            for length in [0, 1, 29, 30, 31, 45, 90, 121, 300, 399] {
                let (a, b) = (at(from), at(from + length));
                let w = window(&h, at(300), a, b);
                let expected = expected(length * TICKS_PER_SECOND, 30 * TICKS_PER_SECOND);
                let empty: u64 = missing_slots(&h, a, b, w).iter().map(|g| g.slots).sum();
                let count = (w.end - w.start) as u64;
                assert_eq!(
                    empty,
                    expected as u64 - count,
                    "({from}, {}]",
                    from + length
                );
                let percent = (100.0 * count as f64 / expected as f64).min(100.0);
                assert_eq!(w.percent, percent);
            }
        }
    }

    #[test]
    fn most_recent_takes_the_newest() {
        let h = history(&[0, 30, 60, 90]);
        assert_eq!(most_recent(&h, at(100), 2), (2, 4));
        assert_eq!(most_recent(&h, at(100), u64::MAX), (0, 4));
    }
}
