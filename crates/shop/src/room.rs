//! The test room's queue on the shop server. A bench queues a stress task for a GPU slot of a rack
//! server; that server's agent claims it with a lease (`FOR UPDATE SKIP LOCKED`, so two agents never
//! take the same task), renews the lease with each progress report, and reports the verdict. A task
//! whose lease runs out (its agent died) is claimed again; a report from an agent that lost its lease
//! is refused, so a task ends with exactly one verdict.

use postgres::Client;
use revive_core::bench::{telemetry, GpuReading, Sample};
use revive_core::stress::burn_in::BurnInProgress;
use revive_core::stress::kinds::Verdict;
use revive_core::stress::memtest::{MemoryProgress, MemoryTestPlan};
use revive_core::stress::supervise::{GpuStressOutcome, StressProgress};
use serde::{Deserialize, Serialize};

use crate::error::{ShopError, ShopResult};
use revive_core::error::ErrorCode;

/// One GPU slot of a rack server as its agent last read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub slot: u32,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    /// The GPU stopped answering.
    pub lost: bool,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
}

impl Slot {
    pub fn of(reading: &GpuReading) -> Slot {
        match reading {
            GpuReading::Present { index, identity, health } => Slot {
                slot: *index,
                model: identity.name.clone(),
                serial: identity.serial.clone(),
                uuid: identity.uuid.clone(),
                lost: false,
                temperature_c: health.temperature_c,
                power_w: health.power_w,
            },
            GpuReading::Lost { index } => Slot {
                slot: *index,
                model: None,
                serial: None,
                uuid: None,
                lost: true,
                temperature_c: None,
                power_w: None,
            },
        }
    }
}

/// Where a running task is, as its agent last reported: the stress run's progress messages come one
/// kind at a time, and this keeps the latest of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskProgress {
    pub elapsed_seconds: u64,
    pub memory: Option<MemoryProgress>,
    pub burn_in: Option<BurnInProgress>,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub simulated: bool,
}

impl TaskProgress {
    pub fn take(&mut self, progress: &StressProgress) {
        self.elapsed_seconds = progress.elapsed_seconds;
        self.simulated = progress.simulated;
        if progress.memory.is_some() {
            self.memory = progress.memory;
        }
        if progress.burn_in.is_some() {
            self.burn_in = progress.burn_in;
        }
        if let Some(sample) = &progress.sample {
            self.temperature_c = sample.temperature_c;
            self.power_w = sample.power_w;
        }
    }
}

/// What to run on the slot's GPU: the stress run's request without the GPU list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskPlan {
    pub burn_in_seconds: Option<u64>,
    pub memory: Option<MemoryTestPlan>,
}

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

/// A task an agent holds: what to test and which card it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTask {
    pub id: i64,
    pub slot: u32,
    pub expected_serial: String,
    pub plan: TaskPlan,
    /// 1 for the first try; more when an earlier agent's lease ran out.
    pub attempt: i32,
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

#[derive(Debug, Clone)]
pub enum TaskResult {
    Ran(Box<GpuStressOutcome>),
    Refused(Refusal),
}

/// Why an agent would not run a task, or could not: kept as data so each bench says it in its own
/// language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Refusal {
    /// The server has no such GPU slot.
    NoSuchSlot { slots: u32 },
    /// The GPU in the slot does not answer.
    GpuLost,
    /// The card reports no serial, so it cannot be matched to the job.
    NoSerial,
    /// Another card than the job's is in the slot.
    WrongCard { found: String, expected: String },
    /// The stress run would not start (the GPU busy, MIG on, …) or ended without a result.
    RunFailed { code: ErrorCode, message: String },
}

impl std::fmt::Display for Refusal {
    /// For the agent's log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoSuchSlot { slots } => write!(f, "this server has no such GPU slot ({slots} slots)"),
            Refusal::GpuLost => write!(f, "the GPU in the slot does not answer"),
            Refusal::NoSerial => write!(f, "the card reports no serial, so it cannot be matched to the job"),
            Refusal::WrongCard { found, expected } => {
                write!(f, "the card has serial {found}, not the job's {expected}")
            }
            Refusal::RunFailed { message, .. } => write!(f, "the stress run failed: {message}"),
        }
    }
}

/// The agent's side, for one rack server and one agent process (`owner`, new at each start).
pub struct AgentQueue<'c> {
    pub client: &'c mut Client,
    pub server: String,
    pub owner: String,
    pub lease: std::time::Duration,
}

impl AgentQueue<'_> {
    /// Registers the server (again, after a restart) with its slots.
    pub fn register(&mut self, agent_version: &str, simulated: bool, slots: &[Slot]) -> ShopResult<()> {
        let slots = serde_json::to_value(slots).map_err(|e| ShopError::Unreadable(e.to_string()))?;
        self.client.execute(
            "INSERT INTO room_servers (name, agent_version, simulated, gpus) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET agent_version = $2, simulated = $3, gpus = $4, last_seen = now()",
            &[&self.server, &agent_version, &simulated, &slots],
        )?;
        Ok(())
    }

    /// Says the server is alive with its slots' state, and renews the leases of the tasks this
    /// agent runs, each with its latest progress: one round trip. Answers the tasks this agent holds
    /// that a bench cancelled meanwhile, so their runs stop.
    pub fn heartbeat(&mut self, slots: &[Slot], progress: &[(i64, TaskProgress)]) -> ShopResult<Vec<i64>> {
        let slots = serde_json::to_value(slots).map_err(|e| ShopError::Unreadable(e.to_string()))?;
        let ids: Vec<i64> = progress.iter().map(|(id, _)| *id).collect();
        let reports: Vec<serde_json::Value> =
            progress.iter().map(|(_, p)| serde_json::to_value(p).unwrap_or_default()).collect();
        let lease = lease_seconds(self.lease);
        self.client.execute(
            "WITH alive AS (UPDATE room_servers SET last_seen = now(), gpus = $2 WHERE name = $1)
             UPDATE room_tasks t SET lease_until = now() + make_interval(secs => $4),
                    progress = coalesce(r.progress, t.progress),
                    progress_at = CASE WHEN r.progress IS NULL THEN t.progress_at ELSE now() END
             FROM (SELECT t2.id, r2.progress FROM room_tasks t2
                   LEFT JOIN unnest($5::bigint[], $6::jsonb[]) AS r2 (id, progress) ON r2.id = t2.id
                   WHERE t2.lease_owner = $3 AND t2.state = 'running') r
             WHERE t.id = r.id",
            &[&self.server, &slots, &self.owner, &lease, &ids, &reports],
        )?;
        let cancelled = self.client.query(
            "SELECT id FROM room_tasks WHERE lease_owner = $1 AND state = 'cancelled' AND id = ANY($2)",
            &[&self.owner, &ids],
        )?;
        Ok(cancelled.into_iter().map(|row| row.get(0)).collect())
    }

    /// The oldest task for a slot of this server that nobody holds (queued, or its lease ran out),
    /// leased to this agent; none when there is nothing to do. Slots in `busy` are skipped.
    pub fn claim(&mut self, busy: &[u32]) -> ShopResult<Option<ClaimedTask>> {
        let busy: Vec<i32> = busy.iter().map(|slot| *slot as i32).collect();
        let lease = lease_seconds(self.lease);
        let row = self.client.query_opt(
            "UPDATE room_tasks SET state = 'running', attempts = attempts + 1, lease_owner = $2,
                    lease_until = now() + make_interval(secs => $3), progress = NULL, progress_at = NULL
             WHERE id = (SELECT id FROM room_tasks
                         WHERE server = $1 AND NOT (slot = ANY($4))
                           AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, slot, expected_serial, plan, attempts",
            &[&self.server, &self.owner, &lease, &busy],
        )?;
        row.map(|row| {
            let plan: serde_json::Value = row.get(3);
            Ok(ClaimedTask {
                id: row.get(0),
                slot: row.get::<_, i32>(1) as u32,
                expected_serial: row.get(2),
                plan: serde_json::from_value(plan).map_err(|e| ShopError::Unreadable(format!("task plan: {e}")))?,
                attempt: row.get(4),
            })
        })
        .transpose()
    }

    /// Reports the run's end. False when this agent no longer holds the task (its lease ran out and
    /// another took it): the result is dropped, so the task keeps one verdict.
    pub fn finish(&mut self, task: i64, outcome: &GpuStressOutcome) -> ShopResult<bool> {
        let verdict =
            serde_json::to_value(outcome.judgement.verdict).map_err(|e| ShopError::Unreadable(e.to_string()))?;
        let json = serde_json::to_value(outcome).map_err(|e| ShopError::Unreadable(e.to_string()))?;
        let packed = telemetry::pack(&outcome.samples);
        let updated = self.client.execute(
            "UPDATE room_tasks SET state = 'finished', outcome = $3, telemetry = $4, verdict = $5,
                    finished_at = now(), lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            &[&task, &self.owner, &json, &packed, &verdict.as_str().unwrap_or_default()],
        )?;
        Ok(updated == 1)
    }

    /// Declines the task with its reason; false when this agent no longer holds it.
    pub fn refuse(&mut self, task: i64, reason: &Refusal) -> ShopResult<bool> {
        let reason = serde_json::to_value(reason).map_err(|e| ShopError::Unreadable(e.to_string()))?;
        let updated = self.client.execute(
            "UPDATE room_tasks SET state = 'refused', refusal = $3, finished_at = now(), lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            &[&task, &self.owner, &reason],
        )?;
        Ok(updated == 1)
    }
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

/// A lease length in seconds, for `make_interval`.
fn lease_seconds(lease: std::time::Duration) -> f64 {
    lease.as_secs_f64()
}

/// A new random key for a task request: 128 bits, so no two benches ever make the same.
pub fn new_key() -> ShopResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ShopError::Unreadable(format!("the system's random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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
pub const AGENT_LOST_AFTER_SECONDS: u64 = 30;
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
