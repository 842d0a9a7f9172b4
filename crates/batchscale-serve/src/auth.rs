//! Shared Key authentication (emulator.md section 5): the string-to-sign both SDKs build,
//! verified in constant time with either key of the account, over the query names as
//! sent or lower-cased; freshness against the machine's wall clock.
//!
//! Pure functions of the request's parts, so that the captured requests of section 9.3
//! are unit tests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Account;

/// The request parts the signature covers.
pub struct SignedParts<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path exactly as on the request line, still percent-encoded.
    pub raw_path: &'a str,
    /// The raw query string (without `?`), if any.
    pub raw_query: Option<&'a str>,
    /// Every header as received, in order (name, value); values as bytes decoded lossily.
    pub headers: &'a [(String, String)],
}

/// Why a request was not authenticated, as section 5.3 answers it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthFailure {
    /// No `Authorization` header: 400 `MissingRequiredHeader`.
    Missing,
    /// Neither `SharedKey NAME:BASE64` nor `Bearer ...`: 400 `InvalidAuthenticationInfo`.
    Malformed,
    /// A Bearer token: 401 `AuthenticationFailed`.
    Bearer,
    /// 403 `AuthenticationFailed` with this `AuthenticationErrorDetail`; `string_to_sign` is
    /// set for a signature mismatch (for `--log-requests`).
    Failed {
        detail: String,
        string_to_sign: Option<String>,
    },
}

/// 15 minutes of freshness either way, in seconds.
const FRESHNESS_SECONDS: i64 = 15 * 60;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Python's `parse_qs` (keep_blank_values false): `+` is a space, `%XX` decoded as UTF-8
/// (invalid sequences replaced), names decoded too, empty values dropped, first value kept.
pub fn parse_qs(raw_query: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in raw_query.split('&') {
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, v),
            None => continue, // parse_qs drops a name without '=' (strict_parsing off)
        };
        let name = decode_component(name);
        let value = decode_component(value);
        if value.is_empty() {
            continue;
        }
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.push((name, value));
    }
    out
}

/// Decodes one query component: `+` to space, then percent-decoding as UTF-8.
pub fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The string-to-sign of section 5.1, with the query names as given (`lower` lower-cases
/// them and re-sorts).
pub fn string_to_sign(parts: &SignedParts<'_>, account: &str, lower: bool) -> String {
    let h = |name: &str| header(parts.headers, name).unwrap_or("");
    let mut s = String::with_capacity(256);
    s.push_str(parts.method);
    s.push('\n');
    for name in [
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-MD5",
        "Content-Type",
        "Date",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Unmodified-Since",
        "Range",
    ] {
        s.push_str(h(name));
        s.push('\n');
    }
    let mut ocp: Vec<(String, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| {
            let lower_name = n.to_ascii_lowercase();
            lower_name
                .contains("ocp-")
                .then_some((lower_name, v.as_str()))
        })
        .collect();
    ocp.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in ocp {
        s.push_str(&name);
        s.push(':');
        s.push_str(value);
        s.push('\n');
    }
    s.push('/');
    s.push_str(account);
    s.push_str(parts.raw_path);
    let mut query = parts.raw_query.map(parse_qs).unwrap_or_default();
    if lower {
        for (name, _) in &mut query {
            *name = name.to_lowercase();
        }
    }
    query.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in query {
        s.push('\n');
        s.push_str(&name);
        s.push(':');
        s.push_str(&value);
    }
    s
}

/// Base64(HMAC-SHA256(key, string)).
pub fn sign(key: &[u8], string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

fn verify_mac(key: &[u8], string_to_sign: &str, signature: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(signature).is_ok()
}

/// Verifies a request: returns the account's name, or why not. `wall_now` is the machine's
/// clock as seconds since the Unix epoch (freshness is never the emulator clock's).
pub fn verify(
    parts: &SignedParts<'_>,
    accounts: &[Account],
    wall_now: i64,
) -> Result<String, AuthFailure> {
    let Some(authorization) = header(parts.headers, "Authorization") else {
        return Err(AuthFailure::Missing);
    };
    let authorization = authorization.trim();
    let (scheme, rest) = authorization
        .split_once(' ')
        .ok_or(AuthFailure::Malformed)?;
    if scheme.eq_ignore_ascii_case("Bearer") {
        if rest.trim().is_empty() {
            return Err(AuthFailure::Malformed);
        }
        return Err(AuthFailure::Bearer);
    }
    if scheme != "SharedKey" {
        return Err(AuthFailure::Malformed);
    }
    let (name, signature_text) = rest.trim().split_once(':').ok_or(AuthFailure::Malformed)?;
    if name.is_empty() {
        return Err(AuthFailure::Malformed);
    }
    let signature = BASE64
        .decode(signature_text)
        .map_err(|_| AuthFailure::Malformed)?;
    let Some(account) = accounts.iter().find(|a| a.name == name) else {
        let served: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        return Err(AuthFailure::Failed {
            detail: format!(
                "The account '{name}' is not served by this emulator (accounts: {}).",
                served.join(", ")
            ),
            string_to_sign: None,
        });
    };
    // Freshness: ocp-date, else Date.
    let date = header(parts.headers, "ocp-date").or_else(|| header(parts.headers, "Date"));
    let Some(date) = date else {
        return Err(AuthFailure::Failed {
            detail: "Request date header not specified.".to_string(),
            string_to_sign: None,
        });
    };
    let when = match httpdate::parse_http_date(date) {
        Ok(t) => t,
        Err(_) => {
            return Err(AuthFailure::Failed {
                detail: format!("Request date header '{date}' is not an RFC 1123 date."),
                string_to_sign: None,
            });
        }
    };
    let when = match when.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    if (when - wall_now).abs() > FRESHNESS_SECONDS {
        return Err(AuthFailure::Failed {
            detail: format!(
                "Request date header '{date}' is more than 15 minutes from the server's clock ({}).",
                httpdate::fmt_http_date(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(wall_now.max(0) as u64)
                )
            ),
            string_to_sign: None,
        });
    }
    let as_sent = string_to_sign(parts, &account.name, false);
    let lowered = string_to_sign(parts, &account.name, true);
    for key in &account.keys {
        if verify_mac(key, &as_sent, &signature) || verify_mac(key, &lowered, &signature) {
            return Ok(account.name.clone());
        }
    }
    Err(AuthFailure::Failed {
        detail: format!(
            "The MAC signature found in the HTTP request '{signature_text}' is not the same as any computed signature. Server used following string to sign: '{as_sent}'."
        ),
        string_to_sign: Some(as_sent),
    })
}
