//! Files that appear complete or not at all: written under a temporary name beside the target,
//! flushed to disk, then renamed over it. A crash or a cancelled export never leaves half a file
//! under the name someone will open.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct AtomicFile {
    target: PathBuf,
    partial: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Starts the file; nothing exists under `target` until [`AtomicFile::commit`].
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        Self::create_with_mode(target, 0o644)
    }

    /// As [`AtomicFile::create`], readable and writable by its owner only (on Unix).
    pub fn create_private(target: &Path) -> io::Result<AtomicFile> {
        Self::create_with_mode(target, 0o600)
    }

    fn create_with_mode(target: &Path, mode: u32) -> io::Result<AtomicFile> {
        let name = target.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let mut partial_name = std::ffi::OsString::from(".");
        partial_name.push(name);
        partial_name.push(format!(".{}.partial", std::process::id()));
        let partial = target.with_file_name(partial_name);
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let file = options.open(&partial)?;
        Ok(AtomicFile { target: target.to_path_buf(), partial, file: Some(file) })
    }

    /// Flushes the content to disk and puts it under its name.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        std::fs::rename(&self.partial, &self.target)?;
        sync_folder_of(&self.target)
    }
}

/// Makes a rename to `path` durable: the folder holding it is synced (where the platform allows).
pub(crate) fn sync_folder_of(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|dir| dir.sync_all());
    }
    Ok(())
}

/// Creates an empty file at `path` readable and writable by its owner only, refusing anything
/// already there (a file, or a link someone left to be followed).
pub(crate) fn create_private(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.as_mut().ok_or_else(|| io::Error::other("already committed"))?.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for AtomicFile {
    /// Not committed (an error, a cancel): the partial file goes.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(target)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_a_dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("RC-2026-000001.pdf");
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"%PDF-").unwrap();
        assert!(!target.exists());
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the partial file was removed");

        std::fs::write(&target, b"old").unwrap();
        write_atomically(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("key");
        let mut file = AtomicFile::create_private(&target).unwrap();
        file.write_all(&[7; 32]).unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
