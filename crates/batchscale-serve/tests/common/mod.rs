//! In-process emulator for the Rust tests: the real router and pipeline, called with
//! `tower::ServiceExt::oneshot`, requests signed as the SDKs sign them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use batchscale::time::TICKS_PER_SECOND;
use batchscale_serve::auth::{SignedParts, sign, string_to_sign};
use batchscale_serve::config::{Config, DEV_KEY, default_accounts};
use batchscale_serve::emulator::{Clock, Emulator};
use batchscale_serve::http::{App, handle};
use batchscale_serve::{ClockMode, Delays};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const V15: &str = "2025-06-01";

/// A manual-clock emulator starting at 2024-05-01T10:00:00Z.
pub struct Emu {
    pub app: Arc<App>,
    pub router: axum::Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Option<Value>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body
            .as_ref()
            .and_then(|b| b["code"].as_str())
            .unwrap_or("")
    }
}

pub fn start_instant() -> batchscale::Timestamp {
    batchscale::Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap()
}

impl Emu {
    pub fn new(allocation_s: i64, deletion_s: i64) -> Emu {
        let mut config = Config::new(ClockMode::Manual);
        let mut delays = Delays::defaults(ClockMode::Manual);
        delays.allocation = batchscale::Interval(allocation_s * TICKS_PER_SECOND);
        delays.deletion = batchscale::Interval(deletion_s * TICKS_PER_SECOND);
        config.delays = delays;
        config.accounts = default_accounts();
        let em = Emulator::new(&config, Clock::new(ClockMode::Manual, start_instant()));
        let app = Arc::new(App::new(config, em, None));
        let router = axum::Router::new().fallback(handle).with_state(app.clone());
        Emu { app, router }
    }

    pub async fn send(
        &self,
        method: &str,
        path_query: &str,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Reply {
        self.send_from(
            method,
            path_query,
            body,
            extra,
            "127.0.0.1:40000".parse().unwrap(),
        )
        .await
    }

    pub async fn send_from(
        &self,
        method: &str,
        path_query: &str,
        body: Option<&str>,
        extra: &[(&str, &str)],
        peer: SocketAddr,
    ) -> Reply {
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (path_query.to_string(), None),
        };
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), "127.0.0.1:8090".into()),
            (
                "ocp-date".into(),
                httpdate::fmt_http_date(std::time::SystemTime::now()),
            ),
        ];
        if let Some(b) = body {
            headers.push((
                "Content-Type".into(),
                "application/json; odata=minimalmetadata".into(),
            ));
            headers.push(("Content-Length".into(), b.len().to_string()));
        } else if method != "GET" && method != "HEAD" {
            headers.push(("Content-Length".into(), "0".into()));
        }
        for (n, v) in extra {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
            headers.push((n.to_string(), v.to_string()));
        }
        if !extra
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Authorization"))
        {
            let parts = SignedParts {
                method,
                raw_path: &path,
                raw_query: query.as_deref(),
                headers: &headers,
            };
            let key = base64::engine::general_purpose::STANDARD
                .decode(DEV_KEY)
                .unwrap();
            let sts = string_to_sign(&parts, "devbatch", false);
            headers.push((
                "Authorization".into(),
                format!("SharedKey devbatch:{}", sign(&key, &sts)),
            ));
        }
        let mut req = Request::builder().method(method).uri(path_query);
        for (n, v) in &headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let mut req = req
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            None
        } else {
            Some(
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {bytes:?}")),
            )
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get_pool(&self, id: &str) -> Reply {
        self.send("GET", &format!("/pools/{id}?api-version={V15}"), None, &[])
            .await
    }

    pub async fn advance(&self, seconds: i64) {
        let r = self
            .send(
                "POST",
                "/_emulator/clock",
                Some(&format!("{{\"advance\":\"PT{seconds}S\"}}")),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }

    pub async fn add_fixed(&self, id: &str, dedicated: u32, low: u32) -> Reply {
        let body = format!(
            r#"{{"id":"{id}","vmSize":"standard_d2s_v3","virtualMachineConfiguration":{{"imageReference":{{"publisher":"p"}},"nodeAgentSKUId":"n"}},"targetDedicatedNodes":{dedicated},"targetLowPriorityNodes":{low}}}"#
        );
        self.send(
            "POST",
            &format!("/pools?api-version={V15}"),
            Some(&body),
            &[],
        )
        .await
    }
}
