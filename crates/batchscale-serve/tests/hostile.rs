//! Hostile input over real TCP: malformed and oversized bodies, wrong JSON types, huge
//! numbers, NUL bytes, unicode ids, path tricks, header floods, cut-off requests. The
//! answer is a Batch error or a closed connection, never a panic, a hang, or a changed pool.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use base64::Engine as _;
use batchscale_serve::auth::{SignedParts, sign, string_to_sign};
use batchscale_serve::config::DEV_KEY;
use batchscale_serve::{ClockMode, Config};

fn start() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config::new(ClockMode::Manual);
        config.port = 0;
        config.delays = batchscale_serve::Delays::defaults(ClockMode::Manual);
        rt.block_on(batchscale_serve::serve(config, move |addr| {
            tx.send(addr).unwrap()
        }));
    });
    rx.recv().unwrap()
}

/// Signed request text (headers), as the 15.x SDK would send it.
fn request(method: &str, target: &str, body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = vec![
        ("Host".into(), "127.0.0.1".into()),
        (
            "ocp-date".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
        ("Content-Length".into(), body.len().to_string()),
    ];
    if !body.is_empty() {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    for (n, v) in extra {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
        headers.push((n.to_string(), v.to_string()));
    }
    let parts = SignedParts {
        method,
        raw_path: path,
        raw_query: Some(query),
        headers: &headers,
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(DEV_KEY)
        .unwrap();
    let auth = format!(
        "SharedKey devbatch:{}",
        sign(&key, &string_to_sign(&parts, "devbatch", false))
    );
    let mut out = format!("{method} {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Authorization: {auth}\r\nConnection: close\r\n\r\n"
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends a whole request (`Connection: close`), reads until the server closes; returns
/// the status (0: closed with no answer).
fn exchange(addr: SocketAddr, bytes: &[u8]) -> (u16, String) {
    send(addr, bytes, false)
}

/// Sends bytes and closes the sending side (a request cut off), then reads.
fn cut_off(addr: SocketAddr, bytes: &[u8]) -> (u16, String) {
    send(addr, bytes, true)
}

fn send(addr: SocketAddr, bytes: &[u8], close_write: bool) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let _ = s.write_all(bytes);
    if close_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn code(text: &str) -> String {
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

const V: &str = "api-version=2025-06-01";

fn pool_etag(addr: SocketAddr) -> String {
    let (status, text) = exchange(addr, &request("GET", &format!("/pools/p1?{V}"), b"", &[]));
    assert_eq!(status, 200, "{text}");
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("etag:"))
        .unwrap();
    line[5..].trim().to_string()
}

#[test]
fn hostile_requests_get_an_error_or_a_closed_connection_and_change_nothing() {
    let addr = start();
    let pool = br#"{"id":"p1","vmSize":"standard_d2s_v3","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"targetDedicatedNodes":1}"#;
    assert_eq!(
        exchange(addr, &request("POST", &format!("/pools?{V}"), pool, &[])).0,
        201
    );
    let before = pool_etag(addr);
    let resize = format!("/pools/p1/resize?{V}");
    let bodies: Vec<(Vec<u8>, &str)> = vec![
        (b"{".to_vec(), "InvalidRequestBody"),
        (b"\0\0\0".to_vec(), "InvalidRequestBody"),
        (
            br#"{"targetDedicatedNodes":1e400}"#.to_vec(),
            "InvalidRequestBody",
        ),
        (
            br#"{"targetDedicatedNodes":99999999999999999999999}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (
            br#"{"targetDedicatedNodes":"3"}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (
            br#"{"targetDedicatedNodes":[3]}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (
            br#"{"targetDedicatedNodes":2.5}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (
            br#"{"targetDedicatedNodes":2,"resizeTimeout":"PT1\u0000M"}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (
            br#"{"targetDedicatedNodes":2,"nodeDeallocationOption":"\u00e9"}"#.to_vec(),
            "InvalidPropertyValue",
        ),
        (vec![b'['; 100_000], "InvalidRequestBody"),
        (b"\xff\xfe{}".to_vec(), "InvalidRequestBody"),
    ];
    for (body, expected) in &bodies {
        let (status, text) = exchange(addr, &request("POST", &resize, body, &[]));
        assert_eq!(
            (status, code(&text).as_str()),
            (400, *expected),
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
    }
    // Oversized.
    let big = vec![b' '; (1 << 20) + 10];
    let (status, text) = exchange(addr, &request("POST", &resize, &big, &[]));
    assert!(
        status == 413 && code(&text) == "RequestBodyTooLarge" || status == 0,
        "{status}"
    );
    // Unicode and hostile ids.
    for id in [
        "%D0%BF%D1%83%D0%BB",
        "..",
        "..%2F..%2Fpools",
        "p1%00",
        "p1%2Fresize",
    ] {
        let (status, text) = exchange(addr, &request("GET", &format!("/pools/{id}?{V}"), b"", &[]));
        assert_eq!(
            (status, code(&text).as_str()),
            (404, "PoolNotFound"),
            "{id}"
        );
    }
    let unicode = r#"{"id":"пул","vmSize":"s","virtualMachineConfiguration":{"imageReference":{},"nodeAgentSKUId":"n"},"targetDedicatedNodes":1}"#;
    let (status, text) = exchange(
        addr,
        &request("POST", &format!("/pools?{V}"), unicode.as_bytes(), &[]),
    );
    assert_eq!(
        (status, code(&text).as_str()),
        (400, "InvalidPropertyValue")
    );
    // Path tricks that are not served.
    for target in [
        "/pools/p1/../../jobs",
        "/pools//p1",
        "/%2e%2e/pools",
        "/pools/p1/nodes/x/y",
    ] {
        let (status, _) = exchange(addr, &request("GET", &format!("{target}?{V}"), b"", &[]));
        assert!(status == 501 || status == 404, "{target}: {status}");
    }
    // Malformed HTTP, a NUL in the request line, a header flood, a cut-off body.
    assert!(matches!(cut_off(addr, b"GARBAGE\r\n\r\n").0, 0 | 400));
    assert!(matches!(
        cut_off(addr, b"GET /pools/\0 HTTP/1.1\r\nHost: x\r\n\r\n").0,
        0 | 400
    ));
    let mut flood = format!("GET /pools?{V} HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        flood.push_str(&format!("X-Flood-{i}: {}\r\n", "a".repeat(100)));
    }
    flood.push_str("\r\n");
    assert!(matches!(cut_off(addr, flood.as_bytes()).0, 0 | 400 | 431));
    let mut cut = request(
        "POST",
        &resize,
        br#"{"targetDedicatedNodes":5}"#,
        &[("Content-Length", "100")],
    );
    cut.truncate(cut.len() - 5);
    let (status, _) = cut_off(addr, &cut);
    assert!(matches!(status, 0 | 400), "{status}");
    let partial = b"POST /pools/p1/resize?api-version=2025-06-01 HTTP/1.1\r\nHost: x\r\nContent-Le";
    assert_eq!(cut_off(addr, partial).0, 0);
    // Nothing changed, and the server still answers.
    assert_eq!(pool_etag(addr), before);
}
