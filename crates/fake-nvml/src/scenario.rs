//! Scenario files: what the simulated bench's driver reports, and how that changes as it is read.

use std::collections::BTreeMap;

use serde::Deserialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub schema_version: u32,
    pub description: String,
    pub system: System,
    /// Fail `nvmlInit` the way a broken installation does.
    #[serde(default)]
    pub init_error: Option<NvmlError>,
    pub gpus: Vec<Gpu>,
    /// Changes that happen after a GPU has answered a number of calls.
    #[serde(default)]
    pub timeline: Vec<Change>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub driver_version: String,
    pub nvml_version: String,
    /// As NVML encodes it: 12040 is CUDA 12.4.
    pub cuda_driver_version: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub gpu: usize,
    /// When the change happens: after the GPU answered this many calls, or after this many seconds
    /// on the scenario clock Revive's simulated stress runs advance. One scenario uses one or the other.
    #[serde(default)]
    pub after_calls: Option<u64>,
    #[serde(default)]
    pub after_seconds: Option<u64>,
    /// Fields to overwrite, shaped like a GPU entry (objects merge, everything else replaces).
    #[serde(default)]
    pub set: Option<serde_json::Value>,
    /// From now on every call about this GPU answers NVML_ERROR_GPU_IS_LOST.
    #[serde(default)]
    pub lost: bool,
    /// An Xid the driver reports once, through the event API, when this change happens.
    #[serde(default)]
    pub xid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NvmlError {
    NotSupported,
    NoPermission,
    InsufficientPower,
    DriverNotLoaded,
    LibraryNotFound,
    CorruptedInforom,
    GpuIsLost,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    Volta,
    Turing,
    Ampere,
    Ada,
    Hopper,
    Blackwell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockEventReason {
    GpuIdle,
    ApplicationsClocksSetting,
    SwPowerCap,
    HwSlowdown,
    SyncBoost,
    SwThermalSlowdown,
    HwThermalSlowdown,
    HwPowerBrakeSlowdown,
    DisplayClockSetting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryAction {
    None,
    GpuReset,
    NodeReboot,
    DrainP2p,
    DrainAndReset,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    pub name: String,
    pub serial: String,
    pub uuid: String,
    pub board_part_number: String,
    pub vbios_version: String,
    pub architecture: Architecture,
    /// CUDA compute capability as `[major, minor]`: a fact of the model, not of its architecture
    /// (an A100 is 8.0, an RTX 3090 8.6).
    pub compute_capability: [u32; 2],
    pub pci: Pci,
    pub memory: Memory,
    pub inforom: Inforom,
    #[serde(default)]
    pub gsp_firmware_version: Option<String>,
    pub temperature: Temperature,
    pub power: Power,
    pub clocks: Clocks,
    pub pcie: Pcie,
    #[serde(default)]
    pub clock_event_reasons: Vec<ClockEventReason>,
    #[serde(default)]
    pub ecc: Option<Ecc>,
    #[serde(default)]
    pub remapped_rows: Option<RemappedRows>,
    #[serde(default)]
    pub remapper_histogram: Option<RemapperHistogram>,
    #[serde(default)]
    pub retired_pages: Option<RetiredPages>,
    /// Intended fan speeds in percent; empty for passively cooled boards (NVML: not supported).
    #[serde(default)]
    pub fans: Vec<u32>,
    #[serde(default)]
    pub recovery_action: Option<RecoveryAction>,
    /// What the GPU reads while a simulated stress run loads it; unset values follow from its limits.
    #[serde(default)]
    pub under_load: UnderLoad,
    /// Other programs computing on the GPU (a stress run refuses to share it).
    #[serde(default)]
    pub compute_processes: Vec<Process>,
    /// Programs drawing on the GPU (a desktop's display server on a workstation board).
    #[serde(default)]
    pub graphics_processes: Vec<Process>,
    #[serde(default)]
    pub mig_mode: bool,
    #[serde(default = "yes")]
    pub persistence_mode: bool,
    /// The N of `/dev/nvidiaN`; the GPU's position in the scenario unless set (on some HGX nodes
    /// the two orders differ).
    #[serde(default)]
    pub minor_number: Option<u32>,
    /// The performance state, 0 (P0, fastest) to 15; a loaded GPU reads P0.
    #[serde(default)]
    pub performance_state: u32,
    #[serde(default)]
    pub utilization: Utilization,
    /// A display is configured on the board, and one is attached and initialised.
    #[serde(default)]
    pub display: Display,
    /// Faults of the stand-in a simulated stress run uses for this GPU; Revive's test process reads
    /// them, the driver does not.
    #[serde(default)]
    pub simulated_stress: Option<serde_json::Value>,
    /// Calls that fail on this GPU, by NVML symbol name (e.g. power reading → insufficient_power).
    #[serde(default)]
    pub failures: BTreeMap<String, NvmlError>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UnderLoad {
    pub power_mw: Option<u32>,
    pub gpu_c: Option<u32>,
    pub memory_c: Option<u32>,
    pub sm_mhz: Option<u32>,
    /// 100 unless set.
    pub gpu_utilization_percent: Option<u32>,
    /// The idle value unless set.
    pub memory_utilization_percent: Option<u32>,
    /// Replaces the idle reasons while loaded.
    pub clock_event_reasons: Vec<ClockEventReason>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub pid: u32,
    pub used_mib: u64,
}

impl Gpu {
    /// The GPU as it reads while loaded: near its power limit, warm, clocks up, unless the
    /// scenario says otherwise.
    pub fn loaded(&self) -> Gpu {
        let load = &self.under_load;
        let mut gpu = self.clone();
        gpu.power.usage_mw = load.power_mw.unwrap_or(self.power.enforced_limit_mw / 100 * 96);
        gpu.temperature.gpu_c = load.gpu_c.unwrap_or(self.temperature.slowdown_c.saturating_sub(22));
        gpu.temperature.memory_c = load.memory_c.or(self.temperature.memory_c.map(|_| gpu.temperature.gpu_c + 9));
        gpu.clocks.sm_mhz = load.sm_mhz.unwrap_or(self.clocks.max_sm_mhz / 100 * 93);
        gpu.clock_event_reasons = load.clock_event_reasons.clone();
        gpu.utilization.gpu_percent = load.gpu_utilization_percent.unwrap_or(100);
        gpu.utilization.memory_percent = load.memory_utilization_percent.unwrap_or(self.utilization.memory_percent);
        gpu.performance_state = 0;
        gpu
    }

    /// Values serde's types cannot bound.
    fn check(&self) -> Result<(), String> {
        let u = &self.utilization;
        let percents = [u.gpu_percent, u.memory_percent, u.encoder_percent, u.decoder_percent];
        let loaded = [self.under_load.gpu_utilization_percent, self.under_load.memory_utilization_percent];
        if percents.into_iter().chain(loaded.into_iter().flatten()).any(|percent| percent > 100) {
            return Err("a utilization is above 100 percent".into());
        }
        if self.performance_state > 15 {
            return Err(format!("performance_state {} is not 0 to 15", self.performance_state));
        }
        if self.memory.used_mib + self.memory.reserved_mib > self.memory.total_mib {
            return Err("memory: used_mib + reserved_mib is more than total_mib".into());
        }
        Ok(())
    }
}

/// Percent of the last sample period each engine was busy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Utilization {
    pub gpu_percent: u32,
    pub memory_percent: u32,
    pub encoder_percent: u32,
    pub decoder_percent: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Display {
    pub mode: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pci {
    /// `00000000:18:00.0`
    pub bus_id: String,
    /// The 16-bit device id (`0x2330`); NVML reports it with the vendor id in the low half.
    pub device_id: u32,
    pub subsystem_id: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memory {
    pub total_mib: u64,
    pub used_mib: u64,
    /// Held by the driver and firmware: NVML's v2 reports it apart, v1 counts it as used.
    #[serde(default)]
    pub reserved_mib: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inforom {
    pub image_version: String,
    pub oem_version: String,
    pub ecc_version: String,
    pub power_version: String,
    /// False makes `nvmlDeviceValidateInforom` answer NVML_ERROR_CORRUPTED_INFOROM.
    pub valid: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Temperature {
    pub gpu_c: u32,
    #[serde(default)]
    pub memory_c: Option<u32>,
    pub shutdown_c: u32,
    pub slowdown_c: u32,
    #[serde(default)]
    pub max_operating_c: Option<u32>,
    #[serde(default)]
    pub memory_max_c: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    pub usage_mw: u32,
    pub enforced_limit_mw: u32,
    pub default_limit_mw: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clocks {
    pub sm_mhz: u32,
    pub memory_mhz: u32,
    pub max_sm_mhz: u32,
    pub max_memory_mhz: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pcie {
    pub gen: u32,
    pub width: u32,
    pub max_gen: u32,
    pub max_width: u32,
    pub replays: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ecc {
    pub volatile: EccCounts,
    pub aggregate: EccCounts,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EccCounts {
    pub corrected: EccLocations,
    pub uncorrected: EccLocations,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EccLocations {
    pub l1_cache: u64,
    pub l2_cache: u64,
    pub dram: u64,
    pub register_file: u64,
    pub sram: u64,
}

impl EccLocations {
    pub fn total(&self) -> u64 {
        self.l1_cache + self.l2_cache + self.dram + self.register_file + self.sram
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemappedRows {
    pub correctable: u32,
    pub uncorrectable: u32,
    pub pending: bool,
    pub failure: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemapperHistogram {
    pub max: u32,
    pub high: u32,
    pub partial: u32,
    pub low: u32,
    pub none: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredPages {
    #[serde(default)]
    pub single_bit: Vec<u64>,
    #[serde(default)]
    pub double_bit: Vec<u64>,
    #[serde(default)]
    pub pending: bool,
}

/// One GPU's answers from a given call count on.
#[derive(Debug, Clone)]
pub enum Stage {
    Present(Box<Gpu>),
    Lost,
}

/// A parsed scenario with each GPU's timeline resolved into stages.
#[derive(Debug)]
pub struct Bench {
    pub scenario: Scenario,
    /// The timeline counts seconds on the scenario clock, not calls.
    pub on_seconds: bool,
    /// Per GPU: `(from, stage)`, sorted by `from` (a call count or seconds), the first from 0.
    pub stages: Vec<Vec<(u64, Stage)>>,
    /// Per GPU: `(from, xid)` events, in order.
    pub xids: Vec<Vec<(u64, u32)>>,
}

impl Bench {
    pub fn parse(text: &str) -> Result<Bench, String> {
        let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let scenario: Scenario = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
        if scenario.schema_version != SCHEMA_VERSION {
            return Err(format!("schema_version {} is not {SCHEMA_VERSION}", scenario.schema_version));
        }
        let on_seconds = scenario.timeline.iter().any(|c| c.after_seconds.is_some());
        if let Some(change) = scenario
            .timeline
            .iter()
            .find(|c| c.after_calls.is_some() == c.after_seconds.is_some() || c.after_seconds.is_some() != on_seconds)
        {
            return Err(format!(
                "GPU {}: every change needs `after_calls` or `after_seconds`, one of them, the same in the whole timeline",
                change.gpu
            ));
        }
        let at = |change: &Change| change.after_calls.or(change.after_seconds).unwrap_or_default();
        let mut changes = scenario.timeline.clone();
        changes.sort_by_key(at);
        let mut stages = Vec::new();
        let mut xids = Vec::new();
        for (index, gpu) in scenario.gpus.iter().enumerate() {
            xids.push(changes.iter().filter(|c| c.gpu == index).filter_map(|c| Some((at(c), c.xid?))).collect());
            let mut current = raw["gpus"][index].clone();
            gpu.check().map_err(|e| format!("GPU {index}: {e}"))?;
            let mut gpu_stages = vec![(0, Stage::Present(Box::new(gpu.clone())))];
            for change in changes.iter().filter(|c| c.gpu == index && (c.lost || c.set.is_some())) {
                let stage = if change.lost {
                    Stage::Lost
                } else {
                    let patch =
                        change.set.as_ref().ok_or(format!("GPU {index}: a change needs `set`, `lost` or `xid`"))?;
                    merge(&mut current, patch);
                    let gpu: Gpu = serde_json::from_value(current.clone())
                        .map_err(|e| format!("GPU {index} at {}: {e}", at(change)))?;
                    gpu.check().map_err(|e| format!("GPU {index} at {}: {e}", at(change)))?;
                    Stage::Present(Box::new(gpu))
                };
                gpu_stages.push((at(change), stage));
            }
            stages.push(gpu_stages);
        }
        if let Some(change) = scenario.timeline.iter().find(|c| c.gpu >= scenario.gpus.len()) {
            return Err(format!("timeline names GPU {} but there are {}", change.gpu, scenario.gpus.len()));
        }
        if let Some(change) = scenario.timeline.iter().find(|c| !c.lost && c.set.is_none() && c.xid.is_none()) {
            return Err(format!("GPU {}: a change at {} needs `set`, `lost` or `xid`", change.gpu, at(change)));
        }
        Ok(Bench { scenario, on_seconds, stages, xids })
    }

    /// What GPU `index` answers at this point of its timeline (its call count or the clock).
    pub fn stage(&self, index: usize, at: u64) -> Option<&Stage> {
        self.stages.get(index)?.iter().rev().find(|(from, _)| *from <= at).map(|(_, stage)| stage)
    }
}

fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(target), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key.clone()).or_insert(serde_json::Value::Null), value);
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}
