//! Backups of the shop's store and restoring one. A backup reads a consistent snapshot through a
//! connection of its own (the app keeps working) with SQLite's online backup, into a file readable
//! by its owner only that appears only complete. A restore checks the file first, keeps the current
//! database as a copy named for the moment (an undo that stays), replaces the content in one step
//! and brings it to this build's schema.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::store::{migrations, refuse_newer_schema, Store};

/// Pages copied per step: small enough that the app's own writes interleave.
const PAGES_PER_STEP: i32 = 1_024;
/// The pause between steps while the store is busy (never a spin).
const BUSY_PAUSE: Duration = Duration::from_millis(10);

/// Where a restore at `at` keeps the database it replaces: beside it, named for the moment, so a
/// second restore never overwrites the undo of the first.
fn pre_restore_copy(store: &Store, at: time::OffsetDateTime) -> PathBuf {
    let stamp: String = crate::store::timestamp(at).chars().filter(char::is_ascii_alphanumeric).collect();
    store.path().with_extension(format!("sqlite3.before-restore-{stamp}"))
}

/// What a backup made today is called unless the person names it: `revive-backup-YYYY-MM-DD.sqlite3`.
pub fn suggested_file_name() -> String {
    let today = crate::store::timestamp(time::OffsetDateTime::now_utc());
    format!("revive-backup-{}.sqlite3", &today[..10])
}

/// Copies the whole store to `target`.
pub(super) fn back_up(store: &Store, target: &Path) -> CoreResult<()> {
    let source = Connection::open_with_flags(store.path(), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(Duration::from_secs(5))?;
    copy(&source, target)
}

/// `source` into a new file at `target`, complete or not at all.
fn copy(source: &Connection, target: &Path) -> CoreResult<()> {
    let name = target.file_name().ok_or(CoreError::invalid(Field::Backup, Problem::BadFormat))?;
    let partial = target.with_file_name(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let written = (|| -> CoreResult<()> {
        // Customers' names and addresses: created new (never through a link left there) and
        // readable by the owner only.
        crate::files::create_private(&partial).map_err(CoreError::FileWrite)?;
        let mut destination = Connection::open(&partial)?;
        Backup::new(source, &mut destination)?.run_to_completion(PAGES_PER_STEP, BUSY_PAUSE, None)?;
        destination.pragma_update(None, "journal_mode", "DELETE")?;
        drop(destination);
        std::fs::File::open(&partial).and_then(|file| file.sync_all()).map_err(CoreError::FileWrite)?;
        std::fs::rename(&partial, target).map_err(CoreError::FileWrite)?;
        crate::files::sync_folder_of(target).map_err(CoreError::FileWrite)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// Checks that `file` is a sound Revive database this build can read.
fn check(file: &Path) -> CoreResult<Connection> {
    let not_a_backup = || CoreError::invalid(Field::Backup, Problem::BadFormat);
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|_| not_a_backup())?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|_| not_a_backup())?;
    if integrity != "ok" {
        return Err(not_a_backup());
    }
    refuse_newer_schema(&conn)?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('jobs', 'customers', 'job_events')",
            [],
            |r| r.get(0),
        )
        .map_err(|_| not_a_backup())?;
    if tables != 3 {
        return Err(not_a_backup());
    }
    Ok(conn)
}

/// Replaces the store's content with the backup in `file`, keeping what was there as a copy
/// (returned): the undo stays whether the restore succeeded or was put back.
pub(super) fn restore(store: &Store, file: &Path) -> CoreResult<PathBuf> {
    let source = check(file)?;
    let copy_path = pre_restore_copy(store, time::OffsetDateTime::now_utc());
    let mut live = store.exclusive();
    copy(&live, &copy_path)?;
    let restored = (|| -> CoreResult<()> {
        Backup::new(&source, &mut live)?.run_to_completion(PAGES_PER_STEP, BUSY_PAUSE, None)?;
        migrations().to_latest(&mut live)?;
        Ok(())
    })();
    if let Err(error) = restored {
        // Put back what was there; the copy stays on disk either way.
        let _ = Connection::open_with_flags(&copy_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|copy| Backup::new(&copy, &mut live)?.run_to_completion(PAGES_PER_STEP, BUSY_PAUSE, None));
        return Err(error);
    }
    Ok(copy_path)
}
