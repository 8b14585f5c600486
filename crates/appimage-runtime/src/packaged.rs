//! The SHA-256 of the image `make package` appended, which it writes into this program's read-only
//! data right after `MARK`: an image changed or damaged since (a bad download, an edit) never runs.

use std::io::{Seek, SeekFrom};

use sha2::{Digest, Sha256};

use crate::{AppImage, RuntimeError};

/// Found exactly once in the runtime program; the 32 bytes after it are the image's digest.
pub const MARK: &[u8; 32] = b"revive-appimage-image-sha256:\0\0\0";

#[repr(C)]
struct Packaged {
    mark: [u8; 32],
    digest: [u8; 32],
}

#[used]
static PACKAGED: Packaged = Packaged { mark: *MARK, digest: [0; 32] };

/// The digest of `appimage`'s image, once it is the one packaged.
pub fn verified(appimage: &AppImage) -> Result<[u8; 32], RuntimeError> {
    let read = |source| RuntimeError::Read { path: appimage.path.clone(), source };
    let mut file = appimage.reader()?;
    file.seek(SeekFrom::Start(appimage.offset)).map_err(read)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(read)?;
    let digest: [u8; 32] = hasher.finalize().into();
    // SAFETY: a plain read of a static. Volatile: from the program as loaded and patched, never
    // from what the compiler knew (zeros).
    let packaged = unsafe { std::ptr::read_volatile(&PACKAGED.digest) };
    if digest != packaged {
        let problem = if packaged == [0; 32] {
            "no image was packaged with this runtime"
        } else {
            "it is not the image packaged"
        };
        return Err(RuntimeError::Damaged { path: appimage.path.clone(), problem: problem.into() });
    }
    Ok(digest)
}
