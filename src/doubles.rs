//! How numbers print in the service's `results` string and in messages (language.md
//! section 8.1): doubles as .NET's `G6`, targets truncated. Times and intervals print in
//! [`crate::time::print`].
//!
//! Each printer appends to a caller's `String` (`write_*`), so that a whole results string
//! is built in one buffer; `format_*` are the same printers returning a new `String`.

/// A double as .NET's `G6` prints it: the exact binary value rounded to 6 significant
/// digits (ties to even), trailing zeros removed, exponent form (`1E+06`, `1E-05`) when
/// the rounded decimal exponent is at most -5 or at least 6.
pub fn format_double(x: f64) -> String {
    let mut out = String::new();
    write_double(&mut out, x);
    out
}

/// [`format_double`], appended to `out`.
pub fn write_double(out: &mut String, x: f64) {
    if x.is_nan() {
        return out.push_str("NaN");
    }
    if x.is_infinite() {
        return out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    }
    // Covers -0 too, which prints without a sign.
    if x == 0.0 {
        return out.push('0');
    }
    // The usual value, a whole number of at most 6 digits, prints as itself.
    if x.abs() < 1e6 && x.fract() == 0.0 {
        return out.push_str(itoa::Buffer::new().format(x as i32));
    }

    // Rust's `{:.5e}` rounds the exact binary value to 6 significant digits with ties
    // to even, and reports the exponent after rounding (999999.5 -> 1.00000e6), which is
    // exactly what G6 needs; we only rearrange its output.
    let mut scientific = StackText::<32>::new();
    // `d.ddddde-NNN` is at most 12 bytes, so this cannot fail.
    let _ = std::fmt::Write::write_fmt(&mut scientific, format_args!("{:.5e}", x.abs()));
    let (mantissa, exponent) = scientific
        .as_str()
        .split_once('e')
        .expect("`{:e}` output always contains an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("`{:e}` output has an integer exponent");
    // The six digits without the point; the first is non-zero for a non-zero value, so
    // trimming never empties them.
    let mut all_digits = [b'0'; 6];
    for (d, c) in all_digits
        .iter_mut()
        .zip(mantissa.bytes().filter(u8::is_ascii_digit))
    {
        *d = c;
    }
    let significant = all_digits
        .iter()
        .rposition(|&d| d != b'0')
        .map_or(1, |i| i + 1);
    let digits = std::str::from_utf8(&all_digits[..significant]).expect("ASCII digits");

    if x < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        // Exponent form: d[.ddddd]E±XX (at least two exponent digits).
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(if exponent < 0 { "E-" } else { "E+" });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(itoa::Buffer::new().format(magnitude));
    } else if exponent >= 0 {
        // Fixed form with an integer part of `exponent + 1` digits.
        let int_len = exponent as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            push_repeated(out, '0', int_len - digits.len());
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        // Fixed form below 1: 0.000ddd with `-exponent - 1` leading zeros.
        out.push_str("0.");
        push_repeated(out, '0', (-exponent - 1) as usize);
        out.push_str(digits);
    }
}

/// A target node count as printed for `$TargetDedicatedNodes`/`$TargetLowPriorityNodes`:
/// truncated toward zero, plain digits, never `-0`.
///
/// Callers guarantee `x` is finite; a non-finite value falls back to
/// [`format_double`] rather than panicking.
pub fn format_target(x: f64) -> String {
    let mut out = String::new();
    write_target(&mut out, x);
    out
}

/// [`format_target`], appended to `out`.
pub fn write_target(out: &mut String, x: f64) {
    if !x.is_finite() {
        return write_double(out, x);
    }
    let whole = x.trunc();
    if whole.abs() < 9.0e18 {
        // Exact: a whole double of this size is an i64 (and -0 becomes 0).
        out.push_str(itoa::Buffer::new().format(whole as i64));
    } else {
        // `{:.0}` prints the exact integer value of a whole double, with no exponent.
        let _ = std::fmt::Write::write_fmt(out, format_args!("{whole:.0}"));
    }
}

fn push_repeated(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

/// A small text on the stack, for `format_args!` output that is only rearranged.
struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_conformance_examples() {
        assert_eq!(format_double(2.0 / 3.0), "0.666667");
        assert_eq!(format_double(1000000.0), "1E+06");
        assert_eq!(format_double(16777216.0), "1.67772E+07");
        assert_eq!(format_double(0.000001), "1E-06");
        assert_eq!(format_double(100000.0), "100000");
        assert_eq!(format_double(96.666666), "96.6667");
        assert_eq!(format_double(-0.5), "-0.5");
        assert_eq!(format_double(0.00001), "1E-05");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.1), "0.1");
    }

    #[test]
    fn double_plain_examples() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(format_double(96.6667), "96.6667");
        assert_eq!(format_double(123456.0), "123456");
        assert_eq!(format_double(1.23456e6), "1.23456E+06");
        assert_eq!(format_double(1e100), "1E+100");
        assert_eq!(format_double(1e-100), "1E-100");
        assert_eq!(format_double(-1234.5678), "-1234.57");
        assert_eq!(format_double(12.0), "12");
        assert_eq!(format_double(1.5e-4), "0.00015");
        assert_eq!(format_double(-2.5e7), "-2.5E+07");
    }

    #[test]
    fn double_ties_round_half_to_even_on_the_exact_value() {
        // All of these are exactly representable, so they are true ties.
        assert_eq!(format_double(1234565.0), "1.23456E+06");
        assert_eq!(format_double(1234575.0), "1.23458E+06");
        assert_eq!(format_double(123456.5), "123456");
        assert_eq!(format_double(123457.5), "123458");
        assert_eq!(format_double(1000005.0), "1E+06");
        assert_eq!(format_double(1000015.0), "1.00002E+06");
        assert_eq!(format_double(-1234565.0), "-1.23456E+06");
    }

    #[test]
    fn double_rounding_can_carry_into_the_exponent() {
        // 999999.5 rounds to 1.00000e6, so the exponent form applies.
        assert_eq!(format_double(999999.5), "1E+06");
        assert_eq!(format_double(999999.4), "999999");
        // 0.000099999995 rounds up to 1E-04, which prints in fixed form.
        assert_eq!(format_double(0.000099999995), "0.0001");
        assert_eq!(format_double(0.0000999994), "9.99994E-05");
    }

    #[test]
    fn double_uses_the_exact_binary_value() {
        // 1e-5 as a double is slightly above 1e-5.
        assert_eq!(format!("{:.27}", 1e-5_f64), "0.000010000000000000000818031");
        assert_eq!(format_double(1e-5), "1E-05");
        // 0.1234565 as a double is below the tie, so it rounds down.
        assert_eq!(format_double(0.1234565), "0.123456");
        // 0.1234575 as a double is below the tie: down, where decimal half-up gives 8.
        assert_eq!(format_double(0.1234575), "0.123457");
        // 0.1234525 as a double is above the tie: up, where decimal half-even gives 2.
        assert_eq!(format_double(0.1234525), "0.123453");
    }

    /// G6 written the plain way (allocating freely), against which the printer with its
    /// integer shortcut and stack buffers is checked.
    fn reference_g6(x: f64) -> String {
        if x.is_nan() {
            return "NaN".to_string();
        }
        if x.is_infinite() {
            return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
        }
        if x == 0.0 {
            return "0".to_string();
        }
        let scientific = format!("{:.5e}", x.abs());
        let (mantissa, exponent) = scientific.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        let all_digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let digits = all_digits.trim_end_matches('0');
        let sign = if x < 0.0 { "-" } else { "" };
        if !(-4..6).contains(&exponent) {
            let rest = if digits.len() > 1 {
                format!(".{}", &digits[1..])
            } else {
                String::new()
            };
            let e_sign = if exponent < 0 { '-' } else { '+' };
            format!("{sign}{}{rest}E{e_sign}{:02}", &digits[..1], exponent.abs())
        } else if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
            } else {
                format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        }
    }

    #[test]
    fn double_printer_agrees_with_the_plain_g6() {
        let mut cases: Vec<f64> = vec![
            999_999.0,
            999_999.4,
            999_999.5,
            1e6,
            -1e6,
            1e6 - 0.25,
            1e5,
            99_999.99,
            0.5,
            1.0,
            -1.0,
            1e-4,
            9.999995e-5,
            1e15,
            1e21,
            1.5e300,
            5e-324,
        ];
        cases.extend((-2000..=2000).map(f64::from));
        cases.extend((0..=60).map(|k| 2f64.powi(k)));
        cases.extend((0..=60).map(|k| -(2f64.powi(k) - 1.0)));
        // Bit patterns from a fixed SplitMix64 sequence: every exponent and sign.
        let mut rng = crate::eval::random::SplitMix64(0x5eed);
        for _ in 0..200_000 {
            let z = rng.next_u64();
            cases.push(f64::from_bits(z));
            // And small numbers with few decimals, as formulas compute them.
            cases.push((z % 2_000_000_000) as f64 / 1000.0 - 1e6);
        }
        for x in cases {
            assert_eq!(format_double(x), reference_g6(x), "{x:e}");
            if x.is_finite() {
                let whole = x.trunc();
                let expected = if whole == 0.0 {
                    "0".to_string()
                } else {
                    format!("{whole:.0}")
                };
                assert_eq!(format_target(x), expected, "{x:e}");
            }
        }
    }

    #[test]
    fn double_special_values() {
        assert_eq!(format_double(-0.0), "0");
        assert_eq!(format_double(0.0), "0");
        assert_eq!(format_double(f64::NAN), "NaN");
        assert_eq!(format_double(f64::INFINITY), "Infinity");
        assert_eq!(format_double(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_double(f64::MAX), "1.79769E+308");
        assert_eq!(format_double(f64::MIN_POSITIVE), "2.22507E-308");
        assert_eq!(format_double(5e-324), "4.94066E-324");
    }

    #[test]
    fn target_truncates_toward_zero() {
        assert_eq!(format_target(58.25), "58");
        assert_eq!(format_target(16777216.0), "16777216");
        assert_eq!(format_target(-2.7), "-2");
        assert_eq!(format_target(-0.5), "0");
        assert_eq!(format_target(-0.0), "0");
        assert_eq!(format_target(0.999), "0");
        assert_eq!(format_target(1e20), "100000000000000000000");
        assert_eq!(format_target(-1e20), "-100000000000000000000");
    }

    #[test]
    fn target_non_finite_does_not_panic() {
        assert_eq!(format_target(f64::NAN), "NaN");
        assert_eq!(format_target(f64::INFINITY), "Infinity");
    }
}
