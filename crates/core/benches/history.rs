//! Prints how fast the job history answers at shop scale: p50/p95 of typical searches and filters
//! (a page of 100 rows plus the match count, as the History screen asks) on a generated database.
//! `cargo bench -p revive-core --bench history` (1,000,000 jobs; `REVIVE_BENCH_JOBS=N` for another size).

mod common;

use std::time::Instant;

use revive_core::history::export::{CsvOptions, ExportFormat};
use revive_core::history::HistoryQuery;
use revive_core::workshop::Workshop;

const ROUNDS: usize = 21;

fn main() {
    let jobs: u64 = std::env::var("REVIVE_BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let (shop, path) = common::generated_shop(jobs);
    let cases = common::typical_queries(&shop, jobs);
    println!(
        "{:<38} {:>9} {:>9} {:>9} {:>12}",
        "query (page of 100 + count)", "matches", "p50 ms", "p95 ms", "all, ms"
    );
    for (name, query, offset) in cases {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut total = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let page = shop.history().page(&query, offset, 100).expect("query");
            times.push(started.elapsed().as_secs_f64() * 1e3);
            total = page.total;
        }
        times.sort_by(f64::total_cmp);
        // Every match counted apart, as the table asks once the first page is on screen.
        let mut counting: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                shop.history().count(&query).expect("count");
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        counting.sort_by(f64::total_cmp);
        println!(
            "{name:<38} {total:>9} {:>9.2} {:>9.2} {:>12.1}",
            times[ROUNDS / 2],
            times[ROUNDS * 95 / 100],
            counting[2]
        );
    }
    statistics_figures(&shop);
    // `cargo bench --bench history -- queries`: the searches and statistics only.
    if !std::env::args().any(|arg| arg == "queries") {
        export_figures(&shop, &path, path.parent().and_then(std::path::Path::parent).expect("target"));
    }
}

/// The statistics screen's figures over every job, and over one model's last year.
fn statistics_figures(shop: &Workshop) {
    let cases = [
        ("statistics, every job", HistoryQuery::default()),
        ("statistics, every job, months at UTC+8", HistoryQuery { utc_offset_minutes: 480, ..Default::default() }),
        (
            "statistics, H20 last 365 days",
            HistoryQuery { model: "h20-96gb".into(), from: common::recent(365), ..Default::default() },
        ),
    ];
    for (name, query) in cases {
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                shop.history().statistics(&query).expect("statistics");
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("{name:<38} {:>9} {:>9.0} {:>9.0} (median, max of 5)", "", times[2], times[4]);
    }
}

/// The same rows and columns as the CSV export, for `sqlite3 -csv`.
const SQLITE3_EXPORT: &str = "SELECT j.ticket, j.created_at, j.status, c.name, j.model_id, j.board_serial, j.gpu_uuid,
     j.received_by, printf('%d.%02d', j.quote_minor / 100, j.quote_minor % 100), j.quote_currency, j.updated_at,
     (SELECT number FROM certificates k WHERE k.job_id = j.id AND k.superseded_by IS NULL)
     FROM jobs j JOIN customers c ON c.id = j.customer_id ORDER BY j.id";

/// Exports every job as CSV, side by side with `sqlite3 -csv` over the same rows, then as XLSX,
/// with the process's peak memory.
fn export_figures(shop: &Workshop, database: &std::path::Path, target: &std::path::Path) {
    let out = target.join("bench-history-export.csv");
    let before = peak_memory_kb();
    let started = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&out).expect("export file"));
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Csv, CsvOptions { bom: false }, file, |_| true)
        .expect("export");
    let ours = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "CSV export: {exported:?} in {ours:.2} s ({size:.0} MB); peak memory {} MB before, {} MB after",
        before / 1024,
        peak_memory_kb() / 1024
    );
    let started = Instant::now();
    let sqlite3 = std::process::Command::new("sqlite3")
        .arg("-csv")
        .arg(database)
        .arg(SQLITE3_EXPORT)
        .stdout(std::fs::File::create(target.join("bench-history-sqlite3.csv")).expect("sqlite3 output"))
        .status();
    match sqlite3 {
        Ok(status) if status.success() => {
            let theirs = started.elapsed().as_secs_f64();
            println!("sqlite3 -csv, same rows: {theirs:.2} s; Revive takes {:.2}x its time", ours / theirs);
        }
        _ => println!("sqlite3 -csv: not run (install sqlite3 to compare)"),
    }
    let out = target.join("bench-history-export.xlsx");
    let started = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&out).expect("export file"));
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Xlsx, CsvOptions::default(), file, |_| true)
        .expect("export");
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "XLSX export: {exported:?} in {:.2} s ({size:.0} MB); peak memory {} MB after",
        started.elapsed().as_secs_f64(),
        peak_memory_kb() / 1024
    );
    let out = target.join("bench-history-export.json");
    let started = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&out).expect("export file"));
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Json, CsvOptions::default(), file, |_| true)
        .expect("export");
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "JSON export: {exported:?} in {:.2} s ({size:.0} MB); peak memory {} MB after",
        started.elapsed().as_secs_f64(),
        peak_memory_kb() / 1024
    );
}

/// The process's peak resident memory (VmHWM), in KiB.
fn peak_memory_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            })
        })
        .unwrap_or(0)
}
