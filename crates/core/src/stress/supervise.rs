//! The parent's side of a stress run: checks each GPU can take the test, starts one test process
//! per GPU, watches the cards through NVML while they work (telemetry, Xids, a GPU lost), kills a
//! process that stops answering, and judges each GPU from what the driver and its process said.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::burn_in::{BurnInProgress, BurnInReport, MAX_SECONDS, MIN_SECONDS};
use super::child::{SimulatedWork, WorkerJob, WorkerMessage};
use super::memtest::{MemoryProgress, MemoryTestPlan, MemoryTestReport};
use super::verdict::{judge, Judgement, StressEvidence, WorkerEnd};
use super::{Clock, ScaledClock};
use crate::bench::{now_ms, BenchSnapshot, GpuProvider, GpuReading, LiveXid, NvmlProvider, Sample, Workbench};
use crate::error::{CoreError, CoreResult, Field, Problem, StressBlocker};
use crate::workshop::Catalogs;

/// What a technician starts: which GPUs, and a memory test, a burn-in or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StressRequest {
    pub gpus: Vec<u32>,
    pub burn_in_seconds: Option<u64>,
    pub memory: Option<MemoryTestPlan>,
}

pub const MAX_PASSES: u32 = 100;
/// memtest86's bit fade waits 90 minutes; three hours is the most anyone asks for.
pub const MAX_FADE_WAIT_SECONDS: u64 = 3 * 3600;

impl StressRequest {
    fn check(&self, gpu_count: usize) -> CoreResult<()> {
        let invalid = |field, problem| Err(CoreError::invalid(field, problem));
        if self.gpus.is_empty() || self.gpus.iter().any(|g| *g as usize >= gpu_count) {
            return invalid(Field::GpuIndex, if self.gpus.is_empty() { Problem::Empty } else { Problem::Unknown });
        }
        if self.gpus.iter().enumerate().any(|(i, g)| self.gpus[..i].contains(g)) {
            return invalid(Field::GpuIndex, Problem::Duplicate);
        }
        self.check_plan()
    }

    /// Checks what is asked of each GPU (not which GPUs): for a test queued for another machine.
    pub fn check_plan(&self) -> CoreResult<()> {
        let invalid = |field, problem| Err(CoreError::invalid(field, problem));
        if self.burn_in_seconds.is_none() && self.memory.is_none() {
            return invalid(Field::StressTest, Problem::Empty);
        }
        if self.burn_in_seconds.is_some_and(|s| !(MIN_SECONDS..=MAX_SECONDS).contains(&s)) {
            return invalid(
                Field::BurnInDuration,
                Problem::OutOfRange { min: MIN_SECONDS / 60, max: MAX_SECONDS / 60 },
            );
        }
        if let Some(plan) = &self.memory {
            if !(1..=MAX_PASSES).contains(&plan.passes) {
                return invalid(Field::MemoryPasses, Problem::OutOfRange { min: 1, max: u64::from(MAX_PASSES) });
            }
            if plan.patterns.is_empty() {
                return invalid(Field::MemoryPatterns, Problem::Empty);
            }
            if plan.fade_wait_seconds > MAX_FADE_WAIT_SECONDS {
                return invalid(Field::MemoryPatterns, Problem::TooLarge { max: MAX_FADE_WAIT_SECONDS / 60 });
            }
        }
        Ok(())
    }
}

/// A memory test needs this share of the card free, or it cannot cover 95 % of it.
const MIN_FREE_SHARE: f64 = 0.9;

/// Where each progress line comes from, for the live view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StressProgress {
    pub gpu: u32,
    pub memory: Option<MemoryProgress>,
    pub burn_in: Option<BurnInProgress>,
    pub sample: Option<Sample>,
    /// Run-clock seconds since the start.
    pub elapsed_seconds: u64,
    pub simulated: bool,
}

/// How much faster a simulated run's clock goes than the wall: a two-hour burn-in on the simulated
/// bench takes twelve seconds (training, demos and tests need no patience; it is marked SIMULATED).
pub const SIMULATED_SPEED: u32 = 600;

/// How the parent runs test processes.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `revive` program (`revive stress-worker` is its test process).
    pub program: PathBuf,
    /// Silence after which a test process counts as hung (wall time).
    pub hang_after: Duration,
    /// How much faster a simulated run's clock goes.
    pub simulated_speed: u32,
    /// Telemetry period by the run's clock.
    pub sample_every: Duration,
}

impl Launch {
    pub fn new(program: PathBuf) -> Launch {
        Launch {
            program,
            hang_after: Duration::from_secs(120),
            simulated_speed: SIMULATED_SPEED,
            sample_every: Duration::from_secs(1),
        }
    }
}

/// One GPU's run: what it did, what the driver showed, and the verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GpuStressOutcome {
    pub gpu: u32,
    pub simulated: bool,
    pub started_at_ms: u64,
    pub seconds: u64,
    pub before: GpuReading,
    pub after: GpuReading,
    pub memory: Option<MemoryTestReport>,
    pub burn_in: Option<BurnInReport>,
    pub worker: WorkerEnd,
    pub xids: Vec<u32>,
    pub judgement: Judgement,
    #[serde(skip)]
    pub samples: Vec<Sample>,
    /// How much faster than the wall the run's clock went (1 unless simulated).
    pub clock_speed: u32,
}

/// What the bench lends a stress run: its driver and the Xids it hears.
pub struct StressBench {
    pub provider: Arc<NvmlProvider>,
    pub xids: Arc<Mutex<Vec<LiveXid>>>,
}

impl StressBench {
    pub fn of(bench: &Workbench) -> CoreResult<StressBench> {
        let (provider, xids) = bench.shared()?;
        Ok(StressBench { provider, xids })
    }

    pub fn gpu_count(&self) -> CoreResult<usize> {
        Ok(self.provider.snapshot()?.gpus.len())
    }
}

struct Running {
    gpu: u32,
    child: Child,
    stdin: Option<ChildStdin>,
    heard: Instant,
    /// Its stdout ended.
    closed: bool,
    /// The driver said persistence mode was off when it started.
    persistence_off: bool,
    memory: Option<MemoryTestReport>,
    burn_in: Option<BurnInReport>,
    end: Option<WorkerEnd>,
    stderr: Arc<Mutex<String>>,
    samples: Vec<Sample>,
}

/// Runs `request` to its end (or `cancel`), reporting progress as it goes.
pub fn run_stress(
    bench: &StressBench,
    catalogs: &Catalogs,
    request: &StressRequest,
    launch: &Launch,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(StressProgress),
) -> CoreResult<Vec<GpuStressOutcome>> {
    let provider = &bench.provider;
    let before = check(bench, request)?;
    let simulated = before.simulated;
    let speed = if simulated { launch.simulated_speed.max(1) } else { 1 };
    let clock = ScaledClock::faster(speed);
    // A faster clock samples faster too, so each sample stands for the same run-clock time
    // (within what a 50 Hz poll of the driver allows).
    let tick = (launch.sample_every / speed).max(Duration::from_millis(20));
    let started_at_ms = now_ms();
    // Each process's stdout, line by line; `None` when it closed.
    let (lines, heard) = mpsc::channel::<(u32, Option<String>)>();
    let mut running = Vec::new();
    for &gpu in &request.gpus {
        let job = WorkerJob {
            gpu,
            memory: request.memory.clone(),
            burn_in_seconds: request.burn_in_seconds,
            simulated: provider
                .scenario()
                .filter(|_| simulated)
                .map(|scenario| SimulatedWork { scenario: scenario.to_owned(), speed }),
        };
        match spawn(launch, &job, lines.clone()) {
            Ok(mut worker) => {
                // Not a reason to refuse (desktop boards often run without it), but said in the verdict.
                worker.persistence_off = provider.stress_readiness(gpu).persistence == Some(false);
                provider.simulate_load(gpu, true);
                running.push(worker);
            }
            Err(error) => {
                stop_all(&mut running, provider);
                return Err(error);
            }
        }
    }
    drop(lines);

    let mut cancelled_at: Option<Instant> = None;
    while running.iter().any(|r| r.end.is_none()) {
        std::thread::sleep(tick);
        let elapsed = clock.elapsed().as_secs();
        let blank = |gpu| StressProgress {
            gpu,
            memory: None,
            burn_in: None,
            sample: None,
            elapsed_seconds: elapsed,
            simulated,
        };
        provider.simulate_clock(elapsed);
        let samples = provider.sample().unwrap_or_default();
        for worker in running.iter_mut().filter(|r| r.end.is_none()) {
            if let Some(sample) = samples.iter().find(|s| s.gpu == worker.gpu) {
                worker.samples.push(*sample);
                progress(StressProgress { sample: Some(*sample), ..blank(worker.gpu) });
            }
        }
        while let Ok((gpu, line)) = heard.try_recv() {
            let Some(worker) = running.iter_mut().find(|r| r.gpu == gpu) else { continue };
            worker.heard = Instant::now();
            let Some(line) = line else {
                worker.closed = true;
                continue;
            };
            match serde_json::from_str::<WorkerMessage>(&line) {
                Ok(WorkerMessage::Memory { progress: p }) => progress(StressProgress { memory: Some(p), ..blank(gpu) }),
                Ok(WorkerMessage::BurnIn { progress: p }) => {
                    progress(StressProgress { burn_in: Some(p), ..blank(gpu) })
                }
                Ok(WorkerMessage::Done { memory, burn_in, error }) => {
                    worker.memory = memory.map(|m| *m);
                    worker.burn_in = burn_in;
                    worker.end = Some(match error {
                        Some(error) => WorkerEnd::backend_failed(&error),
                        None if cancelled_at.is_some() => WorkerEnd::Cancelled,
                        None => WorkerEnd::Finished,
                    });
                }
                // Anything else on stdout is not from our worker's protocol: note it as its last words.
                Err(_) => append(&worker.stderr, &line),
            }
        }
        if cancel.load(Ordering::Relaxed) && cancelled_at.is_none() {
            cancelled_at = Some(Instant::now());
            for worker in running.iter_mut() {
                if let Some(stdin) = worker.stdin.as_mut() {
                    let _ = writeln!(stdin, "cancel");
                }
            }
        }
        for worker in running.iter_mut().filter(|r| r.end.is_none()) {
            let silent = worker.heard.elapsed();
            let grace_over =
                cancelled_at.is_some_and(|at| at.elapsed() > launch.hang_after.min(Duration::from_secs(15)));
            if silent > launch.hang_after || grace_over {
                let _ = worker.child.kill();
                let _ = worker.child.wait();
                worker.end = Some(if grace_over {
                    WorkerEnd::Cancelled
                } else {
                    WorkerEnd::Hung { silent_seconds: silent.as_secs() }
                });
            } else if worker.closed {
                // Its output ended without a result: it died (a hung process that closed its output
                // is caught by the silence above).
                if let Ok(Some(status)) = worker.child.try_wait() {
                    let last_words = worker.stderr.lock().unwrap_or_else(|p| p.into_inner()).trim().to_owned();
                    worker.end = Some(WorkerEnd::Died { status: status.to_string(), last_words });
                }
            }
        }
    }
    let seconds = clock.elapsed().as_secs();
    // The bench's Xid watcher polls the driver every 200 ms: let it hear what the end brought.
    std::thread::sleep(Duration::from_millis(500));
    for worker in &mut running {
        provider.simulate_load(worker.gpu, false);
        let _ = worker.child.wait();
    }
    let after = provider.snapshot()?;
    let xids: Vec<LiveXid> = bench
        .xids
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|x| x.at_ms >= started_at_ms)
        .copied()
        .collect();
    Ok(running
        .into_iter()
        .map(|worker| {
            let gpu_xids: Vec<u32> = xids
                .iter()
                .filter(|x| x.gpu_index == worker.gpu)
                .map(|x| u32::try_from(x.xid).unwrap_or(u32::MAX))
                .collect();
            let (before, after) = (reading(&before, worker.gpu), reading(&after, worker.gpu));
            let end = worker.end.unwrap_or(WorkerEnd::Cancelled);
            let judgement = judge(
                &catalogs.rules,
                &catalogs.xids,
                &StressEvidence {
                    before: &before,
                    after: &after,
                    samples: &worker.samples,
                    started_at_ms,
                    clock_speed: speed,
                    xids: &gpu_xids,
                    memory: worker.memory.as_ref(),
                    burn_in: worker.burn_in.as_ref(),
                    worker: &end,
                    run_seconds: seconds,
                    persistence_off: worker.persistence_off,
                },
            );
            GpuStressOutcome {
                gpu: worker.gpu,
                simulated,
                started_at_ms,
                seconds,
                before,
                after,
                memory: worker.memory,
                burn_in: worker.burn_in,
                worker: end,
                xids: gpu_xids,
                judgement,
                samples: worker.samples,
                clock_speed: speed,
            }
        })
        .collect())
}

fn reading(snapshot: &BenchSnapshot, gpu: u32) -> GpuReading {
    snapshot
        .gpus
        .iter()
        .find(|r| matches!(r, GpuReading::Present { index, .. } | GpuReading::Lost { index } if *index == gpu))
        .cloned()
        .unwrap_or(GpuReading::Lost { index: gpu })
}

/// Whether `request` can run on the bench now: valid, and every GPU free for it. Returns the
/// reading it checked against.
pub fn check(bench: &StressBench, request: &StressRequest) -> CoreResult<BenchSnapshot> {
    let snapshot = bench.provider.snapshot()?;
    request.check(snapshot.gpus.len())?;
    check_ready(&bench.provider, request)?;
    Ok(snapshot)
}

fn check_ready(provider: &NvmlProvider, request: &StressRequest) -> CoreResult<()> {
    for &gpu in &request.gpus {
        let ready = provider.stress_readiness(gpu);
        let blocker = if ready.lost {
            Some(StressBlocker::GpuLost)
        } else if !ready.compute_processes.is_empty() {
            Some(StressBlocker::OtherProcesses { count: ready.compute_processes.len() as u32 })
        } else if ready.mig_enabled == Some(true) {
            Some(StressBlocker::MigEnabled)
        } else {
            match (ready.memory_free_mib, ready.memory_total_mib) {
                (Some(free), Some(total))
                    if request.memory.is_some() && (free as f64) < total as f64 * MIN_FREE_SHARE =>
                {
                    Some(StressBlocker::MemoryInUse { free_mib: free, total_mib: total })
                }
                _ => None,
            }
        };
        if let Some(blocker) = blocker {
            return Err(CoreError::NotReadyForStress { gpu, blocker });
        }
    }
    Ok(())
}

fn spawn(launch: &Launch, job: &WorkerJob, lines: mpsc::Sender<(u32, Option<String>)>) -> CoreResult<Running> {
    let failed = |e: std::io::Error| CoreError::StressFailed(format!("{}: {e}", launch.program.display()));
    let job_json = serde_json::to_string(job)?;
    let mut child = Command::new(&launch.program)
        .args(["stress-worker", "--job", &job_json])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    let gpu = job.gpu;
    let stdout = child.stdout.take().ok_or_else(|| CoreError::StressFailed("no stdout".into()))?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send((gpu, Some(line))).is_err() {
                return;
            }
        }
        let _ = lines.send((gpu, None));
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    if let Some(mut pipe) = child.stderr.take() {
        let kept = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = pipe.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                append(&kept, &String::from_utf8_lossy(&buffer[..read]));
            }
        });
    }
    let stdin = child.stdin.take();
    Ok(Running {
        gpu,
        child,
        stdin,
        heard: Instant::now(),
        closed: false,
        persistence_off: false,
        memory: None,
        burn_in: None,
        end: None,
        stderr,
        samples: Vec::new(),
    })
}

/// Keeps the last 2 KB a process wrote, for the finding that says how it died.
fn append(kept: &Mutex<String>, text: &str) {
    let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
    kept.push_str(text);
    if kept.len() > 2048 {
        let mut cut = kept.len() - 2048;
        while !kept.is_char_boundary(cut) {
            cut += 1;
        }
        kept.drain(..cut);
    }
}

fn stop_all(running: &mut [Running], provider: &NvmlProvider) {
    for worker in running {
        let _ = worker.child.kill();
        let _ = worker.child.wait();
        provider.simulate_load(worker.gpu, false);
    }
}
