//! Which of a shop's jobs this bench holds. A job is worked on at one bench at a time: another
//! bench takes it by an explicit hand-over, written into its log; the bench it left keeps its copy
//! as the shop server has it, and that copy refuses every change (schema 17's triggers). A copy the
//! server refused as conflicting is frozen the same way until the shop's manager decides whose
//! record the shop keeps; a copy the manager did not keep stays, renamed, as it was.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::history::HistoryRow;
use crate::jobs::events::{self, Event};
use crate::settings::{Settings, Technician};
use crate::shop::link::ShopKey;
use crate::shop::record::{self, JobRows};
use crate::store::{json_column, timestamp, Quote};
use crate::workshop::Workshop;

/// Why a job here does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AwayReason {
    /// Another bench took it over.
    Taken,
    /// The server refused this bench's record: the manager decides.
    Conflict,
    /// The manager kept another bench's record; this copy stays as it was.
    SetAside,
}

impl AwayReason {
    /// As `shop_away.reason` holds it: its serde name.
    fn id(self) -> &'static str {
        match self {
            AwayReason::Taken => "taken",
            AwayReason::Conflict => "conflict",
            AwayReason::SetAside => "set_aside",
        }
    }
}

/// A job this bench keeps but does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Away {
    pub reason: AwayReason,
    /// The bench that holds the job now.
    pub holder: String,
    pub since: String,
}

/// A copy of a shop job kept on this bench, with its sync versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCopy {
    pub job_id: i64,
    pub away: Option<AwayReason>,
    pub version: i64,
    pub pushed: i64,
}

pub struct Holding<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn holding(&self) -> Holding<'_> {
        Holding { workshop: self }
    }
}

impl Holding<'_> {
    /// The copy of the job the server knows as `key` that this bench (`bench`) keeps, set-aside
    /// copies left out.
    pub fn copy_of(&self, key: &ShopKey, bench: &str) -> CoreResult<Option<KeptCopy>> {
        self.workshop.store().read(|tx| copy_in(tx, key, bench))
    }

    /// Takes the job `key` over from bench `from`, whose record the server holds at `version`:
    /// writes it here (over the copy this bench kept when the job left it, if any) and logs the
    /// hand-over as `by`; without `by`, the record comes back to the bench that holds it (after a
    /// conflict the manager settled) and nothing is logged. Answers the job's number here.
    pub fn take(&self, key: &ShopKey, bench: &str, taken: &Taken, by: Option<&Technician>) -> CoreResult<i64> {
        self.workshop.store().write(|tx, now| {
            let actor = by.map(|by| Settings::technician_for(tx, by)).transpose()?;
            let kept = copy_in(tx, key, bench)?.map(|copy| copy.job_id);
            tx.execute("DELETE FROM shop_away WHERE job_id = ?1", params![kept])?;
            let (job_id, _) = record::write(tx, kept, &taken.record)?;
            if kept.is_none() && (key.bench != bench || key.job_id != job_id) {
                tx.execute(
                    "INSERT INTO shop_keys (job_id, bench, remote_id) VALUES (?1, ?2, ?3)",
                    params![job_id, key.bench, key.job_id],
                )?;
            }
            set_versions(tx, job_id, taken.version)?;
            if let Some(actor) = actor {
                let handed = Event::HandedOver {
                    from: taken.from.clone(),
                    events: taken.record.events.len() as u64,
                    chain_head: taken.record.chain_head.clone(),
                };
                events::append(tx, job_id, &timestamp(now), &actor, &handed)?;
            }
            Ok(job_id)
        })
    }

    /// Brings job `job_id`, which bench `holder` holds, up to the server's record at `version`,
    /// and keeps it unchanging here. A copy that went apart from the record is refused whole.
    pub fn follow(&self, job_id: i64, record: &JobRows, version: i64, holder: &str) -> CoreResult<()> {
        self.workshop.store().write(|tx, now| {
            tx.execute("DELETE FROM shop_away WHERE job_id = ?1", [job_id])?;
            record::write(tx, Some(job_id), record)?;
            set_versions(tx, job_id, version)?;
            away(tx, job_id, AwayReason::Taken, holder, now)
        })
    }

    /// Brings job `job_id`, which this bench holds, up to the server's record at `version`: the
    /// bench was restored from a backup older than what it had pushed since. A copy that changed
    /// apart since is refused whole.
    pub fn catch_up(&self, job_id: i64, record: &JobRows, version: i64) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            record::write(tx, Some(job_id), record)?;
            set_versions(tx, job_id, version)
        })
    }

    /// Stops job `job_id` changing here, for `reason`, while `holder` holds it. A copy set aside
    /// gives up its ticket number (it gets `~1`, `~2`…), so the shop's record can come back here.
    pub fn freeze(&self, job_id: i64, reason: AwayReason, holder: &str) -> CoreResult<()> {
        self.workshop.store().write(|tx, now| {
            tx.execute("DELETE FROM shop_away WHERE job_id = ?1", [job_id])?;
            if reason == AwayReason::SetAside {
                let ticket: String = tx.query_row("SELECT ticket FROM jobs WHERE id = ?1", [job_id], |r| r.get(0))?;
                let mut n = 1;
                let renamed = loop {
                    let candidate = format!("{ticket}~{n}");
                    let taken: bool =
                        tx.query_row("SELECT EXISTS (SELECT 1 FROM jobs WHERE ticket = ?1)", [&candidate], |r| {
                            r.get(0)
                        })?;
                    if !taken {
                        break candidate;
                    }
                    n += 1;
                };
                tx.execute("UPDATE jobs SET ticket = ?2 WHERE id = ?1", params![job_id, renamed])?;
                tx.execute("DELETE FROM shop_keys WHERE job_id = ?1", [job_id])?;
            }
            away(tx, job_id, reason, holder, now)
        })
    }

    /// The manager kept this bench's record of job `job_id`, which the server now holds at
    /// `version`: the job changes here again.
    pub fn hold_again(&self, job_id: i64, version: i64) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            tx.execute("DELETE FROM shop_away WHERE job_id = ?1", [job_id])?;
            set_versions(tx, job_id, version)
        })
    }

    /// Why job `job_id` does not change here, if it does not.
    pub fn away(&self, job_id: i64) -> CoreResult<Option<Away>> {
        self.workshop.store().read(|tx| {
            Ok(tx
                .query_row("SELECT reason, holder, since FROM shop_away WHERE job_id = ?1", [job_id], |r| {
                    Ok(Away { reason: json_column(r, 0, Quote::Text)?, holder: r.get(1)?, since: r.get(2)? })
                })
                .optional()?)
        })
    }

    /// How many jobs here wait for the manager to settle a conflict.
    pub fn conflicts(&self) -> CoreResult<u64> {
        let count: i64 = self.workshop.store().read(|tx| {
            Ok(tx.query_row("SELECT count(*) FROM shop_away WHERE reason = 'conflict'", [], |r| r.get(0))?)
        })?;
        Ok(count.unsigned_abs())
    }

    /// How far this bench has read the shop server's changes.
    pub fn pulled(&self) -> CoreResult<i64> {
        self.workshop
            .store()
            .read(|tx| Ok(tx.query_row("SELECT change FROM shop_pulled", [], |r| r.get(0)).optional()?.unwrap_or(0)))
    }

    pub fn set_pulled(&self, change: i64) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            tx.execute(
                "INSERT INTO shop_pulled (id, change) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET change = ?1",
                [change],
            )?;
            Ok(())
        })
    }

    /// The keys of the jobs this bench took from others, which the server names them by.
    pub fn taken_keys(&self) -> CoreResult<Vec<ShopKey>> {
        self.workshop.store().read(|tx| {
            let mut statement = tx.prepare("SELECT bench, remote_id FROM shop_keys ORDER BY bench, remote_id")?;
            let keys = statement
                .query_map([], |r| Ok(ShopKey { bench: r.get(0)?, job_id: r.get(1)? }))?
                .collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    /// Gives the whole shop's rows of jobs this bench (`bench`) holds their number here, so they
    /// open as any of its own.
    pub fn number_here(&self, rows: &mut [HistoryRow], bench: &str) -> CoreResult<()> {
        self.workshop.store().read(|tx| {
            for row in rows.iter_mut().filter(|row| row.bench.as_deref() == Some(bench)) {
                if let Some(copy) = row.shop_key.as_ref().map(|key| copy_in(tx, key, bench)).transpose()?.flatten() {
                    row.id = copy.job_id;
                }
            }
            Ok(())
        })
    }

    /// Job `job_id`'s rows as they are here: what a check that the benches and the shop server
    /// agree row for row compares (`JobRows::comparable`).
    pub fn record(&self, job_id: i64) -> CoreResult<JobRows> {
        self.workshop.store().read(|tx| record::read(tx, job_id))
    }
}

/// A job's record as the shop server gave it for a hand-over.
#[derive(Debug, Clone)]
pub struct Taken {
    pub from: String,
    pub version: i64,
    pub record: JobRows,
}

fn copy_in(tx: &Transaction, key: &ShopKey, bench: &str) -> CoreResult<Option<KeptCopy>> {
    let job_id: Option<i64> = tx
        .query_row(
            "SELECT job_id FROM shop_keys WHERE bench = ?1 AND remote_id = ?2",
            params![key.bench, key.job_id],
            |r| r.get(0),
        )
        .optional()?;
    let job_id = match job_id {
        Some(job_id) => Some(job_id),
        None if key.bench == bench => tx
            .query_row(
                "SELECT id FROM jobs WHERE id = ?1 AND id NOT IN (SELECT job_id FROM shop_keys)",
                [key.job_id],
                |r| r.get(0),
            )
            .optional()?,
        None => None,
    };
    let Some(job_id) = job_id else { return Ok(None) };
    let copy = tx
        .query_row(
            "SELECT a.reason, coalesce(s.version, 0), coalesce(s.pushed, 0) FROM jobs j
             LEFT JOIN shop_away a ON a.job_id = j.id LEFT JOIN sync_versions s ON s.job_id = j.id WHERE j.id = ?1",
            [job_id],
            |r| Ok((json_column::<Option<AwayReason>>(r, 0, Quote::Text)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )
        .optional()?;
    Ok(copy.and_then(|(away, version, pushed)| {
        (away != Some(AwayReason::SetAside)).then_some(KeptCopy { job_id, away, version, pushed })
    }))
}

fn away(tx: &Transaction, job_id: i64, reason: AwayReason, holder: &str, now: time::OffsetDateTime) -> CoreResult<()> {
    tx.execute(
        "INSERT INTO shop_away (job_id, reason, holder, since) VALUES (?1, ?2, ?3, ?4)",
        params![job_id, reason.id(), holder, timestamp(now)],
    )?;
    Ok(())
}

/// The job here is the server's record at `version`: nothing of it waits to be pushed.
fn set_versions(tx: &Transaction, job_id: i64, version: i64) -> CoreResult<()> {
    tx.execute(
        "INSERT INTO sync_versions (job_id, version, pushed, sending) VALUES (?1, ?2, ?2, ?2)
         ON CONFLICT (job_id) DO UPDATE SET version = ?2, pushed = ?2, sending = ?2",
        params![job_id, version],
    )?;
    Ok(())
}
