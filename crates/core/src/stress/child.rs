//! The test process's side: one GPU's work in a process of its own (`revive stress-worker`), so an
//! Xid 79, an uncorrectable error or a hung kernel takes down that process, never the app. It reads
//! its job from the command line, writes one JSON message a line to stdout, and stops early when a
//! line `cancel` arrives on stdin or stdin closes (the parent went away).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::burn_in::{run_burn_in, BurnInProgress, BurnInReport, ComputeBackend, ComputeFault, HostCompute};
use super::host::{HostMemory, MemoryFault};
use super::memtest::{run_memory_test, MemoryBackend, MemoryProgress, MemoryTestPlan, MemoryTestReport};
use super::{BackendError, Clock, ScaledClock};

/// One GPU's work as the parent hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkerJob {
    pub gpu: u32,
    pub memory: Option<MemoryTestPlan>,
    pub burn_in_seconds: Option<u64>,
    /// Host memory and compute stand in for the GPU, on a clock `speed` times faster.
    pub simulated: Option<SimulatedWork>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimulatedWork {
    /// The scenario file: its GPU's `simulated_stress` says what faults the stand-in has.
    pub scenario: PathBuf,
    pub speed: u32,
}

/// A simulated GPU's faults, from the scenario's `simulated_stress` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatedFaults {
    pub memory: Vec<MemoryFault>,
    pub compute: Vec<ComputeFault>,
    /// The process dies this many (run-clock) seconds in, as it does when its GPU faults.
    pub crash_after_seconds: Option<u64>,
    /// The process stops answering this many seconds in, as with a hung kernel.
    pub hang_after_seconds: Option<u64>,
}

impl SimulatedFaults {
    /// Reads GPU `gpu`'s faults from a scenario file; none when it declares none.
    pub fn of(scenario: &std::path::Path, gpu: u32) -> Result<SimulatedFaults, String> {
        let text = std::fs::read_to_string(scenario).map_err(|e| format!("{}: {e}", scenario.display()))?;
        let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        match doc.get("gpus").and_then(|gpus| gpus.get(gpu as usize)).and_then(|g| g.get("simulated_stress")) {
            Some(faults) => serde_json::from_value(faults.clone()).map_err(|e| format!("simulated_stress: {e}")),
            None => Ok(SimulatedFaults::default()),
        }
    }
}

/// What a test process says, one per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "message", rename_all_fields = "camelCase")]
pub enum WorkerMessage {
    Memory { progress: MemoryProgress },
    BurnIn { progress: BurnInProgress },
    Done { memory: Option<Box<MemoryTestReport>>, burn_in: Option<BurnInReport>, error: Option<BackendError> },
}

/// Host memory a simulated GPU's memory test runs over: large enough to exercise the chunking,
/// small enough for a laptop running eight of them.
pub const SIMULATED_MEMORY_BYTES: u64 = 8 << 20;
/// The matrices a simulated burn-in multiplies.
const SIMULATED_MATRIX: usize = 48;

/// Runs the job on the given backends; the memory test first (on a cold card), then the burn-in.
pub fn serve(
    job: &WorkerJob,
    memory: Option<&mut dyn MemoryBackend>,
    compute: Option<&mut dyn ComputeBackend>,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    out: &mut dyn Write,
    watch: &mut dyn FnMut(u64),
) {
    let mut say = |message: &WorkerMessage| {
        if let Ok(line) = serde_json::to_string(message) {
            // A parent that stopped reading cannot be told anything more: carry on to the end.
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        }
    };
    let mut error = None;
    let memory_report = match (job.memory.as_ref(), memory) {
        (Some(plan), Some(backend)) => {
            let (report, failure) = run_memory_test(backend, plan, clock, cancel, &mut |progress| {
                watch(clock.elapsed().as_secs());
                say(&WorkerMessage::Memory { progress });
            });
            error = failure;
            Some(Box::new(report))
        }
        _ => None,
    };
    let burn_in_report = match (job.burn_in_seconds, compute) {
        (Some(seconds), Some(backend)) if error.is_none() && !cancel.load(Ordering::Relaxed) => {
            let (report, failure) =
                run_burn_in(backend, Duration::from_secs(seconds), clock, cancel, &mut |progress| {
                    watch(clock.elapsed().as_secs());
                    say(&WorkerMessage::BurnIn { progress });
                });
            error = failure;
            Some(report)
        }
        _ => None,
    };
    say(&WorkerMessage::Done { memory: memory_report, burn_in: burn_in_report, error });
}

/// Watches stdin for `cancel` or its end; returns the flag it sets.
pub fn cancel_on_stdin() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(line) if line.trim() != "cancel" => continue,
                _ => break,
            }
        }
        flag.store(true, Ordering::Relaxed);
    });
    cancel
}

/// The simulated GPU's work: host memory and host compute with the scenario's faults, on a fast clock.
pub fn serve_simulated(
    job: &WorkerJob,
    work: &SimulatedWork,
    cancel: &AtomicBool,
    out: &mut dyn Write,
) -> Result<(), String> {
    let faults = SimulatedFaults::of(&work.scenario, job.gpu)?;
    let clock = ScaledClock::faster(work.speed);
    let mut memory = match job.memory {
        Some(_) => Some(
            HostMemory::new(SIMULATED_MEMORY_BYTES / 4, SIMULATED_MEMORY_BYTES)
                .map_err(|e| e.to_string())?
                .with_faults(faults.memory.clone()),
        ),
        None => None,
    };
    let mut compute = job.burn_in_seconds.map(|_| HostCompute::new(SIMULATED_MATRIX, faults.compute.clone()));
    let mut watch = |seconds: u64| {
        if faults.crash_after_seconds.is_some_and(|at| seconds >= at) {
            std::process::abort();
        }
        if faults.hang_after_seconds.is_some_and(|at| seconds >= at) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    };
    serve(
        job,
        memory.as_mut().map(|m| m as &mut dyn MemoryBackend),
        compute.as_mut().map(|c| c as &mut dyn ComputeBackend),
        &clock,
        cancel,
        out,
        &mut watch,
    );
    Ok(())
}
