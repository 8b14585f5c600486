//! Backing up while the shop works, and restoring: one file restores a whole bench on a new PC
//! (store, photos, the key if a passphrase seals it); only a sound Revive store whose schema is
//! exactly Revive's replaces the store; an older one is brought forward; the replaced database is
//! kept; numbers already handed out are never handed out again.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::{open_shop, take_in_h100, tech};
use revive_core::certificates::ShopKey;
use revive_core::jobs::JobQuery;
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, Problem};

const PASSPHRASE: &str = "华强北 维修中心 备份 2026";

fn tickets(shop: &Workshop) -> Vec<String> {
    let jobs = shop.jobs().list(&JobQuery::default()).unwrap();
    let mut tickets: Vec<String> = jobs.into_iter().map(|job| job.ticket).collect();
    tickets.sort();
    tickets
}

fn photo_path(shop: &Workshop, hash: &str) -> PathBuf {
    revive_core::jobs::attachments::path_of(shop.data_dir(), hash)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn one_file_restores_a_whole_bench_on_a_new_pc_with_its_photos_and_key() {
    let old_pc = tempfile::tempdir().unwrap();
    let shop = open_shop(old_pc.path());
    let job = take_in_h100(&shop);
    let photo = shop.photos().attach(job, b"\xFF\xD8\xFF\xE0 front of the board", &tech(&shop)).unwrap();
    let key = shop.certificates().key().unwrap().public_key();
    let file = old_pc.path().join("王芳的备份.revive-backup");
    let written = shop.history().back_up(&file, Some(PASSPHRASE)).unwrap();
    assert_eq!((written.photos, written.key_included), (1, true));
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600, "customers' names and the key: the owner's only");

    // A new PC: Revive's first start made a key of its own; the backup's replaces it, since that
    // one signed nothing.
    let new_pc = tempfile::tempdir().unwrap();
    let bench = open_shop(new_pc.path());
    let fresh = bench.certificates().key().unwrap().public_key();
    assert_ne!(fresh, key);
    let wrong = bench.history().restore(&file, Some("not the passphrase")).unwrap_err();
    assert!(matches!(wrong, CoreError::Invalid { field: Field::Passphrase, problem: Problem::Mismatch }), "{wrong}");
    assert!(tickets(&bench).is_empty(), "a wrong passphrase changes nothing");

    let report = bench.history().restore(&file, Some(PASSPHRASE)).unwrap();
    assert_eq!((report.photos, report.key_in_backup, report.key_restored), (1, true, true));
    assert_eq!(tickets(&bench), tickets(&shop));
    assert_eq!(std::fs::read(photo_path(&bench, &photo)).unwrap(), b"\xFF\xD8\xFF\xE0 front of the board");
    assert_eq!(bench.certificates().key().unwrap().public_key(), key);
    assert!(Path::new(&report.undo).exists(), "the database it replaced stays as an undo");
    #[cfg(unix)]
    assert_eq!(mode(Path::new(&report.undo)), 0o600);
    let leftovers: Vec<String> = std::fs::read_dir(new_pc.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".revive"))
        .collect();
    assert!(leftovers.is_empty(), "no staging left behind: {leftovers:?}");
}

#[test]
fn a_restore_never_rewinds_a_number_already_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    let file = dir.path().join("morning.revive-backup");
    let written = shop.history().back_up(&file, None).unwrap();
    assert!(!written.key_included);
    take_in_h100(&shop);
    take_in_h100(&shop);
    let printed = tickets(&shop);

    let report = shop.history().restore(&file, None).unwrap();
    assert!(!report.key_in_backup);
    assert_eq!(tickets(&shop), printed[..1]);
    // Tickets 2 and 3 were printed on labels before the restore: the next card gets number 4.
    take_in_h100(&shop);
    let after = tickets(&shop);
    assert!(!printed[1..].contains(&after[1]), "{after:?} reuses one of {printed:?}");
    assert!(after[1].ends_with("000004"), "{after:?}");
}

/// A backup's entries: name and content.
type Entries = Vec<(String, Vec<u8>)>;

/// Writes `entries` (name, content) as a tar file at `path`, the way an attacker would.
fn write_tar(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder.append_data(&mut header, name, content.as_slice()).unwrap();
    }
    builder.finish().unwrap();
}

/// The (name, content) entries of a backup file.
fn read_tar(path: &Path) -> Entries {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (name, content)
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

#[test]
fn a_wrong_or_tampered_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    shop.photos().attach(job, b"\x89PNG\r\n\x1a\n seal", &tech(&shop)).unwrap();
    let good = dir.path().join("good.revive-backup");
    shop.history().back_up(&good, None).unwrap();
    take_in_h100(&shop);
    let before = tickets(&shop);
    let refused = |file: &Path| {
        let error = shop.history().restore(file, None).unwrap_err();
        assert!(
            matches!(error, CoreError::Invalid { field: Field::Backup, problem: Problem::BadFormat }),
            "{file:?}: {error}"
        );
    };

    let junk = dir.path().join("spreadsheet.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not a database at all, but long enough to look like a file").unwrap();
    refused(&junk);
    let other = dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (x);").unwrap();
    refused(&other);

    let entries = read_tar(&good);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names[..2], ["manifest.json", "revive.sqlite3"]);
    let database = entries[1].1.clone();
    let tampered = |name: &str, change: &dyn Fn(&mut Entries)| {
        let mut changed = entries.clone();
        change(&mut changed);
        let path = dir.path().join(name);
        let borrowed: Vec<(&str, Vec<u8>)> = changed.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
        write_tar(&path, &borrowed);
        path
    };
    // Half the file; a photo whose bytes changed; an entry nobody listed; a database swapped for
    // another without fixing the manifest.
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.revive-backup");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    refused(&truncated);
    refused(&tampered("photo.revive-backup", &|e| e[2].1.push(0)));
    refused(&tampered("extra.revive-backup", &|e| e.push(("evil.sh".into(), b"rm -rf ~".to_vec()))));
    refused(&tampered("swapped.revive-backup", &|e| e[1].1 = std::fs::read(&other).unwrap()));

    // A database with a trigger of its own that would go live and quietly drop critical findings:
    // refused even with a manifest recomputed to match.
    let foreign = dir.path().join("foreign.sqlite3");
    std::fs::write(&foreign, &database).unwrap();
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER hide_findings AFTER INSERT ON diagnostic_runs BEGIN SELECT 1; END;
             PRAGMA journal_mode = DELETE;",
        )
        .unwrap();
    refused(&foreign);
    let planted = std::fs::read(&foreign).unwrap();
    let repacked = tampered("trigger.revive-backup", &|e| {
        let mut manifest: serde_json::Value = serde_json::from_slice(&e[0].1).unwrap();
        manifest["databaseSha256"] = sha256(&planted).into();
        e[0].1 = serde_json::to_vec(&manifest).unwrap();
        e[1].1 = planted.clone();
    });
    refused(&repacked);

    // Marked as another application's file.
    let marked = dir.path().join("marked.sqlite3");
    std::fs::write(&marked, &database).unwrap();
    rusqlite::Connection::open(&marked).unwrap().execute_batch("PRAGMA application_id = 1234;").unwrap();
    refused(&marked);

    let newer = dir.path().join("newer.sqlite3");
    std::fs::write(&newer, &database).unwrap();
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    assert!(matches!(shop.history().restore(&newer, None), Err(CoreError::StoreTooNew { found: 99, .. })));

    assert_eq!(tickets(&shop), before, "nothing was replaced");
    let undo = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok);
    assert!(!undo.into_iter().any(|f| f.file_name().to_string_lossy().contains("before-restore")));
}

#[test]
fn a_key_that_signed_certificates_here_is_never_replaced_by_a_backups() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    let other = tempfile::tempdir().unwrap();
    let other_shop = open_shop(other.path());
    take_in_h100(&other_shop);
    let file = other.path().join("other-shop.revive-backup");
    other_shop.history().back_up(&file, Some(PASSPHRASE)).unwrap();
    // This bench's key signed a certificate recorded in the backup's store: replacing it would
    // leave that certificate unverifiable with the shop's key.
    let present = shop.certificates().key().unwrap();
    rusqlite::Connection::open(other.path().join(revive_core::store::DATABASE_FILE))
        .unwrap()
        .execute(
            "INSERT INTO certificates (number, job_id, issued_at, issued_by, document, sha256, signature, public_key)
             VALUES ('RC-2026-000001', 1, '2026-12-01T00:00:00.000Z', 'Li Wei', '{}', 'ab', 'cd', ?1)",
            [present.public_key()],
        )
        .unwrap();
    other_shop.history().back_up(&file, Some(PASSPHRASE)).unwrap();
    assert!(matches!(shop.history().restore(&file, Some(PASSPHRASE)), Err(CoreError::KeyInUse)));
    assert_eq!(ShopKey::load(dir.path()).unwrap().unwrap().public_key(), present.public_key());
    // Without the passphrase the data is restored and the key here stays.
    let report = shop.history().restore(&file, None).unwrap();
    assert!(report.key_in_backup && !report.key_restored);
}

#[test]
fn a_missing_key_is_never_silently_made_anew_once_certificates_exist() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let key = shop.certificates().key().unwrap();
    let sealed = key.sealed(PASSPHRASE).unwrap();
    assert!(matches!(
        key.sealed("short").unwrap_err(),
        CoreError::Invalid { field: Field::Passphrase, problem: Problem::TooShort { min: 10 } }
    ));
    shop.store()
        .write(|tx, _| {
            Ok(tx.execute(
                "INSERT INTO certificates (number, job_id, issued_at, issued_by, document, sha256, signature, public_key)
                 VALUES ('RC-2026-000001', ?1, '2026-12-01T00:00:00.000Z', 'Li Wei', '{}', 'ab', 'cd', ?2)",
                rusqlite::params![job, key.public_key()],
            )?)
        })
        .unwrap();
    std::fs::remove_file(dir.path().join(revive_core::certificates::KEY_FILE)).unwrap();
    assert!(matches!(shop.certificates().key(), Err(CoreError::KeyMissing)));
    assert!(ShopKey::load(dir.path()).unwrap().is_none(), "no new key was written");
    // Restored from its encrypted backup, it is the same key.
    let restored = shop.certificates().restore_key(&sealed, PASSPHRASE).unwrap();
    assert_eq!(restored.public_key(), key.public_key());
    assert_eq!(shop.certificates().key().unwrap().public_key(), key.public_key());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join(revive_core::certificates::KEY_FILE);
        assert_eq!(mode(&path), 0o600);
        // A key file someone made readable to all is made private again, and the key says so.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(shop.certificates().key().unwrap().was_exposed());
        assert_eq!(mode(&path), 0o600);
        assert!(!shop.certificates().key().unwrap().was_exposed());
    }
}

#[test]
fn an_older_backup_is_brought_to_this_schema() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    let old_store = open_shop(old.path());
    take_in_h100(&old_store);
    // Backups of earlier builds were the bare database file.
    let old_file = old.path().join("old.sqlite3");
    rusqlite::Connection::open(old.path().join(revive_core::store::DATABASE_FILE))
        .unwrap()
        .backup(rusqlite::MAIN_DB, &old_file, None)
        .unwrap();
    rusqlite::Connection::open(&old_file).unwrap().execute_batch("PRAGMA application_id = 0;").unwrap();
    // A file that says schema 4 but already holds later schemas' objects is not what Revive's
    // schema 4 was: refused before anything changes.
    let confused = old.path().join("confused.sqlite3");
    std::fs::copy(&old_file, &confused).unwrap();
    rusqlite::Connection::open(&confused).unwrap().execute_batch("PRAGMA user_version = 4;").unwrap();
    let shop = open_shop(dir.path());
    take_in_h100(&shop);
    take_in_h100(&shop);
    assert!(matches!(shop.history().restore(&confused, None), Err(CoreError::Invalid { field: Field::Backup, .. })));
    assert_eq!(tickets(&shop).len(), 2, "the shop is as it was");

    // As a schema-4 shop wrote it: no search index and no history indexes yet.
    rusqlite::Connection::open(&old_file)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER job_search_on_insert; DROP TRIGGER job_search_on_update; DROP VIEW job_search_text;
             DROP TABLE job_search;
             DROP INDEX jobs_by_created; DROP INDEX jobs_by_model; DROP INDEX jobs_by_updated;
             DROP INDEX job_events_by_actor; DROP INDEX jobs_in_order;
             DROP TRIGGER run_findings_on_insert; DROP TABLE run_findings; DROP INDEX jobs_by_model_status;
             DROP TRIGGER event_chain_no_update; DROP TRIGGER event_chain_no_delete; DROP TABLE event_chain;
             DROP TRIGGER certificate_revocations_no_update; DROP TRIGGER certificate_revocations_no_delete;
             DROP TABLE certificate_revocations; DROP TABLE technician_pins;
             DROP TRIGGER stress_runs_no_update; DROP TABLE stress_telemetry; DROP TABLE stress_runs;
             ALTER TABLE job_events DROP COLUMN os_user;
             ALTER TABLE job_events DROP COLUMN host;
             DROP TRIGGER IF EXISTS sync_jobs_insert; DROP TRIGGER IF EXISTS sync_jobs_update; DROP TRIGGER IF EXISTS
             sync_job_events_insert; DROP TRIGGER IF EXISTS sync_diagnostic_runs_insert; DROP TRIGGER IF EXISTS
             sync_diagnostic_runs_update; DROP TRIGGER IF EXISTS sync_procedure_runs_insert; DROP TRIGGER IF EXISTS
             sync_procedure_runs_update; DROP TRIGGER IF EXISTS sync_job_attachments_insert; DROP TRIGGER IF EXISTS
             sync_job_attachments_update; DROP TRIGGER IF EXISTS sync_job_attachments_delete; DROP TRIGGER IF EXISTS
             sync_job_parts_insert; DROP TRIGGER IF EXISTS sync_job_parts_update; DROP TRIGGER IF EXISTS
             sync_job_parts_delete; DROP TRIGGER IF EXISTS sync_labor_adjustments_insert; DROP TRIGGER IF EXISTS
             sync_labor_adjustments_update; DROP TRIGGER IF EXISTS sync_certificates_insert; DROP TRIGGER IF EXISTS
             sync_certificates_update; DROP TRIGGER IF EXISTS sync_stress_runs_insert; DROP TRIGGER IF EXISTS
             sync_stress_runs_update; DROP TRIGGER IF EXISTS sync_step_results_insert; DROP TRIGGER IF EXISTS
             sync_step_results_update; DROP TRIGGER IF EXISTS sync_certificate_revocations_insert;
             DROP INDEX jobs_open; DROP TRIGGER IF EXISTS away_jobs_update; DROP TRIGGER IF EXISTS
             away_job_events_insert; DROP TRIGGER IF EXISTS away_diagnostic_runs_insert; DROP TRIGGER IF EXISTS
             away_stress_runs_insert; DROP TRIGGER IF EXISTS away_procedure_runs_insert; DROP TRIGGER IF EXISTS
             away_procedure_runs_update; DROP TRIGGER IF EXISTS away_step_results_insert; DROP TRIGGER IF EXISTS
             away_job_attachments_insert; DROP TRIGGER IF EXISTS away_job_attachments_delete; DROP TRIGGER IF EXISTS
             away_job_parts_insert; DROP TRIGGER IF EXISTS away_job_parts_update; DROP TRIGGER IF EXISTS
             away_job_parts_delete; DROP TRIGGER IF EXISTS away_labor_adjustments_insert; DROP TRIGGER IF EXISTS
             away_certificates_insert; DROP TRIGGER IF EXISTS away_certificates_update; DROP TRIGGER IF EXISTS
             away_certificate_revocations_insert; DROP TABLE shop_keys; DROP TABLE shop_away; DROP TABLE shop_pulled; DROP TABLE
             sync_versions;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    shop.history().restore(&old_file, None).unwrap();
    assert_eq!(tickets(&shop).len(), 1);
    let query = revive_core::history::HistoryQuery { text: "2012345".into(), ..Default::default() };
    assert_eq!(shop.history().page(&query, 0, 10).unwrap().total, 1, "indexed after the restore");
    assert_eq!(shop.audit().unwrap().broken, None, "its events are linked into the log's chain");
    // The restored store carries Revive's mark.
    let id: i32 = shop.store().read(|tx| Ok(tx.pragma_query_value(None, "application_id", |r| r.get(0))?)).unwrap();
    assert_eq!(id, revive_core::store::APPLICATION_ID);
}
