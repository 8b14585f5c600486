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
use revive_core::paths::Shipped;
use revive_core::workshop::Workshop;
use tauri::Manager;

pub use commands::AppState;
pub use ipc_error::IpcError;

/// Opens the shop's workshop, keeping the failure as state so the window can explain it, creates
/// the shop's signing key on first run, and connects the bench to the installed NVIDIA driver if
/// there is one (the Bench screen offers the simulated bench if not).
pub fn open_state(data_dir: PathBuf, shipped: Shipped) -> AppState {
    let workshop = Workshop::open(&data_dir, shipped.clone()).map_err(IpcError::from);
    // A key that cannot be made now (or is missing after certificates were issued) is reported
    // where it is needed: issuing and Settings.
    if let Ok(shop) = &workshop {
        let _ = shop.certificates().key();
    }
    let mut bench = Workbench::default();
    // No driver is a normal state on a bench PC without a GPU: the Bench screen explains it.
    let _ = bench.connect_driver(None);
    AppState {
        data_dir,
        workshop,
        bench: Mutex::new(bench),
        simulated: SimulatedBench { library: shipped.fake_nvml, scenarios: shipped.scenarios },
        fonts: shipped.fonts,
        renderer: Mutex::new(None),
        export_cancelled: AtomicBool::new(false),
        stress: Default::default(),
        sync: Default::default(),
        shop_connection: Default::default(),
        shop_history: Default::default(),
    }
}

/// Registers every command the UI may call; the ACL in `capabilities/` decides which window gets which.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::jobs::list_models,
        commands::settings::get_settings,
        commands::settings::save_settings,
        commands::settings::pin_states,
        commands::settings::set_pin,
        commands::settings::reset_pin,
        commands::jobs::intake_job,
        commands::jobs::list_jobs,
        commands::jobs::get_job,
        commands::jobs::open_jobs_for_serial,
        commands::jobs::job_for_label,
        commands::papers::paper_preview,
        commands::papers::issue_paper,
        commands::papers::save_paper_pdf,
        commands::papers::print_paper,
        commands::jobs::change_job_status,
        commands::bench::bench_scenarios,
        commands::bench::bench_connect,
        commands::bench::bench_read,
        commands::bench::bench_watch,
        commands::bench::bench_unwatch,
        commands::bench::bench_import_kernel_log,
        commands::bench::record_diagnostic,
        commands::bench::approve_identity,
        commands::bench::job_diagnostics,
        commands::stress::stress_start,
        commands::stress::stress_cancel,
        commands::stress::stress_record,
        commands::stress::job_stress_runs,
        commands::stress::stress_import,
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
        commands::certificates::revoke_certificate,
        commands::certificates::export_status_list,
        commands::certificates::verify_certificate_payload,
        commands::certificates::verify_certificate_file,
        commands::certificates::load_status_list,
        commands::history::history_page,
        commands::history::history_count,
        commands::history::history_statistics,
        commands::history::export_history,
        commands::history::cancel_export,
        commands::history::back_up_store,
        commands::history::restore_store,
        commands::shop::shop_link,
        commands::shop::save_shop_link,
        commands::shop::forget_shop_link,
        commands::shop::test_room,
        commands::shop::test_room_schedule,
        commands::shop::test_room_cancel,
        commands::shop::shop_sync_status,
        commands::shop::shop_benches,
        commands::shop::shop_take_job,
        commands::shop::job_away,
        commands::shop::shop_conflicts,
        commands::shop::shop_settle_conflict,
    ])
}

pub fn run() {
    let app = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // The same folder the CLI opens: one resolver in the core.
            let data_dir = revive_core::paths::data_dir().ok_or("no data folder: set REVIVE_DATA_DIR")?;
            if !logging::start(&data_dir) {
                eprintln!("Revive: cannot write the log in {}", logging::log_dir(&data_dir).display());
            }
            // What ships with the app, found the way every front end finds it.
            let shipped = Shipped::resolve(app.path().resource_dir().ok().as_deref());
            app.manage(open_state(data_dir, shipped));
            commands::shop::keep_pushing(app.handle().clone());
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
