//! The job service against a real store on disk: intake, tickets, search, status flow, timeline.

use revive_core::jobs::events::Event;
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::status::Status;
use revive_core::jobs::{JobQuery, Jobs, StatusChange};
use revive_core::settings::{Settings, SettingsForm};
use revive_core::store::{Store, DATABASE_FILE};
use revive_core::{CoreError, Field, Problem};
use time::macros::datetime;
use time::OffsetDateTime;

const TECH: &str = "Li Wei";

fn store_at(dir: &std::path::Path, clock: fn() -> OffsetDateTime) -> Store {
    let store = Store::open(&dir.join(DATABASE_FILE), clock).unwrap();
    let settings = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        ..Default::default()
    };
    Settings::save(&store, &settings).unwrap();
    store
}

fn form(serial: &str, customer: &str) -> IntakeForm {
    IntakeForm {
        customer_name: customer.into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: serial.into(),
        symptom_observed: "Xid 79, fell off the bus".into(),
        quote_amount: "15000".into(),
        quote_currency: "CNY".into(),
        bench_location: "A-01".into(),
        ..Default::default()
    }
}

fn change(to: &str, reason: &str) -> StatusChange {
    StatusChange { to: to.into(), reason: reason.into() }
}

fn job_count(store: &Store) -> (i64, i64) {
    store
        .read(|tx| {
            let jobs = tx.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))?;
            let events = tx.query_row("SELECT count(*) FROM job_events", [], |r| r.get(0))?;
            Ok((jobs, events))
        })
        .unwrap()
}

#[test]
fn intake_issues_sequential_tickets_per_year() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), || datetime!(2026-12-31 23:59 UTC));
    {
        let jobs = Jobs::new(&store).unwrap();
        assert_eq!(jobs.intake(&form("SN1", "Acme"), TECH).unwrap().ticket, "RV-2026-000001");
        assert_eq!(jobs.intake(&form("SN2", "Acme"), TECH).unwrap().ticket, "RV-2026-000002");
    }
    drop(store);

    let store = store_at(dir.path(), || datetime!(2027-01-01 00:01 UTC));
    let jobs = Jobs::new(&store).unwrap();
    assert_eq!(jobs.intake(&form("SN3", "Acme"), TECH).unwrap().ticket, "RV-2027-000001");
}

#[test]
fn intake_records_everything_and_logs_who_created_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = Jobs::new(&store).unwrap();
    let job = jobs.intake(&form("1654922012345", "Deep Compute"), TECH).unwrap();
    assert_eq!(job.status, Status::Intake);
    assert_eq!(job.board_serial, "1654922012345");
    assert_eq!(job.received_by, TECH);
    assert_eq!(job.quote.minor, 1_500_000);
    assert_eq!(job.events.len(), 1);
    assert_eq!(job.events[0].event, Event::Created { ticket: job.ticket.clone(), status: Status::Intake });
    assert_eq!(job.events[0].actor, TECH);
    assert!(job.next.iter().any(|n| n.status == Status::Diagnosing && !n.reason_required));
}

#[test]
fn bad_intake_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = Jobs::new(&store).unwrap();
    let mut bad = form("   ", "Acme");
    assert!(matches!(
        jobs.intake(&bad, TECH).unwrap_err(),
        CoreError::Invalid { field: Field::BoardSerial, problem: Problem::Empty }
    ));
    bad.board_serial = "SN1".into();
    bad.condition_note = "n".repeat(1 << 20);
    assert!(jobs.intake(&bad, TECH).is_err());
    assert!(matches!(
        jobs.intake(&form("SN1", "Acme"), "Somebody Else").unwrap_err(),
        CoreError::Invalid { field: Field::Technician, problem: Problem::Unknown }
    ));
    // A name of invisible characters, or one that would read backwards, is no name.
    for customer in ["\u{200B}\u{200B}", "\u{FEFF} \u{3164}", "王芳\u{202E}司公限有"] {
        let error = jobs.intake(&form("SN1", customer), TECH).unwrap_err();
        assert!(
            matches!(
                error,
                CoreError::Invalid {
                    field: Field::CustomerName,
                    problem: Problem::Invisible | Problem::DirectionControls
                }
            ),
            "{customer:?}: {error}"
        );
    }
    assert_eq!(job_count(&store), (0, 0));
    // A refused intake does not burn a ticket number.
    assert_eq!(jobs.intake(&form("SN1", "Acme"), TECH).unwrap().ticket[8..], *"000001");
}

#[test]
fn search_finds_by_ticket_serial_or_customer_and_filters_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), || datetime!(2026-11-28 10:00 UTC));
    let jobs = Jobs::new(&store).unwrap();
    let first = jobs.intake(&form("1654922012345", "Deep Compute"), TECH).unwrap();
    jobs.intake(&form("1654922099999", "Cloud 100%_Ltd"), TECH).unwrap();
    jobs.change_status(first.id, &change("diagnosing", ""), TECH).unwrap();

    let found = |text: &str, status: &str| {
        jobs.list(&JobQuery { text: text.into(), status: status.into() })
            .unwrap()
            .into_iter()
            .map(|j| j.board_serial)
            .collect::<Vec<_>>()
    };
    assert_eq!(found("2012345", ""), ["1654922012345"]);
    assert_eq!(found("deep", ""), ["1654922012345"]);
    assert_eq!(found("RV-2026-000002", ""), ["1654922099999"]);
    assert_eq!(found("100%_", ""), ["1654922099999"]);
    assert_eq!(found("9%", ""), Vec::<String>::new());
    assert_eq!(found("", "diagnosing"), ["1654922012345"]);
    let all = jobs.list(&JobQuery::default()).unwrap();
    assert!(all.iter().all(|job| job.open), "intake and diagnosing are open");
    let second = all.iter().find(|job| job.board_serial == "1654922099999").unwrap().id;
    jobs.change_status(second, &change("scrapped", "Burnt beyond repair"), TECH).unwrap();
    let scrapped = jobs.list(&JobQuery { text: "099999".into(), status: String::new() }).unwrap();
    assert!(!scrapped[0].open, "a scrapped job is closed");
    assert_eq!(found("", ""), ["1654922099999", "1654922012345"]);
    assert!(matches!(
        jobs.list(&JobQuery { text: String::new(), status: "fixed".into() }).unwrap_err(),
        CoreError::Invalid { field: Field::Status, problem: Problem::Unknown }
    ));
}

#[test]
fn status_moves_are_checked_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = Jobs::new(&store).unwrap();
    let job = jobs.intake(&form("SN1", "Acme"), TECH).unwrap();

    assert!(matches!(
        jobs.change_status(job.id, &change("ready", ""), TECH).unwrap_err(),
        CoreError::IllegalTransition { .. }
    ));
    assert_eq!(job_count(&store), (1, 1));

    jobs.change_status(job.id, &change("diagnosing", ""), TECH).unwrap();
    assert!(matches!(
        jobs.change_status(job.id, &change("on_hold", "  "), TECH).unwrap_err(),
        CoreError::Invalid { field: Field::Reason, problem: Problem::Empty }
    ));
    let held = jobs.change_status(job.id, &change("on_hold", "Customer unreachable"), "Zhang Min").unwrap();
    assert_eq!(held.held_from, Some(Status::Diagnosing));
    assert_eq!(held.next.first().map(|n| n.status), Some(Status::Diagnosing));
    let resumed = jobs.change_status(job.id, &change("diagnosing", ""), TECH).unwrap();

    let moves: Vec<_> = resumed
        .events
        .iter()
        .skip(1)
        .map(|e| match &e.event {
            Event::StatusChanged { to, reason, .. } => (e.actor.as_str(), *to, reason.as_deref()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        moves,
        [
            (TECH, Status::Diagnosing, None),
            ("Zhang Min", Status::OnHold, Some("Customer unreachable")),
            (TECH, Status::Diagnosing, None)
        ]
    );
    assert!(matches!(jobs.change_status(999, &change("diagnosing", ""), TECH), Err(CoreError::JobNotFound(999))));
}

#[test]
fn the_event_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    Jobs::new(&store).unwrap().intake(&form("SN1", "Acme"), TECH).unwrap();
    let tamper = |sql: &'static str| store.write(|tx, _| Ok(tx.execute(sql, [])?));
    assert!(tamper("UPDATE job_events SET actor = 'nobody'").is_err());
    assert!(tamper("DELETE FROM job_events").is_err());
    assert_eq!(job_count(&store), (1, 1));
}

#[test]
fn a_corrupted_row_is_a_storage_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = Jobs::new(&store).unwrap();
    let job = jobs.intake(&form("SN1", "Acme"), TECH).unwrap();
    store.write(|tx, _| Ok(tx.execute("UPDATE jobs SET condition_flags = '[\"on_fire\"]'", [])?)).unwrap();
    assert!(matches!(jobs.get(job.id), Err(CoreError::Storage(_))));
    store.write(|tx, _| Ok(tx.execute("UPDATE jobs SET condition_flags = '[]', status = 'exploded'", [])?)).unwrap();
    assert!(matches!(jobs.get(job.id), Err(CoreError::Storage(_))));
    assert!(jobs.list(&JobQuery::default()).is_err());
}

#[test]
fn a_fresh_bench_enrolls_its_first_technician_with_the_first_intake() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DATABASE_FILE), OffsetDateTime::now_utc).unwrap();
    let jobs = Jobs::new(&store).unwrap();
    assert!(matches!(
        jobs.intake(&form("SN1", "Acme"), "  ").unwrap_err(),
        CoreError::Invalid { field: Field::Technician, problem: Problem::Empty }
    ));
    assert_eq!(Settings::load(&store).unwrap().technicians, Vec::<String>::new());

    jobs.intake(&form("SN1", "Acme"), " Wang Fang ").unwrap();
    let settings = Settings::load(&store).unwrap();
    assert_eq!(settings.technicians, ["Wang Fang"]);
    assert_eq!(settings.current_technician.as_deref(), Some("Wang Fang"));
    assert!(jobs.intake(&form("SN2", "Acme"), "Passer-by").is_err());
    assert_eq!(job_count(&store).0, 1);
}

#[test]
fn intake_finds_the_open_jobs_of_a_serial_typed_in_any_width() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = Jobs::new(&store).unwrap();
    assert!(jobs.open_for_serial("1654922012345").unwrap().is_empty());
    let first = jobs.intake(&form("1654922012345", "深圳华强北 王芳"), TECH).unwrap();
    let closed = jobs.intake(&form("1654922012345", "José García"), TECH).unwrap();
    jobs.change_status(closed.id, &change("scrapped", "PCB burnt through"), TECH).unwrap();
    jobs.intake(&form("1654922099999", "Other"), TECH).unwrap();

    // From a Chinese keyboard in full-width mode, the same serial.
    let open = jobs.open_for_serial("１６５４９２２０１２３４５").unwrap();
    assert_eq!(open.iter().map(|j| j.ticket.as_str()).collect::<Vec<_>>(), [first.ticket.as_str()]);
    assert_eq!(open[0].customer_name, "深圳华强北 王芳");
    // Half a serial, or one that cannot be a serial, has none (and is no error while typing).
    assert!(jobs.open_for_serial("165492201234").unwrap().is_empty());
    assert!(jobs.open_for_serial("16549 22012345").unwrap().is_empty());
    // A second job is still possible: intake warns, it does not refuse.
    let second = jobs.intake(&form("１６５４９２２０１２３４５", "深圳华强北 王芳"), TECH).unwrap();
    assert_eq!(second.board_serial, "1654922012345");
    assert_eq!(jobs.open_for_serial("1654922012345").unwrap().len(), 2);
}
