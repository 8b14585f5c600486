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
    #[error("cannot start {path}: {source}; a folder on a file system mounted noexec, or a security policy, can stop programs there: set XDG_CACHE_HOME to another folder / 无法启动 {path}，请将 XDG_CACHE_HOME 设为其他文件夹")]
    Start { path: PathBuf, source: std::io::Error },
    #[error("{0} is in the way: it is not a folder of yours that only you can write; remove it / 该文件夹不属于当前用户或他人可写，请删除后重试")]
    NotYours(PathBuf),
}
