//! History commands: a page of the filtered history, its statistics, exports with progress and
//! cancel, and backups. Files are chosen in the system's dialogs (`dialogs`); the webview never gets a path or
//! a file permission. Long work runs on a blocking thread through a connection of its own, so the
//! rest of the app keeps answering.

use std::sync::atomic::Ordering;

use revive_core::history::backup::{self, BackupReport, RestoreReport};
use revive_core::history::export::{self, CsvOptions, ExportFormat, Exported};
use revive_core::history::statistics::Statistics;
use revive_core::history::{HistoryPage, HistoryQuery};
use revive_shop::history::ShopRows;
use revive_shop::server::LinkedConnection;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};

use super::shop::on_shop_server;
use super::AppState;
use crate::dialogs::{ask_open_path, ask_save_path};
use crate::ipc_error::IpcError;

/// A page of this bench's history, or with `whole_shop` of every bench's on the shop server.
#[tauri::command]
pub async fn history_page(
    state: State<'_, AppState>,
    query: HistoryQuery,
    offset: u64,
    limit: u32,
    whole_shop: bool,
) -> Result<HistoryPage, IpcError> {
    let shop = state.shop()?;
    if whole_shop {
        let checked = query.check(shop.catalogs())?;
        let mut anchors = state.shop_history.lock().unwrap_or_else(|p| p.into_inner());
        let anchors: &mut revive_shop::history::PageAnchors = &mut anchors;
        return on_shop_server(&state, |client, link| {
            let mut page = revive_shop::history::page(client, &checked, offset, limit, anchors)?;
            shop.holding().number_here(&mut page.rows, &link.bench)?;
            Ok(page)
        });
    }
    Ok(shop.history().page(&query, offset, limit)?)
}

/// Every match counted, where a page only said "more than".
#[tauri::command]
pub async fn history_count<R: Runtime>(
    app: AppHandle<R>,
    query: HistoryQuery,
    whole_shop: bool,
) -> Result<u64, IpcError> {
    on_own_thread(app, move |state| {
        let shop = state.shop()?;
        if whole_shop {
            let checked = query.check(shop.catalogs())?;
            return on_shop_server(state, |client, _| revive_shop::history::count(client, &checked));
        }
        Ok(shop.history().count(&query)?)
    })
    .await
}

/// The statistics of this bench's history, or with `whole_shop` of every bench's, counted on the
/// shop server through a connection of their own (the screens' calls never wait on them).
#[tauri::command]
pub async fn history_statistics<R: Runtime>(
    app: AppHandle<R>,
    query: HistoryQuery,
    whole_shop: bool,
) -> Result<Statistics, IpcError> {
    on_own_thread(app, move |state| {
        let shop = state.shop()?;
        if whole_shop {
            let checked = query.check(shop.catalogs())?;
            let flow = &shop.catalogs().flow;
            return Ok(LinkedConnection::default()
                .with(shop, |client, _| revive_shop::history::statistics(client, &checked, flow))?);
        }
        Ok(shop.history().statistics(&query)?)
    })
    .await
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    file: String,
    rows: u64,
    /// `false`: cancelled, and no file was left.
    complete: bool,
}

/// Asks where to save the export and writes the jobs `query` selects there (of the whole shop,
/// from the shop server, with `whole_shop`), sending the count so far to `progress`; `None` when
/// the person closed the dialog.
#[tauri::command]
pub async fn export_history<R: Runtime>(
    app: AppHandle<R>,
    query: HistoryQuery,
    whole_shop: bool,
    format: ExportFormat,
    bom: bool,
    title: String,
    progress: Channel<u64>,
) -> Result<Option<ExportResult>, IpcError> {
    // A bad filter is said before the save dialog opens.
    let checked = query.check(app.state::<AppState>().shop()?.catalogs())?;
    let name = format!("revive-jobs.{}", format.extension());
    let data_dir = app.state::<AppState>().data_dir.clone();
    let Some(path) = ask_save_path(&app, &data_dir, title, name).await? else { return Ok(None) };
    on_own_thread(app, move |state| {
        state.export_cancelled.store(false, Ordering::SeqCst);
        let report = |rows: u64| {
            let _ = progress.send(rows);
            !state.export_cancelled.load(Ordering::SeqCst)
        };
        let shop = state.shop()?;
        let options = CsvOptions { bom };
        let exported = if whole_shop {
            // A connection of its own: a long export never holds up the screens' calls.
            LinkedConnection::default().with(shop, |client, _| {
                export::rows_to_file(&mut ShopRows { client, query: &checked }, format, options, &path, report)
            })?
        } else {
            shop.history().export(&query, format, options, &path, report)?
        };
        let file = path.display().to_string();
        Ok(Some(match exported {
            Exported::Complete { rows } => ExportResult { file, rows, complete: true },
            Exported::Cancelled { rows } => ExportResult { file, rows, complete: false },
        }))
    })
    .await
}

/// Stops the export running now at its next progress report; its file is not kept.
#[tauri::command]
pub fn cancel_export(state: State<'_, AppState>) {
    state.export_cancelled.store(true, Ordering::SeqCst);
}

/// Asks where to put a backup of the whole bench and writes it (with the shop's key, encrypted,
/// when a passphrase is given); `None` when cancelled.
#[tauri::command]
pub async fn back_up_store<R: Runtime>(
    app: AppHandle<R>,
    title: String,
    key_passphrase: Option<String>,
) -> Result<Option<BackupReport>, IpcError> {
    let data_dir = app.state::<AppState>().data_dir.clone();
    let Some(path) = ask_save_path(&app, &data_dir, title, backup::suggested_file_name()).await? else {
        return Ok(None);
    };
    on_own_thread(app, move |state| Ok(Some(state.shop()?.history().back_up(&path, key_passphrase.as_deref())?))).await
}

/// Asks for a backup file and replaces the bench with it (its key too, when the passphrase opens
/// it); `None` when cancelled.
#[tauri::command]
pub async fn restore_store<R: Runtime>(
    app: AppHandle<R>,
    title: String,
    key_passphrase: Option<String>,
) -> Result<Option<RestoreReport>, IpcError> {
    let filters: &[(&str, &[&str])] = &[("Revive", &["revive-backup", "sqlite3", "sqlite", "db"])];
    let Some(path) = ask_open_path(&app, title, filters).await? else { return Ok(None) };
    on_own_thread(app, move |state| Ok(Some(state.shop()?.history().restore(&path, key_passphrase.as_deref())?))).await
}

/// Runs `work` on a thread made for blocking work, with the app's state.
async fn on_own_thread<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    work: impl FnOnce(&AppState) -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(move || work(&app.state::<AppState>()))
        .await
        .map_err(|error| IpcError::unexpected(error.to_string()))?
}
