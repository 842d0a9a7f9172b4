//! # batchscale-serve
//!
//! `batchscale serve`: a local emulator of the Azure Batch pool REST API
//! (`../shared/spec/emulator.md`), so that code written against the real `azure-batch`
//! Python SDKs (14.x and 15.x) runs offline, with autoscale formulas evaluated by the
//! batchscale engine on an emulator clock.
//!
//! The layers, one module each, in the order a request meets them:
//!
//! ```text
//! http      the pipeline: timers → route → auth → api-version → query → headers → body
//!           → lookup → conditions → state → apply, commit, respond
//! auth      Shared Key: the string-to-sign, constant-time verification, freshness
//! query     case-insensitive names, $filter, $select, $expand, paging tokens
//! body      JSON bodies per api-version (3.2)
//! emulator  the clock, accounts, the timer queue, the operations of section 2
//! pool      one pool's state machine (section 6) and what an evaluation sees (6.4)
//! model     nodes, tasks and generated samples as a steppable value
//! usage     30-minute usage buckets and the cores of VM sizes (section 7)
//! render    CloudPool, ComputeNode, lists (3.3, 3.4, 3.6)
//! store     --data: SQLite, WAL, synchronous=FULL, one server per folder
//! admin     /_emulator/: health, clock, metrics, workload, snapshot
//! ```
//!
//! Start one from Rust with [`serve`]; the `batchscale serve` command is a thin shell
//! over it.
//!
//! Where things go: a new operation is an [`http::Op`] routed in [`http::route`], its
//! query names in `Op::query_names`, its body schema in [`body`], its state change in
//! [`emulator::Emulator`] (and [`pool::Pool`] for the state machine), its response in
//! [`render`]; an admin endpoint goes in [`admin`]. Nodes, tasks and samples belong to the
//! simulator's model (`batchscale_sim::model`), reached through [`model`]. Every
//! \[decided\] rule gets a row in COMPATIBILITY.md (section Emulator) and a test named after
//! it, in Rust here or in Python in `sdk-tests/` (the SDK suite, `sdk-tests/run.sh`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod body;
pub mod config;
pub mod emulator;
pub mod error;
pub mod http;
pub mod json;
pub mod model;
pub mod pool;
pub mod query;
pub mod render;
mod serde_util;
pub mod store;
pub mod usage;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use batchscale::Timestamp;
use batchscale::time::TICKS_PER_SECOND;

pub use config::{Account, ClockMode, Config, Delays};

use emulator::{Clock, Emulator};
use http::App;
use store::Store;

/// Why the server could not start or stopped: the exit status and a message.
#[derive(Debug)]
pub struct Exit {
    /// 0 clean, 1 the store failed while running, 2 could not start.
    pub code: u8,
    /// What to print (empty for a clean stop).
    pub message: String,
}

fn wall_now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
        .expect("the machine's clock is within years 1 to 9999")
}

/// Builds the emulator from the config and the store, firing the timers that fell due.
pub fn build(config: &Config) -> Result<(Emulator, Option<Store>), Exit> {
    let usage_error = |message: String| Exit { code: 2, message };
    let (store, loaded) = match &config.data {
        Some(dir) => {
            let (store, loaded) = Store::open(dir).map_err(usage_error)?;
            (Some(store), Some(loaded))
        }
        None => (None, None),
    };
    let wall = wall_now();
    let last = loaded.as_ref().and_then(|l| l.clock);
    let start = match (config.clock, last) {
        (ClockMode::Manual, Some(last)) => last,
        (ClockMode::Manual, None) => {
            Timestamp::from_ticks(wall.ticks() - wall.ticks().rem_euclid(TICKS_PER_SECOND))
                .unwrap_or(wall)
        }
        (ClockMode::Real { .. }, Some(last)) => last.max(wall),
        (ClockMode::Real { .. }, None) => wall,
    };
    let mut em = Emulator::new(config, Clock::new(config.clock, start));
    if let Some(loaded) = loaded {
        for (account, bucket, key, entry) in loaded.usage {
            em.accounts
                .entry(account)
                .or_default()
                .usage
                .entries
                .insert((bucket, key), entry);
        }
        for (account, pool) in loaded.pools {
            em.insert_loaded(&account, pool);
        }
    }
    em.catch_up();
    Ok((em, store))
}

/// [`serve`] on a runtime of its own, for a caller that is not async (the CLI).
pub fn serve_blocking(config: Config, ready: impl FnOnce(SocketAddr)) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return Exit {
                code: 2,
                message: format!("cannot start: {e}"),
            };
        }
    };
    let exit = runtime.block_on(serve(config, ready));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    exit
}

/// Runs the server until SIGINT/SIGTERM (or a store failure). `ready` receives the bound
/// address once the socket is bound and the store open (the CLI prints the ready line).
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Exit {
    let (em, store) = match build(&config) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let addr = format!("{}:{}", config.host, config.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            return Exit {
                code: 2,
                message: format!("cannot listen on {addr}: {e}"),
            };
        }
    };
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            return Exit {
                code: 2,
                message: format!("cannot listen on {addr}: {e}"),
            };
        }
    };
    let real = matches!(config.clock, ClockMode::Real { .. });
    let app = Arc::new(App::new(config, em, store));
    {
        let mut shared = app.lock();
        if let Err(e) = shared.commit() {
            return Exit {
                code: 2,
                message: format!("the store failed: {e}"),
            };
        }
    }
    // Signal handlers are in place before the ready line: a signal right after it stops
    // the server cleanly.
    let signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            return Exit {
                code: 2,
                message: format!("cannot handle signals: {e}"),
            };
        }
    };
    ready(local);
    let timers = real.then(|| tokio::spawn(timer_task(app.clone())));
    let router = axum::Router::new()
        .fallback(http::handle)
        .with_state(app.clone());
    let shutdown_app = app.clone();
    let shutdown = async move {
        tokio::select! {
            _ = signals.recv() => {}
            _ = shutdown_app.fatal.notified() => {}
        }
    };
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        let result = server.await;
        let _ = stop_tx.send(());
        result
    });
    // Wait for the signal, then give requests in flight 5 s at most.
    let _ = stop_rx.await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), serving).await;
    if let Some(t) = timers {
        t.abort();
    }
    let failed = app.failed.load(Ordering::SeqCst);
    // Close the store.
    drop(app.lock().store.take());
    if failed {
        Exit {
            code: 1,
            message: "the store failed while running".to_string(),
        }
    } else {
        Exit {
            code: 0,
            message: String::new(),
        }
    }
}

/// SIGINT and SIGTERM, registered when created.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn recv(mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Under the real clock, timers fire with no request arriving.
async fn timer_task(app: Arc<App>) {
    loop {
        let wait = {
            let mut shared = app.lock();
            shared.em.catch_up();
            if let Err(e) = shared.commit() {
                eprintln!("batchscale serve: error: the store failed: {e}");
                app.failed.store(true, Ordering::SeqCst);
                app.fatal.notify_one();
                return;
            }
            let next = shared.em.next_due();
            next.and_then(|t| shared.em.clock.wall_delay_until(t))
                .unwrap_or(std::time::Duration::from_secs(1))
                .min(std::time::Duration::from_secs(1))
        };
        tokio::select! {
            _ = tokio::time::sleep(wait.max(std::time::Duration::from_millis(1))) => {}
            _ = app.wake.notified() => {}
        }
    }
}
