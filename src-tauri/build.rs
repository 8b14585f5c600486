//! Declares the app's own commands so each gets an ACL permission that capabilities must grant.

const COMMANDS: &[&str] = &[
    "app_info",
    "list_models",
    "get_settings",
    "save_settings",
    "intake_job",
    "list_jobs",
    "get_job",
    "open_jobs_for_serial",
    "change_job_status",
    "bench_scenarios",
    "bench_connect",
    "bench_read",
    "bench_watch",
    "bench_unwatch",
    "bench_import_kernel_log",
    "record_diagnostic",
    "job_diagnostics",
    "procedure_choices",
    "start_procedure",
    "procedure_runs",
    "procedure_run",
    "answer_step",
    "attach_photo",
    "job_costs",
    "add_part",
    "remove_part",
    "adjust_labor",
    "shop_key",
    "issue_certificate",
    "job_certificates",
    "certificate_preview",
    "save_certificate_pdf",
    "export_public_key",
    "verify_certificate_payload",
    "verify_certificate_file",
    "history_page",
    "history_count",
    "history_statistics",
    "export_history",
    "cancel_export",
    "back_up_store",
    "restore_store",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build configuration is valid");
}
