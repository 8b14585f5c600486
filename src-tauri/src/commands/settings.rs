//! Settings commands: the shop, its technicians, who is at the bench, the language.

use revive_core::pins::{PinState, Signature};
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

#[tauri::command]
pub async fn pin_states(state: State<'_, AppState>) -> Result<Vec<PinState>, IpcError> {
    Ok(state.shop()?.pins().states()?)
}

/// Sets a technician's own PIN; changing one needs the current one.
#[tauri::command]
pub async fn set_pin(
    state: State<'_, AppState>,
    technician: String,
    current: String,
    pin: String,
) -> Result<(), IpcError> {
    Ok(state.shop()?.pins().set(&technician, &current, &pin)?)
}

/// Clears a colleague's forgotten PIN; whoever does it signs with their own.
#[tauri::command]
pub async fn reset_pin(state: State<'_, AppState>, technician: String, by: Signature) -> Result<(), IpcError> {
    let shop = state.shop()?;
    let signer = shop.pins().check(&by)?;
    Ok(shop.pins().reset(&technician, &signer)?)
}
