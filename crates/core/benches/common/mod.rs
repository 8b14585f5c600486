//! The generated million-job history and the questions both history benchmarks time on it: the
//! bench's SQLite (`revive-core`) and the whole shop's PostgreSQL (`revive-shop`, which includes
//! this file), so their figures answer the same questions side by side.

use std::path::PathBuf;
use std::time::Instant;

use revive_core::history::{HistoryQuery, HistorySort};
use revive_core::paths::Shipped;
use revive_core::store::DATABASE_FILE;
use revive_core::workshop::Workshop;
use revive_history_generator as generator;

/// The shop's data folder holding a generated history of `jobs` jobs under `target/`, generated
/// the first time it is asked for, and the shop opened on it.
pub fn generated_shop(jobs: u64) -> (Workshop, PathBuf) {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let folder = target.join(format!("bench-history-v{}-{jobs}", generator::VERSION));
    let path = folder.join(DATABASE_FILE);
    if !path.exists() {
        let started = Instant::now();
        std::fs::create_dir_all(&folder).expect("the shop's folder");
        let partial = path.with_extension("partial");
        generator::generate(&partial, jobs, 42).expect("generate the history");
        std::fs::rename(&partial, &path).expect("keep the generated history");
        println!("generated {jobs} jobs in {:.1} s", started.elapsed().as_secs_f64());
    }
    let megabytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!("database {} ({megabytes:.0} MB)", path.display());
    (Workshop::open(&folder, Shipped::resolve(None)).expect("open the history"), path)
}

/// `YYYY-MM-DD`, `days` before the generated history's last day.
pub fn recent(days: i64) -> String {
    let day = time::OffsetDateTime::from_unix_timestamp(1_609_459_200 + 5 * 365 * 86_400 - days * 86_400).unwrap();
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

/// Typical searches and filters of the History screen, each with the offset its page starts at.
pub fn typical_queries(shop: &Workshop, jobs: u64) -> Vec<(&'static str, HistoryQuery, u64)> {
    // The last seven digits of a serial somewhere in the middle of the history.
    let serial_tail: String = shop
        .store()
        .read(|tx| {
            Ok(tx.query_row("SELECT board_serial FROM jobs WHERE id = ?1", [jobs as i64 / 3], |r| {
                r.get::<_, String>(0)
            })?)
        })
        .expect("a serial")
        .chars()
        .skip(6)
        .collect();
    let newest = |query: HistoryQuery| HistoryQuery { descending: true, ..query };
    vec![
        ("everything, newest first", newest(HistoryQuery::default()), 0),
        ("serial, last 7 digits", HistoryQuery { text: serial_tail, ..Default::default() }, 0),
        ("ticket fragment", HistoryQuery { text: "RV-2024-0123".into(), ..Default::default() }, 0),
        ("customer, Chinese name part", newest(HistoryQuery { text: "深圳智算云".into(), ..Default::default() }), 0),
        ("customer, two characters", newest(HistoryQuery { text: "深圳".into(), ..Default::default() }), 0),
        ("notes word", newest(HistoryQuery { text: "remapping failure".into(), ..Default::default() }), 0),
        (
            "notes word, RMA, H100 SXM5, 2023",
            newest(HistoryQuery {
                text: "remapping failure".into(),
                status: "rma".into(),
                model: "h100-sxm5-80gb".into(),
                from: "2023-01-01".into(),
                to: "2023-12-31".into(),
                ..Default::default()
            }),
            0,
        ),
        ("status RMA", newest(HistoryQuery { status: "rma".into(), ..Default::default() }), 0),
        (
            "model H20, last 90 days",
            newest(HistoryQuery { model: "h20-96gb".into(), from: recent(90), to: recent(0), ..Default::default() }),
            0,
        ),
        (
            "technician 王芳, still open",
            HistoryQuery { technician: "王芳".into(), outcome: "open".into(), ..Default::default() },
            0,
        ),
        (
            "has certificate, by customer",
            HistoryQuery { certificate: "yes".into(), sort: HistorySort::Customer, ..Default::default() },
            0,
        ),
        ("everything, scrolled to the middle", HistoryQuery::default(), jobs / 2),
    ]
}
