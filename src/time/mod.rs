//! Time as the service keeps it: 64-bit counts of 100 ns ticks.
//!
//! A timestamp is the number of ticks since 0001-01-01T00:00:00Z (as .NET's
//! `DateTime.Ticks`), limited to the years 1 to 9999; a time interval is a signed tick
//! count. Leaving either range is an evaluation error, never a wrap \[decided\].

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

pub(crate) mod parse;
pub(crate) mod print;

/// Ticks in a microsecond.
pub const TICKS_PER_MICROSECOND: i64 = 10;
/// Ticks in a millisecond.
pub const TICKS_PER_MILLISECOND: i64 = 10_000;
/// Ticks in a second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks in a minute.
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
/// Ticks in an hour.
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
/// Ticks in a day.
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Ticks of 9999-12-31T23:59:59.9999999Z, the last representable instant.
pub const MAX_TIMESTAMP_TICKS: i64 = 3_155_378_975_999_999_999;

/// Ticks from 0001-01-01 to 1970-01-01.
const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// An instant in UTC, in ticks since 0001-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// A timestamp from ticks, if within the years 1 to 9999.
    pub fn from_ticks(ticks: i64) -> Option<Timestamp> {
        (0..=MAX_TIMESTAMP_TICKS)
            .contains(&ticks)
            .then_some(Timestamp(ticks))
    }

    /// The ticks since 0001-01-01T00:00:00Z.
    pub fn ticks(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 text (`2025-01-06T00:00:00Z`, up to 7 fractional digits, any
    /// offset), as snapshots write `evaluationTime`.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
        parse::parse_rfc3339(text)
    }

    /// RFC 3339 in UTC with the fraction to 7 digits, trailing zeros removed and left out
    /// when zero (`2024-05-01T10:00:00Z`, `2023-03-13T20:30:20.7113952Z`): the
    /// AutoScaleRun `timestamp` rule, which the REST shapes use for every time.
    pub fn to_rfc3339(self) -> String {
        print::rfc3339(self)
    }

    /// A chrono instant as a timestamp, truncated to ticks; `None` outside the years 1 to 9999.
    pub fn from_datetime(dt: DateTime<Utc>) -> Option<Timestamp> {
        let secs = dt.timestamp();
        let sub = i64::from(dt.timestamp_subsec_nanos()) / 100;
        let ticks = secs
            .checked_mul(TICKS_PER_SECOND)?
            .checked_add(sub)?
            .checked_add(UNIX_EPOCH_TICKS)?;
        Timestamp::from_ticks(ticks)
    }

    /// The timestamp as a chrono instant.
    pub fn to_datetime(self) -> DateTime<Utc> {
        let unix = self.0 - UNIX_EPOCH_TICKS;
        let secs = unix.div_euclid(TICKS_PER_SECOND);
        let nanos = (unix.rem_euclid(TICKS_PER_SECOND) * 100) as u32;
        Utc.timestamp_opt(secs, nanos)
            .single()
            .expect("a timestamp within years 1..9999 is a valid chrono instant")
    }

    /// `self + interval`, or `None` outside the years 1 to 9999.
    pub fn checked_add(self, interval: Interval) -> Option<Timestamp> {
        Timestamp::from_ticks(self.0.checked_add(interval.0)?)
    }

    /// `self - interval`, or `None` outside the years 1 to 9999.
    pub fn checked_sub(self, interval: Interval) -> Option<Timestamp> {
        Timestamp::from_ticks(self.0.checked_sub(interval.0)?)
    }

    /// `self - other` as an interval (cannot overflow within the timestamp range).
    pub fn since(self, other: Timestamp) -> Interval {
        Interval(self.0 - other.0)
    }

    /// The calendar fields a formula can read (proleptic Gregorian, UTC).
    ///
    /// Worked out by hand rather than through chrono, because every results string
    /// prints a timestamp: the date is Howard Hinnant's `civil_from_days`.
    pub fn fields(self) -> TimestampFields {
        // Ticks are never negative, so plain division is floor division.
        let days = self.0 / TICKS_PER_DAY;
        let seconds = (self.0 % TICKS_PER_DAY) / TICKS_PER_SECOND;
        // Days since 0000-03-01, so that the leap day ends each 400-year era's year.
        let z = days + 306;
        let era = z / 146_097;
        let day_of_era = z % 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = era * 400 + year_of_era + i64::from(month <= 2);
        TimestampFields {
            year: year as i32,
            month: month as u32,
            day: day as u32,
            // 0001-01-01 was a Monday. Sunday = 0 .. Saturday = 6, as .NET's DayOfWeek
            // [decided].
            weekday: ((days + 1) % 7) as u32,
            hour: (seconds / 3600) as u32,
            minute: (seconds / 60 % 60) as u32,
            second: (seconds % 60) as u32,
        }
    }

    /// Midnight UTC of a calendar date, if valid.
    pub fn from_date(year: i32, month: u32, day: u32) -> Option<Timestamp> {
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        Timestamp::from_datetime(date.and_hms_opt(0, 0, 0)?.and_utc())
    }
}

/// The calendar fields of a timestamp (`.year .month .day .weekday .hour .minute .second`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampFields {
    /// The year, 1 to 9999.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
    /// The day of the week, 0 (Sunday) to 6 (Saturday).
    pub weekday: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
    /// The second, 0 to 59.
    pub second: u32,
}

/// A signed duration in 100 ns ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Interval(pub i64);

impl Interval {
    /// No time at all.
    pub const ZERO: Interval = Interval(0);

    /// The length in 100-ns ticks.
    pub fn ticks(self) -> i64 {
        self.0
    }

    /// A duration as an interval, truncated to whole 100-ns ticks; `None` beyond the
    /// 64-bit tick range (about 29,000 years).
    pub fn from_duration(duration: std::time::Duration) -> Option<Interval> {
        let ticks = duration.as_nanos() / 100;
        i64::try_from(ticks).ok().map(Interval)
    }

    /// Parses an ISO 8601 duration (`PT30S`, `PT0.5S`, `P1DT2H`, `PT15M00S`).
    pub fn parse_iso8601(text: &str) -> Result<Interval, String> {
        parse::parse_iso8601_duration(text)
    }

    /// Parses the forms `check --interval` takes: ISO 8601 (`PT15M`) or the short form
    /// (`15m`, `90s`, `1h30m`, `2d`).
    pub fn parse_arg(text: &str) -> Result<Interval, String> {
        parse::parse_interval_arg(text)
    }

    /// The canonical short ISO 8601 form: `PT6M`, `PT1M30S`, `PT1.5S`, `P7D`, `P1DT1H`,
    /// zero as `PT0S`; what snapshots and the REST shapes write.
    pub fn to_iso8601(self) -> String {
        print::iso8601_duration(self)
    }

    /// Whole seconds as an interval; `None` beyond the 64-bit tick range.
    pub fn from_seconds(seconds: i64) -> Option<Interval> {
        seconds.checked_mul(TICKS_PER_SECOND).map(Interval)
    }

    /// `self + other`, or `None` beyond the 64-bit tick range.
    pub fn checked_add(self, other: Interval) -> Option<Interval> {
        self.0.checked_add(other.0).map(Interval)
    }

    /// `self - other`, or `None` beyond the 64-bit tick range.
    pub fn checked_sub(self, other: Interval) -> Option<Interval> {
        self.0.checked_sub(other.0).map(Interval)
    }

    /// `-self`, or `None` beyond the 64-bit tick range.
    pub fn checked_neg(self) -> Option<Interval> {
        self.0.checked_neg().map(Interval)
    }

    /// `self * factor`, rounded to whole ticks with halves to even \[decided\];
    /// `None` when the result is not finite or leaves the 64-bit tick range.
    pub fn checked_mul_f64(self, factor: f64) -> Option<Interval> {
        ticks_from_f64(self.0 as f64 * factor)
    }

    /// `self / divisor`, rounded like [`Interval::checked_mul_f64`].
    pub fn checked_div_f64(self, divisor: f64) -> Option<Interval> {
        ticks_from_f64(self.0 as f64 / divisor)
    }
}

fn ticks_from_f64(x: f64) -> Option<Interval> {
    let rounded = x.round_ties_even();
    // i64::MAX as f64 rounds up to 2^63, which is out of range: compare strictly.
    if rounded.is_finite() && rounded >= i64::MIN as f64 && rounded < i64::MAX as f64 {
        Some(Interval(rounded as i64))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};

    /// The fields as chrono computes them.
    fn chrono_fields(t: Timestamp) -> TimestampFields {
        let dt = t.to_datetime();
        TimestampFields {
            year: dt.year(),
            month: dt.month(),
            day: dt.day(),
            weekday: dt.weekday().num_days_from_sunday(),
            hour: dt.hour(),
            minute: dt.minute(),
            second: dt.second(),
        }
    }

    #[test]
    fn fields_agree_with_chrono_on_every_day_of_the_range() {
        let last_day = MAX_TIMESTAMP_TICKS / TICKS_PER_DAY;
        // A different time of day each day (a prime step of seconds), and the day's
        // first and last ticks.
        for day in 0..=last_day {
            let start = day * TICKS_PER_DAY;
            for ticks in [
                start,
                start + (day * 7919 % 86_400) * TICKS_PER_SECOND + day % 10_000_000,
                start + TICKS_PER_DAY - 1,
            ] {
                let t = Timestamp::from_ticks(ticks).unwrap();
                assert_eq!(t.fields(), chrono_fields(t), "{ticks}");
            }
        }
    }

    #[test]
    fn unix_epoch_round_trips() {
        let dt = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        let ts = Timestamp::from_datetime(dt).unwrap();
        assert_eq!(ts.ticks(), UNIX_EPOCH_TICKS);
        assert_eq!(ts.to_datetime(), dt);
    }

    #[test]
    fn range_is_years_1_to_9999() {
        assert!(Timestamp::from_ticks(-1).is_none());
        assert!(Timestamp::from_ticks(MAX_TIMESTAMP_TICKS + 1).is_none());
        let last = Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).unwrap();
        assert_eq!(last.fields().year, 9999);
        assert_eq!(Timestamp::from_ticks(0).unwrap().fields().year, 1);
    }

    #[test]
    fn weekday_sunday_is_zero() {
        // 2024-03-03 was a Sunday, 2024-03-04 a Monday.
        assert_eq!(
            Timestamp::from_date(2024, 3, 3).unwrap().fields().weekday,
            0
        );
        assert_eq!(
            Timestamp::from_date(2024, 3, 4).unwrap().fields().weekday,
            1
        );
        assert_eq!(
            Timestamp::from_date(2024, 3, 9).unwrap().fields().weekday,
            6
        );
    }

    #[test]
    fn interval_scaling_rounds_half_to_even() {
        assert_eq!(Interval(3).checked_div_f64(2.0), Some(Interval(2)));
        assert_eq!(Interval(5).checked_div_f64(2.0), Some(Interval(2)));
        assert_eq!(Interval(1).checked_mul_f64(2.5), Some(Interval(2)));
    }

    #[test]
    fn interval_overflow_is_none() {
        assert_eq!(Interval(i64::MAX).checked_mul_f64(2.0), None);
        assert_eq!(Interval(1).checked_div_f64(0.0), None);
        assert_eq!(Interval(i64::MAX).checked_add(Interval(1)), None);
        assert_eq!(Interval(i64::MIN).checked_neg(), None);
    }
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn intervals_print_in_the_short_iso_form() {
        for (text, short) in [
            ("PT15M00S", "PT15M"),
            ("PT06M00S", "PT6M"),
            ("PT90S", "PT1M30S"),
            ("PT1.5S", "PT1.5S"),
            ("P7D", "P7D"),
            ("P1DT1H", "P1DT1H"),
            ("PT0S", "PT0S"),
        ] {
            assert_eq!(
                Interval::parse_iso8601(text).unwrap().to_iso8601(),
                short,
                "{text}"
            );
        }
        assert_eq!(
            Interval::parse_arg("15m").unwrap(),
            Interval(15 * TICKS_PER_MINUTE)
        );
        assert_eq!(
            Interval::from_duration(std::time::Duration::from_millis(1500)),
            Some(Interval(15 * TICKS_PER_SECOND / 10))
        );
    }

    #[test]
    fn timestamps_print_with_seven_digits_at_most() {
        let t = Timestamp::parse_rfc3339("2023-03-13T20:30:20.7113952Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2023-03-13T20:30:20.7113952Z");
        let t = Timestamp::parse_rfc3339("2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-05-01T10:00:00Z");
    }
}
