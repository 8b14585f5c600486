//! Settings commands: the shop, its technicians, who is at the bench, the language.

use revive_core::settings::{Settings, SettingsForm};
use tauri::State;

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings, IpcError> {
    Ok(state.shop()?.settings()?)
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: SettingsForm) -> Result<Settings, IpcError> {
    Ok(state.shop()?.save_settings(&settings)?)
}
