//! The server's settings (emulator.md 1.1, 1.2): accounts and keys, clock, delays, flags.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use batchscale::Interval;
use batchscale::time::TICKS_PER_SECOND;

/// The public development key of the default account `devbatch` (emulator.md 1.2): base64
/// of SHA-512 of `batchscale serve: public development key for local use only`. It
/// protects nothing; use it only against a local emulator.
pub const DEV_KEY: &str =
    "n4cT0xL3RKKKxv+5mHgzZRiJFAdHTfCpEkKOATh543L9D2J+Vmv1V3QHhfNRQNzx33rXYnVCcfdKrnW1ctFQxg==";

/// The default account's name.
pub const DEV_ACCOUNT: &str = "devbatch";

/// The api-versions served (emulator.md 1.6).
pub const API_VERSIONS: [&str; 2] = ["2024-02-01.19.0", "2025-06-01"];

/// One account and its keys (one or two).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// 3 to 24 lowercase letters and digits.
    pub name: String,
    /// Decoded keys: the primary and, optionally, a secondary.
    pub keys: Vec<Vec<u8>>,
}

/// How the emulator clock moves (emulator.md 1.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// anchor + rate × wall time since the anchor.
    Real {
        /// Emulator seconds per wall second; positive.
        rate: f64,
    },
    /// Only `POST /_emulator/clock` moves it.
    Manual,
}

/// The delays of section 6.2 and 7, resolved for the clock mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delays {
    /// New nodes join, removed nodes leave and a stop settles after this.
    pub allocation: Interval,
    /// A joined node is `starting` this long before it is `idle`.
    pub start: Interval,
    /// A deleted pool stays `deleting` this long.
    pub deletion: Interval,
    /// A workload-model sample stamped t is visible from t + this.
    pub sample_lag: Interval,
    /// A closed usage bucket is listed this long after its end.
    pub usage: Interval,
}

impl Delays {
    /// The defaults of section 1.1 for a clock mode.
    pub fn defaults(mode: ClockMode) -> Delays {
        let s = |n: i64| Interval(n * TICKS_PER_SECOND);
        match mode {
            ClockMode::Real { .. } => Delays {
                allocation: s(5),
                start: s(0),
                deletion: s(5),
                sample_lag: s(15),
                usage: s(2 * 3600),
            },
            ClockMode::Manual => Delays {
                allocation: s(0),
                start: s(0),
                deletion: s(0),
                sample_lag: s(15),
                usage: s(0),
            },
        }
    }
}

/// Everything `batchscale serve` needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address.
    pub host: String,
    /// Port; 0 binds a free one.
    pub port: u16,
    /// `--data DIR`: the store's folder, or memory.
    pub data: Option<std::path::PathBuf>,
    /// The clock mode.
    pub clock: ClockMode,
    /// Accounts, in the order given (the first is the admin endpoints' default).
    pub accounts: Vec<Account>,
    /// `--strict`: refuse unknown api-versions, body properties and query parameters.
    pub strict: bool,
    /// `--log-requests`: one stderr line per request.
    pub log_requests: bool,
    /// The delays in force.
    pub delays: Delays,
}

impl Config {
    /// The defaults: 127.0.0.1:8090, memory, the real clock at rate 1, `devbatch`.
    pub fn new(clock: ClockMode) -> Config {
        Config {
            host: "127.0.0.1".to_string(),
            port: 8090,
            data: None,
            clock,
            accounts: default_accounts(),
            strict: false,
            log_requests: false,
            delays: Delays::defaults(clock),
        }
    }
}

/// `devbatch` with the development key.
pub fn default_accounts() -> Vec<Account> {
    vec![Account {
        name: DEV_ACCOUNT.to_string(),
        keys: vec![
            BASE64
                .decode(DEV_KEY)
                .expect("the development key is base64"),
        ],
    }]
}

/// Parses `NAME:KEY[:KEY2][;NAME:KEY[:KEY2]...]`; an error names the bad entry.
pub fn parse_accounts(text: &str) -> Result<Vec<Account>, String> {
    let mut accounts: Vec<Account> = Vec::new();
    for entry in text.split(';') {
        let bad = |why: &str| format!("bad account entry '{entry}': {why}");
        let mut parts = entry.split(':');
        let name = parts.next().unwrap_or("");
        if !(3..=24).contains(&name.len())
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(bad("the name must be 3 to 24 lowercase letters and digits"));
        }
        let keys: Vec<&str> = parts.collect();
        if keys.is_empty() || keys.len() > 2 {
            return Err(bad("expected NAME:KEY or NAME:KEY:KEY2"));
        }
        let mut decoded = Vec::new();
        for key in keys {
            match BASE64.decode(key) {
                Ok(bytes) if !bytes.is_empty() => decoded.push(bytes),
                _ => return Err(bad("a key must be standard base64 of at least one byte")),
            }
        }
        if accounts.iter().any(|a| a.name == name) {
            return Err(bad("the account is listed twice"));
        }
        accounts.push(Account {
            name: name.to_string(),
            keys: decoded,
        });
    }
    Ok(accounts)
}

/// Parses a delay `D`: ISO 8601 (`PT30S`) or the short form of `check --interval`
/// (`30s`, `5m`); not negative.
pub fn parse_delay(text: &str) -> Result<Interval, String> {
    let interval = Interval::parse_arg(text)?;
    if interval.ticks() < 0 {
        return Err(format!("'{text}' is negative; a delay is zero or more"));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_dev_key_is_sha512_of_the_published_text() {
        use sha2::{Digest, Sha512};
        let digest = Sha512::digest(b"batchscale serve: public development key for local use only");
        assert_eq!(BASE64.encode(digest), DEV_KEY);
        assert_eq!(default_accounts()[0].keys[0].len(), 64);
    }

    #[test]
    fn decided_accounts_list_syntax_and_refusals() {
        let a = parse_accounts("abc:AAAA;second1:AQID:BAUG").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].keys, vec![vec![1, 2, 3], vec![4, 5, 6]]);
        for bad in [
            "ab:AAAA",
            "ABC:AAAA",
            "abc",
            "abc:",
            "abc:!!",
            "abc:AAAA:AAAA:AAAA",
            "abc:AAAA;abc:AAAA",
        ] {
            let e = parse_accounts(bad).unwrap_err();
            assert!(e.contains("bad account entry"), "{bad}: {e}");
        }
    }

    #[test]
    fn delays_take_both_forms() {
        assert_eq!(
            parse_delay("PT30S").unwrap(),
            Interval(30 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_delay("5m").unwrap(), Interval(300 * TICKS_PER_SECOND));
        assert!(parse_delay("soon").is_err());
    }
}
