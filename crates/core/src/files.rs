//! Files that appear complete or not at all: written under a random temporary name beside the target,
//! flushed to disk, then renamed over it. A crash or a cancelled export never leaves half a file
//! under the name someone will open.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; customers' names, photos and the shop's records are in what Revive
/// writes, so every such file is readable by its owner only.
pub struct AtomicFile {
    target: PathBuf,
    partial: Option<NamedTempFile>,
}

impl AtomicFile {
    /// Starts the file under a random name beside `target`, created new (never through a link left
    /// there) and readable by its owner only; nothing exists under `target` until [`AtomicFile::commit`].
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let folder = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if target.file_name().is_none() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no file name"));
        }
        let partial = tempfile::Builder::new().prefix(".revive-").suffix(".partial").tempfile_in(folder)?;
        Ok(AtomicFile { target: target.to_path_buf(), partial: Some(partial) })
    }

    /// Flushes the content to disk and puts it under its name, replacing what was there.
    pub fn commit(self) -> io::Result<()> {
        self.finish(false)
    }

    /// As [`AtomicFile::commit`], but fails with `AlreadyExists` if something is under the name:
    /// what is there (another process's key, say) is never replaced.
    pub fn commit_new(self) -> io::Result<()> {
        self.finish(true)
    }

    fn finish(mut self, keep_existing: bool) -> io::Result<()> {
        let partial = self.partial.take().ok_or_else(|| io::Error::other("already committed"))?;
        partial.as_file().sync_all()?;
        if keep_existing {
            partial.persist_noclobber(&self.target).map_err(|error| error.error)?;
        } else {
            partial.persist(&self.target).map_err(|error| error.error)?;
        }
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
        self.partial.as_mut().ok_or_else(|| io::Error::other("already committed"))?.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.partial.as_mut().map_or(Ok(()), Write::flush)
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
    fn a_file_is_the_owners_only_and_two_writes_to_one_name_never_share_a_partial_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("王芳-export.csv");
        let mut first = AtomicFile::create(&target).unwrap();
        let mut second = AtomicFile::create(&target).unwrap();
        first.write_all(b"first").unwrap();
        second.write_all(b"second").unwrap();
        first.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        second.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_new_file_never_replaces_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("key");
        std::fs::write(&target, b"theirs").unwrap();
        let mut ours = AtomicFile::create(&target).unwrap();
        ours.write_all(b"ours").unwrap();
        assert_eq!(ours.commit_new().unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no partial file is left");
    }
}
