//! The verdict of one GPU's stress run: the driver's evidence first (counters before and after,
//! Xids, slowdowns and temperatures sampled during the load, the card's state at the end), then the
//! compute errors and pattern mismatches, then how the test process ended. Every failing piece of
//! evidence becomes a finding with NVIDIA's next step, through the rules data.

use serde::{Deserialize, Serialize};

use super::burn_in::BurnInReport;
use super::import::{ImportedGpu, ImportedTool, TestOutcome};
pub use super::kinds::Verdict;
use super::memtest::MemoryTestReport;
use super::BackendError;
use crate::bench::{GpuReading, Health, Sample};
use crate::diagnostics::{
    evaluate, evidence, lifetime_regression, live_xid_findings, DiagnosticRules, Evidence, Finding, RecordedGpu,
    Severity, XidCatalog,
};

/// How the process that ran one GPU's test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "end", rename_all_fields = "camelCase")]
pub enum WorkerEnd {
    Finished,
    Cancelled,
    /// The backend reported the failure itself.
    BackendFailed {
        error: String,
        device_failed: bool,
    },
    /// Exited or was killed without a result (the GPU faulted under it).
    Died {
        status: String,
        last_words: String,
    },
    /// No progress for this long: killed.
    Hung {
        silent_seconds: u64,
    },
}

impl WorkerEnd {
    pub fn backend_failed(error: &BackendError) -> WorkerEnd {
        let device_failed = !matches!(error, BackendError::Setup(_));
        WorkerEnd::BackendFailed { error: error.to_string(), device_failed }
    }
}

/// What the driver showed while the card was loaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LoadSummary {
    pub samples: u32,
    pub peak_temperature_c: Option<u32>,
    pub peak_memory_temperature_c: Option<u32>,
    /// Averages after warm-up.
    pub average_power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    /// Average power as a share of the enforced limit.
    pub power_fraction: Option<f64>,
    pub average_sm_clock_mhz: Option<f64>,
    pub max_sm_clock_mhz: Option<u32>,
    pub thermal_slowdown_seconds: f64,
    pub hw_slowdown_seconds: f64,
    pub power_brake_seconds: f64,
    /// The run's second at which the GPU stopped answering.
    pub lost_at_seconds: Option<u64>,
}

/// Counters that rose between the reading before the run and the one after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CounterChanges {
    pub ecc_corrected: u64,
    pub ecc_uncorrected: u64,
    pub remapped_correctable: u64,
    pub remapped_uncorrectable: u64,
    pub retired_pages: u64,
    pub pcie_replays: u64,
}

/// Everything a verdict is made from.
pub struct StressEvidence<'a> {
    pub before: &'a GpuReading,
    pub after: &'a GpuReading,
    /// The GPU's telemetry during the run, oldest first.
    pub samples: &'a [Sample],
    /// When the run started (Unix ms) and how much faster than the wall its clock ran.
    pub started_at_ms: u64,
    pub clock_speed: u32,
    pub xids: &'a [u32],
    pub memory: Option<&'a MemoryTestReport>,
    pub burn_in: Option<&'a BurnInReport>,
    pub worker: &'a WorkerEnd,
    pub run_seconds: u64,
    /// The driver said persistence mode was off when the run began.
    pub persistence_off: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    pub verdict: Verdict,
    pub load: LoadSummary,
    pub counters: CounterChanges,
    pub findings: Vec<Finding>,
}

/// The first minute of load (or a fifth of a short run) heats the card up: averages skip it.
const WARM_UP_SECONDS: f64 = 60.0;

const THERMAL_BITS: u64 = 0x20 | 0x40;
const HW_SLOWDOWN_BIT: u64 = 0x8;
const POWER_BRAKE_BIT: u64 = 0x80;
const POWER_CAP_BIT: u64 = 0x4;

pub fn judge(rules: &DiagnosticRules, xids: &XidCatalog, run: &StressEvidence) -> Judgement {
    let gpu = match run.before {
        GpuReading::Present { index, .. } | GpuReading::Lost { index } => *index,
    };
    let health = |reading: &GpuReading| match reading {
        GpuReading::Present { health, .. } => Some(health.as_ref().clone()),
        GpuReading::Lost { .. } => None,
    };
    let (before, after) = (health(run.before), health(run.after));
    let load = summarise(run, before.as_ref());
    let counters = before.as_ref().zip(after.as_ref()).map(|(b, a)| changes(b, a)).unwrap_or_default();
    let mut found = Found { rules, gpu, findings: Vec::new() };

    // The driver's word first: the card's state at the end, what rose, what the driver reported.
    found.findings.extend(
        evaluate(rules, run.after, &RecordedGpu::default())
            .into_iter()
            .filter(|f| f.severity == Severity::Critical && f.code != "gpu_lost"),
    );
    found.findings.extend(lifetime_regression(rules, std::slice::from_ref(run.before), run.after));
    found.findings.extend(live_xid_findings(xids, &run.xids.iter().map(|x| (gpu, *x)).collect::<Vec<_>>()));
    if matches!(run.after, GpuReading::Lost { .. }) || load.lost_at_seconds.is_some() {
        found.raise("stress_gpu_lost", evidence([("lost_at_seconds", load.lost_at_seconds.into())]));
    }
    driver_findings(&mut found, &counters, &load, run.run_seconds, before.as_ref());
    if run.persistence_off {
        found.raise("stress_persistence_off", evidence([("persistence_mode", false.into())]));
    }

    // Then the test's own checks.
    if let Some(memory) = run.memory {
        memory_findings(&mut found, memory);
    }
    if let Some(burn_in) = run.burn_in {
        if burn_in.compute_errors > 0 {
            found.raise(
                "stress_compute_errors",
                evidence([
                    ("compute_errors", burn_in.compute_errors.into()),
                    ("iterations", burn_in.iterations.into()),
                ]),
            );
        }
        load_findings(&mut found, &load, before.as_ref());
    }
    match run.worker {
        WorkerEnd::BackendFailed { error, device_failed: true } => {
            found.raise("stress_device_failed", evidence([("error", error.as_str().into())]));
        }
        WorkerEnd::Died { status, last_words } => found.raise(
            "stress_worker_died",
            evidence([("exit_status", status.as_str().into()), ("last_words", last_words.as_str().into())]),
        ),
        WorkerEnd::Hung { silent_seconds } => {
            found.raise("stress_worker_hung", evidence([("silent_seconds", (*silent_seconds).into())]));
        }
        WorkerEnd::Finished | WorkerEnd::Cancelled | WorkerEnd::BackendFailed { device_failed: false, .. } => {}
    }

    let mut findings = found.findings;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let completed = run.memory.is_none_or(|m| m.completed) && run.burn_in.is_none_or(|b| b.completed);
    let verdict = if findings.iter().any(|f| f.severity == Severity::Critical) {
        Verdict::Failed
    } else if !completed || *run.worker != WorkerEnd::Finished {
        Verdict::Incomplete
    } else {
        Verdict::Passed
    };
    Judgement { verdict, load, counters, findings }
}

struct Found<'r> {
    rules: &'r DiagnosticRules,
    gpu: u32,
    findings: Vec<Finding>,
}

impl Found<'_> {
    fn raise(&mut self, code: &str, evidence: Evidence) {
        self.findings.extend(self.rules.finding(code, Some(self.gpu), evidence));
    }

    fn threshold(&self, code: &str) -> f64 {
        self.rules.rule(code).threshold.unwrap_or(0.0)
    }
}

fn summarise(run: &StressEvidence, before: Option<&Health>) -> LoadSummary {
    let warm_up = WARM_UP_SECONDS.min(run.run_seconds as f64 / 5.0);
    let mut summary = LoadSummary {
        samples: run.samples.len() as u32,
        power_limit_w: before.and_then(|h| h.enforced_power_limit_w),
        max_sm_clock_mhz: before.and_then(|h| h.max_sm_clock_mhz),
        ..LoadSummary::default()
    };
    let (mut power, mut clocks) = (Vec::new(), Vec::new());
    let mut previous = 0.0;
    for sample in run.samples {
        // Run-clock seconds: each sample stands for the time since the one before it.
        let at = sample.at_ms.saturating_sub(run.started_at_ms) as f64 * f64::from(run.clock_speed) / 1000.0;
        let span = at - previous;
        previous = at;
        if sample.lost {
            summary.lost_at_seconds.get_or_insert(at as u64);
            continue;
        }
        summary.peak_temperature_c = summary.peak_temperature_c.max(sample.temperature_c);
        summary.peak_memory_temperature_c = summary.peak_memory_temperature_c.max(sample.memory_temperature_c);
        let reasons = sample.clock_event_reasons;
        let count = |bits: u64| if reasons & bits != 0 { span } else { 0.0 };
        summary.thermal_slowdown_seconds += count(THERMAL_BITS);
        summary.hw_slowdown_seconds += count(HW_SLOWDOWN_BIT);
        summary.power_brake_seconds += count(POWER_BRAKE_BIT);
        if at >= warm_up {
            power.extend(sample.power_w);
            // A clock held down by the power cap is the card working as designed, not a fault.
            if reasons & POWER_CAP_BIT == 0 {
                clocks.extend(sample.sm_clock_mhz.map(f64::from));
            }
        }
    }
    let average = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    summary.average_power_w = average(&power);
    summary.average_sm_clock_mhz = average(&clocks);
    summary.power_fraction =
        summary.average_power_w.zip(summary.power_limit_w).filter(|(_, l)| *l > 0.0).map(|(p, l)| p / l);
    summary
}

fn changes(before: &Health, after: &Health) -> CounterChanges {
    // A counter that went down was reset (volatile ECC on a GPU reset): everything after it is new.
    let rise = |b: u64, a: u64| if a >= b { a - b } else { a };
    let ecc = |h: &Health| h.ecc.as_ref().map_or((0, 0), |e| (e.volatile_corrected, e.volatile_uncorrected));
    let rows = |h: &Health| {
        h.remapped_rows.as_ref().map_or((0, 0), |r| (u64::from(r.correctable), u64::from(r.uncorrectable)))
    };
    let pages = |h: &Health| h.retired_pages.as_ref().map_or(0, |p| u64::from(p.single_bit) + u64::from(p.double_bit));
    let replays = |h: &Health| u64::from(h.pcie.replays.unwrap_or(0));
    let ((bc, bu), (ac, au)) = (ecc(before), ecc(after));
    let ((brc, bru), (arc, aru)) = (rows(before), rows(after));
    CounterChanges {
        ecc_corrected: rise(bc, ac),
        ecc_uncorrected: rise(bu, au),
        remapped_correctable: rise(brc, arc),
        remapped_uncorrectable: rise(bru, aru),
        retired_pages: rise(pages(before), pages(after)),
        pcie_replays: rise(replays(before), replays(after)),
    }
}

fn driver_findings(
    found: &mut Found,
    counters: &CounterChanges,
    load: &LoadSummary,
    seconds: u64,
    before: Option<&Health>,
) {
    if counters.ecc_uncorrected > 0 {
        found.raise("stress_ecc_uncorrected", evidence([("ecc_uncorrected_new", counters.ecc_uncorrected.into())]));
    }
    if counters.ecc_corrected as f64 > found.threshold("stress_ecc_corrected") {
        found.raise("stress_ecc_corrected", evidence([("ecc_corrected_new", counters.ecc_corrected.into())]));
    }
    if counters.remapped_correctable + counters.remapped_uncorrectable > 0 {
        found.raise(
            "stress_rows_remapped",
            evidence([
                ("remapped_correctable_new", counters.remapped_correctable.into()),
                ("remapped_uncorrectable_new", counters.remapped_uncorrectable.into()),
            ]),
        );
    }
    if counters.retired_pages > 0 {
        found.raise("stress_pages_retired", evidence([("retired_pages_new", counters.retired_pages.into())]));
    }
    let per_minute = counters.pcie_replays as f64 * 60.0 / (seconds.max(1) as f64);
    if per_minute > found.threshold("stress_pcie_replays") {
        found.raise(
            "stress_pcie_replays",
            evidence([
                ("pcie_replays_new", counters.pcie_replays.into()),
                ("replays_per_minute", round(per_minute).into()),
            ]),
        );
    }
    for (code, spent) in [
        ("stress_thermal_slowdown", load.thermal_slowdown_seconds),
        ("stress_hw_slowdown", load.hw_slowdown_seconds),
        ("stress_power_brake", load.power_brake_seconds),
    ] {
        if spent > found.threshold(code) {
            found.raise(
                code,
                evidence([("seconds", round(spent).into()), ("peak_temperature_c", load.peak_temperature_c.into())]),
            );
        }
    }
    if let (Some(peak), Some(limit)) = (load.peak_memory_temperature_c, before.and_then(|h| h.memory_max_c)) {
        if f64::from(peak) >= f64::from(limit) - found.threshold("stress_memory_temperature_high") {
            found.raise(
                "stress_memory_temperature_high",
                evidence([("peak_memory_temperature_c", peak.into()), ("memory_max_c", limit.into())]),
            );
        }
    }
}

fn memory_findings(found: &mut Found, memory: &MemoryTestReport) {
    let mismatches = &memory.mismatches;
    if mismatches.total > 0 {
        let first = mismatches.first.first();
        let bits: Vec<u32> =
            (0..32).filter(|bit| mismatches.flipped_bits.get(*bit as usize).is_some_and(|n| *n > 0)).collect();
        found.raise(
            "stress_memory_errors",
            evidence([
                ("mismatches", mismatches.total.into()),
                ("pages", mismatches.pages.len().into()),
                ("first_offset", first.map(|m| format!("{:#x}", m.offset)).as_deref().into()),
                ("flipped_bits", bits.as_slice().into()),
            ]),
        );
    }
    if memory.coverage_percent < found.threshold("stress_coverage_low") {
        found.raise(
            "stress_coverage_low",
            evidence([
                ("coverage_percent", round(memory.coverage_percent).into()),
                ("bytes_tested", memory.bytes_tested.into()),
                ("bytes_available", memory.bytes_available.into()),
            ]),
        );
    }
}

fn load_findings(found: &mut Found, load: &LoadSummary, before: Option<&Health>) {
    if let Some(fraction) = load.power_fraction.filter(|f| *f < found.threshold("stress_load_low")) {
        found.raise(
            "stress_load_low",
            evidence([
                ("power_fraction", round(fraction).into()),
                ("average_power_w", load.average_power_w.map(round).into()),
                ("enforced_power_limit_w", load.power_limit_w.into()),
            ]),
        );
    }
    let max = before.and_then(|h| h.max_sm_clock_mhz).map(f64::from);
    if let Some((average, max)) = load.average_sm_clock_mhz.zip(max) {
        if average < max * found.threshold("stress_clocks_low") {
            found.raise(
                "stress_clocks_low",
                evidence([("average_sm_clock_mhz", round(average).into()), ("max_sm_clock_mhz", max.into())]),
            );
        }
    }
}

/// Two decimals: evidence people read.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The verdict of one GPU's imported result: a failed test is a critical finding, a warning a
/// warning, and a skipped or unrun test leaves the run incomplete (a skip is not a pass).
pub fn judge_imported(rules: &DiagnosticRules, tool: &ImportedTool, gpu: &ImportedGpu) -> Judgement {
    let mut found = Found { rules, gpu: gpu.gpu_index, findings: Vec::new() };
    let mut skipped = gpu.tests.is_empty();
    for test in &gpu.tests {
        let detail = || ("detail", test.detail.as_deref().into());
        match (test.outcome, tool) {
            (TestOutcome::Fail, ImportedTool::GpuBurn { .. }) => {
                found.raise("gpu_burn_faulty", evidence([("errors", test.errors.into()), detail()]))
            }
            (TestOutcome::Fail, ImportedTool::Dcgmi { .. }) => {
                found.raise("dcgm_test_failed", evidence([("test", test.name.as_str().into()), detail()]))
            }
            (TestOutcome::Warn, _) => {
                found.raise("dcgm_test_warning", evidence([("test", test.name.as_str().into()), detail()]))
            }
            (TestOutcome::Skip, _) => {
                skipped = true;
                found.raise("dcgm_test_skipped", evidence([("test", test.name.as_str().into()), detail()]));
            }
            (TestOutcome::NotRun, _) => skipped = true,
            (TestOutcome::Pass, _) => {}
        }
    }
    let mut findings = found.findings;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let verdict = if findings.iter().any(|f| f.severity == Severity::Critical) {
        Verdict::Failed
    } else if skipped {
        Verdict::Incomplete
    } else {
        Verdict::Passed
    };
    Judgement { verdict, load: LoadSummary::default(), counters: CounterChanges::default(), findings }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::bench::{Health, Identity};
    use crate::stress::host::HostMemory;
    use crate::stress::memtest::{run_memory_test, MemoryTestPlan};
    use crate::stress::ScaledClock;
    use crate::workshop::Catalogs;

    fn card() -> GpuReading {
        GpuReading::Present { index: 0, identity: Box::new(Identity::default()), health: Box::new(Health::default()) }
    }

    fn judged(memory: Option<&MemoryTestReport>, burn_in: Option<&BurnInReport>, worker: &WorkerEnd) -> Judgement {
        let catalogs = Catalogs::built_in().unwrap();
        let reading = card();
        let run = StressEvidence {
            before: &reading,
            after: &reading,
            samples: &[],
            started_at_ms: 0,
            clock_speed: 1,
            xids: &[],
            memory,
            burn_in,
            worker,
            run_seconds: 600,
            persistence_off: false,
        };
        judge(&catalogs.rules, &catalogs.xids, &run)
    }

    fn codes(judgement: &Judgement) -> Vec<&str> {
        judgement.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_test_that_covered_too_little_memory_is_a_warning_not_a_pass_in_silence() {
        // 1 MiB tested where the driver could give 2.
        let mut host = HostMemory::new(1 << 18, 2 << 20).unwrap();
        let plan = MemoryTestPlan::standard(1, 1);
        let (report, _) =
            run_memory_test(&mut host, &plan, &ScaledClock::faster(100), &AtomicBool::new(false), &mut |_| {});
        let judgement = judged(Some(&report), None, &WorkerEnd::Finished);
        assert_eq!((codes(&judgement), judgement.verdict), (vec!["stress_coverage_low"], Verdict::Passed));
        let coverage = &judgement.findings[0].evidence["coverage_percent"];
        assert_eq!(*coverage, crate::diagnostics::EvidenceValue::Measure(50.0));
    }

    #[test]
    fn wrong_products_fail_and_a_device_failure_is_the_cards_but_a_setup_failure_is_not() {
        let burn_in = BurnInReport {
            duration_seconds: 600,
            seconds: 600,
            iterations: 90,
            compute_errors: 3,
            tflops: 600.0,
            completed: true,
        };
        let wrong = judged(None, Some(&burn_in), &WorkerEnd::Finished);
        assert_eq!((codes(&wrong), wrong.verdict), (vec!["stress_compute_errors"], Verdict::Failed));

        let clean = BurnInReport { compute_errors: 0, seconds: 120, completed: false, ..burn_in };
        let ecc = WorkerEnd::backend_failed(&BackendError::EccUncorrectable("CUDA_ERROR_ECC_UNCORRECTABLE".into()));
        let failed = judged(None, Some(&clean), &ecc);
        assert_eq!((codes(&failed), failed.verdict), (vec!["stress_device_failed"], Verdict::Failed));
        let setup = WorkerEnd::backend_failed(&BackendError::Setup("no libcuda.so.1".into()));
        let refused = judged(None, Some(&clean), &setup);
        assert_eq!((codes(&refused), refused.verdict), (Vec::<&str>::new(), Verdict::Incomplete));
    }
}
