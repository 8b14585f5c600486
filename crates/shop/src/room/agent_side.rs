//! The agent's side of the queue: register, heartbeat with progress, claim, report.

use postgres::Client;
use revive_core::bench::telemetry;
use revive_core::stress::supervise::GpuStressOutcome;

use super::{Refusal, Slot, TaskPlan, TaskProgress};
use crate::error::{ShopError, ShopResult};

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

/// A lease length in seconds, for `make_interval`.
fn lease_seconds(lease: std::time::Duration) -> f64 {
    lease.as_secs_f64()
}
