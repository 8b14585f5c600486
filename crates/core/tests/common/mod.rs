//! The simulated bench for integration tests: the fake driver library and the shipped scenarios.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use revive_core::bench::{DriverSource, NvmlProvider, Unavailable};

/// The fake driver keeps its scenario in process-wide state, as a real driver does: one bench at a time.
static BENCH: Mutex<()> = Mutex::new(());

pub fn hold_bench() -> MutexGuard<'static, ()> {
    BENCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The cdylib cargo built next to the test binaries (fake-nvml is a dev-dependency).
pub fn fake_library() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let name = format!("{}nvidia_ml_fake{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    [deps.join(&name), deps.parent().unwrap().join(&name)].into_iter().find(|p| p.exists()).expect("fake NVML built")
}

pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(format!("{name}.json"))
}

pub fn open(name: &str) -> Result<NvmlProvider, Unavailable> {
    NvmlProvider::open(&DriverSource::Simulated { library: fake_library(), scenario: scenario(name) })
}

/// Runs `check` with a provider on scenario `name`, holding the bench for the whole check.
pub fn on_bench(name: &str, check: impl FnOnce(&NvmlProvider)) {
    let _bench = hold_bench();
    check(&open(name).unwrap());
}
