//! Recording what the bench read to a job, and what a repair changed between runs.

use crate::common;

use crate::common::{open, open_shop, take_in_h100, tech};
use revive_core::bench::BenchSnapshot;
use revive_core::bench::{GpuProvider, GpuReading};
use revive_core::diagnostics::runs::{ReadingValue, RunEvidence};
use revive_core::diagnostics::EvidenceValue;
use revive_core::jobs::events::Event;
use revive_core::jobs::JobQuery;
use revive_core::{CoreError, Field, Problem};

fn evidence<'a>(snapshot: &'a BenchSnapshot, gpu_index: u32, scenario: Option<&'a str>) -> RunEvidence<'a> {
    RunEvidence { snapshot, gpu_index, scenario, telemetry: &[], xid_findings: Vec::new() }
}

#[test]
fn a_run_keeps_the_reading_its_findings_and_that_it_was_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);
    let _bench = common::hold_bench();

    let before = open("h100-remap-pending").unwrap().snapshot().unwrap();
    let run = shop
        .diagnostics()
        .record(job_id, &evidence(&before, 0, Some("h100-remap-pending")), None, &tech(&shop))
        .unwrap();
    assert!(run.simulated);
    assert_eq!(run.scenario.as_deref(), Some("h100-remap-pending"));
    let GpuReading::Present { health, .. } = &run.reading else { panic!("{:?}", run.reading) };
    assert_eq!(health.remapped_rows.as_ref().map(|rows| rows.pending), Some(true));
    let codes: Vec<&str> = run.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"remap_pending"), "{codes:?}");

    // After the reset: the row is remapped, the lifetime counters stay.
    let after = open("h100-remap-reset").unwrap().snapshot().unwrap();
    shop.diagnostics().record(job_id, &evidence(&after, 0, Some("h100-remap-reset")), None, &tech(&shop)).unwrap();
    let diagnostics = shop.diagnostics().for_job(job_id).unwrap();
    assert_eq!(diagnostics.runs.len(), 2);
    let comparison = diagnostics.comparison.unwrap();
    assert!(comparison.cleared.contains(&"remap_pending".to_owned()));
    assert_eq!(comparison.persisting, ["ecc_aggregate_uncorrected"], "a lifetime count is no fault to clear");
    assert_eq!(comparison.new.len(), 0);
    let changed: Vec<(&str, Option<ReadingValue>, Option<ReadingValue>)> =
        comparison.changes.iter().map(|c| (c.reading, c.before.clone(), c.after.clone())).collect();
    let (flag, number) = (|v| Some(ReadingValue::Flag(v)), |v| Some(ReadingValue::Number(v)));
    assert!(changed.contains(&("remap_pending", flag(true), flag(false))), "{changed:?}");
    assert!(changed.contains(&("ecc_volatile_uncorrected", number(1.0), number(0.0))), "{changed:?}");
    assert!(!changed.iter().any(|(reading, _, _)| *reading == "serial"), "same card, same serial");

    let job = shop.jobs().get(job_id).unwrap();
    let kinds: Vec<String> = job.events.iter().map(|e| e.event.to_columns().unwrap().0).collect();
    assert_eq!(kinds, ["created", "diagnostic_recorded", "diagnostic_recorded"]);
    assert!(matches!(job.events[1].event, Event::DiagnosticRecorded { simulated: true, .. }));
}

#[test]
fn a_lifetime_counter_that_goes_down_is_critical_never_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);
    let _bench = common::hold_bench();
    let intake = open("h100-remap-pending").unwrap().snapshot().unwrap();
    shop.diagnostics().record(job_id, &evidence(&intake, 0, None), None, &tech(&shop)).unwrap();
    // The "release" reading of a card whose InfoROM was wiped (or of another card): ECC 1 → 0.
    let wiped = open("h100-healthy").unwrap().snapshot().unwrap();
    let run = shop.diagnostics().record(job_id, &evidence(&wiped, 0, None), None, &tech(&shop)).unwrap();
    let regression = run.findings.iter().find(|f| f.code == "lifetime_counter_decreased").expect("a regression");
    assert_eq!(regression.severity, revive_core::diagnostics::Severity::Critical);
    assert_eq!(
        regression.evidence["counters"],
        EvidenceValue::Texts(vec!["ecc_aggregate_uncorrected".into(), "remapped_rows_uncorrectable".into()])
    );
    assert_eq!(regression.evidence["earlier"], EvidenceValue::Counts(vec![1, 1]));
    assert_eq!(regression.evidence["now"], EvidenceValue::Counts(vec![0, 0]));
    let comparison = shop.diagnostics().for_job(job_id).unwrap().comparison.unwrap();
    assert!(comparison.new.contains(&"lifetime_counter_decreased".to_owned()));
    assert_eq!(comparison.cleared, Vec::<String>::new(), "nothing counts as fixed on a wiped or swapped card");
}

#[test]
fn a_run_is_judged_against_the_gpu_the_job_took_in() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);
    let _bench = common::hold_bench();
    // The job took in an H100; an H20, another card with another serial, is in the bench. Picked
    // from the list by mistake, it is refused and nothing is filed under this customer's job.
    let snapshot = open("h20-healthy").unwrap().snapshot().unwrap();
    let reading = evidence(&snapshot, 0, Some("h20-healthy"));
    match shop.diagnostics().record(job_id, &reading, None, &tech(&shop)).unwrap_err() {
        CoreError::CardMismatch { job, bench } => {
            assert_eq!((job.as_str(), bench.as_str()), ("1654922012345", "1655023098765"))
        }
        other => panic!("{other}"),
    }
    assert!(shop.diagnostics().for_job(job_id).unwrap().runs.is_empty());
    assert!(matches!(
        shop.diagnostics().record(job_id, &reading, Some("  "), &tech(&shop)).unwrap_err(),
        CoreError::Invalid { field: Field::Reason, problem: Problem::Empty }
    ));
    // Said why, it is recorded, judged against the job's model and card (another serial: a critical
    // identity finding no certificate passes without an approver), and the log keeps the reason.
    let why = "客户说序列号标签贴错了，板上是 H20";
    let run = shop.diagnostics().record(job_id, &reading, Some(why), &tech(&shop)).unwrap();
    let codes: Vec<&str> = run.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["identity_mismatch", "model_mismatch"]);
    let identity = shop.diagnostics().for_job(job_id).unwrap().identity.expect("the job page warns");
    assert_eq!((identity.findings, identity.approval), (vec!["identity_mismatch".to_owned()], None));
    let job = shop.jobs().get(job_id).unwrap();
    assert!(matches!(
        &job.events.last().unwrap().event,
        Event::DiagnosticRecorded { card_mismatch_reason: Some(reason), .. } if reason == why
    ));
}

#[test]
fn bad_requests_record_nothing_and_runs_never_change() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);
    let _bench = common::hold_bench();
    let snapshot = open("h100-healthy").unwrap().snapshot().unwrap();
    assert!(matches!(
        shop.diagnostics().record(job_id, &evidence(&snapshot, 3, None), None, &tech(&shop)).unwrap_err(),
        CoreError::Invalid { field: Field::GpuIndex, problem: Problem::Unknown }
    ));
    assert!(matches!(
        shop.diagnostics().record(999, &evidence(&snapshot, 0, None), None, &tech(&shop)),
        Err(CoreError::JobNotFound(999))
    ));
    assert_eq!(shop.diagnostics().for_job(job_id).unwrap().runs.len(), 0);

    let mut real = snapshot.clone();
    real.simulated = false;
    let run = shop.diagnostics().record(job_id, &evidence(&real, 0, Some("h100-healthy")), None, &tech(&shop)).unwrap();
    assert_eq!(run.scenario, None, "a real reading never carries a scenario");
    let tamper = shop.store().write(|tx, _| Ok(tx.execute("UPDATE diagnostic_runs SET simulated = 0", [])?));
    assert!(tamper.is_err());
    assert_eq!(shop.jobs().list(&JobQuery::default()).unwrap().len(), 1);
}
