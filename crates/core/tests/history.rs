//! The job history over a generated shop: every filter returns exactly the jobs a plain reading of
//! the data says it should, searches find serial tails, ticket starts and Chinese names, sorting
//! holds, and wrong input is refused without touching anything.

use revive_history_generator as generator;

use revive_core::history::{self, HistoryQuery, HistoryRow, HistorySort};
use revive_core::paths::Shipped;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, Problem};

const JOBS: u64 = 3_000;

fn generated_shop() -> (tempfile::TempDir, Workshop) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revive.sqlite3");
    generator::generate(&path, JOBS, 7).unwrap();
    let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
    (dir, shop)
}

/// Every matching row, through pages of 1,000.
fn all(shop: &Workshop, query: &HistoryQuery) -> Vec<HistoryRow> {
    let mut rows = Vec::new();
    loop {
        let page = shop.history().page(query, rows.len() as u64, 1_000).unwrap();
        let done = page.rows.len() < 1_000;
        rows.extend(page.rows);
        if done {
            // An empty page past the end counts within a time budget: on a busy machine it may
            // say "at least"; the exact count then settles it.
            let total = if page.exact { page.total } else { shop.history().count(query).unwrap() };
            assert_eq!(total, rows.len() as u64);
            return rows;
        }
    }
}

fn ids(shop: &Workshop, sql: &str) -> Vec<i64> {
    shop.store()
        .read(|tx| {
            let mut statement = tx.prepare(sql)?;
            let rows = statement.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<i64>, _>>()?)
        })
        .unwrap()
}

fn sorted(mut rows: Vec<i64>) -> Vec<i64> {
    rows.sort_unstable();
    rows
}

#[test]
fn each_filter_returns_exactly_the_matching_jobs() {
    let (_dir, shop) = generated_shop();
    let everything = all(&shop, &HistoryQuery::default());
    assert_eq!(everything.len() as u64, JOBS);
    assert!(everything.windows(2).all(|w| w[0].id < w[1].id), "oldest first by default");

    let customer = generator::customer_name(3);
    let by_customer =
        format!("SELECT j.id FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE c.name = '{customer}'");
    let cases: Vec<(HistoryQuery, &str)> = vec![
        (HistoryQuery { status: "rma".into(), ..Default::default() }, "SELECT id FROM jobs WHERE status = 'rma'"),
        (HistoryQuery { model: "h20-96gb".into(), ..Default::default() }, "SELECT id FROM jobs WHERE model_id = 'h20-96gb'"),
        (
            HistoryQuery { from: "2023-03-01".into(), to: "2023-03-31".into(), ..Default::default() },
            "SELECT id FROM jobs WHERE created_at >= '2023-03-01' AND created_at < '2023-04-01'",
        ),
        (
            // March as a shop in China sees it: from 16:00 UTC the day before.
            HistoryQuery { from: "2023-03-01".into(), to: "2023-03-31".into(), utc_offset_minutes: 480, ..Default::default() },
            "SELECT id FROM jobs WHERE created_at >= '2023-02-28T16:00:00.000Z' AND created_at < '2023-03-31T16:00:00.000Z'",
        ),
        (
            // March in New York: it begins in winter time (UTC-5) and ends in summer time (UTC-4).
            HistoryQuery { from: "2023-03-01".into(), to: "2023-03-31".into(), time_zone: "America/New_York".into(), ..Default::default() },
            "SELECT id FROM jobs WHERE created_at >= '2023-03-01T05:00:00.000Z' AND created_at < '2023-04-01T04:00:00.000Z'",
        ),
        (
            HistoryQuery { to: "2023-03-31".into(), utc_offset_minutes: -300, ..Default::default() },
            "SELECT id FROM jobs WHERE created_at < '2023-04-01T05:00:00.000Z'",
        ),
        (
            HistoryQuery { technician: "王芳".into(), ..Default::default() },
            "SELECT DISTINCT job_id FROM job_events WHERE actor = '王芳'",
        ),
        (
            HistoryQuery { outcome: "open".into(), ..Default::default() },
            "SELECT id FROM jobs WHERE status NOT IN ('returned', 'scrapped', 'rma')",
        ),
        (HistoryQuery { outcome: "scrapped".into(), ..Default::default() }, "SELECT id FROM jobs WHERE status = 'scrapped'"),
        (HistoryQuery { certificate: "yes".into(), ..Default::default() }, "SELECT DISTINCT job_id FROM certificates"),
        (
            HistoryQuery { certificate: "no".into(), ..Default::default() },
            "SELECT id FROM jobs WHERE id NOT IN (SELECT job_id FROM certificates)",
        ),
        (HistoryQuery { customer: customer.clone(), ..Default::default() }, by_customer.as_str()),
        (
            HistoryQuery { model: "h100-sxm5-80gb".into(), outcome: "returned".into(), certificate: "yes".into(), ..Default::default() },
            "SELECT id FROM jobs WHERE model_id = 'h100-sxm5-80gb' AND status = 'returned' AND id IN (SELECT job_id FROM certificates)",
        ),
    ];
    for (query, expected) in cases {
        let found: Vec<i64> = all(&shop, &query).iter().map(|r| r.id).collect();
        let expected = sorted(ids(&shop, expected));
        assert!(!expected.is_empty(), "{query:?} should match something in a generated shop");
        assert_eq!(sorted(found), expected, "{query:?}");
    }
}

#[test]
fn search_finds_serial_tails_ticket_starts_uuids_notes_and_chinese_names() {
    let (_dir, shop) = generated_shop();
    let job = &shop.history().page(&HistoryQuery::default(), 1_234, 1).unwrap().rows[0];
    let tail: String = job.board_serial.chars().skip(6).collect();
    let found = all(&shop, &HistoryQuery { text: tail.clone(), ..Default::default() });
    assert!(found.iter().all(|r| r.board_serial.contains(&tail)) && found.iter().any(|r| r.id == job.id));

    let start = &job.ticket[..11];
    let found = all(&shop, &HistoryQuery { text: start.to_lowercase(), ..Default::default() });
    assert!(found.iter().all(|r| r.ticket.starts_with(start)) && found.iter().any(|r| r.id == job.id), "{start}");

    let with_uuid = all(&shop, &HistoryQuery::default()).into_iter().find(|r| r.gpu_uuid.is_some()).unwrap();
    let piece = &with_uuid.gpu_uuid.as_deref().unwrap()[4..14];
    assert!(all(&shop, &HistoryQuery { text: piece.into(), ..Default::default() })
        .iter()
        .any(|r| r.id == with_uuid.id));

    let chinese = all(&shop, &HistoryQuery { text: "深圳智算".into(), ..Default::default() });
    assert!(!chinese.is_empty() && chinese.iter().all(|r| r.customer.contains("深圳智算")));
    // Two characters are too few for the index: they search customer names.
    let short = all(&shop, &HistoryQuery { text: "上海".into(), ..Default::default() });
    assert!(!short.is_empty() && short.iter().all(|r| r.customer.contains("上海")));

    // Typed on a Chinese keyboard: full-width digits and letters find the plain serial and ticket.
    let wide: String = tail.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    assert_eq!(
        all(&shop, &HistoryQuery { text: wide, ..Default::default() }).len(),
        all(&shop, &HistoryQuery { text: tail.clone(), ..Default::default() }).len()
    );
    let wide_start: String = start.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    assert!(all(&shop, &HistoryQuery { text: wide_start, ..Default::default() }).iter().any(|r| r.id == job.id));

    let notes = all(&shop, &HistoryQuery { text: "掉卡，dmesg".into(), ..Default::default() });
    let expected = ids(&shop, "SELECT id FROM jobs WHERE symptom_observed LIKE '%掉卡，dmesg%'");
    assert_eq!(sorted(notes.iter().map(|r| r.id).collect()), sorted(expected));

    // FTS syntax in the text is just text.
    for hostile in ["\"a\" OR \"b\"", "NEAR(x y)", "serial:123*", "\"\"\""] {
        assert!(all(&shop, &HistoryQuery { text: hostile.into(), ..Default::default() }).is_empty(), "{hostile}");
    }
}

#[test]
fn sorting_and_paging_hold_and_counting_stops_ahead() {
    let (_dir, shop) = generated_shop();
    for sort in
        [HistorySort::Ticket, HistorySort::Customer, HistorySort::Model, HistorySort::Status, HistorySort::Updated]
    {
        for descending in [false, true] {
            let rows = all(&shop, &HistoryQuery { sort, descending, ..Default::default() });
            let key = |r: &HistoryRow| match sort {
                HistorySort::Ticket => r.ticket.clone(),
                HistorySort::Customer => r.customer.clone(),
                HistorySort::Model => r.model_id.clone(),
                HistorySort::Status => r.status.id().to_owned(),
                HistorySort::Updated => r.updated_at.clone(),
                HistorySort::Received => unreachable!(),
            };
            let ordered =
                rows.windows(2).all(|w| if descending { key(&w[0]) >= key(&w[1]) } else { key(&w[0]) <= key(&w[1]) });
            assert!(ordered, "{sort:?} descending {descending}");
        }
    }
    let newest = shop.history().page(&HistoryQuery { descending: true, ..Default::default() }, 0, 10).unwrap();
    assert_eq!(newest.rows[0].id, JOBS as i64);
    assert_eq!((newest.total, newest.exact), (10 + history::COUNT_AHEAD, false), "counting stops ahead");
    let middle = shop.history().page(&HistoryQuery::default(), 1_500, 10).unwrap();
    assert_eq!(middle.rows[0].id, 1_501);
    assert_eq!((middle.total, middle.exact), (JOBS, true), "near the end the count is exact");
    assert_eq!(shop.history().count(&HistoryQuery::default()).unwrap(), JOBS, "every match, counted apart");
    let rma = HistoryQuery { status: "rma".into(), text: "Xid".into(), ..Default::default() };
    assert_eq!(shop.history().count(&rma).unwrap(), all(&shop, &rma).len() as u64);
    // Counting stops when its time is up, and says so; the store is usable right after.
    let filter = HistoryQuery::default().filter(shop.catalogs()).unwrap();
    let counted = shop.store().read(|tx| filter.count(tx, JOBS + 1, std::time::Duration::ZERO)).unwrap();
    assert_eq!(counted, None);
    let counted = shop.store().read(|tx| filter.count(tx, JOBS + 1, std::time::Duration::from_secs(60))).unwrap();
    assert_eq!(counted, Some(JOBS));
}

#[test]
fn dates_are_read_as_people_type_them() {
    let (_dir, shop) = generated_shop();
    let total = |from: &str, to: &str| {
        let query = HistoryQuery { from: from.into(), to: to.into(), ..Default::default() };
        shop.history().page(&query, 0, 10).unwrap().total
    };
    let march = total("2023-03-01", "2023-03-31");
    assert!(march > 0, "the generated shop took cards in that month");
    // The slashes and dots of a Chinese date, no leading zeros, full-width digits: the same month.
    assert_eq!(total("2023/3/1", "2023.03.31"), march);
    assert_eq!(total("２０２３／３／１", "２０２３－０３－３１"), march);
}

#[test]
fn wrong_input_is_refused_by_field() {
    let (_dir, shop) = generated_shop();
    let refused = |query: HistoryQuery, field: Field| match shop.history().page(&query, 0, 10) {
        Err(CoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{query:?}"),
        other => panic!("{query:?} was not refused: {:?}", other.map(|p| p.total)),
    };
    refused(HistoryQuery { from: "2024-13-01".into(), ..Default::default() }, Field::DateFrom);
    refused(HistoryQuery { to: "yesterday".into(), ..Default::default() }, Field::DateTo);
    for typo in ["2024-02-30", "24-05-01", "2024-5", "2024-05-01-02", "2024/005/01", "２０２４年5月1日"] {
        refused(HistoryQuery { from: typo.into(), ..Default::default() }, Field::DateFrom);
    }
    refused(HistoryQuery { from: "2024-05-02".into(), to: "2024-05-01".into(), ..Default::default() }, Field::DateTo);
    refused(HistoryQuery { status: "lost".into(), ..Default::default() }, Field::Status);
    refused(HistoryQuery { utc_offset_minutes: 15 * 60, ..Default::default() }, Field::UtcOffset);
    refused(HistoryQuery { utc_offset_minutes: i32::MIN, ..Default::default() }, Field::UtcOffset);
    refused(HistoryQuery { time_zone: "Asia/Shenzhen'--".into(), ..Default::default() }, Field::UtcOffset);
    refused(HistoryQuery { model: "h300".into(), ..Default::default() }, Field::Model);
    refused(HistoryQuery { outcome: "repairing".into(), ..Default::default() }, Field::Outcome);
    refused(HistoryQuery { certificate: "maybe".into(), ..Default::default() }, Field::Certificate);
    refused(HistoryQuery { text: "x".repeat(201), ..Default::default() }, Field::SearchText);
    refused(HistoryQuery { technician: "a\u{0}b".into(), ..Default::default() }, Field::Technician);
    assert!(matches!(
        shop.history().page(&HistoryQuery::default(), 0, 5_000),
        Err(CoreError::Invalid { field: Field::Page, problem: Problem::OutOfRange { .. } })
    ));
}

#[test]
fn the_search_index_follows_a_changed_job() {
    let (_dir, shop) = generated_shop();
    shop.store()
        .write(|tx, _| Ok(tx.execute("UPDATE jobs SET board_serial = '9999888877776' WHERE id = 42", [])?))
        .unwrap();
    let found = all(&shop, &HistoryQuery { text: "888877776".into(), ..Default::default() });
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![42]);
}

#[test]
fn a_history_page_is_read_while_the_bench_is_in_the_middle_of_a_write() {
    let (_dir, shop) = generated_shop();
    let (started, writing) = std::sync::mpsc::channel();
    let (read, page_done) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|threads| {
        let shop = &shop;
        let writer = threads.spawn(move || {
            shop.store().write(|_, _| {
                started.send(()).unwrap();
                // The write stays open until the page has been read, or gives up after a minute.
                Ok(page_done.recv_timeout(std::time::Duration::from_secs(60)).is_ok())
            })
        });
        writing.recv().unwrap();
        let page = shop.history().page(&HistoryQuery::default(), 0, 50).unwrap();
        assert_eq!(page.rows.len(), 50);
        read.send(()).unwrap();
        assert!(writer.join().unwrap().unwrap(), "the page was read while the write was still open");
    });
}

#[test]
fn a_text_search_narrowed_by_other_filters_finds_exactly_what_the_index_finds() {
    let (_dir, shop) = generated_shop();
    let job = &shop.history().page(&HistoryQuery::default(), 2_345, 1).unwrap().rows[0];
    let tail: String = job.board_serial.chars().skip(7).collect();
    type Keep = fn(&HistoryRow) -> bool;
    let narrowing: [(HistoryQuery, Keep); 4] = [
        (HistoryQuery { status: "rma".into(), ..Default::default() }, |r| r.status.id() == "rma"),
        (HistoryQuery { model: "h100-sxm5-80gb".into(), ..Default::default() }, |r| r.model_id == "h100-sxm5-80gb"),
        (HistoryQuery { from: "2023-01-01".into(), to: "2023-12-31".into(), ..Default::default() }, |r| {
            r.created_at.starts_with("2023")
        }),
        (HistoryQuery { outcome: "open".into(), ..Default::default() }, |r| {
            !["returned", "scrapped", "rma"].contains(&r.status.id())
        }),
    ];
    // Upper case found in lower-case notes, as the index finds it; Chinese punctuation; a serial tail.
    for text in ["REMAPPING Failure", "掉卡，dmesg", "深圳智算", tail.as_str()] {
        let by_index = all(&shop, &HistoryQuery { text: text.into(), ..Default::default() });
        assert!(!by_index.is_empty(), "{text}");
        for (narrowed, keep) in &narrowing {
            // Few jobs pass the other filters here, so the text is looked for in each of them.
            let query = HistoryQuery { text: text.into(), ..narrowed.clone() };
            let found: Vec<i64> = all(&shop, &query).iter().map(|r| r.id).collect();
            let expected: Vec<i64> = by_index.iter().filter(|r| keep(r)).map(|r| r.id).collect();
            assert_eq!(found, expected, "{query:?}");
        }
    }
}

#[test]
fn the_open_jobs_index_serves_still_open_as_the_shipped_flow_says_it() {
    let (_dir, shop) = generated_shop();
    let checked = HistoryQuery { outcome: "open".into(), ..Default::default() }.check(shop.catalogs()).unwrap();
    let Some(history::Outcome::Open { ended }) = checked.outcome else { panic!("{:?}", checked.outcome) };
    let open = history::Outcome::open_sql("j.status", &ended);
    let plan: Vec<String> = shop
        .store()
        .read(|tx| {
            let sql = format!("EXPLAIN QUERY PLAN SELECT j.id FROM jobs j WHERE {open} ORDER BY j.id LIMIT 100");
            let mut statement = tx.prepare(&sql)?;
            let rows = statement.query_map([], |r| r.get::<_, String>(3))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap();
    assert!(plan.iter().any(|step| step.contains("jobs_open")), "{open}: {plan:?}");
}
