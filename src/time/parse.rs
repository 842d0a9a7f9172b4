//! Times and durations written as text: the formula's `time(string)` literals, the
//! snapshot's RFC 3339 instants and ISO 8601 periods, and the CLI's intervals.
//!
//! The parsers work on bytes with explicit bounds checks and never slice the `&str`,
//! so no input (empty, non-ASCII, enormous numbers) can make them panic. Errors are
//! one lower-case sentence saying what was expected and quoting the text.

use super::{
    Interval, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND, Timestamp,
};

const TIME_LITERAL_EXPECTED: &str = "expected a W3C-DTF time such as 2024-03-01T10:00:00Z \
     or an RFC 1123 time such as Mon, 13 Mar 2023 20:30:20 GMT";
const RFC3339_EXPECTED: &str = "expected an RFC 3339 time such as 2024-03-01T10:00:00Z \
     or 2024-03-01T10:00:00.5+01:00";
const DURATION_EXPECTED: &str = "expected an ISO 8601 duration such as PT30S, PT0.5S, \
     PT1H30M, P1DT2H or P2W";
const INTERVAL_ARG_EXPECTED: &str = "expected an interval in ISO 8601 form such as PT15M \
     or P1DT2H, or in short form such as 15m, 90s, 1h30m, 2d or 1.5s";

/// At most this many fractional digits: one tick is 100 ns.
const MAX_FRACTION_DIGITS: usize = 7;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const WEEKDAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses the text of `time("...")`: W3C-DTF or RFC 1123 (language.md section 5).
pub fn parse_time_literal(text: &str) -> Result<Timestamp, String> {
    // RFC 1123 starts with a weekday name, W3C-DTF with the year's digits.
    let result = if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        scan_rfc1123(text)
    } else {
        scan_iso_date_time(text, Style::W3cDtf)
    };
    result.map_err(|fail| fail.into_message(TIME_LITERAL_EXPECTED, text))
}

/// Parses an RFC 3339 instant (offset or `Z` required, 0 to 7 fractional digits).
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    scan_iso_date_time(text, Style::Rfc3339)
        .map_err(|fail| fail.into_message(RFC3339_EXPECTED, text))
}

/// Parses an ISO 8601 duration such as `PT30S`, `PT0.5S`, `P1DT2H`.
pub fn parse_iso8601_duration(text: &str) -> Result<Interval, String> {
    scan_iso_duration(text).map_err(|fail| fail.into_message(DURATION_EXPECTED, text))
}

/// Parses a CLI interval: ISO 8601 (`PT15M`) or short form (`15m`, `90s`, `1h30m`, `2d`).
pub fn parse_interval_arg(text: &str) -> Result<Interval, String> {
    let result = if text.starts_with('P') || text.starts_with("-P") {
        scan_iso_duration(text)
    } else {
        scan_short_interval(text)
    };
    // A plain syntax error names both forms, since either may have been meant.
    result.map_err(|fail| fail.into_message(INTERVAL_ARG_EXPECTED, text))
}

/// Why scanning failed: the text does not have the expected shape at all, or it has
/// the shape but a specific part is wrong (with a message saying which).
#[derive(Debug)]
enum Fail {
    Syntax,
    Reason(String),
}

impl Fail {
    fn into_message(self, expected: &str, text: &str) -> String {
        match self {
            Fail::Syntax => format!("{expected}, found {text:?}"),
            Fail::Reason(message) => message,
        }
    }
}

/// A forward-only reader over the bytes of the text.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes any one of `options` if it is next, returning it.
    fn eat_any(&mut self, options: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| options.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Result<(), Fail> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(Fail::Syntax)
        }
    }

    fn expect_str(&mut self, s: &str) -> Result<(), Fail> {
        if self.bytes[self.pos.min(self.bytes.len())..].starts_with(s.as_bytes()) {
            self.pos += s.len();
            Ok(())
        } else {
            Err(Fail::Syntax)
        }
    }

    /// The longest run of ASCII digits from here (possibly empty).
    fn digit_run(&mut self) -> &'a [u8] {
        let start = self.pos.min(self.bytes.len());
        let len = self.bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos = start + len;
        &self.bytes[start..start + len]
    }

    /// Exactly `n` digits (no more follow), as a number.
    fn fixed_digits(&mut self, n: usize) -> Result<u32, Fail> {
        let run = self.digit_run();
        if run.len() == n {
            Ok(small_number(run))
        } else {
            Err(Fail::Syntax)
        }
    }

    /// Three bytes matching one of `names` exactly (case-sensitive), as its index.
    fn name(&mut self, names: &[&str]) -> Result<usize, Fail> {
        let start = self.pos.min(self.bytes.len());
        let index = names
            .iter()
            .position(|name| self.bytes[start..].starts_with(name.as_bytes()))
            .ok_or(Fail::Syntax)?;
        self.pos = start + names[index].len();
        Ok(index)
    }
}

/// The value of a short digit run (at most 4 digits in the callers).
fn small_number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// Fractional-second digits (1 to 7) as ticks: `.5` is 5_000_000 ticks.
fn fraction_ticks(digits: &[u8]) -> i64 {
    let value = digits
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    // `digits.len()` is at most 7 here, so the power is at most 10^6.
    value * 10i64.pow((MAX_FRACTION_DIGITS - digits.len()) as u32)
}

fn too_many_fraction_digits(text: &str) -> Fail {
    Fail::Reason(format!(
        "expected at most 7 fractional digits (100 ns) in the seconds, found {text:?}"
    ))
}

/// Which grammar of `YYYY-MM-DDThh:mm:ss` to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// W3C-DTF: the date may be truncated (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) and the
    /// seconds left out; upper-case `T` and `Z` only.
    W3cDtf,
    /// RFC 3339: full date and time with seconds; `t` and `z` also accepted.
    Rfc3339,
}

/// Calendar fields as written, before range checks and conversion to UTC.
#[derive(Debug, Default)]
struct Parts {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    fraction_ticks: i64,
    /// The zone's offset from UTC in minutes (east positive), as written.
    offset_minutes: i64,
    offset_hour: u32,
    offset_minute: u32,
}

fn scan_iso_date_time(text: &str, style: Style) -> Result<Timestamp, Fail> {
    let mut cur = Cursor::new(text);
    let w3c = style == Style::W3cDtf;
    let mut parts = Parts {
        year: cur.fixed_digits(4)?,
        month: 1,
        day: 1,
        ..Parts::default()
    };
    // W3C-DTF allows stopping after the year, the month or the day.
    if !(w3c && cur.at_end()) {
        cur.expect(b'-')?;
        parts.month = cur.fixed_digits(2)?;
        if !(w3c && cur.at_end()) {
            cur.expect(b'-')?;
            parts.day = cur.fixed_digits(2)?;
            if !(w3c && cur.at_end()) {
                let separators: &[u8] = if w3c { b"T" } else { b"Tt" };
                cur.eat_any(separators).ok_or(Fail::Syntax)?;
                scan_time_and_zone(&mut cur, text, style, &mut parts)?;
            }
        }
    }
    if !cur.at_end() {
        return Err(Fail::Syntax);
    }
    to_timestamp(&parts, text)
}

/// `hh:mm[:ss[.f]]` and the zone designator, which is required after a time.
fn scan_time_and_zone(
    cur: &mut Cursor,
    text: &str,
    style: Style,
    parts: &mut Parts,
) -> Result<(), Fail> {
    parts.hour = cur.fixed_digits(2)?;
    cur.expect(b':')?;
    parts.minute = cur.fixed_digits(2)?;
    // Seconds are optional in W3C-DTF only.
    if cur.eat(b':') {
        parts.second = cur.fixed_digits(2)?;
        if cur.eat(b'.') {
            let digits = cur.digit_run();
            if digits.is_empty() {
                return Err(Fail::Syntax);
            }
            if digits.len() > MAX_FRACTION_DIGITS {
                return Err(too_many_fraction_digits(text));
            }
            parts.fraction_ticks = fraction_ticks(digits);
        }
    } else if style == Style::Rfc3339 {
        return Err(Fail::Syntax);
    }

    if cur.at_end() {
        return Err(Fail::Reason(format!(
            "expected a time zone (Z, +hh:mm or -hh:mm) after the time, found {text:?}"
        )));
    }
    let zulu: &[u8] = if style == Style::Rfc3339 { b"Zz" } else { b"Z" };
    if cur.eat_any(zulu).is_some() {
        return Ok(());
    }
    let sign = match cur.eat_any(b"+-") {
        Some(b'+') => 1,
        Some(_) => -1,
        None => return Err(Fail::Syntax),
    };
    parts.offset_hour = cur.fixed_digits(2)?;
    cur.expect(b':')?;
    parts.offset_minute = cur.fixed_digits(2)?;
    parts.offset_minutes =
        sign * (i64::from(parts.offset_hour) * 60 + i64::from(parts.offset_minute));
    Ok(())
}

/// `Mon, 13 Mar 2023 20:30:20 GMT`; the weekday must match the date.
fn scan_rfc1123(text: &str) -> Result<Timestamp, Fail> {
    let mut cur = Cursor::new(text);
    let weekday = cur.name(&WEEKDAYS)?;
    cur.expect_str(", ")?;
    let day_digits = cur.digit_run();
    if !(1..=2).contains(&day_digits.len()) {
        return Err(Fail::Syntax);
    }
    let day = small_number(day_digits);
    cur.expect(b' ')?;
    let month = cur.name(&MONTHS)? as u32 + 1;
    cur.expect(b' ')?;
    let year = cur.fixed_digits(4)?;
    cur.expect(b' ')?;
    let hour = cur.fixed_digits(2)?;
    cur.expect(b':')?;
    let minute = cur.fixed_digits(2)?;
    cur.expect(b':')?;
    let second = cur.fixed_digits(2)?;
    cur.expect_str(" GMT")?;
    if !cur.at_end() {
        return Err(Fail::Syntax);
    }

    let parts = Parts {
        year,
        month,
        day,
        hour,
        minute,
        second,
        ..Parts::default()
    };
    let timestamp = to_timestamp(&parts, text)?;
    // GMT needs no conversion, so the timestamp's weekday is the written date's.
    let actual = timestamp.fields().weekday as usize;
    if actual != weekday {
        return Err(Fail::Reason(format!(
            "expected {:?} for {day} {} {year:04} (a {}), found {:?} in {text:?}",
            WEEKDAYS[actual],
            MONTHS[month as usize - 1],
            WEEKDAY_NAMES[actual],
            WEEKDAYS[weekday],
        )));
    }
    Ok(timestamp)
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks each field's range, then converts to UTC ticks within the years 1 to 9999.
fn to_timestamp(p: &Parts, text: &str) -> Result<Timestamp, Fail> {
    let out_of_range = |what: &str| Fail::Reason(format!("expected {what}, found {text:?}"));
    if p.year == 0 {
        return Err(out_of_range("a year from 0001 to 9999"));
    }
    if !(1..=12).contains(&p.month) {
        return Err(out_of_range("a month from 01 to 12"));
    }
    let last_day = days_in_month(p.year, p.month);
    if !(1..=last_day).contains(&p.day) {
        return Err(out_of_range(&format!(
            "a day from 01 to {last_day} for {:04}-{:02}",
            p.year, p.month
        )));
    }
    if p.hour > 23 {
        return Err(out_of_range("an hour from 00 to 23"));
    }
    if p.minute > 59 {
        return Err(out_of_range("minutes from 00 to 59"));
    }
    // No leap seconds: the service's clock has none.
    if p.second > 59 {
        return Err(out_of_range("seconds from 00 to 59"));
    }
    if p.offset_hour > 23 || p.offset_minute > 59 {
        return Err(out_of_range("a time zone offset from -23:59 to +23:59"));
    }

    // The fields are validated, so the date exists and the sums stay far inside i64.
    let midnight = Timestamp::from_date(p.year as i32, p.month, p.day)
        .ok_or_else(|| out_of_range("a valid calendar date"))?;
    let ticks = midnight.ticks()
        + i64::from(p.hour) * TICKS_PER_HOUR
        + i64::from(p.minute) * TICKS_PER_MINUTE
        + i64::from(p.second) * TICKS_PER_SECOND
        + p.fraction_ticks
        - p.offset_minutes * TICKS_PER_MINUTE;
    Timestamp::from_ticks(ticks)
        .ok_or_else(|| out_of_range("a time within the years 0001 to 9999 once converted to UTC"))
}

/// A number as written in a duration: whole digits and optional fraction digits.
struct Number<'a> {
    whole: &'a [u8],
    fraction: Option<&'a [u8]>,
}

/// `digits[.digits]`; a `.` must have digits on both sides.
fn scan_number<'a>(cur: &mut Cursor<'a>) -> Result<Number<'a>, Fail> {
    let whole = cur.digit_run();
    if whole.is_empty() {
        return Err(Fail::Syntax);
    }
    let fraction = if cur.eat(b'.') {
        let digits = cur.digit_run();
        if digits.is_empty() {
            return Err(Fail::Syntax);
        }
        Some(digits)
    } else {
        None
    };
    Ok(Number { whole, fraction })
}

/// Sums duration components in i128 (whole parts are at most u64, so no overflow
/// there) and checks the total fits the i64 tick range.
struct Total<'t> {
    ticks: i128,
    text: &'t str,
}

impl<'t> Total<'t> {
    fn new(text: &'t str) -> Self {
        Total { ticks: 0, text }
    }

    fn too_long(&self) -> Fail {
        Fail::Reason(format!(
            "expected a duration of at most 10675199 days (the range of 64-bit 100 ns ticks), \
             found {:?}",
            self.text
        ))
    }

    /// Adds `number` of a unit `unit_ticks` long; only seconds (`allow_fraction`) may
    /// have a fraction.
    fn add(&mut self, number: &Number, unit_ticks: i64, allow_fraction: bool) -> Result<(), Fail> {
        let mut whole: u64 = 0;
        for d in number.whole {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| self.too_long())?;
        }
        self.ticks += i128::from(whole) * i128::from(unit_ticks);
        if let Some(fraction) = number.fraction {
            if !allow_fraction {
                return Err(Fail::Reason(format!(
                    "expected whole numbers except for the seconds, found {:?}",
                    self.text
                )));
            }
            if fraction.len() > MAX_FRACTION_DIGITS {
                return Err(too_many_fraction_digits(self.text));
            }
            self.ticks += i128::from(fraction_ticks(fraction));
        }
        // Checked after each part so the i128 sum itself can never overflow.
        if self.ticks > i128::from(i64::MAX) + 1 {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn finish(self, negative: bool) -> Result<Interval, Fail> {
        // The magnitude may be 2^63 when negative (i64::MIN ticks).
        let signed = if negative { -self.ticks } else { self.ticks };
        i64::try_from(signed)
            .map(Interval)
            .map_err(|_| self.too_long())
    }
}

/// `[-]P[nD][T[nH][nM][n[.f]S]]` or `[-]PnW`, upper-case designators only.
fn scan_iso_duration(text: &str) -> Result<Interval, Fail> {
    let mut cur = Cursor::new(text);
    let negative = cur.eat(b'-');
    cur.expect(b'P')?;
    let mut total = Total::new(text);
    let mut any = false;

    // Date part: days, or weeks on their own.
    if !cur.at_end() && cur.peek() != Some(b'T') {
        let number = scan_number(&mut cur)?;
        match cur.eat_any(b"YMWD") {
            Some(b'Y' | b'M') => {
                return Err(Fail::Reason(format!(
                    "expected days, hours, minutes or seconds; years and months have no \
                     fixed length, found {text:?}"
                )));
            }
            Some(b'W') => {
                total.add(&number, 7 * TICKS_PER_DAY, false)?;
                // ISO 8601 does not combine weeks with other components.
                if !cur.at_end() {
                    return Err(Fail::Syntax);
                }
            }
            Some(_) => total.add(&number, TICKS_PER_DAY, false)?,
            None => return Err(Fail::Syntax),
        }
        any = true;
    }

    // Time part: at least one of H, M, S, in that order, each at most once.
    if cur.eat(b'T') {
        let mut next_rank = 0;
        while !cur.at_end() {
            let number = scan_number(&mut cur)?;
            let (rank, unit_ticks) = match cur.eat_any(b"HMS") {
                Some(b'H') => (0, TICKS_PER_HOUR),
                Some(b'M') => (1, TICKS_PER_MINUTE),
                Some(_) => (2, TICKS_PER_SECOND),
                None => return Err(Fail::Syntax),
            };
            if rank < next_rank {
                return Err(Fail::Syntax);
            }
            next_rank = rank + 1;
            total.add(&number, unit_ticks, rank == 2)?;
            any = true;
        }
        if next_rank == 0 {
            return Err(Fail::Syntax);
        }
    }

    if !any || !cur.at_end() {
        return Err(Fail::Syntax);
    }
    total.finish(negative)
}

/// One or more `<number><unit>` with units `d`, `h`, `m`, `s` in that order.
fn scan_short_interval(text: &str) -> Result<Interval, Fail> {
    let mut cur = Cursor::new(text);
    let mut total = Total::new(text);
    let mut next_rank = 0;
    if cur.at_end() {
        return Err(Fail::Syntax);
    }
    while !cur.at_end() {
        let number = scan_number(&mut cur)?;
        let (rank, unit_ticks) = match cur.eat_any(b"dhms") {
            Some(b'd') => (0, TICKS_PER_DAY),
            Some(b'h') => (1, TICKS_PER_HOUR),
            Some(b'm') => (2, TICKS_PER_MINUTE),
            Some(_) => (3, TICKS_PER_SECOND),
            None => return Err(Fail::Syntax),
        };
        if rank < next_rank {
            return Err(Fail::Syntax);
        }
        next_rank = rank + 1;
        total.add(&number, unit_ticks, rank == 3)?;
    }
    total.finish(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MAX_TIMESTAMP_TICKS;

    fn utc(y: i32, mo: u32, d: u32, h: i64, mi: i64, s: i64, ticks: i64) -> Timestamp {
        let midnight = Timestamp::from_date(y, mo, d).unwrap();
        let offset = h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + ticks;
        midnight.checked_add(Interval(offset)).unwrap()
    }

    fn secs(s: i64) -> Interval {
        Interval(s * TICKS_PER_SECOND)
    }

    fn err(result: Result<impl std::fmt::Debug, String>) -> String {
        result.expect_err("expected an error")
    }

    // ---- time(string): W3C-DTF ----

    #[test]
    fn w3c_truncated_dates_are_utc_midnight() {
        assert_eq!(parse_time_literal("2024"), Ok(utc(2024, 1, 1, 0, 0, 0, 0)));
        assert_eq!(
            parse_time_literal("2024-03"),
            Ok(utc(2024, 3, 1, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("2024-03-15"),
            Ok(utc(2024, 3, 15, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("0001"),
            Ok(Timestamp::from_ticks(0).unwrap())
        );
    }

    #[test]
    fn w3c_times_with_zone() {
        assert_eq!(
            parse_time_literal("2024-03-01T10:00:00Z"),
            Ok(utc(2024, 3, 1, 10, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("2024-03-01T10:30Z"),
            Ok(utc(2024, 3, 1, 10, 30, 0, 0))
        );
        assert_eq!(
            parse_time_literal("2024-03-01T10:30:15.5Z"),
            Ok(utc(2024, 3, 1, 10, 30, 15, 5_000_000))
        );
        assert_eq!(
            parse_time_literal("2024-03-01T10:30:15.1234567Z"),
            Ok(utc(2024, 3, 1, 10, 30, 15, 1_234_567))
        );
        assert_eq!(
            parse_time_literal("9999-12-31T23:59:59.9999999Z"),
            Ok(Timestamp::from_ticks(MAX_TIMESTAMP_TICKS).unwrap())
        );
    }

    #[test]
    fn w3c_offsets_convert_to_utc() {
        assert_eq!(
            parse_time_literal("2024-03-01T10:00:00+01:00"),
            Ok(utc(2024, 3, 1, 9, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("2024-03-01T23:30-05:30"),
            Ok(utc(2024, 3, 2, 5, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("2024-03-01T00:00:00+00:00"),
            Ok(utc(2024, 3, 1, 0, 0, 0, 0))
        );
    }

    #[test]
    fn w3c_zone_is_required_with_a_time() {
        let e = err(parse_time_literal("2024-03-01T10:00:00"));
        assert!(e.contains("time zone"), "{e}");
        assert!(e.contains("\"2024-03-01T10:00:00\""), "{e}");
        assert!(parse_time_literal("2024-03-01T10:00").is_err());
    }

    #[test]
    fn w3c_more_than_seven_fractional_digits_is_an_error() {
        let e = err(parse_time_literal("2024-10-30T00:00:00.880011123Z"));
        assert!(e.contains("at most 7 fractional digits (100 ns)"), "{e}");
        assert!(parse_time_literal("2024-10-30T00:00:00.12345678Z").is_err());
        assert!(parse_time_literal("2024-10-30T00:00:00.Z").is_err());
    }

    #[test]
    fn w3c_field_ranges_are_validated() {
        for bad in [
            "0000",
            "2024-00",
            "2024-13",
            "2024-02-30",
            "2023-02-29",
            "2024-04-31",
            "2024-01-00",
            "2024-01-01T24:00Z",
            "2024-01-01T10:60Z",
            "2024-01-01T10:00:60Z",
            "2024-01-01T10:00+24:00",
            "2024-01-01T10:00+01:60",
        ] {
            let e = err(parse_time_literal(bad));
            assert!(e.starts_with("expected "), "{bad}: {e}");
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert!(parse_time_literal("2024-02-29").is_ok());
        assert!(parse_time_literal("2000-02-29").is_ok());
        assert!(parse_time_literal("1900-02-29").is_err());
        let e = err(parse_time_literal("2024-02-30"));
        assert!(e.contains("from 01 to 29 for 2024-02"), "{e}");
    }

    #[test]
    fn w3c_shape_is_strict() {
        for bad in [
            "24",
            "20240",
            "2024-3",
            "2024-03-1",
            "2024/03/01",
            "20240301",
            "2024-03-01T1:00Z",
            "2024-03-01T10Z",
            "2024-03-01 10:00:00Z",
            "2024-03-01t10:00:00Z",
            "2024-03-01T10:00:00z",
            "2024-03-01T10:00:00+0100",
            "2024-03-01T10:00:00+01",
            "2024-03-01T10:00:00,5Z",
            " 2024",
            "2024 ",
            "2024-03-01T10:00:00Z ",
            "+2024",
            "-2024",
        ] {
            assert!(parse_time_literal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn w3c_result_must_stay_in_years_1_to_9999() {
        let text = "9999-12-31T23:59:59.9999999-01:00";
        let e = err(parse_time_literal(text));
        assert!(e.contains("years 0001 to 9999"), "{e}");
        assert!(parse_time_literal("0001-01-01T00:30+01:00").is_err());
        assert!(parse_time_literal("0001-01-01T00:30-01:00").is_ok());
    }

    #[test]
    fn time_literal_generic_error_message() {
        assert_eq!(
            err(parse_time_literal("abc")),
            "expected a W3C-DTF time such as 2024-03-01T10:00:00Z or an RFC 1123 time \
             such as Mon, 13 Mar 2023 20:30:20 GMT, found \"abc\""
        );
    }

    // ---- time(string): RFC 1123 ----

    #[test]
    fn rfc1123_examples() {
        assert_eq!(
            parse_time_literal("Mon, 13 Mar 2023 20:30:20 GMT"),
            Ok(utc(2023, 3, 13, 20, 30, 20, 0))
        );
        // A one-digit day is accepted too.
        assert_eq!(
            parse_time_literal("Fri, 1 Mar 2024 00:00:00 GMT"),
            Ok(utc(2024, 3, 1, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("Fri, 01 Mar 2024 00:00:00 GMT"),
            Ok(utc(2024, 3, 1, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_time_literal("Fri, 31 Dec 9999 23:59:59 GMT"),
            Ok(utc(9999, 12, 31, 23, 59, 59, 0))
        );
    }

    #[test]
    fn rfc1123_weekday_must_match_the_date() {
        let e = err(parse_time_literal("Tue, 13 Mar 2023 20:30:20 GMT"));
        assert!(e.contains("Monday"), "{e}");
        assert!(e.contains("\"Mon\""), "{e}");
        assert!(e.contains("\"Tue\""), "{e}");
        assert!(e.starts_with("expected "), "{e}");
    }

    #[test]
    fn rfc1123_shape_is_strict() {
        for bad in [
            "mon, 13 Mar 2023 20:30:20 GMT",
            "MON, 13 Mar 2023 20:30:20 GMT",
            "Mon, 13 mar 2023 20:30:20 GMT",
            "Mon, 13 MAR 2023 20:30:20 GMT",
            "Monday, 13 Mar 2023 20:30:20 GMT",
            "Mon 13 Mar 2023 20:30:20 GMT",
            "Mon,13 Mar 2023 20:30:20 GMT",
            "Mon, 013 Mar 2023 20:30:20 GMT",
            "Mon, 13 Mar 23 20:30:20 GMT",
            "Mon, 13 Mar 2023 20:30 GMT",
            "Mon, 13 Mar 2023 20:30:20 UTC",
            "Mon, 13 Mar 2023 20:30:20 Z",
            "Mon, 13 Mar 2023 20:30:20 gmt",
            "Mon, 13 Mar 2023 20:30:20",
            "Mon, 13 Mar 2023 20:30:20 GMT ",
            "Mon, 13 Mar 2023 20:30:20 +0000",
        ] {
            assert!(parse_time_literal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc1123_ranges_are_validated() {
        for bad in [
            "Thu, 30 Feb 2023 00:00:00 GMT",
            "Mon, 00 Jan 2024 00:00:00 GMT",
            "Mon, 01 Jan 0000 00:00:00 GMT",
            "Mon, 01 Jan 2024 24:00:00 GMT",
            "Mon, 01 Jan 2024 23:60:00 GMT",
            "Mon, 01 Jan 2024 23:59:60 GMT",
        ] {
            let e = err(parse_time_literal(bad));
            assert!(e.starts_with("expected "), "{bad}: {e}");
            assert!(!e.contains("weekday"), "{bad}: {e}");
        }
    }

    // ---- RFC 3339 ----

    #[test]
    fn rfc3339_examples() {
        assert_eq!(
            parse_rfc3339("2024-03-01T10:00:00Z"),
            Ok(utc(2024, 3, 1, 10, 0, 0, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-03-01T10:00:00.5+01:00"),
            Ok(utc(2024, 3, 1, 9, 0, 0, 5_000_000))
        );
        assert_eq!(
            parse_rfc3339("2024-01-05T06:16:56.8665836Z"),
            Ok(utc(2024, 1, 5, 6, 16, 56, 8_665_836))
        );
        assert_eq!(
            parse_rfc3339("2024-03-01T00:00:00-02:30"),
            Ok(utc(2024, 3, 1, 2, 30, 0, 0))
        );
    }

    #[test]
    fn rfc3339_accepts_lower_case_t_and_z() {
        assert_eq!(
            parse_rfc3339("2024-03-01t10:00:00z"),
            Ok(utc(2024, 3, 1, 10, 0, 0, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-03-01T10:00:00z"),
            Ok(utc(2024, 3, 1, 10, 0, 0, 0))
        );
    }

    #[test]
    fn rfc3339_fraction_limit_is_named() {
        let e = err(parse_rfc3339("2024-10-30T00:00:00.880011123Z"));
        assert!(e.contains("at most 7 fractional digits (100 ns)"), "{e}");
        assert!(e.contains("\"2024-10-30T00:00:00.880011123Z\""), "{e}");
    }

    #[test]
    fn rfc3339_requires_full_date_time_and_zone() {
        for bad in [
            "2024",
            "2024-03",
            "2024-03-01",
            "2024-03-01T10:00Z",
            "2024-03-01T10:00:00",
            "2024-03-01 10:00:00Z",
            "2024-03-01T10:00:00+0100",
            "2024-03-01T10:00:00.Z",
            "2024-02-30T10:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999-01:00",
            "0001-01-01T00:00:00+00:01",
        ] {
            let e = err(parse_rfc3339(bad));
            assert!(e.starts_with("expected "), "{bad}: {e}");
        }
        assert_eq!(
            err(parse_rfc3339("now")),
            "expected an RFC 3339 time such as 2024-03-01T10:00:00Z or \
             2024-03-01T10:00:00.5+01:00, found \"now\""
        );
    }

    // ---- ISO 8601 durations ----

    #[test]
    fn iso_duration_examples() {
        assert_eq!(parse_iso8601_duration("PT30S"), Ok(secs(30)));
        assert_eq!(
            parse_iso8601_duration("PT0.5S"),
            Ok(Interval(TICKS_PER_SECOND / 2))
        );
        assert_eq!(parse_iso8601_duration("P1DT2H"), Ok(secs(26 * 3600)));
        assert_eq!(parse_iso8601_duration("PT15M"), Ok(secs(15 * 60)));
        assert_eq!(parse_iso8601_duration("PT1H30M"), Ok(secs(90 * 60)));
        assert_eq!(parse_iso8601_duration("P2W"), Ok(secs(14 * 86400)));
        assert_eq!(parse_iso8601_duration("P1D"), Ok(secs(86400)));
        assert_eq!(parse_iso8601_duration("PT0S"), Ok(Interval::ZERO));
        assert_eq!(
            parse_iso8601_duration("P1DT2H3M4.0000001S"),
            Ok(Interval(secs(93784).0 + 1))
        );
        assert_eq!(parse_iso8601_duration("PT90M"), Ok(secs(5400)));
        assert_eq!(parse_iso8601_duration("PT007S"), Ok(secs(7)));
    }

    #[test]
    fn iso_duration_negative() {
        assert_eq!(parse_iso8601_duration("-PT30S"), Ok(secs(-30)));
        assert_eq!(parse_iso8601_duration("-P1W"), Ok(secs(-7 * 86400)));
        assert_eq!(parse_iso8601_duration("-PT0S"), Ok(Interval::ZERO));
    }

    #[test]
    fn iso_duration_years_and_months_are_refused() {
        for text in ["P1Y", "P1M", "P1Y2D", "-P3M", "P99999999999999999999Y"] {
            let e = err(parse_iso8601_duration(text));
            assert!(e.contains("no fixed length"), "{text}: {e}");
        }
        // M after T is minutes, which is fine.
        assert_eq!(parse_iso8601_duration("PT1M"), Ok(secs(60)));
    }

    #[test]
    fn iso_duration_fraction_only_on_seconds() {
        for text in ["PT1.5M", "PT0.5H", "P1.5D", "P1.5W"] {
            let e = err(parse_iso8601_duration(text));
            assert!(e.contains("whole numbers"), "{text}: {e}");
        }
        let e = err(parse_iso8601_duration("PT0.12345678S"));
        assert!(e.contains("at most 7 fractional digits (100 ns)"), "{e}");
        assert_eq!(
            parse_iso8601_duration("PT0.1234567S"),
            Ok(Interval(1_234_567))
        );
    }

    #[test]
    fn iso_duration_shape_is_strict() {
        for bad in [
            "", "P", "PT", "P1DT", "-P", "-", "T1H", "1D", "pt30s", "PT30s", "P1D1D", "PT1M1H",
            "PT1S1M", "PT1H1H", "PT1S2S", "P1W1D", "P1WT1H", "P1DW", "PT.5S", "PT5.S", "PT0,5S",
            "PT-5S", "+PT5S", "--PT5S", " PT5S", "PT5S ", "PT5", "P1H", "PT1D",
        ] {
            let e = err(parse_iso8601_duration(bad));
            assert!(e.starts_with("expected "), "{bad}: {e}");
        }
        assert_eq!(
            err(parse_iso8601_duration("P")),
            "expected an ISO 8601 duration such as PT30S, PT0.5S, PT1H30M, P1DT2H or P2W, \
             found \"P\""
        );
    }

    #[test]
    fn iso_duration_overflow_is_an_error() {
        // i64::MAX ticks is 922337203685.4775807 s.
        assert_eq!(
            parse_iso8601_duration("PT922337203685.4775807S"),
            Ok(Interval(i64::MAX))
        );
        assert_eq!(
            parse_iso8601_duration("-PT922337203685.4775808S"),
            Ok(Interval(i64::MIN))
        );
        for text in [
            "PT922337203685.4775808S",
            "-PT922337203685.4775809S",
            "P10675200D",
            "P99999999999999999999999999999D",
            "PT18446744073709551615H",
            "PT18446744073709551616H",
            "P10675199DT23H",
        ] {
            let e = err(parse_iso8601_duration(text));
            assert!(e.contains("at most 10675199 days"), "{text}: {e}");
        }
    }

    // ---- CLI --interval ----

    #[test]
    fn interval_arg_short_form() {
        assert_eq!(parse_interval_arg("15m"), Ok(secs(15 * 60)));
        assert_eq!(parse_interval_arg("90s"), Ok(secs(90)));
        assert_eq!(parse_interval_arg("1h30m"), Ok(secs(90 * 60)));
        assert_eq!(parse_interval_arg("2d"), Ok(secs(2 * 86400)));
        assert_eq!(
            parse_interval_arg("1.5s"),
            Ok(Interval(15 * TICKS_PER_SECOND / 10))
        );
        assert_eq!(parse_interval_arg("1d2h3m4s"), Ok(secs(93784)));
        assert_eq!(parse_interval_arg("1d4s"), Ok(secs(86404)));
        assert_eq!(parse_interval_arg("0s"), Ok(Interval::ZERO));
    }

    #[test]
    fn interval_arg_iso_form() {
        assert_eq!(parse_interval_arg("PT15M"), Ok(secs(15 * 60)));
        assert_eq!(parse_interval_arg("P1DT2H"), Ok(secs(26 * 3600)));
        assert_eq!(parse_interval_arg("-PT30S"), Ok(secs(-30)));
        let e = err(parse_interval_arg("P1M"));
        assert!(e.contains("no fixed length"), "{e}");
    }

    #[test]
    fn interval_arg_errors_give_both_forms() {
        for bad in [
            "", "15", "m", "15 m", "15M", "1.5m", "0.5h", "1m1h", "30s15m", "1h1h", "-15m",
            "15min", "1h 30m", "PT", "PT15", "pt15m", ".5s", "5.s",
        ] {
            let e = err(parse_interval_arg(bad));
            assert!(
                e.contains("PT15M") && e.contains("1h30m") || e.contains("whole numbers"),
                "{bad}: {e}"
            );
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        let e = err(parse_interval_arg("1.12345678s"));
        assert!(e.contains("at most 7 fractional digits"), "{e}");
        let e = err(parse_interval_arg("99999999999999999999d"));
        assert!(e.contains("at most 10675199 days"), "{e}");
    }

    // ---- choices the spec leaves open ----

    #[test]
    fn time_literal_lower_case_t_and_z_refused_decided() {
        // W3C-DTF writes them upper-case; only RFC 3339 input also takes `t`/`z`.
        assert!(parse_time_literal("2024-03-01t10:00:00Z").is_err());
        assert!(parse_time_literal("2024-03-01T10:00:00z").is_err());
        assert!(parse_rfc3339("2024-03-01t10:00:00z").is_ok());
    }

    #[test]
    fn zone_offsets_up_to_23_59_decided() {
        assert_eq!(
            parse_rfc3339("2024-03-01T00:00:00+23:59"),
            Ok(utc(2024, 2, 29, 0, 1, 0, 0))
        );
        assert!(parse_rfc3339("2024-03-01T00:00:00+24:00").is_err());
        assert!(parse_time_literal("2024-03-01T00:00-00:60").is_err());
    }

    #[test]
    fn leap_second_refused_decided() {
        assert!(parse_time_literal("2016-12-31T23:59:60Z").is_err());
        assert!(parse_rfc3339("2016-12-31T23:59:60Z").is_err());
        assert!(parse_time_literal("Sat, 31 Dec 2016 23:59:60 GMT").is_err());
    }

    #[test]
    fn iso_duration_designators_upper_case_and_weeks_alone_decided() {
        assert!(parse_iso8601_duration("pt30s").is_err());
        assert!(parse_iso8601_duration("P1W1D").is_err());
        assert!(parse_iso8601_duration("PT").is_err());
        assert!(parse_iso8601_duration("PT0,5S").is_err());
    }

    #[test]
    fn interval_arg_short_form_is_unsigned_and_lower_case_decided() {
        assert!(parse_interval_arg("-15m").is_err());
        assert!(parse_interval_arg("15M").is_err());
        // A negative interval is only reachable through the ISO form.
        assert_eq!(parse_interval_arg("-PT15M"), Ok(secs(-15 * 60)));
    }

    // ---- robustness ----

    #[test]
    fn odd_inputs_never_panic() {
        let long_digits = "9".repeat(10_000);
        let odd: Vec<String> = [
            "",
            " ",
            "\0",
            "é",
            "日本語",
            "2024-03-01T10:00:00Zé",
            "2024-03-01T10:00:00.１Z",
            "２０２４",
            "Mon, 13 Mär 2023 20:30:20 GMT",
            "Mon, 13 Mar 2023 20:30:20 GMT\u{200b}",
            "9999-12-31T23:59:59.9999999-01:00",
            "9999-12-31T23:59:59.9999999+23:59",
            "0001-01-01T00:00:00.0000000+23:59",
            "P",
            "-",
            "-P-T",
            "PTé",
            "P1é",
            "1é",
            "é1s",
            "Pé",
            "99999999999999999999999999999999999999999s",
            "PT99999999999999999999999999999999999999999S",
            "PT0.99999999999999999999999999999999999999S",
            "Mon, 99 Mar 2023 20:30:20 GMT",
            "Mon, 1",
            "Mon,",
            "2024-",
            "2024-03-",
            "2024-03-01T",
            "2024-03-01T10:",
            "2024-03-01T10:00:",
            "2024-03-01T10:00:00.",
            "2024-03-01T10:00:00+",
            "2024-03-01T10:00:00+01:",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            long_digits.clone(),
            format!("P{long_digits}D"),
            format!("PT1.{long_digits}S"),
            format!("{long_digits}s"),
            format!("2024-03-01T10:00:00.{long_digits}Z"),
        ])
        .collect();
        for text in &odd {
            let _ = parse_time_literal(text);
            let _ = parse_rfc3339(text);
            let _ = parse_iso8601_duration(text);
            let _ = parse_interval_arg(text);
        }
        for text in ["", "é", "日本語", "9999-12-31T23:59:59.9999999-01:00"] {
            assert!(parse_time_literal(text).is_err(), "{text}");
            assert!(parse_rfc3339(text).is_err(), "{text}");
            assert!(parse_iso8601_duration(text).is_err(), "{text}");
            assert!(parse_interval_arg(text).is_err(), "{text}");
        }
    }

    #[test]
    fn errors_are_single_lower_case_sentences() {
        let samples = [
            err(parse_time_literal("")),
            err(parse_time_literal("2024-13")),
            err(parse_time_literal("Tue, 13 Mar 2023 20:30:20 GMT")),
            err(parse_rfc3339("x")),
            err(parse_iso8601_duration("P1Y")),
            err(parse_interval_arg("x")),
        ];
        for e in samples {
            assert!(e.starts_with("expected "), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
