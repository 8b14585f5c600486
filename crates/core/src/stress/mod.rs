//! Loading the card: the memory test and the burn-in, the backends they run on (the GPU through
//! CUDA, or host memory with the same algorithms for the simulated bench and the tests), and the
//! verdict the driver's evidence and the checks give.

pub mod burn_in;
pub mod child;
pub mod desk;
pub mod form;
pub mod host;
pub mod import;
pub mod kinds;
pub mod memtest;
pub mod patterns;
pub mod runs;
pub mod supervise;
pub mod verdict;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a backend stopped: the card failed under the test, or the device would not do the work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum BackendError {
    /// CUDA reported an uncorrectable ECC error (`CUDA_ERROR_ECC_UNCORRECTABLE`): the card failed.
    #[error("uncorrectable ECC error during the test: {0}")]
    EccUncorrectable(String),
    /// The device stopped answering, faulted or timed out mid-launch (Xid 79, 13, 31, …).
    #[error("the GPU failed during the test: {0}")]
    DeviceFailed(String),
    /// Could not set the test up (no memory, module would not load): says nothing about the card.
    #[error("the test could not run: {0}")]
    Setup(String),
}

/// Time as a run counts it: the wall clock, or a faster one for simulated runs so a "60-minute"
/// training burn-in passes in a minute.
pub trait Clock: Sync {
    fn elapsed(&self) -> Duration;
    /// Waits `duration` of this clock's time; false when cancelled first.
    fn sleep(&self, duration: Duration, cancel: &AtomicBool) -> bool;
}

/// Wall time scaled by `speed` (1 for a real run).
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    start: Instant,
    speed: u32,
}

impl ScaledClock {
    pub fn real() -> ScaledClock {
        ScaledClock { start: Instant::now(), speed: 1 }
    }

    pub fn faster(speed: u32) -> ScaledClock {
        ScaledClock { start: Instant::now(), speed: speed.max(1) }
    }
}

impl Clock for ScaledClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed() * self.speed
    }

    fn sleep(&self, duration: Duration, cancel: &AtomicBool) -> bool {
        let until = Instant::now() + duration / self.speed;
        while Instant::now() < until {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(20)));
        }
        !cancel.load(Ordering::Relaxed)
    }
}
