//! Turns one GPU's reading into findings. Which readings each rule looks at is code; severities,
//! thresholds, per-SKU limits and texts come from the rules file.

use super::{evidence, DiagnosticRules, Evidence, EvidenceValue, Finding};
use crate::bench::{BenchSnapshot, GpuReading, Health, Identity};
use crate::models::{GpuModel, ModelCatalog};

/// The GPU as the job recorded it at intake, to spot a board or die swap.
#[derive(Debug, Clone, Default)]
pub struct RecordedGpu<'a> {
    pub model: Option<&'a GpuModel>,
    pub serial: Option<&'a str>,
    pub uuid: Option<&'a str>,
}

struct Raise<'r> {
    rules: &'r DiagnosticRules,
    gpu_index: u32,
    found: Vec<Finding>,
}

impl Raise<'_> {
    fn raise(&mut self, code: &str, evidence: Evidence) {
        // Every code raised here is one of the shipped rules: validation checked the file has them all.
        self.found.extend(self.rules.finding(code, Some(self.gpu_index), evidence));
    }

    fn threshold(&self, code: &str) -> f64 {
        self.rules.rule(code).threshold.unwrap_or(0.0)
    }
}

/// Findings for every GPU on the bench, each judged against the model its PCI device id names
/// (the bench without a job: the CLI, a first look).
pub fn judge_bench(rules: &DiagnosticRules, models: &ModelCatalog, snapshot: &BenchSnapshot) -> Vec<Finding> {
    snapshot
        .gpus
        .iter()
        .flat_map(|gpu| {
            let model = match gpu {
                GpuReading::Present { identity, .. } => {
                    identity.pci_device_id.as_deref().and_then(|id| models.by_pci_device_id(id))
                }
                GpuReading::Lost { .. } => None,
            };
            evaluate(rules, gpu, &RecordedGpu { model, ..Default::default() })
        })
        .collect()
}

/// Findings for one GPU, most severe first.
pub fn evaluate(rules: &DiagnosticRules, reading: &GpuReading, recorded: &RecordedGpu) -> Vec<Finding> {
    let (gpu_index, identity, health) = match reading {
        GpuReading::Lost { index } => {
            let mut r = Raise { rules, gpu_index: *index, found: Vec::new() };
            r.raise("gpu_lost", evidence([("nvml", "GPU_IS_LOST".into())]));
            return r.found;
        }
        GpuReading::Present { index, identity, health } => (*index, identity, health),
    };
    let mut r = Raise { rules, gpu_index, found: Vec::new() };
    memory(&mut r, health);
    pcie(&mut r, health, recorded.model);
    thermal_and_power(&mut r, health);
    identity_checks(&mut r, identity, recorded);
    if identity.inforom_valid == Some(false) {
        r.raise(
            "inforom_corrupt",
            evidence([
                ("inforom_valid", false.into()),
                ("inforom_image_version", identity.inforom_image_version.as_deref().into()),
            ]),
        );
    }
    if let Some(action) = health.recovery_action.as_deref().filter(|a| *a != "none") {
        r.raise("recovery_action_required", evidence([("recovery_action", action.into())]));
    }
    let mut found = r.found;
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    found
}

fn memory(r: &mut Raise, health: &Health) {
    if let Some(rows) = &health.remapped_rows {
        let found = evidence([
            ("remapped_uncorrectable", rows.uncorrectable.into()),
            ("remapped_correctable", rows.correctable.into()),
            ("pending", rows.pending.into()),
            ("failure", rows.failure.into()),
        ]);
        if rows.pending {
            r.raise("remap_pending", found.clone());
        }
        if rows.failure {
            r.raise("remap_failure", found);
        }
    }
    if let Some(histogram) = &health.remapper_histogram {
        if f64::from(histogram.none) > r.threshold("remap_banks_exhausted") {
            r.raise("remap_banks_exhausted", evidence([("banks_without_spares", histogram.none.into())]));
        }
        if f64::from(histogram.low) > r.threshold("remap_banks_low") {
            r.raise("remap_banks_low", evidence([("banks_low_on_spares", histogram.low.into())]));
        }
    }
    if let Some(ecc) = &health.ecc {
        if ecc.volatile_uncorrected as f64 > r.threshold("ecc_volatile_uncorrected") {
            r.raise("ecc_volatile_uncorrected", evidence([("volatile_uncorrected", ecc.volatile_uncorrected.into())]));
        }
        if ecc.aggregate_uncorrected as f64 > r.threshold("ecc_aggregate_uncorrected") {
            r.raise(
                "ecc_aggregate_uncorrected",
                evidence([
                    ("aggregate_uncorrected", ecc.aggregate_uncorrected.into()),
                    ("dram", ecc.aggregate_uncorrected_dram.into()),
                ]),
            );
        }
        if let Some(sram) = ecc.aggregate_uncorrected_sram.filter(|n| *n as f64 > r.threshold("sram_uncorrected")) {
            r.raise("sram_uncorrected", evidence([("aggregate_uncorrected_sram", sram.into())]));
        }
    }
    if let Some(pages) = &health.retired_pages {
        let total = pages.single_bit + pages.double_bit;
        if f64::from(total) >= r.threshold("retired_pages_limit") {
            r.raise("retired_pages_limit", evidence([("retired_pages", total.into())]));
        }
        if f64::from(pages.double_bit) > r.threshold("retired_pages_double_bit") {
            r.raise("retired_pages_double_bit", evidence([("double_bit_pages", pages.double_bit.into())]));
        }
        if pages.pending {
            r.raise("retired_pages_pending", evidence([("pending", true.into())]));
        }
    }
}

/// Links train down at idle to save power: only a GPU under load is judged on its link.
fn under_load(rules: &DiagnosticRules, health: &Health) -> bool {
    let ratio = |now: Option<f64>, max: Option<f64>| match (now, max) {
        (Some(now), Some(max)) if max > 0.0 => Some(now / max),
        _ => None,
    };
    let clock = ratio(health.sm_clock_mhz.map(f64::from), health.max_sm_clock_mhz.map(f64::from));
    let power = ratio(health.power_w, health.enforced_power_limit_w);
    clock.is_some_and(|c| c >= rules.load_detection.sm_clock_ratio)
        || power.is_some_and(|p| p >= rules.load_detection.power_ratio)
}

fn pcie(r: &mut Raise, health: &Health, model: Option<&GpuModel>) {
    let link = &health.pcie;
    if let Some(replays) = link.replays.filter(|n| f64::from(*n) > r.threshold("pcie_replays_high")) {
        r.raise("pcie_replays_high", evidence([("replays", replays.into())]));
    }
    if !under_load(r.rules, health) {
        return;
    }
    let (Some(generation), Some(width)) = (link.generation, link.width) else { return };
    let link_evidence = evidence([
        ("generation", generation.into()),
        ("width", width.into()),
        ("max_generation", link.max_generation.into()),
        ("max_width", link.max_width.into()),
        ("sm_clock_mhz", health.sm_clock_mhz.into()),
        ("power_w", health.power_w.into()),
    ]);
    if link.max_generation.is_some_and(|max| generation < max) || link.max_width.is_some_and(|max| width < max) {
        r.raise("pcie_downtrained", link_evidence.clone());
    }
    if let Some(limits) = model.and_then(|m| r.rules.sku(&m.id)) {
        let below = limits.pcie_min_generation.is_some_and(|min| generation < min)
            || limits.pcie_min_width.is_some_and(|min| width < min);
        if below {
            let mut below_minimum = link_evidence;
            below_minimum.insert("required_generation".into(), limits.pcie_min_generation.into());
            below_minimum.insert("required_width".into(), limits.pcie_min_width.into());
            r.raise("pcie_below_sku_minimum", below_minimum);
        }
    }
}

fn thermal_and_power(r: &mut Raise, health: &Health) {
    let reasons = health.clock_event_reasons.clone().unwrap_or_default();
    let has = |reason: &str| reasons.iter().any(|r| r == reason);
    let thermal = has("hw_thermal_slowdown") || has("sw_thermal_slowdown");
    let temperatures = evidence([
        ("temperature_c", health.temperature_c.into()),
        ("slowdown_c", health.slowdown_c.into()),
        ("memory_temperature_c", health.memory_temperature_c.into()),
        ("clock_event_reasons", reasons.as_slice().into()),
    ]);
    if thermal {
        r.raise("thermal_slowdown", temperatures.clone());
    }
    if let (Some(now), Some(slowdown)) = (health.temperature_c, health.slowdown_c) {
        if now >= slowdown {
            r.raise("temperature_at_slowdown", temperatures.clone());
        }
    }
    if let (Some(now), Some(max)) = (health.memory_temperature_c, health.memory_max_c) {
        if f64::from(now) >= f64::from(max) - r.threshold("memory_temperature_high") {
            r.raise(
                "memory_temperature_high",
                evidence([("memory_temperature_c", now.into()), ("memory_max_c", max.into())]),
            );
        }
    }
    if has("hw_power_brake_slowdown") {
        r.raise("power_brake", evidence([("clock_event_reasons", reasons.as_slice().into())]));
    }
    if has("hw_slowdown") {
        r.raise("hw_slowdown", evidence([("clock_event_reasons", reasons.as_slice().into())]));
    }
    if let (Some(enforced), Some(default)) = (health.enforced_power_limit_w, health.default_power_limit_w) {
        if enforced < default {
            r.raise(
                "power_limit_reduced",
                evidence([("enforced_power_limit_w", enforced.into()), ("default_power_limit_w", default.into())]),
            );
        }
    }
    if health.unreadable.iter().any(|u| u.reason == "insufficient_power") {
        r.raise("insufficient_power", evidence([("nvml", "INSUFFICIENT_POWER".into())]));
    }
    if let Some(fans) = health.fan_speeds_percent.as_ref().filter(|fans| !fans.is_empty() && thermal) {
        r.raise(
            "fan_check_needed",
            evidence([
                ("intended_fan_speeds_percent", fans.as_slice().into()),
                ("temperature_c", health.temperature_c.into()),
            ]),
        );
    }
}

fn identity_checks(r: &mut Raise, identity: &Identity, recorded: &RecordedGpu) {
    if let (Some(model), Some(device_id)) = (recorded.model, identity.pci_device_id.as_deref()) {
        if !model.pci_device_ids.is_empty() && !model.pci_device_ids.iter().any(|id| id == device_id) {
            r.raise(
                "model_mismatch",
                evidence([
                    ("claimed_model", model.id.as_str().into()),
                    ("expected", model.pci_device_ids.as_slice().into()),
                    ("pci_device_id", device_id.into()),
                ]),
            );
        }
    }
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => Some(a.eq_ignore_ascii_case(b)),
        _ => None,
    };
    let serial = same(recorded.serial, identity.serial.as_deref());
    let uuid = same(recorded.uuid, identity.uuid.as_deref());
    let identities = evidence([
        ("recorded_serial", recorded.serial.into()),
        ("serial", identity.serial.as_deref().into()),
        ("recorded_uuid", recorded.uuid.into()),
        ("uuid", identity.uuid.as_deref().into()),
    ]);
    match (serial, uuid) {
        (Some(true), Some(false)) => r.raise("uuid_changed", identities),
        (Some(false), Some(true)) => r.raise("serial_changed", identities),
        // Both differ, or one differs and the other is unknown: nothing ties this card to intake.
        (Some(false), _) | (_, Some(false)) => r.raise("identity_mismatch", identities),
        _ => {}
    }
}

/// The code of the finding a lifetime counter that went down raises.
pub(crate) const LIFETIME_REGRESSION: &str = "lifetime_counter_decreased";

/// How a lifetime counter is read from a reading.
type ReadCounter = fn(&Health) -> Option<u64>;

/// The counters a card keeps for its whole life (in the InfoROM): none of them ever goes down.
const LIFETIME_COUNTERS: [(&str, ReadCounter); 6] = [
    ("ecc_aggregate_uncorrected", |h| Some(h.ecc.as_ref()?.aggregate_uncorrected)),
    ("ecc_aggregate_corrected", |h| Some(h.ecc.as_ref()?.aggregate_corrected)),
    ("retired_pages_single_bit", |h| Some(u64::from(h.retired_pages.as_ref()?.single_bit))),
    ("retired_pages_double_bit", |h| Some(u64::from(h.retired_pages.as_ref()?.double_bit))),
    ("remapped_rows_correctable", |h| Some(u64::from(h.remapped_rows.as_ref()?.correctable))),
    ("remapped_rows_uncorrectable", |h| Some(u64::from(h.remapped_rows.as_ref()?.uncorrectable))),
];

/// A critical finding when a lifetime counter of `now` is below what an `earlier` reading of the
/// same card showed: the InfoROM was rewritten, or this is another card. Never a cleared finding.
pub fn lifetime_regression(rules: &DiagnosticRules, earlier: &[GpuReading], now: &GpuReading) -> Option<Finding> {
    let GpuReading::Present { index, health, .. } = now else { return None };
    let (mut counters, mut before, mut after) = (Vec::new(), Vec::new(), Vec::new());
    for (name, read) in LIFETIME_COUNTERS {
        let Some(current) = read(health) else { continue };
        let highest = earlier
            .iter()
            .filter_map(|reading| match reading {
                GpuReading::Present { health, .. } => read(health),
                GpuReading::Lost { .. } => None,
            })
            .max();
        if let Some(highest) = highest.filter(|highest| current < *highest) {
            counters.push(name.to_owned());
            before.push(highest);
            after.push(current);
        }
    }
    if counters.is_empty() {
        return None;
    }
    let evidence = evidence([
        ("counters", EvidenceValue::Texts(counters)),
        ("earlier", EvidenceValue::Counts(before)),
        ("now", EvidenceValue::Counts(after)),
    ]);
    rules.finding(LIFETIME_REGRESSION, Some(*index), evidence)
}
