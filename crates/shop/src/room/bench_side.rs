//! The bench's side of the queue: queue a job's card on a slot, cancel, read the room, and collect
//! the verdicts into the jobs.

use postgres::Client;
use revive_core::bench::{telemetry, Sample};
use revive_core::stress::kinds::Verdict;
use revive_core::stress::supervise::GpuStressOutcome;
use serde::{Deserialize, Serialize};

use super::{new_key, Refusal, Slot, TaskPlan, TaskProgress, TaskResult};
use crate::error::{ShopError, ShopResult};

/// A bench's request for a test on a slot, for the card of one of its jobs.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub server: String,
    pub slot: u32,
    pub ticket: String,
    pub expected_serial: String,
    /// The bench that collects the verdict into its job.
    pub bench: String,
    pub scheduled_by: String,
    pub plan: TaskPlan,
}

/// A finished task waiting for its bench to record it.
#[derive(Debug, Clone)]
pub struct Collectable {
    pub key: String,
    pub server: String,
    pub slot: u32,
    pub ticket: String,
    pub scheduled_by: String,
    pub result: TaskResult,
}

/// Queues a task; a request with a key already queued is the same request sent again, and answers
/// the task it made.
pub fn schedule(client: &mut Client, key: &str, task: &NewTask) -> ShopResult<i64> {
    let plan = serde_json::to_value(&task.plan).map_err(|e| ShopError::Unreadable(e.to_string()))?;
    let known: bool =
        client.query_one("SELECT EXISTS (SELECT 1 FROM room_servers WHERE name = $1)", &[&task.server])?.get(0);
    if !known {
        return Err(ShopError::NotInRoom { what: "server", name: task.server.clone() });
    }
    let row = client.query_one(
        "INSERT INTO room_tasks (key, server, slot, ticket, expected_serial, bench, scheduled_by, plan)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
        &[
            &key,
            &task.server,
            &(task.slot as i32),
            &task.ticket,
            &task.expected_serial,
            &task.bench,
            &task.scheduled_by,
            &plan,
        ],
    )?;
    Ok(row.get(0))
}

/// The finished and refused tasks `bench` queued and has not yet recorded, oldest first.
pub fn to_collect(client: &mut Client, bench: &str) -> ShopResult<Vec<Collectable>> {
    let rows = client.query(
        "SELECT key, server, slot, ticket, scheduled_by, state, outcome, telemetry, refusal FROM room_tasks
         WHERE bench = $1 AND state IN ('finished', 'refused') AND collected_at IS NULL ORDER BY id",
        &[&bench],
    )?;
    rows.into_iter()
        .map(|row| {
            let slot = row.get::<_, i32>(2) as u32;
            let result = match row.get::<_, &str>(5) {
                "refused" => TaskResult::Refused(
                    serde_json::from_value(row.get(8)).map_err(|e| ShopError::Unreadable(format!("refusal: {e}")))?,
                ),
                _ => {
                    let json: serde_json::Value = row.get(6);
                    let mut outcome: GpuStressOutcome = serde_json::from_value(json)
                        .map_err(|e| ShopError::Unreadable(format!("task outcome: {e}")))?;
                    let packed: Option<Vec<u8>> = row.get(7);
                    outcome.samples = unpack(packed.as_deref(), outcome.gpu)?;
                    TaskResult::Ran(Box::new(outcome))
                }
            };
            Ok(Collectable {
                key: row.get(0),
                server: row.get(1),
                slot,
                ticket: row.get(3),
                scheduled_by: row.get(4),
                result,
            })
        })
        .collect()
}

/// Cancels a task `bench` queued, waiting or running (its agent stops the run at its next report);
/// false when it had already ended.
pub fn cancel(client: &mut Client, task: i64, bench: &str) -> ShopResult<bool> {
    let updated = client.execute(
        "UPDATE room_tasks SET state = 'cancelled', finished_at = now(), lease_until = NULL
         WHERE id = $1 AND bench = $2 AND state IN ('queued', 'running')",
        &[&task, &bench],
    )?;
    Ok(updated == 1)
}

/// Marks a task recorded by its bench, so it is collected once.
pub fn mark_collected(client: &mut Client, key: &str) -> ShopResult<()> {
    client.execute("UPDATE room_tasks SET collected_at = now() WHERE key = $1", &[&key])?;
    Ok(())
}

fn unpack(packed: Option<&[u8]>, gpu: u32) -> ShopResult<Vec<Sample>> {
    packed.map_or(Ok(Vec::new()), |bytes| telemetry::unpack(bytes, gpu).map_err(ShopError::from))
}

/// What collecting a task did.
#[derive(Debug)]
pub enum Collected {
    /// Recorded to its job (none when an earlier collection already had).
    Recorded { ticket: String, run: Option<Box<revive_core::stress::runs::StressRun>> },
    /// The agent declined it; nothing to record.
    Refused { ticket: String, reason: Refusal },
    /// The job would not take it (no such ticket here, another card): left for a person to see.
    NotRecorded { ticket: String, error: revive_core::error::CoreError },
}

/// Records the verdicts of the tasks this bench queued into their jobs and marks them collected. A
/// crash between the two records nothing twice: the job's store knows each task it recorded.
pub fn collect_into(
    client: &mut Client,
    workshop: &revive_core::workshop::Workshop,
    bench: &str,
    by: &revive_core::settings::Technician,
) -> ShopResult<Vec<Collected>> {
    let mut done = Vec::new();
    for task in to_collect(client, bench)? {
        let ticket = task.ticket.clone();
        let collected = match &task.result {
            TaskResult::Refused(reason) => Collected::Refused { ticket, reason: reason.clone() },
            TaskResult::Ran(outcome) => {
                let place = revive_core::stress::runs::TestRoomPlace {
                    task: task.key.clone(),
                    server: task.server.clone(),
                    slot: task.slot,
                };
                match workshop.stress().record_from_test_room(&task.ticket, outcome, &place, by) {
                    Ok(run) => Collected::Recorded { ticket, run: run.map(Box::new) },
                    Err(error) => {
                        done.push(Collected::NotRecorded { ticket, error });
                        continue;
                    }
                }
            }
        };
        mark_collected(client, &task.key)?;
        done.push(collected);
    }
    Ok(done)
}

/// A rack server without a heartbeat for this long is shown as lost.
const AGENT_LOST_AFTER_SECONDS: u64 = 30;
/// How many ended tasks the room view lists, newest first, after the open ones.
const ENDED_SHOWN: i64 = 200;

/// The test room as a bench shows it: every rack server with its slots, and the tasks.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoomView {
    pub servers: Vec<RoomServer>,
    /// Queued and running tasks, then the latest ended ones.
    pub tasks: Vec<RoomTask>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoomServer {
    pub name: String,
    pub simulated: bool,
    pub seconds_since_seen: u64,
    /// No heartbeat for [`AGENT_LOST_AFTER_SECONDS`]: its agent stopped or the network is down.
    pub lost: bool,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Queued,
    Running,
    Finished,
    Refused,
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoomTask {
    pub id: i64,
    pub server: String,
    pub slot: u32,
    pub ticket: String,
    pub bench: String,
    pub scheduled_by: String,
    pub state: TaskState,
    pub attempts: i32,
    pub progress: Option<TaskProgress>,
    pub verdict: Option<Verdict>,
    pub refusal: Option<Refusal>,
    pub plan: TaskPlan,
}

/// Reads the room in two queries.
pub fn view(client: &mut Client) -> ShopResult<RoomView> {
    let unreadable = |what: &str, e: serde_json::Error| ShopError::Unreadable(format!("{what}: {e}"));
    let servers = client
        .query(
            "SELECT name, simulated, extract(epoch FROM now() - last_seen)::float8, gpus FROM room_servers ORDER BY name",
            &[],
        )?
        .into_iter()
        .map(|row| {
            let seconds = row.get::<_, f64>(2).max(0.0) as u64;
            Ok(RoomServer {
                name: row.get(0),
                simulated: row.get(1),
                seconds_since_seen: seconds,
                lost: seconds > AGENT_LOST_AFTER_SECONDS,
                slots: serde_json::from_value(row.get(3)).map_err(|e| unreadable("slots", e))?,
            })
        })
        .collect::<ShopResult<Vec<_>>>()?;
    let tasks = client
        .query(
            "(SELECT id, server, slot, ticket, bench, scheduled_by, state, attempts, progress, verdict, refusal, plan
              FROM room_tasks WHERE state IN ('queued', 'running'))
             UNION ALL
             (SELECT id, server, slot, ticket, bench, scheduled_by, state, attempts, progress, verdict, refusal, plan
              FROM room_tasks WHERE state NOT IN ('queued', 'running') ORDER BY id DESC LIMIT $1)",
            &[&ENDED_SHOWN],
        )?
        .into_iter()
        .map(|row| {
            let text = |index: usize| serde_json::Value::String(row.get::<_, String>(index));
            Ok(RoomTask {
                id: row.get(0),
                server: row.get(1),
                slot: row.get::<_, i32>(2) as u32,
                ticket: row.get(3),
                bench: row.get(4),
                scheduled_by: row.get(5),
                state: serde_json::from_value(text(6)).map_err(|e| unreadable("task state", e))?,
                attempts: row.get(7),
                progress: row
                    .get::<_, Option<serde_json::Value>>(8)
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| unreadable("task progress", e))?,
                verdict: row
                    .get::<_, Option<String>>(9)
                    .map(|v| serde_json::from_value(serde_json::Value::String(v)))
                    .transpose()
                    .map_err(|e| unreadable("verdict", e))?,
                refusal: row
                    .get::<_, Option<serde_json::Value>>(10)
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| unreadable("refusal", e))?,
                plan: serde_json::from_value(row.get(11)).map_err(|e| unreadable("task plan", e))?,
            })
        })
        .collect::<ShopResult<Vec<_>>>()?;
    Ok(RoomView { servers, tasks })
}

/// Queues a test of job `job_id`'s card on a slot, as the technician seated at this bench asked in
/// the stress form (the same form as at the bench; its GPU list is not used).
pub fn schedule_for_job(
    client: &mut Client,
    workshop: &revive_core::workshop::Workshop,
    bench: &str,
    job_id: i64,
    server: &str,
    slot: u32,
    form: &revive_core::stress::form::StressForm,
) -> ShopResult<i64> {
    let request = form.request(revive_core::bench::now_ms())?;
    request.check_plan()?;
    let job = workshop.jobs().get(job_id)?;
    let by = workshop.technician()?;
    let task = NewTask {
        server: server.to_owned(),
        slot,
        ticket: job.ticket.clone(),
        expected_serial: job.board_serial.clone(),
        bench: bench.to_owned(),
        scheduled_by: by.name().to_owned(),
        plan: TaskPlan { burn_in_seconds: request.burn_in_seconds, memory: request.memory },
    };
    schedule(client, &new_key()?, &task)
}
