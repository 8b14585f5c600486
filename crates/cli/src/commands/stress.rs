//! `revive stress`: the memory test and burn-in on this machine's GPUs for rack servers and
//! scripts, exit status by verdict; and `revive stress-worker`, the one-GPU test process both the
//! CLI and the workstation start.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use revive_core::bench::Workbench;
use revive_core::stress::burn_in::ComputeBackend;
use revive_core::stress::child::{cancel_on_stdin, serve, serve_simulated, WorkerJob, WorkerMessage};
use revive_core::stress::form::memory_plan;
use revive_core::stress::memtest::MemoryBackend;
use revive_core::stress::supervise::{
    run_stress, GpuStressOutcome, Launch, StressBench, StressProgress, StressRequest,
};
use revive_core::stress::verdict::Verdict;
use revive_core::stress::ScaledClock;
use serde_json::json;

use super::shop_catalogs;
use crate::cli::{Language, StressDriver};
use crate::exit::Exit;
use crate::output::{emit, fail};

/// What to run.
pub struct Plan {
    pub burn_in: Option<u64>,
    pub memtest: bool,
    pub passes: u32,
    pub bit_fade: Option<u64>,
    pub gpus: String,
}

pub fn run(plan: Plan, driver: &StressDriver, as_json: bool, lang: Language) -> Exit {
    let mut bench = Workbench::default();
    if let Err(error) = bench.connect_source(&driver.driver.source()) {
        return fail(Exit::BenchUnavailable, error);
    }
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let (stress_bench, gpu_count) = match StressBench::of(&bench).and_then(|b| Ok((b.gpu_count()?, b))) {
        Ok((count, stress_bench)) => (stress_bench, count),
        Err(error) => return fail(Exit::BenchUnavailable, error),
    };
    let gpus = match gpu_list(&plan.gpus, gpu_count) {
        Ok(gpus) => gpus,
        Err(message) => return fail(Exit::BadArguments, message),
    };
    let memory = plan.memtest.then(|| memory_plan(plan.passes, plan.bit_fade, revive_core::bench::now_ms()));
    let request = StressRequest { gpus, burn_in_seconds: plan.burn_in, memory };
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => return fail(Exit::Unreadable, format!("cannot find this program: {error}")),
    };
    let launch = Launch {
        hang_after: Duration::from_secs(driver.hang_after),
        simulated_speed: driver.speed,
        ..Launch::new(program)
    };
    let mut last_said = Instant::now();
    let mut report_progress = |progress: StressProgress| {
        if !as_json && last_said.elapsed() >= Duration::from_secs(5) {
            last_said = Instant::now();
            eprintln!("{}", progress_line(&progress));
        }
    };
    let outcomes =
        match run_stress(&stress_bench, &catalogs, &request, &launch, &AtomicBool::new(false), &mut report_progress) {
            Ok(outcomes) => outcomes,
            Err(error) => return fail(Exit::BadArguments, error),
        };
    if as_json {
        emit(&format!("{:#}\n", json!({ "gpus": outcomes })));
    } else {
        emit(&report(&outcomes, lang));
    }
    exit_of(&outcomes)
}

/// `all`, or indexes separated by commas.
fn gpu_list(text: &str, count: usize) -> Result<Vec<u32>, String> {
    if text.trim() == "all" {
        return Ok((0..count as u32).collect());
    }
    text.split([',', '，'])
        .map(|part| {
            let index: u32 =
                part.trim().parse().map_err(|_| format!("`{part}` is not a GPU index (use all or e.g. 0,1,5)"))?;
            if index as usize >= count {
                return Err(format!("there is no GPU {index}: this machine has {count}"));
            }
            Ok(index)
        })
        .collect()
}

fn progress_line(progress: &StressProgress) -> String {
    let simulated = if progress.simulated { " [SIMULATED]" } else { "" };
    let what = match (&progress.memory, &progress.burn_in, &progress.sample) {
        (Some(m), _, _) => format!(
            "memory pass {}/{} {:?}: {:.2} GB checked, {} mismatches",
            m.pass + 1,
            m.passes,
            m.pattern,
            m.bytes_verified as f64 / 1e9,
            m.mismatches
        ),
        (_, Some(b), _) => format!(
            "burn-in {}/{} min: {:.2} TFLOP/s, {} errors",
            b.elapsed_seconds / 60,
            b.duration_seconds / 60,
            b.tflops,
            b.compute_errors
        ),
        (_, _, Some(s)) => format!(
            "{} °C, HBM {} °C, {} W",
            s.temperature_c.map_or("—".into(), |t| t.to_string()),
            s.memory_temperature_c.map_or("—".into(), |t| t.to_string()),
            s.power_w.map_or("—".into(), |p| format!("{p:.0}"))
        ),
        _ => String::new(),
    };
    format!("GPU {}{simulated} at {} s: {what}", progress.gpu, progress.elapsed_seconds)
}

fn report(outcomes: &[GpuStressOutcome], lang: Language) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let verdict = match outcome.judgement.verdict {
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::Incomplete => "INCOMPLETE",
        };
        let simulated = if outcome.simulated { "  [SIMULATED: not evidence about a real card]" } else { "" };
        say!(out, "GPU {}  {verdict}  after {} min{simulated}", outcome.gpu, outcome.seconds / 60);
        if let Some(memory) = &outcome.memory {
            say!(
                out,
                "  memory test: {:.1} % of {:.2} GB, {} pass(es), {} mismatches in {} page(s), {:.1} GB/s",
                memory.coverage_percent,
                memory.bytes_available as f64 / 1e9,
                memory.passes_completed,
                memory.mismatches.total,
                memory.mismatches.pages.len(),
                memory.throughput_gb_s()
            );
            for m in memory.mismatches.first.iter().take(8) {
                say!(
                    out,
                    "    offset {:#014x}  expected {:#010x}  found {:#010x}  flipped {:#010x}  ({:?}, pass {})",
                    m.offset,
                    m.expected,
                    m.found,
                    m.flipped,
                    m.pattern,
                    m.pass + 1
                );
            }
        }
        if let Some(burn_in) = &outcome.burn_in {
            say!(
                out,
                "  burn-in: {} of {} min, {:.2} TFLOP/s, {} compute errors",
                burn_in.seconds / 60,
                burn_in.duration_seconds / 60,
                burn_in.tflops,
                burn_in.compute_errors
            );
        }
        let load = &outcome.judgement.load;
        let number = |v: Option<u32>| v.map_or("—".into(), |v| v.to_string());
        say!(
            out,
            "  driver: peak {} °C, HBM {} °C; power {} of {} W; SM {} MHz; slowdown {:.0} s thermal, {:.0} s HW, {:.0} s power brake",
            number(load.peak_temperature_c),
            number(load.peak_memory_temperature_c),
            load.average_power_w.map_or("—".into(), |p| format!("{p:.0}")),
            load.power_limit_w.map_or("—".into(), |p| format!("{p:.0}")),
            load.average_sm_clock_mhz.map_or("—".into(), |c| format!("{c:.0}")),
            load.thermal_slowdown_seconds,
            load.hw_slowdown_seconds,
            load.power_brake_seconds
        );
        for finding in &outcome.judgement.findings {
            say!(out, "  [{:?}] {}", finding.severity, lang.pick(&finding.title));
            say!(out, "      → {}", lang.pick(&finding.next_step));
        }
        say!(out);
    }
    out
}

/// Failed beats incomplete beats warnings beats passed.
fn exit_of(outcomes: &[GpuStressOutcome]) -> Exit {
    outcomes
        .iter()
        .map(|outcome| match outcome.judgement.verdict {
            Verdict::Failed => Exit::Critical,
            Verdict::Incomplete => Exit::Incomplete,
            Verdict::Passed => Exit::of_findings(&outcome.judgement.findings),
        })
        .max_by_key(|exit| match exit {
            Exit::Critical => 3,
            Exit::Incomplete => 2,
            Exit::Warnings => 1,
            _ => 0,
        })
        .unwrap_or(Exit::Ok)
}

/// The test process: runs its job and says how it went on stdout, a JSON message a line.
pub fn worker(job: &str) -> Exit {
    let job: WorkerJob = match serde_json::from_str(job) {
        Ok(job) => job,
        Err(error) => return fail(Exit::BadArguments, format!("stress-worker: bad job: {error}")),
    };
    let cancel = cancel_on_stdin();
    let mut stdout = std::io::stdout().lock();
    let served = match &job.simulated {
        Some(work) => serve_simulated(&job, work, &cancel, &mut stdout),
        None => serve_gpu(&job, &cancel, &mut stdout),
    };
    match served {
        Ok(()) => Exit::Ok,
        Err(message) => fail(Exit::Unreadable, format!("stress-worker: {message}")),
    }
}

/// The job on the real GPU through CUDA; a card that cannot be set up says why in its result.
fn serve_gpu(job: &WorkerJob, cancel: &AtomicBool, out: &mut dyn std::io::Write) -> Result<(), String> {
    let setup = revive_stress_cuda::open(job.gpu).and_then(|gpu| {
        let memory =
            job.memory.as_ref().map(|_| gpu.memory(revive_stress_cuda::DEFAULT_MEMORY_FRACTION)).transpose()?;
        let compute = job.burn_in_seconds.map(|_| gpu.compute()).transpose()?;
        Ok((memory, compute))
    });
    match setup {
        Ok((mut memory, mut compute)) => {
            serve(
                job,
                memory.as_mut().map(|m| m as &mut dyn MemoryBackend),
                compute.as_mut().map(|c| c as &mut dyn ComputeBackend),
                &ScaledClock::real(),
                cancel,
                out,
                &mut |_| {},
            );
            Ok(())
        }
        Err(error) => {
            let done = WorkerMessage::Done { memory: None, burn_in: None, error: Some(error) };
            let line = serde_json::to_string(&done).map_err(|e| e.to_string())?;
            writeln!(out, "{line}").map_err(|e| e.to_string())
        }
    }
}
