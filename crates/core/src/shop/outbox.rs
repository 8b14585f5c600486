//! The jobs waiting to go to the shop server. Every change to a job counts up its sync version in
//! the same transaction (schema 14's triggers); a push sends the job's whole record at that version
//! and then marks the version pushed. A push that dies halfway is sent again; the server keeps the
//! higher version, so sending twice changes nothing. A job another bench holds now, or one frozen
//! in a conflict, waits for nothing: it cannot change here.

use rusqlite::params;

use crate::error::CoreResult;
use crate::jobs::attachments::path_of;
use crate::shop::link::ShopKey;
use crate::workshop::Workshop;

/// A job's record at one version, ready to send.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub job_id: i64,
    /// The key the shop server knows the job by.
    pub key: ShopKey,
    pub version: i64,
    /// The versions the server may already hold of this bench's: the last one it confirmed, and
    /// the one a push was sending when it last started (its answer may have been lost).
    pub pushed: i64,
    pub sending: i64,
    pub ticket: String,
    /// The job as the JSON export writes it: identity, customer, timeline, readings, runs,
    /// procedures, parts and certificates.
    pub document: String,
    /// Its rows, for a bench that takes it over.
    pub rows: String,
    /// Its photos, sent once each by their content hash.
    pub photos: Vec<Photo>,
}

struct Waiting {
    job_id: i64,
    key: ShopKey,
    version: i64,
    pushed: i64,
    sending: i64,
    ticket: String,
}

#[derive(Debug, Clone)]
pub struct Photo {
    pub sha256: String,
    pub media: String,
    pub path: std::path::PathBuf,
}

pub struct Outbox<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox { workshop: self }
    }
}

impl Outbox<'_> {
    /// How many jobs have changes the shop server has not had yet.
    pub fn waiting(&self) -> CoreResult<u64> {
        let count: i64 = self.workshop.store().read(|tx| {
            Ok(tx.query_row(
                "SELECT count(*) FROM sync_versions WHERE version > pushed
                 AND job_id NOT IN (SELECT job_id FROM shop_away)",
                [],
                |r| r.get(0),
            )?)
        })?;
        Ok(count.unsigned_abs())
    }

    /// Up to `limit` waiting jobs, oldest job first, each read whole at its current version. Read
    /// on a connection of its own: building the records never holds up the bench's own work.
    pub fn next(&self, limit: u32, bench: &str) -> CoreResult<Vec<JobRecord>> {
        let jobs = self.workshop.jobs();
        let data_dir = self.workshop.data_dir().to_path_buf();
        self.workshop.store().read_alone(|tx| {
            let mut statement = tx.prepare(
                "SELECT s.job_id, s.version, s.pushed, s.sending, j.ticket, k.bench, k.remote_id
                 FROM sync_versions s JOIN jobs j ON j.id = s.job_id LEFT JOIN shop_keys k ON k.job_id = s.job_id
                 WHERE s.version > s.pushed AND s.job_id NOT IN (SELECT job_id FROM shop_away)
                 ORDER BY s.job_id LIMIT ?1",
            )?;
            let waiting: Vec<Waiting> = statement
                .query_map([limit], |r| {
                    let job_id: i64 = r.get(0)?;
                    let key = match (r.get::<_, Option<String>>(5)?, r.get::<_, Option<i64>>(6)?) {
                        (Some(bench), Some(job_id)) => ShopKey { bench, job_id },
                        _ => ShopKey { bench: bench.to_owned(), job_id },
                    };
                    Ok(Waiting {
                        job_id,
                        key,
                        version: r.get(1)?,
                        pushed: r.get(2)?,
                        sending: r.get(3)?,
                        ticket: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut photos =
                tx.prepare("SELECT sha256, media FROM job_attachments WHERE job_id = ?1 ORDER BY sha256")?;
            waiting
                .into_iter()
                .map(|job| {
                    let photos = photos
                        .query_map([job.job_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                        .map(|row| {
                            row.map(|(sha256, media)| Photo { path: path_of(&data_dir, &sha256), sha256, media })
                        })
                        .collect::<Result<_, _>>()?;
                    let document = crate::history::export::job_document(tx, &jobs, job.job_id)?;
                    let rows = serde_json::to_string(&super::record::read(tx, job.job_id)?)?;
                    Ok(JobRecord {
                        job_id: job.job_id,
                        key: job.key,
                        version: job.version,
                        pushed: job.pushed,
                        sending: job.sending,
                        ticket: job.ticket,
                        document,
                        rows,
                        photos,
                    })
                })
                .collect()
        })
    }

    /// Notes the versions a push is about to send, before it sends them.
    pub fn sending(&self, records: &[JobRecord]) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            for record in records {
                tx.execute(
                    "UPDATE sync_versions SET sending = ?2 WHERE job_id = ?1",
                    params![record.job_id, record.version],
                )?;
            }
            Ok(())
        })
    }

    /// Notes that the shop server has job `job_id` at `version` (never going back).
    pub fn pushed(&self, job_id: i64, version: i64) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            tx.execute(
                "UPDATE sync_versions SET pushed = max(pushed, ?2) WHERE job_id = ?1",
                params![job_id, version],
            )?;
            Ok(())
        })
    }
}
