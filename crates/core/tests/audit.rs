//! The job log cannot be quietly rewritten: edits and deletions made with a SQLite tool outside
//! Revive (triggers dropped first, as such a person would) break the hash chain, `audit` names the
//! first broken link and the job says its history no longer holds.

use crate::common::{open_shop, take_in_h100, tech};
use revive_core::jobs::audit::LinkProblem;
use revive_core::jobs::StatusChange;
use revive_core::store::DATABASE_FILE;
use revive_core::workshop::Workshop;

/// A shop with two jobs and a few events each; returns it and the jobs.
fn busy_shop(dir: &std::path::Path) -> (Workshop, i64, i64) {
    let shop = open_shop(dir);
    let first = take_in_h100(&shop);
    let second = take_in_h100(&shop);
    let move_to = |job: i64, to: &str| {
        shop.jobs().change_status(job, &StatusChange { to: to.into(), reason: String::new() }, &tech(&shop)).unwrap();
    };
    move_to(first, "diagnosing");
    move_to(second, "diagnosing");
    move_to(first, "awaiting_approval");
    (shop, first, second)
}

/// Runs `sql` on the store as a SQLite tool would, with Revive's guards removed.
fn tamper(dir: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS job_events_no_update; DROP TRIGGER IF EXISTS job_events_no_delete;
         DROP TRIGGER IF EXISTS event_chain_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn an_untouched_log_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, first, _) = busy_shop(dir.path());
    let report = shop.audit().unwrap();
    assert_eq!((report.events, report.broken), (5, None));
    assert_eq!(shop.jobs().get(first).unwrap().history_intact, Some(true));
}

#[test]
fn an_edited_event_is_found_and_its_job_warns() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, first, second) = busy_shop(dir.path());
    drop(shop);
    // Who moved the job, rewritten.
    tamper(dir.path(), "UPDATE job_events SET actor = '王芳' WHERE id = 3");
    let shop = open_shop(dir.path());
    let broken = shop.audit().unwrap().broken.expect("a broken link");
    assert_eq!((broken.event_id, broken.problem), (3, LinkProblem::Changed));
    assert_eq!(broken.ticket.as_deref(), Some(shop.jobs().get(first).unwrap().ticket.as_str()));
    assert_eq!(shop.jobs().get(first).unwrap().history_intact, Some(false));
    // Reopening the shop did not link the edit anew.
    assert!(shop.audit().unwrap().broken.is_some());
    let _ = second;
}

#[test]
fn a_deleted_event_is_found_with_or_without_its_link() {
    for sql in [
        "DELETE FROM job_events WHERE id = 2",
        "DELETE FROM event_chain WHERE event_id = 2; DELETE FROM job_events WHERE id = 2",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (shop, _, second) = busy_shop(dir.path());
        drop(shop);
        tamper(dir.path(), &format!("PRAGMA foreign_keys = OFF; {sql}"));
        let shop = open_shop(dir.path());
        let broken = shop.audit().unwrap().broken.unwrap_or_else(|| panic!("{sql}: not found"));
        assert!(matches!(broken.problem, LinkProblem::EventDeleted | LinkProblem::Changed), "{sql}: {broken:?}");
        assert!(broken.event_id >= 2, "{sql}: {broken:?}");
        let _ = second;
    }
}

#[test]
fn an_event_slipped_in_outside_revive_is_never_linked() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, first, _) = busy_shop(dir.path());
    drop(shop);
    tamper(
        dir.path(),
        &format!(
            "INSERT INTO job_events (job_id, at, actor, kind, detail)
             VALUES ({first}, '2026-12-01T00:00:00Z', 'José', 'labor_adjusted', '{{\"minutes\":-600,\"reason\":\"x\"}}')"
        ),
    );
    // Opened by Revive again, the stray event is not linked as if it were an old one.
    let shop = open_shop(dir.path());
    let broken = shop.audit().unwrap().broken.expect("the stray event");
    assert_eq!((broken.event_id, broken.problem), (6, LinkProblem::Unlinked));
    assert_eq!(shop.jobs().get(first).unwrap().history_intact, Some(false));
}

#[test]
fn events_logged_before_the_chain_are_linked_once_when_the_store_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, _, _) = busy_shop(dir.path());
    drop(shop);
    // The store as an earlier Revive left it: events, no links.
    tamper(dir.path(), "DELETE FROM event_chain");
    let shop = open_shop(dir.path());
    assert_eq!(shop.audit().unwrap(), revive_core::jobs::audit::AuditReport { events: 5, broken: None });
}

#[test]
fn each_event_names_the_account_and_computer_it_was_written_on_and_neither_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, first, _) = busy_shop(dir.path());
    let here = revive_core::jobs::events::Workstation::current();
    assert!(!here.os_user.is_empty() && !here.host.is_empty());
    let history = shop.jobs().get(first).unwrap().events;
    assert!(history.iter().all(|event| event.workstation.as_ref() == Some(here)), "{history:?}");
    drop(shop);

    for sql in [
        "UPDATE job_events SET os_user = '王芳' WHERE id = 3",
        "UPDATE job_events SET host = 'bench-2' WHERE id = 3",
        // Erased, so the event would read as one from before Revive logged where.
        "UPDATE job_events SET os_user = NULL, host = NULL WHERE id = 3",
    ] {
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.path().join(DATABASE_FILE), copy.path().join(DATABASE_FILE)).unwrap();
        tamper(copy.path(), sql);
        let shop = open_shop(copy.path());
        let broken = shop.audit().unwrap().broken.expect(sql);
        assert_eq!((broken.event_id, broken.problem), (3, LinkProblem::Changed), "{sql}");
    }
}
