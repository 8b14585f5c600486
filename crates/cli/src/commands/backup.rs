//! `revive backup` and `revive restore`: the whole bench (store, photos and, with a passphrase, the
//! shop's key) to one file and back.

use std::path::{Path, PathBuf};

use revive_core::CoreError;

use super::open_workshop;
use crate::exit::Exit;
use crate::output::{emit, fail};

/// The passphrase in the first line of `file`: never on the command line, where `ps` shows it.
fn passphrase_in(file: Option<&Path>) -> Result<Option<String>, String> {
    let Some(file) = file else { return Ok(None) };
    let text = std::fs::read_to_string(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    Ok(Some(text.lines().next().unwrap_or_default().to_owned()))
}

/// 0 written, 5 the store or the file cannot be used.
pub fn back_up(out: &Path, key_passphrase_file: Option<&Path>, data_dir: Option<PathBuf>) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    let passphrase = match passphrase_in(key_passphrase_file) {
        Ok(passphrase) => passphrase,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    match shop.history().back_up(out, passphrase.as_deref()) {
        Ok(report) => {
            let key = if report.key_included { ", the shop key encrypted" } else { "" };
            emit(&format!("backed up to {} with {} photos{key}\n", out.display(), report.photos));
            if !report.missing_photos.is_empty() {
                emit(&format!("{} photos the store names were not in the data folder\n", report.missing_photos.len()));
            }
            Exit::Ok
        }
        Err(error) => fail(Exit::Unreadable, format!("backup failed, nothing written: {error}")),
    }
}

/// 0 restored, 1 the file is not a backup this build can restore, 5 the store cannot be used.
pub fn restore(file: &Path, key_passphrase_file: Option<&Path>, data_dir: Option<PathBuf>) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    let passphrase = match passphrase_in(key_passphrase_file) {
        Ok(passphrase) => passphrase,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    match shop.history().restore(file, passphrase.as_deref()) {
        Ok(report) => {
            emit(&format!(
                "restored from {} with {} photos; the store it replaced is kept as {}\n",
                file.display(),
                report.photos,
                report.undo
            ));
            if report.key_in_backup && !report.key_restored {
                emit("the backup holds the shop key: give --key-passphrase-file to restore it too\n");
            }
            Exit::Ok
        }
        Err(error @ (CoreError::Invalid { .. } | CoreError::StoreTooNew { .. } | CoreError::KeyInUse)) => {
            fail(Exit::Warnings, format!("not restored, the store is unchanged: {error}"))
        }
        Err(error) => fail(Exit::Unreadable, format!("not restored, the store is unchanged: {error}")),
    }
}
