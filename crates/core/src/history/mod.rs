//! The shop's job history: search and filters over every job ever taken in, sorted and read a page
//! at a time (a screen), or row by row (an export). One validated query drives both, so an export
//! always holds exactly the rows the screen shows.

pub mod backup;
pub mod export;
mod local_time;
pub mod service;
pub mod statistics;

use std::time::{Duration, Instant};

use rusqlite::functions::FunctionFlags;
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
use local_time::LocalTime;
pub use local_time::MonthsIn;

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
    /// The bench that holds the job, in the whole shop's history; none in this bench's own.
    pub bench: Option<String>,
    /// How the shop server knows the job, in the whole shop's history.
    pub shop_key: Option<crate::shop::link::ShopKey>,
    /// The job's number here, for a job this bench holds; in the whole shop's history, the
    /// number the shop server knows it by for any other.
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

/// How the text a person typed is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextSearch {
    /// The start of a ticket number, upper-cased: the ticket index answers it at once.
    TicketStart(String),
    /// Three characters or more anywhere in the ticket, serial, UUID, customer or notes.
    Anywhere(String),
    /// Fewer: part of a customer's name.
    CustomerPart(String),
}

/// How the jobs asked for ended, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not ended: in none of the flow's final statuses, which it lists.
    Open {
        ended: Vec<Status>,
    },
    Ended(Status),
}

impl Outcome {
    /// "Not in any final status" as SQL for `column`, the statuses written out rather than bound:
    /// the open jobs' own index (whose condition names the shipped flow's final statuses) then
    /// serves it. A shop whose flow ends elsewhere gets other statuses here, and the index is
    /// simply not used.
    pub fn open_sql(column: &str, ended: &[Status]) -> String {
        let ended: Vec<String> = ended.iter().map(|status| format!("'{}'", status.id())).collect();
        format!("{column} NOT IN ({})", ended.join(", "))
    }
}

/// A history query checked part by part and before any SQL: the bench's store and the shop server
/// each search by it in their own way, so both answer the same question.
#[derive(Debug)]
pub struct CheckedQuery {
    pub text: Option<TextSearch>,
    /// Taken in at or after this stored (UTC) time: the start of the person's first day.
    pub received_from: Option<String>,
    /// Taken in before this stored time: the start of the day after the person's last.
    pub received_before: Option<String>,
    pub status: Option<Status>,
    pub outcome: Option<Outcome>,
    pub model: Option<String>,
    /// The customer's name, exactly.
    pub customer: Option<String>,
    pub technician: Option<String>,
    /// Has a certificate (`true`) or none (`false`).
    pub certificate: Option<bool>,
    pub sort: HistorySort,
    pub descending: bool,
    /// Where the person's days and months begin.
    local: LocalTime,
}

impl CheckedQuery {
    /// Where the person's months begin, for statistics by month.
    pub fn months_in(&self) -> MonthsIn<'_> {
        self.local.months_in()
    }
}

impl HistoryQuery {
    /// Checks every part of the query: a wrong date, status, model or outcome is refused by field.
    pub fn check(&self, catalogs: &Catalogs) -> CoreResult<CheckedQuery> {
        let typed = text::half_width_alphanumerics(&self.text);
        let text =
            text::optional(&typed, Field::SearchText, MAX_SEARCH, Lines::Single)?.map(|text| {
                match ticket_prefix(&text) {
                    Some(start) => TextSearch::TicketStart(start),
                    None if text.chars().count() >= MIN_INDEXED_SEARCH => TextSearch::Anywhere(text),
                    None => TextSearch::CustomerPart(text),
                }
            });
        let local = LocalTime::of(self)?;
        let (from, to) = (day(&self.from, Field::DateFrom)?, day(&self.to, Field::DateTo)?);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(CoreError::invalid(Field::DateTo, Problem::BadFormat));
            }
        }
        let received_from = from.map(|from| local.day_start(from)).transpose()?;
        // Up to the end of the last day: before the start of the next.
        let received_before = to
            .map(|to| local.day_start(to.next_day().ok_or(CoreError::invalid(Field::DateTo, Problem::BadFormat))?))
            .transpose()?;
        let status = match self.status.trim() {
            "" => None,
            status => Some(Status::parse(status)?),
        };
        let model = match self.model.trim() {
            "" => None,
            model => Some(catalogs.models.get(model)?.id.clone()),
        };
        let flow = &catalogs.flow;
        let outcome = match self.outcome.trim() {
            "" => None,
            "open" => Some(Outcome::Open { ended: Status::ALL.into_iter().filter(|s| flow.is_terminal(*s)).collect() }),
            ended => {
                let status = Status::parse(ended).map_err(|_| CoreError::invalid(Field::Outcome, Problem::Unknown))?;
                if !flow.is_terminal(status) {
                    return Err(CoreError::invalid(Field::Outcome, Problem::Unknown));
                }
                Some(Outcome::Ended(status))
            }
        };
        let certificate = match self.certificate.trim() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err(CoreError::invalid(Field::Certificate, Problem::Unknown)),
        };
        Ok(CheckedQuery {
            text,
            received_from,
            received_before,
            status,
            outcome,
            model,
            customer: text::optional(&self.customer, Field::CustomerName, MAX_SEARCH, Lines::Single)?,
            technician: text::optional(&self.technician, Field::Technician, MAX_SEARCH, Lines::Single)?,
            certificate,
            sort: self.sort,
            descending: self.descending,
            local,
        })
    }

    /// Checks the query and turns it into SQL for this bench's store, with bound values only.
    pub fn filter(&self, catalogs: &Catalogs) -> CoreResult<Filter> {
        Ok(Filter::of(self.check(catalogs)?))
    }
}

/// SQL conditions on the jobs `j`, with their values in order.
#[derive(Default, Clone)]
struct Conditions {
    sql: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    fn push(&mut self, condition: impl Into<String>, values: impl IntoIterator<Item = Value>) {
        self.sql.push(condition.into());
        self.values.extend(values);
    }

    /// `condition` first, then these.
    fn led_by(&self, condition: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Conditions {
        let mut led = Conditions::default();
        led.push(condition, values);
        led.sql.extend(self.sql.iter().cloned());
        led.values.extend(self.values.iter().cloned());
        led
    }

    fn joined(&self) -> String {
        if self.sql.is_empty() {
            "1".to_owned()
        } else {
            self.sql.join(" AND ")
        }
    }
}

/// One way to find the selected jobs: the SQL condition and its values.
struct Plan {
    condition: String,
    values: Vec<Value>,
    /// The same order as the rows are found: a text search reads the index in job order (newest
    /// first, say) and stops as soon as a page is full, instead of collecting every match first.
    found_order: &'static str,
    /// Rows come from the search index `s`, joined to the jobs.
    searched: bool,
    /// The text looked for in each of a few jobs: every one is read anyway, so the page counts
    /// the matches as it is read, and nothing is counted after.
    counted: bool,
}

/// A page's rows, with how many jobs match in all when reading the page counted them.
pub struct PageRows {
    pub rows: Vec<HistoryRow>,
    pub matched: Option<u64>,
}

/// A query as SQL for the bench's store, and how to read the jobs in order.
pub struct Filter {
    /// Found through the full-text index for a text search (or plainly, without one).
    indexed: Plan,
    /// For a text search narrowed by other conditions: the text looked for in each job those
    /// conditions select, with those conditions alone to count first.
    checked_row_by_row: Option<(Plan, Plan)>,
    /// The order of the rows (`j` the jobs, `c` their customers).
    order: &'static str,
    /// The order needs the customers joined.
    by_customer: bool,
    /// Where the person's days and months begin.
    local: LocalTime,
}

/// A text search narrowed by other conditions to fewer jobs than this looks in each of those jobs
/// rather than through the full-text index: a common phrase ("remapping failure") matches a
/// hundred thousand jobs, of which the status, model and year keep a few.
const CHECKED_ROW_BY_ROW: u64 = 5_000;
/// The SQL function that says whether any of its texts holds the first, ignoring case as the
/// full-text index does.
const CONTAINS_FUNCTION: &str = "revive_contains";

impl Filter {
    fn of(query: CheckedQuery) -> Filter {
        let mut other = Conditions::default();
        if let Some(from) = query.received_from {
            other.push("j.created_at >= ?", [Value::Text(from)]);
        }
        if let Some(before) = query.received_before {
            other.push("j.created_at < ?", [Value::Text(before)]);
        }
        if let Some(status) = query.status {
            other.push("j.status = ?", [Value::Text(status.id().into())]);
        }
        if let Some(model) = query.model {
            other.push("j.model_id = ?", [Value::Text(model)]);
        }
        if let Some(customer) = query.customer {
            other.push("j.customer_id IN (SELECT id FROM customers WHERE name = ?)", [Value::Text(customer)]);
        }
        if let Some(technician) = query.technician {
            // Probed job by job: the page's order drives, not a list of every job the person touched.
            other.push(
                "EXISTS (SELECT 1 FROM job_events e WHERE e.actor = ? AND e.job_id = j.id)",
                [Value::Text(technician)],
            );
        }
        match query.outcome {
            Some(Outcome::Open { ended }) => other.push(Outcome::open_sql("j.status", &ended), []),
            Some(Outcome::Ended(status)) => other.push("j.status = ?", [Value::Text(status.id().into())]),
            None => {}
        }
        match query.certificate {
            Some(true) => other.push("EXISTS (SELECT 1 FROM certificates k WHERE k.job_id = j.id)", []),
            Some(false) => other.push("NOT EXISTS (SELECT 1 FROM certificates k WHERE k.job_id = j.id)", []),
            None => {}
        }
        let order = match (query.sort, query.descending) {
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
        let plain = |conditions: &Conditions| Plan {
            condition: conditions.joined(),
            values: conditions.values.clone(),
            found_order: order,
            searched: false,
            counted: false,
        };
        let mut checked_row_by_row = None;
        let indexed = match query.text {
            None => plain(&other),
            Some(TextSearch::TicketStart(start)) => {
                // Every ticket shares "RV-20..": the ticket index answers a ticket's start at once.
                let range = [Value::Text(start.clone()), Value::Text(format!("{start}\u{10FFFF}"))];
                plain(&other.led_by("j.ticket >= ? AND j.ticket < ?", range))
            }
            Some(TextSearch::CustomerPart(part)) => {
                // Through the customers' own table and the jobs' customer index: no row-by-row join.
                plain(&other.led_by(
                    "j.customer_id IN (SELECT id FROM customers WHERE name LIKE ? ESCAPE '\\')",
                    [Value::Text(text::like_pattern(&part))],
                ))
            }
            Some(TextSearch::Anywhere(text)) => {
                if !other.sql.is_empty() {
                    let mut row_by_row = other.clone();
                    row_by_row.push(
                        format!(
                            "EXISTS (SELECT 1 FROM job_search_text t WHERE t.id = j.id
                             AND {CONTAINS_FUNCTION}(?, t.ticket, t.serial, t.uuid, t.customer, t.notes))"
                        ),
                        [Value::Text(text.clone())],
                    );
                    checked_row_by_row = Some((plain(&other), Plan { counted: true, ..plain(&row_by_row) }));
                }
                // One phrase: the text as typed, quotes doubled, never read as FTS syntax.
                let phrase = Value::Text(format!("\"{}\"", text.replace('"', "\"\"")));
                let all = other.led_by("s.job_search MATCH ?", [phrase]);
                let found_order = match (query.sort, query.descending) {
                    (HistorySort::Received, false) => "s.rowid",
                    (HistorySort::Received, true) => "s.rowid DESC",
                    _ => order,
                };
                Plan { searched: true, found_order, ..plain(&all) }
            }
        };
        let by_customer = query.sort == HistorySort::Customer;
        Filter { indexed, checked_row_by_row, order, by_customer, local: query.local }
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
        bench: None,
        shop_key: None,
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
    pub(crate) fn scope(&self, tx: &Transaction) -> CoreResult<(String, &[Value])> {
        let plan = self.plan(tx)?;
        Ok((format!("{} WHERE ({})", self.source(plan, false), plan.condition), &plan.values))
    }

    /// The local `YYYY-MM` of the stored timestamp `column`, as SQL.
    pub(crate) fn local_month(&self, column: &str) -> String {
        self.local.month_sql(column)
    }

    /// No condition at all: every job.
    pub(crate) fn selects_everything(&self) -> bool {
        self.indexed.values.is_empty() && self.indexed.condition == "1"
    }

    /// How to find the jobs this time: a text search narrowed by other conditions to a few jobs
    /// looks in each of them; otherwise the full-text index leads.
    fn plan(&self, tx: &Transaction) -> CoreResult<&Plan> {
        let Some((narrowing, row_by_row)) = &self.checked_row_by_row else { return Ok(&self.indexed) };
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM jobs j WHERE {} LIMIT {CHECKED_ROW_BY_ROW})",
            narrowing.condition
        );
        // Counting the few stops early; conditions no index serves together give up as fast.
        let deadline = Instant::now() + COUNT_BUDGET;
        tx.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
        let narrowed = tx.query_row(&sql, params_from_iter(&narrowing.values), |r| r.get::<_, i64>(0));
        tx.progress_handler(0, None::<fn() -> bool>)?;
        match narrowed {
            Ok(narrowed) if narrowed.unsigned_abs() < CHECKED_ROW_BY_ROW => Ok(row_by_row),
            Ok(_) => Ok(&self.indexed),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Ok(&self.indexed)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Where the rows come from: the jobs `j`, found through the search index `s` for a text
    /// search, with their customers `c` when the order (or `customers`) asks for them.
    fn source(&self, plan: &Plan, customers: bool) -> String {
        // CROSS JOIN keeps the search index outside: SQLite never runs the full-text query once per job.
        let jobs = if plan.searched { "job_search s CROSS JOIN jobs j ON j.id = s.rowid" } else { "jobs j" };
        match customers || self.by_customer {
            true => format!("{jobs} JOIN customers c ON c.id = j.customer_id"),
            false => jobs.to_owned(),
        }
    }

    /// How many jobs match, counting no further than `up_to`, along the page's own order (the
    /// count reads the rows the pages read); `None` when `budget` ran out first.
    pub fn count(&self, tx: &Transaction, up_to: u64, budget: Duration) -> CoreResult<Option<u64>> {
        let plan = self.plan(tx)?;
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} ORDER BY {} LIMIT {up_to})",
            self.source(plan, false),
            plan.condition,
            plan.found_order
        );
        let deadline = Instant::now() + budget;
        tx.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
        let counted = tx.query_row(&sql, params_from_iter(&plan.values), |r| r.get::<_, i64>(0));
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
        let plan = self.plan(tx)?;
        let sql = format!("SELECT count(*) FROM {} WHERE {}", self.source(plan, false), plan.condition);
        let count: i64 = tx.query_row(&sql, params_from_iter(&plan.values), |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// The matching jobs from `offset`, at most `limit` of them, in the query's order.
    pub fn page(&self, tx: &Transaction, offset: u64, limit: u32) -> CoreResult<PageRows> {
        check_page_size(limit)?;
        let plan = self.plan(tx)?;
        // The page's jobs first, by id alone (skipping `offset` rows costs little), then their columns.
        let sql = format!(
            "SELECT {COLUMNS}, p.matched FROM (
                SELECT j.id, {} AS matched FROM {} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset}
             ) p JOIN jobs j ON j.id = p.id JOIN customers c ON c.id = j.customer_id ORDER BY {}",
            if plan.counted { "count(*) OVER ()" } else { "NULL" },
            self.source(plan, false),
            plan.condition,
            plan.found_order,
            self.order
        );
        let deadline = Instant::now() + PAGE_BUDGET;
        tx.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
        let rows: rusqlite::Result<Vec<(HistoryRow, Option<i64>)>> = tx.prepare(&sql).and_then(|mut statement| {
            statement
                .query_map(params_from_iter(&plan.values), |row| Ok((history_row(row)?, row.get("matched")?)))?
                .collect()
        });
        tx.progress_handler(0, None::<fn() -> bool>)?;
        match rows {
            Ok(rows) => {
                let matched = rows.first().and_then(|(_, matched)| *matched).map(i64::unsigned_abs);
                Ok(PageRows { rows: rows.into_iter().map(|(row, _)| row).collect(), matched })
            }
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
        let plan = self.plan(tx)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE {} ORDER BY {}",
            self.source(plan, true),
            plan.condition,
            plan.found_order
        );
        let mut statement = tx.prepare(&sql)?;
        let mut rows = statement.query(params_from_iter(&plan.values))?;
        while let Some(row) = rows.next()? {
            if !visit(history_row(row)?)? {
                break;
            }
        }
        Ok(())
    }
}

/// Teaches a connection the history's SQL functions: the text search looked for in one job, and
/// the local month of a stored time.
pub(crate) fn register_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        CONTAINS_FUNCTION,
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            // The same text for every job of a search: lower-cased once.
            let needle = context.get_or_create_aux(0, |text| -> Result<String, rusqlite::types::FromSqlError> {
                Ok(text.as_str()?.to_lowercase())
            })?;
            for index in 1..context.len() {
                if let rusqlite::types::ValueRef::Text(text) = context.get_raw(index) {
                    let text = std::str::from_utf8(text).map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
                    if holds_ignoring_case(text, &needle) {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        },
    )?;
    local_time::register(conn)
}

/// Whether `text` lower-cased holds `needle` (lower-case already). An ASCII needle is compared
/// byte by byte ignoring ASCII case, with nothing lower-cased: besides the ASCII capitals only `İ`
/// and the Kelvin sign lower-case to ASCII, and text holding either takes the long way.
fn holds_ignoring_case(text: &str, needle: &str) -> bool {
    if needle.is_ascii() && (text.is_ascii() || !text.contains(['\u{130}', '\u{212A}'])) {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        let Some((&first, rest)) = needle.split_first() else { return true };
        let last_start = text.len().saturating_sub(rest.len());
        return (0..last_start).any(|at| {
            text[at].to_ascii_lowercase() == first && text[at + 1..at + 1 + rest.len()].eq_ignore_ascii_case(rest)
        });
    }
    text.to_lowercase().contains(needle)
}

/// A page holds one row at least and [`MAX_PAGE`] at most, whichever store reads it.
pub fn check_page_size(limit: u32) -> CoreResult<()> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(CoreError::invalid(Field::Page, Problem::OutOfRange { min: 1, max: u64::from(MAX_PAGE) }));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::holds_ignoring_case;

    #[test]
    fn text_is_matched_ignoring_case_exactly_as_lower_casing_it_would() {
        let texts = [
            "Remapping FAILURE after reseat",
            "深圳智算：掉卡，dmesg 报 Xid 79",
            "José Müller, ŞİŞLİ depot",
            "fan at 3\u{212A} rpm",
            "",
            "a",
            "ab",
        ];
        let needles =
            ["remapping failure", "xid 79", "掉卡，dmesg", "i̇şli̇", "şi", "3k", "k r", "a", "ab", "abc", "", "é m"];
        for text in texts {
            for needle in needles {
                let expected = text.to_lowercase().contains(needle);
                assert_eq!(holds_ignoring_case(text, needle), expected, "{text:?} holds {needle:?}");
            }
        }
    }

    #[test]
    fn only_the_two_characters_taken_the_long_way_lower_case_to_ascii() {
        let to_ascii: Vec<char> = (0x80..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| c.to_lowercase().any(|lower| lower.is_ascii()))
            .collect();
        assert_eq!(to_ascii, ['\u{130}', '\u{212A}']);
    }
}
