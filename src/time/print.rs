//! Times and intervals as text: the AutoScaleRun's and the snapshots' RFC 3339, the
//! results string's timestamps and intervals (language.md section 8.1), and ISO 8601
//! durations. [`super::parse`] reads them.
//!
//! Each printer appends to a caller's `String` (`write_*`), so that a whole results string
//! is built in one buffer; the others return a new `String`.

use super::{
    Interval, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MILLISECOND, TICKS_PER_MINUTE,
    TICKS_PER_SECOND, Timestamp,
};

/// An interval as `4d22h14m53.7821283s`: zero parts left out, seconds with up to 7
/// fractional digits and trailing zeros removed.
///
/// Zero prints `0s` \[decided\]; a negative interval prints `-` and then its magnitude
/// \[decided\].
pub fn format_interval(i: Interval) -> String {
    let mut out = String::new();
    write_interval(&mut out, i);
    out
}

/// [`format_interval`], appended to `out`.
pub fn write_interval(out: &mut String, i: Interval) {
    // Unsigned magnitude so that i64::MIN does not overflow on negation.
    let mut rest = i.0.unsigned_abs();
    let days = rest / TICKS_PER_DAY as u64;
    rest %= TICKS_PER_DAY as u64;
    let hours = rest / TICKS_PER_HOUR as u64;
    rest %= TICKS_PER_HOUR as u64;
    let minutes = rest / TICKS_PER_MINUTE as u64;
    rest %= TICKS_PER_MINUTE as u64;
    let seconds = rest / TICKS_PER_SECOND as u64;
    let fraction = rest % TICKS_PER_SECOND as u64;

    if i.0 < 0 {
        out.push('-');
    }
    for (value, unit) in [(days, 'd'), (hours, 'h'), (minutes, 'm')] {
        if value != 0 {
            out.push_str(itoa::Buffer::new().format(value));
            out.push(unit);
        }
    }
    if seconds != 0 || fraction != 0 {
        out.push_str(itoa::Buffer::new().format(seconds));
        write_fraction(out, fraction);
        out.push('s');
    }
    if i.0 == 0 {
        out.push_str("0s");
    }
}

/// A timestamp as it prints in results: `2016-10-13T19:18:47.805Z`, exactly three
/// fractional digits, truncated (not rounded) \[doc; truncation decided\].
pub fn format_timestamp(t: Timestamp) -> String {
    let mut out = String::new();
    write_timestamp(&mut out, t);
    out
}

/// [`format_timestamp`], appended to `out`.
pub fn write_timestamp(out: &mut String, t: Timestamp) {
    let millis = t.ticks() % TICKS_PER_SECOND / TICKS_PER_MILLISECOND;
    write_date_time(out, t);
    let mut fraction = *b".000Z";
    put_digits(&mut fraction[1..4], millis as u32);
    out.push_str(std::str::from_utf8(&fraction).expect("ASCII digits"));
}

/// RFC 3339 in UTC, as the AutoScaleRun `timestamp` field, snapshots and the REST shapes
/// write times: `2024-01-05T06:16:56.8665836Z`, the fraction to 7 digits with trailing
/// zeros removed and left out entirely when zero.
pub fn rfc3339(t: Timestamp) -> String {
    let mut out = String::with_capacity(28);
    write_date_time(&mut out, t);
    write_fraction(&mut out, (t.ticks() % TICKS_PER_SECOND) as u64);
    out.push('Z');
    out
}

/// `YYYY-MM-DDThh:mm:ss` in UTC, the year zero padded to 4 digits.
fn write_date_time(out: &mut String, t: Timestamp) {
    let f = t.fields();
    let mut text = *b"0000-00-00T00:00:00";
    // Years are 1 to 9999; every other field has two digits.
    put_digits(&mut text[0..4], f.year.unsigned_abs());
    put_digits(&mut text[5..7], f.month);
    put_digits(&mut text[8..10], f.day);
    put_digits(&mut text[11..13], f.hour);
    put_digits(&mut text[14..16], f.minute);
    put_digits(&mut text[17..19], f.second);
    out.push_str(std::str::from_utf8(&text).expect("ASCII digits"));
}

/// An ISO 8601 duration, the short canonical form snapshots and the REST shapes write:
/// `PT30S`, `PT0.5S`, `PT1H30M`, `P1DT2H`, zero as `PT0S`, negative as `-PT5S`.
pub fn iso8601_duration(interval: Interval) -> String {
    let mut out = String::new();
    if interval.ticks() < 0 {
        out.push('-');
    }
    let ticks = interval.ticks().unsigned_abs();
    let (day, hour, minute, second) = (
        TICKS_PER_DAY as u64,
        TICKS_PER_HOUR as u64,
        TICKS_PER_MINUTE as u64,
        TICKS_PER_SECOND as u64,
    );
    let days = ticks / day;
    let hours = ticks % day / hour;
    let minutes = ticks % hour / minute;
    let seconds = ticks % minute / second;
    let fraction = ticks % second;
    out.push('P');
    if days > 0 {
        out.push_str(itoa::Buffer::new().format(days));
        out.push('D');
    }
    if hours > 0 || minutes > 0 || seconds > 0 || fraction > 0 || days == 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(itoa::Buffer::new().format(hours));
            out.push('H');
        }
        if minutes > 0 {
            out.push_str(itoa::Buffer::new().format(minutes));
            out.push('M');
        }
        if seconds > 0 || fraction > 0 || (hours == 0 && minutes == 0) {
            out.push_str(itoa::Buffer::new().format(seconds));
            write_fraction(&mut out, fraction);
            out.push('S');
        }
    }
    out
}

/// Writes the last `digits.len()` decimal digits of `value` into `digits`.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `.fffffff` for a sub-second tick count with trailing zeros removed; nothing for zero.
fn write_fraction(out: &mut String, ticks: u64) {
    if ticks == 0 {
        return;
    }
    let mut text = *b".0000000";
    // A sub-second tick count has at most 7 digits.
    put_digits(&mut text[1..], ticks as u32);
    let kept = text.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1);
    out.push_str(std::str::from_utf8(&text[..kept]).expect("ASCII digits"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MAX_TIMESTAMP_TICKS;

    fn secs(s: i64) -> Interval {
        Interval(s * TICKS_PER_SECOND)
    }

    #[test]
    fn interval_examples() {
        let long =
            Interval(4 * TICKS_PER_DAY + 22 * TICKS_PER_HOUR + 14 * TICKS_PER_MINUTE + 537_821_283);
        assert_eq!(format_interval(long), "4d22h14m53.7821283s");
        assert_eq!(format_interval(secs(90)), "1m30s");
        assert_eq!(format_interval(secs(120)), "2m");
        let mixed =
            Interval(TICKS_PER_DAY + 6 * TICKS_PER_HOUR + 30 * TICKS_PER_MINUTE + 152_500_000);
        assert_eq!(format_interval(mixed), "1d6h30m15.25s");
        assert_eq!(format_interval(Interval(TICKS_PER_DAY)), "1d");
        assert_eq!(format_interval(Interval(TICKS_PER_SECOND / 2)), "0.5s");
        assert_eq!(format_interval(Interval(1)), "0.0000001s");
        assert_eq!(
            format_interval(Interval(TICKS_PER_HOUR + 5)),
            "1h0.0000005s"
        );
        assert_eq!(
            format_interval(Interval(TICKS_PER_DAY + TICKS_PER_SECOND)),
            "1d1s"
        );
    }

    #[test]
    fn interval_zero_is_0s_decided() {
        assert_eq!(format_interval(Interval::ZERO), "0s");
    }

    #[test]
    fn interval_negative_is_minus_magnitude_decided() {
        assert_eq!(format_interval(secs(-120)), "-2m");
        assert_eq!(format_interval(Interval(-1)), "-0.0000001s");
        assert_eq!(
            format_interval(Interval(-TICKS_PER_DAY - 5 * TICKS_PER_SECOND)),
            "-1d5s"
        );
    }

    #[test]
    fn interval_extremes_do_not_panic() {
        assert_eq!(
            format_interval(Interval(i64::MAX)),
            "10675199d2h48m5.4775807s"
        );
        assert_eq!(
            format_interval(Interval(i64::MIN)),
            "-10675199d2h48m5.4775808s"
        );
    }

    fn ts(y: i32, mo: u32, d: u32, h: i64, mi: i64, s: i64, ticks: i64) -> Timestamp {
        let base = Timestamp::from_date(y, mo, d).unwrap();
        let offset = h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + ticks;
        base.checked_add(Interval(offset)).unwrap()
    }

    #[test]
    fn timestamp_has_three_fractional_digits() {
        let t = ts(2016, 10, 13, 19, 18, 47, 8_050_000);
        assert_eq!(format_timestamp(t), "2016-10-13T19:18:47.805Z");
        assert_eq!(
            format_timestamp(ts(2024, 5, 1, 12, 0, 0, 0)),
            "2024-05-01T12:00:00.000Z"
        );
    }

    #[test]
    fn timestamp_fraction_is_truncated_decided() {
        let t = ts(2016, 10, 13, 19, 18, 47, 8_059_999);
        assert_eq!(format_timestamp(t), "2016-10-13T19:18:47.805Z");
        let last = Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).unwrap();
        assert_eq!(format_timestamp(last), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn timestamp_year_is_zero_padded() {
        let first = Timestamp::from_ticks(0).unwrap();
        assert_eq!(format_timestamp(first), "0001-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(first), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339(ts(999, 3, 4, 5, 6, 7, 0)), "0999-03-04T05:06:07Z");
    }

    #[test]
    fn run_timestamp_examples() {
        assert_eq!(
            rfc3339(ts(2024, 1, 5, 6, 16, 56, 8_665_836)),
            "2024-01-05T06:16:56.8665836Z"
        );
        assert_eq!(
            rfc3339(ts(2019, 2, 2, 1, 50, 9, 4_380_380)),
            "2019-02-02T01:50:09.438038Z"
        );
        assert_eq!(rfc3339(ts(2024, 5, 1, 12, 0, 0, 0)), "2024-05-01T12:00:00Z");
        assert_eq!(
            rfc3339(ts(2024, 3, 2, 6, 30, 15, 2_500_000)),
            "2024-03-02T06:30:15.25Z"
        );
        let last = Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).unwrap();
        assert_eq!(rfc3339(last), "9999-12-31T23:59:59.9999999Z");
    }

    #[test]
    fn formats_times_and_intervals() {
        assert_eq!(
            rfc3339(crate::time::parse::parse_rfc3339("2025-04-24T11:34:37.971Z").unwrap()),
            "2025-04-24T11:34:37.971Z"
        );
        assert_eq!(
            rfc3339(Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).unwrap()),
            "9999-12-31T23:59:59.9999999Z"
        );
        assert_eq!(
            rfc3339(Timestamp::from_ticks(0).unwrap()),
            "0001-01-01T00:00:00Z"
        );
        for (ticks, text) in [
            (30 * TICKS_PER_SECOND, "PT30S"),
            (TICKS_PER_SECOND / 2, "PT0.5S"),
            (1, "PT0.0000001S"),
            (0, "PT0S"),
            (-5 * TICKS_PER_SECOND, "-PT5S"), // not parsed back below
            (90 * TICKS_PER_SECOND, "PT1M30S"),
            (TICKS_PER_HOUR, "PT1H"),
            (TICKS_PER_DAY, "P1D"),
            (TICKS_PER_DAY + 2 * TICKS_PER_HOUR, "P1DT2H"),
            (TICKS_PER_DAY + 3, "P1DT0.0000003S"),
        ] {
            assert_eq!(iso8601_duration(Interval(ticks)), text);
            if ticks > 0 {
                assert_eq!(
                    crate::time::parse::parse_iso8601_duration(text),
                    Ok(Interval(ticks)),
                    "{text}"
                );
            }
        }
        assert_eq!(
            iso8601_duration(Interval(i64::MIN)).chars().next(),
            Some('-')
        );
    }
}
