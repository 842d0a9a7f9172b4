//! `--data DIR` (emulator.md 1.3): every account's pools (with their nodes, autoscale
//! state, timers, injected metrics and workload), usage buckets and the clock in
//! `DIR/emulator.sqlite3`; WAL, `synchronous=FULL`; one server per DIR (SQLite's
//! exclusive locking mode holds the lock until the process ends, a `kill -9` included);
//! a schema version.

use std::path::Path;

use batchscale::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::emulator::Emulator;
use crate::pool::Pool;
use crate::usage::UsageEntry;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// An open store.
pub struct Store {
    conn: Connection,
}

/// What a store held.
pub struct Loaded {
    /// The clock's last instant, if the store is not new.
    pub clock: Option<Timestamp>,
    /// (account, pool).
    pub pools: Vec<(String, Pool)>,
    /// (account, bucket, lower id, entry).
    pub usage: Vec<(String, i64, String, UsageEntry)>,
}

fn err(e: rusqlite::Error) -> String {
    e.to_string()
}

impl Store {
    /// Opens (or creates) the store in `dir`. Errors are exit-2 messages.
    pub fn open(dir: &Path) -> Result<(Store, Loaded), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create --data '{}': {e}", dir.display()))?;
        let path = dir.join("emulator.sqlite3");
        let conn = Connection::open(&path)
            .map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
        let locked = |e: rusqlite::Error| {
            let text = e.to_string();
            if text.contains("locked") || text.contains("busy") {
                format!(
                    "store is locked: another batchscale serve uses '{}'",
                    dir.display()
                )
            } else {
                format!("cannot use '{}': {text}", path.display())
            }
        };
        conn.busy_timeout(std::time::Duration::from_millis(0))
            .map_err(err)?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(locked)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(locked)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!(
                "cannot put '{}' in write-ahead-log mode",
                path.display()
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(locked)?;
        // Take the exclusive lock now, with a write, and keep it.
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS pools (account TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (account, id));
             CREATE TABLE IF NOT EXISTS usage (account TEXT NOT NULL, bucket INTEGER NOT NULL, pool TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (account, bucket, pool));
             INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
             COMMIT;",
        )
        .map_err(locked)?;
        let version: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if version.parse::<i64>().ok() != Some(SCHEMA_VERSION) {
            return Err(format!(
                "'{}' has schema version {version}; this batchscale serve reads version {SCHEMA_VERSION}",
                path.display()
            ));
        }
        let clock: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'clock'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?;
        let clock = clock
            .and_then(|c| c.parse::<i64>().ok())
            .and_then(Timestamp::from_ticks);
        let mut pools = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT account, body FROM pools")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(err)?;
            for row in rows {
                let (account, body) = row.map_err(err)?;
                let pool: Pool = serde_json::from_str(&body)
                    .map_err(|e| format!("a stored pool cannot be read: {e}"))?;
                pools.push((account, pool));
            }
        }
        let mut usage = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT account, bucket, pool, body FROM usage")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (account, bucket, pool, body) = row.map_err(err)?;
                let entry: UsageEntry = serde_json::from_str(&body)
                    .map_err(|e| format!("a stored usage entry cannot be read: {e}"))?;
                usage.push((account, bucket, pool, entry));
            }
        }
        Ok((
            Store { conn },
            Loaded {
                clock,
                pools,
                usage,
            },
        ))
    }

    /// Writes every changed pool, usage entry and the clock in one transaction.
    pub fn commit(&mut self, em: &mut Emulator, now: Timestamp) -> Result<(), String> {
        let usage_dirty = em.accounts.values().any(|a| !a.usage.dirty.is_empty());
        if em.dirty.is_empty() && !em.clock_dirty && !usage_dirty {
            return Ok(());
        }
        let dirty = std::mem::take(&mut em.dirty);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO pools (account, id, body) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut delete = tx
                .prepare_cached("DELETE FROM pools WHERE account = ?1 AND id = ?2")
                .map_err(err)?;
            for (account, key) in &dirty {
                match em.accounts.get(account).and_then(|a| a.pools.get(key)) {
                    Some(pool) => {
                        let body = serde_json::to_string(pool).map_err(|e| e.to_string())?;
                        upsert.execute(params![account, key, body]).map_err(err)?;
                    }
                    None => {
                        delete.execute(params![account, key]).map_err(err)?;
                    }
                }
            }
            let mut usage = tx
                .prepare_cached("INSERT OR REPLACE INTO usage (account, bucket, pool, body) VALUES (?1, ?2, ?3, ?4)")
                .map_err(err)?;
            for (name, account) in em.accounts.iter_mut() {
                for key in std::mem::take(&mut account.usage.dirty) {
                    if let Some(entry) = account.usage.entries.get(&key) {
                        let body = serde_json::to_string(entry).map_err(|e| e.to_string())?;
                        usage
                            .execute(params![name, key.0, key.1, body])
                            .map_err(err)?;
                    }
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?1)",
                params![now.ticks().to_string()],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        em.clock_dirty = false;
        Ok(())
    }
}
