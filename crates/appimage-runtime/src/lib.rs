//! The program at the head of Revive's AppImage. An AppImage (type 2) is an ELF program with a
//! SquashFS image of the app's folder appended and `AI\x02` in the ELF header's padding. The
//! common runtime mounts the image with FUSE; this one unpacks it, once per user and content, into
//! a private folder and starts the folder's `AppRun` from there. That needs no FUSE, which
//! containers and locked-down benches often lack, and nothing from outside the distribution's
//! registries to build.

mod cache;
mod elf;
mod error;
mod packaged;
mod unpack;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

pub use cache::{cache_root, unpacked};
pub use elf::{appended_at, MAGIC, MAGIC_AT};
pub use error::RuntimeError;
pub use packaged::{verified, MARK};
pub use unpack::Image;

/// An AppImage being started: its path (for messages and `APPIMAGE`), the file as opened once, so
/// that an update replacing it meanwhile cannot mix two versions, and where its image starts.
pub struct AppImage {
    pub path: PathBuf,
    file: File,
    pub offset: u64,
}

impl AppImage {
    /// `file` is `path` opened (for a running AppImage, `/proc/self/exe`).
    pub fn new(path: &Path, file: File) -> Result<Self, RuntimeError> {
        let mut head = [0; 64];
        file.read_exact_at(&mut head, 0).map_err(|source| RuntimeError::Read { path: path.to_owned(), source })?;
        let offset = appended_at(&head, path)?;
        Ok(Self { path: path.to_owned(), file, offset })
    }

    /// Another handle on the same opened file, for a reader of its own.
    fn reader(&self) -> Result<File, RuntimeError> {
        self.file.try_clone().map_err(|source| RuntimeError::Read { path: self.path.clone(), source })
    }
}
