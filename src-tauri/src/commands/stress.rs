//! Stress commands: start a memory test and burn-in on the bench's GPUs with progress over a
//! channel, cancel it, record a GPU's outcome to a job, and list a job's stress runs.

use revive_core::stress::desk::DeskUpdate;
use revive_core::stress::form::StressForm;
use revive_core::stress::runs::StressRun;
use revive_core::stress::supervise::{GpuStressOutcome, Launch, StressBench, StressProgress};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

/// What the Bench's stress panel hears while a run goes.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "event", rename_all_fields = "camelCase")]
pub enum StressEvent {
    Progress { progress: StressProgress },
    Finished { outcomes: Vec<GpuStressOutcome> },
    Failed { error: IpcError },
}

/// Starts what the form asks for on the connected bench; one test process per GPU runs beside the
/// app (the `revive` program shipped with it).
#[tauri::command]
pub async fn stress_start(
    state: State<'_, AppState>,
    form: StressForm,
    channel: Channel<StressEvent>,
) -> Result<(), IpcError> {
    let request = form.request(revive_core::bench::now_ms())?;
    let bench = StressBench::of(&state.bench())?;
    let shop = state.shop()?;
    let launch = Launch::new(shop.shipped().stress_worker.clone());
    Ok(state.stress.start(bench, shop.shared_catalogs(), request, launch, move |update| {
        let event = match update {
            DeskUpdate::Progress(progress) => StressEvent::Progress { progress },
            DeskUpdate::Finished(outcomes) => StressEvent::Finished { outcomes },
            DeskUpdate::Failed(error) => StressEvent::Failed { error: error.into() },
        };
        // A window that went away closes its channel; the run finishes and keeps its outcomes.
        let _ = channel.send(event);
    })?)
}

#[tauri::command]
pub async fn stress_cancel(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.stress.cancel();
    Ok(())
}

/// Records GPU `gpu_index`'s outcome of the last run to a job; `mismatch_reason` is what the
/// technician said when the card is not the job's.
#[tauri::command]
pub async fn stress_record(
    state: State<'_, AppState>,
    job_id: i64,
    gpu_index: u32,
    mismatch_reason: Option<String>,
) -> Result<StressRun, IpcError> {
    let outcome = state.stress.outcome(gpu_index)?;
    let shop = state.shop()?;
    Ok(shop.stress().record(job_id, &outcome, mismatch_reason.as_deref(), &state.technician()?)?)
}

#[tauri::command]
pub async fn job_stress_runs(state: State<'_, AppState>, job_id: i64) -> Result<Vec<StressRun>, IpcError> {
    Ok(state.shop()?.stress().for_job(job_id)?)
}

/// Records GPU `gpu_index` of a dcgmi diag (JSON) or gpu-burn (text) result the technician picked
/// to a job, judged by the shop's rules.
#[tauri::command]
pub async fn stress_import(
    state: State<'_, AppState>,
    job_id: i64,
    gpu_index: u32,
    text: String,
    mismatch_reason: Option<String>,
) -> Result<StressRun, IpcError> {
    let shop = state.shop()?;
    Ok(shop.stress().import_text(job_id, &text, gpu_index, mismatch_reason.as_deref(), &state.technician()?)?)
}
