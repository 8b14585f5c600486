//! What a full test room costs the shop server: 256 rack servers × 8 GPUs, each agent reporting
//! every 5 s (a heartbeat with its slots and the progress of its running tasks, then a look for
//! work), against a throwaway PostgreSQL on this machine. Prints the server's CPU, statements per
//! second, each agent round's latency, and how long a bench's test-room refresh takes.
//!
//! `cargo bench -p revive-shop --bench test_room` (SECONDS=… to run longer than 30 s).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use revive_core::stress::burn_in::BurnInProgress;
use revive_shop::room::{self, AgentQueue, NewTask, Slot, TaskPlan, TaskProgress};
use revive_shop::server::ShopServer;
use revive_test_postgres::TestServer;

const SERVERS: usize = 256;
const SLOTS: u32 = 8;
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// Client threads, each driving its share of the agents (one connection per agent, as in a shop).
const THREADS: usize = 16;

fn slots(server: usize) -> Vec<Slot> {
    (0..SLOTS)
        .map(|slot| Slot {
            slot,
            model: Some("NVIDIA H100 80GB HBM3".into()),
            serial: Some(format!("1654922{server:03}{slot:03}")),
            uuid: Some(format!("GPU-{server:08x}-{slot:04x}")),
            lost: false,
            temperature_c: Some(64),
            power_w: Some(655.0),
        })
        .collect()
}

/// CPU seconds used so far by the postmaster and its children (every backend).
fn server_cpu_seconds(postmaster: u32) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else { continue };
        let fields: Vec<&str> = after.split(' ').collect();
        let pid: u32 = entry.file_name().to_str().and_then(|p| p.parse().ok()).unwrap_or(0);
        let ppid: u32 = fields[1].parse().unwrap_or(0);
        if pid == postmaster || ppid == postmaster {
            total += fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
        }
    }
    total as f64 / ticks
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 * share) as usize).min(sorted.len() - 1)]
}

fn main() {
    let seconds: u64 = std::env::var("SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let pg = TestServer::start();
    let server = ShopServer::new(&pg.database("shop"), None, None).unwrap();
    let mut bench = server.connect().unwrap();

    // Every server registered; half the slots running a task, the rest idle with nothing queued.
    let mut agents = Vec::new();
    for index in 0..SERVERS {
        let name = format!("rack-{index:03}");
        let mut client = server.connect().unwrap();
        AgentQueue {
            client: &mut client,
            server: name.clone(),
            owner: format!("{name}/1/bench"),
            lease: Duration::from_secs(60),
        }
        .register("0.1.0", false, &slots(index))
        .unwrap();
        agents.push((name, index, client));
    }
    let mut running = vec![Vec::new(); SERVERS];
    for index in 0..SERVERS {
        let name = format!("rack-{index:03}");
        for slot in 0..SLOTS / 2 {
            let task = NewTask {
                server: name.clone(),
                slot,
                ticket: format!("RV-2026-{:06}", index * 8 + slot as usize),
                expected_serial: format!("1654922{index:03}{slot:03}"),
                bench: "bench-1".into(),
                scheduled_by: "王芳".into(),
                plan: TaskPlan { burn_in_seconds: Some(7_200), memory: None },
            };
            room::schedule(&mut bench, &room::new_key().unwrap(), &task).unwrap();
        }
    }
    for (name, index, client) in &mut agents {
        let mut queue = AgentQueue {
            client,
            server: name.clone(),
            owner: format!("{name}/1/bench"),
            lease: Duration::from_secs(60),
        };
        while let Some(task) = queue.claim(&running[*index].iter().map(|(_, slot)| *slot).collect::<Vec<_>>()).unwrap()
        {
            running[*index].push((task.id, task.slot));
        }
    }

    let stats = |client: &mut postgres::Client| -> i64 {
        client
            .query_one("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = 'shop'", &[])
            .unwrap()
            .get(0)
    };
    let postmaster = pg.postmaster_pid().expect("the server's pid");
    let (cpu_before, transactions_before) = (server_cpu_seconds(postmaster), stats(&mut bench));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut shares: Vec<Vec<_>> = (0..THREADS).map(|_| Vec::new()).collect();
    for (i, agent) in agents.into_iter().enumerate() {
        shares[i % THREADS].push((agent, running[i].clone()));
    }
    let threads: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(thread, mut share)| {
            let (latencies, stop) = (Arc::clone(&latencies), Arc::clone(&stop));
            std::thread::spawn(move || {
                // Spread each thread's agents over the reporting period, as real agents drift apart.
                let offset = REPORT_EVERY / THREADS as u32 * thread as u32;
                std::thread::sleep(offset);
                let mut round = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let round_start = Instant::now();
                    for ((name, index, client), tasks) in &mut share {
                        let began = Instant::now();
                        let progress: Vec<(i64, TaskProgress)> = tasks
                            .iter()
                            .map(|(id, _)| {
                                let burn_in = BurnInProgress {
                                    elapsed_seconds: round * 5,
                                    duration_seconds: 7_200,
                                    iterations: round,
                                    compute_errors: 0,
                                    tflops: 610.0,
                                };
                                (
                                    *id,
                                    TaskProgress {
                                        elapsed_seconds: round * 5,
                                        burn_in: Some(burn_in),
                                        temperature_c: Some(71),
                                        power_w: Some(668.0),
                                        ..Default::default()
                                    },
                                )
                            })
                            .collect();
                        let busy: Vec<u32> = tasks.iter().map(|(_, slot)| *slot).collect();
                        let mut queue = AgentQueue {
                            client,
                            server: name.clone(),
                            owner: format!("{name}/1/bench"),
                            lease: Duration::from_secs(60),
                        };
                        queue.heartbeat(&slots(*index), &progress).unwrap();
                        assert!(queue.claim(&busy).unwrap().is_none());
                        latencies.lock().unwrap().push(began.elapsed());
                    }
                    round += 1;
                    std::thread::sleep(REPORT_EVERY.saturating_sub(round_start.elapsed()));
                }
            })
        })
        .collect();

    // A bench refreshing its test-room screen every 2 s meanwhile.
    let mut views = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let began = Instant::now();
        let view = room::view(&mut bench).unwrap();
        views.push(began.elapsed());
        assert_eq!((view.servers.len(), view.tasks.len()), (SERVERS, SERVERS * SLOTS as usize / 2));
        std::thread::sleep(Duration::from_secs(2).saturating_sub(began.elapsed()));
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu, transactions) = (server_cpu_seconds(postmaster) - cpu_before, stats(&mut bench) - transactions_before);
    for thread in threads {
        thread.join().unwrap();
    }
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    views.sort();
    println!(
        "test room: {SERVERS} servers × {SLOTS} GPUs, each reporting every {} s, {} tasks running, {elapsed:.0} s",
        REPORT_EVERY.as_secs(),
        SERVERS * SLOTS as usize / 2
    );
    println!(
        "  agent rounds (heartbeat + look for work): {} ({:.1}/s), p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "  PostgreSQL: {:.1} transactions/s, CPU {:.1} % of one core",
        transactions as f64 / elapsed,
        cpu / elapsed * 100.0
    );
    println!(
        "  a bench's test-room refresh (2,048 slots, {} tasks): p50 {:.1} ms, p95 {:.1} ms over {} refreshes",
        SERVERS * SLOTS as usize / 2,
        percentile(&views, 0.5).as_secs_f64() * 1e3,
        percentile(&views, 0.95).as_secs_f64() * 1e3,
        views.len()
    );
}
