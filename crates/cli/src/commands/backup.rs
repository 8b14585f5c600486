//! `revive backup` and `revive restore`: the whole store to a file and back.

use std::path::{Path, PathBuf};

use revive_core::CoreError;

use super::open_workshop;
use crate::exit::Exit;
use crate::output::{emit, fail};

/// 0 written, 5 the store or the file cannot be used.
pub fn back_up(out: &Path, data_dir: Option<PathBuf>) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    match shop.history().back_up(out) {
        Ok(()) => {
            emit(&format!("backed up to {}\n", out.display()));
            Exit::Ok
        }
        Err(error) => fail(Exit::Unreadable, format!("backup failed, nothing written: {error}")),
    }
}

/// 0 restored, 1 the file is not a backup this build can restore, 5 the store cannot be used.
pub fn restore(file: &Path, data_dir: Option<PathBuf>) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    match shop.history().restore(file) {
        Ok(kept) => {
            emit(&format!("restored from {}; the store it replaced is kept as {}\n", file.display(), kept.display()));
            Exit::Ok
        }
        Err(error @ (CoreError::Invalid { .. } | CoreError::StoreTooNew { .. })) => {
            fail(Exit::Warnings, format!("not restored, the store is unchanged: {error}"))
        }
        Err(error) => fail(Exit::Unreadable, format!("not restored, the store is unchanged: {error}")),
    }
}
