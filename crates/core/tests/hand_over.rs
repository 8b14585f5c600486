//! A job moves whole between two benches' stores: every row of its record, its photos' entries,
//! its certificates with their signatures, and its log linked into the taking bench's chain with
//! the hand-over written in it. The bench it left keeps a copy that follows the new holder's
//! record and refuses every change; a copy that went apart is refused whole, never overwritten.

use crate::common::{hold_bench, open_shop, repaired_job, seat, take_in_h100, tech};
use revive_core::certificates::{CertificateLanguage, RevocationReason};
use revive_core::jobs::costs::{LaborAdjustmentForm, PartForm};
use revive_core::jobs::events::Event;
use revive_core::jobs::StatusChange;
use revive_core::shop::holding::{Away, AwayReason, Taken};
use revive_core::shop::link::{ShopKey, ShopLinkForm};
use revive_core::shop::record::{JobRows, Row};
use revive_core::workshop::Workshop;
use revive_core::CoreError;
use serde_json::Value;

fn kinds(record: &JobRows) -> Vec<String> {
    record.events.iter().map(|event: &Row| event["kind"].as_str().unwrap().to_owned()).collect()
}

/// A repaired, certified H100 with parts, labour, photos, a superseded and a revoked certificate,
/// on bench A, Li Wei and Zhang Min at work.
fn worked_job(dir: &std::path::Path) -> (Workshop, i64) {
    let (shop, job) = repaired_job(dir);
    let by = tech(&shop);
    let part = PartForm {
        part_number: "TDA21490".into(),
        description: "功率级".into(),
        quantity: "２".into(),
        unit_cost: "85.50".into(),
    };
    shop.costs().add_part(job, &part, &by).unwrap();
    shop.costs()
        .adjust_labor(job, &LaborAdjustmentForm { minutes: "３０".into(), reason: "返工".into() }, &by)
        .unwrap();
    let first = shop.certificates().issue(job, 90, CertificateLanguage::Both, &by).unwrap();
    shop.certificates().issue(job, 180, CertificateLanguage::Both, &by).unwrap();
    shop.certificates().revoke(&first.number, RevocationReason::IssuedInError, "写错了保修期", &by).unwrap();
    (shop, job)
}

#[test]
fn a_job_moves_whole_to_another_bench_and_back_and_its_log_holds_on_both() {
    let _bench = hold_bench();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, job) = worked_job(a_dir.path());
    let key = ShopKey { bench: "bench-a".into(), job_id: job };
    let on_a = a.holding().record(job).unwrap();
    assert!(!on_a.diagnostic_runs.is_empty() && !on_a.run_telemetry.is_empty() && !on_a.stress_runs.is_empty());
    assert!(!on_a.step_results.is_empty() && on_a.attachments.len() == 2 && on_a.certificates.len() == 2);
    assert_eq!((on_a.parts.len(), on_a.labor_adjustments.len(), on_a.revocations.len()), (1, 1, 1));

    // 王芳 takes it over on bench B, which numbers with its code and has a job of its own already.
    let b = open_shop(b_dir.path());
    let link = ShopLinkForm {
        connection: "host=/run/postgresql dbname=revive user=revive".into(),
        bench: "bench-b".into(),
        code: "ｂ".into(),
        password: String::new(),
    };
    b.shop_link().save(&link).unwrap();
    b.shop_link().confirm_code("B").unwrap();
    take_in_h100(&b);
    let wang = seat(&b, "王芳");
    let taken = Taken { from: "bench-a".into(), version: 40, record: on_a.clone() };
    let here = b.holding().take(&key, "bench-b", &taken, Some(&wang)).unwrap();
    assert_ne!(here, job, "B numbers it after its own job");
    let on_b = b.holding().record(here).unwrap();
    let expected = on_a.comparable();
    let handed = on_b.events.last().unwrap();
    assert_eq!((handed["kind"].as_str(), handed["actor"].as_str()), (Some("handed_over"), Some("王芳")));
    let detail: Value = serde_json::from_str(handed["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["from"], "bench-a");
    assert_eq!(detail["events"], on_a.events.len());
    assert_eq!(detail["chain_head"].as_str(), on_a.chain_head.as_deref(), "A's last link is written into B's log");
    let mut on_b_before_hand_over = on_b.comparable();
    on_b_before_hand_over["events"].as_array_mut().unwrap().pop();
    assert_eq!(on_b_before_hand_over, expected, "every row of the record arrives as it was");
    assert_eq!(b.audit().unwrap().broken, None, "B's chain holds with the events it took in");
    let job_on_b = b.jobs().get(here).unwrap();
    let job_on_a = a.jobs().get(job).unwrap();
    assert_eq!((job_on_b.ticket.as_str(), job_on_b.status), (job_on_a.ticket.as_str(), job_on_a.status));
    assert!(matches!(
        job_on_b.events.last().map(|e| &e.event),
        Some(Event::HandedOver { from, .. }) if from == "bench-a"
    ));
    // Events name B's own runs.
    let runs_on_b = b.diagnostics().for_job(here).unwrap();
    for event in &job_on_b.events {
        if let Event::DiagnosticRecorded { run, .. } = &event.event {
            assert!(runs_on_b.runs.iter().any(|r| r.id == *run), "run {run} is B's");
        }
    }

    // Meanwhile A's copy follows B's record and changes no more.
    b.photos().attach(here, b"\x89PNG\r\n\x1a\n returned in its bag", &wang).unwrap();
    let on_b = b.holding().record(here).unwrap();
    a.holding().follow(job, &on_b, 42, "bench-b").unwrap();
    assert_eq!(a.holding().record(job).unwrap().comparable(), on_b.comparable(), "A's copy is B's record");
    assert_eq!(a.audit().unwrap().broken, None);
    let away = a.holding().away(job).unwrap().map(|away| (away.reason, away.holder));
    assert_eq!(away, Some((AwayReason::Taken, "bench-b".into())));
    let by = tech(&a);
    let current = on_b.certificates.iter().find(|c| c["superseded_by"].is_null()).unwrap()["number"].as_str().unwrap();
    let returned = StatusChange { to: "returned".into(), reason: "客户取件".into() };
    let refused = [
        a.jobs().change_status(job, &returned, &by).err(),
        a.photos().attach(job, b"\x89PNG\r\n\x1a\n away", &by).err(),
        a.certificates().revoke(current, RevocationReason::ReturnedFaulty, "", &by).err(),
    ];
    for error in refused {
        assert!(matches!(error, Some(CoreError::JobHeldElsewhere)), "{error:?}");
    }
    assert_eq!(a.outbox().waiting().unwrap(), 0, "a job held elsewhere waits for nothing");

    // Back to A: the copy it kept is brought up to B's record and the hand-over logged.
    let back = Taken { from: "bench-b".into(), version: 43, record: on_b.clone() };
    assert_eq!(a.holding().take(&key, "bench-a", &back, Some(&by)).unwrap(), job, "A's own job again");
    assert_eq!(a.holding().away(job).unwrap(), None::<Away>);
    assert_eq!(kinds(&a.holding().record(job).unwrap()).iter().filter(|k| *k == "handed_over").count(), 2);
    a.jobs().change_status(job, &returned, &by).unwrap();
    assert_eq!(a.audit().unwrap().broken, None);
}

#[test]
fn a_copy_that_went_apart_or_a_ticket_in_use_is_refused_and_nothing_is_written() {
    let _bench = hold_bench();
    let (a_dir, b_dir, c_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open_shop(a_dir.path());
    let job = take_in_h100(&a);
    let key = ShopKey { bench: "bench-a".into(), job_id: job };
    let b = open_shop(b_dir.path());
    let taken = Taken { from: "bench-a".into(), version: 3, record: a.holding().record(job).unwrap() };
    let here = b.holding().take(&key, "bench-b", &taken, Some(&tech(&b))).unwrap();

    // A went on while apart; B's record no longer starts where A's copy is.
    let by = tech(&a);
    a.costs()
        .adjust_labor(job, &LaborAdjustmentForm { minutes: "１５".into(), reason: "José 返工".into() }, &by)
        .unwrap();
    let before = a.holding().record(job).unwrap();
    let on_b = b.holding().record(here).unwrap();
    assert!(matches!(a.holding().follow(job, &on_b, 5, "bench-b"), Err(CoreError::RecordDiverged(_))));
    assert_eq!(a.holding().record(job).unwrap(), before, "nothing of B's record was written");
    assert_eq!(a.holding().away(job).unwrap(), None, "and the job still changes on A");

    // Set aside, the copy keeps its record under another number, so the shop's can come back.
    a.holding().freeze(job, AwayReason::SetAside, "bench-b").unwrap();
    let aside = a.jobs().get(job).unwrap();
    assert_eq!(aside.ticket, format!("{}~1", before.job["ticket"].as_str().unwrap()));
    assert_eq!(a.holding().copy_of(&key, "bench-a").unwrap(), None, "a copy set aside is no copy of the shop's job");
    let back = Taken { from: "bench-b".into(), version: 6, record: on_b };
    let again = a.holding().take(&key, "bench-a", &back, None).unwrap();
    assert_ne!(again, job);
    assert_eq!(a.audit().unwrap().broken, None);

    // A bench whose own job already has the number refuses the record whole.
    let c = open_shop(c_dir.path());
    take_in_h100(&c);
    let jobs_before = c.history().count(&Default::default()).unwrap();
    assert!(matches!(c.holding().take(&key, "bench-c", &taken, Some(&tech(&c))), Err(CoreError::TicketTaken(_))));
    assert_eq!(c.history().count(&Default::default()).unwrap(), jobs_before);
}
