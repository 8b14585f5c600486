//! The test room's queue on the shop server. A bench queues a stress task for a GPU slot of a rack
//! server; that server's agent claims it with a lease (`FOR UPDATE SKIP LOCKED`, so two agents never
//! take the same task), renews the lease with each progress report, and reports the verdict. A task
//! whose lease runs out (its agent died) is claimed again; a report from an agent that lost its lease
//! is refused, so a task ends with exactly one verdict.

mod agent_side;
mod bench_side;

pub use agent_side::{AgentQueue, ClaimedTask};
pub use bench_side::{
    cancel, collect_into, mark_collected, schedule, schedule_for_job, to_collect, view, Collectable, Collected,
    NewTask, RoomServer, RoomTask, RoomView, TaskState,
};

use revive_core::bench::GpuReading;
use revive_core::error::ErrorCode;
use revive_core::stress::burn_in::BurnInProgress;
use revive_core::stress::memtest::{MemoryProgress, MemoryTestPlan};
use revive_core::stress::supervise::{GpuStressOutcome, StressProgress};
use serde::{Deserialize, Serialize};

use crate::error::{ShopError, ShopResult};

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

/// A new random key for a task request: 128 bits, so no two benches ever make the same.
pub fn new_key() -> ShopResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ShopError::Unreadable(format!("the system's random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
