//! Every change to a job queues it for the shop server in the same transaction, whichever part of
//! the record it touched; an action that fails queues nothing; a version the server has is never
//! marked back.

use crate::common::{open_shop, take_in_h100, tech};
use revive_core::jobs::costs::{LaborAdjustmentForm, PartForm};
use revive_core::jobs::StatusChange;
use revive_core::workshop::Workshop;

fn version(shop: &Workshop, job: i64) -> i64 {
    shop.store()
        .read(|tx| Ok(tx.query_row("SELECT version FROM sync_versions WHERE job_id = ?1", [job], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn each_kind_of_change_counts_up_the_jobs_version_and_a_failed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let other = take_in_h100(&shop);
    assert_eq!(shop.outbox().waiting().unwrap(), 2);
    for record in shop.outbox().next(10, "bench-1").unwrap() {
        assert!(record.document.contains(&record.ticket));
        shop.outbox().pushed(record.job_id, record.version).unwrap();
    }
    assert_eq!(shop.outbox().waiting().unwrap(), 0);

    let by = tech(&shop);
    let mut seen = version(&shop, job);
    let mut changed = |what: &str| {
        let now = version(&shop, job);
        assert!(now > seen, "{what} did not count up the version ({seen} → {now})");
        seen = now;
    };
    shop.jobs().change_status(job, &StatusChange { to: "diagnosing".into(), reason: String::new() }, &by).unwrap();
    changed("a status change");
    let part = PartForm {
        part_number: "TDA21490".into(),
        description: "功率级".into(),
        quantity: "２".into(),
        unit_cost: "85.50".into(),
    };
    let costs = shop.costs().add_part(job, &part, &by).unwrap();
    changed("a part added");
    shop.costs().remove_part(job, costs.parts[0].id, &by).unwrap();
    changed("a part removed");
    shop.costs()
        .adjust_labor(job, &LaborAdjustmentForm { minutes: "３０".into(), reason: "返工".into() }, &by)
        .unwrap();
    changed("labour adjusted");
    shop.photos().attach(job, b"\x89PNG\r\n\x1a\n outbox", &by).unwrap();
    changed("a photo");
    shop.procedure_runs().start(job, "hbm-triage", &by).unwrap();
    changed("a procedure started");

    // A move the flow does not allow writes nothing, so queues nothing.
    let before = version(&shop, job);
    assert!(shop
        .jobs()
        .change_status(job, &StatusChange { to: "returned".into(), reason: String::new() }, &by)
        .is_err());
    assert_eq!(version(&shop, job), before);
    assert_eq!(shop.outbox().waiting().unwrap(), 1, "only the job that changed waits");

    // A late answer about an older version never marks a newer one pushed.
    shop.outbox().pushed(job, before).unwrap();
    shop.outbox().pushed(job, 1).unwrap();
    assert_eq!(shop.outbox().waiting().unwrap(), 0);
    let _ = other;
}
