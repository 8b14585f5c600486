//! The procedure engine on a real store: gates against diagnostic runs from the fake driver,
//! branches, outcomes, stale answers, approver rules, frozen definitions, labour from step timings.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::{hold_bench, pass_load_tests, record_scenario, signer, take_in_h100, tech, TECH};
use revive_core::jobs::events::Event;
use revive_core::jobs::status::Status;
use revive_core::jobs::StatusChange;
use revive_core::paths::Shipped;
use revive_core::procedures::runs::{self, Answer, CheckResult};
use revive_core::procedures::Outcome;
use revive_core::settings::SettingsForm;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, Problem};
use time::OffsetDateTime;

/// The tests' clock: it moves only when a test says so (tests here run one at a time: hold_bench).
static NOW: AtomicI64 = AtomicI64::new(1_764_300_000);

fn clock() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW.load(Ordering::SeqCst)).unwrap()
}

fn wait(seconds: i64) {
    NOW.fetch_add(seconds, Ordering::SeqCst);
}

fn shop(dir: &Path) -> Workshop {
    Workshop::open_with_clock(dir, Shipped::resolve(None), clock).unwrap()
}

/// Records GPU 0 of `scenario` to the job, as "Record to job" on the Bench does.
fn diagnose(shop: &Workshop, job: i64, scenario: &str) {
    record_scenario(shop, job, scenario, &[]);
}

/// Attaches a tiny PNG (distinct per `tag`) to the job, as the runner's photo step does.
fn photo(shop: &Workshop, job: i64, tag: u8) -> String {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.push(tag);
    shop.photos().attach(job, &png, &tech(shop)).unwrap()
}

fn confirm(shop: &Workshop, run: i64, step: &str) -> Result<runs::RunState, CoreError> {
    shop.procedure_runs().answer(run, step, &Answer::Confirm, "", &tech(shop), None)
}

#[test]
fn hbm_triage_gates_hold_until_the_bench_shows_the_fix() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let job = take_in_h100(&shop);
    let diagnosing = StatusChange { to: "diagnosing".into(), reason: String::new() };
    shop.jobs().change_status(job, &diagnosing, &tech(&shop)).unwrap();
    let run = shop.procedure_runs().start(job, "hbm-triage", &tech(&shop)).unwrap();
    assert_eq!(run.current_step.as_deref(), Some("evidence"));

    // No evidence recorded since the gate was reached: it holds, and nothing is written.
    let closed = confirm(&shop, run.id, "evidence").unwrap_err();
    assert!(matches!(closed, CoreError::GateClosed { ref step } if step == "evidence"), "{closed}");
    assert!(shop.procedure_runs().state(run.id).unwrap().results.is_empty());
    wait(90);
    diagnose(&shop, job, "h100-remap-pending");
    let state = confirm(&shop, run.id, "evidence").unwrap();
    assert_eq!((state.current_step.as_deref(), state.labor_seconds), (Some("reset"), 90));

    confirm(&shop, run.id, "reset").unwrap();
    wait(30);
    diagnose(&shop, job, "h100-remap-pending");
    let held = confirm(&shop, run.id, "reread").unwrap_err();
    // Held by the reading that still shows the pending remap the gate waits to see gone.
    assert!(matches!(held, CoreError::GateClosed { ref step } if step == "reread"), "{held}");
    diagnose(&shop, job, "h100-remap-reset");
    assert_eq!(confirm(&shop, run.id, "reread").unwrap().current_step.as_deref(), Some("remap-failed"));

    // Answering a step twice (a double click, a retry after a crash) is refused, not counted twice.
    assert!(matches!(confirm(&shop, run.id, "reread"), Err(CoreError::StepNotCurrent { .. })));
    assert_eq!(shop.procedure_runs().state(run.id).unwrap().results.len(), 3);

    let check = Answer::Check { result: CheckResult::Pass };
    shop.procedure_runs().answer(run.id, "remap-failed", &check, "", &tech(&shop), None).unwrap();
    // Three new uncorrectable errors: out of range, so the branch to the decision.
    let failed = shop
        .procedure_runs()
        .answer(run.id, "memory-test", &Answer::Measure { value: 3.0 }, "", &tech(&shop), None)
        .unwrap();
    assert_eq!(failed.results.last().unwrap().passed, Some(false));
    assert_eq!(failed.current_step.as_deref(), Some("decide"));
    let done = shop
        .procedure_runs()
        .answer(run.id, "decide", &Answer::Choose { option: "rma".into() }, "HBM stack 3", &tech(&shop), None)
        .unwrap();
    assert_eq!((done.current_step, done.outcome), (None, Some(Outcome::NeedsRma)));
    assert!(matches!(confirm(&shop, run.id, "decide"), Err(CoreError::RunFinished(_))));

    // Needing an RMA moves the job to RMA, with the procedure as the reason.
    let job = shop.jobs().get(job).unwrap();
    assert_eq!(job.status, Status::Rma);
    assert!(job.events.iter().any(|e| matches!(e.event, Event::ProcedureStarted { .. })));
    assert!(job.events.iter().any(|e| matches!(e.event, Event::ProcedureFinished { outcome: Outcome::NeedsRma, .. })));
    assert!(matches!(
        &job.events.last().unwrap().event,
        Event::StatusChanged { to: Status::Rma, reason: Some(reason), .. } if reason == "hbm-triage: needs_rma"
    ));
}

#[test]
fn qc_needs_an_approver_who_did_not_do_the_work() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let job = take_in_h100(&shop);
    let settings = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    shop.save_settings(&settings).unwrap();
    let run = shop.procedure_runs().start(job, "final-qa-burn-in", &tech(&shop)).unwrap();
    pass_load_tests(&shop, job, run.id, 120, false).unwrap();
    shop.procedure_runs()
        .answer(run.id, "bandwidth", &Answer::Measure { value: 1_870_000.0 }, "", &tech(&shop), None)
        .unwrap();
    diagnose(&shop, job, "h100-healthy");
    confirm(&shop, run.id, "release-reading").unwrap();
    let (first, second) = (photo(&shop, job, 1), photo(&shop, job, 2));
    let one_photo = Answer::Photos { hashes: vec![first.clone()] };
    assert!(matches!(
        shop.procedure_runs().answer(run.id, "photos-out", &one_photo, "", &tech(&shop), None).unwrap_err(),
        CoreError::Invalid { field: Field::Photo, problem: Problem::TooFew { min: 2 } }
    ));
    let same_twice = Answer::Photos { hashes: vec![first.clone(), first.clone()] };
    assert!(matches!(
        shop.procedure_runs().answer(run.id, "photos-out", &same_twice, "", &tech(&shop), None).unwrap_err(),
        CoreError::Invalid { field: Field::Photo, problem: Problem::TooFew { min: 2 } }
    ));
    let not_ours = Answer::Photos { hashes: vec![first.clone(), "b".repeat(64)] };
    assert!(matches!(
        shop.procedure_runs().answer(run.id, "photos-out", &not_ours, "", &tech(&shop), None).unwrap_err(),
        CoreError::Invalid { field: Field::Photo, problem: Problem::Unknown }
    ));
    let photos = Answer::Photos { hashes: vec![first, second] };
    shop.procedure_runs().answer(run.id, "photos-out", &photos, "", &tech(&shop), None).unwrap();
    // A sign-off without a signature is refused; the name at the bench does not sign.
    assert!(matches!(
        confirm(&shop, run.id, "technician-qc").unwrap_err(),
        CoreError::Invalid { field: Field::Pin, problem: Problem::Empty }
    ));
    let sign = |step: &str, name: &str| {
        shop.procedure_runs().answer(run.id, step, &Answer::Confirm, "", &tech(&shop), Some(&signer(&shop, name)))
    };
    sign("technician-qc", TECH).unwrap();
    assert!(matches!(sign("approver-qc", TECH), Err(CoreError::ApproverDidTheWork)));
    // Zhang Min approves at Li Wei's bench with her own PIN; the bench keeps its technician.
    let approved = sign("approver-qc", "Zhang Min").unwrap();
    assert_eq!(shop.technician().unwrap().name(), TECH);
    assert_eq!(approved.outcome, Some(Outcome::Repaired));
    assert_eq!(approved.results.last().unwrap().actor, "Zhang Min");
    // Passed final QA on a job nobody moved: it was diagnosed, repaired, burnt in and checked, so it
    // goes on to Ready through each of those, every move logged with the run as its cause.
    let job = shop.jobs().get(job).unwrap();
    assert_eq!(job.status, Status::Ready);
    let implied: Vec<(Status, &str)> = job
        .events
        .iter()
        .filter_map(|e| match e.event {
            Event::StatusChanged { to, run: Some(by), .. } if by == run.id => Some((to, e.actor.as_str())),
            _ => None,
        })
        .collect();
    let walked =
        [Status::Diagnosing, Status::AwaitingApproval, Status::Repairing, Status::BurnIn, Status::Qc, Status::Ready];
    assert_eq!(implied, walked.map(|status| (status, "Zhang Min")));
    assert!(job.events.iter().all(|e| !matches!(e.event, Event::ProcedureStatusNotMoved { .. })));
}

#[test]
fn a_job_on_hold_is_not_moved_by_finished_work() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let job = take_in_h100(&shop);
    let hold = StatusChange { to: "on_hold".into(), reason: "客户未确认报价".into() };
    shop.jobs().change_status(job, &hold, &tech(&shop)).unwrap();
    // A failed stress test ends final QA as "needs RMA"; only a person takes a held job anywhere.
    let run = shop.procedure_runs().start(job, "final-qa-burn-in", &tech(&shop)).unwrap();
    let fail = Answer::Check { result: CheckResult::Fail };
    let ended = shop.procedure_runs().answer(run.id, "load-tests", &fail, "", &tech(&shop), None).unwrap();
    assert_eq!(ended.outcome, Some(Outcome::NeedsRma));
    let job = shop.jobs().get(job).unwrap();
    assert_eq!(job.status, Status::OnHold);
    assert!(matches!(
        job.events.last().unwrap().event,
        Event::ProcedureStatusNotMoved { wanted: Status::Rma, from: Status::OnHold, .. }
    ));
}

#[test]
fn final_qa_judges_memory_bandwidth_against_the_cards_own_model() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let take_in = |model: &str, serial: &str| {
        let form = revive_core::jobs::intake::IntakeForm {
            customer_name: "深圳算力".into(),
            model_id: model.into(),
            board_serial: serial.into(),
            symptom_observed: "风扇异响，满载掉卡".into(),
            quote_amount: "3000".into(),
            quote_currency: "CNY".into(),
            ..Default::default()
        };
        shop.jobs().intake(&form, &tech(&shop)).unwrap().id
    };
    let bandwidth_min =
        |run: &runs::RunState| match &run.procedure.steps.iter().find(|s| s.id == "bandwidth").unwrap().kind {
            revive_core::procedures::StepKind::Measurement { min, .. } => *min,
            other => panic!("{other:?}"),
        };
    let final_qa = "final-qa-burn-in";

    // An RTX 4090 at its datasheet's 1,008,000 MB/s passes; the H100 figure would have failed it.
    let rtx_job = take_in("rtx-4090", "1320123456789");
    let rtx = shop.procedure_runs().start(rtx_job, final_qa, &tech(&shop)).unwrap();
    assert_eq!(bandwidth_min(&rtx), Some(756_000.0));
    pass_load_tests(&shop, rtx_job, rtx.id, 120, false).unwrap();
    let judged = shop
        .procedure_runs()
        .answer(rtx.id, "bandwidth", &Answer::Measure { value: 1_008_000.0 }, "", &tech(&shop), None)
        .unwrap();
    assert_eq!(judged.results.last().unwrap().passed, Some(true));

    let h100_job = take_in("h100-sxm5-80gb", "1654922099999");
    let h100 = shop.procedure_runs().start(h100_job, final_qa, &tech(&shop)).unwrap();
    assert_eq!(bandwidth_min(&h100), Some(1_428_750.0));
    pass_load_tests(&shop, h100_job, h100.id, 120, false).unwrap();
    let slow = shop
        .procedure_runs()
        .answer(h100.id, "bandwidth", &Answer::Measure { value: 1_008_000.0 }, "", &tech(&shop), None)
        .unwrap();
    assert_eq!(slow.results.last().unwrap().passed, Some(false));

    // A model nobody publishes a figure for has no lower limit to fail.
    let other = shop.procedure_runs().start(take_in("other", "1320000000001"), final_qa, &tech(&shop)).unwrap();
    assert_eq!(bandwidth_min(&other), None);
}

#[test]
fn answers_must_fit_their_step() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let job = take_in_h100(&shop);
    let run = shop.procedure_runs().start(job, "vrm-inspection", &tech(&shop)).unwrap();
    assert!(
        matches!(shop.procedure_runs().start(job, "vrm-inspection", &tech(&shop)), Err(CoreError::RunInProgress(id)) if id == run.id)
    );
    let wrong = shop
        .procedure_runs()
        .answer(run.id, "visual", &Answer::Measure { value: 1.0 }, "", &tech(&shop), None)
        .unwrap_err();
    assert!(matches!(wrong, CoreError::Invalid { field: Field::Answer, .. }));
    shop.procedure_runs()
        .answer(run.id, "visual", &Answer::Check { result: CheckResult::NotApplicable }, "", &tech(&shop), None)
        .unwrap();
    let stages = Answer::Photos { hashes: vec![photo(&shop, job, 7)] };
    shop.procedure_runs().answer(run.id, "photo-stages", &stages, "", &tech(&shop), None).unwrap();
    let nan = shop
        .procedure_runs()
        .answer(run.id, "core-rail", &Answer::Measure { value: f64::NAN }, "", &tech(&shop), None)
        .unwrap_err();
    assert!(matches!(nan, CoreError::Invalid { field: Field::Measurement, .. }));
    // 0.05 Ω on the core rail: a short, so the branch to the short-hunting choice.
    let short = shop
        .procedure_runs()
        .answer(run.id, "core-rail", &Answer::Measure { value: 0.05 }, "", &tech(&shop), None)
        .unwrap();
    assert_eq!(short.current_step.as_deref(), Some("short-found"));
    let bogus = shop.procedure_runs().answer(
        run.id,
        "short-found",
        &Answer::Choose { option: "guess".into() },
        "",
        &tech(&shop),
        None,
    );
    assert!(matches!(bogus, Err(CoreError::Invalid { field: Field::Answer, .. })));
    // Replacing the stage loops back to the same measurement: a second visit, a second result.
    shop.procedure_runs()
        .answer(run.id, "short-found", &Answer::Choose { option: "replace-stage".into() }, "", &tech(&shop), None)
        .unwrap();
    let again = shop
        .procedure_runs()
        .answer(run.id, "core-rail", &Answer::Measure { value: 0.6 }, "", &tech(&shop), None)
        .unwrap();
    let core: Vec<Option<bool>> = again.results.iter().filter(|r| r.step_id == "core-rail").map(|r| r.passed).collect();
    assert_eq!(core, [Some(false), Some(true)]);
    assert_eq!(again.current_step.as_deref(), Some("memory-rail"));
    assert!(shop
        .procedure_runs()
        .answer(run.id, "memory-rail", &Answer::Measure { value: 2.0 }, &"n".repeat(5_000), &tech(&shop), None)
        .is_err());
}

#[test]
fn a_run_keeps_the_procedure_it_started_with() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let first = shop(dir.path());
    let job = take_in_h100(&first);
    let run = first.procedure_runs().start(job, "pcie-link-fault", &tech(&first)).unwrap();
    let original = run.procedure.clone();
    drop(first);
    // The shop puts its own version 2 in its procedures folder, cleaning with something else.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../procedures/pcie-link-fault.toml"))
            .unwrap();
    let own = shipped.replacen("\nversion = 1\n", "\nversion = 2\n", 1).replacen(
        "with isopropyl alcohol",
        "with contact cleaner",
        1,
    );
    std::fs::create_dir_all(dir.path().join("procedures")).unwrap();
    std::fs::write(dir.path().join("procedures/pcie-link-fault.toml"), own).unwrap();

    let shop = shop(dir.path());
    assert!(shop.catalogs().procedure_errors.is_empty(), "{:?}", shop.catalogs().procedure_errors);
    let theirs = shop.catalogs().procedure("pcie-link-fault").unwrap();
    assert_eq!(theirs.version, 2, "the shop's copy replaces ours");
    assert!(theirs.steps[0].instruction.en.contains("contact cleaner"));
    let kept = shop.procedure_runs().state(run.id).unwrap();
    assert_eq!(kept.procedure, original);
    assert_eq!(kept.procedure.version, 1);
    assert_eq!(kept.current_step.as_deref(), Some("clean"));
    assert_eq!(shop.procedure_runs().for_job(job).unwrap().len(), 1);
    shop.procedure_runs()
        .answer(run.id, "clean", &Answer::Check { result: CheckResult::Pass }, "", &tech(&shop), None)
        .unwrap();
    let erase = shop.store().write(|tx, _| Ok(tx.execute("DELETE FROM step_results", [])?));
    assert!(erase.is_err(), "step results are append-only");
}

#[test]
fn the_latest_findings_suggest_procedures_that_fit_the_model() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = shop(dir.path());
    let job = take_in_h100(&shop);
    let before = shop.procedure_runs().choices(job).unwrap();
    assert!(before.errors.is_empty());
    assert!(before.procedures.iter().all(|p| !p.suggested));
    assert!(!before.procedures.iter().any(|p| p.id == "fan-replacement"), "an H100 has no fans");
    diagnose(&shop, job, "h100-remap-pending");
    let after = shop.procedure_runs().choices(job).unwrap();
    assert_eq!((after.procedures[0].id.as_str(), after.procedures[0].suggested), ("hbm-triage", true));
    let run = shop.procedure_runs().start(job, "hbm-triage", &tech(&shop)).unwrap();
    assert_eq!(run.procedure.id, "hbm-triage");
    assert!(matches!(
        shop.procedure_runs().start(job, "made-up", &tech(&shop)),
        Err(CoreError::Invalid { field: Field::Procedure, problem: Problem::Unknown })
    ));
}
