//! Figures a shop manager reads off the history: jobs and revenue per month, how each model's
//! jobs ended, the findings and Xids seen most, how long a repair takes and who closes how many.
//! They cover exactly the jobs the history's filters select, read through a connection of their
//! own so the bench keeps working meanwhile.

use std::collections::BTreeMap;

use rusqlite::{params_from_iter, Transaction};
use serde::Serialize;

use crate::diagnostics::Text;
use crate::error::CoreResult;
use crate::history::Filter;
use crate::jobs::status::{Status, StatusFlow};
use crate::money::{Currency, Money};
use crate::store::{json_column, Quote, Store};

/// How many findings and Xids the "most frequent" lists hold.
pub const TOP: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Every month from the first to the last job selected, none skipped.
    pub months: Vec<Month>,
    /// Models with the most jobs first.
    pub models: Vec<ModelOutcomes>,
    pub findings: Vec<Frequency>,
    pub xids: Vec<Frequency>,
    pub turnaround: Turnaround,
    /// Technicians who closed the most jobs first.
    pub technicians: Vec<Throughput>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Jobs taken in that month.
    pub received: u64,
    /// Jobs handed back that month.
    pub returned: u64,
    /// The quotes of the jobs handed back that month, one amount per currency.
    pub revenue: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ModelOutcomes {
    pub model_id: String,
    /// Jobs by how they ended (`returned`, `scrapped`, `rma`: the flow's ending statuses).
    pub ended: BTreeMap<&'static str, u64>,
    /// Not ended yet.
    pub open: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Frequency {
    pub code: String,
    /// The finding's title as the rules file gave it when it was recorded.
    pub title: Option<Text>,
    /// Jobs where it was found at least once.
    pub jobs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Turnaround {
    /// Jobs handed back, whose intake-to-return time is known.
    pub returned: u64,
    /// The median time from intake to hand-back, in hours; none without returned jobs.
    pub median_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    pub technician: String,
    /// Jobs this person took in.
    pub received: u64,
    /// Jobs this person ended (returned, scrapped or sent for RMA).
    pub closed: u64,
}

/// The statistics of the jobs `filter` selects.
pub(super) fn of(store: &Store, filter: &Filter, flow: &StatusFlow) -> CoreResult<Statistics> {
    store.read_alone(|tx| {
        let (findings, xids) = frequent(tx, filter)?;
        Ok(Statistics {
            months: months(tx, filter)?,
            models: models(tx, filter, flow)?,
            findings,
            xids,
            turnaround: turnaround(tx, filter)?,
            technicians: technicians(tx, filter, flow)?,
        })
    })
}

/// Runs `sql` (with `{scope}` standing for the selected jobs `j`) and hands every row to `read`.
fn each_row(
    tx: &Transaction,
    filter: &Filter,
    sql: &str,
    mut read: impl FnMut(&rusqlite::Row) -> CoreResult<()>,
) -> CoreResult<()> {
    let (scope, values) = filter.scope(tx)?;
    let mut statement = tx.prepare(&sql.replace("{scope}", &scope))?;
    let mut rows = statement.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        read(row)?;
    }
    Ok(())
}

fn months(tx: &Transaction, filter: &Filter) -> CoreResult<Vec<Month>> {
    let mut by_month: BTreeMap<String, Month> = BTreeMap::new();
    fn month(months: &mut BTreeMap<String, Month>, name: String) -> &mut Month {
        months.entry(name.clone()).or_insert(Month { month: name, received: 0, returned: 0, revenue: Vec::new() })
    }
    let received = format!("SELECT {}, count(*) FROM {{scope}} GROUP BY 1", filter.local_month("j.created_at"));
    each_row(tx, filter, &received, |row| {
        month(&mut by_month, row.get(0)?).received = row.get::<_, i64>(1)?.unsigned_abs();
        Ok(())
    })?;
    // A returned job never changes again, so its last change is when it was handed back.
    let returned = format!(
        "SELECT {}, j.quote_currency, count(*), sum(j.quote_minor)
         FROM {{scope}} AND j.status = 'returned' GROUP BY 1, 2 ORDER BY 1, 2",
        filter.local_month("j.updated_at")
    );
    each_row(tx, filter, &returned, |row| {
        let entry = month(&mut by_month, row.get(0)?);
        entry.returned += row.get::<_, i64>(2)?.unsigned_abs();
        let currency: Currency = json_column(row, 1, Quote::Text)?;
        entry.revenue.push(Money { minor: row.get(3)?, currency });
        Ok(())
    })?;
    Ok(fill_gaps(by_month.into_values().collect()))
}

/// Adds the months in between that had no jobs, so a chart's time axis has no holes.
fn fill_gaps(months: Vec<Month>) -> Vec<Month> {
    let parse = |month: &str| -> Option<(i32, u32)> {
        let (year, number) = month.split_once('-')?;
        // A month the calendar does not have (a hand-edited store) has no gap to fill.
        Some((year.parse().ok()?, number.parse().ok().filter(|n| (1..=12).contains(n))?))
    };
    let mut filled: Vec<Month> = Vec::with_capacity(months.len());
    for month in months {
        if let (Some(last), Some(next)) = (filled.last().and_then(|m| parse(&m.month)), parse(&month.month)) {
            let (mut year, mut number) = last;
            loop {
                (year, number) = if number == 12 { (year + 1, 1) } else { (year, number + 1) };
                if (year, number) >= next {
                    break;
                }
                let name = format!("{year:04}-{number:02}");
                filled.push(Month { month: name, received: 0, returned: 0, revenue: Vec::new() });
            }
        }
        filled.push(month);
    }
    filled
}

fn models(tx: &Transaction, filter: &Filter, flow: &StatusFlow) -> CoreResult<Vec<ModelOutcomes>> {
    let mut by_model: BTreeMap<String, ModelOutcomes> = BTreeMap::new();
    each_row(tx, filter, "SELECT j.model_id, j.status, count(*) FROM {scope} GROUP BY 1, 2", |row| {
        let model_id: String = row.get(0)?;
        let status: Status = json_column(row, 1, Quote::Text)?;
        let count = row.get::<_, i64>(2)?.unsigned_abs();
        let entry =
            by_model.entry(model_id.clone()).or_insert(ModelOutcomes { model_id, ended: BTreeMap::new(), open: 0 });
        if flow.is_terminal(status) {
            *entry.ended.entry(status.id()).or_default() += count;
        } else {
            entry.open += count;
        }
        Ok(())
    })?;
    let mut models: Vec<ModelOutcomes> = by_model.into_values().collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.open + m.ended.values().sum::<u64>()));
    Ok(models)
}

/// The findings and the Xids found in the most jobs, each list at most [`TOP`] long, with the title
/// a recorded finding carried.
fn frequent(tx: &Transaction, filter: &Filter) -> CoreResult<(Vec<Frequency>, Vec<Frequency>)> {
    let sql = if filter.selects_everything() {
        "SELECT code, count(DISTINCT job_id) FROM run_findings GROUP BY code ORDER BY 2 DESC, code"
    } else {
        "SELECT code, count(DISTINCT job_id) FROM run_findings WHERE job_id IN (SELECT j.id FROM {scope})
         GROUP BY code ORDER BY 2 DESC, code"
    };
    let (mut findings, mut xids) = (Vec::new(), Vec::new());
    each_row(tx, filter, sql, |row| {
        let code: String = row.get(0)?;
        let list = if code.starts_with("xid_") { &mut xids } else { &mut findings };
        if list.len() < TOP {
            list.push(Frequency { title: None, jobs: row.get::<_, i64>(1)?.unsigned_abs(), code });
        }
        Ok(())
    })?;
    let mut title = tx.prepare(
        "SELECT f.value -> '$.title' FROM run_findings r JOIN diagnostic_runs d ON d.id = r.run_id, json_each(d.findings) f
         WHERE r.code = ?1 AND f.value ->> '$.code' = ?1 LIMIT 1",
    )?;
    for frequency in findings.iter_mut().chain(xids.iter_mut()) {
        frequency.title = title.query_row([&frequency.code], |row| json_column(row, 0, Quote::None))?;
    }
    Ok((findings, xids))
}

fn turnaround(tx: &Transaction, filter: &Filter) -> CoreResult<Turnaround> {
    let mut hours: Vec<f64> = Vec::new();
    let mut returned = 0;
    // The middle one or two of the sorted durations, read straight from SQLite without holding them all.
    each_row(
        tx,
        filter,
        "WITH returned AS (SELECT (julianday(j.updated_at) - julianday(j.created_at)) * 24 AS hours
                           FROM {scope} AND j.status = 'returned'),
              counted AS (SELECT count(*) AS n FROM returned)
         SELECT n, hours FROM counted LEFT JOIN
           (SELECT hours FROM returned ORDER BY hours
            LIMIT 2 - (SELECT n FROM counted) % 2 OFFSET ((SELECT n FROM counted) - 1) / 2)",
        |row| {
            returned = row.get::<_, i64>(0)?.unsigned_abs();
            if let Some(value) = row.get::<_, Option<f64>>(1)? {
                hours.push(value);
            }
            Ok(())
        },
    )?;
    let median_hours = (!hours.is_empty()).then(|| hours.iter().sum::<f64>() / hours.len() as f64);
    Ok(Turnaround { returned, median_hours })
}

fn technicians(tx: &Transaction, filter: &Filter, flow: &StatusFlow) -> CoreResult<Vec<Throughput>> {
    let mut by_name: BTreeMap<String, Throughput> = BTreeMap::new();
    fn person(people: &mut BTreeMap<String, Throughput>, name: String) -> &mut Throughput {
        people.entry(name.clone()).or_insert(Throughput { technician: name, received: 0, closed: 0 })
    }
    each_row(tx, filter, "SELECT j.received_by, count(*) FROM {scope} GROUP BY 1", |row| {
        person(&mut by_name, row.get(0)?).received = row.get::<_, i64>(1)?.unsigned_abs();
        Ok(())
    })?;
    let ended: Vec<String> =
        Status::ALL.into_iter().filter(|s| flow.is_terminal(*s)).map(|s| format!("'{}'", s.id())).collect();
    // Who moved the job to where it ended: an ended job moves no further.
    let sql = format!(
        "SELECT e.actor, count(DISTINCT e.job_id) FROM job_events e
         WHERE e.kind = 'status_changed' AND e.detail ->> '$.to' IN ({ended})
           AND e.job_id IN (SELECT j.id FROM {{scope}} AND j.status IN ({ended}))
         GROUP BY 1",
        ended = ended.join(", ")
    );
    each_row(tx, filter, &sql, |row| {
        person(&mut by_name, row.get(0)?).closed = row.get::<_, i64>(1)?.unsigned_abs();
        Ok(())
    })?;
    let mut people: Vec<Throughput> = by_name.into_values().collect();
    people.sort_by_key(|p| (std::cmp::Reverse(p.closed), std::cmp::Reverse(p.received)));
    Ok(people)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(name: &str) -> Month {
        Month { month: name.into(), received: 1, returned: 0, revenue: Vec::new() }
    }

    #[test]
    fn gaps_between_months_are_filled_and_a_month_that_cannot_be_ends_nothing() {
        let names = |months: Vec<Month>| months.into_iter().map(|m| m.month).collect::<Vec<_>>();
        assert_eq!(
            names(fill_gaps(vec![month("2026-11"), month("2027-02")])),
            ["2026-11", "2026-12", "2027-01", "2027-02"]
        );
        // From a hand-edited store: month 13 is shown as it is, without looping to reach it.
        assert_eq!(names(fill_gaps(vec![month("2026-11"), month("2026-13")])), ["2026-11", "2026-13"]);
        assert_eq!(names(fill_gaps(vec![month("2026-13"), month("2027-01")])), ["2026-13", "2027-01"]);
    }
}
