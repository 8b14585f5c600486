//! The simulated bench for integration tests: the fake driver library and the shipped scenarios.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

pub use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_core::bench::{DriverSource, NvmlProvider, Unavailable};

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
