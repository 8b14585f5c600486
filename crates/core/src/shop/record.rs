//! A job's whole record as the rows of its tables, so it can move between benches: read on the
//! bench that holds it, kept on the shop server beside the document the history reads, and written
//! into another bench's store on a hand-over. Writing also brings up to date a copy a bench kept
//! when the job left it: nearly all of a job's record is append-only (its log, readings, stress
//! runs, step results, labour corrections, certificates), so a copy kept here must be where the
//! newer record began; anything else went apart, and is refused rather than overwritten.
//!
//! Row numbers are each store's own: a run's number in an event's detail is mapped to the number
//! the run has here, and every event written is linked into this store's hash chain.

use std::collections::HashMap;

use base64::Engine;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};

pub type Row = Map<String, Value>;

/// A job's rows, table by table, each table's in the order they were written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobRows {
    pub customer: Row,
    pub job: Row,
    pub events: Vec<Row>,
    /// The link of the job's last event in the chain of the bench that wrote this record.
    pub chain_head: Option<String>,
    pub diagnostic_runs: Vec<Row>,
    pub run_telemetry: Vec<Row>,
    pub stress_runs: Vec<Row>,
    pub stress_telemetry: Vec<Row>,
    pub procedure_runs: Vec<Row>,
    pub step_results: Vec<Row>,
    pub attachments: Vec<Row>,
    pub parts: Vec<Row>,
    pub labor_adjustments: Vec<Row>,
    pub certificates: Vec<Row>,
    pub revocations: Vec<Row>,
}

impl JobRows {
    /// The record as any bench holding it would have it: each store's own row numbers (also the
    /// run an event names), the link of its last event and when that store first met the customer
    /// left out. Two benches' copies of one job are the same job exactly when these are equal.
    pub fn comparable(&self) -> Value {
        fn strip(value: &mut Value) {
            match value {
                Value::Object(row) => {
                    row.remove("id");
                    row.remove("run_id");
                    if let Some(detail) = row.get("detail").and_then(Value::as_str) {
                        let mut detail: Value = serde_json::from_str(detail).unwrap_or(Value::Null);
                        detail.as_object_mut().map(|detail| detail.remove("run"));
                        row.insert("detail".into(), detail);
                    }
                    row.values_mut().for_each(strip);
                }
                Value::Array(rows) => rows.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        strip(&mut value);
        if let Some(record) = value.as_object_mut() {
            record.remove("chain_head");
            record.get_mut("customer").and_then(Value::as_object_mut).map(|customer| customer.remove("created_at"));
        }
        value
    }
}

/// Reads job `job_id`'s rows.
pub(crate) fn read(tx: &Transaction, job_id: i64) -> CoreResult<JobRows> {
    let job = rows(tx, "SELECT * FROM jobs WHERE id = ?1", job_id)?.pop().ok_or(CoreError::JobNotFound(job_id))?;
    let customer = rows(
        tx,
        "SELECT name, contact, created_at FROM customers WHERE id = (SELECT customer_id FROM jobs WHERE id = ?1)",
        job_id,
    )?
    .pop()
    .unwrap_or_default();
    let chain_head = tx
        .query_row(
            "SELECT c.hash FROM job_events e JOIN event_chain c ON c.event_id = e.id
             WHERE e.job_id = ?1 ORDER BY e.id DESC LIMIT 1",
            [job_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(JobRows {
        customer,
        job,
        events: rows(tx, "SELECT * FROM job_events WHERE job_id = ?1 ORDER BY id", job_id)?,
        chain_head,
        diagnostic_runs: rows(tx, "SELECT * FROM diagnostic_runs WHERE job_id = ?1 ORDER BY id", job_id)?,
        run_telemetry: rows(
            tx,
            "SELECT t.* FROM run_telemetry t JOIN diagnostic_runs r ON r.id = t.run_id WHERE r.job_id = ?1 ORDER BY t.run_id",
            job_id,
        )?,
        stress_runs: rows(tx, "SELECT * FROM stress_runs WHERE job_id = ?1 ORDER BY id", job_id)?,
        stress_telemetry: rows(
            tx,
            "SELECT t.* FROM stress_telemetry t JOIN stress_runs r ON r.id = t.run_id WHERE r.job_id = ?1 ORDER BY t.run_id",
            job_id,
        )?,
        procedure_runs: rows(tx, "SELECT * FROM procedure_runs WHERE job_id = ?1 ORDER BY id", job_id)?,
        step_results: rows(
            tx,
            "SELECT s.* FROM step_results s JOIN procedure_runs r ON r.id = s.run_id WHERE r.job_id = ?1 ORDER BY s.id",
            job_id,
        )?,
        attachments: rows(tx, "SELECT * FROM job_attachments WHERE job_id = ?1 ORDER BY sha256", job_id)?,
        parts: rows(tx, "SELECT * FROM job_parts WHERE job_id = ?1 ORDER BY id", job_id)?,
        labor_adjustments: rows(tx, "SELECT * FROM labor_adjustments WHERE job_id = ?1 ORDER BY id", job_id)?,
        certificates: rows(tx, "SELECT * FROM certificates WHERE job_id = ?1 ORDER BY issued_at, number", job_id)?,
        revocations: rows(
            tx,
            "SELECT v.* FROM certificate_revocations v JOIN certificates c ON c.number = v.number
             WHERE c.job_id = ?1 ORDER BY v.number",
            job_id,
        )?,
    })
}

/// Writes `record` as job `into` (a copy kept here) or as a new job; answers the job's number
/// here and how many events it wrote. Nothing is written when the copy went apart from the record.
pub(crate) fn write(tx: &Transaction, into: Option<i64>, record: &JobRows) -> CoreResult<(i64, u64)> {
    let customer_id = customer(tx, &record.customer)?;
    let ticket = text(&record.job, "ticket")?;
    let job_id = match into {
        Some(job_id) => {
            let mut job = record.job.clone();
            job.insert("customer_id".into(), customer_id.into());
            update(tx, "jobs", &job, "id", job_id)?;
            job_id
        }
        None => {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM jobs WHERE ticket = ?1)", [&ticket], |r| r.get(0))?;
            if taken {
                return Err(CoreError::TicketTaken(ticket));
            }
            let mut job = record.job.clone();
            job.insert("customer_id".into(), customer_id.into());
            insert(tx, "jobs", &job)?
        }
    };
    let here = read(tx, job_id)?;
    let diagnostic = append(tx, "diagnostic_runs", job_id, &here.diagnostic_runs, &record.diagnostic_runs)?;
    children(tx, "run_telemetry", &diagnostic, &record.run_telemetry)?;
    let stress = append(tx, "stress_runs", job_id, &here.stress_runs, &record.stress_runs)?;
    children(tx, "stress_telemetry", &stress, &record.stress_telemetry)?;
    let procedures = procedure_runs(tx, job_id, &here.procedure_runs, &record.procedure_runs)?;
    step_results(tx, &procedures, &here.step_results, &record.step_results)?;
    append(tx, "labor_adjustments", job_id, &here.labor_adjustments, &record.labor_adjustments)?;
    // Parts and photos are a list the technician edits: the record's list is the list.
    tx.execute("DELETE FROM job_parts WHERE job_id = ?1", [job_id])?;
    for part in &record.parts {
        insert(tx, "job_parts", &with(part, "job_id", job_id))?;
    }
    tx.execute("DELETE FROM job_attachments WHERE job_id = ?1", [job_id])?;
    for photo in &record.attachments {
        insert(tx, "job_attachments", &with(photo, "job_id", job_id))?;
    }
    certificates(tx, job_id, &here.certificates, &record.certificates)?;
    for revocation in &record.revocations {
        let number = text(revocation, "number")?;
        let known: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM certificate_revocations WHERE number = ?1)", [&number], |r| {
                r.get(0)
            })?;
        if !known {
            insert(tx, "certificate_revocations", revocation)?;
        }
    }
    let runs = RunNumbers { diagnostic, stress, procedures };
    let written = events(tx, job_id, &here.events, &record.events, &runs)?;
    Ok((job_id, written))
}

/// The rows a query gives, each as column → value; the `job_id` column is left out, since it is
/// only this store's number for the job.
fn rows(tx: &Transaction, sql: &str, job_id: i64) -> CoreResult<Vec<Row>> {
    let mut statement = tx.prepare(sql)?;
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = statement.query([job_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Row::new();
        for (index, name) in names.iter().enumerate() {
            if name != "job_id" {
                row.insert(name.clone(), to_json(r.get::<_, SqlValue>(index)?));
            }
        }
        out.push(row);
    }
    Ok(out)
}

fn to_json(value: SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(number) => number.into(),
        SqlValue::Real(number) => number.into(),
        SqlValue::Text(text) => text.into(),
        SqlValue::Blob(bytes) => {
            serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
    }
}

fn to_sql(value: &Value) -> CoreResult<SqlValue> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(flag) => SqlValue::Integer(i64::from(*flag)),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => SqlValue::Integer(integer),
            None => SqlValue::Real(number.as_f64().unwrap_or_default()),
        },
        Value::String(text) => SqlValue::Text(text.clone()),
        Value::Object(object) => {
            let encoded = object.get("base64").and_then(Value::as_str).ok_or_else(|| unreadable("a value"))?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| unreadable("a value"))?;
            SqlValue::Blob(bytes)
        }
        Value::Array(_) => return Err(unreadable("a value")),
    })
}

fn unreadable(what: &str) -> CoreError {
    CoreError::RecordDiverged(format!("the record holds {what} this bench cannot read"))
}

/// A table's and column's name as the record gives it, checked to be a plain identifier, since it
/// goes into the SQL text.
fn identifier(name: &str) -> CoreResult<&str> {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        Ok(name)
    } else {
        Err(unreadable("a column name"))
    }
}

/// Inserts `row` (its `id` left to the store) and answers the new row's number.
fn insert(tx: &Transaction, table: &str, row: &Row) -> CoreResult<i64> {
    let columns: Vec<&str> =
        row.keys().filter(|name| *name != "id").map(|name| identifier(name)).collect::<CoreResult<_>>()?;
    let values: Vec<SqlValue> = columns.iter().map(|name| to_sql(&row[*name])).collect::<CoreResult<_>>()?;
    let marks = (1..=columns.len()).map(|n| format!("?{n}")).collect::<Vec<_>>().join(", ");
    tx.execute(
        &format!("INSERT INTO {table} ({}) VALUES ({marks})", columns.join(", ")),
        rusqlite::params_from_iter(values),
    )?;
    Ok(tx.last_insert_rowid())
}

/// Sets every column of `row` but its key on the row whose `key` is `id`.
fn update(tx: &Transaction, table: &str, row: &Row, key: &str, id: i64) -> CoreResult<()> {
    let columns: Vec<&str> =
        row.keys().filter(|name| *name != key).map(|name| identifier(name)).collect::<CoreResult<_>>()?;
    let mut values: Vec<SqlValue> = columns.iter().map(|name| to_sql(&row[*name])).collect::<CoreResult<_>>()?;
    values.push(SqlValue::Integer(id));
    let sets = columns.iter().enumerate().map(|(n, name)| format!("{name} = ?{}", n + 1)).collect::<Vec<_>>();
    tx.execute(
        &format!("UPDATE {table} SET {} WHERE {key} = ?{}", sets.join(", "), columns.len() + 1),
        rusqlite::params_from_iter(values),
    )?;
    Ok(())
}

fn with(row: &Row, column: &str, value: i64) -> Row {
    let mut row = row.clone();
    row.insert(column.into(), value.into());
    row
}

fn text(row: &Row, column: &str) -> CoreResult<String> {
    row.get(column).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| unreadable(column))
}

fn number(row: &Row, column: &str) -> CoreResult<i64> {
    row.get(column).and_then(Value::as_i64).ok_or_else(|| unreadable(column))
}

/// Whether two rows say the same, their own numbers and their parents' left aside.
fn same(here: &Row, there: &Row, aside: &[&str]) -> bool {
    let kept = |row: &Row| -> Row {
        row.iter().filter(|(name, _)| !aside.contains(&name.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    kept(here) == kept(there)
}

fn customer(tx: &Transaction, customer: &Row) -> CoreResult<i64> {
    let (name, contact) = (text(customer, "name")?, text(customer, "contact")?);
    let known: Option<i64> = tx
        .query_row("SELECT id FROM customers WHERE name = ?1 AND contact = ?2", [&name, &contact], |r| r.get(0))
        .optional()?;
    match known {
        Some(id) => Ok(id),
        None => insert(tx, "customers", customer),
    }
}

/// Another bench's row numbers → this store's, for one table.
type Numbers = HashMap<i64, i64>;

/// Appends the record's rows of an append-only table after those already here, which must be
/// where the record's began; answers the record's row numbers → this store's.
fn append(tx: &Transaction, table: &str, job_id: i64, here: &[Row], there: &[Row]) -> CoreResult<Numbers> {
    if here.len() > there.len() || here.iter().zip(there).any(|(h, t)| !same(h, t, &["id"])) {
        return Err(CoreError::RecordDiverged(table.replace('_', " ")));
    }
    let mut numbers = Numbers::new();
    for (index, row) in there.iter().enumerate() {
        let local = match here.get(index) {
            Some(kept) => number(kept, "id")?,
            None => insert(tx, table, &with(row, "job_id", job_id))?,
        };
        numbers.insert(number(row, "id")?, local);
    }
    Ok(numbers)
}

/// Telemetry of the runs just appended (a run kept here has its telemetry already).
fn children(tx: &Transaction, table: &str, runs: &Numbers, rows: &[Row]) -> CoreResult<()> {
    for row in rows {
        let run = runs.get(&number(row, "run_id")?).copied().ok_or_else(|| unreadable("telemetry of no run"))?;
        let known: bool =
            tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE run_id = ?1)"), [run], |r| r.get(0))?;
        if !known {
            insert(tx, table, &with(row, "run_id", run))?;
        }
    }
    Ok(())
}

/// What a procedure run keeps from its start; the rest moves as the steps are answered.
const PROCEDURE_START: [&str; 5] = ["procedure_id", "procedure_version", "definition", "started_at", "started_by"];

fn procedure_runs(tx: &Transaction, job_id: i64, here: &[Row], there: &[Row]) -> CoreResult<Numbers> {
    let started = |row: &Row| PROCEDURE_START.iter().map(|c| row.get(*c).cloned()).collect::<Vec<_>>();
    if here.len() > there.len() || here.iter().zip(there).any(|(h, t)| started(h) != started(t)) {
        return Err(CoreError::RecordDiverged("procedure runs".into()));
    }
    let mut numbers = Numbers::new();
    for (index, row) in there.iter().enumerate() {
        let local = match here.get(index) {
            Some(kept) => {
                let local = number(kept, "id")?;
                update(tx, "procedure_runs", &with(row, "job_id", job_id), "id", local)?;
                local
            }
            None => insert(tx, "procedure_runs", &with(row, "job_id", job_id))?,
        };
        numbers.insert(number(row, "id")?, local);
    }
    Ok(numbers)
}

fn step_results(tx: &Transaction, runs: &Numbers, here: &[Row], there: &[Row]) -> CoreResult<()> {
    // Here, each result names this store's run; the record's name its own.
    let key = |row: &Row, map: bool| -> CoreResult<(i64, i64)> {
        let run = number(row, "run_id")?;
        let run = if map { runs.get(&run).copied().ok_or_else(|| unreadable("a step of no run"))? } else { run };
        Ok((run, number(row, "visit")?))
    };
    let kept: HashMap<(i64, i64), &Row> =
        here.iter().map(|row| Ok((key(row, false)?, row))).collect::<CoreResult<_>>()?;
    let mut matched = 0;
    for row in there {
        let (run, visit) = key(row, true)?;
        match kept.get(&(run, visit)) {
            Some(kept) if same(kept, row, &["id", "run_id"]) => matched += 1,
            Some(_) => return Err(CoreError::RecordDiverged("step results".into())),
            None => {
                insert(tx, "step_results", &with(row, "run_id", run))?;
            }
        }
    }
    if matched != here.len() {
        return Err(CoreError::RecordDiverged("step results".into()));
    }
    Ok(())
}

fn certificates(tx: &Transaction, job_id: i64, here: &[Row], there: &[Row]) -> CoreResult<()> {
    let kept: HashMap<String, &Row> =
        here.iter().map(|row| Ok((text(row, "number")?, row))).collect::<CoreResult<_>>()?;
    let apart = || CoreError::RecordDiverged("certificates".into());
    if here.iter().any(|row| !there.iter().any(|t| t.get("number") == row.get("number"))) {
        return Err(apart());
    }
    // Every certificate first, then what superseded what, which names certificates of this job.
    for row in there {
        let number = text(row, "number")?;
        match kept.get(&number) {
            Some(kept) if same(kept, row, &["superseded_by"]) => {}
            Some(_) => return Err(apart()),
            None => {
                let elsewhere: bool =
                    tx.query_row("SELECT EXISTS (SELECT 1 FROM certificates WHERE number = ?1)", [&number], |r| {
                        r.get(0)
                    })?;
                if elsewhere {
                    return Err(CoreError::TicketTaken(number));
                }
                let mut fresh = with(row, "job_id", job_id);
                fresh.insert("superseded_by".into(), Value::Null);
                insert(tx, "certificates", &fresh)?;
            }
        }
    }
    for row in there {
        let (number, by) = (text(row, "number")?, row.get("superseded_by").and_then(Value::as_str));
        let kept_by = kept.get(&number).and_then(|kept| kept.get("superseded_by")).and_then(Value::as_str);
        match (kept_by, by) {
            (Some(old), Some(new)) if old != new => return Err(apart()),
            (Some(_), None) => return Err(apart()),
            (None, Some(by)) => {
                tx.execute("UPDATE certificates SET superseded_by = ?2 WHERE number = ?1", params![number, by])?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// This store's numbers for the record's runs, which events name in their detail.
struct RunNumbers {
    diagnostic: Numbers,
    stress: Numbers,
    procedures: Numbers,
}

impl RunNumbers {
    /// The event's detail with its run named by this store's number.
    fn detail_here(&self, kind: &str, detail: &str) -> CoreResult<Value> {
        let mut detail: Value = serde_json::from_str(detail)?;
        let runs = match kind {
            "diagnostic_recorded" | "identity_approved" => &self.diagnostic,
            "stress_recorded" => &self.stress,
            "status_changed" | "procedure_started" | "procedure_finished" | "procedure_status_not_moved" => {
                &self.procedures
            }
            _ => return Ok(detail),
        };
        if let Some(run) = detail.get("run").and_then(Value::as_i64) {
            let here = runs.get(&run).copied().ok_or_else(|| unreadable("an event about no run"))?;
            detail["run"] = here.into();
        }
        Ok(detail)
    }
}

/// Appends the record's events after those kept here, each linked into this store's chain.
fn events(tx: &Transaction, job_id: i64, here: &[Row], there: &[Row], runs: &RunNumbers) -> CoreResult<u64> {
    let apart = || CoreError::RecordDiverged("the job's log".into());
    if here.len() > there.len() {
        return Err(apart());
    }
    let mut written = 0;
    for (index, row) in there.iter().enumerate() {
        let detail = runs.detail_here(&text(row, "kind")?, &text(row, "detail")?)?;
        match here.get(index) {
            Some(kept) => {
                let kept_detail: Value = serde_json::from_str(&text(kept, "detail")?)?;
                if kept_detail != detail || !same(kept, row, &["id", "detail"]) {
                    return Err(apart());
                }
            }
            None => {
                let mut row = with(row, "job_id", job_id);
                row.insert("detail".into(), detail.to_string().into());
                let event = insert(tx, "job_events", &row)?;
                crate::jobs::audit::link(tx, event)?;
                written += 1;
            }
        }
    }
    Ok(written)
}
