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
use crate::output::{emit, fail, severity_word};

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
            eprintln!("{}", progress_line(&progress, lang));
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

fn progress_line(progress: &StressProgress, lang: Language) -> String {
    let simulated = if progress.simulated { " [SIMULATED]" } else { "" };
    let what = match (&progress.memory, &progress.burn_in, &progress.sample) {
        (Some(m), _, _) => {
            let (pass, passes, pattern, checked, mismatches) =
                (m.pass + 1, m.passes, m.pattern, m.bytes_verified as f64 / 1e9, m.mismatches);
            in_language!(
                lang,
                "memory pass {pass}/{passes} {pattern:?}: {checked:.2} GB checked, {mismatches} mismatches",
                "显存测试第 {pass}/{passes} 遍 {pattern:?}：已校验 {checked:.2} GB，{mismatches} 处数据错误"
            )
        }
        (_, Some(b), _) => {
            let (done, asked, tflops, errors) =
                (b.elapsed_seconds / 60, b.duration_seconds / 60, b.tflops, b.compute_errors);
            in_language!(
                lang,
                "burn-in {done}/{asked} min: {tflops:.2} TFLOP/s, {errors} errors",
                "老化测试 {done}/{asked} 分钟：{tflops:.2} TFLOP/s，{errors} 次计算错误"
            )
        }
        (_, _, Some(s)) => format!(
            "{} °C, HBM {} °C, {} W",
            s.temperature_c.map_or("—".into(), |t| t.to_string()),
            s.memory_temperature_c.map_or("—".into(), |t| t.to_string()),
            s.power_w.map_or("—".into(), |p| format!("{p:.0}"))
        ),
        _ => String::new(),
    };
    let (gpu, seconds) = (progress.gpu, progress.elapsed_seconds);
    in_language!(lang, "GPU {gpu}{simulated} at {seconds} s: {what}", "GPU {gpu}{simulated} 第 {seconds} 秒：{what}")
}

fn report(outcomes: &[GpuStressOutcome], lang: Language) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let verdict = match outcome.judgement.verdict {
            Verdict::Passed => lang.words("PASSED", "通过"),
            Verdict::Failed => lang.words("FAILED", "未通过"),
            Verdict::Incomplete => lang.words("INCOMPLETE", "未完成"),
        };
        let simulated = if outcome.simulated {
            lang.words(
                "  [SIMULATED: not evidence about a real card]",
                "  [SIMULATED：模拟测试台，不能作为真实显卡的证据]",
            )
        } else {
            ""
        };
        let (gpu, minutes) = (outcome.gpu, outcome.seconds / 60);
        let head = in_language!(
            lang,
            "GPU {gpu}  {verdict}  after {minutes} min{simulated}",
            "GPU {gpu}  {verdict}  用时 {minutes} 分钟{simulated}"
        );
        say!(out, "{head}");
        if let Some(memory) = &outcome.memory {
            let (coverage, gigabytes) = (memory.coverage_percent, memory.bytes_available as f64 / 1e9);
            let (passes, mismatches, pages) =
                (memory.passes_completed, memory.mismatches.total, memory.mismatches.pages.len());
            let speed = memory.throughput_gb_s();
            let tested = in_language!(
                lang,
                "  memory test: {coverage:.1} % of {gigabytes:.2} GB, {passes} pass(es), {mismatches} mismatches in {pages} page(s), {speed:.1} GB/s",
                "  显存测试：覆盖 {coverage:.1} %（共 {gigabytes:.2} GB），{passes} 遍，{mismatches} 处数据错误，位于 {pages} 页，{speed:.1} GB/s"
            );
            say!(out, "{tested}");
            for m in memory.mismatches.first.iter().take(8) {
                let (offset, expected, found, flipped, pattern, pass) =
                    (m.offset, m.expected, m.found, m.flipped, m.pattern, m.pass + 1);
                let mismatch = in_language!(
                    lang,
                    "    offset {offset:#014x}  expected {expected:#010x}  found {found:#010x}  flipped {flipped:#010x}  ({pattern:?}, pass {pass})",
                    "    偏移 {offset:#014x}  应为 {expected:#010x}  读出 {found:#010x}  翻转位 {flipped:#010x}（{pattern:?}，第 {pass} 遍）"
                );
                say!(out, "{mismatch}");
            }
        }
        if let Some(burn_in) = &outcome.burn_in {
            let (done, asked) = (burn_in.seconds / 60, burn_in.duration_seconds / 60);
            let (tflops, errors) = (burn_in.tflops, burn_in.compute_errors);
            let burned = in_language!(
                lang,
                "  burn-in: {done} of {asked} min, {tflops:.2} TFLOP/s, {errors} compute errors",
                "  老化测试：{done} / {asked} 分钟，{tflops:.2} TFLOP/s，{errors} 次计算错误"
            );
            say!(out, "{burned}");
        }
        let load = &outcome.judgement.load;
        let number = |v: Option<u32>| v.map_or("—".into(), |v| v.to_string());
        let whole = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.0}"));
        let (peak, hbm) = (number(load.peak_temperature_c), number(load.peak_memory_temperature_c));
        let (power, limit, clock) =
            (whole(load.average_power_w), whole(load.power_limit_w), whole(load.average_sm_clock_mhz));
        let (thermal, hardware, brake) =
            (load.thermal_slowdown_seconds, load.hw_slowdown_seconds, load.power_brake_seconds);
        let driver = in_language!(
            lang,
            "  driver: peak {peak} °C, HBM {hbm} °C; power {power} of {limit} W; SM {clock} MHz; slowdown {thermal:.0} s thermal, {hardware:.0} s HW, {brake:.0} s power brake",
            "  驱动读数：峰值 {peak} °C，HBM {hbm} °C；功率 {power} / {limit} W；SM {clock} MHz；降频 {thermal:.0} 秒（过热）、{hardware:.0} 秒（硬件）、{brake:.0} 秒（功率制动）"
        );
        say!(out, "{driver}");
        for finding in &outcome.judgement.findings {
            say!(out, "  [{}] {}", severity_word(finding.severity, lang), lang.pick(&finding.title));
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
