//! The whole shop's history, read on the shop server: the same checked query as a bench's History
//! screen, over every bench's jobs, a page at a time and counted ahead just as far. Each row says
//! which bench holds the job.

use std::collections::BTreeMap;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Row};
use revive_core::history::export::ExportRows;
use revive_core::history::statistics::{Counts, Statistics};
use revive_core::history::{
    check_page_size, CheckedQuery, HistoryPage, HistoryRow, HistorySort, MonthsIn, Outcome, TextSearch, COUNT_AHEAD,
};
use revive_core::jobs::status::{Status, StatusFlow};
use revive_core::money::{Currency, Money};
use revive_core::shop::link::ShopKey;
use revive_core::CoreError;

use crate::error::{ShopError, ShopResult};

/// Counting also gives up after this long, saying "at least", as on a bench.
const COUNT_BUDGET_MS: u32 = 5;
/// The longest a page may take: a slower filter is refused, not waited on.
const PAGE_BUDGET_MS: u32 = 3_000;

/// How the server is asked for the jobs of a query.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// One statement: the server's planner chooses among the sorts', the trigram and the filters'
    /// indexes.
    Plain,
    /// A text search whose other conditions leave few jobs: those jobs first, on their own
    /// indexes, then the text looked for in each. Left to itself the planner sometimes walks
    /// every trigram match of a common phrase instead.
    Narrowed,
}

/// A text search narrowed by other conditions to fewer jobs than this takes [`Plan::Narrowed`].
const NARROWED: u64 = 5_000;

/// The query as SQL on the jobs `source` with numbered values.
struct Sql {
    source: String,
    conditions: Vec<String>,
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Sql {
    /// Binds `value` and says its place (`$3`).
    fn bind(&mut self, value: impl ToSql + Sync + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    /// The query over whole jobs, for what reads their records.
    fn of(query: &CheckedQuery, plan: Plan) -> Sql {
        Sql::reading(query, plan, "*")
    }

    /// The query over what the search and the order need, which the filters' indexes carry: for
    /// finding pages and counting.
    fn keys_of(query: &CheckedQuery, plan: Plan) -> Sql {
        Sql::reading(query, plan, &format!("{}, search", order_columns(query).join(", ")))
    }

    fn reading(query: &CheckedQuery, plan: Plan, columns: &str) -> Sql {
        let mut sql = Sql::filters(query);
        let text = match &query.text {
            None => return sql,
            Some(TextSearch::TicketStart(start)) => {
                // A ticket's start holds only letters, digits and `-`: nothing to escape.
                let at = sql.bind(format!("{start}%"));
                format!("ticket LIKE {at}")
            }
            Some(TextSearch::Anywhere(text)) => {
                let at = sql.bind(revive_core::text::like_pattern(text));
                // The column is kept lower-cased (protocol 7).
                format!("search LIKE lower({at})")
            }
            Some(TextSearch::CustomerPart(part)) => {
                let at = sql.bind(revive_core::text::like_pattern(part));
                format!("customer ILIKE {at}")
            }
        };
        if plan == Plan::Narrowed && !sql.conditions.is_empty() {
            // `OFFSET 0` keeps the narrowing apart: planned on its own, never merged into the search.
            sql.source = format!("(SELECT {columns} FROM shop_jobs WHERE {} OFFSET 0) shop_jobs", sql.condition());
            sql.conditions.clear();
        }
        sql.conditions.push(text);
        sql
    }

    /// Every condition but the text.
    fn filters(query: &CheckedQuery) -> Sql {
        let mut sql = Sql { source: "shop_jobs".into(), conditions: Vec::new(), values: Vec::new() };
        if let Some(from) = &query.received_from {
            let at = sql.bind(from.clone());
            sql.conditions.push(format!("created_at >= {at}"));
        }
        if let Some(before) = &query.received_before {
            let at = sql.bind(before.clone());
            sql.conditions.push(format!("created_at < {at}"));
        }
        if let Some(status) = query.status {
            let at = sql.bind(status.id().to_owned());
            sql.conditions.push(format!("status = {at}"));
        }
        if let Some(model) = &query.model {
            let at = sql.bind(model.clone());
            sql.conditions.push(format!("model_id = {at}"));
        }
        if let Some(customer) = &query.customer {
            let at = sql.bind(customer.clone());
            sql.conditions.push(format!("customer = {at}"));
        }
        if let Some(technician) = &query.technician {
            let at = sql.bind(serde_json::json!([technician]));
            sql.conditions.push(format!("technicians @> {at}"));
        }
        match &query.outcome {
            Some(Outcome::Open { ended }) => sql.conditions.push(Outcome::open_sql("status", ended)),
            Some(Outcome::Ended(status)) => {
                let at = sql.bind(status.id().to_owned());
                sql.conditions.push(format!("status = {at}"));
            }
            None => {}
        }
        if let Some(certified) = query.certificate {
            let at = sql.bind(certified);
            sql.conditions.push(format!("certified = {at}"));
        }
        sql
    }

    fn condition(&self) -> String {
        if self.conditions.is_empty() {
            "true".to_owned()
        } else {
            self.conditions.join(" AND ")
        }
    }

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|value| value.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

/// How to ask for `query`'s jobs this time: a text search whose other conditions select few jobs
/// looks in each of them (counted first, a few milliseconds at most), any other as it comes.
fn plan(tx: &mut postgres::Transaction, query: &CheckedQuery) -> ShopResult<Plan> {
    let Some(TextSearch::Anywhere(_)) = query.text else { return Ok(Plan::Plain) };
    let filters = Sql::filters(query);
    if filters.conditions.is_empty() {
        return Ok(Plan::Plain);
    }
    // In a savepoint of its own: a count given up on must not end the page's transaction.
    let mut counting = tx.transaction()?;
    counting.batch_execute(&format!("SET LOCAL statement_timeout = {COUNT_BUDGET_MS}"))?;
    let narrowed = counting.query_one(
        &format!("SELECT count(*) FROM (SELECT 1 FROM shop_jobs WHERE {} LIMIT {NARROWED}) few", filters.condition()),
        &filters.values(),
    );
    let plan = match narrowed {
        Ok(row) if row.get::<_, i64>(0).unsigned_abs() < NARROWED => Plan::Narrowed,
        Ok(_) => Plan::Plain,
        Err(error) if timed_out(&error) => Plan::Plain,
        Err(error) => return Err(error.into()),
    };
    // Rolled back: the timeout was this savepoint's alone.
    drop(counting);
    Ok(plan)
}

/// The columns of the rows' order, ties broken by bench and job so pages never overlap; the job
/// comes last and is the only number.
fn order_columns(query: &CheckedQuery) -> &'static [&'static str] {
    match query.sort {
        HistorySort::Received => &["created_at", "bench", "job_id"],
        HistorySort::Ticket => &["ticket", "bench", "job_id"],
        HistorySort::Customer => &["customer", "created_at", "bench", "job_id"],
        HistorySort::Model => &["model_id", "created_at", "bench", "job_id"],
        HistorySort::Status => &["status", "created_at", "bench", "job_id"],
        HistorySort::Updated => &["updated_at", "bench", "job_id"],
    }
}

fn order(query: &CheckedQuery) -> String {
    let direction = if query.descending { " DESC" } else { "" };
    order_columns(query).iter().map(|column| format!("{column}{direction}")).collect::<Vec<_>>().join(", ")
}

/// A row's place in the order: its text columns, then its job.
type SortKey = (Vec<String>, i64);

/// Where pages begin, learned as the pages of one query are read: the sort key of the row just
/// before each offset. A page after a known key is found through the sort's index from that key
/// (keyset paging) instead of counting past every row before it, so the 500,000th row of a
/// million comes as fast as the first. Scrolling reads each page's end; a jump far from any known
/// key first notes every [`ANCHOR_EVERY`]th key in one pass over the index.
#[derive(Default)]
pub struct PageAnchors {
    /// The query the keys belong to.
    query: String,
    keys: BTreeMap<u64, SortKey>,
}

/// A page this close past a known key is counted from it.
const NEAR: u64 = 2_000;
/// A far jump notes a key this often.
const ANCHOR_EVERY: u64 = 1_000;

impl PageAnchors {
    /// The known key nearest before `offset`, if near enough, and how far past it the page starts.
    fn before(&self, offset: u64) -> Option<(&SortKey, u64)> {
        let (at, key) = self.keys.range(1..=offset).next_back()?;
        (offset - at <= NEAR).then_some((key, offset - at))
    }
}

const COLUMNS: &str = "bench, job_id, ticket, status, created_at, updated_at, customer, model_id,
     board_serial, gpu_uuid, received_by, quote_minor, quote_currency, certificate, holder";

fn history_row(row: &Row) -> ShopResult<HistoryRow> {
    let unreadable = |what: &str| ShopError::Unreadable(format!("the {what} of a job in the shop's history"));
    let status: String = row.try_get(3)?;
    let currency: String = row.try_get(12)?;
    let currency: Currency =
        serde_json::from_value(serde_json::Value::String(currency)).map_err(|_| unreadable("currency"))?;
    Ok(HistoryRow {
        bench: Some(row.try_get(14)?),
        shop_key: Some(ShopKey { bench: row.try_get(0)?, job_id: row.try_get(1)? }),
        id: row.try_get(1)?,
        ticket: row.try_get(2)?,
        status: Status::parse(&status).map_err(|_| unreadable("status"))?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
        customer: row.try_get(6)?,
        model_id: row.try_get(7)?,
        board_serial: row.try_get(8)?,
        gpu_uuid: row.try_get(9)?,
        received_by: row.try_get(10)?,
        quote: Money { minor: row.try_get(11)?, currency },
        certificate: row.try_get(13)?,
    })
}

/// A page of the jobs `query` selects across the shop, from `offset`, with how many match: exact
/// on the last page, else counted at most [`COUNT_AHEAD`] further within a few milliseconds.
/// `anchors` keeps what this query's pages taught about where pages begin, for the next ones.
pub fn page(
    client: &mut Client,
    query: &CheckedQuery,
    offset: u64,
    limit: u32,
    anchors: &mut PageAnchors,
) -> ShopResult<HistoryPage> {
    check_page_size(limit)?;
    let identity = format!("{query:?}");
    // A new query, or the same one asked again from the top (jobs may have come since): forget.
    if anchors.query != identity || offset == 0 {
        *anchors = PageAnchors { query: identity, keys: BTreeMap::new() };
    }
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!("SET LOCAL statement_timeout = {PAGE_BUDGET_MS}"))?;
    let plan = plan(&mut tx, query)?;
    // A narrowed search holds a few thousand jobs at most: it counts them as it reads the page,
    // in the same pass, and skips to any of them at once.
    let narrowed = plan == Plan::Narrowed;
    if !narrowed && offset > NEAR && anchors.before(offset).is_none() {
        note_anchors(&mut tx, query, plan, anchors)?;
    }
    let mut sql = Sql::keys_of(query, plan);
    let columns = order_columns(query);
    let anchor = if narrowed { None } else { anchors.before(offset) };
    let skip = match anchor {
        Some(((texts, job), skip)) => {
            let mut places: Vec<String> = texts.iter().map(|text| sql.bind(text.clone())).collect();
            places.push(sql.bind(*job));
            let comparison = if query.descending { "<" } else { ">" };
            sql.conditions.push(format!("({}) {comparison} ({})", columns.join(", "), places.join(", ")));
            skip
        }
        None => offset,
    };
    // The page's jobs first, by their keys alone (the rows skipped are never read whole), then
    // their columns from their records.
    let text = format!(
        "SELECT {COLUMNS}, {}, matched FROM (
            SELECT bench, job_id, {} AS matched FROM {} WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {skip}
         ) page JOIN shop_jobs USING (bench, job_id) ORDER BY {order}",
        columns.join(", "),
        if narrowed { "count(*) OVER ()" } else { "NULL::bigint" },
        sql.source,
        sql.condition(),
        order = order(query)
    );
    let found = match tx.query(&text, &sql.values()) {
        Err(error) if timed_out(&error) => return Err(CoreError::QueryTooSlow.into()),
        other => other?,
    };
    let rows: Vec<HistoryRow> = found.iter().map(history_row).collect::<ShopResult<_>>()?;
    if let Some(last) = found.last() {
        anchors.keys.insert(offset + rows.len() as u64, sort_key(last, AFTER_COLUMNS, columns.len())?);
    }
    let seen = offset + rows.len() as u64;
    if !rows.is_empty() && rows.len() < limit as usize {
        return Ok(HistoryPage { total: seen, exact: true, offset, rows });
    }
    if let Some(all) =
        found.first().map(|row| row.try_get::<_, Option<i64>>(AFTER_COLUMNS + columns.len())).transpose()?.flatten()
    {
        return Ok(HistoryPage { total: all.unsigned_abs(), exact: true, offset, rows });
    }
    let up_to = seen + COUNT_AHEAD;
    let sql = Sql::keys_of(query, plan);
    tx.batch_execute(&format!("SET LOCAL statement_timeout = {COUNT_BUDGET_MS}"))?;
    let counted = tx.query_one(
        &format!("SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} LIMIT {up_to}) ahead", sql.source, sql.condition()),
        &sql.values(),
    );
    let (total, exact) = match counted {
        Ok(row) => {
            let total = row.get::<_, i64>(0).unsigned_abs();
            (total, total < up_to)
        }
        Err(error) if timed_out(&error) => (seen, false),
        Err(error) => return Err(error.into()),
    };
    // Only read: a count cut short leaves nothing to keep.
    drop(tx);
    Ok(HistoryPage { total, exact, offset, rows })
}

/// The first column after [`COLUMNS`]: a page's sort key, an export's record.
const AFTER_COLUMNS: usize = 15;

fn sort_key(row: &Row, from: usize, columns: usize) -> ShopResult<SortKey> {
    let texts = (from..from + columns - 1).map(|index| row.try_get::<_, String>(index)).collect::<Result<_, _>>()?;
    Ok((texts, row.try_get(from + columns - 1)?))
}

/// Notes the sort key of every [`ANCHOR_EVERY`]th row of the query, reading the sort's index once.
fn note_anchors(
    tx: &mut postgres::Transaction,
    query: &CheckedQuery,
    plan: Plan,
    anchors: &mut PageAnchors,
) -> ShopResult<()> {
    let sql = Sql::keys_of(query, plan);
    let columns = order_columns(query);
    let text = format!(
        "SELECT n, {columns} FROM (
            SELECT {columns}, row_number() OVER (ORDER BY {order}) AS n FROM {source} WHERE {condition}
         ) numbered WHERE n % {ANCHOR_EVERY} = 0",
        columns = columns.join(", "),
        order = order(query),
        source = sql.source,
        condition = sql.condition()
    );
    let found = match tx.query(&text, &sql.values()) {
        Err(error) if timed_out(&error) => return Err(CoreError::QueryTooSlow.into()),
        other => other?,
    };
    for row in &found {
        anchors.keys.insert(row.try_get::<_, i64>(0)?.unsigned_abs(), sort_key(row, 1, columns.len())?);
    }
    Ok(())
}

/// How many jobs `query` selects across the shop, every one counted.
pub fn count(client: &mut Client, query: &CheckedQuery) -> ShopResult<u64> {
    let mut tx = client.transaction()?;
    let plan = plan(&mut tx, query)?;
    let sql = Sql::keys_of(query, plan);
    let text = format!("SELECT count(*) FROM {} WHERE {}", sql.source, sql.condition());
    let row = tx.query_one(&text, &sql.values())?;
    Ok(row.get::<_, i64>(0).unsigned_abs())
}

fn timed_out(error: &postgres::Error) -> bool {
    error.code() == Some(&postgres::error::SqlState::QUERY_CANCELED)
}

/// The jobs a query selects across the shop, for an export: streamed from the server in the
/// history's order, each with its record as its bench last pushed it.
pub struct ShopRows<'a> {
    pub client: &'a mut Client,
    pub query: &'a CheckedQuery,
}

impl ExportRows for ShopRows<'_> {
    type Error = ShopError;

    fn each(
        &mut self,
        records: bool,
        visit: &mut dyn FnMut(HistoryRow, Option<String>) -> ShopResult<bool>,
    ) -> ShopResult<()> {
        let mut tx = self.client.transaction()?;
        let plan = plan(&mut tx, self.query)?;
        let sql = Sql::of(self.query, plan);
        let record = if records { "document::text" } else { "NULL::text" };
        let text = format!(
            "SELECT {COLUMNS}, {record} FROM {} WHERE {} ORDER BY {}",
            sql.source,
            sql.condition(),
            order(self.query)
        );
        let mut rows = tx.query_raw(&text, sql.values())?;
        while let Some(row) = rows.next()? {
            if !visit(history_row(&row)?, row.try_get(AFTER_COLUMNS)?)? {
                break;
            }
        }
        Ok(())
    }
}

/// The statistics of the jobs `query` selects across the shop, counted on the server from each
/// job's record, and built into the screen's figures exactly as a bench builds its own.
pub fn statistics(client: &mut Client, query: &CheckedQuery, flow: &StatusFlow) -> ShopResult<Statistics> {
    let mut tx = client.transaction()?;
    let plan = plan(&mut tx, query)?;
    let mut counts = Counts::default();
    // Each statement binds its own values: the query's, then what it adds.
    let rows = |tx: &mut postgres::Transaction, sql: Sql, select: &str| -> ShopResult<Vec<Row>> {
        let text = select.replace("{scope}", &format!("{} WHERE {}", sql.source, sql.condition()));
        Ok(tx.query(&text, &sql.values())?)
    };
    let month = |sql: &mut Sql, column: &str| match query.months_in() {
        MonthsIn::OffsetMinutes(minutes) => {
            let at = sql.bind(minutes);
            format!("to_char(({column})::timestamptz AT TIME ZONE 'UTC' + make_interval(mins => {at}), 'YYYY-MM')")
        }
        MonthsIn::Zone(zone) => {
            let at = sql.bind(zone.to_owned());
            format!("to_char(({column})::timestamptz AT TIME ZONE {at}, 'YYYY-MM')")
        }
    };
    let count = |row: &Row, index: usize| -> ShopResult<u64> { Ok(row.try_get::<_, i64>(index)?.unsigned_abs()) };

    let mut sql = Sql::of(query, plan);
    let received = month(&mut sql, "created_at");
    for row in rows(&mut tx, sql, &format!("SELECT {received}, count(*) FROM {{scope}} GROUP BY 1"))? {
        counts.received.push((row.try_get(0)?, count(&row, 1)?));
    }
    // A returned job never changes again, so its last change is when it was handed back.
    let mut sql = Sql::of(query, plan);
    let returned = month(&mut sql, "updated_at");
    let select = format!(
        "SELECT {returned}, quote_currency, count(*), sum(quote_minor)::bigint
         FROM {{scope}} AND status = 'returned' GROUP BY 1, 2"
    );
    for row in rows(&mut tx, sql, &select)? {
        let currency: String = row.try_get(1)?;
        let currency: Currency = serde_json::from_value(serde_json::Value::String(currency))
            .map_err(|_| ShopError::Unreadable("the currency of a job in the shop's history".into()))?;
        counts.returned.push((row.try_get(0)?, currency, count(&row, 2)?, row.try_get(3)?));
    }
    for row in rows(&mut tx, Sql::of(query, plan), "SELECT model_id, status, count(*) FROM {scope} GROUP BY 1, 2")? {
        let status: String = row.try_get(1)?;
        let status = Status::parse(&status).map_err(|_| ShopError::Unreadable("the status of a job".into()))?;
        counts.by_model.push((row.try_get(0)?, status, count(&row, 2)?));
    }
    let findings = "SELECT code, count(*) FROM (
            SELECT DISTINCT bench, job_id, jsonb_path_query(document, '$.diagnostics[*].findings[*].code') #>> '{}' AS code
            FROM {scope}) found GROUP BY 1";
    for row in rows(&mut tx, Sql::of(query, plan), findings)? {
        counts.findings.push((row.try_get(0)?, count(&row, 1)?));
    }
    let turnaround = "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (
            ORDER BY (extract(epoch FROM updated_at::timestamptz - created_at::timestamptz) / 3600)::float8)
         FROM {scope} AND status = 'returned'";
    if let Some(row) = rows(&mut tx, Sql::of(query, plan), turnaround)?.first() {
        (counts.returned_jobs, counts.median_hours) = (count(row, 0)?, row.try_get(1)?);
    }
    for row in rows(&mut tx, Sql::of(query, plan), "SELECT received_by, count(*) FROM {scope} GROUP BY 1")? {
        counts.received_by.push((row.try_get(0)?, count(&row, 1)?));
    }
    // Who moved the job to where it ended: an ended job moves no further.
    let mut sql = Sql::of(query, plan);
    let ended: Vec<String> =
        Status::ALL.into_iter().filter(|status| flow.is_terminal(*status)).map(|s| s.id().to_owned()).collect();
    let at = sql.bind(ended);
    let closed = format!(
        "SELECT event ->> 'actor', count(DISTINCT (bench, job_id))
         FROM (SELECT bench, job_id, document FROM {{scope}} AND status = ANY ({at})) ended,
              LATERAL jsonb_array_elements(document -> 'events') event
         WHERE event ->> 'kind' = 'status_changed' AND event #>> '{{detail,to}}' = ANY ({at})
         GROUP BY 1"
    );
    for row in rows(&mut tx, sql, &closed)? {
        counts.closed_by.push((row.try_get(0)?, count(&row, 1)?));
    }
    counts.statistics(flow, |code| {
        let found = tx.query_opt(
            "SELECT finding -> 'title' FROM shop_jobs,
                LATERAL jsonb_path_query(document, '$.diagnostics[*].findings[*] ? (@.code == $code)',
                                         jsonb_build_object('code', $1::text)) finding
             LIMIT 1",
            &[&code],
        )?;
        let Some(row) = found else { return Ok(None) };
        let title: serde_json::Value = row.try_get(0)?;
        Ok(Some(serde_json::from_value(title).map_err(|e| ShopError::Unreadable(format!("a finding's title: {e}")))?))
    })
}
