//! The system's file dialogs, opened from Rust so the webview never gets a path or a file
//! permission: the commands ask here and get the path the person chose, or `None` when they closed
//! the dialog. A dialog waits for a person for as long as they like, so it waits on a thread made
//! for blocking, never on one of the few workers every other command runs on.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::ipc_error::IpcError;

/// A save dialog suggesting `file_name` in the person's documents (else home) folder, filtered to
/// its extension; a place inside the shop's data folder (`data_dir`) is refused, so nothing is ever
/// written over the store or the key. Left to itself GTK would start in the app's working folder,
/// which for the AppImage is inside the unpacked app.
pub async fn ask_save_path<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    title: String,
    file_name: String,
) -> Result<Option<PathBuf>, IpcError> {
    let mut dialog = app.dialog().file().set_title(title);
    let paths = app.path();
    let start_in = [paths.document_dir(), paths.home_dir()].into_iter().flatten().find(|folder| folder.is_dir());
    if let Some(folder) = start_in {
        dialog = dialog.set_directory(folder);
    }
    if let Some(extension) = file_name.rsplit_once('.').map(|(_, extension)| extension.to_owned()) {
        dialog = dialog.add_filter(extension.to_uppercase(), &[extension.as_str()]);
    }
    let dialog = dialog.set_file_name(file_name);
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|error| IpcError::unexpected(error.to_string()))?;
    let Some(path) = chosen.and_then(|path| path.into_path().ok()) else {
        return Ok(None);
    };
    revive_core::paths::outside_data_dir(&path, data_dir)?;
    Ok(Some(path))
}

/// An open dialog offering the files `filters` name (`("PDF", &["pdf"])`, …).
pub async fn ask_open_path<R: Runtime>(
    app: &AppHandle<R>,
    title: String,
    filters: &[(&str, &[&str])],
) -> Result<Option<PathBuf>, IpcError> {
    let dialog = filters
        .iter()
        .fold(app.dialog().file().set_title(title), |dialog, (name, extensions)| dialog.add_filter(*name, extensions));
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|error| IpcError::unexpected(error.to_string()))?;
    Ok(chosen.and_then(|path| path.into_path().ok()))
}
