//! Reads the bench through NVML via nvml-wrapper; remapped rows and the remapper histogram, which
//! nvml-wrapper lacks, go through its raw library handle.

use std::ffi::{c_char, c_uint, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use nvml_wrapper::bitmasks::event::EventTypes;
use nvml_wrapper::enum_wrappers::device::{
    Clock, EccCounter, InfoRom, MemoryError, MemoryLocation, RetirementCause, TemperatureSensor, TemperatureThreshold,
};
use nvml_wrapper::enums::device::SampleValue;
use nvml_wrapper::enums::event::XidError;
use nvml_wrapper::error::{nvml_sym, nvml_try, NvmlError};
use nvml_wrapper::structs::device::FieldId;
use nvml_wrapper::sys_exports::field_id::{NVML_FI_DEV_GET_GPU_RECOVERY_ACTION, NVML_FI_DEV_MEMORY_TEMP};
use nvml_wrapper::{Device, Nvml};

use super::{now_ms, Sample};

use super::{
    clock_event_reason_names, BenchSnapshot, DriverInfo, Ecc, GpuProvider, GpuReading, Health, Identity, Pcie,
    RemappedRows, RemapperHistogram, RetiredPages, Unavailable, Unreadable,
};

/// Which driver library to talk to.
#[derive(Debug, Clone)]
pub enum DriverSource {
    /// The installed NVIDIA driver (`libnvidia-ml.so.1`).
    System,
    /// Another library with the NVML ABI at this path.
    Library(PathBuf),
    /// The fake driver, answering from a scenario file; everything it reports is marked simulated.
    Simulated { library: PathBuf, scenario: PathBuf },
}

pub struct NvmlProvider {
    nvml: Nvml,
    simulated: bool,
    /// Keeps the fake library loaded with its scenario chosen while NVML uses it.
    fake: Option<(libloading::Library, PathBuf)>,
}

/// What decides whether a GPU can take a stress test now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StressReadiness {
    pub lost: bool,
    /// Other programs computing on it (their process ids).
    pub compute_processes: Vec<u32>,
    pub mig_enabled: Option<bool>,
    pub persistence: Option<bool>,
    pub memory_free_mib: Option<u64>,
    pub memory_total_mib: Option<u64>,
}

impl NvmlProvider {
    pub fn open(source: &DriverSource) -> Result<NvmlProvider, Unavailable> {
        let (path, fake) = match source {
            DriverSource::System => (None, None),
            DriverSource::Library(path) => (Some(path.as_os_str()), None),
            DriverSource::Simulated { library, scenario } => {
                (Some(library.as_os_str()), Some((choose_scenario(library.as_os_str(), scenario)?, scenario.clone())))
            }
        };
        let mut builder = Nvml::builder();
        if let Some(path) = path {
            builder.lib_path(path);
        }
        let nvml = builder.init().map_err(unavailable)?;
        let simulated = fake.is_some() || is_fake_driver(path.unwrap_or(OsStr::new(SYSTEM_LIBRARY)));
        Ok(NvmlProvider { nvml, simulated, fake })
    }

    /// The scenario file of the simulated bench (its simulated stress workers read it too).
    pub fn scenario(&self) -> Option<&std::path::Path> {
        self.fake.as_ref().map(|(_, scenario)| scenario.as_path())
    }

    /// Moves the simulated bench's scenario clock; nothing on a real driver.
    pub fn simulate_clock(&self, seconds: u64) {
        // SAFETY: the library is Revive's fake driver (it chose the scenario); the symbol has this signature there.
        if let Some((fake, _)) = &self.fake {
            unsafe {
                if let Ok(set) = fake.get::<unsafe extern "C" fn(u64) -> c_uint>(b"reviveFakeNvmlSetClock\0") {
                    set(seconds);
                }
            }
        }
    }

    /// Tells the simulated bench a GPU is under load (it then reads hot and busy); nothing on a real driver.
    pub fn simulate_load(&self, gpu: u32, loaded: bool) {
        // SAFETY: as in `simulate_clock`.
        if let Some((fake, _)) = &self.fake {
            unsafe {
                if let Ok(set) =
                    fake.get::<unsafe extern "C" fn(c_uint, std::ffi::c_int) -> c_uint>(b"reviveFakeNvmlSetLoad\0")
                {
                    set(gpu, i32::from(loaded));
                }
            }
        }
    }

    /// Reads what a stress test needs of the GPU: other compute processes, MIG, persistence, memory.
    pub fn stress_readiness(&self, gpu: u32) -> StressReadiness {
        let Ok(device) = self.nvml.device_by_index(gpu) else {
            return StressReadiness { lost: true, ..StressReadiness::default() };
        };
        let memory = device.memory_info().ok();
        StressReadiness {
            lost: matches!(device.temperature(TemperatureSensor::Gpu), Err(NvmlError::GpuLost)),
            compute_processes: device
                .running_compute_processes()
                .map(|processes| processes.iter().map(|p| p.pid).collect())
                .unwrap_or_default(),
            mig_enabled: device.mig_mode().ok().map(|mode| mode.current == 1),
            persistence: device.is_in_persistent_mode().ok(),
            memory_free_mib: memory.as_ref().map(|m| m.free >> 20),
            memory_total_mib: memory.as_ref().map(|m| m.total >> 20),
        }
    }

    fn read_gpu(&self, index: u32) -> GpuReading {
        let device = match self.nvml.device_by_index(index) {
            Ok(device) => device,
            Err(_) => return GpuReading::Lost { index },
        };
        match read_present(&self.nvml, &device) {
            Ok((identity, health)) => {
                GpuReading::Present { index, identity: Box::new(identity), health: Box::new(health) }
            }
            Err(GpuLost) => GpuReading::Lost { index },
        }
    }
}

impl GpuProvider for NvmlProvider {
    fn snapshot(&self) -> Result<BenchSnapshot, Unavailable> {
        let cuda = self.nvml.sys_cuda_driver_version().map_err(unavailable)?;
        let driver = DriverInfo {
            driver_version: self.nvml.sys_driver_version().map_err(unavailable)?,
            nvml_version: self.nvml.sys_nvml_version().map_err(unavailable)?,
            cuda_version: format!("{}.{}", cuda / 1000, (cuda % 1000) / 10),
        };
        let count = self.nvml.device_count().map_err(unavailable)?;
        Ok(BenchSnapshot { driver, simulated: self.simulated, gpus: (0..count).map(|i| self.read_gpu(i)).collect() })
    }

    fn sample(&self) -> Result<Vec<Sample>, Unavailable> {
        let at_ms = now_ms();
        let count = self.nvml.device_count().map_err(unavailable)?;
        Ok((0..count).map(|gpu| sample_gpu(&self.nvml, gpu, at_ms)).collect())
    }
}

/// One GPU's telemetry; a refused reading is absent, a lost GPU is marked lost.
fn sample_gpu(nvml: &Nvml, gpu: u32, at_ms: u64) -> Sample {
    let lost = Sample {
        at_ms,
        gpu,
        temperature_c: None,
        memory_temperature_c: None,
        power_w: None,
        sm_clock_mhz: None,
        pcie_generation: None,
        pcie_width: None,
        clock_event_reasons: 0,
        lost: true,
    };
    let Ok(device) = nvml.device_by_index(gpu) else { return lost };
    let mut r = Reader::default();
    let mut read = || -> Result<Sample, GpuLost> {
        let memory_temperature = r
            .get("field_values", device.field_values_for(&[FieldId(NVML_FI_DEV_MEMORY_TEMP)]))?
            .and_then(|fields| match fields.into_iter().next()?.ok()?.value {
                Ok(SampleValue::U32(value)) => Some(value),
                _ => None,
            });
        Ok(Sample {
            at_ms,
            gpu,
            temperature_c: r.get("temperature", device.temperature(TemperatureSensor::Gpu))?,
            memory_temperature_c: memory_temperature,
            power_w: r.get("power_usage", device.power_usage())?.map(|mw| f64::from(mw) / 1000.0),
            sm_clock_mhz: r.get("sm_clock", device.clock_info(Clock::SM))?,
            pcie_generation: r.get("pcie_generation", device.current_pcie_link_gen())?,
            pcie_width: r.get("pcie_width", device.current_pcie_link_width())?,
            clock_event_reasons: r
                .get("clock_event_reasons", device.current_throttle_reasons())?
                .map_or(0, |b| b.bits()),
            lost: false,
        })
    };
    read().unwrap_or(lost)
}

impl NvmlProvider {
    /// Delivers each Xid the driver reports (`gpu index`, `xid`) until `stop` is set; returns at
    /// once when the driver has no event support. Blocks: run it on a thread of its own.
    pub fn wait_for_xids(&self, stop: &AtomicBool, sink: &mut dyn FnMut(u32, u64)) {
        let Ok(set) = self.nvml.create_event_set() else { return };
        let Ok(count) = self.nvml.device_count() else { return };
        // Which handle is which GPU: a lost GPU cannot be asked its index any more.
        let mut registered = Vec::new();
        for index in 0..count {
            let Ok(device) = self.nvml.device_by_index(index) else { continue };
            // Registered through the raw call: nvml-wrapper's consumes the set on a GPU that refuses.
            // SAFETY: device and set belong to this NVML instance and outlive the call.
            let refused = unsafe {
                nvml_sym(self.nvml.lib().nvmlDeviceRegisterEvents.as_ref()).and_then(|register| {
                    nvml_try(register(device.handle(), EventTypes::CRITICAL_XID_ERROR.bits(), set.handle()))
                })
            };
            if refused.is_ok() {
                // SAFETY: the handle is only kept to compare with the handles events carry.
                registered.push((unsafe { device.handle() }, index));
            }
        }
        if registered.is_empty() {
            return;
        }
        while !stop.load(Ordering::Relaxed) {
            match set.wait(200) {
                Ok(event) => {
                    let xid = match event.event_data {
                        Some(XidError::Value(xid)) => xid,
                        _ => continue,
                    };
                    // SAFETY: only compares the handle value.
                    let handle = unsafe { event.device.handle() };
                    if let Some((_, index)) = registered.iter().find(|(known, _)| *known == handle) {
                        sink(*index, xid);
                    }
                }
                Err(NvmlError::Timeout) => {}
                // A lost GPU or a broken driver: nothing more will come through this set.
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(200)),
            }
        }
    }
}

/// The driver library NVML loads when no path is given.
const SYSTEM_LIBRARY: &str = "libnvidia-ml.so.1";
/// The symbol only Revive's fake driver exports.
const FAKE_DRIVER_SYMBOL: &[u8] = b"reviveFakeNvmlLoadScenario\0";

/// Whether the library NVML loaded is Revive's fake driver, asked of the library itself: whatever
/// name it was installed or loaded under, a simulated reading never passes as a real one.
fn is_fake_driver(library: &OsStr) -> bool {
    // SAFETY: the library is already loaded by NVML (this only takes another reference), and the
    // symbol is looked up, never called.
    unsafe {
        libloading::Library::new(library)
            .is_ok_and(|loaded| loaded.get::<unsafe extern "C" fn()>(FAKE_DRIVER_SYMBOL).is_ok())
    }
}

/// Tells the fake library which scenario its next `nvmlInit` loads.
fn choose_scenario(library: &OsStr, scenario: &std::path::Path) -> Result<libloading::Library, Unavailable> {
    let failed = |reason: String| Unavailable::Failed(format!("simulated bench: {reason}"));
    if !scenario.is_file() {
        return Err(failed(format!("no scenario file at {}", scenario.display())));
    }
    let path = CString::new(scenario.as_os_str().as_bytes()).map_err(|e| failed(e.to_string()))?;
    // SAFETY: the library is Revive's fake driver; the symbol has exactly this signature there.
    unsafe {
        let fake = libloading::Library::new(library).map_err(|e| failed(e.to_string()))?;
        let load = fake
            .get::<unsafe extern "C" fn(*const c_char) -> c_uint>(FAKE_DRIVER_SYMBOL)
            .map_err(|_| failed("the library is not Revive's fake driver".into()))?;
        match load(path.as_ptr()) {
            0 => Ok(fake),
            code => Err(failed(format!("scenario refused (NVML code {code})"))),
        }
    }
}

fn unavailable(error: NvmlError) -> Unavailable {
    match error {
        NvmlError::LibloadingError(_) | NvmlError::LibraryNotFound | NvmlError::FailedToLoadSymbol(_) => {
            Unavailable::NoDriver
        }
        NvmlError::DriverNotLoaded => Unavailable::DriverNotLoaded,
        NvmlError::NoPermission => Unavailable::PermissionDenied,
        other => Unavailable::Failed(other.to_string()),
    }
}

/// The GPU stopped answering part-way through a reading.
struct GpuLost;

/// Collects one GPU's readings: "not supported" is an absent value, any other refusal is noted.
#[derive(Default)]
struct Reader {
    unreadable: Vec<Unreadable>,
}

impl Reader {
    fn get<T>(&mut self, reading: &'static str, result: Result<T, NvmlError>) -> Result<Option<T>, GpuLost> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(NvmlError::NotSupported) => Ok(None),
            Err(NvmlError::GpuLost) => Err(GpuLost),
            Err(error) => {
                let reason = match error {
                    NvmlError::InsufficientPower => "insufficient_power",
                    NvmlError::CorruptedInfoROM => "corrupted_inforom",
                    NvmlError::NoPermission => "no_permission",
                    _ => "failed",
                };
                self.unreadable.push(Unreadable { reading: reading.to_owned(), reason: reason.to_owned() });
                Ok(None)
            }
        }
    }
}

fn hex(value: u32, digits: usize) -> String {
    format!("0x{value:0digits$x}")
}

fn read_present(nvml: &Nvml, device: &Device) -> Result<(Identity, Health), GpuLost> {
    let mut r = Reader::default();
    let pci = r.get("pci_info", device.pci_info())?;
    let memory = r.get("memory_info", device.memory_info())?;
    let inforom_valid = device.validate_info_rom().map(|()| true).or_else(|error| match error {
        NvmlError::CorruptedInfoROM => Ok(false),
        other => Err(other),
    });
    let identity = Identity {
        name: r.get("name", device.name())?,
        serial: r.get("serial", device.serial())?,
        uuid: r.get("uuid", device.uuid())?,
        board_part_number: r.get("board_part_number", device.board_part_number())?,
        vbios_version: r.get("vbios_version", device.vbios_version())?,
        inforom_image_version: r.get("inforom_image_version", device.info_rom_image_version())?,
        inforom_oem_version: r.get("inforom_oem_version", device.info_rom_version(InfoRom::OEM))?,
        inforom_ecc_version: r.get("inforom_ecc_version", device.info_rom_version(InfoRom::ECC))?,
        inforom_power_version: r.get("inforom_power_version", device.info_rom_version(InfoRom::Power))?,
        inforom_valid: r.get("inforom_validation", inforom_valid)?,
        pci_device_id: pci.as_ref().map(|p| hex(p.pci_device_id >> 16, 4)),
        pci_subsystem_id: pci.as_ref().and_then(|p| p.pci_sub_system_id).map(|id| hex(id, 8)),
        bus_id: pci.map(|p| p.bus_id),
        memory_total_mib: memory.as_ref().map(|m| m.total / (1024 * 1024)),
        architecture: r.get("architecture", device.architecture())?.map(|a| a.to_string().to_lowercase()),
        gsp_firmware_version: r.get("gsp_firmware_version", device.gsp_firmware_version())?,
    };

    let fans = match r.get("fan_count", device.num_fans())? {
        Some(count) => {
            let speeds =
                (0..count).map(|fan| r.get("fan_speed", device.fan_speed(fan))).collect::<Result<Vec<_>, _>>()?;
            Some(speeds.into_iter().flatten().collect())
        }
        None => None,
    };
    let fields = r.get(
        "field_values",
        device.field_values_for(&[FieldId(NVML_FI_DEV_MEMORY_TEMP), FieldId(NVML_FI_DEV_GET_GPU_RECOVERY_ACTION)]),
    )?;
    let field = |slot: usize| -> Option<u32> {
        match fields.as_ref()?.get(slot)?.as_ref().ok()?.value {
            Ok(SampleValue::U32(value)) => Some(value),
            Ok(SampleValue::U64(value)) => u32::try_from(value).ok(),
            _ => None,
        }
    };
    let milliwatts_to_watts = |mw: u32| f64::from(mw) / 1000.0;
    let health = Health {
        temperature_c: r.get("temperature", device.temperature(TemperatureSensor::Gpu))?,
        memory_temperature_c: field(0),
        shutdown_c: r.get("shutdown_threshold", device.temperature_threshold(TemperatureThreshold::Shutdown))?,
        slowdown_c: r.get("slowdown_threshold", device.temperature_threshold(TemperatureThreshold::Slowdown))?,
        max_operating_c: r
            .get("max_operating_threshold", device.temperature_threshold(TemperatureThreshold::GpuMax))?,
        memory_max_c: r.get("memory_max_threshold", device.temperature_threshold(TemperatureThreshold::MemoryMax))?,
        power_w: r.get("power_usage", device.power_usage())?.map(milliwatts_to_watts),
        enforced_power_limit_w: r.get("enforced_power_limit", device.enforced_power_limit())?.map(milliwatts_to_watts),
        default_power_limit_w: r
            .get("default_power_limit", device.power_management_limit_default())?
            .map(milliwatts_to_watts),
        sm_clock_mhz: r.get("sm_clock", device.clock_info(Clock::SM))?,
        max_sm_clock_mhz: r.get("max_sm_clock", device.max_clock_info(Clock::SM))?,
        memory_used_mib: memory.map(|m| m.used / (1024 * 1024)),
        pcie: Pcie {
            generation: r.get("pcie_generation", device.current_pcie_link_gen())?,
            width: r.get("pcie_width", device.current_pcie_link_width())?,
            max_generation: r.get("pcie_max_generation", device.max_pcie_link_gen())?,
            max_width: r.get("pcie_max_width", device.max_pcie_link_width())?,
            replays: r.get("pcie_replays", device.pcie_replay_counter())?,
        },
        clock_event_reasons: r
            .get("clock_event_reasons", device.current_throttle_reasons())?
            .map(|reasons| clock_event_reason_names(reasons.bits())),
        ecc: read_ecc(&mut r, device)?,
        remapped_rows: r.get("remapped_rows", remapped_rows(nvml, device))?,
        remapper_histogram: r.get("remapper_histogram", remapper_histogram(nvml, device))?,
        retired_pages: read_retired_pages(&mut r, device)?,
        fan_speeds_percent: fans,
        recovery_action: field(1)
            .map(|code| RECOVERY_ACTIONS.get(code as usize).copied().unwrap_or("unknown").to_owned()),
        unreadable: Vec::new(),
    };
    Ok((identity, Health { unreadable: r.unreadable, ..health }))
}

/// NVML's `nvmlDeviceGpuRecoveryAction_t`, by value.
const RECOVERY_ACTIONS: [&str; 5] = ["none", "gpu_reset", "node_reboot", "drain_p2p", "drain_and_reset"];

fn read_ecc(r: &mut Reader, device: &Device) -> Result<Option<Ecc>, GpuLost> {
    let total = |error, counter| device.total_ecc_errors(error, counter);
    let Some(volatile_corrected) =
        r.get("ecc_volatile_corrected", total(MemoryError::Corrected, EccCounter::Volatile))?
    else {
        return Ok(None);
    };
    let location = |where_| device.memory_error_counter(MemoryError::Uncorrected, EccCounter::Aggregate, where_);
    Ok(Some(Ecc {
        volatile_corrected,
        volatile_uncorrected: r
            .get("ecc_volatile_uncorrected", total(MemoryError::Uncorrected, EccCounter::Volatile))?
            .unwrap_or(0),
        aggregate_corrected: r
            .get("ecc_aggregate_corrected", total(MemoryError::Corrected, EccCounter::Aggregate))?
            .unwrap_or(0),
        aggregate_uncorrected: r
            .get("ecc_aggregate_uncorrected", total(MemoryError::Uncorrected, EccCounter::Aggregate))?
            .unwrap_or(0),
        aggregate_uncorrected_dram: r.get("ecc_aggregate_uncorrected_dram", location(MemoryLocation::Device))?,
        aggregate_uncorrected_sram: r.get("ecc_aggregate_uncorrected_sram", location(MemoryLocation::SRAM))?,
    }))
}

fn read_retired_pages(r: &mut Reader, device: &Device) -> Result<Option<RetiredPages>, GpuLost> {
    let Some(single) =
        r.get("retired_pages_single_bit", device.retired_pages(RetirementCause::MultipleSingleBitEccErrors))?
    else {
        return Ok(None);
    };
    Ok(Some(RetiredPages {
        single_bit: single.len() as u32,
        double_bit: r
            .get("retired_pages_double_bit", device.retired_pages(RetirementCause::DoubleBitEccError))?
            .map_or(0, |pages| pages.len() as u32),
        pending: r.get("retired_pages_pending", device.are_pages_pending_retired())?.unwrap_or(false),
    }))
}

fn remapped_rows(nvml: &Nvml, device: &Device) -> Result<RemappedRows, NvmlError> {
    let (mut correctable, mut uncorrectable, mut pending, mut failure) = (0, 0, 0, 0);
    // SAFETY: the handle belongs to this NVML instance; the out-pointers are valid for the call.
    unsafe {
        let call = nvml_sym(nvml.lib().nvmlDeviceGetRemappedRows.as_ref())?;
        nvml_try(call(device.handle(), &mut correctable, &mut uncorrectable, &mut pending, &mut failure))?;
    }
    Ok(RemappedRows { correctable, uncorrectable, pending: pending != 0, failure: failure != 0 })
}

fn remapper_histogram(nvml: &Nvml, device: &Device) -> Result<RemapperHistogram, NvmlError> {
    let mut values =
        nvml_wrapper_sys::bindings::nvmlRowRemapperHistogramValues_t { max: 0, high: 0, partial: 0, low: 0, none: 0 };
    // SAFETY: as above.
    unsafe {
        let call = nvml_sym(nvml.lib().nvmlDeviceGetRowRemapperHistogram.as_ref())?;
        nvml_try(call(device.handle(), &mut values))?;
    }
    Ok(RemapperHistogram {
        max: values.max,
        high: values.high,
        partial: values.partial,
        low: values.low,
        none: values.none,
    })
}
