//! Where an AppImage's app runs from: `<temporary folder>/.mount_Revive<uid>-<digest>`, one folder
//! per user and image content, kept for the next start. `.mount_` is where an AppImage's app runs
//! from under the common runtime (Tauri checks for it); the digest of the image means an updated
//! AppImage never starts the old app.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::unpack::Image;
use crate::{verified, RuntimeError};

/// The folder the image at `offset` in the AppImage `image` is unpacked in, under `temp`: the one
/// an earlier start left when it is still whole and only this user can write it, else a new one.
/// A start that dies half-way leaves only its own staging folder, never a half-written app.
pub fn unpacked(image: &Path, offset: u64, temp: &Path) -> Result<PathBuf, RuntimeError> {
    let digest: String = verified(image, offset)?[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    // The owner of this process's own /proc entry is who runs it; std has no getuid.
    let uid = std::fs::metadata("/proc/self")
        .map_err(|source| RuntimeError::Read { path: "/proc/self".into(), source })?
        .uid();
    let folder = temp.join(format!(".mount_Revive{uid}-{digest}"));

    let contents = Image::open(image, offset)?;
    if ours(&folder, uid)? {
        if contents.unpacked_in(&folder)? {
            return Ok(folder);
        }
        std::fs::remove_dir_all(&folder).map_err(|source| RuntimeError::Write { path: folder.clone(), source })?;
    }
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-Revive")
        .tempdir_in(temp)
        .map_err(|source| RuntimeError::Write { path: temp.to_owned(), source })?;
    let app = staging.path().join("app");
    contents.unpack(&app)?;
    match std::fs::rename(&app, &folder) {
        Ok(()) => Ok(folder),
        // Another start of the same AppImage got there first.
        Err(_) if ours(&folder, uid)? && contents.unpacked_in(&folder)? => Ok(folder),
        Err(source) => Err(RuntimeError::Write { path: folder, source }),
    }
}

/// Whether `folder` is a folder of `uid`'s that nobody else can write; `false` when there is none,
/// an error when something else is in its place.
fn ours(folder: &Path, uid: u32) -> Result<bool, RuntimeError> {
    match std::fs::symlink_metadata(folder) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(RuntimeError::Read { path: folder.to_owned(), source }),
        Ok(found) if found.is_dir() && found.uid() == uid && found.mode() & 0o022 == 0 => Ok(true),
        Ok(_) => Err(RuntimeError::NotYours(folder.to_owned())),
    }
}
