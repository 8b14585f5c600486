//! The workstation's bench: choosing the simulated bench's scenario, reading, recording to a job.

use crate::common::{built_library, hold_bench, open_shop, shipped_scenario, take_in_h100, tech};
use revive_core::bench::{SimulatedBench, Unavailable, Workbench};
use revive_core::diagnostics::EvidenceValue;
use revive_core::workshop::Catalogs;
use revive_core::{CoreError, Field, Problem};

fn catalogs() -> &'static Catalogs {
    Catalogs::built_in().unwrap()
}

fn simulated() -> SimulatedBench {
    SimulatedBench { library: built_library(), scenarios: shipped_scenario("x").parent().unwrap().to_owned() }
}

#[test]
fn the_simulated_bench_offers_every_shipped_scenario() {
    let scenarios = simulated().scenarios();
    assert!(scenarios.len() >= 13);
    let pending = scenarios.iter().find(|s| s.id == "h100-remap-pending").unwrap();
    assert!(pending.description.contains("pending"));
}

#[test]
fn scenario_names_cannot_escape_their_folder() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    for bad in ["../etc/passwd", "H100", "", "a/b", "no-such-scenario"] {
        let error = bench.connect_simulated(&simulated(), bad).unwrap_err();
        assert!(matches!(error, CoreError::Invalid { field: Field::Scenario, .. }), "{bad}: {error:?}");
    }
}

#[test]
fn a_disconnected_bench_says_why() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    assert!(matches!(bench.read(catalogs()), Err(CoreError::Bench(Unavailable::NoDriver))));
    let missing = bench.connect_driver(Some("/nonexistent/libnvidia-ml.so.1".as_ref())).unwrap_err();
    assert_eq!(missing.code(), revive_core::ErrorCode::NoDriver);
    let unloaded = bench.connect_simulated(&simulated(), "no-driver-loaded").unwrap_err();
    assert_eq!(unloaded.code(), revive_core::ErrorCode::DriverNotLoaded);
    assert!(bench.read(catalogs()).is_err(), "a failed connection leaves nothing connected");
}

#[test]
fn read_judges_the_bench_and_record_keeps_it_on_the_job() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);

    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-thermal-slowdown").unwrap();
    let view = bench.read(catalogs()).unwrap();
    assert_eq!(view.scenario.as_deref(), Some("h100-thermal-slowdown"));
    assert!(view.snapshot.simulated);
    assert!(view.findings.iter().any(|f| f.code == "thermal_slowdown"));

    let run = bench.record(&shop, job_id, 0, None, &tech(&shop)).unwrap();
    assert_eq!(run.scenario.as_deref(), Some("h100-thermal-slowdown"));
    assert_eq!(shop.diagnostics().for_job(job_id).unwrap().runs.len(), 1);
    assert!(matches!(
        bench.record(&shop, job_id, 7, None, &tech(&shop)).unwrap_err(),
        CoreError::Invalid { field: Field::GpuIndex, problem: Problem::Unknown }
    ));
}

/// Waits (generously: this checks behaviour, not speed) until `enough` holds.
fn eventually(enough: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !enough() {
        assert!(std::time::Instant::now() < deadline, "condition never held");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn watching_streams_telemetry_and_a_run_keeps_it() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);

    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-thermal-slowdown").unwrap();
    assert!(matches!(
        bench.watch(50, |_| {}).unwrap_err(),
        CoreError::Invalid { field: Field::SampleInterval, problem: Problem::OutOfRange { .. } }
    ));
    let batches = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = batches.clone();
    bench.watch(100, move |batch| sink.lock().unwrap().push(batch.to_vec())).unwrap();
    eventually(|| batches.lock().unwrap().len() >= 5);
    bench.stop_watching();
    let seen = batches.lock().unwrap().len();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(batches.lock().unwrap().len(), seen, "stopping ends the sampler");

    let first = batches.lock().unwrap()[0][0];
    assert_eq!((first.gpu, first.lost), (0, false));
    assert!(first.temperature_c.is_some() && first.memory_temperature_c.is_some());
    assert_eq!(first.clock_event_reasons & 0x60, 0x60, "SW and HW thermal slowdown bits");

    let run = bench.record(&shop, job_id, 0, None, &tech(&shop)).unwrap();
    assert!(run.telemetry_samples as usize >= 5);
    let stored = shop.diagnostics().telemetry(run.id).unwrap();
    assert_eq!(stored.len(), run.telemetry_samples as usize);
    assert_eq!(stored[0].temperature_c, first.temperature_c);
}

#[test]
fn a_lost_gpu_samples_as_lost() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-falls-off-bus").unwrap();
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = lost.clone();
    bench
        .watch(100, move |batch| {
            if batch.iter().any(|s| s.lost) {
                seen.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .unwrap();
    eventually(|| lost.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn xids_reported_by_the_driver_become_findings_on_their_gpu() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job_id = take_in_h100(&shop);
    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-remap-pending").unwrap();
    eventually(|| !bench.read(catalogs()).unwrap().xids.is_empty());
    let view = bench.read(catalogs()).unwrap();
    assert_eq!((view.xids[0].gpu_index, view.xids[0].xid), (0, 63));
    let xid = view.findings.iter().find(|f| f.code == "xid_63").expect("an Xid 63 finding");
    assert_eq!(xid.gpu_index, Some(0));
    assert!(xid.next_step.en.contains("Reset the GPU when convenient"));

    let run = bench.record(&shop, job_id, 0, None, &tech(&shop)).unwrap();
    assert!(run.findings.iter().any(|f| f.code == "xid_63"));
    assert_eq!(bench.read(catalogs()).unwrap().xids.len(), 1, "each Xid is delivered once");
}

#[test]
fn the_bus_falls_away_with_an_xid_79() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-falls-off-bus").unwrap();
    bench.watch(100, |_| {}).unwrap();
    eventually(|| bench.read(catalogs()).is_ok_and(|view| view.xids.iter().any(|x| x.xid == 79)));
    // The GPU no longer answers, but its Xid still lands on it as a finding.
    let view = bench.read(catalogs()).unwrap();
    let fell_off = view.findings.iter().find(|f| f.code == "xid_79").expect("an Xid 79 finding");
    assert_eq!(fell_off.gpu_index, Some(0));
}

#[test]
fn a_pasted_kernel_log_lands_on_the_bench_gpus() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    let log = "[ 9.1] NVRM: Xid (PCI:0000:ab:00): 64, pid=1, name=train, Row Remapper: failed\n\
               [ 9.2] NVRM: Xid (PCI:0000:ab:00): 64, pid=1, name=train, Row Remapper: failed\n";
    let offline = bench.kernel_log_reader().import(log, &catalogs().xids).unwrap();
    assert_eq!((offline.events, offline.findings[0].gpu_index), (2, None));
    bench.connect_simulated(&simulated(), "hgx-h100-8gpu-one-bad").unwrap();
    let placed = bench.kernel_log_reader().import(log, &catalogs().xids).unwrap();
    assert_eq!((placed.findings.len(), placed.findings[0].gpu_index), (1, Some(5)));
    assert_eq!(placed.findings[0].evidence["count"], EvidenceValue::Count(2));
    let huge = "x".repeat(20 * 1024 * 1024 + 1);
    assert!(matches!(
        bench.kernel_log_reader().import(&huge, &catalogs().xids).unwrap_err(),
        CoreError::Invalid { field: Field::KernelLog, problem: Problem::TooLong { .. } }
    ));
}
