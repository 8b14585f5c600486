//! The simulated bench for integration tests: the fake driver library and the shipped scenarios.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

pub use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_core::bench::Sample;
use revive_core::bench::{DriverSource, GpuProvider, NvmlProvider, Unavailable};
use revive_core::diagnostics::runs::{record, RunEvidence};
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::Jobs;
use revive_core::store::Store;

/// The technician the helpers act as (a fresh store enrols them with the first intake).
pub const TECH: &str = "Li Wei";

/// Takes in the H100 with serial 1654922012345 that the H100 scenarios describe; returns the job id.
pub fn take_in_h100(store: &Store) -> i64 {
    let form = IntakeForm {
        customer_name: "Deep Compute".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: "1654922012345".into(),
        symptom_observed: "Xid 63 under load".into(),
        quote_amount: "12000".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    Jobs::new(store).unwrap().intake(&form, TECH).unwrap().id
}

/// The fake driver keeps its scenario in process-wide state, as a real driver does: one bench at a time.
static BENCH: Mutex<()> = Mutex::new(());

pub fn hold_bench() -> MutexGuard<'static, ()> {
    BENCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn open(name: &str) -> Result<NvmlProvider, Unavailable> {
    NvmlProvider::open(&DriverSource::Simulated { library: built_library(), scenario: shipped_scenario(name) })
}

/// Runs `check` with a provider on scenario `name`, holding the bench for the whole check.
pub fn on_bench(name: &str, check: impl FnOnce(&NvmlProvider)) {
    let _bench = hold_bench();
    check(&open(name).unwrap());
}

/// Records GPU 0 of `scenario` (with `telemetry`) to the job, as "Record to job" on the Bench does.
pub fn record_scenario(store: &Store, job: i64, scenario: &str, telemetry: &[Sample]) {
    let snapshot = open(scenario).unwrap().snapshot().unwrap();
    let evidence =
        RunEvidence { snapshot: &snapshot, gpu_index: 0, scenario: Some(scenario), telemetry, xid_findings: vec![] };
    record(store, job, &evidence, TECH).unwrap();
}
