//! Repair jobs: intake, search, detail with timeline, and status moves, each one transaction
//! that also appends to the job's event log.

pub mod attachments;
pub mod audit;
pub mod costs;
pub mod customer_papers;
pub mod events;
pub mod intake;
pub mod label;
pub mod papers;
pub mod status;
pub mod terms;

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::intake::{Condition, IntakeForm, Symptoms};
use crate::jobs::status::{Status, StatusFlow};
use crate::models::ModelCatalog;
use crate::money::Money;
use crate::settings::{Settings, Technician};
use crate::store::{json_column, timestamp, Quote, Store};
use crate::text::{self, Lines};
use crate::workshop::Workshop;
use events::Event;

pub const MAX_REASON: usize = 1_000;
pub const MAX_SEARCH: usize = 200;
/// Longest list returned to the job screen; history-scale browsing has its own paged search.
pub const LIST_LIMIT: u32 = 500;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub id: i64,
    pub ticket: String,
    pub status: Status,
    /// Not yet returned, scrapped or sent for RMA: work can still be recorded on it.
    pub open: bool,
    pub customer_name: String,
    pub model_id: String,
    pub board_serial: String,
    pub bench_location: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: i64,
    pub ticket: String,
    pub status: Status,
    pub held_from: Option<Status>,
    pub customer_name: String,
    pub customer_contact: String,
    pub model_id: String,
    pub board_serial: String,
    pub gpu_uuid: Option<String>,
    pub board_part_number: Option<String>,
    pub symptoms: Symptoms,
    pub conditions: Vec<Condition>,
    pub condition_note: Option<String>,
    pub quote: Money,
    pub bench_location: Option<String>,
    pub received_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Where the job may go from here, and whether that move needs a reason; left out where it
    /// may go nowhere, and in an export (the screen's business, not the record's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "bindings", ts(as = "Option<Vec<NextStatus>>", optional))]
    pub next: Vec<NextStatus>,
    pub events: Vec<JobEvent>,
    /// Every event of the job still matches its link in the log's hash chain: nothing was edited
    /// or deleted outside Revive. Checked when one job is read, not for the rows of an export.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub history_intact: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NextStatus {
    pub status: Status,
    pub reason_required: bool,
}

/// One entry of the job's timeline: when, who, and what happened (`kind` and `detail` on the wire).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    pub at: String,
    pub actor: String,
    /// Where it was written; none for events logged before Revive recorded it.
    pub workstation: Option<events::Workstation>,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct JobQuery {
    /// Matches ticket, board serial or customer name anywhere, case-insensitively.
    pub text: String,
    /// A status id; empty means any.
    pub status: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct StatusChange {
    pub to: String,
    pub reason: String,
}

/// The shop's jobs.
pub struct Jobs<'w> {
    store: &'w Store,
    models: &'w ModelCatalog,
    flow: &'w StatusFlow,
}

impl Workshop {
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { store: self.store(), models: &self.catalogs().models, flow: &self.catalogs().flow }
    }
}

impl Jobs<'_> {
    /// Takes a GPU in: validates the form, issues the next ticket number, stores job and event.
    pub fn intake(&self, form: &IntakeForm, by: &Technician) -> CoreResult<Job> {
        let intake = form.validate(self.models)?;
        let id = self.store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let at = timestamp(now);
            let ticket = next_ticket(tx, now)?;
            let customer_id = customer_id(tx, &intake.customer_name, &intake.customer_contact, &at)?;
            let conditions = serde_json::to_string(&intake.conditions)?;
            tx.execute(
                "INSERT INTO jobs (ticket, customer_id, status, model_id, board_serial, gpu_uuid, board_part_number,
                    symptom_observed, symptom_when, symptom_how, symptom_frequency, symptom_changes,
                    condition_flags, condition_note, quote_minor, quote_currency, bench_location,
                    received_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)",
                params![
                    ticket,
                    customer_id,
                    self.flow.initial().id(),
                    intake.model_id,
                    intake.board_serial,
                    intake.gpu_uuid,
                    intake.board_part_number,
                    intake.symptoms.observed,
                    intake.symptoms.when,
                    intake.symptoms.how,
                    intake.symptoms.frequency,
                    intake.symptoms.changes,
                    conditions,
                    intake.condition_note,
                    intake.quote.minor,
                    intake.quote.currency.code(),
                    intake.bench_location,
                    actor,
                    at,
                ],
            )?;
            let id = tx.last_insert_rowid();
            events::append(tx, id, &at, &actor, &Event::Created { ticket, status: self.flow.initial() })?;
            Ok(id)
        })?;
        self.get(id)
    }

    pub fn list(&self, query: &JobQuery) -> CoreResult<Vec<JobSummary>> {
        let needle = text::optional(&query.text, Field::SearchText, MAX_SEARCH, Lines::Single)?;
        let status = match query.status.trim() {
            "" => None,
            id => Some(Status::parse(id)?),
        };
        self.store.read(|tx| {
            let mut statement = tx.prepare(
                "SELECT j.id, j.ticket, j.status, c.name, j.model_id, j.board_serial, j.bench_location, j.updated_at
                 FROM jobs j JOIN customers c ON c.id = j.customer_id
                 WHERE (?1 IS NULL OR j.ticket LIKE ?1 ESCAPE '\\' OR j.board_serial LIKE ?1 ESCAPE '\\'
                        OR c.name LIKE ?1 ESCAPE '\\')
                   AND (?2 IS NULL OR j.status = ?2)
                 ORDER BY j.id DESC LIMIT ?3",
            )?;
            let pattern = needle.as_deref().map(text::like_pattern);
            let rows =
                statement.query_map(params![pattern, status.map(Status::id), LIST_LIMIT], |row| self.summary(row))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The jobs still open for this board serial, newest first. A card that comes back while a job
    /// for it is open is usually the same repair: intake shows them before a second job is made.
    /// A serial that is not one yet (half typed, bad characters) has none.
    pub fn open_for_serial(&self, serial: &str) -> CoreResult<Vec<JobSummary>> {
        let Ok(Some(serial)) = text::label_code(serial, Field::BoardSerial, crate::jobs::intake::MAX_CODE) else {
            return Ok(Vec::new());
        };
        self.store.read(|tx| {
            let mut statement = tx.prepare(
                "SELECT j.id, j.ticket, j.status, c.name, j.model_id, j.board_serial, j.bench_location, j.updated_at
                 FROM jobs j JOIN customers c ON c.id = j.customer_id
                 WHERE j.board_serial = ?1 ORDER BY j.id DESC",
            )?;
            let rows = statement.query_map([serial], |row| self.summary(row))?;
            let jobs = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(jobs.into_iter().filter(|job| job.open).collect())
        })
    }

    fn summary(&self, row: &Row) -> rusqlite::Result<JobSummary> {
        let status = stored_status(row, 2)?;
        Ok(JobSummary {
            id: row.get(0)?,
            ticket: row.get(1)?,
            status,
            open: !self.flow.is_terminal(status),
            customer_name: row.get(3)?,
            model_id: row.get(4)?,
            board_serial: row.get(5)?,
            bench_location: row.get(6)?,
            updated_at: row.get(7)?,
        })
    }

    pub fn get(&self, id: i64) -> CoreResult<Job> {
        self.store.read(|tx| Ok(Job { history_intact: Some(audit::job_intact(tx, id)?), ..self.load(tx, id)? }))
    }

    /// Moves a job to another status if the flow allows it, logging who and why.
    pub fn change_status(&self, id: i64, change: &StatusChange, by: &Technician) -> CoreResult<Job> {
        let to = Status::parse(change.to.trim())?;
        let reason = text::optional(&change.reason, Field::Reason, MAX_REASON, Lines::Multi)?;
        if self.flow.needs_reason(to) && reason.is_none() {
            return Err(CoreError::invalid(Field::Reason, Problem::Empty));
        }
        self.store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            move_status(tx, self.flow, id, to, MoveCause::Person { reason: reason.as_deref() }, &actor, &timestamp(now))
        })?;
        self.get(id)
    }

    pub(crate) fn load(&self, tx: &Transaction, id: i64) -> CoreResult<Job> {
        let job = tx
            .query_row(
                "SELECT j.id, j.ticket, j.status, j.held_from, c.name, c.contact, j.model_id, j.board_serial,
                        j.gpu_uuid, j.board_part_number, j.symptom_observed, j.symptom_when, j.symptom_how,
                        j.symptom_frequency, j.symptom_changes, j.condition_flags, j.condition_note,
                        j.quote_minor, j.quote_currency, j.bench_location, j.received_by, j.created_at, j.updated_at
                 FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ?1",
                [id],
                |row| {
                    Ok(Job {
                        id: row.get(0)?,
                        ticket: row.get(1)?,
                        status: stored_status(row, 2)?,
                        held_from: json_column::<Option<Status>>(row, 3, Quote::Text)?,
                        customer_name: row.get(4)?,
                        customer_contact: row.get(5)?,
                        model_id: row.get(6)?,
                        board_serial: row.get(7)?,
                        gpu_uuid: row.get(8)?,
                        board_part_number: row.get(9)?,
                        symptoms: Symptoms {
                            observed: row.get(10)?,
                            when: row.get(11)?,
                            how: row.get(12)?,
                            frequency: row.get(13)?,
                            changes: row.get(14)?,
                        },
                        conditions: json_column(row, 15, Quote::None)?,
                        condition_note: row.get(16)?,
                        quote: Money { minor: row.get(17)?, currency: json_column(row, 18, Quote::Text)? },
                        bench_location: row.get(19)?,
                        received_by: row.get(20)?,
                        created_at: row.get(21)?,
                        updated_at: row.get(22)?,
                        next: Vec::new(),
                        history_intact: None,
                        events: Vec::new(),
                    })
                },
            )
            .optional()?
            .ok_or(CoreError::JobNotFound(id))?;
        let next = self
            .flow
            .allowed(job.status, job.held_from)
            .into_iter()
            .map(|status| NextStatus { status, reason_required: self.flow.needs_reason(status) })
            .collect();
        Ok(Job { next, events: events(tx, id)?, ..job })
    }
}

/// Why a job moves: a person pressed a status button, or a finished procedure run implied it.
pub(crate) enum MoveCause<'a> {
    Person { reason: Option<&'a str> },
    Procedure { run: i64, reason: &'a str },
}

/// Moves a job inside the caller's transaction if the flow allows it, logging who and why.
pub(crate) fn move_status(
    tx: &Transaction,
    flow: &StatusFlow,
    id: i64,
    to: Status,
    cause: MoveCause,
    actor: &str,
    at: &str,
) -> CoreResult<()> {
    let (from, held_from) = current_status(tx, id)?;
    flow.check(from, to, held_from)?;
    let held_from = if to == Status::OnHold { Some(from) } else { None };
    tx.execute(
        "UPDATE jobs SET status = ?1, held_from = ?2, updated_at = ?3 WHERE id = ?4",
        params![to.id(), held_from.map(Status::id), at, id],
    )?;
    let (reason, run) = match cause {
        MoveCause::Person { reason } => (reason, None),
        MoveCause::Procedure { run, reason } => (Some(reason), Some(run)),
    };
    events::append(tx, id, at, actor, &Event::StatusChanged { from, to, reason: reason.map(str::to_owned), run })
}

/// `RV-<year>[-<bench code>]-<6 digits>`, counting from 1 each year.
fn next_ticket(tx: &Transaction, now: OffsetDateTime) -> CoreResult<String> {
    crate::shop::link::next_number(tx, "ticket_counters", "RV", now.year())
}

fn customer_id(tx: &Transaction, name: &str, contact: &str, at: &str) -> CoreResult<i64> {
    tx.execute("INSERT OR IGNORE INTO customers (name, contact, created_at) VALUES (?1, ?2, ?3)", (name, contact, at))?;
    Ok(tx.query_row("SELECT id FROM customers WHERE name = ?1 AND contact = ?2", (name, contact), |row| row.get(0))?)
}

pub(crate) fn current_status(tx: &Transaction, id: i64) -> CoreResult<(Status, Option<Status>)> {
    let (status, held_from): (String, Option<String>) = tx
        .query_row("SELECT status, held_from FROM jobs WHERE id = ?1", [id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(CoreError::JobNotFound(id))?;
    Ok((Status::parse(&status)?, held_from.map(|s| Status::parse(&s)).transpose()?))
}

/// The job's event log, oldest first.
fn events(tx: &Transaction, job_id: i64) -> CoreResult<Vec<JobEvent>> {
    let mut statement =
        tx.prepare("SELECT at, actor, kind, detail, os_user, host FROM job_events WHERE job_id = ?1 ORDER BY id")?;
    let rows = statement.query_map([job_id], |row| {
        let workstation = match (row.get::<_, Option<String>>(4)?, row.get::<_, Option<String>>(5)?) {
            (Some(os_user), Some(host)) => Some(events::Workstation { os_user, host }),
            _ => None,
        };
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            workstation,
        ))
    })?;
    let mut log = Vec::new();
    for row in rows {
        let (at, actor, kind, detail, workstation) = row?;
        log.push(JobEvent { at, actor, workstation, event: Event::from_columns(&kind, &detail)? });
    }
    Ok(log)
}

fn stored_status(row: &Row, index: usize) -> rusqlite::Result<Status> {
    json_column(row, index, Quote::Text)
}
