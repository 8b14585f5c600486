use std::path::PathBuf;

/// Why the AppImage cannot start. Said in English and Chinese: the app, and its message catalog,
/// is not running yet.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read {path}: {source} / 无法读取 {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0} is not an AppImage of Revive: its head is not a 64-bit ELF program / 这不是 Revive 的 AppImage")]
    NotElf(PathBuf),
    #[error("the app inside {path} is damaged ({problem}): download it again / AppImage 内的程序已损坏，请重新下载")]
    Damaged { path: PathBuf, problem: String },
    #[error("the app's file {0} would land outside its folder: the AppImage was tampered with / AppImage 已被篡改")]
    Escapes(PathBuf),
    #[error(
        "the app's file {0} is a device, pipe or socket, which an app never ships / AppImage 含有不允许的文件类型"
    )]
    NotAFile(PathBuf),
    #[error("cannot write {path}: {source} / 无法写入 {path}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot start {path}: {source} / 无法启动 {path}")]
    Start { path: PathBuf, source: std::io::Error },
    #[error("{0} does not let programs run (mounted noexec): start the AppImage with TMPDIR set to a folder that does, e.g. TMPDIR=~/.cache / 临时文件夹不允许运行程序，请设置 TMPDIR 后重试")]
    NoExec(PathBuf),
}
