//! Procedure commands: the procedures a job may run, starting one, its runs and answering steps.

use revive_core::procedures::runs::{self, Answer, RunState};
use revive_core::procedures::{self, ProcedureChoices};
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

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
    Ok(runs::for_job(state.store()?, job_id)?)
}

#[tauri::command]
pub async fn procedure_run(state: State<'_, AppState>, run_id: i64) -> Result<RunState, IpcError> {
    Ok(runs::state(state.store()?, run_id)?)
}

#[tauri::command]
pub async fn answer_step(
    state: State<'_, AppState>,
    run_id: i64,
    step_id: String,
    answer: Answer,
    note: String,
) -> Result<RunState, IpcError> {
    Ok(runs::answer(state.store()?, run_id, &step_id, &answer, &note, &state.technician()?)?)
}
