//! Prints the bench's cost figures (`cargo bench -p revive-core`): snapshot time for an 8-GPU board
//! through the fake driver (Revive's own overhead, the fake answers instantly), the CPU share of
//! sampling 8 GPUs at 10 Hz (the stress monitor reads the same way), telemetry bytes stored per
//! GPU-hour, and the memory test's host backend throughput per pattern (what a simulated run and
//! the algorithms cost without a GPU).

use std::time::{Duration, Instant};

use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_core::bench::telemetry::pack;
use revive_core::bench::Sample;
use revive_core::bench::{DriverSource, GpuProvider, GpuReading, NvmlProvider, SimulatedBench, Workbench};

/// User + system CPU time of this process so far (all threads), from /proc/self/stat.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc_sysconf_clk_tck() };
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

extern "C" {
    fn sysconf(name: i32) -> i64;
}

/// `_SC_CLK_TCK` is 2 on Linux.
unsafe fn libc_sysconf_clk_tck() -> i64 {
    sysconf(2).max(1)
}

fn main() {
    let board = "hgx-h100-8gpu-one-bad";
    let provider =
        NvmlProvider::open(&DriverSource::Simulated { library: built_library(), scenario: shipped_scenario(board) })
            .expect("the simulated bench opens");
    for _ in 0..20 {
        provider.snapshot().unwrap();
    }
    let present = provider.snapshot().unwrap().gpus.iter().filter(|g| matches!(g, GpuReading::Present { .. })).count();
    assert_eq!(present, 8, "every GPU answers");
    let rounds = 500;
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            provider.snapshot().unwrap();
            start.elapsed()
        })
        .collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / rounds;
    println!(
        "snapshot, 8 GPUs through the fake driver: mean {:.1} µs, median {:.1} µs, p99 {:.1} µs ({:.1} µs a GPU), {rounds} rounds",
        mean.as_secs_f64() * 1e6,
        times[times.len() / 2].as_secs_f64() * 1e6,
        times[times.len() * 99 / 100].as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6 / 8.0,
    );
    drop(provider);

    let simulated = SimulatedBench {
        library: built_library(),
        scenarios: shipped_scenario(board).parent().expect("scenario folder").to_owned(),
    };
    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated, board).unwrap();
    let (seconds, interval_ms) = (20, 100);
    let batches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = batches.clone();
    let (cpu_before, wall) = (process_cpu(), Instant::now());
    bench
        .watch(interval_ms, move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    std::thread::sleep(Duration::from_secs(seconds));
    bench.stop_watching();
    let (cpu, elapsed) = (process_cpu() - cpu_before, wall.elapsed());
    let taken = batches.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "sampler, 8 GPUs at 10 Hz for {seconds} s: {taken} batches, CPU {:.3} s of {:.1} s wall = {:.2} % of one core \
         (includes the Xid watcher thread; /proc/self/stat has 10 ms resolution)",
        cpu.as_secs_f64(),
        elapsed.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / elapsed.as_secs_f64(),
    );

    let sample = |i: u64| Sample {
        at_ms: 1_764_300_000_000 + i,
        gpu: 0,
        temperature_c: Some(71),
        memory_temperature_c: Some(78),
        power_w: Some(655.0),
        sm_clock_mhz: Some(1980),
        pcie_generation: Some(5),
        pcie_width: Some(16),
        clock_event_reasons: 0,
        lost: false,
    };
    for (hz, per_hour) in [(1, 3_600u64), (10, 36_000)] {
        let samples: Vec<Sample> = (0..per_hour).map(|i| sample(i * 1000 / hz)).collect();
        let bytes = pack(&samples).len();
        println!("stored telemetry at {hz} Hz: {bytes} bytes per GPU-hour ({:.1} KiB)", bytes as f64 / 1024.0);
    }

    memory_test_throughput();
}

/// Bytes written plus read per second for each pattern over 256 MiB of host memory, one pass.
fn memory_test_throughput() {
    use revive_core::stress::host::HostMemory;
    use revive_core::stress::memtest::{run_memory_test, MemoryTestPlan};
    use revive_core::stress::patterns::Pattern;
    use revive_core::stress::ScaledClock;

    let words = (256u64 << 20) / 4;
    let mut memory = HostMemory::new(words, words * 4).expect("256 MiB of host memory");
    for pattern in Pattern::STANDARD {
        let plan = MemoryTestPlan { patterns: vec![pattern], passes: 1, fade_wait_seconds: 0, seed: 7 };
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let (report, failure) = run_memory_test(&mut memory, &plan, &ScaledClock::real(), &cancel, &mut |_| {});
        assert!(failure.is_none() && report.mismatches.total == 0);
        println!(
            "memory test on the host, {pattern:?} over 256 MiB: {:.2} GB/s ({:.2} GB moved in {:.2} s)",
            report.throughput_gb_s(),
            report.bytes_moved as f64 / 1e9,
            report.wall_seconds
        );
    }
}
