//! The history's statistics over a generated shop agree with a plain reading of the same rows in
//! Rust, follow the history's filters, and an empty shop has figures of nothing, not errors.

use revive_history_generator as generator;

use std::collections::{BTreeMap, HashMap, HashSet};

use revive_core::history::HistoryQuery;
use revive_core::money::Currency;
use revive_core::paths::Shipped;
use revive_core::workshop::Workshop;

const JOBS: u64 = 2_000;

fn generated_shop() -> (tempfile::TempDir, Workshop) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revive.sqlite3");
    generator::generate(&path, JOBS, 11).unwrap();
    let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
    (dir, shop)
}

struct Plain {
    status: String,
    model: String,
    created: String,
    updated: String,
    quote: i64,
    currency: String,
    received_by: String,
}

fn plain_jobs(shop: &Workshop) -> Vec<Plain> {
    shop.store()
        .read(|tx| {
            let mut statement = tx.prepare(
                "SELECT status, model_id, created_at, updated_at, quote_minor, quote_currency, received_by FROM jobs",
            )?;
            let rows = statement.query_map([], |r| {
                Ok(Plain {
                    status: r.get(0)?,
                    model: r.get(1)?,
                    created: r.get(2)?,
                    updated: r.get(3)?,
                    quote: r.get(4)?,
                    currency: r.get(5)?,
                    received_by: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap()
}

fn hours(from: &str, to: &str) -> f64 {
    let parse = |at: &str| {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
    };
    (parse(to) - parse(from)) as f64 / 3_600.0
}

#[test]
fn figures_match_the_rows_they_count() {
    let (_dir, shop) = generated_shop();
    let jobs = plain_jobs(&shop);
    let figures = shop.history().statistics(&HistoryQuery::default()).unwrap();

    // Months: every job counted in its intake month, the axis without holes.
    assert_eq!(figures.months.iter().map(|m| m.received).sum::<u64>(), JOBS);
    for pair in figures.months.windows(2) {
        let (a, b) = (&pair[0].month, &pair[1].month);
        let next = |m: &str| {
            let (y, n): (i32, u32) = (m[..4].parse().unwrap(), m[5..].parse().unwrap());
            if n == 12 {
                format!("{:04}-01", y + 1)
            } else {
                format!("{y:04}-{:02}", n + 1)
            }
        };
        assert_eq!(&next(a), b, "months follow each other");
    }
    let returned: Vec<&Plain> = jobs.iter().filter(|j| j.status == "returned").collect();
    assert_eq!(figures.months.iter().map(|m| m.returned).sum::<u64>(), returned.len() as u64);
    let some_month = &figures.months[figures.months.len() / 2];
    let expected_cny: i64 = returned
        .iter()
        .filter(|j| j.updated.starts_with(&some_month.month) && j.currency == "CNY")
        .map(|j| j.quote)
        .sum();
    let cny = some_month.revenue.iter().find(|m| m.currency == Currency::Cny).map_or(0, |m| m.minor);
    assert_eq!(cny, expected_cny);
    assert!(expected_cny > 0, "the middle month has returned jobs paid in CNY");
    let total: i64 = figures.months.iter().flat_map(|m| &m.revenue).map(|m| m.minor).sum();
    assert_eq!(total, returned.iter().map(|j| j.quote).sum::<i64>());

    // Outcomes per model.
    let h100 = figures.models.iter().find(|m| m.model_id == "h100-sxm5-80gb").unwrap();
    let count = |status: &str| jobs.iter().filter(|j| j.model == "h100-sxm5-80gb" && j.status == status).count() as u64;
    assert_eq!(h100.ended.get("returned").copied().unwrap_or(0), count("returned"));
    assert_eq!(h100.ended.get("scrapped").copied().unwrap_or(0), count("scrapped"));
    assert_eq!(h100.ended.get("rma").copied().unwrap_or(0), count("rma"));
    let all_h100 = jobs.iter().filter(|j| j.model == "h100-sxm5-80gb").count() as u64;
    assert_eq!(h100.open, all_h100 - count("returned") - count("scrapped") - count("rma"));
    assert_eq!(figures.models[0].model_id, "h100-sxm5-80gb", "the model with the most jobs first");

    // Findings and Xids: jobs where each was found, most first.
    let runs: Vec<(i64, String)> = shop
        .store()
        .read(|tx| {
            let mut statement = tx.prepare("SELECT job_id, findings FROM diagnostic_runs")?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    let mut jobs_with: HashMap<String, HashSet<i64>> = HashMap::new();
    for (job, findings) in &runs {
        let findings: Vec<serde_json::Value> = serde_json::from_str(findings).unwrap();
        for finding in findings {
            jobs_with.entry(finding["code"].as_str().unwrap().to_owned()).or_default().insert(*job);
        }
    }
    assert!(!figures.findings.is_empty() && !figures.xids.is_empty());
    for frequency in figures.findings.iter().chain(&figures.xids) {
        assert_eq!(frequency.jobs, jobs_with[&frequency.code].len() as u64, "{}", frequency.code);
        assert!(frequency.title.as_ref().is_some_and(|t| !t.en.is_empty() && !t.zh_cn.is_empty()));
    }
    assert!(figures.xids.iter().all(|x| x.code.starts_with("xid_")));
    assert!(figures.findings.iter().all(|f| !f.code.starts_with("xid_")));
    assert!(figures.findings.windows(2).all(|w| w[0].jobs >= w[1].jobs));
    let most = jobs_with.iter().filter(|(code, _)| !code.starts_with("xid_")).map(|(_, jobs)| jobs.len()).max();
    assert_eq!(Some(figures.findings[0].jobs as usize), most);

    // Median turnaround of the returned jobs.
    let mut durations: Vec<f64> = returned.iter().map(|j| hours(&j.created, &j.updated)).collect();
    durations.sort_by(f64::total_cmp);
    let n = durations.len();
    let median = if n % 2 == 1 { durations[n / 2] } else { (durations[n / 2 - 1] + durations[n / 2]) / 2.0 };
    assert_eq!(figures.turnaround.returned, n as u64);
    let found = figures.turnaround.median_hours.unwrap();
    assert!((found - median).abs() < 0.01, "median {found} h, expected {median} h");

    // Throughput: taken in by each person, and ended by whoever made the last move.
    let mut received: BTreeMap<&str, u64> = BTreeMap::new();
    for job in &jobs {
        *received.entry(&job.received_by).or_default() += 1;
    }
    let closers: Vec<(String, i64)> = shop
        .store()
        .read(|tx| {
            let mut statement = tx.prepare(
                "SELECT actor, job_id FROM job_events WHERE kind = 'status_changed'
                   AND json_extract(detail, '$.to') IN ('returned', 'scrapped', 'rma')",
            )?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    let mut closed: HashMap<&str, HashSet<i64>> = HashMap::new();
    for (actor, job) in &closers {
        closed.entry(actor).or_default().insert(*job);
    }
    for person in &figures.technicians {
        assert_eq!(person.received, received.get(person.technician.as_str()).copied().unwrap_or(0));
        assert_eq!(person.closed, closed.get(person.technician.as_str()).map_or(0, |j| j.len() as u64));
    }
    assert_eq!(figures.technicians.iter().map(|p| p.received).sum::<u64>(), JOBS);
    assert!(figures.technicians.windows(2).all(|w| w[0].closed >= w[1].closed));
}

#[test]
fn figures_follow_the_history_filters() {
    let (_dir, shop) = generated_shop();
    let query = HistoryQuery {
        model: "h20-96gb".into(),
        from: "2023-01-01".into(),
        to: "2023-12-31".into(),
        ..Default::default()
    };
    let figures = shop.history().statistics(&query).unwrap();
    let expected =
        plain_jobs(&shop).into_iter().filter(|j| j.model == "h20-96gb" && j.created.starts_with("2023")).count() as u64;
    assert!(expected > 0);
    assert_eq!(figures.months.iter().map(|m| m.received).sum::<u64>(), expected);
    assert_eq!(figures.models.len(), 1);
    assert_eq!(figures.models[0].model_id, "h20-96gb");
    assert!(figures.months.iter().all(|m| m.month.starts_with("2023") || m.received == 0));

    // The months are the shop's: at UTC+8 a job taken in at 20:00 UTC on the last day of a month
    // belongs to the next one.
    let month_of = |at: &str, offset: i64| {
        let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
            + time::Duration::minutes(offset);
        format!("{:04}-{:02}", at.year(), u8::from(at.month()))
    };
    let jobs = plain_jobs(&shop);
    for offset in [480, -300] {
        let local = shop
            .history()
            .statistics(&HistoryQuery { utc_offset_minutes: offset as i32, ..Default::default() })
            .unwrap();
        for month in local.months.iter().step_by(7) {
            let received = jobs.iter().filter(|j| month_of(&j.created, offset) == month.month).count() as u64;
            assert_eq!(month.received, received, "{} at {offset}", month.month);
        }
    }

    // In a zone with daylight saving time each job falls in the month its local clock showed.
    let zoned_month = |at: &str| {
        let local = at.parse::<jiff::Timestamp>().unwrap().in_tz("America/New_York").unwrap();
        format!("{:04}-{:02}", local.year(), local.month())
    };
    let zoned = shop
        .history()
        .statistics(&HistoryQuery { time_zone: "America/New_York".into(), ..Default::default() })
        .unwrap();
    for month in &zoned.months {
        let received = jobs.iter().filter(|j| zoned_month(&j.created) == month.month).count() as u64;
        assert_eq!(month.received, received, "{} in New York", month.month);
    }

    let refused = shop.history().statistics(&HistoryQuery { outcome: "maybe".into(), ..Default::default() });
    assert!(refused.is_err());
}

#[test]
fn an_empty_shop_has_no_figures() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
    let figures = shop.history().statistics(&HistoryQuery::default()).unwrap();
    assert!(figures.months.is_empty() && figures.models.is_empty() && figures.technicians.is_empty());
    assert!(figures.findings.is_empty() && figures.xids.is_empty());
    assert_eq!(figures.turnaround.returned, 0);
    assert_eq!(figures.turnaround.median_hours, None);
}
