//! Photos attached to jobs, stored once in the data directory under their SHA-256, so a photo taken
//! twice takes no more room and a stored file can be checked against its name.

use std::path::{Path, PathBuf};

use rusqlite::params;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::settings::{Settings, Technician};
use crate::store::timestamp;
use crate::workshop::Workshop;

pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;
const FOLDER: &str = "attachments";

/// JPEG or PNG, by their first bytes; anything else is not a photo.
fn media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

pub fn path_of(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join(FOLDER).join(&sha256[..2.min(sha256.len())]).join(sha256)
}

/// The photos of the shop's jobs.
pub struct Photos<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn photos(&self) -> Photos<'_> {
        Photos { workshop: self }
    }
}

impl Photos<'_> {
    /// Stores the photo (if new) and attaches it to the job; returns its SHA-256.
    pub fn attach(&self, job_id: i64, bytes: &[u8], by: &Technician) -> CoreResult<String> {
        if bytes.is_empty() {
            return Err(CoreError::invalid(Field::Photo, Problem::Empty));
        }
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(CoreError::invalid(Field::Photo, Problem::TooLarge { max: MAX_PHOTO_BYTES as u64 }));
        }
        let media = media_type(bytes).ok_or(CoreError::invalid(Field::Photo, Problem::BadFormat))?;
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        let path = path_of(self.workshop.data_dir(), &sha256);
        if !path.exists() {
            // A crash never leaves half a photo under its hash.
            let folder = path.parent().ok_or(CoreError::invalid(Field::Photo, Problem::BadFormat))?;
            std::fs::create_dir_all(folder)?;
            crate::files::write_atomically(&path, bytes)?;
        }
        self.workshop.store().write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let job: Option<i64> = rusqlite::OptionalExtension::optional(tx.query_row(
                "SELECT id FROM jobs WHERE id = ?1",
                [job_id],
                |r| r.get(0),
            ))?;
            job.ok_or(CoreError::JobNotFound(job_id))?;
            tx.execute(
                "INSERT OR IGNORE INTO job_attachments (job_id, sha256, media, bytes, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![job_id, sha256, media, bytes.len() as i64, timestamp(now), actor],
            )?;
            Ok(())
        })?;
        Ok(sha256)
    }
}

impl Photos<'_> {
    /// Keeps a photo another bench attached, received by its hash; bytes that are not what the
    /// hash says are refused.
    pub fn keep(&self, sha256: &str, bytes: &[u8]) -> CoreResult<()> {
        if format!("{:x}", Sha256::digest(bytes)) != sha256 || media_type(bytes).is_none() {
            return Err(CoreError::invalid(Field::Photo, Problem::BadFormat));
        }
        let path = path_of(self.workshop.data_dir(), sha256);
        if !path.exists() {
            let folder = path.parent().ok_or(CoreError::invalid(Field::Photo, Problem::BadFormat))?;
            std::fs::create_dir_all(folder)?;
            crate::files::write_atomically(&path, bytes)?;
        }
        Ok(())
    }
}

/// Whether every hash names a photo attached to this job.
pub(crate) fn all_attached(tx: &rusqlite::Transaction, job_id: i64, hashes: &[String]) -> CoreResult<bool> {
    for hash in hashes {
        let found: i64 = tx.query_row(
            "SELECT count(*) FROM job_attachments WHERE job_id = ?1 AND sha256 = ?2",
            params![job_id, hash],
            |r| r.get(0),
        )?;
        if found == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}
