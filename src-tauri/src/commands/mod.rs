//! Tauri commands, one module per domain as the core has them: each takes the webview's arguments,
//! hands them to the core and maps the result. No domain logic lives here.

pub mod bench;
pub mod certificates;
pub mod costs;
pub mod history;
pub mod jobs;
pub mod papers;
pub mod procedures;
pub mod settings;
pub mod shop;
pub mod stress;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use revive_certificate_pdf::CertificateRenderer;
use revive_core::bench::{SimulatedBench, Workbench};
use revive_core::settings::Technician;
use revive_core::store::SCHEMA_VERSION;
use revive_core::stress::desk::StressDesk;
use revive_core::workshop::Workshop;
use serde::Serialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// The shop's workshop, or why it could not be opened (shown to the technician instead of a
/// crash), and the bench with what ships for it.
pub struct AppState {
    pub data_dir: PathBuf,
    pub workshop: Result<Workshop, IpcError>,
    pub bench: Mutex<Workbench>,
    pub simulated: SimulatedBench,
    pub fonts: PathBuf,
    pub renderer: Mutex<Option<Arc<CertificateRenderer>>>,
    /// Set to stop the export that is running.
    pub export_cancelled: AtomicBool,
    /// The stress run going on this bench, or the outcomes of the last.
    pub stress: StressDesk,
    /// How the last push to the shop server went (see `shop::SYNC_EVERY`).
    pub sync: Mutex<revive_shop::sync::SyncStatus>,
    /// The window's connection to the shop server, kept between its calls.
    pub shop_connection: Mutex<revive_shop::server::LinkedConnection>,
    /// Where the pages of the whole shop's history begin, as far as they have been read.
    pub shop_history: Mutex<revive_shop::history::PageAnchors>,
}

impl AppState {
    pub(crate) fn shop(&self) -> Result<&Workshop, IpcError> {
        self.workshop.as_ref().map_err(Clone::clone)
    }

    /// The technician at this bench, from Settings: who the action is logged under.
    pub(crate) fn technician(&self) -> Result<Technician, IpcError> {
        Ok(self.shop()?.technician()?)
    }

    pub(crate) fn bench(&self) -> std::sync::MutexGuard<'_, Workbench> {
        self.bench.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    version: &'static str,
    data_dir: String,
    /// Where the log of failures is, for a technician to send.
    log_dir: String,
    schema_version: i64,
    /// Set when the store could not be opened; every other command then fails with it too.
    store_error: Option<IpcError>,
    /// What the simulated bench runs on: the installed package's files, or a checkout's.
    simulated_driver: String,
    scenarios_dir: String,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir.display().to_string(),
        log_dir: crate::logging::log_dir(&state.data_dir).display().to_string(),
        schema_version: SCHEMA_VERSION,
        store_error: state.workshop.as_ref().err().cloned(),
        simulated_driver: state.simulated.library.display().to_string(),
        scenarios_dir: state.simulated.scenarios.display().to_string(),
    }
}
