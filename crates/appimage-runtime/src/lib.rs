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

pub use cache::unpacked;
pub use elf::{appended_at, is_appimage, MAGIC, MAGIC_AT};
pub use error::RuntimeError;
pub use packaged::{verified, MARK};
pub use unpack::Image;
