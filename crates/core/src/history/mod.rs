//! The shop's job history: search and filters over every job ever taken in, sorted and read a page
//! at a time (a screen), or row by row (an export). One validated query drives both, so an export
//! always holds exactly the rows the screen shows.

pub mod backup;
pub mod export;
mod local_time;
pub mod service;
pub mod statistics;

use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Row, Transaction};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::status::Status;
use crate::jobs::MAX_SEARCH;
use crate::money::{Currency, Money};
use crate::store::{json_column, Quote};
use crate::text::{self, Lines};
use crate::workshop::Catalogs;
pub(crate) use local_time::register as register_functions;
use local_time::LocalTime;

/// The most rows one page may ask for: a screenful many times over.
pub const MAX_PAGE: u32 = 1_000;
/// The trigram index matches three characters or more; shorter text searches customer names.
const MIN_INDEXED_SEARCH: usize = 3;
/// Counting stops this far past the rows asked for: a broad filter over a million jobs answers
/// at once with "more than", and the count grows as the person scrolls.
pub const COUNT_AHEAD: u64 = 2_000;
/// Counting also gives up after this long: a filter whose matches are rare along the page's order
/// would otherwise read deep into the table only to say "more than".
pub(crate) const COUNT_BUDGET: Duration = Duration::from_millis(5);
/// The longest a page of history may take: a filter slower than this is refused, not waited on.
pub const PAGE_BUDGET: Duration = Duration::from_secs(3);

/// What a person asked of the history, as the UI or the CLI sends it. Empty means "any".
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Ticket, serial, UUID, customer or notes: any part of three characters or more.
    pub text: String,
    /// Taken in on or after this day (`YYYY-MM-DD`, local: see `utc_offset_minutes`).
    pub from: String,
    /// Taken in on or before this day.
    pub to: String,
    pub status: String,
    pub model: String,
    /// The customer's name, exactly.
    pub customer: String,
    /// Anyone who did something on the job.
    pub technician: String,
    /// `open`, or how it ended: `returned`, `scrapped`, `rma`.
    pub outcome: String,
    /// `yes`: has a certificate; `no`: has none.
    pub certificate: String,
    /// Where the person is, in minutes east of UTC: `from`, `to` and the statistics' months are
    /// their local days and months (the store keeps UTC). Used when `time_zone` is empty.
    pub utc_offset_minutes: i32,
    /// The person's time zone by its IANA name (`Asia/Shanghai`, `America/New_York`): days and
    /// months then begin where the clocks there say, daylight saving time included.
    pub time_zone: String,
    pub sort: HistorySort,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HistorySort {
    #[default]
    Received,
    Ticket,
    Customer,
    Model,
    Status,
    Updated,
}

/// One job as the history lists and exports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    pub id: i64,
    pub ticket: String,
    pub status: Status,
    pub created_at: String,
    pub updated_at: String,
    pub customer: String,
    pub model_id: String,
    pub board_serial: String,
    pub gpu_uuid: Option<String>,
    pub received_by: String,
    pub quote: Money,
    /// The job's current certificate, if it has one.
    pub certificate: Option<String>,
}

/// A validated query: the SQL condition and its values, and how to read the jobs in order.
pub struct Filter {
    condition: String,
    values: Vec<Value>,
    /// The order of the rows (`j` the jobs, `c` their customers).
    order: &'static str,
    /// The same order as the rows are found: a text search reads the index in job order (newest
    /// first, say) and stops as soon as a page is full, instead of collecting every match first.
    found_order: &'static str,
    /// Rows come from the search index `s`, joined to the jobs.
    searched: bool,
    /// The order needs the customers joined.
    by_customer: bool,
    /// Where the person's days and months begin.
    local: LocalTime,
}

impl HistoryQuery {
    /// Checks every part of the query and turns it into SQL with bound values only.
    pub fn filter(&self, catalogs: &Catalogs) -> CoreResult<Filter> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut searched = false;
        if let Some(text) = text::optional(&self.text, Field::SearchText, MAX_SEARCH, Lines::Single)? {
            if let Some(prefix) = ticket_prefix(&text) {
                // Every ticket shares "RV-20..": the ticket index answers a ticket's start at once.
                conditions.push("j.ticket >= ? AND j.ticket < ?".into());
                values.push(Value::Text(prefix.clone()));
                values.push(Value::Text(format!("{prefix}\u{10FFFF}")));
            } else if text.chars().count() >= MIN_INDEXED_SEARCH {
                conditions.push("s.job_search MATCH ?".into());
                searched = true;
                // One phrase: the text as typed, quotes doubled, never read as FTS syntax.
                values.push(Value::Text(format!("\"{}\"", text.replace('"', "\"\""))));
            } else {
                // Through the customers' own table and the jobs' customer index: no row-by-row join.
                conditions.push("j.customer_id IN (SELECT id FROM customers WHERE name LIKE ? ESCAPE '\\')".into());
                values.push(Value::Text(text::like_pattern(&text)));
            }
        }
        let local = LocalTime::of(self)?;
        let (from, to) = (day(&self.from, Field::DateFrom)?, day(&self.to, Field::DateTo)?);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(CoreError::invalid(Field::DateTo, Problem::BadFormat));
            }
        }
        if let Some(from) = from {
            conditions.push("j.created_at >= ?".into());
            values.push(Value::Text(local.day_start(from)?));
        }
        if let Some(to) = to {
            // Up to the end of that day: before the start of the next.
            let next = to.next_day().ok_or(CoreError::invalid(Field::DateTo, Problem::BadFormat))?;
            conditions.push("j.created_at < ?".into());
            values.push(Value::Text(local.day_start(next)?));
        }
        if !self.status.trim().is_empty() {
            conditions.push("j.status = ?".into());
            values.push(Value::Text(Status::parse(self.status.trim())?.id().into()));
        }
        if !self.model.trim().is_empty() {
            let model = catalogs.models.get(self.model.trim())?;
            conditions.push("j.model_id = ?".into());
            values.push(Value::Text(model.id.clone()));
        }
        if let Some(customer) = text::optional(&self.customer, Field::CustomerName, MAX_SEARCH, Lines::Single)? {
            conditions.push("j.customer_id IN (SELECT id FROM customers WHERE name = ?)".into());
            values.push(Value::Text(customer));
        }
        if let Some(technician) = text::optional(&self.technician, Field::Technician, MAX_SEARCH, Lines::Single)? {
            // Probed job by job: the page's order drives, not a list of every job the person touched.
            conditions.push("EXISTS (SELECT 1 FROM job_events e WHERE e.actor = ? AND e.job_id = j.id)".into());
            values.push(Value::Text(technician));
        }
        let flow = &catalogs.flow;
        match self.outcome.trim() {
            "" => {}
            "open" => {
                // The open statuses by name, so the status index finds them.
                let open: Vec<&str> =
                    Status::ALL.into_iter().filter(|s| !flow.is_terminal(*s)).map(Status::id).collect();
                conditions.push(format!("j.status IN ({})", vec!["?"; open.len()].join(", ")));
                values.extend(open.into_iter().map(|id| Value::Text(id.into())));
            }
            ended => {
                let status = Status::parse(ended).map_err(|_| CoreError::invalid(Field::Outcome, Problem::Unknown))?;
                if !flow.is_terminal(status) {
                    return Err(CoreError::invalid(Field::Outcome, Problem::Unknown));
                }
                conditions.push("j.status = ?".into());
                values.push(Value::Text(status.id().into()));
            }
        }
        match self.certificate.trim() {
            "" => {}
            "yes" => conditions.push("EXISTS (SELECT 1 FROM certificates k WHERE k.job_id = j.id)".into()),
            "no" => conditions.push("NOT EXISTS (SELECT 1 FROM certificates k WHERE k.job_id = j.id)".into()),
            _ => return Err(CoreError::invalid(Field::Certificate, Problem::Unknown)),
        }
        let condition = if conditions.is_empty() { "1".to_owned() } else { conditions.join(" AND ") };
        let order = match (self.sort, self.descending) {
            (HistorySort::Received, false) => "j.id",
            (HistorySort::Received, true) => "j.id DESC",
            (HistorySort::Ticket, false) => "j.ticket",
            (HistorySort::Ticket, true) => "j.ticket DESC",
            // In the customers' own index order (name, contact, id), then each customer's jobs in
            // the order of the jobs' customer index: read in order, never sorted.
            (HistorySort::Customer, false) => "c.name, c.contact, c.id, j.id",
            (HistorySort::Customer, true) => "c.name DESC, c.contact DESC, c.id DESC, j.id DESC",
            (HistorySort::Model, false) => "j.model_id, j.id",
            (HistorySort::Model, true) => "j.model_id DESC, j.id DESC",
            (HistorySort::Status, false) => "j.status, j.id",
            (HistorySort::Status, true) => "j.status DESC, j.id DESC",
            (HistorySort::Updated, false) => "j.updated_at, j.id",
            (HistorySort::Updated, true) => "j.updated_at DESC, j.id DESC",
        };
        let found_order = match (self.sort, self.descending, searched) {
            (HistorySort::Received, false, true) => "s.rowid",
            (HistorySort::Received, true, true) => "s.rowid DESC",
            _ => order,
        };
        let by_customer = self.sort == HistorySort::Customer;
        Ok(Filter { condition, values, order, found_order, searched, by_customer, local })
    }
}

/// `RV-2024-01…` or `RV-2026-B3-00…`: the start of a ticket number, upper-cased.
fn ticket_prefix(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let rest = upper.strip_prefix("RV-")?;
    let (year, tail) = rest.split_once('-').unwrap_or((rest, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    // A bench code begins with a letter, so digits after the year are the number.
    let (code, number) = match tail.split_once('-') {
        Some(parts) => parts,
        None if digits(tail) => ("", tail),
        None => (tail, ""),
    };
    let code_fits = code.len() <= 4 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    (year.len() == 4 && digits(year) && code_fits && digits(number) && number.len() <= 6).then_some(upper)
}

/// A day as a person types it: year, month and day in that order, split by `-`, `/` or `.`, the
/// month and day with or without a leading zero, digits full-width or not (`２０２６/3/9`).
fn day(raw: &str, field: Field) -> CoreResult<Option<Date>> {
    let raw = text::half_width(raw);
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || CoreError::invalid(field, Problem::BadFormat);
    let parts: Vec<&str> = raw.split(['-', '/', '.']).collect();
    let [year, month, day] = parts[..] else { return Err(bad()) };
    let number = |part: &str, digits: std::ops::RangeInclusive<usize>| {
        let plain = digits.contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit());
        plain.then(|| part.parse::<u16>().ok()).flatten().ok_or_else(bad)
    };
    let month = Month::try_from(u8::try_from(number(month, 1..=2)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let year = i32::from(number(year, 4..=4)?);
    Date::from_calendar_date(year, month, u8::try_from(number(day, 1..=2)?).map_err(|_| bad())?)
        .map(Some)
        .map_err(|_| bad())
}

const COLUMNS: &str = "j.id, j.ticket, j.status, j.created_at, j.updated_at, c.name, j.model_id, j.board_serial,
     j.gpu_uuid, j.received_by, j.quote_minor, j.quote_currency,
     (SELECT number FROM certificates k WHERE k.job_id = j.id AND k.superseded_by IS NULL)";

fn history_row(row: &Row) -> rusqlite::Result<HistoryRow> {
    let currency: Currency = json_column(row, 11, Quote::Text)?;
    Ok(HistoryRow {
        id: row.get(0)?,
        ticket: row.get(1)?,
        status: json_column(row, 2, Quote::Text)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
        customer: row.get(5)?,
        model_id: row.get(6)?,
        board_serial: row.get(7)?,
        gpu_uuid: row.get(8)?,
        received_by: row.get(9)?,
        quote: Money { minor: row.get(10)?, currency },
        certificate: row.get(12)?,
    })
}

impl Filter {
    /// The selected jobs `j` as SQL to put after `FROM`, and its values; more conditions may follow
    /// with `AND`.
    pub(crate) fn scope(&self) -> (String, &[Value]) {
        (format!("{} WHERE ({})", self.source(false), self.condition), &self.values)
    }

    /// The local `YYYY-MM` of the stored timestamp `column`, as SQL.
    pub(crate) fn local_month(&self, column: &str) -> String {
        self.local.month_sql(column)
    }

    /// No condition at all: every job.
    pub(crate) fn selects_everything(&self) -> bool {
        self.values.is_empty() && self.condition == "1"
    }

    /// Where the rows come from: the jobs `j`, found through the search index `s` for a text
    /// search, with their customers `c` when the order (or `customers`) asks for them.
    fn source(&self, customers: bool) -> String {
        // CROSS JOIN keeps the search index outside: SQLite never runs the full-text query once per job.
        let jobs = if self.searched { "job_search s CROSS JOIN jobs j ON j.id = s.rowid" } else { "jobs j" };
        match customers || self.by_customer {
            true => format!("{jobs} JOIN customers c ON c.id = j.customer_id"),
            false => jobs.to_owned(),
        }
    }

    /// How many jobs match, counting no further than `up_to`, along the page's own order (the
    /// count reads the rows the pages read); `None` when `budget` ran out first.
    pub fn count(&self, tx: &Transaction, up_to: u64, budget: Duration) -> CoreResult<Option<u64>> {
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} ORDER BY {} LIMIT {up_to})",
            self.source(false),
            self.condition,
            self.found_order
        );
        let deadline = Instant::now() + budget;
        tx.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
        let counted = tx.query_row(&sql, params_from_iter(&self.values), |r| r.get::<_, i64>(0));
        tx.progress_handler(0, None::<fn() -> bool>)?;
        match counted {
            Ok(count) => Ok(Some(count.unsigned_abs())),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// How many jobs match, all of them counted.
    pub(crate) fn count_all(&self, tx: &Transaction) -> CoreResult<u64> {
        let sql = format!("SELECT count(*) FROM {} WHERE {}", self.source(false), self.condition);
        let count: i64 = tx.query_row(&sql, params_from_iter(&self.values), |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// The matching jobs from `offset`, at most `limit` of them, in the query's order.
    pub fn page(&self, tx: &Transaction, offset: u64, limit: u32) -> CoreResult<Vec<HistoryRow>> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(CoreError::invalid(Field::Page, Problem::OutOfRange { min: 1, max: u64::from(MAX_PAGE) }));
        }
        // The page's jobs first, by id alone (skipping `offset` rows costs little), then their columns.
        let sql = format!(
            "SELECT {COLUMNS} FROM (SELECT j.id FROM {} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset}) p
             JOIN jobs j ON j.id = p.id JOIN customers c ON c.id = j.customer_id ORDER BY {}",
            self.source(false),
            self.condition,
            self.found_order,
            self.order
        );
        let deadline = Instant::now() + PAGE_BUDGET;
        tx.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
        let rows: rusqlite::Result<Vec<HistoryRow>> = tx
            .prepare(&sql)
            .and_then(|mut statement| statement.query_map(params_from_iter(&self.values), history_row)?.collect());
        tx.progress_handler(0, None::<fn() -> bool>)?;
        match rows {
            Ok(rows) => Ok(rows),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Err(CoreError::QueryTooSlow)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Every matching job in order, one at a time, without holding them all in memory; `visit`
    /// returns `false` to stop early.
    pub fn each(&self, tx: &Transaction, mut visit: impl FnMut(HistoryRow) -> CoreResult<bool>) -> CoreResult<()> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE {} ORDER BY {}",
            self.source(true),
            self.condition,
            self.found_order
        );
        let mut statement = tx.prepare(&sql)?;
        let mut rows = statement.query(params_from_iter(&self.values))?;
        while let Some(row) = rows.next()? {
            if !visit(history_row(row)?)? {
                break;
            }
        }
        Ok(())
    }
}

/// A page of the history and how many jobs match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// The matches counted, exact when `exact`, else a lower bound.
    pub total: u64,
    pub exact: bool,
    pub offset: u64,
    pub rows: Vec<HistoryRow>,
}
