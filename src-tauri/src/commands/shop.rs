//! Shop-server commands: this bench's link (Settings → Shop server) and the test room, where the
//! bench queues burn-ins and memory tests for its jobs' cards on rack servers and collects their
//! verdicts into the jobs. The PostgreSQL client blocks on its own runtime, so each call runs on a
//! plain thread of its own rather than on the command's async worker.

use revive_core::shop::link::{ShopLink, ShopLinkForm};
use revive_core::stress::form::StressForm;
use revive_core::workshop::Workshop;
use revive_shop::room::{self, Collected, RoomView};
use revive_shop::server::ShopServer;
use revive_shop::sync::{self, SyncStatus};
use revive_shop::{ShopError, ShopResult};
use serde::Serialize;
use tauri::{Manager, State};

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub async fn shop_link(state: State<'_, AppState>) -> Result<Option<ShopLink>, IpcError> {
    Ok(state.shop()?.shop_link().get()?)
}

/// Keeps the link, then connects once so a mistake is said now rather than on the test-room screen.
#[tauri::command]
pub async fn save_shop_link(state: State<'_, AppState>, form: ShopLinkForm) -> Result<ShopLink, IpcError> {
    let shop = state.shop()?;
    let link = shop.shop_link().save(&form)?;
    on_shop_server(shop, |_, _| Ok(()))?;
    Ok(link)
}

#[tauri::command]
pub async fn forget_shop_link(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.shop()?.shop_link().forget()?)
}

/// What the test-room screen shows after one refresh.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TestRoomUpdate {
    pub bench: String,
    pub room: RoomView,
    /// Tickets whose run was just recorded to their job.
    pub recorded: Vec<String>,
    /// Tasks the job would not take, each with why (shown until the technician sees them).
    pub not_recorded: Vec<NotRecorded>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NotRecorded {
    pub ticket: String,
    pub error: IpcError,
}

/// Records this bench's finished tasks into their jobs, then reads the room.
#[tauri::command]
pub async fn test_room(state: State<'_, AppState>) -> Result<TestRoomUpdate, IpcError> {
    let shop = state.shop()?;
    let by = state.technician()?;
    on_shop_server(shop, |client, link| {
        let mut update = TestRoomUpdate {
            bench: link.bench.clone(),
            room: room::view(client)?,
            recorded: Vec::new(),
            not_recorded: Vec::new(),
        };
        for collected in room::collect_into(client, shop, &link.bench, &by)? {
            match collected {
                Collected::Recorded { ticket, run: Some(_) } => update.recorded.push(ticket),
                Collected::NotRecorded { ticket, error } => {
                    update.not_recorded.push(NotRecorded { ticket, error: error.into() })
                }
                Collected::Recorded { run: None, .. } | Collected::Refused { .. } => {}
            }
        }
        if !update.recorded.is_empty() {
            update.room = room::view(client)?;
        }
        Ok(update)
    })
}

/// Queues a test of job `job_id`'s card on `server`'s GPU slot `slot`; answers the task's number.
#[tauri::command]
pub async fn test_room_schedule(
    state: State<'_, AppState>,
    job_id: i64,
    server: String,
    slot: u32,
    form: StressForm,
) -> Result<i64, IpcError> {
    let shop = state.shop()?;
    on_shop_server(shop, |client, link| room::schedule_for_job(client, shop, &link.bench, job_id, &server, slot, &form))
}

/// Cancels a task this bench queued, waiting or running; false when it had already ended.
#[tauri::command]
pub async fn test_room_cancel(state: State<'_, AppState>, task: i64) -> Result<bool, IpcError> {
    on_shop_server(state.shop()?, |client, link| room::cancel(client, task, &link.bench))
}

/// How often a linked bench pushes its changed jobs.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Pushes this bench's changed jobs to the shop server, now and every [`SYNC_EVERY`], on a thread
/// of its own, keeping how it went for the status line.
pub fn keep_pushing(app: tauri::AppHandle) {
    std::thread::spawn(move || loop {
        let state = app.state::<AppState>();
        if let Ok(shop) = state.shop() {
            let result = sync::push_linked(shop);
            let waiting = shop.outbox().waiting().unwrap_or_default();
            let now = revive_core::store::timestamp(time::OffsetDateTime::now_utc());
            let mut status = state.sync.lock().unwrap_or_else(|p| p.into_inner());
            *status = status.after(&result, waiting, &now);
        }
        std::thread::sleep(SYNC_EVERY);
    });
}

/// The status line's: up to date, how many jobs wait, offline since when.
#[tauri::command]
pub async fn shop_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, IpcError> {
    Ok(state.sync.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

/// Runs `work` with a connection to the shop server this bench is linked to, on a thread of its own.
fn on_shop_server<T: Send>(
    shop: &Workshop,
    work: impl FnOnce(&mut postgres::Client, &ShopLink) -> ShopResult<T> + Send,
) -> Result<T, IpcError> {
    let link = shop.shop_link().get()?.ok_or_else(|| IpcError::from(ShopError::NotLinked))?;
    let password = shop.shop_link().password()?;
    let server = ShopServer::new(&link.connection, password.as_deref(), None)?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| -> ShopResult<T> {
                let mut client = server.connect()?;
                work(&mut client, &link)
            })
            .join()
            .map_err(|_| IpcError::unexpected("the shop server's connection stopped unexpectedly".into()))?
            .map_err(IpcError::from)
    })
}
