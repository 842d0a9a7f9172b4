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
        /// The `AuthenticationErrorDetail` value.
        detail: String,
        /// The server's string-to-sign (names as sent), for a signature mismatch.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_accounts;

    fn headers(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn wall(date: &str) -> i64 {
        httpdate::parse_http_date(date)
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    struct Captured {
        method: &'static str,
        path: &'static str,
        query: &'static str,
        headers: Vec<(String, String)>,
        date: &'static str,
        string_to_sign: &'static str,
    }

    fn a() -> Captured {
        Captured {
            method: "GET",
            path: "/pools",
            query: "api-version=2024-02-01.19.0&$filter=state%20eq%20%27active%27&$select=id%2Cstate&$expand=stats&maxresults=1&timeout=30",
            headers: headers(
                "Host: 127.0.0.1:18783
User-Agent: python/3.11.7 (Linux-6.18.44-fc-v669-x86_64-with-glibc2.36) msrest/0.7.1 msrest_azure/0.6.4.post1 azure-batch/14.2.0 Azure-SDK-For-Python
Accept-Encoding: gzip, deflate
Accept: application/json
Connection: keep-alive
client-request-id: f0426f4c-ebb4-11f1-9f23-02fc00000001
accept-language: en-US
return-client-request-id: false
ocp-date: Sun, 29 Nov 2026 05:22:58 GMT
Authorization: SharedKey devbatch:CY3hSFO+REyORJJfNf8fnjpbdmOvRLR7QrgJngBPBwI=",
            ),
            date: "Sun, 29 Nov 2026 05:22:58 GMT",
            string_to_sign: "GET\n\n\n\n\n\n\n\n\n\n\n\nocp-date:Sun, 29 Nov 2026 05:22:58 GMT\n/devbatch/pools\n$expand:stats\n$filter:state eq 'active'\n$select:id,state\napi-version:2024-02-01.19.0\nmaxresults:1\ntimeout:30",
        }
    }

    fn b() -> Captured {
        Captured {
            method: "DELETE",
            path: "/pools/missingafterdelete",
            query: "api-version=2025-06-01",
            headers: headers(
                "Host: 127.0.0.1:18781
User-Agent: azsdk-python-batch/15.1.0 Python/3.11.7 (Linux-6.18.44-fc-v669-x86_64-with-glibc2.36)
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
If-Match: \"0x8DC0000000000001\"
client-request-id: dddbe93c-ebb4-11f1-96d6-02fc00000001
ocp-date: Sun, 29 Nov 2026 05:22:27 GMT
Authorization: SharedKey devbatch:GlLTEHRVcILX2DCb9dJpJGo0a4wuwoitEufMDM+WQaY=
Content-Length: 0",
            ),
            date: "Sun, 29 Nov 2026 05:22:27 GMT",
            string_to_sign: "DELETE\n\n\n0\n\n\n\n\n\"0x8DC0000000000001\"\n\n\n\nocp-date:Sun, 29 Nov 2026 05:22:27 GMT\n/devbatch/pools/missingafterdelete\napi-version:2025-06-01",
        }
    }

    fn c() -> Captured {
        Captured {
            method: "GET",
            path: "/poolusagemetrics",
            query: "api-version=2025-06-01&maxresults=10&startTime=2024-05-01T00%3A00%3A00.000Z&endtime=2024-05-01T01%3A00%3A00.000Z&$filter=poolId%20eq%20%27p1%27",
            headers: headers(
                "Host: 127.0.0.1:18781
User-Agent: azsdk-python-batch/15.1.0 Python/3.11.7 (Linux-6.18.44-fc-v669-x86_64-with-glibc2.36)
Accept-Encoding: gzip, deflate
Accept: application/json
Connection: keep-alive
client-request-id: de0fcc8e-ebb4-11f1-96d6-02fc00000001
ocp-date: Sun, 29 Nov 2026 05:22:27 GMT
Authorization: SharedKey devbatch:kC6GpBiqz6aYp46V7kuBO4u4Qye0RdvYByEB9jO9OsE=",
            ),
            date: "Sun, 29 Nov 2026 05:22:27 GMT",
            string_to_sign: "GET\n\n\n\n\n\n\n\n\n\n\n\nocp-date:Sun, 29 Nov 2026 05:22:27 GMT\n/devbatch/poolusagemetrics\n$filter:poolId eq 'p1'\napi-version:2025-06-01\nendtime:2024-05-01T01:00:00.000Z\nmaxresults:10\nstartTime:2024-05-01T00:00:00.000Z",
        }
    }

    fn check(c: &Captured, wall_now: i64) -> Result<String, AuthFailure> {
        let parts = SignedParts {
            method: c.method,
            raw_path: c.path,
            raw_query: Some(c.query),
            headers: &c.headers,
        };
        verify(&parts, &default_accounts(), wall_now)
    }

    fn set(c: &mut Captured, name: &str, value: Option<&str>) {
        c.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            c.headers.push((name.to_string(), v.to_string()));
        }
    }

    #[test]
    fn captured_requests_verify_with_the_development_key() {
        for captured in [a(), b(), c()] {
            let parts = SignedParts {
                method: captured.method,
                raw_path: captured.path,
                raw_query: Some(captured.query),
                headers: &captured.headers,
            };
            assert_eq!(
                string_to_sign(&parts, "devbatch", false),
                captured.string_to_sign
            );
            assert_eq!(
                check(&captured, wall(captured.date)),
                Ok("devbatch".to_string())
            );
        }
    }

    #[test]
    fn tampered_captured_requests_fail() {
        for make in [a, b, c] {
            let base = make();
            let now = wall(base.date);
            // The method, the path, a query value, a signed header.
            let mut x = make();
            x.method = if x.method == "GET" { "HEAD" } else { "GET" };
            assert!(matches!(check(&x, now), Err(AuthFailure::Failed { .. })));
            let mut x = make();
            x.path = "/pools/other";
            assert!(matches!(check(&x, now), Err(AuthFailure::Failed { .. })));
            let mut x = make();
            x.query = Box::leak(
                x.query
                    .replace("2025", "2024")
                    .replace("maxresults=1", "maxresults=2")
                    .into_boxed_str(),
            );
            assert!(matches!(check(&x, now), Err(AuthFailure::Failed { .. })));
            let mut x = make();
            set(&mut x, "ocp-date", Some("Sun, 29 Nov 2026 05:22:59 GMT"));
            assert!(matches!(check(&x, now), Err(AuthFailure::Failed { .. })));
            let mut x = make();
            set(&mut x, "Content-Type", Some("application/json"));
            assert!(matches!(check(&x, now), Err(AuthFailure::Failed { .. })));
            // Unsigned headers do not matter.
            let mut x = make();
            set(&mut x, "User-Agent", Some("something else"));
            assert!(check(&x, now).is_ok());
        }
    }

    #[test]
    fn trap_content_length_zero_is_signed_as_0_and_absent_as_empty() {
        let now = wall(b().date);
        let mut x = b();
        set(&mut x, "Content-Length", None);
        match check(&x, now) {
            Err(AuthFailure::Failed {
                string_to_sign: Some(s),
                ..
            }) => assert!(s.starts_with("DELETE\n\n\n\n")),
            other => panic!("{other:?}"),
        }
        let mut x = a();
        set(&mut x, "Content-Length", Some("0"));
        assert!(check(&x, wall(a().date)).is_err());
    }

    #[test]
    fn trap_quoted_if_match_is_signed_with_its_quotes() {
        let mut x = b();
        set(&mut x, "If-Match", Some("0x8DC0000000000001"));
        assert!(check(&x, wall(b().date)).is_err());
    }

    #[test]
    fn decided_signature_over_lower_cased_query_names_verifies_too() {
        let mut x = c();
        set(
            &mut x,
            "Authorization",
            Some("SharedKey devbatch:aj76zlzZDUwDpM0immCDWOpjvGKG9nFtGjV47+0pyFw="),
        );
        assert_eq!(check(&x, wall(x.date)), Ok("devbatch".to_string()));
    }

    #[test]
    fn trap_only_ocp_headers_are_canonicalised() {
        let mut x = a();
        set(&mut x, "x-ms-date", Some("whatever"));
        assert!(check(&x, wall(a().date)).is_ok());
        let mut x = a();
        set(&mut x, "ocp-extra", Some("1"));
        assert!(check(&x, wall(a().date)).is_err());
    }

    #[test]
    fn decided_freshness_is_15_minutes_of_wall_clock() {
        let t = wall(a().date);
        assert!(check(&a(), t + 900).is_ok());
        assert!(check(&a(), t - 900).is_ok());
        for off in [901, -901] {
            match check(&a(), t + off) {
                Err(AuthFailure::Failed { detail, .. }) => {
                    assert!(detail.contains("more than 15 minutes"), "{detail}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn decided_secondary_key_verifies() {
        let mut accounts = crate::config::parse_accounts("devbatch:AAAA").unwrap();
        accounts[0].keys.push(default_accounts()[0].keys[0].clone());
        let x = a();
        let parts = SignedParts {
            method: x.method,
            raw_path: x.path,
            raw_query: Some(x.query),
            headers: &x.headers,
        };
        assert!(verify(&parts, &accounts, wall(x.date)).is_ok());
    }

    #[test]
    fn auth_failures_have_their_kinds() {
        let now = wall(a().date);
        let mut x = a();
        set(&mut x, "Authorization", None);
        assert_eq!(check(&x, now), Err(AuthFailure::Missing));
        for bad in [
            "SharedKey",
            "SharedKey devbatch",
            "Basic abc",
            "SharedKey devbatch:!!!",
            "SharedKey :AAAA",
        ] {
            set(&mut x, "Authorization", Some(bad));
            assert_eq!(check(&x, now), Err(AuthFailure::Malformed), "{bad}");
        }
        set(&mut x, "Authorization", Some("Bearer eyJ0"));
        assert_eq!(check(&x, now), Err(AuthFailure::Bearer));
        set(&mut x, "Authorization", Some("SharedKey other:AAAA"));
        match check(&x, now) {
            Err(AuthFailure::Failed { detail, .. }) => {
                assert!(detail.contains("'other' is not served"))
            }
            other => panic!("{other:?}"),
        }
        let mut x = a();
        set(&mut x, "ocp-date", Some("yesterday"));
        match check(&x, now) {
            Err(AuthFailure::Failed { detail, .. }) => {
                assert!(detail.contains("not an RFC 1123 date"))
            }
            other => panic!("{other:?}"),
        }
        set(&mut x, "ocp-date", None);
        match check(&x, now) {
            Err(AuthFailure::Failed { detail, .. }) => {
                assert_eq!(detail, "Request date header not specified.")
            }
            other => panic!("{other:?}"),
        }
    }
}
