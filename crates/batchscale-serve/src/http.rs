//! The request pipeline of emulator.md 2.2, in its order: timers → route → auth →
//! api-version → query → headers → body → lookup → conditions → state → apply, commit,
//! respond. axum serves the connections and hands every request to [`handle`]; the
//! routing is done here by hand because the spec matches path words and ids
//! case-insensitively and answers unknown paths (501) and verbs (405) with Batch errors
//! in a fixed order that must run after the timers and before authentication.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use batchscale::Timestamp;
use http_body_util::BodyExt;

use crate::auth::{self, AuthFailure, SignedParts};
use crate::body::{self, Notes};
use crate::config::{API_VERSIONS, Config};
use crate::emulator::{Condition, Done, Emulator};
use crate::error::{ApiError, msg};
use crate::query::{Filter, Lit, Query};
use crate::render;
use crate::store::Store;

/// Bodies above this are refused (413).
pub const MAX_BODY: usize = 1 << 20;

/// What the lock guards: the emulator and its store, changed and committed together.
pub struct Shared {
    /// The state.
    pub em: Emulator,
    /// The store, with `--data` (behind a mutex only so that readers can share `Shared`;
    /// it is used with the write lock held).
    pub store: Option<Mutex<Store>>,
}

impl Shared {
    /// Commits what changed; `Err` means the store failed (exit 1).
    pub fn commit(&mut self) -> Result<(), String> {
        let now = self.em.now();
        match &mut self.store {
            Some(store) => store
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .commit(&mut self.em, now),
            None => {
                self.em.dirty.clear();
                self.em.clock_dirty = false;
                for account in self.em.accounts.values_mut() {
                    account.usage.dirty.clear();
                }
                Ok(())
            }
        }
    }
}

/// The server's shared state.
pub struct App {
    /// The settings.
    pub config: Config,
    /// The state under one lock.
    pub shared: RwLock<Shared>,
    /// api-versions already warned about.
    warned: Mutex<HashSet<String>>,
    /// Wakes the real-clock timer task when timers change.
    pub wake: tokio::sync::Notify,
    /// Set when the store failed: the server stops with exit 1.
    pub failed: AtomicBool,
    /// Wakes the main task to shut down after a store failure.
    pub fatal: tokio::sync::Notify,
}

impl App {
    /// The app over an emulator and an optional store.
    pub fn new(config: Config, em: Emulator, store: Option<Store>) -> App {
        App {
            config,
            shared: RwLock::new(Shared {
                em,
                store: store.map(Mutex::new),
            }),
            warned: Mutex::new(HashSet::new()),
            wake: tokio::sync::Notify::new(),
            failed: AtomicBool::new(false),
            fatal: tokio::sync::Notify::new(),
        }
    }

    /// Locks the state (a poisoned lock is still usable: every change is committed or not).
    pub fn lock(&self) -> std::sync::RwLockWriteGuard<'_, Shared> {
        self.shared.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Shares the state for a read, once every timer due by now has fired (and been
    /// committed): reads run side by side; a change takes [`App::lock`].
    pub(crate) fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Shared>, Failure> {
        loop {
            {
                let shared = self.shared.read().unwrap_or_else(|e| e.into_inner());
                let now = shared.em.now();
                if shared.em.next_due().is_none_or(|d| d > now) {
                    return Ok(shared);
                }
            }
            let mut shared = self.lock();
            shared.em.catch_up();
            commit(self, &mut shared)?;
        }
    }
}

/// The operations of section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// 1.
    Add,
    /// 2.
    List,
    /// 3.
    Delete,
    /// 4.
    Exists,
    /// 5.
    Get,
    /// 6.
    Patch,
    /// 7.
    Disable,
    /// 8.
    Enable,
    /// 9.
    Evaluate,
    /// 10.
    Resize,
    /// 11.
    StopResize,
    /// 12.
    UpdateProperties,
    /// 13.
    RemoveNodes,
    /// 14.
    Usage,
    /// N1.
    ListNodes,
    /// N2.
    GetNode,
}

impl Op {
    fn conditional(self) -> bool {
        matches!(
            self,
            Op::Delete
                | Op::Exists
                | Op::Get
                | Op::Patch
                | Op::Enable
                | Op::Resize
                | Op::StopResize
                | Op::RemoveNodes
        )
    }

    fn has_body(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::Patch
                | Op::Enable
                | Op::Evaluate
                | Op::Resize
                | Op::UpdateProperties
                | Op::RemoveNodes
        )
    }

    fn query_names(self) -> &'static [&'static str] {
        match self {
            Op::List => &["$filter", "$select", "$expand", "maxresults", "$skiptoken"],
            Op::Get => &["$select", "$expand"],
            Op::ListNodes => &["$filter", "$select", "maxresults", "$skiptoken"],
            Op::GetNode => &["$select"],
            Op::Usage => &[
                "starttime",
                "endtime",
                "$filter",
                "maxresults",
                "$skiptoken",
            ],
            _ => &[],
        }
    }

    /// Operations 1 and 6 to 13 carry `DataServiceId` (2.1).
    fn data_service_id(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::Patch
                | Op::Disable
                | Op::Enable
                | Op::Evaluate
                | Op::Resize
                | Op::StopResize
                | Op::UpdateProperties
                | Op::RemoveNodes
        )
    }
}

/// A routed request.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// A Batch operation on a pool (and node).
    Batch {
        /// Which.
        op: Op,
        /// The pool id (decoded).
        pool: Option<String>,
        /// The node id (decoded).
        node: Option<String>,
    },
    /// `/_emulator/...`: the segments after it.
    Admin(Vec<String>),
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Routes a method and raw path (2): 501 for paths not served, 405 for other verbs.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let not_implemented = || ApiError::not_implemented(method.as_str(), path);
    if segments.iter().any(|s| s.is_empty()) {
        return Err(not_implemented());
    }
    let word = |i: usize, w: &str| segments.get(i).is_some_and(|s| s.eq_ignore_ascii_case(w));
    if word(0, "_emulator") {
        return Ok(Route::Admin(
            segments[1..].iter().map(|s| decode_segment(s)).collect(),
        ));
    }
    let batch = |op: Op, allowed: &[(&Method, Op)], allow: &str| -> Result<Route, ApiError> {
        let _ = op;
        match allowed.iter().find(|(m, _)| *m == method) {
            Some((_, op)) => Ok(Route::Batch {
                op: *op,
                pool: segments.get(1).map(|s| decode_segment(s)),
                node: segments.get(3).map(|s| decode_segment(s)),
            }),
            None => Err(ApiError::verb(allow)),
        }
    };
    match segments.len() {
        1 if word(0, "pools") => batch(
            Op::List,
            &[(&Method::GET, Op::List), (&Method::POST, Op::Add)],
            "GET, POST",
        ),
        1 if word(0, "poolusagemetrics") => batch(Op::Usage, &[(&Method::GET, Op::Usage)], "GET"),
        2 if word(0, "pools") => batch(
            Op::Get,
            &[
                (&Method::GET, Op::Get),
                (&Method::HEAD, Op::Exists),
                (&Method::DELETE, Op::Delete),
                (&Method::PATCH, Op::Patch),
            ],
            "GET, HEAD, DELETE, PATCH",
        ),
        3 if word(0, "pools") => {
            let action = segments[2].to_ascii_lowercase();
            let op = match action.as_str() {
                "disableautoscale" => Op::Disable,
                "enableautoscale" => Op::Enable,
                "evaluateautoscale" => Op::Evaluate,
                "resize" => Op::Resize,
                "stopresize" => Op::StopResize,
                "updateproperties" => Op::UpdateProperties,
                "removenodes" => Op::RemoveNodes,
                "nodes" => return batch(Op::ListNodes, &[(&Method::GET, Op::ListNodes)], "GET"),
                _ => return Err(not_implemented()),
            };
            batch(op, &[(&Method::POST, op)], "POST")
        }
        4 if word(0, "pools") && word(2, "nodes") => {
            batch(Op::GetNode, &[(&Method::GET, Op::GetNode)], "GET")
        }
        _ => Err(not_implemented()),
    }
}

/// A successful answer.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<String>,
    pub(crate) last_modified: Option<Timestamp>,
    pub(crate) data_service_id: Option<String>,
}

/// A failed answer: the error, and the pool's last-modified for 304/412.
pub(crate) struct Failure {
    pub(crate) error: Box<ApiError>,
    pub(crate) last_modified: Option<Timestamp>,
    pub(crate) string_to_sign: Option<String>,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure {
            error: Box::new(error),
            last_modified: None,
            string_to_sign: None,
        }
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok() && s.len() == 36
}

fn parse_conditions(headers: &[(String, String)]) -> Result<Option<Condition>, ApiError> {
    let mut found = Vec::new();
    for name in [
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
    ] {
        if let Some(v) = header(headers, name) {
            found.push((name, v));
        }
    }
    if found.len() > 1 {
        return Err(ApiError::new(
            400,
            "MultipleConditionHeadersNotSupported",
            msg::MULTIPLE_CONDITIONS,
            vec![],
        ));
    }
    let Some((name, value)) = found.pop() else {
        return Ok(None);
    };
    let date = || -> Result<i64, ApiError> {
        let t =
            httpdate::parse_http_date(value).map_err(|_| ApiError::header_value(name, value))?;
        Ok(t.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0))
    };
    Ok(Some(match name {
        "If-Match" => Condition::Match(value.to_string()),
        "If-None-Match" => Condition::NoneMatch(value.to_string()),
        "If-Modified-Since" => Condition::ModifiedSince(date()?),
        _ => Condition::UnmodifiedSince(date()?),
    }))
}

fn check_content_type(headers: &[(String, String)]) -> Result<(), ApiError> {
    let Some(value) = header(headers, "Content-Type") else {
        return Ok(());
    };
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or("");
    let mut ok = media.eq_ignore_ascii_case("application/json");
    for p in parts {
        let p = p.to_ascii_lowercase().replace(' ', "");
        if p.is_empty() {
            continue;
        }
        ok &= p == "odata=minimalmetadata" || p == "charset=utf-8";
    }
    if ok {
        Ok(())
    } else {
        Err(ApiError::header_value("Content-Type", value))
    }
}

fn wall_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The one handler: every request goes through the pipeline.
pub async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let headers = header_pairs(&parts.headers);
    let host = header(&headers, "Host").unwrap_or("127.0.0.1").to_string();
    let base = format!("http://{host}");
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let is_head = parts.method == Method::HEAD;
    let result = pipeline(
        &app,
        &parts.method,
        &path,
        raw_query.as_deref(),
        &headers,
        body,
        peer,
        &base,
    )
    .await;
    let (status, code, string_to_sign, mut response) = match result {
        Ok(reply) => {
            let status = reply.status;
            (status, None, None, build_reply(reply, &base))
        }
        Err(failure) => {
            let now = app.lock().em.now();
            let code = (!failure.error.code.is_empty()).then(|| failure.error.code.clone());
            let admin = path.to_ascii_lowercase().starts_with("/_emulator");
            let resp = build_error(&failure, &base, &request_id, now, is_head, admin);
            (failure.error.status, code, failure.string_to_sign, resp)
        }
    };
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(h, "request-id", &request_id);
    set(h, "DataServiceVersion", "3.0");
    set(h, "X-Content-Type-Options", "nosniff");
    set(
        h,
        "Date",
        &httpdate::fmt_http_date(std::time::SystemTime::now()),
    );
    set(
        h,
        "Server",
        concat!("batchscale-serve/", env!("CARGO_PKG_VERSION")),
    );
    if header(&headers, "return-client-request-id").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && let Some(id) = header(&headers, "client-request-id")
    {
        set(h, "client-request-id", id);
    }
    if app.config.log_requests {
        let target = match &raw_query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let code = code.map(|c| format!(" {c}")).unwrap_or_default();
        eprintln!(
            "batchscale serve: {} {target} -> {status}{code} ({} ms)",
            parts.method,
            started.elapsed().as_millis()
        );
        if let Some(sts) = string_to_sign {
            eprintln!("batchscale serve: string to sign: {sts:?}");
        }
    }
    response
}

fn build_reply(reply: Reply, base: &str) -> Response<Body> {
    let mut builder =
        Response::builder().status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK));
    if let Some(lm) = reply.last_modified {
        builder = builder
            .header("ETag", crate::json::etag(lm))
            .header("Last-Modified", crate::json::http_date(lm));
    }
    if let Some(path) = reply.data_service_id {
        builder = builder.header("DataServiceId", format!("{base}{path}"));
    }
    let resp = match reply.body {
        Some(body) => builder
            .header("Content-Type", "application/json;odata=minimalmetadata")
            .body(Body::from(body)),
        None => builder.header("Content-Length", "0").body(Body::empty()),
    };
    resp.unwrap_or_else(|_| Response::new(Body::empty()))
}

fn build_error(
    f: &Failure,
    base: &str,
    request_id: &str,
    now: Timestamp,
    head: bool,
    admin: bool,
) -> Response<Body> {
    let e = &f.error;
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(lm) = f.last_modified {
        builder = builder
            .header("ETag", crate::json::etag(lm))
            .header("Last-Modified", crate::json::http_date(lm));
    }
    if let Some(allow) = &e.allow {
        builder = builder.header("Allow", allow.as_str());
    }
    if e.bodiless || head {
        return builder
            .body(Body::empty())
            .unwrap_or_else(|_| Response::new(Body::empty()));
    }
    let mut o = crate::json::Obj::new();
    if !admin {
        o.str(
            "odata.metadata",
            &format!(
                "{base}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"
            ),
        );
    }
    o.str("code", &e.code);
    let mut m = crate::json::Obj::new();
    m.str("lang", "en-US").str(
        "value",
        &format!(
            "{}\nRequestId:{request_id}\nTime:{}",
            e.message,
            now.to_rfc3339()
        ),
    );
    o.raw("message", &m.finish());
    if !e.values.is_empty() {
        let values: Vec<String> = e
            .values
            .iter()
            .map(|(k, v)| {
                let mut x = crate::json::Obj::new();
                x.str("key", k).str("value", v);
                x.finish()
            })
            .collect();
        o.raw("values", &format!("[{}]", values.join(",")));
    }
    builder
        .header("Content-Type", "application/json;odata=minimalmetadata")
        .body(Body::from(o.finish()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Reads a body up to the limit: 413 above it.
pub(crate) async fn read_body(
    body: Body,
    headers: &[(String, String)],
) -> Result<Vec<u8>, ApiError> {
    read_body_limited(body, headers, MAX_BODY).await
}

/// Reads a body up to `limit` bytes: 413 above it.
pub(crate) async fn read_body_limited(
    body: Body,
    headers: &[(String, String)],
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::new(413, "RequestBodyTooLarge", msg::TOO_LARGE, vec![]);
    // A declared length far above the limit is refused without reading; a body near the
    // limit is read (so that the client, still sending, gets the answer rather than a reset).
    if let Some(len) = header(headers, "Content-Length").and_then(|v| v.trim().parse::<u64>().ok())
        && len > 4 * limit as u64
    {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Err(_) => Err(ApiError::body()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn pipeline(
    app: &Arc<App>,
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    headers: &[(String, String)],
    body: Body,
    peer: SocketAddr,
    base: &str,
) -> Result<Reply, Failure> {
    // Timers first (1.4): fire what is due before anything else can be answered.
    drop(app.read()?);
    // Route.
    let route = route(method, path)?;
    let (op, pool_id, node_id) = match route {
        Route::Admin(segments) => {
            return crate::admin::handle(app, method, &segments, raw_query, headers, body, peer)
                .await;
        }
        Route::Batch { op, pool, node } => (op, pool, node),
    };
    // Authentication.
    let parts = SignedParts {
        method: method.as_str(),
        raw_path: path,
        raw_query,
        headers,
    };
    let account = match auth::verify(&parts, &app.config.accounts, wall_seconds()) {
        Ok(account) => account,
        Err(failure) => return Err(auth_failure(failure, &app.config)),
    };
    // api-version.
    let query = Query::parse(raw_query);
    let Some(version) = query.get("api-version") else {
        return Err(ApiError::missing_query("api-version").into());
    };
    if !API_VERSIONS.contains(&version) {
        if app.config.strict {
            return Err(
                ApiError::new(400, "UnsupportedRequestVersion", msg::VERSION, vec![]).into(),
            );
        }
        let mut warned = app.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.insert(version.to_string()) {
            eprintln!(
                "batchscale serve: warning: api-version '{version}' is not one the emulator knows; serving it with the 2025-06-01 schemas"
            );
        }
    }
    let schema = Emulator::schema(version);
    // Query.
    query.check_known(op.query_names(), app.config.strict)?;
    query.check_timeout()?;
    // Headers.
    if let Some(id) = header(headers, "client-request-id")
        && !is_guid(id)
    {
        return Err(ApiError::header_value("client-request-id", id).into());
    }
    let cond = if op.conditional() {
        parse_conditions(headers)?
    } else {
        None
    };
    // Body.
    let mut notes = Notes::default();
    let map = if op.has_body() {
        check_content_type(headers)?;
        let bytes = read_body(body, headers).await?;
        Some(body::parse_object(&bytes)?)
    } else {
        None
    };
    let strict = app.config.strict;
    let empty = serde_json::Map::new();
    let m = map.as_ref().unwrap_or(&empty);
    let warn = |notes: &Notes| {
        for name in &notes.unknown {
            eprintln!("batchscale serve: warning: {op:?}: unknown property '{name}' ignored");
        }
    };
    let pool = pool_id.as_deref().unwrap_or("");
    let result: Result<Reply, Failure> = match op {
        Op::Add => {
            let new = body::pool_add(m, schema, strict, &mut notes)?;
            warn(&notes);
            let mut shared = app.lock();
            let done = shared.em.add(&account, new)?;
            let id = done.pool_id.clone().unwrap_or_default();
            commit(app, &mut shared)?;
            Ok(Reply {
                status: 201,
                body: None,
                last_modified: done.last_modified,
                data_service_id: Some(format!("/pools/{id}")),
            })
        }
        Op::Resize
        | Op::RemoveNodes
        | Op::Enable
        | Op::Evaluate
        | Op::Patch
        | Op::UpdateProperties => {
            // Schema and values first; the lookup follows.
            enum Parsed {
                Resize(body::Resize),
                Remove(body::RemoveNodes),
                Enable(body::Enable),
                Evaluate(Arc<batchscale::CompiledFormula>),
                Update(body::Update),
                Patch,
            }
            let parsed = match op {
                Op::Resize => Parsed::Resize(body::resize(m, strict, &mut notes)?),
                Op::RemoveNodes => Parsed::Remove(body::remove_nodes(m, strict, &mut notes)?),
                Op::Enable => Parsed::Enable(body::enable(m, strict, &mut notes)?),
                Op::Evaluate => Parsed::Evaluate(body::evaluate(m, strict, &mut notes)?),
                Op::UpdateProperties => {
                    Parsed::Update(body::update_properties(m, schema, strict, &mut notes)?)
                }
                _ => Parsed::Patch,
            };
            let mut shared = app.lock();
            let parsed = match parsed {
                Parsed::Patch => {
                    // The slot limit needs the pool's vmSize; the body is still checked before
                    // the 404 of a missing pool.
                    let vm = shared
                        .em
                        .pool(&account, pool)
                        .map(|p| p.vm_size.clone())
                        .unwrap_or_default();
                    Parsed::Update(body::patch(m, schema, strict, &vm, &mut notes)?)
                }
                other => other,
            };
            warn(&notes);
            let lm_of = |shared: &Shared| shared.em.pool(&account, pool).map(|p| p.last_modified);
            let outcome = match parsed {
                Parsed::Resize(r) => shared.em.resize(&account, pool, r, &cond),
                Parsed::Remove(r) => shared.em.remove_nodes(&account, pool, r, &cond),
                Parsed::Enable(e) => shared.em.enable(&account, pool, e, &cond),
                Parsed::Update(u) => shared.em.update(&account, pool, u, &cond),
                Parsed::Evaluate(f) => shared.em.evaluate(&account, pool, &f).map(|run| {
                    let mut o = crate::json::Obj::new();
                    o.str(
                        "odata.metadata",
                        &format!(
                            "{base}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.AutoScaleRun"
                        ),
                    );
                    o.str("timestamp", &run.timestamp)
                        .str("results", &run.results);
                    if let Some(error) = &run.error {
                        o.value("error", error);
                    }
                    Done {
                        body: Some(o.finish()),
                        ..Done::default()
                    }
                }),
                Parsed::Patch => unreachable!("replaced above"),
            };
            let done = match outcome {
                Ok(done) => done,
                Err(e) => {
                    let lm = if matches!(e.status, 304 | 412) {
                        lm_of(&shared)
                    } else {
                        None
                    };
                    commit(app, &mut shared)?;
                    return Err(Failure {
                        error: Box::new(e),
                        last_modified: lm,
                        string_to_sign: None,
                    });
                }
            };
            commit(app, &mut shared)?;
            let status = match op {
                Op::Resize | Op::RemoveNodes => 202,
                Op::UpdateProperties => 204,
                _ => 200,
            };
            Ok(Reply {
                status,
                body: done.body,
                last_modified: if op == Op::Evaluate {
                    None
                } else {
                    done.last_modified
                },
                data_service_id: op.data_service_id().then(|| path.to_string()),
            })
        }
        Op::Delete | Op::StopResize | Op::Disable => {
            let mut shared = app.lock();
            let lm = shared.em.pool(&account, pool).map(|p| p.last_modified);
            let outcome = match op {
                Op::Delete => shared.em.delete(&account, pool, &cond),
                Op::StopResize => shared.em.stop_resize(&account, pool, &cond),
                _ => shared.em.disable(&account, pool),
            };
            let done = outcome.map_err(|e| Failure {
                last_modified: if matches!(e.status, 304 | 412) {
                    lm
                } else {
                    None
                },
                error: Box::new(e),
                string_to_sign: None,
            })?;
            commit(app, &mut shared)?;
            Ok(Reply {
                status: if op == Op::Disable { 200 } else { 202 },
                body: None,
                last_modified: if op == Op::Delete {
                    None
                } else {
                    done.last_modified
                },
                data_service_id: op.data_service_id().then(|| path.to_string()),
            })
        }
        Op::Get | Op::Exists => {
            let select = if op == Op::Get {
                query.check_expand()?;
                query.select(render::POOL_FIELDS)?
            } else {
                None
            };
            let shared = app.read()?;
            let lm = shared.em.pool(&account, pool).map(|p| p.last_modified);
            let read = shared.em.read(&account, pool, &cond).map(|p| {
                (
                    p.last_modified,
                    (op == Op::Get).then(|| render::pool_json(p, base, true, select.as_deref())),
                )
            });
            let (last_modified, body) = match read {
                Ok(x) => x,
                Err(e) => {
                    let error = if op == Op::Exists && e.status == 404 {
                        ApiError::head_not_found()
                    } else {
                        e
                    };
                    return Err(Failure {
                        last_modified: if matches!(error.status, 304 | 412) {
                            lm
                        } else {
                            None
                        },
                        error: Box::new(error),
                        string_to_sign: None,
                    });
                }
            };

            Ok(Reply {
                status: 200,
                body,
                last_modified: Some(last_modified),
                data_service_id: None,
            })
        }
        Op::List => list_pools(app, &account, &query, base, path),
        Op::ListNodes | Op::GetNode => nodes(
            app,
            op,
            &account,
            pool,
            node_id.as_deref(),
            &query,
            base,
            path,
        ),
        Op::Usage => usage(app, &account, &query, base, path),
    };
    result
}

pub(crate) fn commit(app: &App, shared: &mut Shared) -> Result<(), Failure> {
    match shared.commit() {
        Ok(()) => {
            app.wake.notify_one();
            Ok(())
        }
        Err(e) => {
            eprintln!("batchscale serve: error: the store failed: {e}");
            app.failed.store(true, Ordering::SeqCst);
            app.fatal.notify_one();
            Err(ApiError::internal().into())
        }
    }
}

fn auth_failure(failure: AuthFailure, config: &Config) -> Failure {
    let _ = config;
    let error = match &failure {
        AuthFailure::Missing => ApiError::new(
            400,
            "MissingRequiredHeader",
            msg::MISSING_HEADER,
            vec![("HeaderName".to_string(), "Authorization".to_string())],
        ),
        AuthFailure::Malformed => ApiError::new(400, "InvalidAuthenticationInfo", msg::AUTH_INFO, vec![]),
        AuthFailure::Bearer => ApiError::new(
            401,
            "AuthenticationFailed",
            msg::AUTH_FAILED,
            vec![(
                "AuthenticationErrorDetail".to_string(),
                "batchscale serve does not support Bearer (Microsoft Entra ID) tokens yet; sign with Shared Key (account devbatch and the published development key).".to_string(),
            )],
        ),
        AuthFailure::Failed { detail, .. } => ApiError::new(
            403,
            "AuthenticationFailed",
            msg::AUTH_FAILED,
            vec![("AuthenticationErrorDetail".to_string(), detail.clone())],
        ),
    };
    Failure {
        error: Box::new(error),
        last_modified: None,
        string_to_sign: match failure {
            AuthFailure::Failed { string_to_sign, .. } => string_to_sign,
            _ => None,
        },
    }
}

/// Pages items already in list order: those after the token's key, `max` of them, and
/// the key of the last one when more remain.
fn page<T>(items: Vec<(String, T)>, after: Option<&str>, max: usize) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for (key, item) in items {
        if after.is_some_and(|a| key.as_str() <= a) {
            continue;
        }
        if out.len() == max {
            more = true;
            break;
        }
        last_key = Some(key);
        out.push(item);
    }
    (out, if more { last_key } else { None })
}

fn list_pools(
    app: &App,
    account: &str,
    query: &Query,
    base: &str,
    path: &str,
) -> Result<Reply, Failure> {
    query.check_expand()?;
    let select = query.select(render::POOL_FIELDS)?;
    let filter = query
        .get("$filter")
        .map(|f| Filter::parse(f, crate::query::POOL_FILTER))
        .transpose()?;
    let max = query.max_results()?;
    let token = query.skip_token()?;
    let shared = app.read()?;
    let items: Vec<(String, String)> = shared
        .em
        .accounts
        .get(account)
        .map(|a| {
            // Start after the token's position.
            let from: Box<dyn Iterator<Item = (&String, &crate::pool::Pool)>> =
                match token.as_deref() {
                    Some(t) => Box::new(a.pools.range::<str, _>((
                        std::ops::Bound::Excluded(t),
                        std::ops::Bound::Unbounded,
                    ))),
                    None => Box::new(a.pools.iter()),
                };
            from.filter(|(_, p)| {
                filter.as_ref().is_none_or(|f| {
                    f.matches(&|prop| match prop {
                        "id" => Lit::Str(p.id.clone()),
                        "state" => Lit::Str(
                            match p.state {
                                crate::pool::Lifecycle::Active => "active",
                                crate::pool::Lifecycle::Deleting => "deleting",
                            }
                            .to_string(),
                        ),
                        "allocationState" => Lit::Str(p.allocation.name().to_string()),
                        "vmSize" => Lit::Str(p.vm_size.clone()),
                        _ => Lit::Bool(p.autoscale_on()),
                    })
                })
            })
            .take(max + 1)
            .map(|(key, p)| {
                (
                    key.clone(),
                    match select.as_deref() {
                        None => p.list_item(base).to_string(),
                        Some(select) => render::pool_json(p, base, false, Some(select)),
                    },
                )
            })
            .collect()
        })
        .unwrap_or_default();
    drop(shared);
    let (page_items, next) = page(items, None, max);
    let link = next.map(|key| format!("{base}{path}?{}", query.next_link_query(&key)));
    Ok(Reply {
        status: 200,
        body: Some(render::list_json(base, "pools", &page_items, link)),
        last_modified: None,
        data_service_id: None,
    })
}

#[allow(clippy::too_many_arguments)]
fn nodes(
    app: &App,
    op: Op,
    account: &str,
    pool_id: &str,
    node_id: Option<&str>,
    query: &Query,
    base: &str,
    path: &str,
) -> Result<Reply, Failure> {
    let select = query.select(render::NODE_FIELDS)?;
    let (filter, max, token) = if op == Op::ListNodes {
        (
            query
                .get("$filter")
                .map(|f| Filter::parse(f, crate::query::NODE_FILTER))
                .transpose()?,
            query.max_results()?,
            query.skip_token()?,
        )
    } else {
        (None, 0, None)
    };
    let shared = app.read()?;
    let pool = shared
        .em
        .pool(account, pool_id)
        .ok_or_else(ApiError::pool_not_found)?;
    if op == Op::GetNode {
        let id = node_id.unwrap_or("");
        let node = pool
            .model
            .find(id)
            .ok_or_else(|| ApiError::node_not_found(id))?;
        let body = render::node_json(&node, pool, base, true, select.as_deref());
        return Ok(Reply {
            status: 200,
            body: Some(body),
            ..Reply::default()
        });
    }
    let after: Option<u64> = match &token {
        None => None,
        Some(t) => Some(t.parse().map_err(|_| {
            ApiError::query_value(
                "$skiptoken",
                query.get("$skiptoken").unwrap_or(""),
                "the token was not issued for this list",
            )
        })?),
    };
    let items: Vec<(String, String)> = pool
        .model
        .nodes()
        .filter(|n| after.is_none_or(|a| n.id > a))
        .filter(|n| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|prop| match prop {
                    "id" => Lit::Str(pool.model.node_id(
                        n.id,
                        n.priority == batchscale_sim::model::Priority::Dedicated,
                    )),
                    _ => Lit::Str(n.state.name().to_string()),
                })
            })
        })
        .take(max + 1)
        .map(|n| {
            (
                format!("{:020}", n.id),
                render::node_json(&n, pool, base, false, select.as_deref()),
            )
        })
        .collect();
    drop(shared);
    let (page_items, next) = page(items, None, max);
    let link = next.map(|key| {
        let n: u64 = key.parse().unwrap_or(0);
        format!("{base}{path}?{}", query.next_link_query(&n.to_string()))
    });
    Ok(Reply {
        status: 200,
        body: Some(render::list_json(base, "nodes", &page_items, link)),
        ..Reply::default()
    })
}

fn usage(
    app: &App,
    account: &str,
    query: &Query,
    base: &str,
    path: &str,
) -> Result<Reply, Failure> {
    let time = |name: &str| -> Result<Option<Timestamp>, ApiError> {
        match query.get(name) {
            None => Ok(None),
            Some(v) => Timestamp::parse_rfc3339(v)
                .map(Some)
                .map_err(|e| ApiError::query_value(name, v, &e)),
        }
    };
    let start = time("starttime")?;
    let end = time("endtime")?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ApiError::query_value(
            "starttime",
            query.get("starttime").unwrap_or(""),
            "starttime is after endtime",
        )
        .into());
    }
    let filter = query
        .get("$filter")
        .map(|f| Filter::parse(f, crate::query::USAGE_FILTER))
        .transpose()?;
    let max = query.max_results()?;
    let token = query.skip_token()?;
    let mut shared = app.lock();
    let now = shared.em.now();
    let usage_delay = shared.em.delays.usage;
    // Bring every pool's accounting up to now.
    let keys: Vec<String> = shared
        .em
        .accounts
        .get(account)
        .map(|a| a.pools.keys().cloned().collect())
        .unwrap_or_default();
    for key in keys {
        shared.em.settle_pool(account, &key);
    }
    let book = shared.em.accounts.get(account).map(|a| &a.usage);
    let bucket = crate::usage::BUCKET;
    let listed = |b: i64| now.ticks() >= b + bucket + usage_delay.ticks();
    let mut items: Vec<(String, String)> = Vec::new();
    if let Some(book) = book {
        let latest = book
            .entries
            .keys()
            .map(|(b, _)| *b)
            .filter(|&b| listed(b))
            .max();
        for ((b, pool_key), entry) in &book.entries {
            if !listed(*b) {
                continue;
            }
            let in_range = match (start, end) {
                (None, None) => Some(*b) == latest,
                (s, e) => s.is_none_or(|s| s.ticks() <= *b) && e.is_none_or(|e| *b < e.ticks()),
            };
            if !in_range {
                continue;
            }
            if let Some(f) = &filter
                && !f.matches(&|_| Lit::Str(entry.pool_id.clone()))
            {
                continue;
            }
            let key = format!("{b:020}/{pool_key}");
            if token.as_deref().is_some_and(|t| key.as_str() <= t) {
                continue;
            }
            let (Some(bs), Some(be)) =
                (Timestamp::from_ticks(*b), Timestamp::from_ticks(b + bucket))
            else {
                continue;
            };
            let mut o = crate::json::Obj::new();
            o.str("poolId", &entry.pool_id)
                .time("startTime", bs)
                .time("endTime", be)
                .str("vmSize", &entry.vm_size)
                .value("totalCoreHours", &entry.core_hours());
            items.push((key, o.finish()));
            if items.len() > max {
                break;
            }
        }
    }
    commit(app, &mut shared)?;
    drop(shared);
    let (page_items, next) = page(items, None, max);
    let link = next.map(|key| format!("{base}{path}?{}", query.next_link_query(&key)));
    Ok(Reply {
        status: 200,
        body: Some(render::list_json(
            base,
            "poolusagemetrics",
            &page_items,
            link,
        )),
        ..Reply::default()
    })
}
