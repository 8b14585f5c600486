//! Shop-server commands: this bench's link (Settings → Shop server) and the test room, where the
//! bench queues burn-ins and memory tests for its jobs' cards on rack servers and collects their
//! verdicts into the jobs. The PostgreSQL client blocks on its own runtime, so each call runs on a
//! plain thread of its own rather than on the command's async worker.

use revive_core::shop::holding::Away;
use revive_core::shop::link::{ShopKey, ShopLink, ShopLinkForm};
use revive_core::stress::form::StressForm;
use revive_shop::benches::{self, ShopBench};
use revive_shop::conflicts::{self, Keep, ShopConflict};
use revive_shop::room::{self, Collected, RoomView};
use revive_shop::server::LinkedConnection;
use revive_shop::sync::{self, SyncStatus};
use revive_shop::ShopResult;
use serde::Serialize;
use tauri::{Manager, State};

use super::AppState;
use crate::ipc_error::IpcError;

#[tauri::command]
pub async fn shop_link(state: State<'_, AppState>) -> Result<Option<ShopLink>, IpcError> {
    Ok(state.shop()?.shop_link().get()?)
}

/// Keeps the link, then connects once, so a mistake is said now rather than on the test-room screen,
/// and claims the bench's code.
#[tauri::command]
pub async fn save_shop_link(state: State<'_, AppState>, form: ShopLinkForm) -> Result<ShopLink, IpcError> {
    let link = state.shop()?.shop_link().save(&form)?;
    // A new password for the same server is checked too: the kept connection is opened again. The
    // old one owns a runtime of its own, which this async worker may not drop: a thread does.
    let forgotten = std::mem::take(&mut *state.shop_connection.lock().unwrap_or_else(|p| p.into_inner()));
    std::thread::spawn(move || drop(forgotten));
    let shop = state.shop()?;
    let waiting = shop.outbox().waiting()?;
    on_shop_server(&state, |client, link| sync::introduce(client, shop, link, waiting))?;
    Ok(shop.shop_link().get()?.unwrap_or(link))
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
    on_shop_server(&state, |client, link| {
        let (mut recorded, mut not_recorded) = (Vec::new(), Vec::new());
        for collected in room::collect_into(client, shop, &link.bench, &by)? {
            match collected {
                Collected::Recorded { ticket, run: Some(_) } => recorded.push(ticket),
                Collected::NotRecorded { ticket, error } => {
                    not_recorded.push(NotRecorded { ticket, error: error.into() })
                }
                Collected::Recorded { run: None, .. } | Collected::Refused { .. } => {}
            }
        }
        Ok(TestRoomUpdate { bench: link.bench.clone(), room: room::view(client)?, recorded, not_recorded })
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
    on_shop_server(&state, |client, link| {
        room::schedule_for_job(client, shop, &link.bench, job_id, &server, slot, &form)
    })
}

/// Cancels a task this bench queued, waiting or running; false when it had already ended.
#[tauri::command]
pub async fn test_room_cancel(state: State<'_, AppState>, task: i64) -> Result<bool, IpcError> {
    on_shop_server(&state, |client, link| room::cancel(client, task, &link.bench))
}

/// Takes job `key` over to this bench from the bench holding it; answers its number here.
#[tauri::command]
pub async fn shop_take_job(state: State<'_, AppState>, key: ShopKey) -> Result<i64, IpcError> {
    let shop = state.shop()?;
    let by = state.technician()?;
    on_shop_server(&state, |client, link| Ok(sync::take(client, shop, link, &key, &by)?.0))
}

/// Why job `job_id` does not change on this bench, if it does not (another bench holds it, or a
/// conflict waits for the manager).
#[tauri::command]
pub async fn job_away(state: State<'_, AppState>, job_id: i64) -> Result<Option<Away>, IpcError> {
    Ok(state.shop()?.holding().away(job_id)?)
}

/// The conflicts waiting for the shop's manager.
#[tauri::command]
pub async fn shop_conflicts(state: State<'_, AppState>) -> Result<Vec<ShopConflict>, IpcError> {
    on_shop_server(&state, |client, _| conflicts::open(client))
}

/// Settles conflict `id`, keeping the shop's record or the refused bench's.
#[tauri::command]
pub async fn shop_settle_conflict(state: State<'_, AppState>, id: i64, keep: Keep) -> Result<(), IpcError> {
    let by = state.technician()?;
    on_shop_server(&state, |client, _| conflicts::settle(client, id, keep, &by))
}

/// How often a linked bench pushes its changed jobs.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Pushes this bench's changed jobs to the shop server and reads what changed there for the jobs
/// it keeps, now and every [`SYNC_EVERY`], on a thread of its own, keeping how it went for the
/// status line.
pub fn keep_pushing(app: tauri::AppHandle) {
    // Its own connection: a long first push never holds up the test-room screen's.
    let mut connection = LinkedConnection::default();
    std::thread::spawn(move || loop {
        let state = app.state::<AppState>();
        if let Ok(shop) = state.shop() {
            let result = connection.with(shop, |client, link| {
                let pushed = sync::push(client, shop, link)?;
                sync::pull(client, shop, link)?;
                Ok(pushed)
            });
            let waiting = shop.outbox().waiting().unwrap_or_default();
            let conflicts = shop.holding().conflicts().unwrap_or_default();
            let now = revive_core::store::timestamp(time::OffsetDateTime::now_utc());
            let mut status = state.sync.lock().unwrap_or_else(|p| p.into_inner());
            *status = status.after(&result, waiting, conflicts, &now);
        }
        std::thread::sleep(SYNC_EVERY);
    });
}

/// The shop's benches for the manager: last contact, codes, waiting pushes and jobs held.
#[tauri::command]
pub async fn shop_benches(state: State<'_, AppState>) -> Result<Vec<ShopBench>, IpcError> {
    let flow = &state.shop()?.catalogs().flow;
    on_shop_server(&state, |client, _| benches::list(client, flow))
}

/// The status line's: up to date, how many jobs wait, offline since when.
#[tauri::command]
pub async fn shop_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, IpcError> {
    Ok(state.sync.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

/// Runs `work` with the kept connection to the shop server this bench is linked to, on a thread of
/// its own (the PostgreSQL client blocks on a runtime of its own, which an async worker cannot host).
pub(super) fn on_shop_server<T: Send>(
    state: &AppState,
    work: impl FnOnce(&mut postgres::Client, &ShopLink) -> ShopResult<T> + Send,
) -> Result<T, IpcError> {
    let shop = state.shop()?;
    let mut guard = state.shop_connection.lock().unwrap_or_else(|p| p.into_inner());
    let connection: &mut LinkedConnection = &mut guard;
    std::thread::scope(|scope| {
        scope
            .spawn(|| connection.with(shop, work))
            .join()
            .map_err(|_| IpcError::unexpected("the shop server's connection stopped unexpectedly".into()))?
            .map_err(IpcError::from)
    })
}
