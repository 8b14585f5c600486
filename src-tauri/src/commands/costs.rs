//! Cost commands: parts fitted and labour corrections against the job's quote.

use revive_core::jobs::costs::{JobCosts, LaborAdjustmentForm, PartForm};
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub async fn job_costs(state: State<'_, AppState>, job_id: i64) -> Result<JobCosts, IpcError> {
    Ok(state.shop()?.costs().for_job(job_id)?)
}

#[tauri::command]
pub async fn add_part(state: State<'_, AppState>, job_id: i64, part: PartForm) -> Result<JobCosts, IpcError> {
    Ok(state.shop()?.costs().add_part(job_id, &part, &state.technician()?)?)
}

#[tauri::command]
pub async fn remove_part(state: State<'_, AppState>, job_id: i64, part_id: i64) -> Result<JobCosts, IpcError> {
    Ok(state.shop()?.costs().remove_part(job_id, part_id, &state.technician()?)?)
}

#[tauri::command]
pub async fn adjust_labor(
    state: State<'_, AppState>,
    job_id: i64,
    adjustment: LaborAdjustmentForm,
) -> Result<JobCosts, IpcError> {
    Ok(state.shop()?.costs().adjust_labor(job_id, &adjustment, &state.technician()?)?)
}
