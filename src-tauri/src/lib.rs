//! The Revive desktop shell: opens the store in the data directory and exposes the core to the UI.

mod commands;
mod ipc_error;

use std::path::PathBuf;

use revive_core::store::Store;
use tauri::Manager;

pub use commands::AppState;
pub use ipc_error::IpcError;

/// Overrides where the store lives (tests give every run its own directory).
pub const DATA_DIR_VARIABLE: &str = "REVIVE_DATA_DIR";

/// Opens the store, keeping the failure as state so the window can explain it.
pub fn open_state(data_dir: PathBuf) -> AppState {
    let store = Store::open_in_dir(&data_dir).map_err(IpcError::from);
    AppState { data_dir, store }
}

/// Registers every command the UI may call; the ACL in `capabilities/` decides which window gets which.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::list_models,
        commands::get_settings,
        commands::save_settings,
        commands::intake_job,
        commands::list_jobs,
        commands::get_job,
        commands::change_job_status,
    ])
}

pub fn run() {
    let app = with_commands(tauri::Builder::default())
        .setup(|app| {
            let data_dir = match std::env::var_os(DATA_DIR_VARIABLE) {
                Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                _ => app.path().app_data_dir()?,
            };
            app.manage(open_state(data_dir));
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("Revive could not start: {error}");
            std::process::exit(1);
        }
    }
}
