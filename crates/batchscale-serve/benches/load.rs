//! Load benchmark of `batchscale serve` (BENCHMARKS.md, section Serve), with Azurite as
//! the anchor in the same run.
//!
//! A small tokio client: N keep-alive connections (1, 8, 64), each sending one signed
//! request after another for a fixed time; requests/s and p50/p99 latency per operation:
//! GET pool, list 1,000 pools (100 per page: each page is one request), enable (with its
//! formula evaluation), evaluate; in memory and with `--data`. Azurite (npm `azurite`)
//! answers its cheapest signed request, GET container properties, signed with the Storage
//! Shared Key of its development account.
//!
//! `cargo bench -p batchscale-serve --bench load` (builds nothing itself: it runs
//! `target/release/batchscale`, or `BATCHSCALE_BIN`; Azurite from `AZURITE_BLOB`, else
//! `target/azurite/node_modules/.bin/azurite-blob`, else the anchor is left out and says so).
//! `LOAD_SECONDS` sets each cell's duration (default 3).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use batchscale_serve::auth::{SignedParts, sign, string_to_sign};
use batchscale_serve::config::DEV_KEY;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

const V: &str = "2025-06-01";
const POOLS: u64 = 1000;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start_serve(data: Option<&std::path::Path>) -> Server {
    let bin = std::env::var("BATCHSCALE_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target/release/batchscale"));
    let mut cmd = Command::new(&bin);
    cmd.args(["serve", "--port", "0", "--clock", "manual"]);
    if let Some(d) = data {
        cmd.arg("--data").arg(d);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (cargo build --release first): {e}",
                bin.display()
            )
        });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    Server {
        child,
        addr: url.parse().unwrap(),
    }
}

fn start_azurite() -> Option<Server> {
    let bin = std::env::var("AZURITE_BLOB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target/azurite/node_modules/.bin/azurite-blob"));
    if !bin.exists() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&bin)
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--inMemoryPersistence",
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Some(Server { child, addr });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A request to send: method, path and query, body.
#[derive(Clone)]
struct Call {
    method: &'static str,
    target: String,
    body: Option<String>,
}

/// Signs a Batch request as the SDKs do.
fn batch_request(addr: SocketAddr, call: &Call) -> Request<Full<Bytes>> {
    let (path, query) = call.target.split_once('?').unwrap_or((&call.target, ""));
    let mut headers: Vec<(String, String)> = vec![
        ("Host".into(), addr.to_string()),
        (
            "ocp-date".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
    ];
    match &call.body {
        Some(b) => {
            headers.push((
                "Content-Type".into(),
                "application/json; odata=minimalmetadata".into(),
            ));
            headers.push(("Content-Length".into(), b.len().to_string()));
        }
        None if call.method != "GET" => headers.push(("Content-Length".into(), "0".into())),
        None => {}
    }
    let parts = SignedParts {
        method: call.method,
        raw_path: path,
        raw_query: Some(query),
        headers: &headers,
    };
    let key = B64.decode(DEV_KEY).unwrap();
    let auth = format!(
        "SharedKey devbatch:{}",
        sign(&key, &string_to_sign(&parts, "devbatch", false))
    );
    let mut req = Request::builder().method(call.method).uri(&call.target);
    for (n, v) in &headers {
        req = req.header(n.as_str(), v.as_str());
    }
    req.header("Authorization", auth)
        .body(Full::new(Bytes::from(
            call.body.clone().unwrap_or_default(),
        )))
        .unwrap()
}

/// Azurite's development account and key.
const AZ_ACCOUNT: &str = "devstoreaccount1";
const AZ_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// GET container properties, signed with Storage Shared Key (path-style, as for Azurite).
fn azurite_request(addr: SocketAddr) -> Request<Full<Bytes>> {
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let version = "2021-08-06";
    let sts = format!(
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/bench\nrestype:container"
    );
    let key = B64.decode(AZ_KEY).unwrap();
    Request::builder()
        .method("GET")
        .uri(format!("/{AZ_ACCOUNT}/bench?restype=container"))
        .header("Host", addr.to_string())
        .header("x-ms-date", date)
        .header("x-ms-version", version)
        .header(
            "Authorization",
            format!("SharedKey {AZ_ACCOUNT}:{}", sign(&key, &sts)),
        )
        .body(Full::new(Bytes::new()))
        .unwrap()
}

fn azurite_create_container(addr: SocketAddr) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let version = "2021-08-06";
        let sts = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/bench\nrestype:container"
        );
        let key = B64.decode(AZ_KEY).unwrap();
        let req = Request::builder()
            .method("PUT")
            .uri(format!("/{AZ_ACCOUNT}/bench?restype=container"))
            .header("Host", addr.to_string())
            .header("x-ms-date", date)
            .header("x-ms-version", version)
            .header("Content-Length", "0")
            .header("Authorization", format!("SharedKey {AZ_ACCOUNT}:{}", sign(&key, &sts)))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        let resp = send.send_request(req).await.unwrap();
        resp.status().as_u16()
    })
}

/// Sends the calls of `setup` one after another (pool creation), checking statuses.
fn setup(addr: SocketAddr, calls: Vec<(Call, u16)>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        for (call, expected) in calls {
            let resp = send.send_request(batch_request(addr, &call)).await.unwrap();
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            assert_eq!(status, expected, "{} {}", call.method, call.target);
        }
    });
}

struct Cell {
    requests: u64,
    seconds: f64,
    p50: f64,
    p99: f64,
    unexpected: std::collections::BTreeMap<u16, u64>,
}

/// Runs `clients` keep-alive connections for `seconds`; `next(i)` gives the i-th request.
fn run_cell(
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    expected: u16,
    next: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>,
) -> Cell {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let counter = Arc::new(AtomicU64::new(0));
        let unexpected = Arc::new(std::sync::Mutex::new(
            std::collections::BTreeMap::<u16, u64>::new(),
        ));
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let next = next.clone();
            let counter = counter.clone();
            let unexpected = unexpected.clone();
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let mut latencies: Vec<u32> = Vec::with_capacity(100_000);
                while Instant::now() < deadline {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let req = next(i);
                    let t = Instant::now();
                    let resp = send.send_request(req).await.unwrap();
                    let status = resp.status().as_u16();
                    let _ = resp.into_body().collect().await.unwrap();
                    latencies.push(t.elapsed().as_micros() as u32);
                    if status != expected {
                        *unexpected.lock().unwrap().entry(status).or_default() += 1;
                    }
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed().as_secs_f64();
        all.sort_unstable();
        let pct =
            |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)] as f64 / 1000.0;
        Cell {
            requests: all.len() as u64,
            seconds: elapsed,
            p50: pct(0.50),
            p99: pct(0.99),
            unexpected: unexpected.lock().unwrap().clone(),
        }
    })
}

fn pool_body(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","vmSize":"standard_d2s_v3","virtualMachineConfiguration":{{"imageReference":{{"publisher":"canonical","offer":"ubuntu","sku":"22_04-lts"}},"nodeAgentSKUId":"batch.node.ubuntu 22.04"}},"targetDedicatedNodes":0}}"#
    )
}

const FORMULA: &str = "pending = $PendingTasks.GetSample(TimeInterval_Minute * 5, 0);\\nbusy = val(pending, 0) > 0 ? max(pending) : 0;\\n$TargetDedicatedNodes = min(0, busy);\\n$NodeDeallocationOption = taskcompletion;";

fn print_row(target: &str, op: &str, clients: usize, c: &Cell) {
    let flag = if !c.unexpected.is_empty() {
        format!(" unexpected statuses: {:?}", c.unexpected)
    } else {
        String::new()
    };
    println!(
        "| {target} | {op} | {clients} | {:.0} | {:.2} | {:.2} |{flag}",
        c.requests as f64 / c.seconds,
        c.p50,
        c.p99
    );
}

fn bench_serve(label: &str, data: Option<&std::path::Path>, seconds: f64) {
    let server = start_serve(data);
    let addr = server.addr;
    let mut calls = Vec::new();
    for i in 0..2 * POOLS {
        calls.push((
            Call {
                method: "POST",
                target: format!("/pools?api-version={V}"),
                body: Some(pool_body(&format!("p{i:04}"))),
            },
            201,
        ));
    }
    for i in 0..POOLS {
        let body = format!(
            r#"{{"id":"a{i:04}","vmSize":"standard_d2s_v3","virtualMachineConfiguration":{{"imageReference":{{}},"nodeAgentSKUId":"n"}},"enableAutoScale":true,"autoScaleFormula":"{FORMULA}","autoScaleEvaluationInterval":"PT168H"}}"#
        );
        calls.push((
            Call {
                method: "POST",
                target: format!("/pools?api-version={V}"),
                body: Some(body),
            },
            201,
        ));
    }
    setup(addr, calls);
    for clients in [1usize, 8, 64] {
        let get: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync> = Arc::new(move |i| {
            batch_request(
                addr,
                &Call {
                    method: "GET",
                    target: format!("/pools/p{:04}?api-version={V}", i % POOLS),
                    body: None,
                },
            )
        });
        print_row(
            label,
            "GET pool",
            clients,
            &run_cell(addr, clients, seconds, 200, get),
        );
    }
    for clients in [1usize, 8, 64] {
        // Pages of 100 of the first 1,000 pools (a filter keeps the second thousand out):
        // page k starts after pool k × 100 − 1, as its token says.
        let list: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync> = Arc::new(move |i| {
            let page = i % 10;
            let mut target =
                format!("/pools?api-version={V}&maxresults=100&$filter=startswith(id,%27p0%27)");
            if page > 0 {
                let key = format!("p{:04}", page * 100 - 1);
                let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key);
                target.push_str(&format!("&$skiptoken=b1.{token}"));
            }
            batch_request(
                addr,
                &Call {
                    method: "GET",
                    target,
                    body: None,
                },
            )
        });
        print_row(
            label,
            "list 1,000 pools (a page of 100)",
            clients,
            &run_cell(addr, clients, seconds, 200, list),
        );
    }
    for clients in [1usize, 8, 64] {
        // A minute passes first, so the previous cell's enables are more than 30 s old.
        setup(
            addr,
            vec![(
                Call {
                    method: "POST",
                    target: "/_emulator/clock".to_string(),
                    body: Some(r#"{"advance":"PT60S"}"#.to_string()),
                },
                200,
            )],
        );
        // Enable cycles through 2,000 pools; every 500th request moves the clock 30 s, so a
        // pool is enabled again at least 30 s (emulator) later even with 64 requests in
        // flight out of order.
        let enable: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync> = Arc::new(move |i| {
            if i % 500 == 0 {
                let call = Call {
                    method: "POST",
                    target: "/_emulator/clock".to_string(),
                    body: Some(r#"{"advance":"PT30S"}"#.to_string()),
                };
                return batch_request(addr, &call);
            }
            let body = format!(
                r#"{{"autoScaleFormula":"{FORMULA}","autoScaleEvaluationInterval":"PT168H"}}"#
            );
            batch_request(
                addr,
                &Call {
                    method: "POST",
                    target: format!(
                        "/pools/p{:04}/enableautoscale?api-version={V}",
                        i % (2 * POOLS)
                    ),
                    body: Some(body),
                },
            )
        });
        print_row(
            label,
            "enable (with its evaluation)",
            clients,
            &run_cell(addr, clients, seconds, 200, enable),
        );
    }
    for clients in [1usize, 8, 64] {
        let evaluate: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync> = Arc::new(move |i| {
            batch_request(
                addr,
                &Call {
                    method: "POST",
                    target: format!("/pools/a{:04}/evaluateautoscale?api-version={V}", i % POOLS),
                    body: Some(format!(r#"{{"autoScaleFormula":"{FORMULA}"}}"#)),
                },
            )
        });
        print_row(
            label,
            "evaluate",
            clients,
            &run_cell(addr, clients, seconds, 200, evaluate),
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful: only a
    // real bench run measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let seconds: f64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    println!("| server | operation | clients | requests/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    match start_azurite() {
        Some(az) => {
            let status = azurite_create_container(az.addr);
            assert!(
                status == 201 || status == 409,
                "Azurite create container: {status}"
            );
            let addr = az.addr;
            for clients in [1usize, 8, 64] {
                let req: Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync> =
                    Arc::new(move |_| azurite_request(addr));
                print_row(
                    "Azurite (memory)",
                    "GET container properties",
                    clients,
                    &run_cell(addr, clients, seconds, 200, req),
                );
            }
        }
        None => println!(
            "| Azurite | not installed: npm install azurite under target/azurite | | | | |"
        ),
    }
    bench_serve("serve (memory)", None, seconds);
    let dir = std::env::temp_dir().join(format!("batchscale-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    bench_serve("serve (--data)", Some(&dir), seconds);
    let _ = std::fs::remove_dir_all(&dir);
}
