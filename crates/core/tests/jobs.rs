//! The job service against a real store on disk: intake, tickets, search, status flow, timeline.

use crate::common::{seat, tech, TECH};
use revive_core::jobs::events::Event;
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::status::Status;
use revive_core::jobs::{JobQuery, StatusChange};
use revive_core::paths::Shipped;
use revive_core::settings::SettingsForm;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, Problem};
use time::macros::datetime;
use time::OffsetDateTime;

fn store_at(dir: &std::path::Path, clock: fn() -> OffsetDateTime) -> Workshop {
    let shop = Workshop::open_with_clock(dir, Shipped::resolve(None), clock).unwrap();
    let settings = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    shop.save_settings(&settings).unwrap();
    shop
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

fn job_count(shop: &Workshop) -> (i64, i64) {
    shop.store()
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
    let shop = store_at(dir.path(), || datetime!(2026-12-31 23:59 UTC));
    {
        let jobs = shop.jobs();
        assert_eq!(jobs.intake(&form("SN1", "Acme"), &tech(&shop)).unwrap().ticket, "RV-2026-000001");
        assert_eq!(jobs.intake(&form("SN2", "Acme"), &tech(&shop)).unwrap().ticket, "RV-2026-000002");
    }
    drop(shop);

    let shop = store_at(dir.path(), || datetime!(2027-01-01 00:01 UTC));
    let jobs = shop.jobs();
    assert_eq!(jobs.intake(&form("SN3", "Acme"), &tech(&shop)).unwrap().ticket, "RV-2027-000001");
}

#[test]
fn intake_records_everything_and_logs_who_created_it() {
    let dir = tempfile::tempdir().unwrap();
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = shop.jobs();
    let job = jobs.intake(&form("1654922012345", "Deep Compute"), &tech(&shop)).unwrap();
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
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = shop.jobs();
    let mut bad = form("   ", "Acme");
    assert!(matches!(
        jobs.intake(&bad, &tech(&shop)).unwrap_err(),
        CoreError::Invalid { field: Field::BoardSerial, problem: Problem::Empty }
    ));
    bad.board_serial = "SN1".into();
    bad.condition_note = "n".repeat(1 << 20);
    assert!(jobs.intake(&bad, &tech(&shop)).is_err());
    // Zhang Min starts to take a card in, and is removed from the shop before it is stored.
    let leaving = seat(&shop, "Zhang Min");
    let remaining = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    shop.save_settings(&remaining).unwrap();
    assert!(matches!(
        jobs.intake(&form("SN1", "Acme"), &leaving).unwrap_err(),
        CoreError::Invalid { field: Field::Technician, problem: Problem::Unknown }
    ));
    // A name of invisible characters, or one that would read backwards, is no name.
    for customer in ["\u{200B}\u{200B}", "\u{FEFF} \u{3164}", "王芳\u{202E}司公限有"] {
        let error = jobs.intake(&form("SN1", customer), &tech(&shop)).unwrap_err();
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
    assert_eq!(job_count(&shop), (0, 0));
    // A refused intake does not burn a ticket number.
    assert_eq!(jobs.intake(&form("SN1", "Acme"), &tech(&shop)).unwrap().ticket[8..], *"000001");
}

#[test]
fn search_finds_by_ticket_serial_or_customer_and_filters_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let shop = store_at(dir.path(), || datetime!(2026-11-28 10:00 UTC));
    let jobs = shop.jobs();
    let first = jobs.intake(&form("1654922012345", "Deep Compute"), &tech(&shop)).unwrap();
    jobs.intake(&form("1654922099999", "Cloud 100%_Ltd"), &tech(&shop)).unwrap();
    jobs.change_status(first.id, &change("diagnosing", ""), &tech(&shop)).unwrap();

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
    jobs.change_status(second, &change("scrapped", "Burnt beyond repair"), &tech(&shop)).unwrap();
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
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = shop.jobs();
    let job = jobs.intake(&form("SN1", "Acme"), &tech(&shop)).unwrap();

    assert!(matches!(
        jobs.change_status(job.id, &change("ready", ""), &tech(&shop)).unwrap_err(),
        CoreError::IllegalTransition { .. }
    ));
    assert_eq!(job_count(&shop), (1, 1));

    jobs.change_status(job.id, &change("diagnosing", ""), &tech(&shop)).unwrap();
    assert!(matches!(
        jobs.change_status(job.id, &change("on_hold", "  "), &tech(&shop)).unwrap_err(),
        CoreError::Invalid { field: Field::Reason, problem: Problem::Empty }
    ));
    let held =
        jobs.change_status(job.id, &change("on_hold", "Customer unreachable"), &seat(&shop, "Zhang Min")).unwrap();
    assert_eq!(held.held_from, Some(Status::Diagnosing));
    assert_eq!(held.next.first().map(|n| n.status), Some(Status::Diagnosing));
    let resumed = jobs.change_status(job.id, &change("diagnosing", ""), &seat(&shop, TECH)).unwrap();

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
    assert!(matches!(
        jobs.change_status(999, &change("diagnosing", ""), &tech(&shop)),
        Err(CoreError::JobNotFound(999))
    ));
}

#[test]
fn the_event_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    shop.jobs().intake(&form("SN1", "Acme"), &tech(&shop)).unwrap();
    let tamper = |sql: &'static str| shop.store().write(|tx, _| Ok(tx.execute(sql, [])?));
    assert!(tamper("UPDATE job_events SET actor = 'nobody'").is_err());
    assert!(tamper("DELETE FROM job_events").is_err());
    assert_eq!(job_count(&shop), (1, 1));
}

#[test]
fn a_corrupted_row_is_a_storage_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = shop.jobs();
    let job = jobs.intake(&form("SN1", "Acme"), &tech(&shop)).unwrap();
    shop.store().write(|tx, _| Ok(tx.execute("UPDATE jobs SET condition_flags = '[\"on_fire\"]'", [])?)).unwrap();
    assert!(matches!(jobs.get(job.id), Err(CoreError::Storage(_))));
    shop.store()
        .write(|tx, _| Ok(tx.execute("UPDATE jobs SET condition_flags = '[]', status = 'exploded'", [])?))
        .unwrap();
    assert!(matches!(jobs.get(job.id), Err(CoreError::Storage(_))));
    assert!(jobs.list(&JobQuery::default()).is_err());
}

#[test]
fn a_fresh_bench_enrolls_its_first_technician_with_the_first_intake() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
    let jobs = shop.jobs();
    assert!(matches!(
        shop.technician_or_first("  ").unwrap_err(),
        CoreError::Invalid { field: Field::Technician, problem: Problem::Empty }
    ));
    assert!(matches!(
        shop.technician().unwrap_err(),
        CoreError::Invalid { field: Field::Technician, problem: Problem::Empty }
    ));
    assert_eq!(shop.settings().unwrap().technicians, Vec::<String>::new());

    let first = shop.technician_or_first(" 王芳 ").unwrap();
    assert_eq!(shop.settings().unwrap().technicians, Vec::<String>::new(), "enrolled by the action, not before");
    jobs.intake(&form("SN1", "Acme"), &first).unwrap();
    let settings = shop.settings().unwrap();
    assert_eq!(settings.technicians, ["王芳"]);
    assert_eq!(settings.current_technician.as_deref(), Some("王芳"));
    // Once someone is enrolled, a name typed at intake acts as nobody: the bench's technician acts.
    assert_eq!(shop.technician_or_first("Passer-by").unwrap().name(), "王芳");
    assert_eq!(job_count(&shop).0, 1);
}

#[test]
fn intake_finds_the_open_jobs_of_a_serial_typed_in_any_width() {
    let dir = tempfile::tempdir().unwrap();
    let shop = store_at(dir.path(), OffsetDateTime::now_utc);
    let jobs = shop.jobs();
    assert!(jobs.open_for_serial("1654922012345").unwrap().is_empty());
    let first = jobs.intake(&form("1654922012345", "深圳华强北 王芳"), &tech(&shop)).unwrap();
    let closed = jobs.intake(&form("1654922012345", "José García"), &tech(&shop)).unwrap();
    jobs.change_status(closed.id, &change("scrapped", "PCB burnt through"), &tech(&shop)).unwrap();
    jobs.intake(&form("1654922099999", "Other"), &tech(&shop)).unwrap();

    // From a Chinese keyboard in full-width mode, the same serial.
    let open = jobs.open_for_serial("１６５４９２２０１２３４５").unwrap();
    assert_eq!(open.iter().map(|j| j.ticket.as_str()).collect::<Vec<_>>(), [first.ticket.as_str()]);
    assert_eq!(open[0].customer_name, "深圳华强北 王芳");
    // Half a serial, or one that cannot be a serial, has none (and is no error while typing).
    assert!(jobs.open_for_serial("165492201234").unwrap().is_empty());
    assert!(jobs.open_for_serial("16549 22012345").unwrap().is_empty());
    // A second job is still possible: intake warns, it does not refuse.
    let second = jobs.intake(&form("１６５４９２２０１２３４５", "深圳华强北 王芳"), &tech(&shop)).unwrap();
    assert_eq!(second.board_serial, "1654922012345");
    assert_eq!(jobs.open_for_serial("1654922012345").unwrap().len(), 2);
}
