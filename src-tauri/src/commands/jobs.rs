//! Job commands: the model catalogue, intake (warning of a serial's open jobs), the job list and
//! detail, status moves, and photos attached to a job.

use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::{Job, JobQuery, JobSummary, StatusChange};
use revive_core::models::GpuModel;
use revive_core::{CoreError, Field, Problem};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub fn list_models(state: State<'_, AppState>) -> Result<Vec<GpuModel>, IpcError> {
    Ok(state.shop()?.catalogs().models.all().to_vec())
}

/// `first_technician` names whoever takes the first card in on a bench where nobody is enrolled yet.
#[tauri::command]
pub async fn intake_job(
    state: State<'_, AppState>,
    form: IntakeForm,
    first_technician: Option<String>,
) -> Result<Job, IpcError> {
    let shop = state.shop()?;
    let technician = match first_technician {
        Some(first) => shop.technician_or_first(&first)?,
        None => shop.technician()?,
    };
    Ok(shop.jobs().intake(&form, &technician)?)
}

#[tauri::command]
pub async fn list_jobs(state: State<'_, AppState>, query: JobQuery) -> Result<Vec<JobSummary>, IpcError> {
    Ok(state.shop()?.jobs().list(&query)?)
}

#[tauri::command]
pub async fn get_job(state: State<'_, AppState>, id: i64) -> Result<Job, IpcError> {
    Ok(state.shop()?.jobs().get(id)?)
}

/// The job a scanned label names, typed into any search by a USB scanner; `None` when the text is
/// not a label code, so the search goes on.
#[tauri::command]
pub async fn job_for_label(state: State<'_, AppState>, scanned: String) -> Result<Option<i64>, IpcError> {
    Ok(state.shop()?.jobs().for_label(&scanned)?)
}

/// Jobs still open for a serial being taken in, so intake can point at them before making another.
#[tauri::command]
pub async fn open_jobs_for_serial(state: State<'_, AppState>, serial: String) -> Result<Vec<JobSummary>, IpcError> {
    Ok(state.shop()?.jobs().open_for_serial(&serial)?)
}

#[tauri::command]
pub async fn change_job_status(state: State<'_, AppState>, id: i64, change: StatusChange) -> Result<Job, IpcError> {
    Ok(state.shop()?.jobs().change_status(id, &change, &state.technician()?)?)
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
    Ok(state.shop()?.photos().attach(job_id, bytes, &state.technician()?)?)
}
