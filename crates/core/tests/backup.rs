//! Backing up while the shop works, and restoring: only a sound Revive database this build can read
//! replaces the store; an older one is brought forward; the replaced database is kept until the
//! restore has succeeded.

mod common;

use common::{open_shop, take_in_h100};
use revive_core::jobs::JobQuery;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field};

fn tickets(shop: &Workshop) -> Vec<String> {
    let jobs = shop.jobs().list(&JobQuery::default()).unwrap();
    let mut tickets: Vec<String> = jobs.into_iter().map(|job| job.ticket).collect();
    tickets.sort();
    tickets
}

#[test]
fn a_backup_restores_exactly_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    let backup_file = dir.path().join("revive-backup.sqlite3");
    shop.history().back_up(&backup_file).unwrap();
    let before = tickets(&shop);
    assert_eq!(before.len(), 1);

    // The shop keeps working after the backup; then the backup is restored.
    take_in_h100(&shop);
    assert_eq!(tickets(&shop).len(), 2);
    let kept = shop.history().restore(&backup_file).unwrap();
    assert_eq!(tickets(&shop), before);
    assert!(kept.exists(), "the database it replaced stays as an undo");
    assert!(kept.file_name().unwrap().to_string_lossy().starts_with("revive.sqlite3.before-restore-"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&backup_file, &kept] {
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{file:?}");
        }
    }
    // The restored store works on: the next ticket number is never reused.
    take_in_h100(&shop);
    assert_eq!(tickets(&shop).len(), 2);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_wrong_file_is_refused_and_the_store_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    let before = tickets(&shop);

    let junk = dir.path().join("spreadsheet.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not a database at all, but long enough to look like a file").unwrap();
    assert!(matches!(shop.history().restore(&junk), Err(CoreError::Invalid { field: Field::Backup, .. })));

    let other = dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (x);").unwrap();
    assert!(matches!(shop.history().restore(&other), Err(CoreError::Invalid { field: Field::Backup, .. })));

    let newer = dir.path().join("newer.sqlite3");
    shop.history().back_up(&newer).unwrap();
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    assert!(matches!(shop.history().restore(&newer), Err(CoreError::StoreTooNew { found: 99, .. })));

    let truncated = dir.path().join("truncated.sqlite3");
    shop.history().back_up(&truncated).unwrap();
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(shop.history().restore(&truncated).is_err());

    assert_eq!(tickets(&shop), before, "nothing was replaced");
    assert!(dir.path().join(revive_core::store::DATABASE_FILE).exists());
}

#[test]
fn an_older_backup_is_brought_to_this_schema() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    let old_store = open_shop(old.path());
    take_in_h100(&old_store);
    let old_file = old.path().join("old.sqlite3");
    old_store.history().back_up(&old_file).unwrap();
    // A file that says schema 4 but already holds schema 5's objects cannot be brought forward: the
    // restore fails and the store is put back as it was.
    let confused = old.path().join("confused.sqlite3");
    std::fs::copy(&old_file, &confused).unwrap();
    rusqlite::Connection::open(&confused).unwrap().execute_batch("PRAGMA user_version = 4;").unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    take_in_h100(&shop);
    assert!(matches!(shop.history().restore(&confused), Err(CoreError::Migration(_))));
    assert_eq!(tickets(&shop).len(), 2, "the shop is as it was");
    let undo = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok);
    assert!(undo.into_iter().any(|f| f.file_name().to_string_lossy().starts_with("revive.sqlite3.before-restore-")));

    // As a schema-4 shop wrote it: no search index and no history indexes yet.
    rusqlite::Connection::open(&old_file)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER job_search_on_insert; DROP TRIGGER job_search_on_update; DROP VIEW job_search_text;
             DROP TABLE job_search;
             DROP INDEX jobs_by_created; DROP INDEX jobs_by_model; DROP INDEX jobs_by_updated;
             DROP INDEX job_events_by_actor; DROP INDEX jobs_in_order;
             DROP TRIGGER run_findings_on_insert; DROP TABLE run_findings; DROP INDEX jobs_by_model_status;
             DROP TRIGGER event_chain_no_update; DROP TRIGGER event_chain_no_delete; DROP TABLE event_chain;
             DROP TRIGGER certificate_revocations_no_update; DROP TRIGGER certificate_revocations_no_delete;
             DROP TABLE certificate_revocations; DROP TABLE technician_pins;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    shop.history().restore(&old_file).unwrap();
    assert_eq!(tickets(&shop).len(), 1);
    let query = revive_core::history::HistoryQuery { text: "2012345".into(), ..Default::default() };
    assert_eq!(shop.history().page(&query, 0, 10).unwrap().total, 1, "indexed after the restore");
    assert_eq!(shop.audit().unwrap().broken, None, "its events are linked into the log's chain");
}
