//! The job log's hash chain: every event is linked to the job's previous event and to the shop's
//! previous event, so an edit or a deletion made outside Revive (a SQLite tool, a restored file
//! tampered with) breaks a link. `revive audit` checks the whole store and names the first broken
//! link; a job's page warns when its own history no longer holds.
//!
//! What it cannot see: events cut off the very end of the log, with their links, leave nothing
//! after them to disagree; and whoever rewrites the log and computes every link again with this
//! formula. It catches what a SQLite tool does to the file, not a determined forger.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::CoreResult;

/// The whole store's log, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub events: u64,
    /// The first link that does not hold, in the order events were logged; none when intact.
    pub broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    pub event_id: i64,
    /// The job's ticket, when the job is still there.
    pub ticket: Option<String>,
    pub problem: LinkProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkProblem {
    /// The event, or one logged before it, was changed or removed.
    Changed,
    /// An event without a link: written into the store outside Revive.
    Unlinked,
    /// A link whose event is gone: the event was deleted.
    EventDeleted,
}

/// Links the event just appended (in the same transaction).
pub(crate) fn link(tx: &Transaction, event_id: i64) -> CoreResult<()> {
    let row = tx.query_row(
        "SELECT id, job_id, at, actor, kind, detail, os_user, host FROM job_events WHERE id = ?1",
        [event_id],
        EventRow::read,
    )?;
    let hash = row.hash(event_id, &job_previous(tx, row.job_id, event_id)?, &shop_previous(tx, event_id)?);
    tx.execute("INSERT INTO event_chain (event_id, hash) VALUES (?1, ?2)", params![event_id, hash])?;
    Ok(())
}

/// Links the events logged before the chain existed, oldest first, once: the first time a store
/// with events opens with an empty chain. Afterwards an unlinked event was written outside Revive,
/// and linking it would launder it. Returns how many were linked.
pub(crate) fn link_unlinked(tx: &Transaction) -> CoreResult<usize> {
    let chained: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM event_chain)", [], |r| r.get(0))?;
    if chained {
        return Ok(0);
    }
    // The chain is empty: every link follows from the events alone, in one pass.
    let mut statement =
        tx.prepare("SELECT id, job_id, at, actor, kind, detail, os_user, host FROM job_events ORDER BY id")?;
    let mut rows = statement.query([])?;
    let mut insert = tx.prepare("INSERT INTO event_chain (event_id, hash) VALUES (?1, ?2)")?;
    let (mut linked, mut links) = (0, Links::default());
    while let Some(r) = rows.next()? {
        let (id, row) = (r.get(0)?, EventRow::read(r)?);
        let link = links.next(id, &row);
        insert.execute(params![id, link])?;
        links.follow(row.job_id, link);
        linked += 1;
    }
    Ok(linked)
}

/// Whether every link of the job's own events holds.
pub(crate) fn job_intact(tx: &Transaction, job_id: i64) -> CoreResult<bool> {
    let mut statement = tx.prepare(
        "SELECT e.id, e.job_id, e.at, e.actor, e.kind, e.detail, e.os_user, e.host, c.hash FROM job_events e
         LEFT JOIN event_chain c ON c.event_id = e.id WHERE e.job_id = ?1 ORDER BY e.id",
    )?;
    let rows: Vec<(i64, EventRow, Option<String>)> =
        statement.query_map([job_id], |r| Ok((r.get(0)?, EventRow::read(r)?, r.get(8)?)))?.collect::<Result<_, _>>()?;
    let mut previous = String::new();
    for (id, row, stored) in rows {
        let Some(stored) = stored else { return Ok(false) };
        if row.hash(id, &previous, &shop_previous(tx, id)?) != stored {
            return Ok(false);
        }
        previous = stored;
    }
    Ok(true)
}

/// Checks every link of the store's log.
pub(crate) fn audit_in(tx: &Transaction) -> CoreResult<AuditReport> {
    let ticket = |job_id: i64| -> CoreResult<Option<String>> {
        Ok(tx.query_row("SELECT ticket FROM jobs WHERE id = ?1", [job_id], |r| r.get(0)).optional()?)
    };
    let deleted: Option<i64> = tx
        .query_row(
            "SELECT c.event_id FROM event_chain c LEFT JOIN job_events e ON e.id = c.event_id
             WHERE e.id IS NULL ORDER BY c.event_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let events: i64 = tx.query_row("SELECT count(*) FROM job_events", [], |r| r.get(0))?;
    let events = events.unsigned_abs();
    let mut statement = tx.prepare(
        "SELECT e.id, e.job_id, e.at, e.actor, e.kind, e.detail, e.os_user, e.host, c.hash FROM job_events e
         LEFT JOIN event_chain c ON c.event_id = e.id ORDER BY e.id",
    )?;
    let mut rows = statement.query([])?;
    let mut links = Links::default();
    while let Some(r) = rows.next()? {
        let (id, row, stored): (i64, EventRow, Option<String>) = (r.get(0)?, EventRow::read(r)?, r.get(8)?);
        // A deleted event's link comes before this event: that is the first break.
        if deleted.is_some_and(|gone| gone < id) {
            break;
        }
        let problem = match &stored {
            None => Some(LinkProblem::Unlinked),
            Some(stored) => (links.next(id, &row) != *stored).then_some(LinkProblem::Changed),
        };
        if let Some(problem) = problem {
            let broken = BrokenLink { event_id: id, ticket: ticket(row.job_id)?, problem };
            return Ok(AuditReport { events, broken: Some(broken) });
        }
        links.follow(row.job_id, stored.unwrap_or_default());
    }
    let broken = deleted.map(|event_id| BrokenLink { event_id, ticket: None, problem: LinkProblem::EventDeleted });
    Ok(AuditReport { events, broken })
}

/// The last link of each job and of the whole shop, while walking the log in order.
#[derive(Default)]
struct Links {
    shop: String,
    jobs: std::collections::HashMap<i64, String>,
}

impl Links {
    /// The link event `id` has after the events walked so far.
    fn next(&self, id: i64, row: &EventRow) -> String {
        row.hash(id, self.jobs.get(&row.job_id).map_or("", String::as_str), &self.shop)
    }

    fn follow(&mut self, job_id: i64, link: String) {
        self.jobs.insert(job_id, link.clone());
        self.shop = link;
    }
}

struct EventRow {
    job_id: i64,
    at: String,
    actor: String,
    kind: String,
    detail: String,
    os_user: Option<String>,
    host: Option<String>,
}

impl EventRow {
    /// Columns 1 to 7 of a row selected as `id, job_id, at, actor, kind, detail, os_user, host[, …]`.
    fn read(r: &rusqlite::Row) -> rusqlite::Result<EventRow> {
        Ok(EventRow {
            job_id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            kind: r.get(4)?,
            detail: r.get(5)?,
            os_user: r.get(6)?,
            host: r.get(7)?,
        })
    }

    /// The event's link: its every column and the links before it, in the job and in the shop.
    /// Events from before schema 12 have no account or host and keep the links they were given.
    fn hash(&self, id: i64, job_previous: &str, shop_previous: &str) -> String {
        let EventRow { job_id, at, actor, kind, detail, os_user, host } = self;
        let columns = format!("{id}\n{job_id}\n{at}\n{actor}\n{kind}\n{detail}");
        let text = match (os_user, host) {
            (None, None) => format!("revive-event/1\n{columns}\n{job_previous}\n{shop_previous}"),
            (os_user, host) => format!(
                "revive-event/2\n{columns}\n{}\n{}\n{job_previous}\n{shop_previous}",
                os_user.as_deref().unwrap_or_default(),
                host.as_deref().unwrap_or_default(),
            ),
        };
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }
}

/// The link of the job's event logged just before `event_id`, or nothing for its first.
fn job_previous(tx: &Transaction, job_id: i64, event_id: i64) -> CoreResult<String> {
    Ok(tx
        .query_row(
            "SELECT c.hash FROM event_chain c JOIN job_events e ON e.id = c.event_id
             WHERE e.job_id = ?1 AND c.event_id < ?2 ORDER BY c.event_id DESC LIMIT 1",
            params![job_id, event_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default())
}

/// The link of the shop's event logged just before `event_id`, or nothing for the very first.
fn shop_previous(tx: &Transaction, event_id: i64) -> CoreResult<String> {
    Ok(tx
        .query_row("SELECT hash FROM event_chain WHERE event_id < ?1 ORDER BY event_id DESC LIMIT 1", [event_id], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_default())
}
