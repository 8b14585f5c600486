//! How fast the whole shop's history answers on PostgreSQL at shop scale, next to the same
//! queries on the bench's SQLite: p50/p95 of a page of 100 rows plus the count, as the History
//! screen asks, over the generated million-job history of `cargo bench -p revive-core --bench
//! history` (generated here when missing), loaded into a throwaway server as one bench's jobs.
//! The records loaded carry what the server's history columns and statistics read (status, times,
//! customer, model, serial, UUID, quote, symptoms, timeline, findings, certificates), not the
//! whole export.
//!
//! `cargo bench -p revive-shop --bench history` (`REVIVE_BENCH_JOBS=N` for another size)

#[path = "../../core/benches/common/mod.rs"]
mod common;

use std::io::Write;
use std::time::Instant;

use revive_core::history::HistoryQuery;
use revive_shop::history;
use revive_shop::server::ShopServer;
use revive_test_postgres::TestServer;

const ROUNDS: usize = 21;

/// Each job's record as JSON, straight from the store: what the server's history columns read.
const RECORDS: &str = "SELECT j.id, j.ticket, json_object(
        'ticket', j.ticket, 'status', j.status, 'createdAt', j.created_at, 'updatedAt', j.updated_at,
        'customerName', c.name, 'modelId', j.model_id, 'boardSerial', j.board_serial, 'gpuUuid', j.gpu_uuid,
        'receivedBy', j.received_by, 'quote', json_object('minor', j.quote_minor, 'currency', j.quote_currency),
        'symptoms', json_object('observed', j.symptom_observed, 'when', j.symptom_when, 'how', j.symptom_how,
                                'frequency', j.symptom_frequency, 'changes', j.symptom_changes),
        'conditionNote', j.condition_note,
        'diagnostics', (SELECT json_group_array(json_object('findings', json(d.findings)))
                        FROM diagnostic_runs d WHERE d.job_id = j.id),
        'events', (SELECT json_group_array(json_object('actor', e.actor, 'kind', e.kind, 'detail', json(e.detail)))
                   FROM job_events e WHERE e.job_id = j.id),
        'certificates', (SELECT json_group_array(json_object('number', k.number, 'supersededBy', k.superseded_by))
                         FROM certificates k WHERE k.job_id = j.id))
     FROM jobs j JOIN customers c ON c.id = j.customer_id ORDER BY j.id";

fn main() {
    let jobs: u64 = std::env::var("REVIVE_BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let (shop, _) = common::generated_shop(jobs);
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let mut client = ShopServer::new(&connection, None, None).expect("settings").connect().expect("the shop server");
    client.execute("INSERT INTO shop_benches (name) VALUES ('bench-1')", &[]).expect("the bench");

    let started = Instant::now();
    let mut copy = client
        .copy_in("COPY shop_jobs (bench, job_id, holder, version, ticket, document) FROM STDIN")
        .expect("start the copy");
    let mut buffer = Vec::with_capacity(1 << 20);
    shop.store()
        .read(|tx| {
            let mut statement = tx.prepare(RECORDS)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let (id, ticket, document): (i64, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
                // COPY's text format: a backslash stands for itself only when doubled.
                writeln!(buffer, "bench-1\t{id}\tbench-1\t1\t{ticket}\t{}", document.replace('\\', "\\\\"))
                    .expect("buffer");
                if buffer.len() > 1 << 20 {
                    copy.write_all(&buffer).expect("copy");
                    buffer.clear();
                }
            }
            Ok(())
        })
        .expect("read the records");
    copy.write_all(&buffer).expect("copy");
    copy.finish().expect("finish the copy");
    client.batch_execute("VACUUM ANALYZE shop_jobs").expect("vacuum");
    let size: i64 = client.query_one("SELECT pg_total_relation_size('shop_jobs')", &[]).unwrap().get(0);
    println!(
        "loaded {jobs} jobs into PostgreSQL in {:.0} s ({:.0} MB with its indexes)",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );

    let cases = common::typical_queries(&shop, jobs);
    println!(
        "{:<38} {:>9} {:>11} {:>9} {:>9} {:>9} {:>12}",
        "query (page of 100 + count)", "matches", "SQLite p95", "PG first", "PG p50", "PG p95", "PG all, ms"
    );
    for (name, query, offset) in cases {
        let checked = query.check(shop.catalogs()).expect("a valid query");
        let mut anchors = history::PageAnchors::default();
        let mut bench_times = Vec::with_capacity(ROUNDS);
        let mut times = Vec::with_capacity(ROUNDS);
        let mut total = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            shop.history().page(&query, offset, 100).expect("the bench's page");
            bench_times.push(started.elapsed().as_secs_f64() * 1e3);
            let started = Instant::now();
            // As a person scrolling would: the anchors of this query's earlier pages are kept.
            let page = history::page(&mut client, &checked, offset, 100, &mut anchors).expect("the shop's page");
            times.push(started.elapsed().as_secs_f64() * 1e3);
            total = page.total;
        }
        let first = times[0];
        times.sort_by(f64::total_cmp);
        bench_times.sort_by(f64::total_cmp);
        let mut counting: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                history::count(&mut client, &checked).expect("count");
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        counting.sort_by(f64::total_cmp);
        println!(
            "{name:<38} {total:>9} {:>11.2} {first:>9.2} {:>9.2} {:>9.2} {:>12.1}",
            bench_times[ROUNDS * 95 / 100],
            times[ROUNDS / 2],
            times[ROUNDS * 95 / 100],
            counting[2]
        );
    }
    // The statistics screen over every job and over one model's last year, beside the bench's.
    for (name, query) in [
        ("statistics, every job", HistoryQuery::default()),
        (
            "statistics, H20 last 365 days",
            HistoryQuery { model: "h20-96gb".into(), from: common::recent(365), ..Default::default() },
        ),
    ] {
        let checked = query.check(shop.catalogs()).expect("a valid query");
        let started = Instant::now();
        let ours = shop.history().statistics(&query).expect("the bench's statistics");
        let bench_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let shops = history::statistics(&mut client, &checked, &shop.catalogs().flow).expect("the shop's statistics");
        let shop_ms = started.elapsed().as_secs_f64() * 1e3;
        let same = [
            ("months", ours.months == shops.months),
            ("models", ours.models == shops.models),
            ("findings", ours.findings == shops.findings && ours.xids == shops.xids),
            ("people", ours.technicians == shops.technicians),
        ];
        println!("{name:<38} SQLite {bench_ms:>7.0} ms, PostgreSQL {shop_ms:>7.0} ms (the same: {same:?})");
    }
}
