//! Conflicts for the shop's manager: a bench's record of a job that the server refused because
//! taking it would have overwritten work that bench never saw. The manager keeps the shop's record
//! (the refused one stays on the server, and on its bench as a copy set aside) or the bench's (it
//! becomes the shop's, that bench holds the job again, and the record it replaced is kept here).
//! Nothing is deleted either way; the benches follow on their next pull.

use postgres::Client;
use revive_core::settings::Technician;
use revive_core::shop::link::ShopKey;
use serde::{Deserialize, Serialize};

use crate::error::{ShopError, ShopResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopConflict {
    pub id: i64,
    pub key: ShopKey,
    pub ticket: String,
    pub customer: String,
    pub model_id: String,
    /// The bench whose record was refused, and when.
    pub from_bench: String,
    pub at: String,
    pub reason: ConflictReason,
    /// The bench holding the job on the server, and when its record last changed.
    pub holder: String,
    pub holder_updated_at: String,
    /// When the refused record says the job last changed.
    pub refused_updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    /// Another bench had taken the job over while this one went on changing it.
    NotHolder,
    /// The bench changed a version older than the server's (a bench restored from a backup).
    Behind,
}

/// Whose record the shop keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The server's: the holder's record stays.
    Shop,
    /// The refused bench's.
    Bench,
}

/// The conflicts waiting for the manager, oldest first.
pub fn open(client: &mut Client) -> ShopResult<Vec<ShopConflict>> {
    let rows = client.query(
        "SELECT c.id, c.bench, c.job_id, c.ticket, j.customer, j.model_id, c.from_bench,
                to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), c.reason,
                j.holder, j.updated_at, c.document ->> 'updatedAt'
         FROM shop_conflicts c JOIN shop_jobs j USING (bench, job_id)
         WHERE c.resolved_at IS NULL ORDER BY c.at, c.id",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            Ok(ShopConflict {
                id: row.try_get(0)?,
                key: ShopKey { bench: row.try_get(1)?, job_id: row.try_get(2)? },
                ticket: row.try_get(3)?,
                customer: row.try_get(4)?,
                model_id: row.try_get(5)?,
                from_bench: row.try_get(6)?,
                at: row.try_get(7)?,
                reason: match row.try_get::<_, &str>(8)? {
                    "not_holder" => ConflictReason::NotHolder,
                    _ => ConflictReason::Behind,
                },
                holder: row.try_get(9)?,
                holder_updated_at: row.try_get(10)?,
                refused_updated_at: row.try_get::<_, Option<String>>(11)?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Settles conflict `id` as `by` decided.
pub fn settle(client: &mut Client, id: i64, keep: Keep, by: &Technician) -> ShopResult<()> {
    let mut tx = client.transaction()?;
    let conflict = tx
        .query_opt("SELECT bench, job_id FROM shop_conflicts WHERE id = $1 AND resolved_at IS NULL FOR UPDATE", &[&id])?
        .ok_or(ShopError::ConflictSettled)?;
    let (bench, job_id): (String, i64) = (conflict.get(0), conflict.get(1));
    match keep {
        Keep::Shop => {
            tx.execute(
                "UPDATE shop_conflicts SET resolved_at = now(), resolved_by = $2, kept = 'shop' WHERE id = $1",
                &[&id, &by.name()],
            )?;
            // The benches read it on their next pull.
            tx.execute(
                "UPDATE shop_jobs SET change = nextval('shop_job_changes') WHERE bench = $1 AND job_id = $2",
                &[&bench, &job_id],
            )?;
        }
        Keep::Bench => {
            tx.execute(
                "UPDATE shop_conflicts c SET resolved_at = now(), resolved_by = $2, kept = 'bench',
                        replaced_document = j.document, replaced_record = j.record
                 FROM shop_jobs j WHERE c.id = $1 AND j.bench = c.bench AND j.job_id = c.job_id",
                &[&id, &by.name()],
            )?;
            tx.execute(
                "UPDATE shop_jobs j SET holder = c.from_bench, document = c.document, record = c.record,
                        version = greatest(j.version, c.version) + 1, ticket = c.ticket, pushed_at = now(),
                        change = nextval('shop_job_changes')
                 FROM shop_conflicts c WHERE c.id = $1 AND j.bench = c.bench AND j.job_id = c.job_id",
                &[&id],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}
