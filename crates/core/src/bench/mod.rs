//! The bench: the GPUs attached to this PC as the driver reports them. One provider interface; the
//! NVML provider reads the real driver, or any library that speaks its ABI (the simulated bench).

mod nvml;
pub mod telemetry;
mod workbench;

use serde::{Deserialize, Serialize};

pub use nvml::{DriverSource, NvmlProvider};
pub use workbench::{BenchView, KernelLogImport, KernelLogReader, LiveXid, ScenarioInfo, SimulatedBench, Workbench};

pub use crate::error::Unavailable;

/// NVML clock-event reason bits and the names findings and the UI use.
const CLOCK_EVENT_REASONS: [(u64, &str); 9] = [
    (0x1, "gpu_idle"),
    (0x2, "applications_clocks_setting"),
    (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"),
    (0x10, "sync_boost"),
    (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"),
    (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
];

/// The names of the clock-event reasons set in NVML's bit mask.
pub fn clock_event_reason_names(bits: u64) -> Vec<String> {
    CLOCK_EVENT_REASONS.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| (*name).to_owned()).collect()
}

/// One GPU's fast-changing values at one instant, as the sampler streams them and runs keep them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Unix time in milliseconds.
    pub at_ms: u64,
    pub gpu: u32,
    pub temperature_c: Option<u32>,
    pub memory_temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub pcie_generation: Option<u32>,
    pub pcie_width: Option<u32>,
    /// NVML clock-event reason bits (stored packed); the UI receives their names.
    #[serde(serialize_with = "reason_names")]
    #[cfg_attr(feature = "bindings", ts(as = "Vec<String>"))]
    pub clock_event_reasons: u64,
    /// The GPU did not answer (fell off the bus).
    pub lost: bool,
}

fn reason_names<S: serde::Serializer>(bits: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(clock_event_reason_names(*bits))
}

/// Now, as a sample's `at_ms` counts it (Unix milliseconds).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// What any source of GPU readings provides.
pub trait GpuProvider {
    /// Everything about every GPU: identity, health, counters.
    fn snapshot(&self) -> Result<BenchSnapshot, Unavailable>;
    /// Only the fast-changing values, cheaply enough to repeat ten times a second.
    fn sample(&self) -> Result<Vec<Sample>, Unavailable>;
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BenchSnapshot {
    pub driver: DriverInfo,
    /// True when the readings come from the fake driver: never evidence about a real card.
    pub simulated: bool,
    pub gpus: Vec<GpuReading>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    pub driver_version: String,
    pub nvml_version: String,
    /// `12.4`
    pub cuda_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum GpuReading {
    Present {
        index: u32,
        identity: Box<Identity>,
        health: Box<Health>,
    },
    /// The GPU stopped answering (fell off the bus): every call says GPU_IS_LOST.
    Lost {
        index: u32,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Identity {
    pub name: Option<String>,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    pub board_part_number: Option<String>,
    pub vbios_version: Option<String>,
    pub inforom_image_version: Option<String>,
    pub inforom_oem_version: Option<String>,
    pub inforom_ecc_version: Option<String>,
    pub inforom_power_version: Option<String>,
    /// `Some(false)` when NVML reports the InfoROM corrupted.
    pub inforom_valid: Option<bool>,
    /// `0x2330`: tells the real SKU.
    pub pci_device_id: Option<String>,
    pub pci_subsystem_id: Option<String>,
    pub bus_id: Option<String>,
    pub memory_total_mib: Option<u64>,
    pub architecture: Option<String>,
    pub gsp_firmware_version: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Health {
    pub temperature_c: Option<u32>,
    pub memory_temperature_c: Option<u32>,
    pub shutdown_c: Option<u32>,
    pub slowdown_c: Option<u32>,
    pub max_operating_c: Option<u32>,
    pub memory_max_c: Option<u32>,
    pub power_w: Option<f64>,
    pub enforced_power_limit_w: Option<f64>,
    pub default_power_limit_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub max_sm_clock_mhz: Option<u32>,
    pub memory_used_mib: Option<u64>,
    pub pcie: Pcie,
    /// NVML clock-event reasons active now (`hw_thermal_slowdown`, …).
    pub clock_event_reasons: Option<Vec<String>>,
    pub ecc: Option<Ecc>,
    pub remapped_rows: Option<RemappedRows>,
    pub remapper_histogram: Option<RemapperHistogram>,
    pub retired_pages: Option<RetiredPages>,
    /// Intended fan speeds in percent; `None` on passively cooled boards.
    pub fan_speeds_percent: Option<Vec<u32>>,
    /// NVML's recovery action: none, gpu_reset, node_reboot, drain_p2p, drain_and_reset.
    pub recovery_action: Option<String>,
    /// Readings the driver refused with an error other than "not supported".
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Pcie {
    pub generation: Option<u32>,
    pub width: Option<u32>,
    pub max_generation: Option<u32>,
    pub max_width: Option<u32>,
    pub replays: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Ecc {
    pub volatile_corrected: u64,
    pub volatile_uncorrected: u64,
    pub aggregate_corrected: u64,
    pub aggregate_uncorrected: u64,
    /// Uncorrectable errors in HBM (DRAM) and in on-chip SRAM, lifetime.
    pub aggregate_uncorrected_dram: Option<u64>,
    pub aggregate_uncorrected_sram: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RemappedRows {
    pub correctable: u32,
    pub uncorrectable: u32,
    pub pending: bool,
    pub failure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RemapperHistogram {
    pub max: u32,
    pub high: u32,
    pub partial: u32,
    pub low: u32,
    pub none: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RetiredPages {
    pub single_bit: u32,
    pub double_bit: u32,
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Unreadable {
    pub reading: String,
    /// `insufficient_power`, `corrupted_inforom`, `no_permission`, or `failed`.
    pub reason: String,
}
