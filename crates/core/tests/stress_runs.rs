//! Stress runs on a real store: recorded with their evidence and chained into the job's log,
//! refused for another card unless someone says why, imports judged by the same rules, and the
//! gates a procedure puts on them.

use std::time::Duration;

use crate::common::{hold_bench, open_shop, simulated_stress as outcome, take_in_h100, tech};
use revive_core::bench::GpuReading;
use revive_core::jobs::events::Event;
use revive_core::procedures::runs::Answer;
use revive_core::stress::import::{parse_dcgmi_diag, parse_gpu_burn};
use revive_core::stress::runs::StressSource;
use revive_core::stress::verdict::{Verdict, WorkerEnd};
use revive_core::workshop::Workshop;
use revive_core::CoreError;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stress").join(name))
        .unwrap()
}

#[test]
fn a_run_is_recorded_with_its_evidence_and_chained_into_the_log() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let run = shop.stress().record(job, &outcome("h100-healthy", Some(120), true), None, &tech(&shop)).unwrap();
    assert_eq!((run.verdict, run.source, run.simulated), (Verdict::Passed, StressSource::Revive, true));
    assert_eq!((run.burn_in_seconds, run.memory_tested, run.telemetry_samples), (Some(7200), true, 30));
    assert_eq!(run.result.memory.as_ref().unwrap().mismatches.total, 0);
    assert_eq!(shop.stress().telemetry(run.id).unwrap().len(), 30);
    assert_eq!(shop.stress().for_job(job).unwrap().len(), 1);
    let events = shop.jobs().get(job).unwrap().events;
    let recorded = events.iter().find_map(|e| match &e.event {
        Event::StressRecorded { run: id, verdict, simulated, .. } => Some((*id, *verdict, *simulated)),
        _ => None,
    });
    assert_eq!(recorded, Some((run.id, Verdict::Passed, true)));
    assert!(shop.audit().unwrap().broken.is_none());

    // Evidence never changes, even through a SQLite tool.
    let conn = rusqlite::Connection::open(dir.path().join(revive_core::store::DATABASE_FILE)).unwrap();
    let edited = conn.execute("UPDATE stress_runs SET verdict = 'passed', burn_in_seconds = 99999", []);
    assert!(edited.unwrap_err().to_string().contains("never change"));
}

#[test]
fn another_cards_run_is_refused_unless_someone_says_why() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    // The thermal scenario's card has serial …402, the job's is …345: the wrong job in the list.
    let other = outcome("h100-burn-in-thermal", Some(60), false);
    let refused = shop.stress().record(job, &other, None, &tech(&shop)).unwrap_err();
    assert!(matches!(refused, CoreError::CardMismatch { ref bench, .. } if bench == "1654922012402"), "{refused:?}");
    assert!(shop.stress().for_job(job).unwrap().is_empty());
    let reason = "王芳：同一张卡，序列号标签在维修时更换";
    shop.stress().record(job, &other, Some(reason), &tech(&shop)).unwrap();
    let said = shop.jobs().get(job).unwrap().events.into_iter().find_map(|e| match e.event {
        Event::StressRecorded { card_mismatch_reason, .. } => card_mismatch_reason,
        _ => None,
    });
    assert_eq!(said.as_deref(), Some(reason));
}

#[test]
fn imports_are_judged_like_runs_and_a_skip_is_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let codes = |run: &revive_core::stress::runs::StressRun| -> Vec<String> {
        run.result.judgement.findings.iter().map(|f| f.code.clone()).collect()
    };

    // dcgmi -r 4: GPU 2's memtest failed, and the pulse test was skipped everywhere.
    let dcgmi = parse_dcgmi_diag(&fixture("dcgmi_r4_memtest_fail_dcgm3.json")).unwrap();
    let serial_of = |gpu: u32| dcgmi.gpus.iter().find(|g| g.gpu_index == gpu).unwrap().serial.clone().unwrap();
    let failed = shop.stress().import(job, &dcgmi, 2, Some("导入的机房记录"), &tech(&shop)).unwrap();
    assert_eq!((failed.verdict, failed.source, failed.memory_tested), (Verdict::Failed, StressSource::Dcgmi, true));
    assert!(
        codes(&failed).contains(&"dcgm_test_failed".into()) && codes(&failed).contains(&"dcgm_test_skipped".into())
    );
    let skipped = shop.stress().import(job, &dcgmi, 0, Some("导入"), &tech(&shop)).unwrap();
    assert_eq!(skipped.verdict, Verdict::Incomplete);
    // A file naming another card's serial is that card's result.
    assert_ne!(serial_of(0), "1654922012345");
    assert!(matches!(shop.stress().import(job, &dcgmi, 0, None, &tech(&shop)), Err(CoreError::CardMismatch { .. })));

    // gpu-burn prints no serial: its OK for an hour is a passed burn-in of an hour.
    let burn = parse_gpu_burn(&fixture("gpu_burn_2gpu_tc_3600_ok.txt")).unwrap();
    let passed = shop.stress().import(job, &burn, 1, None, &tech(&shop)).unwrap();
    assert_eq!(
        (passed.verdict, passed.burn_in_seconds, passed.source),
        (Verdict::Passed, Some(3600), StressSource::GpuBurn)
    );
    let cut = parse_gpu_burn(&fixture("gpu_burn_cut_short.txt")).unwrap();
    let cut_short = shop.stress().import(job, &cut, 0, None, &tech(&shop)).unwrap();
    assert_eq!((cut_short.verdict, cut_short.burn_in_seconds.unwrap_or(0)), (Verdict::Incomplete, 0));
    let faulty = parse_gpu_burn(&fixture("gpu_burn_faulty.txt")).unwrap();
    let faulty = shop.stress().import(job, &faulty, 1, None, &tech(&shop)).unwrap();
    assert_eq!((faulty.verdict, codes(&faulty)), (Verdict::Failed, vec!["gpu_burn_faulty".to_owned()]));
    assert!(matches!(shop.stress().import(job, &burn, 7, None, &tech(&shop)), Err(CoreError::Invalid { .. })));
}

/// A shop's own procedure that waits for a memory test and an hour's burn-in.
const LOAD_GATES: &str = r#"
schema_version = 1
id = "load-gates"
version = 1
title = { en = "Load gates", zh-CN = "负载关卡" }
summary = { en = "Memory test, then an hour's burn-in.", zh-CN = "显存测试，然后老化一小时。" }
applies_to = ["*"]
suggested_by = []
outcome = "repaired"

[[steps]]
id = "memory"
kind = "gate"
gate = "memory_test_passed"
title = { en = "Memory test", zh-CN = "显存测试" }
instruction = { en = "Run it.", zh-CN = "运行。" }

[[steps]]
id = "burn"
kind = "gate"
gate = "burn_in_passed"
minutes = 60
title = { en = "Burn-in", zh-CN = "老化测试" }
instruction = { en = "Run it.", zh-CN = "运行。" }
"#;

#[test]
fn gates_open_only_on_a_passed_run_recorded_since_the_procedure_began() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("procedures")).unwrap();
    std::fs::write(dir.path().join("procedures/load-gates.toml"), LOAD_GATES).unwrap();
    let shop: Workshop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    // A run from before the procedure started is not evidence for it.
    shop.stress().record(job, &outcome("h100-healthy", Some(120), true), None, &tech(&shop)).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let run = shop.procedure_runs().start(job, "load-gates", &tech(&shop)).unwrap().id;
    let confirm = |step: &str| shop.procedure_runs().answer(run, step, &Answer::Confirm, "", &tech(&shop), None);
    assert!(matches!(confirm("memory"), Err(CoreError::GateClosed { .. })));

    // A failed memory test keeps it closed; a passed one opens it.
    let mut stuck = outcome("h100-healthy", None, true);
    stuck.judgement.verdict = Verdict::Failed;
    shop.stress().record(job, &stuck, None, &tech(&shop)).unwrap();
    assert!(matches!(confirm("memory"), Err(CoreError::GateClosed { .. })));
    shop.stress().record(job, &outcome("h100-healthy", None, true), None, &tech(&shop)).unwrap();
    confirm("memory").unwrap();

    // Thirty minutes is not an hour; a failed hour is not a pass; a passed hour is.
    shop.stress().record(job, &outcome("h100-healthy", Some(30), false), None, &tech(&shop)).unwrap();
    assert!(matches!(confirm("burn"), Err(CoreError::GateClosed { .. })));
    let mut failed = outcome("h100-healthy", Some(60), false);
    failed.judgement.verdict = Verdict::Failed;
    shop.stress().record(job, &failed, None, &tech(&shop)).unwrap();
    assert!(matches!(confirm("burn"), Err(CoreError::GateClosed { .. })));
    shop.stress().record(job, &outcome("h100-healthy", Some(60), false), None, &tech(&shop)).unwrap();
    confirm("burn").unwrap();
}

#[test]
fn a_lost_gpu_is_recorded_as_what_it_was() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let mut lost = outcome("h100-healthy", Some(10), false);
    lost.after = GpuReading::Lost { index: 0 };
    lost.worker = WorkerEnd::Died { status: "signal: 6 (SIGABRT)".into(), last_words: String::new() };
    lost.judgement.verdict = Verdict::Failed;
    let run = shop.stress().record(job, &lost, None, &tech(&shop)).unwrap();
    assert!(matches!(run.result.after, Some(GpuReading::Lost { index: 0 })));
    assert!(matches!(run.result.worker, Some(WorkerEnd::Died { .. })));
}

#[test]
fn a_file_that_is_neither_tools_output_is_refused_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    for (text, problem) in [
        ("", revive_core::Problem::Empty),
        ("王芳的笔记：这张卡很好", revive_core::Problem::BadFormat),
        ("{\"not\": \"dcgmi\"}", revive_core::Problem::BadFormat),
    ] {
        let refused = shop.stress().import_text(job, text, 0, None, &tech(&shop)).unwrap_err();
        assert!(
            matches!(refused, CoreError::Invalid { field: revive_core::Field::StressImport, problem: p } if p == problem),
            "{text}: {refused:?}"
        );
    }
    let huge = "x".repeat(revive_core::stress::import::MAX_IMPORT_BYTES + 1);
    assert!(matches!(
        shop.stress().import_text(job, &huge, 0, None, &tech(&shop)),
        Err(CoreError::Invalid { problem: revive_core::Problem::TooLarge { .. }, .. })
    ));
    assert!(shop.stress().for_job(job).unwrap().is_empty());
    let burn = fixture("gpu_burn_2gpu_tc_3600_ok.txt");
    assert_eq!(shop.stress().import_text(job, &burn, 0, None, &tech(&shop)).unwrap().verdict, Verdict::Passed);
}

#[test]
fn a_test_room_run_is_recorded_once_by_ticket_and_opens_the_gates_like_a_bench_run() {
    use revive_core::stress::runs::TestRoomPlace;
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("procedures")).unwrap();
    std::fs::write(dir.path().join("procedures/load-gates.toml"), LOAD_GATES).unwrap();
    let shop: Workshop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let ticket = shop.jobs().get(job).unwrap().ticket;
    let run = shop.procedure_runs().start(job, "load-gates", &tech(&shop)).unwrap().id;
    let place = TestRoomPlace { task: "9f2c".into(), server: "机架-07".into(), slot: 5 };
    let ran = outcome("h100-healthy", Some(120), true);

    let recorded = shop.stress().record_from_test_room(&ticket, &ran, &place, &tech(&shop)).unwrap().expect("recorded");
    assert_eq!(recorded.test_room.as_ref(), Some(&place));
    assert_eq!(shop.stress().for_job(job).unwrap()[0].test_room.as_ref(), Some(&place));
    // Collected again (a crash before the shop server heard it was recorded): nothing new.
    assert!(shop.stress().record_from_test_room(&ticket, &ran, &place, &tech(&shop)).unwrap().is_none());
    assert_eq!(shop.stress().for_job(job).unwrap().len(), 1);
    // The gates take it as they take a run at the bench.
    for step in ["memory", "burn"] {
        shop.procedure_runs().answer(run, step, &Answer::Confirm, "", &tech(&shop), None).unwrap();
    }
    // A ticket this bench does not have is said, not guessed.
    let elsewhere = TestRoomPlace { task: "a001".into(), ..place };
    assert!(matches!(
        shop.stress().record_from_test_room("RV-2026-999999", &ran, &elsewhere, &tech(&shop)),
        Err(CoreError::Invalid { field: revive_core::error::Field::Ticket, .. })
    ));
}
