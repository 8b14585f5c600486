//! Bench commands: connecting the driver or a simulated scenario, readings, live telemetry over a
//! channel, Xids from a kernel log, and recording a reading to a job.

use revive_core::bench::Sample;
use revive_core::bench::{BenchView, KernelLogImport, ScenarioInfo};
use revive_core::diagnostics::identity::IdentityApproval;
use revive_core::diagnostics::runs::{DiagnosticRun, JobDiagnostics};
use revive_core::pins::Signature;
use tauri::ipc::Channel;
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

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
    Ok(bench.read(state.shop()?.catalogs())?)
}

#[tauri::command]
pub async fn bench_read(state: State<'_, AppState>) -> Result<BenchView, IpcError> {
    Ok(state.bench().read(state.shop()?.catalogs())?)
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
    // The bench's lock is let go before the parse: reading the bench goes on meanwhile.
    let reader = state.bench().kernel_log_reader();
    Ok(reader.import(&text, &state.shop()?.catalogs().xids)?)
}

/// `mismatch_reason` is what the technician said when the card on the bench is not the job's.
#[tauri::command]
pub async fn record_diagnostic(
    state: State<'_, AppState>,
    job_id: i64,
    gpu_index: u32,
    mismatch_reason: Option<String>,
) -> Result<DiagnosticRun, IpcError> {
    let reason = mismatch_reason.as_deref();
    Ok(state.bench().record(state.shop()?, job_id, gpu_index, reason, &state.technician()?)?)
}

/// An approver's reason to let a certificate name a card whose identity differs from intake.
#[tauri::command]
pub async fn approve_identity(
    state: State<'_, AppState>,
    job_id: i64,
    reason: String,
    approver: Signature,
) -> Result<IdentityApproval, IpcError> {
    let shop = state.shop()?;
    let signer = shop.pins().check(&approver)?;
    Ok(shop.diagnostics().approve_identity(job_id, &reason, &signer)?)
}

#[tauri::command]
pub async fn job_diagnostics(state: State<'_, AppState>, job_id: i64) -> Result<JobDiagnostics, IpcError> {
    Ok(state.shop()?.diagnostics().for_job(job_id)?)
}
