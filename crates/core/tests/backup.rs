//! Backing up while the shop works, and restoring: only a sound Revive database this build can read
//! replaces the store; an older one is brought forward; the replaced database is kept until the
//! restore has succeeded.

mod common;

use common::take_in_h100;
use revive_core::history::backup;
use revive_core::jobs::{JobQuery, Jobs};
use revive_core::store::{Store, DATABASE_FILE};
use revive_core::{CoreError, Field};

fn tickets(store: &Store) -> Vec<String> {
    let jobs = Jobs::new(store).unwrap().list(&JobQuery::default()).unwrap();
    let mut tickets: Vec<String> = jobs.into_iter().map(|job| job.ticket).collect();
    tickets.sort();
    tickets
}

#[test]
fn a_backup_restores_exactly_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    take_in_h100(&store);
    let backup_file = dir.path().join("revive-backup.sqlite3");
    backup::back_up(&store, &backup_file).unwrap();
    let before = tickets(&store);
    assert_eq!(before.len(), 1);

    // The shop keeps working after the backup; then the backup is restored.
    take_in_h100(&store);
    assert_eq!(tickets(&store).len(), 2);
    backup::restore(&store, &backup_file).unwrap();
    assert_eq!(tickets(&store), before);
    assert!(!backup::pre_restore_copy(&store).exists(), "the copy goes once the restore succeeded");
    // The restored store works on: the next ticket number is never reused.
    take_in_h100(&store);
    assert_eq!(tickets(&store).len(), 2);
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
    let store = Store::open_in_dir(dir.path()).unwrap();
    take_in_h100(&store);
    let before = tickets(&store);

    let junk = dir.path().join("spreadsheet.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not a database at all, but long enough to look like a file").unwrap();
    assert!(matches!(backup::restore(&store, &junk), Err(CoreError::Invalid { field: Field::Backup, .. })));

    let other = dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (x);").unwrap();
    assert!(matches!(backup::restore(&store, &other), Err(CoreError::Invalid { field: Field::Backup, .. })));

    let newer = dir.path().join("newer.sqlite3");
    backup::back_up(&store, &newer).unwrap();
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    assert!(matches!(backup::restore(&store, &newer), Err(CoreError::StoreTooNew { found: 99, .. })));

    let truncated = dir.path().join("truncated.sqlite3");
    backup::back_up(&store, &truncated).unwrap();
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(backup::restore(&store, &truncated).is_err());

    assert_eq!(tickets(&store), before, "nothing was replaced");
    assert!(dir.path().join(DATABASE_FILE).exists());
}

#[test]
fn an_older_backup_is_brought_to_this_schema() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    let old_store = Store::open_in_dir(old.path()).unwrap();
    take_in_h100(&old_store);
    let old_file = old.path().join("old.sqlite3");
    backup::back_up(&old_store, &old_file).unwrap();
    // A file that says schema 4 but already holds schema 5's objects cannot be brought forward: the
    // restore fails and the store is put back as it was.
    let confused = old.path().join("confused.sqlite3");
    std::fs::copy(&old_file, &confused).unwrap();
    rusqlite::Connection::open(&confused).unwrap().execute_batch("PRAGMA user_version = 4;").unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    take_in_h100(&store);
    take_in_h100(&store);
    assert!(matches!(backup::restore(&store, &confused), Err(CoreError::Migration(_))));
    assert_eq!(tickets(&store).len(), 2, "the store is as it was");
    assert!(!backup::pre_restore_copy(&store).exists());

    // As a schema-4 shop wrote it: no search index and no history indexes yet.
    rusqlite::Connection::open(&old_file)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER job_search_on_insert; DROP TRIGGER job_search_on_update; DROP VIEW job_search_text;
             DROP TABLE job_search;
             DROP INDEX jobs_by_created; DROP INDEX jobs_by_model; DROP INDEX jobs_by_updated;
             DROP INDEX job_events_by_actor; DROP INDEX jobs_in_order;
             DROP TRIGGER run_findings_on_insert; DROP TABLE run_findings; DROP INDEX jobs_by_model_status;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    backup::restore(&store, &old_file).unwrap();
    assert_eq!(tickets(&store).len(), 1);
    let query = revive_core::history::HistoryQuery { text: "2012345".into(), ..Default::default() };
    assert_eq!(revive_core::history::page(&store, &query, 0, 10).unwrap().total, 1, "indexed after the restore");
}
