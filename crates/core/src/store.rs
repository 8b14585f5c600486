//! The embedded SQLite store: opening, connection settings, forward-only migrations and the
//! one-transaction-per-user-action helper every service uses.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, Transaction};
use rusqlite_migration::{Migrations, M};
use time::OffsetDateTime;

use crate::error::{CoreError, CoreResult};

/// File name of the store inside the data directory.
pub const DATABASE_FILE: &str = "revive.sqlite3";

/// Every schema change ever shipped, oldest first. Only ever append.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001_jobs.sql")),
    M::up(include_str!("migrations/002_diagnostic_runs.sql")),
    M::up(include_str!("migrations/003_procedure_runs.sql")),
    M::up(include_str!("migrations/004_certificates.sql")),
    M::up(include_str!("migrations/005_history.sql")),
    M::up(include_str!("migrations/006_history_order.sql")),
    M::up(include_str!("migrations/007_statistics.sql")),
    M::up(include_str!("migrations/008_event_chain.sql")),
    M::up(include_str!("migrations/009_revocations.sql")),
    M::up(include_str!("migrations/010_technician_pins.sql")),
    M::up(include_str!("migrations/011_stress_runs.sql")),
    M::up(include_str!("migrations/012_event_workstation.sql")),
    M::up(include_str!("migrations/013_test_room_runs.sql")),
    M::up(include_str!("migrations/014_sync_versions.sql")),
    M::up(include_str!("migrations/015_history_narrowing.sql")),
    M::up(include_str!("migrations/016_open_jobs.sql")),
    M::up(include_str!("migrations/017_hand_overs.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What the header of every store (and backup) Revive writes says it is: "RVIV".
pub const APPLICATION_ID: i32 = 0x5256_4956;

/// Source of "now"; tests replace it to cross a year boundary.
pub type Clock = fn() -> OffsetDateTime;

pub struct Store {
    conn: Mutex<Connection>,
    /// The read-only connection [`Store::read_alone`] keeps, its page cache still warm for the
    /// next history page; a read that finds it busy opens one of its own.
    reader: Mutex<Option<Connection>>,
    path: PathBuf,
    clock: Clock,
}

impl Store {
    /// A store alone in `dir`, for the foundation's own tests (everything else opens a workshop).
    #[cfg(test)]
    pub(crate) fn open_in_dir(dir: &Path) -> CoreResult<Store> {
        Store::open(&dir.join(DATABASE_FILE), OffsetDateTime::now_utc)
    }

    /// Opens the database at `path`, refusing one written by a newer Revive, and migrates it forward.
    pub fn open(path: &Path, clock: Clock) -> CoreResult<Store> {
        // Customers' names and addresses: the store is its owner's only (SQLite gives its journal
        // files the database's permissions), a store from an earlier build included.
        if !path.exists() {
            crate::files::create_private(path)?;
        }
        // A file system without Unix permissions (a FAT stick) has nothing to tighten.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        refuse_newer_schema(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrations().to_latest(&mut conn)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        crate::history::register_functions(&conn)?;
        Ok(Store { conn: Mutex::new(conn), reader: Mutex::new(None), path: path.to_path_buf(), clock })
    }

    /// Runs one user action in one transaction: all of it is written, or none.
    pub fn write<T>(&self, action: impl FnOnce(&Transaction, OffsetDateTime) -> CoreResult<T>) -> CoreResult<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let result = action(&tx, (self.clock)())?;
        tx.commit()?;
        Ok(result)
    }

    /// The time by this store's clock: what a write now would be stamped with.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection itself, for work that is not one user action (a backup, a restore).
    pub(crate) fn exclusive(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a long read (a history page, an export, statistics) through a read-only connection
    /// apart from the app's, in one transaction: it sees one consistent state while the app keeps
    /// reading and writing through the store (WAL lets a writer and readers work at once).
    pub fn read_alone<T>(&self, query: impl FnOnce(&Transaction) -> CoreResult<T>) -> CoreResult<T> {
        let Ok(mut kept) = self.reader.try_lock() else {
            let mut conn = self.open_reader()?;
            return query(&conn.transaction()?);
        };
        let conn = match kept.take() {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let conn = kept.insert(conn);
        let tx = conn.transaction()?;
        query(&tx)
    }

    fn open_reader(&self) -> CoreResult<Connection> {
        let conn = Connection::open_with_flags(&self.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // A history search reads thousands of scattered pages of a big store: SQLite's own cache
        // holds 2 MiB of them, this one up to 64 MiB.
        conn.pragma_update(None, "cache_size", -65_536)?;
        crate::history::register_functions(&conn)?;
        Ok(conn)
    }

    /// Runs a read inside one transaction so it sees a single consistent state.
    pub fn read<T>(&self, query: impl FnOnce(&Transaction) -> CoreResult<T>) -> CoreResult<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction()?;
        query(&tx)
    }
}

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

pub(crate) fn refuse_newer_schema(conn: &Connection) -> CoreResult<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(CoreError::StoreTooNew { found, supported: SCHEMA_VERSION });
    }
    Ok(())
}

/// RFC 3339 UTC with milliseconds: sorts as text and reads the same everywhere.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// How a column holds its serde value: bare text such as `intake`, or JSON such as `["bent_pins"]`.
pub(crate) enum Quote {
    Text,
    None,
}

/// Reads a column into a serde type; a value this build cannot read is a storage error, never a guess.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row,
    index: usize,
    quote: Quote,
) -> rusqlite::Result<T> {
    let raw: Option<String> = row.get(index)?;
    let json = match (raw, quote) {
        (None, _) => "null".to_owned(),
        (Some(text), Quote::Text) => serde_json::Value::String(text).to_string(),
        (Some(json), Quote::None) => json,
    };
    serde_json::from_str(&json)
        .map_err(|error| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(store: &Store, name: &str) -> String {
        store
            .read(|tx| Ok(tx.pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))?))
            .map(|value| format!("{value:?}"))
            .unwrap()
    }

    #[test]
    fn new_database_is_created_at_the_latest_schema_with_safe_settings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(pragma(&store, "user_version"), format!("Integer({SCHEMA_VERSION})"));
        assert_eq!(pragma(&store, "journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma(&store, "foreign_keys"), "Integer(1)");
        assert_eq!(pragma(&store, "busy_timeout"), "Integer(5000)");
        assert_eq!(pragma(&store, "application_id"), format!("Integer({APPLICATION_ID})"));
        #[cfg(unix)]
        for file in ["revive.sqlite3", "revive.sqlite3-wal", "revive.sqlite3-shm"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
    }

    #[test]
    fn every_earlier_schema_migrates_forward() {
        for version in 0..SCHEMA_VERSION as usize {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(DATABASE_FILE);
            let mut conn = Connection::open(&path).unwrap();
            migrations().to_version(&mut conn, version).unwrap();
            if version >= 1 {
                // A shop's data at that schema must come through the upgrade untouched.
                conn.execute_batch(
                    "INSERT INTO customers (id, name, created_at) VALUES (1, 'Acme', 't');
                     INSERT INTO jobs (ticket, customer_id, status, model_id, board_serial, symptom_observed,
                        quote_minor, quote_currency, received_by, created_at, updated_at)
                     VALUES ('RV-2026-000001', 1, 'intake', 'other', 'SN1', 'dead', 0, 'CNY', 'Li', 't', 't');
                     INSERT INTO job_events (job_id, at, actor, kind) VALUES (1, 't', 'Li', 'created');",
                )
                .unwrap();
            }
            if version >= 2 {
                conn.execute_batch(
                    r#"INSERT INTO diagnostic_runs (job_id, gpu_index, recorded_at, recorded_by, simulated, driver, reading, findings)
                       VALUES (1, 0, 't', 'Li', 0, '550', '{}', '[{"code":"xid_79"},{"code":"remap_pending"}]');"#,
                )
                .unwrap();
            }
            drop(conn);
            let store = Store::open(&path, OffsetDateTime::now_utc).unwrap();
            assert_eq!(pragma(&store, "user_version"), format!("Integer({SCHEMA_VERSION})"), "from {version}");
            let jobs: i64 = store.read(|tx| Ok(tx.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))?)).unwrap();
            assert_eq!(jobs, i64::from(version >= 1), "from {version}");
            // Jobs taken in before the search index existed are found by it.
            let found: i64 = store
                .read(|tx| {
                    Ok(tx.query_row("SELECT count(*) FROM job_search WHERE job_search MATCH '\"Acm\"'", [], |r| {
                        r.get(0)
                    })?)
                })
                .unwrap();
            assert_eq!(found, i64::from(version >= 1), "search index from {version}");
            // Findings recorded before the statistics' table existed are counted by it.
            let findings: i64 = store
                .read(|tx| Ok(tx.query_row("SELECT count(*) FROM run_findings WHERE job_id = 1", [], |r| r.get(0))?))
                .unwrap();
            assert_eq!(findings, if version >= 2 { 2 } else { 0 }, "findings from {version}");
        }
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn a_database_from_a_newer_revive_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;").unwrap();
        drop(conn);
        let before = std::fs::read(&path).unwrap();
        match Store::open(&path, OffsetDateTime::now_utc) {
            Err(CoreError::StoreTooNew { found: 99, supported }) => assert_eq!(supported, SCHEMA_VERSION),
            other => panic!("expected StoreTooNew, got {:?}", other.err()),
        }
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        std::fs::write(&path, b"this is a spreadsheet, not a database, and it is long enough").unwrap();
        assert!(matches!(Store::open(&path, OffsetDateTime::now_utc), Err(CoreError::Storage(_))));
    }

    #[test]
    fn a_failed_action_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        let result: CoreResult<()> = store.write(|tx, _| {
            tx.execute("INSERT INTO settings (key, value) VALUES ('a', 'b')", [])?;
            Err(CoreError::JobNotFound(1))
        });
        assert!(result.is_err());
        let count: i64 = store.read(|tx| Ok(tx.query_row("SELECT count(*) FROM settings", [], |r| r.get(0))?)).unwrap();
        assert_eq!(count, 0);
    }
}
