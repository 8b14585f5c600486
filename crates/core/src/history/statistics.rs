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

/// What the statistics are built from, counted over the selected jobs by whichever store holds
/// them: this bench's, or the shop server for the whole shop. Months are the person's local ones.
#[derive(Debug, Default)]
pub struct Counts {
    /// Jobs taken in, by month.
    pub received: Vec<(String, u64)>,
    /// Jobs handed back, by month and currency: how many, and the sum of their quotes.
    pub returned: Vec<(String, Currency, u64, i64)>,
    /// Jobs by model and status.
    pub by_model: Vec<(String, Status, u64)>,
    /// Jobs each finding was recorded in (a finding code starting `xid_` is an Xid).
    pub findings: Vec<(String, u64)>,
    /// Jobs handed back whose time from intake is known, and the median of those times in hours.
    pub returned_jobs: u64,
    pub median_hours: Option<f64>,
    /// Jobs each person took in.
    pub received_by: Vec<(String, u64)>,
    /// Ended jobs, by the person who moved each to where it ended.
    pub closed_by: Vec<(String, u64)>,
}

impl Counts {
    /// The figures the screen shows; `title` gives the title a recorded finding carried.
    pub fn statistics<E>(
        self,
        flow: &StatusFlow,
        mut title: impl FnMut(&str) -> Result<Option<Text>, E>,
    ) -> Result<Statistics, E> {
        let mut by_month: BTreeMap<String, Month> = BTreeMap::new();
        fn month(months: &mut BTreeMap<String, Month>, name: String) -> &mut Month {
            months.entry(name.clone()).or_insert(Month { month: name, received: 0, returned: 0, revenue: Vec::new() })
        }
        for (name, count) in self.received {
            month(&mut by_month, name).received += count;
        }
        let mut returned = self.returned;
        returned.sort_by(|a, b| (&a.0, a.1.code()).cmp(&(&b.0, b.1.code())));
        for (name, currency, count, minor) in returned {
            let entry = month(&mut by_month, name);
            entry.returned += count;
            entry.revenue.push(Money { minor, currency });
        }

        let mut by_model: BTreeMap<String, ModelOutcomes> = BTreeMap::new();
        for (model_id, status, count) in self.by_model {
            let entry =
                by_model.entry(model_id.clone()).or_insert(ModelOutcomes { model_id, ended: BTreeMap::new(), open: 0 });
            if flow.is_terminal(status) {
                *entry.ended.entry(status.id()).or_default() += count;
            } else {
                entry.open += count;
            }
        }
        let mut models: Vec<ModelOutcomes> = by_model.into_values().collect();
        models.sort_by_key(|m| std::cmp::Reverse(m.open + m.ended.values().sum::<u64>()));

        let mut found = self.findings;
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (mut findings, mut xids) = (Vec::new(), Vec::new());
        for (code, jobs) in found {
            let list = if code.starts_with("xid_") { &mut xids } else { &mut findings };
            if list.len() < TOP {
                list.push(Frequency { title: title(&code)?, jobs, code });
            }
        }

        let mut by_name: BTreeMap<String, Throughput> = BTreeMap::new();
        fn person(people: &mut BTreeMap<String, Throughput>, name: String) -> &mut Throughput {
            people.entry(name.clone()).or_insert(Throughput { technician: name, received: 0, closed: 0 })
        }
        for (name, count) in self.received_by {
            person(&mut by_name, name).received += count;
        }
        for (name, count) in self.closed_by {
            person(&mut by_name, name).closed += count;
        }
        let mut technicians: Vec<Throughput> = by_name.into_values().collect();
        technicians.sort_by_key(|p| (std::cmp::Reverse(p.closed), std::cmp::Reverse(p.received)));

        Ok(Statistics {
            months: fill_gaps(by_month.into_values().collect()),
            models,
            findings,
            xids,
            turnaround: Turnaround { returned: self.returned_jobs, median_hours: self.median_hours },
            technicians,
        })
    }
}

/// The statistics of the jobs `filter` selects in this bench's store.
pub(super) fn of(store: &Store, filter: &Filter, flow: &StatusFlow) -> CoreResult<Statistics> {
    store.read_alone(|tx| {
        let mut counts = Counts::default();
        let received = format!("SELECT {}, count(*) FROM {{scope}} GROUP BY 1", filter.local_month("j.created_at"));
        each_row(tx, filter, &received, |row| {
            counts.received.push((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()));
            Ok(())
        })?;
        // A returned job never changes again, so its last change is when it was handed back.
        let returned = format!(
            "SELECT {}, j.quote_currency, count(*), sum(j.quote_minor)
             FROM {{scope}} AND j.status = 'returned' GROUP BY 1, 2",
            filter.local_month("j.updated_at")
        );
        each_row(tx, filter, &returned, |row| {
            let currency: Currency = json_column(row, 1, Quote::Text)?;
            counts.returned.push((row.get(0)?, currency, row.get::<_, i64>(2)?.unsigned_abs(), row.get(3)?));
            Ok(())
        })?;
        each_row(tx, filter, "SELECT j.model_id, j.status, count(*) FROM {scope} GROUP BY 1, 2", |row| {
            let status: Status = json_column(row, 1, Quote::Text)?;
            counts.by_model.push((row.get(0)?, status, row.get::<_, i64>(2)?.unsigned_abs()));
            Ok(())
        })?;
        let frequent = if filter.selects_everything() {
            "SELECT code, count(DISTINCT job_id) FROM run_findings GROUP BY code"
        } else {
            "SELECT code, count(DISTINCT job_id) FROM run_findings WHERE job_id IN (SELECT j.id FROM {scope})
             GROUP BY code"
        };
        each_row(tx, filter, frequent, |row| {
            counts.findings.push((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()));
            Ok(())
        })?;
        (counts.returned_jobs, counts.median_hours) = turnaround(tx, filter)?;
        each_row(tx, filter, "SELECT j.received_by, count(*) FROM {scope} GROUP BY 1", |row| {
            counts.received_by.push((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()));
            Ok(())
        })?;
        let ended: Vec<String> =
            Status::ALL.into_iter().filter(|s| flow.is_terminal(*s)).map(|s| format!("'{}'", s.id())).collect();
        // Who moved the job to where it ended: an ended job moves no further.
        let closed = format!(
            "SELECT e.actor, count(DISTINCT e.job_id) FROM job_events e
             WHERE e.kind = 'status_changed' AND e.detail ->> '$.to' IN ({ended})
               AND e.job_id IN (SELECT j.id FROM {{scope}} AND j.status IN ({ended}))
             GROUP BY 1",
            ended = ended.join(", ")
        );
        each_row(tx, filter, &closed, |row| {
            counts.closed_by.push((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()));
            Ok(())
        })?;
        let mut title = tx.prepare(
            "SELECT f.value -> '$.title' FROM run_findings r JOIN diagnostic_runs d ON d.id = r.run_id, json_each(d.findings) f
             WHERE r.code = ?1 AND f.value ->> '$.code' = ?1 LIMIT 1",
        )?;
        counts.statistics(flow, |code| Ok(title.query_row([code], |row| json_column(row, 0, Quote::None))?))
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

/// How many jobs were handed back, and the median of their times from intake in hours.
fn turnaround(tx: &Transaction, filter: &Filter) -> CoreResult<(u64, Option<f64>)> {
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
    Ok((returned, (!hours.is_empty()).then(|| hours.iter().sum::<f64>() / hours.len() as f64)))
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
