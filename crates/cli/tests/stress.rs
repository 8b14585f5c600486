//! `revive stress` on the simulated bench: each scenario's timeline is a fault the verdict must
//! name, and a test process that dies or hangs is the GPU's failure, never the parent's.

use std::path::Path;
use std::process::Command;

use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use serde_json::Value;

/// Runs a simulated stress test on `scenario`; returns the exit status and the JSON report.
fn stress(scenario: &Path, extra: &[&str]) -> (i32, Value) {
    let library = built_library();
    let mut args = vec!["stress", "--json", "--speed", "600", "--nvml-lib", library.to_str().unwrap()];
    args.extend(["--scenario", scenario.to_str().unwrap()]);
    args.extend(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_revive")).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code().unwrap(), report)
}

fn codes(report: &Value, gpu: usize) -> Vec<String> {
    report["gpus"][gpu]["judgement"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn verdict(report: &Value, gpu: usize) -> &str {
    report["gpus"][gpu]["judgement"]["verdict"].as_str().unwrap()
}

#[test]
fn a_healthy_card_passes_both_tests_marked_simulated() {
    let (status, report) = stress(&shipped_scenario("h100-healthy"), &["--memtest", "--burn-in", "10m"]);
    assert_eq!((status, verdict(&report, 0)), (0, "passed"), "{report:#}");
    let gpu = &report["gpus"][0];
    assert_eq!(gpu["simulated"], true);
    assert_eq!(gpu["memory"]["mismatches"]["total"], 0);
    assert_eq!(gpu["memory"]["coveragePercent"], 100.0);
    assert_eq!(gpu["memory"]["completed"], true);
    assert_eq!((gpu["burnIn"]["seconds"].as_u64(), gpu["burnIn"]["computeErrors"].as_u64()), (Some(600), Some(0)));
    // The fake reads loaded while the run loads it: near its 700 W limit, warm, clocks up.
    let load = &gpu["judgement"]["load"];
    assert!(load["powerFraction"].as_f64().unwrap() > 0.9, "{load}");
    assert!(load["peakTemperatureC"].as_u64().unwrap() > 60);
    assert!(codes(&report, 0).is_empty());
}

/// The report a person reads, in Chinese: the card with a stuck HBM cell, where and which bit.
#[test]
fn the_text_report_is_in_chinese_when_asked() {
    let library = built_library();
    let scenario = shipped_scenario("h100-hbm-stuck-bit");
    let args = ["stress", "--memtest", "--speed", "600", "--lang", "zh-CN", "--nvml-lib", library.to_str().unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_revive"))
        .args(args)
        .args(["--scenario", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    for said in ["GPU 0  未通过", "[SIMULATED：", "显存测试：覆盖 100.0 %", "偏移 0x", "翻转位", "驱动读数：峰值"]
    {
        assert!(report.contains(said), "{said}: {report}");
    }
    for english in ["FAILED", "memory test", "offset", "driver:", "[Critical]", "[CRITICAL]"] {
        assert!(!report.contains(english), "{english}: {report}");
    }
}

#[test]
fn ecc_errors_rising_mid_burn_fail_the_card_with_the_next_step_for_a_pending_remap() {
    let (status, report) = stress(&shipped_scenario("h100-burn-in-ecc-rising"), &["--burn-in", "5m"]);
    assert_eq!((status, verdict(&report, 0)), (3, "failed"));
    let found = codes(&report, 0);
    for code in ["stress_ecc_uncorrected", "stress_ecc_corrected", "stress_rows_remapped", "remap_pending", "xid_94"] {
        assert!(found.contains(&code.to_owned()), "{code} missing from {found:?}");
    }
    let counters = &report["gpus"][0]["judgement"]["counters"];
    assert_eq!((counters["eccCorrected"].as_u64(), counters["eccUncorrected"].as_u64()), (Some(37), Some(1)));
    assert_eq!(counters["remappedUncorrectable"], 1);
}

#[test]
fn thermal_slowdown_under_load_fails_a_burn_in() {
    let (status, report) = stress(&shipped_scenario("h100-burn-in-thermal"), &["--burn-in", "10m"]);
    assert_eq!((status, verdict(&report, 0)), (3, "failed"));
    let found = codes(&report, 0);
    assert!(found.contains(&"stress_thermal_slowdown".to_owned()), "{found:?}");
    let load = &report["gpus"][0]["judgement"]["load"];
    assert_eq!(load["peakTemperatureC"], 89);
    // Throttling started at minute 3 of 10 and lasted to the end (the run's clock keeps going
    // until the process reports): most of the run, and none of its first three minutes. A sample
    // stands for at least 12 s of the simulated clock (20 ms of wall time at 600×), more when the
    // machine is busy, so the start is known to within a few samples.
    let throttled = load["thermalSlowdownSeconds"].as_f64().unwrap();
    let seconds = report["gpus"][0]["seconds"].as_f64().unwrap();
    assert!(throttled >= 240.0 && throttled <= seconds - 180.0 + 3.0 * 12.0, "{throttled} of {seconds}");
}

#[test]
fn a_gpu_lost_at_minute_three_kills_its_test_process_not_the_run() {
    let (status, report) = stress(&shipped_scenario("h100-lost-at-minute-3"), &["--burn-in", "10m"]);
    assert_eq!((status, verdict(&report, 0)), (3, "failed"));
    let found = codes(&report, 0);
    for code in ["stress_gpu_lost", "stress_worker_died", "xid_79"] {
        assert!(found.contains(&code.to_owned()), "{code} missing from {found:?}");
    }
    let gpu = &report["gpus"][0];
    assert_eq!(gpu["worker"]["end"], "died");
    assert_eq!(gpu["after"]["state"], "lost");
    let lost_at = gpu["judgement"]["load"]["lostAtSeconds"].as_u64().unwrap();
    assert!((180..=300).contains(&lost_at), "{lost_at}");
}

#[test]
fn a_stuck_hbm_cell_is_reported_by_offset_and_bit() {
    let (status, report) = stress(&shipped_scenario("h100-hbm-stuck-bit"), &["--memtest"]);
    assert_eq!((status, verdict(&report, 0)), (3, "failed"));
    let mismatches = &report["gpus"][0]["memory"]["mismatches"];
    let first = &mismatches["first"][0];
    assert_eq!((first["offset"].as_u64(), first["flipped"].as_u64()), (Some(1_234_567 * 4), Some(1 << 6)));
    assert_eq!(mismatches["pages"].as_array().unwrap().len(), 1);
    assert_eq!(mismatches["flippedBits"][6], mismatches["total"]);
    assert_eq!(codes(&report, 0), ["stress_memory_errors"]);
}

/// The healthy scenario with its GPU changed as `change` says, in a file of its own.
fn variant(dir: &Path, change: impl Fn(&mut Value)) -> std::path::PathBuf {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(shipped_scenario("h100-healthy")).unwrap()).unwrap();
    change(&mut doc["gpus"][0]);
    let path = dir.join("scenario.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[test]
fn persistence_mode_off_is_said_in_the_verdict_without_refusing_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = variant(dir.path(), |gpu| gpu["persistence_mode"] = false.into());
    let (status, report) = stress(&scenario, &["--burn-in", "5m"]);
    assert_eq!((status, verdict(&report, 0)), (1, "passed"));
    assert_eq!(codes(&report, 0), ["stress_persistence_off"]);
}

#[test]
fn a_hung_test_process_is_killed_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        variant(dir.path(), |gpu| gpu["simulated_stress"] = serde_json::json!({ "hang_after_seconds": 120 }));
    let (status, report) = stress(&scenario, &["--burn-in", "30m", "--hang-after", "2"]);
    assert_eq!((status, verdict(&report, 0)), (3, "failed"));
    assert_eq!(codes(&report, 0), ["stress_worker_hung"]);
    assert!(report["gpus"][0]["worker"]["silentSeconds"].as_u64().unwrap() >= 2);
}

#[test]
fn a_gpu_busy_with_other_work_or_split_by_mig_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let library = built_library();
    for (change, reason) in [
        (serde_json::json!({ "compute_processes": [{ "pid": 4242, "used_mib": 30000 }] }), "OtherProcesses"),
        (serde_json::json!({ "mig_mode": true }), "MigEnabled"),
        (serde_json::json!({ "memory": { "total_mib": 81559, "used_mib": 40000 } }), "MemoryInUse"),
    ] {
        let scenario = variant(dir.path(), |gpu| {
            for (key, value) in change.as_object().unwrap() {
                gpu[key] = value.clone();
            }
        });
        let out = Command::new(env!("CARGO_BIN_EXE_revive"))
            .args(["stress", "--memtest", "--nvml-lib", library.to_str().unwrap(), "--scenario"])
            .arg(&scenario)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(reason) && stderr.contains("GPU 0"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn wrong_gpu_lists_and_durations_are_refused_before_anything_runs() {
    let library = built_library();
    let scenario = shipped_scenario("h100-healthy");
    for args in [["--gpus", "3"], ["--gpus", "0,x"], ["--burn-in", "30s"], ["--burn-in", "25h"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_revive"))
            .args(["stress", "--nvml-lib", library.to_str().unwrap(), "--scenario", scenario.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn without_a_cuda_driver_the_test_process_says_why_instead_of_crashing() {
    let job = r#"{"gpu":0,"memory":null,"burnInSeconds":60,"simulated":null}"#;
    let out = Command::new(env!("CARGO_BIN_EXE_revive"))
        .args(["stress-worker", "--job", job])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let said: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((said["message"].as_str(), said["error"]["kind"].as_str()), (Some("done"), Some("setup")));
    assert!(said["error"]["detail"].as_str().unwrap().contains("libcuda"), "{said}");
}

#[test]
fn cancelling_a_run_stops_every_test_process_and_proves_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use revive_core::bench::{DriverSource, Workbench};
    use revive_core::stress::memtest::MemoryTestPlan;
    use revive_core::stress::supervise::{run_stress, Launch, StressBench, StressRequest};
    use revive_core::stress::verdict::{Verdict, WorkerEnd};
    use revive_core::workshop::Catalogs;

    let mut bench = Workbench::default();
    let source =
        DriverSource::Simulated { library: built_library(), scenario: shipped_scenario("hgx-h100-8gpu-one-bad") };
    bench.connect_source(&source).unwrap();
    let request =
        StressRequest { gpus: vec![0, 1], burn_in_seconds: Some(3600), memory: Some(MemoryTestPlan::standard(50, 1)) };
    let launch = Launch { simulated_speed: 10, ..Launch::new(env!("CARGO_BIN_EXE_revive").into()) };
    let cancel = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let outcomes = run_stress(
        &StressBench::of(&bench).unwrap(),
        Catalogs::built_in().unwrap(),
        &request,
        &launch,
        &cancel,
        &mut |p| {
            if p.memory.is_some() {
                cancel.store(true, Ordering::Relaxed);
            }
        },
    )
    .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "cancelling took {:?}", started.elapsed());
    assert_eq!(outcomes.len(), 2);
    for outcome in outcomes {
        assert_eq!((outcome.worker.clone(), outcome.judgement.verdict), (WorkerEnd::Cancelled, Verdict::Incomplete));
        let memory = outcome.memory.expect("the memory test says how far it got");
        assert!(!memory.completed && memory.passes_completed < 50);
        assert!(outcome.burn_in.is_none(), "no burn-in starts after a cancel");
    }
}

/// The healthy H100 whose timeline (on the scenario clock) is `timeline` instead of its own.
fn timeline(dir: &Path, name: &str, timeline: Value) -> std::path::PathBuf {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(shipped_scenario("h100-healthy")).unwrap()).unwrap();
    doc["timeline"] = timeline;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[test]
fn every_driver_side_verdict_follows_from_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = |set: Value| serde_json::json!([{ "gpu": 0, "after_seconds": 120, "set": { "under_load": set } }]);
    let at_minute = |set: Value| serde_json::json!([{ "gpu": 0, "after_seconds": 60, "set": set }]);
    // (what happens, the finding it must raise, the verdict, the exit status)
    let cases = [
        (
            "hw-slowdown",
            loaded(serde_json::json!({ "clock_event_reasons": ["hw_slowdown"] })),
            "stress_hw_slowdown",
            "failed",
            3,
        ),
        (
            "power-brake",
            loaded(serde_json::json!({ "clock_event_reasons": ["hw_power_brake_slowdown"] })),
            "stress_power_brake",
            "failed",
            3,
        ),
        ("replays", at_minute(serde_json::json!({ "pcie": { "replays": 5000 } })), "stress_pcie_replays", "passed", 1),
        (
            "retired",
            at_minute(serde_json::json!({ "retired_pages": { "double_bit": [4660], "pending": false } })),
            "stress_pages_retired",
            "failed",
            3,
        ),
        ("hbm-hot", loaded(serde_json::json!({ "memory_c": 93 })), "stress_memory_temperature_high", "passed", 1),
        ("low-load", loaded(serde_json::json!({ "power_mw": 300000 })), "stress_load_low", "passed", 1),
        ("low-clocks", loaded(serde_json::json!({ "sm_mhz": 900 })), "stress_clocks_low", "passed", 1),
        (
            "corrected",
            at_minute(serde_json::json!({ "ecc": { "volatile": { "corrected": { "dram": 5 } } } })),
            "stress_ecc_corrected",
            "passed",
            1,
        ),
    ];
    for (name, changes, finding, expected, status) in cases {
        let scenario = timeline(dir.path(), name, changes);
        let (code, report) = stress(&scenario, &["--burn-in", "10m"]);
        let found = codes(&report, 0);
        assert!(found.contains(&finding.to_owned()), "{name}: {finding} missing from {found:?}");
        assert_eq!((verdict(&report, 0), code), (expected, status), "{name}: {found:?}");
    }
}
