//! Cost commands: parts fitted and labour corrections against the job's quote.

use revive_core::jobs::costs::{self, JobCosts, LaborAdjustmentForm, PartForm};
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

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
