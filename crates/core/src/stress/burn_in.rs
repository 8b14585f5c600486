//! The burn-in: a sustained matrix-multiply load whose every result is compared with the first
//! (the same inputs must give the same bits), for as long as the technician chose. Power, clocks
//! and temperatures are the driver's to report; this counts the work and the wrong answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{BackendError, Clock};

/// Something that multiplies matrices over and over and checks the products: the GPU's tensor
/// cores, or the host for the simulated bench.
pub trait ComputeBackend {
    /// Floating-point operations in one multiplication.
    fn flops_per_iteration(&self) -> f64;
    /// Runs `iterations` multiplications; returns how many result elements differed from the first
    /// product's.
    fn run(&mut self, iterations: u32) -> Result<u64, BackendError>;
}

/// The shortest and longest burn-in a run accepts: a minute, a day.
pub const MIN_SECONDS: u64 = 60;
pub const MAX_SECONDS: u64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BurnInProgress {
    pub elapsed_seconds: u64,
    pub duration_seconds: u64,
    pub iterations: u64,
    pub compute_errors: u64,
    pub tflops: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BurnInReport {
    pub duration_seconds: u64,
    /// How long it ran, by the run's clock.
    pub seconds: u64,
    pub iterations: u64,
    pub compute_errors: u64,
    /// Sustained throughput over the wall time the work took.
    pub tflops: f64,
    pub completed: bool,
}

/// Loads the backend for `duration` of `clock` time or until `cancel`; reports about once a second.
pub fn run_burn_in(
    backend: &mut dyn ComputeBackend,
    duration: Duration,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(BurnInProgress),
) -> (BurnInReport, Option<BackendError>) {
    let started = clock.elapsed();
    let wall = Instant::now();
    let (mut iterations, mut errors, mut batch, mut failure) = (0u64, 0u64, 1u32, None);
    let flops = backend.flops_per_iteration();
    let tflops = |iterations: u64| iterations as f64 * flops / wall.elapsed().as_secs_f64().max(1e-9) / 1e12;
    while clock.elapsed() - started < duration && !cancel.load(Ordering::Relaxed) {
        let batch_start = Instant::now();
        match backend.run(batch) {
            Ok(found) => {
                iterations += u64::from(batch);
                errors += found;
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
        // Aim for batches of about a quarter second, so progress and cancelling stay prompt.
        let took = batch_start.elapsed().as_secs_f64().max(1e-6);
        batch = ((f64::from(batch) * 0.25 / took).round() as u32).clamp(1, 1 << 16);
        progress(BurnInProgress {
            elapsed_seconds: (clock.elapsed() - started).as_secs().min(duration.as_secs()),
            duration_seconds: duration.as_secs(),
            iterations,
            compute_errors: errors,
            tflops: tflops(iterations),
        });
    }
    let seconds = (clock.elapsed() - started).as_secs().min(duration.as_secs());
    let report = BurnInReport {
        duration_seconds: duration.as_secs(),
        seconds,
        iterations,
        compute_errors: errors,
        tflops: tflops(iterations),
        completed: failure.is_none() && seconds >= duration.as_secs(),
    };
    (report, failure)
}

/// A wrong product the host backend makes on purpose: bit `bit` of element `element` at iteration
/// `at_iteration` (counting from 1), like a marginal core that flips a bit under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeFault {
    pub at_iteration: u64,
    pub element: usize,
    pub bit: u32,
}

/// Single-precision matrix products on the host, checked the way the GPU kernel checks them.
pub struct HostCompute {
    size: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    reference: Option<Vec<f32>>,
    done: u64,
    faults: Vec<ComputeFault>,
}

impl HostCompute {
    pub fn new(size: usize, faults: Vec<ComputeFault>) -> HostCompute {
        let element = |i: usize, salt: u64| (super::patterns::splitmix64(i as u64 ^ salt) % 1000) as f32 / 1000.0 - 0.5;
        let a = (0..size * size).map(|i| element(i, 1)).collect();
        let b = (0..size * size).map(|i| element(i, 2)).collect();
        HostCompute { size, a, b, reference: None, done: 0, faults }
    }

    fn multiply(&self) -> Vec<f32> {
        let n = self.size;
        let mut c = vec![0f32; n * n];
        for row in 0..n {
            for k in 0..n {
                let a = self.a[row * n + k];
                for col in 0..n {
                    c[row * n + col] += a * self.b[k * n + col];
                }
            }
        }
        c
    }
}

impl ComputeBackend for HostCompute {
    fn flops_per_iteration(&self) -> f64 {
        2.0 * (self.size as f64).powi(3)
    }

    fn run(&mut self, iterations: u32) -> Result<u64, BackendError> {
        let mut differing = 0;
        for _ in 0..iterations {
            self.done += 1;
            let mut product = self.multiply();
            for fault in self.faults.iter().filter(|f| f.at_iteration == self.done) {
                if let Some(value) = product.get_mut(fault.element) {
                    *value = f32::from_bits(value.to_bits() ^ (1 << (fault.bit % 32)));
                }
            }
            match &self.reference {
                None => self.reference = Some(product),
                Some(reference) => {
                    differing +=
                        reference.iter().zip(&product).filter(|(r, p)| r.to_bits() != p.to_bits()).count() as u64
                }
            }
        }
        Ok(differing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::ScaledClock;

    fn burn(faults: Vec<ComputeFault>, seconds: u64) -> BurnInReport {
        let mut host = HostCompute::new(32, faults);
        let clock = ScaledClock::faster(600);
        let (report, failure) =
            run_burn_in(&mut host, Duration::from_secs(seconds), &clock, &AtomicBool::new(false), &mut |_| {});
        assert_eq!(failure, None);
        report
    }

    #[test]
    fn a_sound_backend_burns_for_the_whole_duration_without_errors() {
        let report = burn(Vec::new(), 120);
        assert!(report.completed && report.seconds == 120 && report.iterations > 1);
        assert_eq!(report.compute_errors, 0);
        assert!(report.tflops > 0.0);
    }

    #[test]
    fn a_flipped_bit_in_one_product_is_counted() {
        let faults = vec![
            ComputeFault { at_iteration: 3, element: 17, bit: 22 },
            ComputeFault { at_iteration: 5, element: 0, bit: 31 },
        ];
        assert_eq!(burn(faults, 60).compute_errors, 2);
    }

    #[test]
    fn cancelling_ends_an_incomplete_burn_in() {
        let cancel = AtomicBool::new(false);
        let mut host = HostCompute::new(16, Vec::new());
        let (report, _) = run_burn_in(&mut host, Duration::from_secs(3600), &ScaledClock::real(), &cancel, &mut |p| {
            if p.iterations > 3 {
                cancel.store(true, Ordering::Relaxed);
            }
        });
        assert!(!report.completed && report.seconds < 3600);
    }
}
