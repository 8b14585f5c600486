//! The app's folder inside the AppImage: read from the appended SquashFS image, written out under a
//! folder of ours, and checked against a folder written before.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use backhand::{FilesystemReader, InnerNode};

use crate::{AppImage, RuntimeError};

/// The SquashFS image appended to an AppImage, its listing read.
pub struct Image<'a> {
    path: PathBuf,
    filesystem: FilesystemReader<'a>,
}

impl Image<'_> {
    /// Reads the listing of `appimage`'s image.
    pub fn open(appimage: &AppImage) -> Result<Self, RuntimeError> {
        let reader = BufReader::new(appimage.reader()?);
        let filesystem = FilesystemReader::from_reader_with_offset(reader, appimage.offset)
            .map_err(|error| damaged(&appimage.path, error))?;
        Ok(Self { path: appimage.path.clone(), filesystem })
    }

    /// Writes every folder, file and link of the image under `into`, which must not exist yet, and
    /// says how many there were. Names that would leave `into`, and devices, are refused; links
    /// are made last, so no file is ever written through one.
    pub fn unpack(&self, into: &Path) -> Result<usize, RuntimeError> {
        let write = |path: &Path| {
            let path = path.to_owned();
            move |source| RuntimeError::Write { path, source }
        };
        DirBuilder::new().mode(0o700).create(into).map_err(write(into))?;
        let mut links = Vec::new();
        let mut count = 0;
        for node in self.filesystem.files() {
            let Some(relative) = inside(&node.fullpath)? else { continue };
            let target = into.join(&relative);
            match &node.inner {
                InnerNode::Dir(_) => {
                    DirBuilder::new().recursive(true).mode(0o755).create(&target).map_err(write(&target))?
                }
                InnerNode::File(file) => {
                    let mode = u32::from(node.header.permissions) & 0o777;
                    let mut out = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(mode)
                        .open(&target)
                        .map_err(write(&target))?;
                    let mut from = self.filesystem.file(file).reader();
                    let mut buffer = vec![0; 1 << 16];
                    loop {
                        let read = from.read(&mut buffer).map_err(|error| damaged(&self.path, error))?;
                        if read == 0 {
                            break;
                        }
                        out.write_all(&buffer[..read]).map_err(write(&target))?;
                    }
                }
                InnerNode::Symlink(link) => links.push((target, link.link.clone())),
                _ => return Err(RuntimeError::NotAFile(relative)),
            }
            count += 1;
        }
        for (target, link) in links {
            std::os::unix::fs::symlink(&link, &target).map_err(write(&target))?;
        }
        Ok(count)
    }

    /// Whether `folder` still holds everything the image does, each file at its size: a cleaner
    /// of the temporary folder may have taken some of an older unpacking away.
    pub fn unpacked_in(&self, folder: &Path) -> Result<bool, RuntimeError> {
        for node in self.filesystem.files() {
            let Some(relative) = inside(&node.fullpath)? else { continue };
            let Ok(found) = std::fs::symlink_metadata(folder.join(relative)) else { return Ok(false) };
            let same = match &node.inner {
                InnerNode::Dir(_) => found.is_dir(),
                InnerNode::File(file) => found.is_file() && found.size() == file.file_len() as u64,
                InnerNode::Symlink(_) => found.is_symlink(),
                _ => false,
            };
            if !same {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The path of an image's entry relative to the app's folder; `None` for the folder itself.
fn inside(fullpath: &Path) -> Result<Option<PathBuf>, RuntimeError> {
    let relative = fullpath.strip_prefix("/").unwrap_or(fullpath);
    if !relative.components().all(|part| matches!(part, Component::Normal(_))) {
        return Err(RuntimeError::Escapes(fullpath.to_owned()));
    }
    Ok((!relative.as_os_str().is_empty()).then(|| relative.to_owned()))
}

fn damaged(path: &Path, problem: impl ToString) -> RuntimeError {
    RuntimeError::Damaged { path: path.to_owned(), problem: problem.to_string() }
}
