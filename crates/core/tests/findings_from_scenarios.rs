//! Every shipped scenario through the real NVML provider and the rules: the findings a technician sees.

use crate::common::on_bench;
use revive_core::bench::{GpuProvider, NvmlProvider};
use revive_core::diagnostics::{evaluate, parse_kernel_log, xid_findings, EvidenceValue, RecordedGpu, Severity};
use revive_core::workshop::Catalogs;

fn model(id: &str) -> Option<&'static revive_core::models::GpuModel> {
    Some(Catalogs::built_in().unwrap().models.get(id).unwrap())
}

/// Codes found on each GPU of one snapshot, judged against the model the job claims.
fn codes_with(bench: &NvmlProvider, recorded: &RecordedGpu) -> Vec<Vec<String>> {
    let rules = &Catalogs::built_in().unwrap().rules;
    let snapshot = bench.snapshot().unwrap();
    snapshot
        .gpus
        .iter()
        .map(|gpu| {
            let mut codes: Vec<String> = evaluate(rules, gpu, recorded).into_iter().map(|f| f.code).collect();
            codes.sort();
            codes
        })
        .collect()
}

fn codes(bench: &NvmlProvider, model_id: &str) -> Vec<String> {
    codes_with(bench, &RecordedGpu { model: model(model_id), ..Default::default() }).remove(0)
}

#[test]
fn a_healthy_h100_has_nothing_to_find_idle_or_under_load() {
    on_bench("h100-healthy", |bench| {
        for _ in 0..5 {
            assert_eq!(codes(bench, "h100-sxm5-80gb"), Vec::<String>::new());
        }
    });
    on_bench("h20-healthy", |bench| assert_eq!(codes(bench, "h20-96gb"), Vec::<String>::new()));
}

#[test]
fn hbm_faults_are_named_with_their_next_step() {
    on_bench("h100-remap-pending", |bench| {
        assert_eq!(
            codes(bench, "h100-sxm5-80gb"),
            ["ecc_aggregate_uncorrected", "ecc_volatile_uncorrected", "recovery_action_required", "remap_pending"]
        );
    });
    on_bench("h100-remap-failure", |bench| {
        assert_eq!(
            codes(bench, "h100-sxm5-80gb"),
            [
                "ecc_aggregate_uncorrected",
                "ecc_volatile_uncorrected",
                "recovery_action_required",
                "remap_banks_exhausted",
                "remap_banks_low",
                "remap_failure"
            ]
        );
        let rules = &Catalogs::built_in().unwrap().rules;
        let snapshot = bench.snapshot().unwrap();
        let findings = evaluate(rules, &snapshot.gpus[0], &RecordedGpu::default());
        assert_eq!(findings[0].severity, Severity::Critical, "most severe first");
        let failure = findings.iter().find(|f| f.code == "remap_failure").unwrap();
        assert_eq!(failure.evidence["remapped_uncorrectable"], EvidenceValue::Count(9));
        assert!(failure.next_step.en.contains("RMA") && failure.next_step.zh_cn.contains("RMA"));
    });
    on_bench("a100-volatile-dbe", |bench| {
        assert_eq!(
            codes(bench, "a100-sxm4-80gb"),
            ["ecc_aggregate_uncorrected", "ecc_volatile_uncorrected", "recovery_action_required", "remap_pending"]
        );
    });
}

#[test]
fn bus_link_power_and_firmware_faults() {
    on_bench("h100-falls-off-bus", |bench| {
        let lost = (0..8).map(|_| codes(bench, "h100-sxm5-80gb")).find(|c| c == &["gpu_lost"]);
        assert!(lost.is_some(), "the lost GPU is reported as such");
    });
    on_bench("h100-pcie-downtrained", |bench| {
        assert_eq!(codes(bench, "h100-sxm5-80gb"), ["pcie_below_sku_minimum", "pcie_downtrained", "pcie_replays_high"]);
    });
    on_bench("h100-no-aux-power", |bench| assert_eq!(codes(bench, "h100-pcie-80gb"), ["insufficient_power"]));
    on_bench("h100-inforom-corrupt", |bench| assert_eq!(codes(bench, "h100-sxm5-80gb"), ["inforom_corrupt"]));
}

#[test]
fn thermal_faults_and_the_fan_that_only_looks_fine() {
    on_bench("h100-thermal-slowdown", |bench| {
        assert_eq!(codes(bench, "h100-sxm5-80gb"), ["memory_temperature_high", "thermal_slowdown"]);
    });
    on_bench("rtx4090-fan-stuck", |bench| {
        assert_eq!(codes(bench, "rtx-4090"), ["fan_check_needed", "thermal_slowdown"]);
    });
}

#[test]
fn only_the_bad_gpu_of_an_hgx_board_has_findings() {
    on_bench("hgx-h100-8gpu-one-bad", |bench| {
        let per_gpu = codes_with(bench, &RecordedGpu { model: model("h100-sxm5-80gb"), ..Default::default() });
        let with_findings: Vec<usize> =
            per_gpu.iter().enumerate().filter(|(_, c)| !c.is_empty()).map(|(i, _)| i).collect();
        assert_eq!(with_findings, [5]);
        assert!(per_gpu[5].contains(&"remap_failure".to_owned()));
    });
}

#[test]
fn identity_is_checked_against_the_job() {
    on_bench("h20-healthy", |bench| assert_eq!(codes(bench, "h100-sxm5-80gb"), ["model_mismatch"]));
    on_bench("h100-healthy", |bench| {
        let transplanted = RecordedGpu {
            model: model("h100-sxm5-80gb"),
            serial: Some("1654922012345"),
            uuid: Some("GPU-00000000-0000-0000-0000-000000000000"),
        };
        assert_eq!(codes_with(bench, &transplanted)[0], ["uuid_changed"]);
        let reboarded = RecordedGpu {
            serial: Some("1654922099999"),
            uuid: Some("GPU-5B0C1E6A-2F3D-4A1B-9C8D-7E6F5A4B3C2D"),
            ..transplanted
        };
        assert_eq!(codes_with(bench, &reboarded)[0], ["serial_changed"]);
        // Another card altogether, or another serial and no UUID taken in to tell: still named.
        let other = RecordedGpu { serial: Some("1654922099999"), ..transplanted };
        assert_eq!(codes_with(bench, &other)[0], ["identity_mismatch"]);
        let unknown_uuid = RecordedGpu { uuid: None, ..other };
        assert_eq!(codes_with(bench, &unknown_uuid)[0], ["identity_mismatch"]);
    });
}

#[test]
fn kernel_log_xids_land_on_the_gpu_at_that_address() {
    on_bench("hgx-h100-8gpu-one-bad", |bench| {
        let snapshot = bench.snapshot().unwrap();
        let log = "[ 10.0] NVRM: Xid (PCI:0000:ab:00): 64, pid=1, name=train, Row Remapper: failed\n";
        let findings = xid_findings(&Catalogs::built_in().unwrap().xids, &parse_kernel_log(log), Some(&snapshot));
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].code.as_str(), findings[0].gpu_index), ("xid_64", Some(5)));
    });
}
