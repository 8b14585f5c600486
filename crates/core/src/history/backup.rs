//! Backups of a whole bench and restoring one. A backup is one file (a tar archive) that restores a
//! bench on a new PC: a manifest, a consistent snapshot of the store taken while the app keeps
//! working, every attached photo, and, if the person chooses, the shop's signing key encrypted with
//! a passphrase. Restoring checks everything before anything changes: each entry against the
//! manifest's hashes, the database's integrity, its header, and its schema object by object
//! against Revive's own at that version (no foreign trigger or view ever goes live). Then it keeps
//! the current database as a copy named for the moment (an undo that stays), replaces the content
//! in one step, brings it to this build's schema, and never rewinds a ticket or certificate counter.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::certificates::ShopKey;
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::files::AtomicFile;
use crate::jobs::attachments::{self, MAX_PHOTO_BYTES};
use crate::jobs::audit;
use crate::store::{migrations, refuse_newer_schema, timestamp, Store, APPLICATION_ID, SCHEMA_VERSION};
use crate::workshop::Workshop;

/// Pages copied per step: small enough that the app's own writes interleave.
const PAGES_PER_STEP: i32 = 1_024;
/// The pause between steps while the store is busy (never a spin).
const BUSY_PAUSE: Duration = Duration::from_millis(10);

const FORMAT: &str = "revive.backup";
const VERSION: u32 = 2;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "revive.sqlite3";
const SEALED_KEY: &str = "shop-signing-key.age";
const PHOTOS: &str = "attachments/";
/// Far more than a manifest of a million photos needs; a bigger one is not Revive's.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
const MAX_SEALED_KEY_BYTES: u64 = 64 * 1024;
/// The counters that hand out numbers printed on paper: a restore never moves them back.
const COUNTERS: [&str; 2] = ["ticket_counters", "certificate_counters"];

/// What a backup holds, written first in the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    created_at: String,
    schema: i64,
    database_sha256: String,
    photos: Vec<String>,
    /// Photos the store names that were not in the data folder when the backup was made.
    missing_photos: Vec<String>,
    key: bool,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    pub file: String,
    pub photos: usize,
    pub missing_photos: Vec<String>,
    pub key_included: bool,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub file: String,
    /// Where the database it replaced was kept.
    pub undo: String,
    pub photos: usize,
    pub key_in_backup: bool,
    pub key_restored: bool,
}

/// What a restore at `at` calls the database it replaces: beside it, named for the moment, so a
/// second restore never overwrites the undo of the first.
fn pre_restore_copy(store: &Store, at: time::OffsetDateTime) -> PathBuf {
    let stamp: String = timestamp(at).chars().filter(char::is_ascii_alphanumeric).collect();
    store.path().with_extension(format!("sqlite3.before-restore-{stamp}"))
}

/// What a backup made today is called unless the person names it.
pub fn suggested_file_name() -> String {
    let today = timestamp(time::OffsetDateTime::now_utc());
    format!("revive-backup-{}.revive-backup", &today[..10])
}

fn not_a_backup() -> CoreError {
    CoreError::invalid(Field::Backup, Problem::BadFormat)
}

/// Writes the whole bench to `target`: the store, its photos and, sealed, the key.
pub(super) fn back_up(workshop: &Workshop, target: &Path, sealed_key: Option<Vec<u8>>) -> CoreResult<BackupReport> {
    let folder = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let snapshot =
        tempfile::Builder::new().prefix(".revive-backup-").tempfile_in(folder).map_err(CoreError::FileWrite)?;
    let source = Connection::open_with_flags(workshop.store().path(), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(Duration::from_secs(5))?;
    let photos = copy_into(&source, snapshot.path())?;
    let (photos, missing_photos): (Vec<String>, Vec<String>) =
        photos.into_iter().partition(|hash| attachments::path_of(workshop.data_dir(), hash).is_file());
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: timestamp(time::OffsetDateTime::now_utc()),
        schema: SCHEMA_VERSION,
        database_sha256: sha256_of(&mut File::open(snapshot.path()).map_err(CoreError::FileRead)?)?,
        photos,
        missing_photos,
        key: sealed_key.is_some(),
    };
    let mut archive = tar::Builder::new(AtomicFile::create(target).map_err(CoreError::FileWrite)?);
    let entry = |archive: &mut tar::Builder<AtomicFile>, name: &str, size: u64, content: &mut dyn Read| {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64);
        header.set_cksum();
        archive.append_data(&mut header, name, content).map_err(CoreError::FileWrite)
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    entry(&mut archive, MANIFEST, manifest_json.len() as u64, &mut manifest_json.as_slice())?;
    let mut database = File::open(snapshot.path()).map_err(CoreError::FileRead)?;
    let size = database.metadata().map_err(CoreError::FileRead)?.len();
    entry(&mut archive, DATABASE, size, &mut database)?;
    for hash in &manifest.photos {
        let mut photo = File::open(attachments::path_of(workshop.data_dir(), hash)).map_err(CoreError::FileRead)?;
        let size = photo.metadata().map_err(CoreError::FileRead)?.len();
        entry(&mut archive, &format!("{PHOTOS}{hash}"), size, &mut photo)?;
    }
    if let Some(sealed) = &sealed_key {
        entry(&mut archive, SEALED_KEY, sealed.len() as u64, &mut sealed.as_slice())?;
    }
    archive.into_inner().map_err(CoreError::FileWrite)?.commit().map_err(CoreError::FileWrite)?;
    Ok(BackupReport {
        file: target.display().to_string(),
        photos: manifest.photos.len(),
        missing_photos: manifest.missing_photos,
        key_included: manifest.key,
    })
}

/// Copies the database `source` into the empty file at `target` with SQLite's online backup;
/// returns the photos it names.
fn copy_into(source: &Connection, target: &Path) -> CoreResult<Vec<String>> {
    let mut destination = Connection::open(target)?;
    Backup::new(source, &mut destination)?.run_to_completion(PAGES_PER_STEP, BUSY_PAUSE, None)?;
    destination.pragma_update(None, "journal_mode", "DELETE")?;
    let photos = destination
        .prepare("SELECT DISTINCT sha256 FROM job_attachments ORDER BY sha256")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    drop(destination);
    File::open(target).and_then(|file| file.sync_all()).map_err(CoreError::FileWrite)?;
    Ok(photos)
}

fn sha256_of(content: &mut dyn Read) -> CoreResult<String> {
    let mut hasher = Sha256::new();
    io::copy(content, &mut hasher).map_err(CoreError::FileRead)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// A backup taken apart into a staging folder inside the data folder, every entry checked.
struct Unpacked {
    database: PathBuf,
    photos: Vec<(String, PathBuf)>,
    sealed_key: Option<Vec<u8>>,
    /// Removed when the restore ends, whatever happened.
    _staging: tempfile::TempDir,
}

/// Reads `file` into a staging folder: Revive's backup archive, or a bare database as earlier
/// builds wrote backups.
fn unpack(file: &Path, data_dir: &Path) -> CoreResult<Unpacked> {
    let mut head = [0u8; 16];
    let mut opened = File::open(file).map_err(CoreError::FileRead)?;
    let read = opened.read(&mut head).map_err(CoreError::FileRead)?;
    let staging = tempfile::Builder::new().prefix(".revive-restore-").tempdir_in(data_dir)?;
    let database = staging.path().join(DATABASE);
    if read == head.len() && &head == b"SQLite format 3\0" {
        stage(&mut File::open(file).map_err(CoreError::FileRead)?, &database)?;
        return Ok(Unpacked { database, photos: vec![], sealed_key: None, _staging: staging });
    }
    let mut archive = tar::Archive::new(File::open(file).map_err(CoreError::FileRead)?);
    let mut entries = archive.entries().map_err(|_| not_a_backup())?;
    let manifest: Manifest = {
        let entry = entries.next().ok_or_else(not_a_backup)?.map_err(|_| not_a_backup())?;
        if entry.path_bytes().as_ref() != MANIFEST.as_bytes() || entry.size() > MAX_MANIFEST_BYTES {
            return Err(not_a_backup());
        }
        serde_json::from_reader(entry).map_err(|_| not_a_backup())?
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(not_a_backup());
    }
    let (mut database_seen, mut photos, mut sealed_key) = (false, Vec::new(), None);
    for entry in entries {
        let mut entry = entry.map_err(|_| not_a_backup())?;
        let name = String::from_utf8(entry.path_bytes().into_owned()).map_err(|_| not_a_backup())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(not_a_backup());
        }
        if name == DATABASE && !database_seen {
            database_seen = true;
            if stage(&mut entry, &database)? != manifest.database_sha256 {
                return Err(not_a_backup());
            }
        } else if name == SEALED_KEY && sealed_key.is_none() && manifest.key && entry.size() <= MAX_SEALED_KEY_BYTES {
            let mut sealed = Vec::new();
            entry.read_to_end(&mut sealed).map_err(|_| not_a_backup())?;
            sealed_key = Some(sealed);
        } else if let Some(hash) = name.strip_prefix(PHOTOS).filter(|hash| manifest.photos.iter().any(|p| p == hash)) {
            if entry.size() > MAX_PHOTO_BYTES as u64 || photos.iter().any(|(seen, _)| seen == hash) {
                return Err(not_a_backup());
            }
            let staged = staging.path().join(format!("photo-{}", photos.len()));
            if stage(&mut entry, &staged)? != hash {
                return Err(not_a_backup());
            }
            photos.push((hash.to_owned(), staged));
        } else {
            return Err(not_a_backup());
        }
    }
    if !database_seen || photos.len() != manifest.photos.len() || sealed_key.is_some() != manifest.key {
        return Err(not_a_backup());
    }
    Ok(Unpacked { database, photos, sealed_key, _staging: staging })
}

/// Writes an entry's content to `path` (readable by its owner only); returns its SHA-256.
fn stage(content: &mut dyn Read, path: &Path) -> CoreResult<String> {
    crate::files::create_private(path).map_err(CoreError::FileWrite)?;
    let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(CoreError::FileWrite)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = content.read(&mut buffer).map_err(|_| not_a_backup())?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read]).map_err(CoreError::FileWrite)?;
    }
    file.sync_all().map_err(CoreError::FileWrite)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Checks that `file` is a backup this build would restore, changing nothing: every entry against
/// the manifest, the database against Revive's schema. `scratch` is a folder to unpack into.
pub fn check_file(file: &Path, scratch: &Path) -> CoreResult<()> {
    let unpacked = unpack(file, scratch)?;
    let page_size: i64 = Connection::open_in_memory()?.pragma_query_value(None, "page_size", |r| r.get(0))?;
    check(&unpacked.database, page_size).map(drop)
}

/// Opens `file` as an untrusted database and checks it is a sound Revive store this build can
/// read: intact, marked as Revive's (or unmarked, from before the mark), and holding exactly the
/// tables, indexes, views and triggers Revive's migrations make at its version.
fn check(file: &Path, live_page_size: i64) -> CoreResult<Connection> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|_| not_a_backup())?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|_| not_a_backup())?;
    if integrity != "ok" {
        return Err(not_a_backup());
    }
    let pragma = |name: &str| conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0)).map_err(|_| not_a_backup());
    let application_id = pragma("application_id")?;
    if application_id != 0 && application_id != i64::from(APPLICATION_ID) {
        return Err(not_a_backup());
    }
    refuse_newer_schema(&conn)?;
    let version = pragma("user_version")?;
    if version < 1 || pragma("page_size")? != live_page_size {
        return Err(not_a_backup());
    }
    let mut reference = Connection::open_in_memory()?;
    migrations().to_version(&mut reference, version as usize)?;
    if schema_of(&conn).map_err(|_| not_a_backup())? != schema_of(&reference)? {
        return Err(not_a_backup());
    }
    let dangling = conn.prepare("PRAGMA foreign_key_check")?.query([])?.next()?.is_some();
    if dangling {
        return Err(not_a_backup());
    }
    Ok(conn)
}

/// Every object of a database's schema as (type, name, table, SQL with its spacing evened out).
fn schema_of(conn: &Connection) -> CoreResult<Vec<(String, String, String, String)>> {
    Ok(conn
        .prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
        )?
        .query_map([], |r| {
            let sql: String = r.get(3)?;
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, sql.split_whitespace().collect::<Vec<_>>().join(" ")))
        })?
        .collect::<Result<_, _>>()?)
}

/// Each counter's (table, year, last) in `conn`.
fn counters(conn: &Connection) -> CoreResult<Vec<(&'static str, i64, i64)>> {
    let mut all = Vec::new();
    for table in COUNTERS {
        let exists: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        if exists {
            let rows: Vec<(i64, i64)> = conn
                .prepare(&format!("SELECT year, last FROM {table}"))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            all.extend(rows.into_iter().map(|(year, last)| (table, year, last)));
        }
    }
    Ok(all)
}

/// Replaces the bench with the backup in `file`: its store, its photos and, opened with
/// `key_passphrase`, its key. Nothing changes unless the whole file checks out and the key (if
/// asked for) opens. The staged copy is made ready first (this build's schema, counters no lower
/// than the live ones, events chained, photos in place), so the one step that replaces the live
/// store leaves it either as it was or restored, wherever the process is killed.
pub(super) fn restore(workshop: &Workshop, file: &Path, key_passphrase: Option<&str>) -> CoreResult<RestoreReport> {
    let store = workshop.store();
    let unpacked = unpack(file, workshop.data_dir())?;
    let key = match (&unpacked.sealed_key, key_passphrase) {
        (Some(sealed), Some(passphrase)) => Some(ShopKey::unsealed(sealed, passphrase)?),
        _ => None,
    };
    let mut live = store.exclusive();
    let page_size: i64 = live.pragma_query_value(None, "page_size", |r| r.get(0))?;
    let checked = check(&unpacked.database, page_size)?;
    if let Some(key) = &key {
        refuse_replacing_a_used_key(workshop.data_dir(), key, &checked)?;
    }
    drop(checked);
    let mut staged = Connection::open(&unpacked.database)?;
    migrations().to_latest(&mut staged)?;
    staged.pragma_update(None, "application_id", APPLICATION_ID)?;
    let tx = staged.transaction()?;
    for (table, year, last) in counters(&live)? {
        tx.execute(
            &format!(
                "INSERT INTO {table} (year, last) VALUES (?1, ?2)
                 ON CONFLICT (year) DO UPDATE SET last = max(last, excluded.last)"
            ),
            params![year, last],
        )?;
    }
    audit::link_unlinked(&tx)?;
    tx.commit()?;
    for (hash, staged_photo) in &unpacked.photos {
        let path = attachments::path_of(workshop.data_dir(), hash);
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap_or(workshop.data_dir()))?;
            std::fs::rename(staged_photo, &path).map_err(CoreError::FileWrite)?;
        }
    }
    // The undo appears under its name only complete.
    let copy_path = pre_restore_copy(store, time::OffsetDateTime::now_utc());
    let undo = tempfile::Builder::new().prefix(".revive-undo-").tempfile_in(workshop.data_dir())?;
    copy_into(&live, undo.path())?;
    undo.persist_noclobber(&copy_path).map_err(|error| CoreError::FileWrite(error.error))?;
    crate::files::sync_folder_of(&copy_path).map_err(CoreError::FileWrite)?;
    // One write transaction on the live store: all of the backup, or nothing of it.
    Backup::new(&staged, &mut live)?.run_to_completion(PAGES_PER_STEP, BUSY_PAUSE, None)?;
    drop(live);
    if let Some(key) = &key {
        key.install(workshop.data_dir())?;
    }
    Ok(RestoreReport {
        file: file.display().to_string(),
        undo: copy_path.display().to_string(),
        photos: unpacked.photos.len(),
        key_in_backup: unpacked.sealed_key.is_some(),
        key_restored: key.is_some(),
    })
}

/// A different key than the one here replaces it only if the key here signed none of the
/// restored certificates: each certificate must keep verifying with the shop's key.
fn refuse_replacing_a_used_key(data_dir: &Path, restored: &ShopKey, backup: &Connection) -> CoreResult<()> {
    let Some(present) = ShopKey::load(data_dir)? else { return Ok(()) };
    if present.public_key() == restored.public_key() {
        return Ok(());
    }
    let signed: i64 = backup
        .query_row("SELECT count(*) FROM certificates WHERE public_key = ?1", [present.public_key()], |r| r.get(0))
        .unwrap_or(0);
    if signed > 0 {
        return Err(CoreError::KeyInUse);
    }
    Ok(())
}
