//! Where an AppImage's app runs from: `<temporary folder>/.mount_Revive<uid>-<digest>`, one folder
//! per user and image content, kept for the next start. `.mount_` is where an AppImage's app runs
//! from under the common runtime (Tauri checks for it); the digest of the image means an updated
//! AppImage never starts the old app.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::unpack::Image;
use crate::{verified, AppImage, RuntimeError};

/// What is at the folder's name.
enum Place {
    Free,
    /// A folder of this user's that nobody else can write.
    Ours,
    /// Anything else: another user's folder, one others can write, a link.
    Taken,
}

/// The folder `appimage` is unpacked in, under `temp`: the one an earlier start left when it is
/// still whole and only this user can write it, else a new one. A start that dies half-way leaves
/// only its own staging folder, never a half-written app. When something else holds the name
/// (someone else made it first), the app is unpacked afresh into a folder of a random name, kept
/// for this start alone: never run from, and never blocked by, what another user put there.
pub fn unpacked(appimage: &AppImage, temp: &Path) -> Result<PathBuf, RuntimeError> {
    let digest: String = verified(appimage)?[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    // The owner of this process's own /proc entry is who runs it; std has no getuid.
    let uid = std::fs::metadata("/proc/self")
        .map_err(|source| RuntimeError::Read { path: "/proc/self".into(), source })?
        .uid();
    let folder = temp.join(format!(".mount_Revive{uid}-{digest}"));
    let write = |path: &Path| {
        let path = path.to_owned();
        move |source| RuntimeError::Write { path, source }
    };

    let contents = Image::open(appimage)?;
    match place(&folder, uid)? {
        Place::Ours if contents.unpacked_in(&folder)? => return Ok(folder),
        Place::Ours => std::fs::remove_dir_all(&folder).map_err(write(&folder))?,
        Place::Free => {}
        Place::Taken => {
            let own = tempfile::Builder::new()
                .prefix(".mount_Revive")
                .permissions(private())
                .tempdir_in(temp)
                .map_err(write(temp))?;
            let app = own.keep().join("app");
            contents.unpack(&app)?;
            return Ok(app);
        }
    }
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-Revive")
        .permissions(private())
        .tempdir_in(temp)
        .map_err(write(temp))?;
    let app = staging.path().join("app");
    contents.unpack(&app)?;
    match std::fs::rename(&app, &folder) {
        Ok(()) => Ok(folder),
        // Another start of the same AppImage got there first.
        Err(_) if matches!(place(&folder, uid)?, Place::Ours) && contents.unpacked_in(&folder)? => Ok(folder),
        Err(source) => Err(write(&folder)(source)),
    }
}

fn private() -> std::fs::Permissions {
    std::os::unix::fs::PermissionsExt::from_mode(0o700)
}

fn place(folder: &Path, uid: u32) -> Result<Place, RuntimeError> {
    match std::fs::symlink_metadata(folder) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Place::Free),
        Err(source) => Err(RuntimeError::Read { path: folder.to_owned(), source }),
        Ok(found) if found.is_dir() && found.uid() == uid && found.mode() & 0o022 == 0 => Ok(Place::Ours),
        Ok(_) => Ok(Place::Taken),
    }
}
