//! The admin endpoints under `/_emulator/` (emulator.md 1.5): health, the clock, injected
//! metrics, workload, and the snapshot an evaluation would see. No Shared Key, no
//! api-version; loopback peers only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Method;
use batchscale::{Metric, Snapshot, Timestamp};
use serde_json::Value;

use crate::config::{API_VERSIONS, ClockMode};
use crate::error::ApiError;
use crate::http::{App, Failure, Reply, commit, read_body_limited};
use crate::json::{Obj, parse_duration};
use crate::query::Query;

/// Injected metrics may be larger than a Batch request body.
const MAX_ADMIN_BODY: usize = 64 << 20;

fn json_reply(body: String) -> Reply {
    Reply {
        status: 200,
        body: Some(body),
        last_modified: None,
        data_service_id: None,
    }
}

fn clock_json(now: Timestamp, mode: ClockMode) -> String {
    let mut o = Obj::new();
    o.time("now", now);
    match mode {
        ClockMode::Real { rate } => {
            o.str("mode", "real").value("rate", &rate);
        }
        ClockMode::Manual => {
            o.str("mode", "manual").int("rate", 1);
        }
    }
    o.finish()
}

fn object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    crate::body::parse_object(bytes)
}

/// Answers one admin request.
pub(crate) async fn handle(
    app: &Arc<App>,
    method: &Method,
    segments: &[String],
    raw_query: Option<&str>,
    headers: &[(String, String)],
    body: Body,
    peer: SocketAddr,
) -> Result<Reply, Failure> {
    if !peer.ip().to_canonical().is_loopback() {
        return Err(ApiError::new(
            403,
            "AdminEndpointLoopbackOnly",
            "The emulator's admin endpoints answer only loopback peers.",
            vec![],
        )
        .into());
    }
    let path = format!("/_emulator/{}", segments.join("/"));
    let words: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let verb = |allowed: &Method, allow: &str| -> Result<(), Failure> {
        if method == allowed {
            Ok(())
        } else {
            Err(ApiError::verb(allow).into())
        }
    };
    let query = Query::parse(raw_query);
    match words.as_slice() {
        ["health"] => {
            verb(&Method::GET, "GET")?;
            let mut shared = app.lock();
            let now = shared.em.now();
            let mut o = Obj::new();
            o.str("status", "ok")
                .str("version", env!("CARGO_PKG_VERSION"))
                .value("apiVersions", &API_VERSIONS)
                .value(
                    "accounts",
                    &app.config
                        .accounts
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>(),
                )
                .raw("clock", &clock_json(now, shared.em.clock.mode()));
            match &app.config.data {
                Some(dir) => o.str("data", &dir.display().to_string()),
                None => o.raw("data", "null"),
            };
            commit(app, &mut shared)?;
            Ok(json_reply(o.finish()))
        }
        ["clock"] => {
            if method == Method::GET {
                let mut shared = app.lock();
                let now = shared.em.now();
                let body = clock_json(now, shared.em.clock.mode());
                commit(app, &mut shared)?;
                return Ok(json_reply(body));
            }
            verb(&Method::POST, "GET, POST")?;
            let bytes = read_body_limited(body, headers, crate::http::MAX_BODY).await?;
            let map = object(&bytes)?;
            let advance = map.get("advance");
            let to = map.get("to");
            if map.keys().any(|k| k != "advance" && k != "to") {
                return Err(ApiError::body_because(
                    "the body takes exactly one of 'advance' and 'to'",
                )
                .into());
            }
            let mut shared = app.lock();
            let now = shared.em.now();
            let target = match (advance, to) {
                (Some(Value::String(d)), None) => {
                    let i = parse_duration(d)
                        .map_err(|e| ApiError::property_value("advance", d, &e))?;
                    now.checked_add(i).ok_or_else(|| {
                        ApiError::property_value(
                            "advance",
                            d,
                            "the clock would leave the year 9999",
                        )
                    })?
                }
                (None, Some(Value::String(t))) => {
                    let t2 = Timestamp::parse_rfc3339(t)
                        .map_err(|e| ApiError::property_value("to", t, &e))?;
                    if t2 < now {
                        return Err(ApiError::property_value(
                            "to",
                            t,
                            &format!(
                                "the clock never moves backwards; it is {}",
                                now.to_rfc3339()
                            ),
                        )
                        .into());
                    }
                    t2
                }
                (Some(v), None) => {
                    return Err(ApiError::property_value(
                        "advance",
                        &v.to_string(),
                        "expected a duration such as PT5M",
                    )
                    .into());
                }
                (None, Some(v)) => {
                    return Err(ApiError::property_value(
                        "to",
                        &v.to_string(),
                        "expected an RFC 3339 time",
                    )
                    .into());
                }
                _ => {
                    return Err(ApiError::body_because(
                        "the body takes exactly one of 'advance' and 'to'",
                    )
                    .into());
                }
            };
            shared.em.move_clock(target);
            let now = shared.em.now();
            let body = clock_json(now, shared.em.clock.mode());
            commit(app, &mut shared)?;
            Ok(json_reply(body))
        }
        ["pools", _, action] => {
            let id = &segments[1];
            let account = match query.get("account") {
                None => app.config.accounts[0].name.clone(),
                Some(name) if app.config.accounts.iter().any(|a| a.name == name) => {
                    name.to_string()
                }
                Some(name) => {
                    return Err(ApiError::new(
                        404,
                        "AccountNotFound",
                        &format!("The account '{name}' is not served by this emulator."),
                        vec![],
                    )
                    .into());
                }
            };
            match *action {
                "metrics" => {
                    verb(&Method::PUT, "PUT")?;
                    let bytes = read_body_limited(body, headers, MAX_ADMIN_BODY).await?;
                    inject(app, &account, id, &bytes)
                }
                "workload" => {
                    verb(&Method::POST, "POST")?;
                    let bytes = read_body_limited(body, headers, crate::http::MAX_BODY).await?;
                    workload(app, &account, id, &bytes)
                }
                "snapshot" => {
                    verb(&Method::GET, "GET")?;
                    let mut shared = app.lock();
                    let key = id.to_lowercase();
                    if shared.em.pool(&account, id).is_none() {
                        return Err(ApiError::pool_not_found().into());
                    }
                    shared.em.look(&account, &key);
                    let now = shared.em.now();
                    let body = shared
                        .em
                        .accounts
                        .get_mut(&account)
                        .and_then(|a| a.pools.get_mut(&key))
                        .map(|p| p.snapshot_json(now))
                        .ok_or_else(ApiError::pool_not_found)?;
                    commit(app, &mut shared)?;
                    Ok(json_reply(body))
                }
                _ => Err(ApiError::not_implemented(method.as_str(), &path).into()),
            }
        }
        _ => Err(ApiError::not_implemented(method.as_str(), &path).into()),
    }
}

fn inject(app: &Arc<App>, account: &str, id: &str, bytes: &[u8]) -> Result<Reply, Failure> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| ApiError::body_because("the body is not UTF-8"))?;
    let map = object(bytes)?;
    // The snapshot's own rules, with its JSON paths.
    let wrapped = format!("{{\"metrics\":{text}}}");
    let snapshot = Snapshot::from_json(&wrapped, "metrics")
        .map_err(|e| ApiError::body_because(&format!("at {}: {}", e.path, e.message)))?;
    let mut given: Vec<Metric> = Vec::new();
    for key in map.keys() {
        let name = if key.starts_with('$') {
            key.clone()
        } else {
            format!("${key}")
        };
        if let Some(m) = Metric::from_name(&name) {
            given.push(m);
        }
    }
    let mut shared = app.lock();
    let key = id.to_lowercase();
    {
        let pool = shared
            .em
            .pool(account, id)
            .ok_or_else(ApiError::pool_not_found)?;
        for &m in &given {
            let history = snapshot.metrics.get(m);
            if let Some(existing) = pool.injected.get(m.name())
                && let Some(t) = history
                    .times()
                    .iter()
                    .find(|t| existing.iter().any(|(e, _)| *e == t.ticks()))
            {
                return Err(ApiError::body_because(&format!(
                    "at metrics.{}: a sample at {} is already present",
                    m.name(),
                    t.to_rfc3339()
                ))
                .into());
            }
        }
    }
    let pool = shared
        .em
        .accounts
        .get_mut(account)
        .and_then(|a| a.pools.get_mut(&key))
        .ok_or_else(ApiError::pool_not_found)?;
    for &m in &given {
        let history = snapshot.metrics.get(m);
        let entry = pool.injected.entry(m.name().to_string()).or_default();
        entry.extend(
            history
                .times()
                .iter()
                .map(|t| t.ticks())
                .zip(history.values().iter().copied()),
        );
        entry.sort_by_key(|(t, _)| *t);
    }
    shared.em.dirty.insert((account.to_string(), key));
    commit(app, &mut shared)?;
    Ok(Reply {
        status: 204,
        ..Reply::default()
    })
}

fn workload(app: &Arc<App>, account: &str, id: &str, bytes: &[u8]) -> Result<Reply, Failure> {
    let map = object(bytes)?;
    let r = crate::body::Reader::new(&map, false);
    let count = r
        .int("count", 0, 100_000)?
        .ok_or_else(|| ApiError::missing_property("count"))?;
    let slots = r.int("slotsPerTask", 1, 256)?.unwrap_or(1);
    let duration_text = r.required_string("duration")?;
    let duration = parse_duration(duration_text)
        .map_err(|e| ApiError::property_value("duration", duration_text, &e))?;
    if duration.ticks() <= 0 {
        return Err(ApiError::property_value(
            "duration",
            duration_text,
            "the duration must be positive",
        )
        .into());
    }
    let mut shared = app.lock();
    let key = id.to_lowercase();
    let now = shared.em.now();
    if shared.em.pool(account, id).is_some() {
        shared.em.settle_pool(account, &key);
    }
    {
        let pool = shared
            .em
            .accounts
            .get_mut(account)
            .and_then(|a| a.pools.get_mut(&key))
            .ok_or_else(ApiError::pool_not_found)?;
        if pool.state == crate::pool::Lifecycle::Deleting {
            return Err(ApiError::being_deleted(&pool.id).into());
        }
        let _ = now;
        pool.model.submit(count as u32, slots as u32, duration);
    }
    shared.em.settle_pool(account, &key);
    let (a, r, s, f) = shared
        .em
        .pool(account, id)
        .map(|p| p.model.task_counts())
        .unwrap_or_default();
    let mut o = Obj::new();
    o.int("active", a as i64)
        .int("running", r as i64)
        .int("succeeded", s as i64)
        .int("failed", f as i64);
    commit(app, &mut shared)?;
    Ok(json_reply(o.finish()))
}
