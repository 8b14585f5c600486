//! The Revive desktop shell: opens the store in the data directory and exposes the core to the UI.

#[cfg(feature = "bindings")]
pub mod bindings;
pub mod command_list;
mod commands;
mod dialogs;
mod ipc_error;
pub mod logging;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use revive_core::bench::{SimulatedBench, Workbench};
use revive_core::certificates::ShopKey;
use revive_core::store::Store;
use tauri::Manager;

pub use commands::AppState;
pub use ipc_error::IpcError;

/// Overrides where the simulated bench's fake driver library is.
pub const FAKE_NVML_VARIABLE: &str = "REVIVE_FAKE_NVML";
/// Overrides where the simulated bench's scenarios are.
pub const SCENARIOS_VARIABLE: &str = "REVIVE_SCENARIOS";
/// Overrides where the repair procedures are (a shop keeps its own there).
pub const PROCEDURES_VARIABLE: &str = "REVIVE_PROCEDURES";
/// Overrides where the certificate's fonts are.
pub const FONTS_VARIABLE: &str = "REVIVE_FONTS";

/// Opens the store, keeping the failure as state so the window can explain it, creates the shop's
/// signing key on first run, and connects the bench to the installed NVIDIA driver if there is one
/// (the Bench screen offers the simulated bench if not).
pub fn open_state(data_dir: PathBuf, folders: DataFolders) -> AppState {
    let store = Store::open_in_dir(&data_dir).map_err(IpcError::from);
    // A key that cannot be made now is reported where it is needed: issuing and Settings.
    let _ = ShopKey::load_or_create(&data_dir);
    let mut bench = Workbench::default();
    // No driver is a normal state on a bench PC without a GPU: the Bench screen explains it.
    let _ = bench.connect_driver(None);
    AppState {
        data_dir,
        store,
        bench: Mutex::new(bench),
        simulated: folders.simulated,
        procedures: folders.procedures,
        fonts: folders.fonts,
        renderer: Mutex::new(None),
        export_cancelled: AtomicBool::new(false),
    }
}

/// Where the app finds what ships beside it.
pub struct DataFolders {
    pub simulated: SimulatedBench,
    pub procedures: PathBuf,
    pub fonts: PathBuf,
}

/// A shipped data folder: the variable's path, else the bundled resource, else the repository's
/// copy in a development build.
fn data_folder(variable: &str, resources: Option<&PathBuf>, name: &str, repository: &str) -> PathBuf {
    let from_env = std::env::var_os(variable).filter(|v| !v.is_empty()).map(PathBuf::from);
    let bundled = resources.map(|dir| dir.join(name)).filter(|dir| dir.is_dir());
    from_env.or(bundled).unwrap_or_else(|| PathBuf::from(repository))
}

/// The fake driver is built next to the app; scenarios and procedures ship with it.
pub fn data_folders(resources: Option<PathBuf>) -> DataFolders {
    let beside_app = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.to_path_buf()));
    let library_name = format!("{}nvidia_ml_fake{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let library = std::env::var_os(FAKE_NVML_VARIABLE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| beside_app.map(|dir| dir.join(&library_name)))
        .unwrap_or_else(|| PathBuf::from(&library_name));
    let scenarios = data_folder(
        SCENARIOS_VARIABLE,
        resources.as_ref(),
        "scenarios",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"),
    );
    let procedures = data_folder(
        PROCEDURES_VARIABLE,
        resources.as_ref(),
        "procedures",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../procedures"),
    );
    let fonts =
        data_folder(FONTS_VARIABLE, resources.as_ref(), "fonts", concat!(env!("CARGO_MANIFEST_DIR"), "/../fonts"));
    DataFolders { simulated: SimulatedBench { library, scenarios }, procedures, fonts }
}

/// Registers every command the UI may call; the ACL in `capabilities/` decides which window gets which.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::jobs::list_models,
        commands::settings::get_settings,
        commands::settings::save_settings,
        commands::jobs::intake_job,
        commands::jobs::list_jobs,
        commands::jobs::get_job,
        commands::jobs::open_jobs_for_serial,
        commands::jobs::change_job_status,
        commands::bench::bench_scenarios,
        commands::bench::bench_connect,
        commands::bench::bench_read,
        commands::bench::bench_watch,
        commands::bench::bench_unwatch,
        commands::bench::bench_import_kernel_log,
        commands::bench::record_diagnostic,
        commands::bench::job_diagnostics,
        commands::procedures::procedure_choices,
        commands::procedures::start_procedure,
        commands::procedures::procedure_runs,
        commands::procedures::procedure_run,
        commands::procedures::answer_step,
        commands::jobs::attach_photo,
        commands::costs::job_costs,
        commands::costs::add_part,
        commands::costs::remove_part,
        commands::costs::adjust_labor,
        commands::certificates::shop_key,
        commands::certificates::issue_certificate,
        commands::certificates::job_certificates,
        commands::certificates::certificate_preview,
        commands::certificates::save_certificate_pdf,
        commands::certificates::export_public_key,
        commands::certificates::verify_certificate_payload,
        commands::certificates::verify_certificate_file,
        commands::history::history_page,
        commands::history::history_count,
        commands::history::history_statistics,
        commands::history::export_history,
        commands::history::cancel_export,
        commands::history::back_up_store,
        commands::history::restore_store,
    ])
}

pub fn run() {
    let app = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // The same folder the CLI opens: one resolver in the core.
            let data_dir = revive_core::paths::data_dir().ok_or("no data folder: set REVIVE_DATA_DIR")?;
            // Kept until the app ends; dropping it flushes the log.
            app.manage(logging::start(&data_dir));
            app.manage(open_state(data_dir, data_folders(app.path().resource_dir().ok())));
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
