//! Procedure commands: the procedures a job may run, starting one, its runs and answering steps.

use revive_core::pins::Signature;
use revive_core::procedures::runs::{Answer, RunState};
use revive_core::procedures::ProcedureChoices;
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub async fn procedure_choices(state: State<'_, AppState>, job_id: i64) -> Result<ProcedureChoices, IpcError> {
    Ok(state.shop()?.procedure_runs().choices(job_id)?)
}

#[tauri::command]
pub async fn start_procedure(
    state: State<'_, AppState>,
    job_id: i64,
    procedure_id: String,
) -> Result<RunState, IpcError> {
    Ok(state.shop()?.procedure_runs().start(job_id, &procedure_id, &state.technician()?)?)
}

#[tauri::command]
pub async fn procedure_runs(state: State<'_, AppState>, job_id: i64) -> Result<Vec<RunState>, IpcError> {
    Ok(state.shop()?.procedure_runs().for_job(job_id)?)
}

#[tauri::command]
pub async fn procedure_run(state: State<'_, AppState>, run_id: i64) -> Result<RunState, IpcError> {
    Ok(state.shop()?.procedure_runs().state(run_id)?)
}

#[tauri::command]
pub async fn answer_step(
    state: State<'_, AppState>,
    run_id: i64,
    step_id: String,
    answer: Answer,
    note: String,
    signature: Option<Signature>,
) -> Result<RunState, IpcError> {
    let shop = state.shop()?;
    let signer = signature.map(|signature| shop.pins().check(&signature)).transpose()?;
    Ok(shop.procedure_runs().answer(run_id, &step_id, &answer, &note, &state.technician()?, signer.as_ref())?)
}
