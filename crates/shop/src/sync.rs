//! A bench's jobs to the shop server: each job whose store counted a change since the last push is
//! sent whole at its version (its photos first, once each), and only then marked pushed. The
//! server keeps the higher version, so a push cut short by a crash or an outage is simply sent
//! again. Pulling other benches' jobs, hand-overs and conflicts build on this.

use postgres::Client;
use revive_core::error::CoreError;
use revive_core::workshop::Workshop;
use serde::Serialize;

use crate::error::{ShopError, ShopResult};

/// Jobs read and sent per round trip.
const BATCH: u32 = 200;

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Pushed {
    pub jobs: u64,
    pub photos: u64,
    /// Jobs still waiting (changed while the push ran).
    pub waiting: u64,
}

/// Pushes every waiting job of `workshop`, as bench `bench`, then says how many wait.
pub fn push(client: &mut Client, workshop: &Workshop, bench: &str) -> ShopResult<Pushed> {
    let outbox = workshop.outbox();
    let mut pushed = Pushed { jobs: 0, photos: 0, waiting: 0 };
    introduce(client, bench, outbox.waiting()?)?;
    loop {
        let records = outbox.next(BATCH)?;
        if records.is_empty() {
            break;
        }
        let mut tx = client.transaction()?;
        for record in &records {
            for photo in &record.photos {
                let known: bool = tx
                    .query_one("SELECT EXISTS (SELECT 1 FROM shop_photos WHERE sha256 = $1)", &[&photo.sha256])?
                    .get(0);
                if !known {
                    let bytes =
                        std::fs::read(&photo.path).map_err(|error| ShopError::Core(CoreError::FileRead(error)))?;
                    tx.execute(
                        "INSERT INTO shop_photos (sha256, media, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                        &[&photo.sha256, &photo.media, &bytes],
                    )?;
                    pushed.photos += 1;
                }
            }
            let document: serde_json::Value =
                serde_json::from_str(&record.document).map_err(|e| ShopError::Unreadable(e.to_string()))?;
            tx.execute(
                "INSERT INTO shop_jobs (bench, job_id, version, ticket, document) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (bench, job_id) DO UPDATE
                    SET version = excluded.version, ticket = excluded.ticket, document = excluded.document, pushed_at = now()
                    WHERE shop_jobs.version < excluded.version",
                &[&bench, &record.job_id, &record.version, &record.ticket, &document],
            )?;
        }
        tx.commit()?;
        // Only what the server now holds is marked; a crash before this line sends it again.
        for record in &records {
            outbox.pushed(record.job_id, record.version)?;
        }
        pushed.jobs += records.len() as u64;
    }
    pushed.waiting = outbox.waiting()?;
    introduce(client, bench, pushed.waiting)?;
    Ok(pushed)
}

/// Says the bench is here and how many jobs it has waiting.
fn introduce(client: &mut Client, bench: &str, waiting: u64) -> ShopResult<()> {
    let waiting = i32::try_from(waiting).unwrap_or(i32::MAX);
    client.execute(
        "INSERT INTO shop_benches (name, waiting) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET last_contact = now(), waiting = excluded.waiting",
        &[&bench, &waiting],
    )?;
    Ok(())
}
