//! The real NVML provider against the fake driver library, one shipped scenario at a time.

mod common;

use common::{hold_bench, on_bench, open, shipped_scenario};
use revive_core::bench::{
    BenchSnapshot, DriverSource, GpuProvider, GpuReading, Health, Identity, NvmlProvider, Unavailable,
};

fn only_gpu(snapshot: &BenchSnapshot) -> (&Identity, &Health) {
    match &snapshot.gpus[..] {
        [GpuReading::Present { identity, health, .. }] => (identity, health),
        other => panic!("expected one present GPU, got {other:?}"),
    }
}

#[test]
fn healthy_h100_reads_in_full() {
    on_bench("h100-healthy", |bench| {
        let snapshot = bench.snapshot().unwrap();
        assert!(snapshot.simulated);
        assert_eq!(snapshot.driver.driver_version, "550.90.07");
        assert_eq!(snapshot.driver.cuda_version, "12.4");
        let (identity, health) = only_gpu(&snapshot);
        assert_eq!(identity.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert_eq!(identity.serial.as_deref(), Some("1654922012345"));
        assert_eq!(identity.uuid.as_deref(), Some("GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d"));
        assert_eq!(identity.pci_device_id.as_deref(), Some("0x2330"));
        assert_eq!(identity.pci_subsystem_id.as_deref(), Some("0x16c110de"));
        assert_eq!(identity.bus_id.as_deref(), Some("00000000:18:00.0"));
        assert_eq!(identity.architecture.as_deref(), Some("hopper"));
        assert_eq!(identity.inforom_valid, Some(true));
        assert_eq!(identity.inforom_ecc_version.as_deref(), Some("7.16"));
        assert_eq!(identity.memory_total_mib, Some(81559));
        assert_eq!(identity.gsp_firmware_version.as_deref(), Some("550.90.07"));
        assert_eq!((health.temperature_c, health.memory_temperature_c), (Some(34), Some(40)));
        assert_eq!((health.shutdown_c, health.slowdown_c, health.max_operating_c), (Some(92), Some(89), Some(87)));
        assert_eq!((health.power_w, health.enforced_power_limit_w), (Some(72.0), Some(700.0)));
        assert_eq!((health.pcie.generation, health.pcie.width, health.pcie.replays), (Some(5), Some(16), Some(0)));
        assert_eq!(health.clock_event_reasons.as_deref(), Some(&["gpu_idle".to_owned()][..]));
        let ecc = health.ecc.as_ref().unwrap();
        assert_eq!((ecc.volatile_uncorrected, ecc.aggregate_uncorrected_dram), (0, Some(0)));
        assert!(!health.remapped_rows.as_ref().unwrap().pending);
        assert_eq!(health.remapper_histogram.as_ref().unwrap().max, 2560);
        assert_eq!(health.retired_pages, None, "Hopper remaps rows instead of retiring pages");
        assert_eq!(health.fan_speeds_percent, None, "SXM boards are passively cooled");
        assert_eq!(health.recovery_action.as_deref(), Some("none"));
        assert_eq!(health.unreadable, []);
    });
}

#[test]
fn the_timeline_moves_a_gpu_under_load() {
    on_bench("h100-healthy", |bench| {
        let loaded = (0..10).map(|_| bench.snapshot().unwrap()).find_map(|snapshot| {
            let (_, health) = only_gpu(&snapshot);
            (health.sm_clock_mhz == Some(1980)).then(|| health.clone())
        });
        let loaded = loaded.expect("the scenario's load phase arrives");
        assert_eq!((loaded.temperature_c, loaded.power_w), (Some(71), Some(655.0)));
        assert_eq!(loaded.clock_event_reasons, Some(vec![]));
    });
}

#[test]
fn pending_row_remap_is_visible_with_its_evidence() {
    on_bench("h100-remap-pending", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let (_, health) = only_gpu(&snapshot);
        let rows = health.remapped_rows.as_ref().unwrap();
        assert!(rows.pending && !rows.failure);
        assert_eq!(rows.uncorrectable, 1);
        assert_eq!(health.ecc.as_ref().unwrap().volatile_uncorrected, 1);
        assert_eq!(health.recovery_action.as_deref(), Some("gpu_reset"));
    });
}

#[test]
fn a_gpu_that_falls_off_the_bus_becomes_lost_and_stays_lost() {
    on_bench("h100-falls-off-bus", |bench| {
        let states: Vec<bool> =
            (0..8).map(|_| matches!(bench.snapshot().unwrap().gpus[0], GpuReading::Lost { index: 0 })).collect();
        let first_lost = states.iter().position(|lost| *lost).expect("the GPU is lost at some point");
        assert!(first_lost > 0, "it answered before it fell off");
        assert!(states[first_lost..].iter().all(|lost| *lost));
    });
}

#[test]
fn hardware_faults_show_as_their_nvml_answers() {
    on_bench("h100-inforom-corrupt", |bench| {
        assert_eq!(only_gpu(&bench.snapshot().unwrap()).0.inforom_valid, Some(false));
    });
    on_bench("h100-no-aux-power", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let (_, health) = only_gpu(&snapshot);
        assert_eq!(health.power_w, None);
        assert_eq!(health.unreadable.len(), 1);
        let unreadable = &health.unreadable[0];
        assert_eq!((unreadable.reading.as_str(), unreadable.reason.as_str()), ("power_usage", "insufficient_power"));
    });
    on_bench("h100-pcie-downtrained", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let pcie = &only_gpu(&snapshot).1.pcie;
        assert_eq!(
            (pcie.generation, pcie.width, pcie.max_generation, pcie.max_width),
            (Some(3), Some(8), Some(5), Some(16))
        );
    });
    on_bench("h100-thermal-slowdown", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let reasons = only_gpu(&snapshot).1.clock_event_reasons.clone().unwrap();
        assert_eq!(reasons, ["sw_thermal_slowdown", "hw_thermal_slowdown"]);
    });
    on_bench("a100-volatile-dbe", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let (identity, health) = only_gpu(&snapshot);
        assert_eq!(
            (identity.pci_device_id.as_deref(), identity.architecture.as_deref()),
            (Some("0x20b2"), Some("ampere"))
        );
        assert_eq!(health.ecc.as_ref().unwrap().volatile_uncorrected, 1);
    });
}

#[test]
fn an_hgx_board_reads_eight_gpus_with_the_bad_one_at_its_index() {
    on_bench("hgx-h100-8gpu-one-bad", |bench| {
        let snapshot = bench.snapshot().unwrap();
        assert_eq!(snapshot.gpus.len(), 8);
        let failed: Vec<u32> = snapshot
            .gpus
            .iter()
            .filter_map(|gpu| match gpu {
                GpuReading::Present { index, health, .. } => health.remapped_rows.as_ref()?.failure.then_some(*index),
                GpuReading::Lost { .. } => None,
            })
            .collect();
        assert_eq!(failed, [5]);
    });
}

#[test]
fn consumer_boards_report_fans_and_no_ecc() {
    on_bench("rtx4090-fan-stuck", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let (identity, health) = only_gpu(&snapshot);
        assert_eq!(identity.architecture.as_deref(), Some("ada"));
        assert_eq!(health.fan_speeds_percent, Some(vec![30, 30]));
        assert_eq!((health.ecc.as_ref(), health.remapped_rows.as_ref()), (None, None));
        assert_eq!(health.memory_temperature_c, None);
        assert_eq!(health.temperature_c, Some(88));
    });
    on_bench("h20-healthy", |bench| {
        let snapshot = bench.snapshot().unwrap();
        assert_eq!(only_gpu(&snapshot).0.pci_device_id.as_deref(), Some("0x2329"));
    });
}

#[test]
fn a_missing_or_unloaded_driver_is_a_state_not_a_crash() {
    let _bench = hold_bench();
    assert_eq!(open("no-driver-loaded").err(), Some(Unavailable::DriverNotLoaded));
    let nowhere = NvmlProvider::open(&DriverSource::Library("/nonexistent/libnvidia-ml.so.1".into()));
    assert_eq!(nowhere.err(), Some(Unavailable::NoDriver));
    assert!(matches!(open("no-such-scenario").err(), Some(Unavailable::Failed(_))));
    let not_fake = NvmlProvider::open(&DriverSource::Simulated {
        library: "/nonexistent.so".into(),
        scenario: shipped_scenario("h100-healthy"),
    });
    assert!(matches!(not_fake.err(), Some(Unavailable::Failed(_))));
}

#[test]
fn a_driver_that_refuses_permission_is_a_state() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shipped_scenario("h100-healthy")).unwrap()).unwrap();
    doc["init_error"] = "no_permission".into();
    let scenario = dir.path().join("no-permission.json");
    std::fs::write(&scenario, doc.to_string()).unwrap();
    let refused = NvmlProvider::open(&DriverSource::Simulated { library: common::built_library(), scenario });
    assert_eq!(refused.err(), Some(Unavailable::PermissionDenied));
}

#[test]
fn the_fake_driver_is_known_by_itself_whatever_name_it_is_loaded_under() {
    let _bench = hold_bench();
    // Installed where the real driver goes, under the real driver's name, and loaded as a driver.
    let dir = tempfile::tempdir().unwrap();
    let disguised = dir.path().join("libnvidia-ml.so.1");
    std::fs::copy(common::built_library(), &disguised).unwrap();
    std::env::set_var(nvidia_ml_fake::SCENARIO_VARIABLE, shipped_scenario("h100-healthy"));
    let bench = NvmlProvider::open(&DriverSource::Library(disguised));
    std::env::remove_var(nvidia_ml_fake::SCENARIO_VARIABLE);
    let snapshot = bench.unwrap().snapshot().unwrap();
    assert!(snapshot.simulated, "the fake says what it is; its readings are marked simulated");
}
