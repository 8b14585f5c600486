//! A bench's jobs to the shop server: each job whose store counted a change since the last push is
//! sent whole at its version (its photos first, once each), and only then marked pushed. The
//! server keeps the higher version, so a push cut short by a crash or an outage is simply sent
//! again. Pulling other benches' jobs, hand-overs and conflicts build on this.

use postgres::Client;
use revive_core::error::CoreError;
use revive_core::shop::link::ShopLink;
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

/// Pushes every waiting job of `workshop`, as the bench `link` names, then says how many wait.
pub fn push(client: &mut Client, workshop: &Workshop, link: &ShopLink) -> ShopResult<Pushed> {
    let outbox = workshop.outbox();
    let bench = link.bench.as_str();
    let mut pushed = Pushed { jobs: 0, photos: 0, waiting: 0 };
    introduce(client, workshop, link, outbox.waiting()?)?;
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
    introduce(client, workshop, link, pushed.waiting)?;
    Ok(pushed)
}

/// Says the bench is here and how many jobs it has waiting, and claims its code: the first time
/// the server sees the code it becomes this bench's for good, and the bench numbers with it from
/// then on; a code another bench holds is refused.
pub fn introduce(client: &mut Client, workshop: &Workshop, link: &ShopLink, waiting: u64) -> ShopResult<()> {
    let waiting = i32::try_from(waiting).unwrap_or(i32::MAX);
    let mut tx = client.transaction()?;
    tx.execute(
        "INSERT INTO shop_benches (name, waiting) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET last_contact = now(), waiting = excluded.waiting",
        &[&link.bench, &waiting],
    )?;
    tx.execute(
        "INSERT INTO shop_bench_codes (code, bench) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
        &[&link.code, &link.bench],
    )?;
    let holder: String = tx.query_one("SELECT bench FROM shop_bench_codes WHERE code = $1", &[&link.code])?.get(0);
    tx.commit()?;
    if holder != link.bench {
        return Err(ShopError::BenchCodeTaken { code: link.code.clone(), bench: holder });
    }
    if !link.code_confirmed {
        workshop.shop_link().confirm_code(&link.code)?;
    }
    Ok(())
}

/// What a bench's status line says about its link to the shop server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub linked: bool,
    /// Jobs with changes the server has not had yet.
    pub waiting: u64,
    /// When a push last reached the server.
    pub last_push: Option<String>,
    /// Since when the server has been out of reach; none while it answers.
    pub offline_since: Option<String>,
    /// What went wrong with the last push other than the server being out of reach.
    pub problem: Option<String>,
}

impl SyncStatus {
    /// The status after a push at `now` ended with `result` (`waiting`: what the bench counts).
    pub fn after(&self, result: &ShopResult<Pushed>, waiting: u64, now: &str) -> SyncStatus {
        match result {
            Ok(pushed) => SyncStatus {
                linked: true,
                waiting: pushed.waiting,
                last_push: Some(now.to_owned()),
                offline_since: None,
                problem: None,
            },
            Err(ShopError::NotLinked) => SyncStatus::default(),
            Err(ShopError::Unreachable(_)) => SyncStatus {
                linked: true,
                waiting,
                offline_since: self.offline_since.clone().or_else(|| Some(now.to_owned())),
                ..self.clone()
            },
            Err(other) => SyncStatus { linked: true, waiting, problem: Some(other.to_string()), ..self.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_up_to_date_waiting_or_offline_since_when() {
        let pushed = |waiting| Ok(Pushed { jobs: 3, photos: 0, waiting });
        let up = SyncStatus::default().after(&pushed(0), 0, "2026-12-02T05:00:00.000Z");
        assert_eq!(
            (up.linked, up.waiting, up.last_push.as_deref(), up.offline_since.as_deref()),
            (true, 0, Some("2026-12-02T05:00:00.000Z"), None)
        );
        let unreachable =
            || match postgres::Client::connect("host=/nonexistent-revive dbname=x user=y", postgres::NoTls) {
                Err(error) => ShopError::Unreachable(error),
                Ok(_) => panic!("there is no server there"),
            };
        let down = up.after(&Err(unreachable()), 4, "2026-12-02T05:01:00.000Z");
        assert_eq!((down.waiting, down.offline_since.as_deref()), (4, Some("2026-12-02T05:01:00.000Z")));
        assert_eq!(down.last_push, up.last_push, "the last push that reached the server is kept");
        let still = down.after(&Err(unreachable()), 5, "2026-12-02T05:02:00.000Z");
        assert_eq!(still.offline_since, down.offline_since, "offline since the first failure");
        assert_eq!(still.after(&pushed(1), 1, "2026-12-02T05:03:00.000Z").offline_since, None);
        assert_eq!(still.after(&Err(ShopError::NotLinked), 0, "now"), SyncStatus::default());
    }
}
