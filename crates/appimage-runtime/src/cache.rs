//! Where an AppImage's app runs from: `<cache>/revive/appimage/<digest>`, one folder per image
//! content in the person's own cache folder (`$XDG_CACHE_HOME`, else `~/.cache`), kept for the
//! next start. Not the shared temporary folder, where another user could take the name first, a
//! cleaner could take files away, and programs are often not allowed to run; the digest of the
//! image means an updated AppImage never starts the old app.

use std::fs::DirBuilder;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::unpack::Image;
use crate::{verified, AppImage, RuntimeError};

/// The folder this user's unpacked AppImages live in; the temporary folder only when there is no
/// home to put them in.
pub fn cache_root() -> PathBuf {
    let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    match absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".cache"))) {
        Some(cache) => cache.join("revive").join("appimage"),
        None => std::env::temp_dir().join(format!("revive-appimage-{}", uid().unwrap_or_default())),
    }
}

/// The folder `appimage` is unpacked in, under `root`: the one an earlier start left when it is
/// still whole, else a new one. A start that dies half-way leaves only its own staging folder,
/// never a half-written app; anything in the folder's place that is not a folder only this user
/// can write (a link, one others can write) is refused, never run.
pub fn unpacked(appimage: &AppImage, root: &Path) -> Result<PathBuf, RuntimeError> {
    let digest: String = verified(appimage)?[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    let contents = Image::open(appimage)?;
    let write = |path: &Path| {
        let path = path.to_owned();
        move |source| RuntimeError::Write { path, source }
    };
    let uid = uid()?;
    DirBuilder::new().recursive(true).mode(0o700).create(root).map_err(write(root))?;
    if !ours(root, uid)? {
        return Err(RuntimeError::NotYours(root.to_owned()));
    }
    let folder = root.join(digest);
    if ours(&folder, uid)? {
        if contents.unpacked_in(&folder)? {
            return Ok(folder);
        }
        std::fs::remove_dir_all(&folder).map_err(write(&folder))?;
    }
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir_in(root)
        .map_err(write(root))?;
    let app = staging.path().join("app");
    contents.unpack(&app)?;
    match std::fs::rename(&app, &folder) {
        Ok(()) => Ok(folder),
        // Another start of the same AppImage got there first.
        Err(_) if ours(&folder, uid)? && contents.unpacked_in(&folder)? => Ok(folder),
        Err(source) => Err(write(&folder)(source)),
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

/// Who runs this process: the owner of its own /proc entry (std has no getuid).
fn uid() -> Result<u32, RuntimeError> {
    let me = Path::new("/proc/self");
    Ok(std::fs::metadata(me).map_err(|source| RuntimeError::Read { path: me.to_owned(), source })?.uid())
}
