//! The whole shop's history on a real PostgreSQL: every filter, search and sort the History screen
//! offers finds on the server exactly the jobs the bench's own store finds, and a job another bench
//! took in is found from here, with the bench that holds it.

use std::path::Path;

use revive_core::history::export::{self, CsvOptions, ExportFormat, Exported};
use revive_core::history::{HistoryQuery, HistoryRow, HistorySort, Outcome};
use revive_core::jobs::intake::IntakeForm;
use revive_core::paths::Shipped;
use revive_core::shop::link::{ShopLink, ShopLinkForm};
use revive_core::store::DATABASE_FILE;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, Problem};
use revive_shop::history::{PageAnchors, ShopRows};
use revive_shop::server::ShopServer;
use revive_shop::{history, sync, ShopError};
use revive_test_postgres::TestServer;

fn linked(dir: &Path, connection: &str, bench: &str, code: &str) -> (Workshop, ShopLink) {
    let shop = Workshop::open(dir, Shipped::resolve(None)).unwrap();
    let form =
        ShopLinkForm { connection: connection.into(), bench: bench.into(), code: code.into(), password: String::new() };
    let link = shop.shop_link().save(&form).unwrap();
    (shop, link)
}

/// Every row of the whole shop's history for `query`, through pages of 400.
fn shop_wide(client: &mut postgres::Client, shop: &Workshop, query: &HistoryQuery) -> Vec<HistoryRow> {
    let checked = query.check(shop.catalogs()).unwrap();
    let mut anchors = PageAnchors::default();
    let mut rows: Vec<HistoryRow> = Vec::new();
    let mut said = Vec::new();
    loop {
        let page = history::page(client, &checked, rows.len() as u64, 400, &mut anchors).unwrap();
        let done = page.rows.len() < 400;
        said.push((page.total, page.exact));
        rows.extend(page.rows);
        if done {
            assert_eq!(history::count(client, &checked).unwrap(), rows.len() as u64, "{query:?}");
            // What each page said of the count was exact, or no more than there are.
            for (total, exact) in said {
                assert!(if exact { total == rows.len() as u64 } else { total <= rows.len() as u64 }, "{query:?}");
            }
            return rows;
        }
    }
}

/// Every row of the bench's own history for `query`.
fn bench_only(shop: &Workshop, query: &HistoryQuery) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = Vec::new();
    loop {
        let page = shop.history().page(query, rows.len() as u64, 1_000).unwrap();
        let done = page.rows.len() < 1_000;
        rows.extend(page.rows);
        if done {
            return rows;
        }
    }
}

#[test]
fn the_shop_server_finds_what_the_bench_finds_filter_for_filter() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let dir = tempfile::tempdir().unwrap();
    revive_history_generator::generate(&dir.path().join(DATABASE_FILE), 3_000, 11).unwrap();
    let (bench, link) = linked(dir.path(), &connection, "bench-a", "A");
    let mut client = ShopServer::new(&connection, None, None).unwrap().connect().unwrap();
    sync::push(&mut client, &bench, &link).unwrap();

    let sample = &bench_only(&bench, &HistoryQuery::default())[777];
    let tail: String = sample.board_serial.chars().skip(7).collect();
    let customer = revive_history_generator::customer_name(3);
    let queries = [
        HistoryQuery::default(),
        HistoryQuery { status: "rma".into(), ..Default::default() },
        HistoryQuery {
            model: "h20-96gb".into(),
            from: "2023-03-01".into(),
            to: "２０２３/9/30".into(),
            ..Default::default()
        },
        HistoryQuery {
            from: "2023-03-01".into(),
            to: "2023-03-31".into(),
            time_zone: "America/New_York".into(),
            ..Default::default()
        },
        HistoryQuery { technician: "王芳".into(), outcome: "open".into(), ..Default::default() },
        HistoryQuery { outcome: "scrapped".into(), ..Default::default() },
        HistoryQuery { certificate: "yes".into(), ..Default::default() },
        HistoryQuery { certificate: "no".into(), model: "h100-sxm5-80gb".into(), ..Default::default() },
        HistoryQuery { customer: customer.clone(), ..Default::default() },
        HistoryQuery { text: tail.clone(), ..Default::default() },
        HistoryQuery { text: sample.ticket[..12].to_lowercase(), ..Default::default() },
        HistoryQuery { text: "REMAPPING Failure".into(), ..Default::default() },
        HistoryQuery { text: "深圳智算".into(), ..Default::default() },
        HistoryQuery { text: "上海".into(), ..Default::default() },
        HistoryQuery { text: "掉卡，dmesg".into(), ..Default::default() },
        HistoryQuery {
            text: "remapping failure".into(),
            status: "rma".into(),
            model: "h100-sxm5-80gb".into(),
            from: "2023-01-01".into(),
            to: "2024-12-31".into(),
            ..Default::default()
        },
        // FTS and LIKE syntax are just text.
        HistoryQuery { text: "50%_\\".into(), ..Default::default() },
    ];
    for query in queries {
        let mut on_server = shop_wide(&mut client, &bench, &query);
        let on_bench = bench_only(&bench, &query);
        assert!(on_server.iter().all(|row| row.bench.as_deref() == Some("bench-a")));
        assert!(on_server.iter().all(|row| row.shop_key.as_ref().is_some_and(|key| key.job_id == row.id)));
        on_server.iter_mut().for_each(|row| (row.bench, row.shop_key) = (None, None));
        let key = |row: &HistoryRow| row.id;
        let (mut server_sorted, mut bench_sorted) = (on_server.clone(), on_bench.clone());
        server_sorted.sort_by_key(key);
        bench_sorted.sort_by_key(key);
        assert_eq!(server_sorted, bench_sorted, "{query:?}");
        if query.text != "50%_\\" {
            assert!(!on_bench.is_empty(), "{query:?} should match something");
        }
    }

    // A jump deep into the history (as a dragged scrollbar asks) gives the rows reading page by
    // page gives, as does each page after it, found from the key before it.
    for (sort, descending) in [(HistorySort::Received, false), (HistorySort::Customer, true)] {
        let query = HistoryQuery { sort, descending, ..Default::default() };
        let every = shop_wide(&mut client, &bench, &query);
        let checked = query.check(bench.catalogs()).unwrap();
        let mut anchors = PageAnchors::default();
        for offset in [2_500, 2_600, 2_560, 2_100, 2_950] {
            let page = history::page(&mut client, &checked, offset, 100, &mut anchors).unwrap();
            let end = (offset as usize + 100).min(every.len());
            assert_eq!(page.rows, every[offset as usize..end], "{sort:?} from {offset}");
        }
    }

    // Exports of the whole shop hold what the bench's own exports hold: the same CSV, byte for
    // byte, and the same records in the JSON.
    let query = HistoryQuery { status: "rma".into(), sort: HistorySort::Ticket, ..Default::default() };
    let checked = query.check(bench.catalogs()).unwrap();
    for format in [ExportFormat::Csv, ExportFormat::Json] {
        let (mut ours, mut shops) = (Vec::new(), Vec::new());
        let options = CsvOptions { bom: true };
        bench.history().export_to(&query, format, options, &mut ours, |_| true).unwrap();
        let mut rows = ShopRows { client: &mut client, query: &checked };
        let exported = export::write_rows(&mut rows, format, options, &mut shops, |_| true).unwrap();
        assert!(matches!(exported, Exported::Complete { rows } if rows > 10), "{exported:?}");
        match format {
            ExportFormat::Csv => assert_eq!(String::from_utf8(shops).unwrap(), String::from_utf8(ours).unwrap()),
            _ => {
                let jobs = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap()["jobs"].clone();
                assert_eq!(jobs(&shops), jobs(&ours));
            }
        }
    }
    // Cancelled halfway, nothing is left where the file was to be.
    let target = dir.path().join("全店工单.csv");
    let mut rows = ShopRows { client: &mut client, query: &HistoryQuery::default().check(bench.catalogs()).unwrap() };
    let cancelled =
        export::rows_to_file(&mut rows, ExportFormat::Csv, CsvOptions::default(), &target, |count| count < 1_000);
    assert!(matches!(cancelled, Ok(Exported::Cancelled { rows: 1_000 })), "{cancelled:?}");
    assert!(!target.exists());

    // Statistics of the whole shop are counted on the server from the records, and come out as the
    // bench's own: months in Shenzhen's and in New York's time, models, findings, Xids, people.
    for query in [
        HistoryQuery { utc_offset_minutes: 480, ..Default::default() },
        HistoryQuery { time_zone: "America/New_York".into(), from: "2023-01-01".into(), ..Default::default() },
        HistoryQuery { model: "h100-sxm5-80gb".into(), technician: "王芳".into(), ..Default::default() },
        HistoryQuery { text: "remapping failure".into(), ..Default::default() },
    ] {
        let ours = bench.history().statistics(&query).unwrap();
        let checked = query.check(bench.catalogs()).unwrap();
        let mut shops = history::statistics(&mut client, &checked, &bench.catalogs().flow).unwrap();
        assert!(ours.turnaround.returned > 0 && !ours.findings.is_empty() && !ours.xids.is_empty(), "{query:?}");
        let (a, b) = (ours.turnaround.median_hours.unwrap(), shops.turnaround.median_hours.unwrap());
        assert!((a - b).abs() < 1e-6 * a.max(1.0), "median {a} and {b} hours for {query:?}");
        shops.turnaround.median_hours = ours.turnaround.median_hours;
        assert_eq!(shops, ours, "{query:?}");
    }

    // "Still open" as the shipped flow says it is answered from the open jobs' own index.
    let checked = HistoryQuery { outcome: "open".into(), ..Default::default() }.check(bench.catalogs()).unwrap();
    let Some(Outcome::Open { ended }) = checked.outcome else { panic!("{:?}", checked.outcome) };
    let open = Outcome::open_sql("status", &ended);
    let mut tx = client.transaction().unwrap();
    tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
    let plan: Vec<String> = tx
        .query(
            &format!("EXPLAIN SELECT job_id FROM shop_jobs WHERE {open} ORDER BY created_at, bench, job_id LIMIT 100"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    drop(tx);
    assert!(plan.iter().any(|step| step.contains("shop_jobs_open")), "{open}: {plan:?}");

    // The sorts hold on the server, both ways.
    for sort in
        [HistorySort::Ticket, HistorySort::Customer, HistorySort::Model, HistorySort::Status, HistorySort::Updated]
    {
        for descending in [false, true] {
            let query = HistoryQuery { sort, descending, status: "returned".into(), ..Default::default() };
            let rows = shop_wide(&mut client, &bench, &query);
            let keys: Vec<String> = rows
                .iter()
                .map(|row| match sort {
                    HistorySort::Ticket => row.ticket.clone(),
                    HistorySort::Customer => row.customer.clone(),
                    HistorySort::Model => row.model_id.clone(),
                    HistorySort::Status => row.status.id().to_owned(),
                    _ => row.updated_at.clone(),
                })
                .collect();
            let mut expected = keys.clone();
            expected.sort();
            if descending {
                expected.reverse();
            }
            assert_eq!(keys, expected, "{sort:?} descending {descending}");
        }
    }
}

#[test]
fn a_job_another_bench_took_in_is_found_here_with_its_bench() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (bench_a, link_a) = linked(a.path(), &connection, "bench-a", "A");
    let (bench_b, link_b) = linked(b.path(), &connection, "bench-b", "ｂ");
    let mut client = ShopServer::new(&connection, None, None).unwrap().connect().unwrap();
    // Pushed once first, so the server confirms each bench's code and the numbers carry it.
    sync::push(&mut client, &bench_a, &link_a).unwrap();
    sync::push(&mut client, &bench_b, &link_b).unwrap();
    let take_in = |shop: &Workshop, serial: &str, customer: &str, observed: &str, technician: &str| {
        let form = IntakeForm {
            customer_name: customer.into(),
            model_id: "h100-sxm5-80gb".into(),
            board_serial: serial.into(),
            symptom_observed: observed.into(),
            quote_amount: "１２０００".into(),
            quote_currency: "CNY".into(),
            ..Default::default()
        };
        let technician = shop.technician_or_first(technician).unwrap();
        shop.jobs().intake(&form, &technician).unwrap()
    };
    take_in(&bench_a, "1654922012345", "深圳算力科技有限公司", "训练时 Xid 79，掉卡", "王芳");
    let theirs = take_in(&bench_b, "1324021077777", "José's GPU Cloud 广州", "Fan stuck at 100 %", "José");
    let link_a = bench_a.shop_link().get().unwrap().unwrap();
    let link_b = bench_b.shop_link().get().unwrap().unwrap();
    sync::push(&mut client, &bench_a, &link_a).unwrap();
    sync::push(&mut client, &bench_b, &link_b).unwrap();
    assert!(theirs.ticket.contains("-B-"), "{}", theirs.ticket);

    // From bench A: B's job by its ticket, its serial tail, its customer and its technician.
    for query in [
        HistoryQuery { text: theirs.ticket.to_lowercase(), ..Default::default() },
        HistoryQuery { text: "21077777".into(), ..Default::default() },
        HistoryQuery { text: "josé's gpu".into(), ..Default::default() },
        HistoryQuery { technician: "José".into(), ..Default::default() },
    ] {
        let found = shop_wide(&mut client, &bench_a, &query);
        assert_eq!(found.len(), 1, "{query:?}");
        assert_eq!(
            (found[0].bench.as_deref(), found[0].ticket.as_str(), found[0].id),
            (Some("bench-b"), theirs.ticket.as_str(), theirs.id)
        );
        assert!(bench_only(&bench_a, &query).is_empty(), "A's own history does not hold B's job");
    }
    let everyone = shop_wide(&mut client, &bench_a, &HistoryQuery { descending: true, ..Default::default() });
    assert_eq!(everyone.iter().map(|r| r.bench.clone().unwrap()).collect::<Vec<_>>(), ["bench-b", "bench-a"]);

    // Wrong input is refused before the server is asked.
    let wrong = HistoryQuery { status: "lost".into(), ..Default::default() };
    assert!(matches!(wrong.check(bench_a.catalogs()), Err(CoreError::Invalid { field: Field::Status, .. })));
    let checked = HistoryQuery::default().check(bench_a.catalogs()).unwrap();
    match history::page(&mut client, &checked, 0, 5_000, &mut PageAnchors::default()) {
        Err(ShopError::Core(CoreError::Invalid { field: Field::Page, problem: Problem::OutOfRange { .. } })) => {}
        other => panic!("a page of 5,000 rows gave {other:?}"),
    }
}
