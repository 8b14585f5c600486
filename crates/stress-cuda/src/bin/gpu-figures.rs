//! Checks and measures the GPU backends on a real card. First the device checks
//! (`revive_stress_cuda::device_checks`: the kernels against the host backend and the burn-in's
//! products against sums worked out on the host), which live here and not in `cargo test`
//! because CI has no GPU. Then the figures: device-to-device copy bandwidth, the memory test's
//! throughput per pattern over the same memory (and its share of the copy bandwidth), and the
//! burn-in's sustained TFLOP/s, as a table.
//!
//!     revive-gpu-figures [--gpu N] [--fraction F] [--burn-seconds S] [--checks-only]
//!
//! Exit status: 0 every check passed and the figures were measured, 1 a check failed or the card
//! or a kernel misbehaved (mismatches on a sound card mean a kernel bug; the figures are still
//! printed after a failed check), 2 no usable GPU here.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use revive_core::stress::burn_in::{run_burn_in, ComputeBackend};
use revive_core::stress::memtest::{run_memory_test, MemoryBackend, MemoryTestPlan};
use revive_core::stress::patterns::Pattern;
use revive_core::stress::{BackendError, ScaledClock};

/// The memory test should move data at least this share of a plain copy's rate.
const TARGET_RATIO: f64 = 0.85;

struct Options {
    gpu: u32,
    fraction: f64,
    burn_seconds: u64,
    checks_only: bool,
}

fn parse() -> Result<Options, String> {
    let mut options =
        Options { gpu: 0, fraction: revive_stress_cuda::DEFAULT_MEMORY_FRACTION, burn_seconds: 60, checks_only: false };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--checks-only" {
            options.checks_only = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--gpu" => options.gpu = number(&flag, &value)?,
            "--fraction" => options.fraction = number(&flag, &value)?,
            "--burn-seconds" => options.burn_seconds = number(&flag, &value)?,
            _ => {
                return Err(format!(
                    "unknown option {flag} (options: --gpu N, --fraction F, --burn-seconds S, --checks-only)"
                ))
            }
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: {value:?} is not a number"))
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("revive-gpu-figures: {message}");
            return ExitCode::from(2);
        }
    };
    let gpu = match revive_stress_cuda::open(options.gpu) {
        Ok(gpu) => gpu,
        Err(BackendError::Setup(message)) => {
            eprintln!("revive-gpu-figures: no usable GPU: {message}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("revive-gpu-figures: {error}");
            return ExitCode::from(1);
        }
    };
    let (major, minor) = gpu.compute_capability();
    println!("GPU {}: {} (compute capability {major}.{minor})", options.gpu, gpu.name());
    let checked = check(options.gpu);
    if options.checks_only {
        return if checked { ExitCode::SUCCESS } else { ExitCode::from(1) };
    }
    match measure(&gpu, &options) {
        Ok(true) if checked => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("revive-gpu-figures: {error}");
            ExitCode::from(1)
        }
    }
}

/// Runs the device checks and prints a line for each; false when one failed.
fn check(gpu: u32) -> bool {
    let mut passed = true;
    for outcome in revive_stress_cuda::device_checks::run_all(gpu) {
        match outcome.result {
            Ok(()) => println!("check {}: ok", outcome.name),
            Err(message) => {
                println!("check {}: FAILED: {message}", outcome.name);
                passed = false;
            }
        }
    }
    passed
}

/// Runs every measurement and prints the table; false when a test found errors.
fn measure(gpu: &revive_stress_cuda::Gpu, options: &Options) -> Result<bool, BackendError> {
    let mut sound = true;

    let mut memory = gpu.memory(options.fraction)?;
    let tested = memory.words() * 4;
    println!(
        "memory: {:.2} GiB tested of {:.2} GiB free ({:.1} %)",
        tested as f64 / f64::from(1 << 30),
        memory.available_bytes() as f64 / f64::from(1 << 30),
        tested as f64 * 100.0 / memory.available_bytes() as f64
    );
    let copy = memory.copy_bandwidth_gb_s(5)?;
    println!();
    println!("{:<22} {:>10} {:>8} {:>10} {:>10}", "measurement", "GB/s", "ratio", "seconds", "mismatches");
    println!("{:<22} {:>10.1} {:>8} {:>10} {:>10}", "copy (read + write)", copy, "1.00", "", "");
    for pattern in Pattern::STANDARD {
        let plan = MemoryTestPlan { patterns: vec![pattern], passes: 3, fade_wait_seconds: 0, seed: 1 };
        let (report, failure) =
            run_memory_test(&mut memory, &plan, &ScaledClock::real(), &AtomicBool::new(false), &mut |_| {});
        if let Some(error) = failure {
            return Err(error);
        }
        let rate = report.throughput_gb_s();
        let ratio = rate / copy;
        let flag = if ratio < TARGET_RATIO { " < target" } else { "" };
        println!(
            "{:<22} {:>10.1} {:>8.2} {:>10.3} {:>10}{flag}",
            format!("memtest {pattern:?}"),
            rate,
            ratio,
            report.seconds,
            report.mismatches.total
        );
        sound &= report.mismatches.total == 0;
    }
    drop(memory);

    let mut compute = gpu.compute()?;
    let order = compute.matrix_order();
    let (report, failure) = run_burn_in(
        &mut compute,
        Duration::from_secs(options.burn_seconds),
        &ScaledClock::real(),
        &AtomicBool::new(false),
        &mut |_| {},
    );
    if let Some(error) = failure {
        return Err(error);
    }
    println!();
    println!(
        "burn-in: {order}×{order} FP16 GEMM (FP32 accumulate), {} s, {} iterations, {:.1} TFLOP/s, {} differing elements",
        report.seconds, report.iterations, report.tflops, report.compute_errors
    );
    println!("({:.3} TFLOP per iteration)", compute.flops_per_iteration() / 1e12);
    sound &= report.compute_errors == 0;
    if !sound {
        eprintln!("revive-gpu-figures: errors found: a fault on this card, or a kernel bug");
    }
    Ok(sound)
}
