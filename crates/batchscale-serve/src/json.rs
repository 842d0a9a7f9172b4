//! A small JSON object writer that keeps the field order of the REST shapes (3.3, 3.4)
//! without turning on serde_json's `preserve_order` for the whole workspace (which would
//! change the engine's own maps), plus the time and ETag texts of 3.1.

use batchscale::time::TICKS_PER_SECOND;
use batchscale::{Interval, Timestamp};

/// Writes `{"k":v,...}` in insertion order.
#[derive(Debug, Default)]
pub struct Obj {
    buf: String,
}

impl Obj {
    /// An empty object.
    pub fn new() -> Obj {
        Obj {
            buf: String::with_capacity(512),
        }
    }

    fn key(&mut self, key: &str) {
        self.buf.push(if self.buf.is_empty() { '{' } else { ',' });
        push_str(&mut self.buf, key);
        self.buf.push(':');
    }

    /// A string field.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Obj {
        self.key(key);
        push_str(&mut self.buf, value);
        self
    }

    /// A field whose value is already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Obj {
        self.key(key);
        self.buf.push_str(json);
        self
    }

    /// An integer field.
    pub fn int(&mut self, key: &str, value: i64) -> &mut Obj {
        self.key(key);
        self.buf.push_str(&value.to_string());
        self
    }

    /// A boolean field.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Obj {
        self.key(key);
        self.buf.push_str(if value { "true" } else { "false" });
        self
    }

    /// A time field (3.1).
    pub fn time(&mut self, key: &str, t: Timestamp) -> &mut Obj {
        self.str(key, &t.to_rfc3339())
    }

    /// A duration field, canonical short form (3.1).
    pub fn duration(&mut self, key: &str, i: Interval) -> &mut Obj {
        self.str(key, &i.to_iso8601())
    }

    /// A field holding any serde value.
    pub fn value<T: serde::Serialize>(&mut self, key: &str, value: &T) -> &mut Obj {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
        self.raw(key, &text)
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        if self.buf.is_empty() {
            self.buf.push('{');
        }
        self.buf.push('}');
        self.buf
    }
}

/// Appends a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    // Most texts need no escape: copy them as they are.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string()));
    }
}

/// `ETag`: `0x` + uppercase hex of the ticks of `lastModified`.
pub fn etag(t: Timestamp) -> String {
    format!("0x{:X}", t.ticks())
}

/// `Last-Modified`: RFC 1123, truncated to the second.
pub fn http_date(t: Timestamp) -> String {
    let dt = t.to_datetime();
    dt.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `t` truncated to the second.
pub fn truncate_to_second(t: Timestamp) -> i64 {
    t.ticks() - t.ticks().rem_euclid(TICKS_PER_SECOND)
}

/// Parses an ISO 8601 duration as 3.1 allows (no sign, no years or months).
pub fn parse_duration(text: &str) -> Result<Interval, String> {
    if text.starts_with('-') || text.starts_with('+') {
        return Err(format!(
            "'{text}' has a sign; a duration here is not signed"
        ));
    }
    Interval::parse_iso8601(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_the_hex_ticks_of_last_modified() {
        let t = Timestamp::parse_rfc3339("2023-03-13T20:30:20.7113952Z").unwrap();
        assert_eq!(etag(t), "0x8DB2401C420E2E0");
        let t = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(etag(t), "0x8DC69C576A89000");
        assert_eq!(http_date(t), "Wed, 01 May 2024 10:00:00 GMT");
    }

    #[test]
    fn decided_durations_accept_any_iso_form_and_print_short() {
        for (text, short) in [
            ("PT15M00S", "PT15M"),
            ("PT05M00S", "PT5M"),
            ("PT06M00S", "PT6M"),
            ("PT90S", "PT1M30S"),
            ("PT1.5S", "PT1.5S"),
            ("P7D", "P7D"),
            ("P1DT1H", "P1DT1H"),
            ("PT0S", "PT0S"),
        ] {
            assert_eq!(parse_duration(text).unwrap().to_iso8601(), short, "{text}");
        }
        for bad in [
            "P1Y",
            "P1M",
            "-PT5M",
            "+PT5M",
            "PT",
            "P",
            "5m",
            "PT1.12345678S",
            "",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn objects_keep_field_order() {
        let mut o = Obj::new();
        o.str("b", "x\"y").int("a", 3).bool("c", false);
        assert_eq!(o.finish(), r#"{"b":"x\"y","a":3,"c":false}"#);
    }
}
