//! The system's file dialogs, opened from Rust so the webview never gets a path or a file
//! permission: the commands ask here and get the path the person chose, or `None` when they closed
//! the dialog. A dialog waits for a person for as long as they like, so it waits on a thread made
//! for blocking, never on one of the few workers every other command runs on.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};

use crate::ipc_error::IpcError;

/// A dialog titled `title` that opens in the person's documents (else home) folder. Left to itself
/// GTK would open in the app's working folder, which for the AppImage is inside the unpacked app.
fn file_dialog<R: Runtime>(app: &AppHandle<R>, title: String) -> FileDialogBuilder<R> {
    let dialog = app.dialog().file().set_title(title);
    let paths = app.path();
    match [paths.document_dir(), paths.home_dir()].into_iter().flatten().find(|folder| folder.is_dir()) {
        Some(folder) => dialog.set_directory(folder),
        None => dialog,
    }
}

/// A save dialog suggesting `file_name`, filtered to its extension; a place inside the shop's data
/// folder (`data_dir`) is refused, so nothing is ever written over the store or the key.
pub async fn ask_save_path<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    title: String,
    file_name: String,
) -> Result<Option<PathBuf>, IpcError> {
    let mut dialog = file_dialog(app, title);
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
    let dialog =
        filters.iter().fold(file_dialog(app, title), |dialog, (name, extensions)| dialog.add_filter(*name, extensions));
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|error| IpcError::unexpected(error.to_string()))?;
    Ok(chosen.and_then(|path| path.into_path().ok()))
}
