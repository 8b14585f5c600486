//! The jobs waiting to go to the shop server. Every change to a job counts up its sync version in
//! the same transaction (schema 14's triggers); a push sends the job's whole record at that version
//! and then marks the version pushed. A push that dies halfway is sent again; the server keeps the
//! higher version, so sending twice changes nothing.

use rusqlite::params;

use crate::error::CoreResult;
use crate::jobs::attachments::path_of;
use crate::workshop::Workshop;

/// A job's record at one version, ready to send.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub job_id: i64,
    pub version: i64,
    pub ticket: String,
    /// The job as the JSON export writes it: identity, customer, timeline, readings, runs,
    /// procedures, parts and certificates.
    pub document: String,
    /// Its photos, sent once each by their content hash.
    pub photos: Vec<Photo>,
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
            Ok(tx.query_row("SELECT count(*) FROM sync_versions WHERE version > pushed", [], |r| r.get(0))?)
        })?;
        Ok(count.unsigned_abs())
    }

    /// Up to `limit` waiting jobs, oldest job first, each read whole at its current version. Read
    /// on a connection of its own: building the records never holds up the bench's own work.
    pub fn next(&self, limit: u32) -> CoreResult<Vec<JobRecord>> {
        let jobs = self.workshop.jobs();
        let data_dir = self.workshop.data_dir().to_path_buf();
        self.workshop.store().read_alone(|tx| {
            let mut statement = tx.prepare(
                "SELECT s.job_id, s.version, j.ticket FROM sync_versions s JOIN jobs j ON j.id = s.job_id
                 WHERE s.version > s.pushed ORDER BY s.job_id LIMIT ?1",
            )?;
            let waiting: Vec<(i64, i64, String)> =
                statement.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
            let mut photos =
                tx.prepare("SELECT sha256, media FROM job_attachments WHERE job_id = ?1 ORDER BY sha256")?;
            waiting
                .into_iter()
                .map(|(job_id, version, ticket)| {
                    let photos = photos
                        .query_map([job_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                        .map(|row| {
                            row.map(|(sha256, media)| Photo { path: path_of(&data_dir, &sha256), sha256, media })
                        })
                        .collect::<Result<_, _>>()?;
                    let document = crate::history::export::job_document(tx, &jobs, job_id)?;
                    Ok(JobRecord { job_id, version, ticket, document, photos })
                })
                .collect()
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
