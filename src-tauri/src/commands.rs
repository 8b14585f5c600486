//! Tauri commands: each takes the webview's arguments, hands them to the core and maps the result.
//! No domain logic lives here.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use revive_certificate_pdf::CertificateRenderer;

use revive_core::attachments;
use revive_core::bench::{BenchView, KernelLogImport, ScenarioInfo, SimulatedBench, Workbench};
use revive_core::costs::{self, JobCosts, LaborAdjustmentForm, PartForm};
use revive_core::intake::IntakeForm;
use revive_core::jobs::{Job, JobQuery, JobSummary, Jobs, StatusChange};
use revive_core::models::{GpuModel, ModelCatalog};
use revive_core::procedures::runs::{self as procedure_run_states, Answer, RunState};
use revive_core::procedures::{self, ProcedureChoices};
use revive_core::runs::{self, DiagnosticRun, JobDiagnostics};
use revive_core::settings::{Settings, SettingsForm};
use revive_core::store::{Store, SCHEMA_VERSION};
use revive_core::telemetry::Sample;
use revive_core::{CoreError, Field, Problem};
use serde::Serialize;
use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::State;

use crate::ipc_error::IpcError;

/// The store, or why it could not be opened (shown to the technician instead of a crash), and the bench.
pub struct AppState {
    pub data_dir: PathBuf,
    pub store: Result<Store, IpcError>,
    pub bench: Mutex<Workbench>,
    pub simulated: SimulatedBench,
    pub procedures: PathBuf,
    pub fonts: PathBuf,
    pub renderer: Mutex<Option<Arc<CertificateRenderer>>>,
    /// Set to stop the export that is running.
    pub export_cancelled: AtomicBool,
}

impl AppState {
    pub(crate) fn store(&self) -> Result<&Store, IpcError> {
        self.store.as_ref().map_err(Clone::clone)
    }

    /// The technician at this bench, from Settings: who every action is logged under.
    pub(crate) fn technician(&self) -> Result<String, IpcError> {
        Ok(Settings::acting_technician(self.store()?, None)?)
    }

    fn bench(&self) -> std::sync::MutexGuard<'_, Workbench> {
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
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir.display().to_string(),
        log_dir: crate::logging::log_dir(&state.data_dir).display().to_string(),
        schema_version: SCHEMA_VERSION,
        store_error: state.store.as_ref().err().cloned(),
    }
}

#[tauri::command]
pub fn list_models() -> Result<Vec<GpuModel>, IpcError> {
    Ok(ModelCatalog::shipped()?.all().to_vec())
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings, IpcError> {
    Ok(Settings::load(state.store()?)?)
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: SettingsForm) -> Result<Settings, IpcError> {
    Ok(Settings::save(state.store()?, &settings)?)
}

/// `first_technician` names whoever takes the first card in on a bench where nobody is enrolled yet.
#[tauri::command]
pub async fn intake_job(
    state: State<'_, AppState>,
    form: IntakeForm,
    first_technician: Option<String>,
) -> Result<Job, IpcError> {
    let actor = Settings::acting_technician(state.store()?, first_technician.as_deref())?;
    Ok(Jobs::new(state.store()?)?.intake(&form, &actor)?)
}

#[tauri::command]
pub async fn list_jobs(state: State<'_, AppState>, query: JobQuery) -> Result<Vec<JobSummary>, IpcError> {
    Ok(Jobs::new(state.store()?)?.list(&query)?)
}

#[tauri::command]
pub async fn get_job(state: State<'_, AppState>, id: i64) -> Result<Job, IpcError> {
    Ok(Jobs::new(state.store()?)?.get(id)?)
}

/// Jobs still open for a serial being taken in, so intake can point at them before making another.
#[tauri::command]
pub async fn open_jobs_for_serial(state: State<'_, AppState>, serial: String) -> Result<Vec<JobSummary>, IpcError> {
    Ok(Jobs::new(state.store()?)?.open_for_serial(&serial)?)
}

#[tauri::command]
pub async fn change_job_status(state: State<'_, AppState>, id: i64, change: StatusChange) -> Result<Job, IpcError> {
    Ok(Jobs::new(state.store()?)?.change_status(id, &change, &state.technician()?)?)
}

#[tauri::command]
pub fn bench_scenarios(state: State<'_, AppState>) -> Vec<ScenarioInfo> {
    state.simulated.scenarios()
}

/// Connects the bench to the installed driver (`scenario` empty) or to a simulated-bench scenario.
#[tauri::command]
pub async fn bench_connect(state: State<'_, AppState>, scenario: String) -> Result<BenchView, IpcError> {
    let mut bench = state.bench();
    match scenario.as_str() {
        "" => bench.connect_driver(None)?,
        id => bench.connect_simulated(&state.simulated, id)?,
    }
    Ok(bench.read()?)
}

#[tauri::command]
pub async fn bench_read(state: State<'_, AppState>) -> Result<BenchView, IpcError> {
    Ok(state.bench().read()?)
}

/// Streams every GPU's telemetry to the window every `interval_ms` until unwatched or reconnected.
#[tauri::command]
pub async fn bench_watch(
    state: State<'_, AppState>,
    interval_ms: u64,
    channel: Channel<Vec<Sample>>,
) -> Result<(), IpcError> {
    // A window that went away closes its channel; the sampler just keeps its rolling window.
    Ok(state.bench().watch(interval_ms, move |batch| {
        let _ = channel.send(batch.to_vec());
    })?)
}

#[tauri::command]
pub async fn bench_unwatch(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.bench().stop_watching();
    Ok(())
}

#[tauri::command]
pub async fn bench_import_kernel_log(state: State<'_, AppState>, text: String) -> Result<KernelLogImport, IpcError> {
    Ok(state.bench().import_kernel_log(&text)?)
}

#[tauri::command]
pub async fn record_diagnostic(
    state: State<'_, AppState>,
    job_id: i64,
    gpu_index: u32,
) -> Result<DiagnosticRun, IpcError> {
    Ok(state.bench().record(state.store()?, job_id, gpu_index, &state.technician()?)?)
}

#[tauri::command]
pub async fn job_diagnostics(state: State<'_, AppState>, job_id: i64) -> Result<JobDiagnostics, IpcError> {
    Ok(runs::for_job(state.store()?, job_id)?)
}

#[tauri::command]
pub async fn procedure_choices(state: State<'_, AppState>, job_id: i64) -> Result<ProcedureChoices, IpcError> {
    Ok(procedures::choices_for_job(state.store()?, &state.procedures, job_id)?)
}

#[tauri::command]
pub async fn start_procedure(
    state: State<'_, AppState>,
    job_id: i64,
    procedure_id: String,
) -> Result<RunState, IpcError> {
    Ok(procedures::start_from_dir(state.store()?, &state.procedures, job_id, &procedure_id, &state.technician()?)?)
}

#[tauri::command]
pub async fn procedure_runs(state: State<'_, AppState>, job_id: i64) -> Result<Vec<RunState>, IpcError> {
    Ok(procedure_run_states::for_job(state.store()?, job_id)?)
}

#[tauri::command]
pub async fn procedure_run(state: State<'_, AppState>, run_id: i64) -> Result<RunState, IpcError> {
    Ok(procedure_run_states::state(state.store()?, run_id)?)
}

#[tauri::command]
pub async fn answer_step(
    state: State<'_, AppState>,
    run_id: i64,
    step_id: String,
    answer: Answer,
    note: String,
) -> Result<RunState, IpcError> {
    Ok(procedure_run_states::answer(state.store()?, run_id, &step_id, &answer, &note, &state.technician()?)?)
}

/// The photo's bytes are the raw request body and the job's id a header; the technician is the one
/// at the bench (a header could not carry a name like 王芳).
#[tauri::command]
pub async fn attach_photo(state: State<'_, AppState>, request: Request<'_>) -> Result<String, IpcError> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CoreError::invalid(Field::Photo, Problem::BadFormat).into());
    };
    let job_id: i64 = header("revive-job").parse().map_err(|_| IpcError::from(CoreError::JobNotFound(0)))?;
    Ok(attachments::attach_photo(state.store()?, &state.data_dir, job_id, bytes, &state.technician()?)?)
}

#[tauri::command]
pub async fn job_costs(state: State<'_, AppState>, job_id: i64) -> Result<JobCosts, IpcError> {
    Ok(costs::for_job(state.store()?, job_id)?)
}

#[tauri::command]
pub async fn add_part(state: State<'_, AppState>, job_id: i64, part: PartForm) -> Result<JobCosts, IpcError> {
    Ok(costs::add_part(state.store()?, job_id, &part, &state.technician()?)?)
}

#[tauri::command]
pub async fn remove_part(state: State<'_, AppState>, job_id: i64, part_id: i64) -> Result<JobCosts, IpcError> {
    Ok(costs::remove_part(state.store()?, job_id, part_id, &state.technician()?)?)
}

#[tauri::command]
pub async fn adjust_labor(
    state: State<'_, AppState>,
    job_id: i64,
    adjustment: LaborAdjustmentForm,
) -> Result<JobCosts, IpcError> {
    Ok(costs::adjust_labor(state.store()?, job_id, &adjustment, &state.technician()?)?)
}
