//! The simulated bench's driver: a library exporting the NVML C ABI (`nvmlInit_v2`,
//! `nvmlDeviceGetRemappedRows`, …) that answers from a scenario file, so Revive's real NVML code
//! runs unchanged against it. Types and constants come from nvml-wrapper-sys, so every struct has
//! exactly the layout the caller expects. No panic crosses the FFI boundary.
//!
//! The scenario is named by [`reviveFakeNvmlLoadScenario`] before `nvmlInit_v2`, or by the
//! `REVIVE_FAKE_NVML_SCENARIO` environment variable.
#![allow(non_snake_case, non_upper_case_globals, clippy::missing_safety_doc)]

pub mod locate;
mod monitoring;
pub mod scenario;

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use nvml_wrapper_sys::bindings::*;

use scenario::{Architecture, Bench, ClockEventReason, EccLocations, Gpu, NvmlError, Process, RecoveryAction, Stage};

pub const SCENARIO_VARIABLE: &str = "REVIVE_FAKE_NVML_SCENARIO";

const SUCCESS: nvmlReturn_t = nvmlReturn_enum_NVML_SUCCESS;
const NOT_SUPPORTED: nvmlReturn_t = nvmlReturn_enum_NVML_ERROR_NOT_SUPPORTED;
const INVALID_ARGUMENT: nvmlReturn_t = nvmlReturn_enum_NVML_ERROR_INVALID_ARGUMENT;
const UNINITIALIZED: nvmlReturn_t = nvmlReturn_enum_NVML_ERROR_UNINITIALIZED;
const INSUFFICIENT_SIZE: nvmlReturn_t = nvmlReturn_enum_NVML_ERROR_INSUFFICIENT_SIZE;
const UNKNOWN: nvmlReturn_t = nvmlReturn_enum_NVML_ERROR_UNKNOWN;

include!(concat!(env!("OUT_DIR"), "/stubs.rs"));

struct Driver {
    bench: Bench,
    /// Calls answered per GPU: the clock a scenario's timeline runs on unless it counts seconds.
    calls: Vec<u64>,
    /// Seconds on the scenario clock, as a simulated stress run sets it.
    clock_seconds: u64,
    /// GPUs a simulated stress run is loading now.
    loaded: Vec<bool>,
    /// Event sets by handle (index + 1): the GPUs registered for Xid events.
    event_sets: Vec<Option<Vec<usize>>>,
    /// Xid events already delivered, as (GPU, position in that GPU's list).
    delivered: std::collections::HashSet<(usize, usize)>,
}

/// The scenario chosen for the next `nvmlInit`; the driver loaded from it while initialised.
static SCENARIO_PATH: Mutex<Option<String>> = Mutex::new(None);
static DRIVER: Mutex<Option<Driver>> = Mutex::new(None);

type Answer<T> = Result<T, nvmlReturn_t>;

fn code(error: NvmlError) -> nvmlReturn_t {
    match error {
        NvmlError::NotSupported => NOT_SUPPORTED,
        NvmlError::NoPermission => nvmlReturn_enum_NVML_ERROR_NO_PERMISSION,
        NvmlError::InsufficientPower => nvmlReturn_enum_NVML_ERROR_INSUFFICIENT_POWER,
        NvmlError::DriverNotLoaded => nvmlReturn_enum_NVML_ERROR_DRIVER_NOT_LOADED,
        NvmlError::LibraryNotFound => nvmlReturn_enum_NVML_ERROR_LIBRARY_NOT_FOUND,
        NvmlError::CorruptedInforom => nvmlReturn_enum_NVML_ERROR_CORRUPTED_INFOROM,
        NvmlError::GpuIsLost => nvmlReturn_enum_NVML_ERROR_GPU_IS_LOST,
        NvmlError::Unknown => UNKNOWN,
    }
}

/// Runs one exported call: its error code, or UNKNOWN if anything panicked.
fn answer(call: impl FnOnce() -> Answer<()>) -> nvmlReturn_t {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => SUCCESS,
        Ok(Err(code)) => code,
        Err(_) => UNKNOWN,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn with_driver<T>(read: impl FnOnce(&mut Driver) -> Answer<T>) -> Answer<T> {
    lock(&DRIVER).as_mut().map_or(Err(UNINITIALIZED), read)
}

impl Driver {
    /// Where GPU `index` is on the scenario's timeline.
    fn timeline_at(&self, index: usize) -> u64 {
        if self.bench.on_seconds {
            self.clock_seconds
        } else {
            self.calls[index]
        }
    }
}

/// Answers a call about one GPU as the scenario has it at this point of its timeline.
fn with_gpu<T>(device: nvmlDevice_t, symbol: &str, read: impl FnOnce(&Gpu) -> Answer<T>) -> Answer<T> {
    with_driver(|driver| {
        let index = (device as usize).checked_sub(1).filter(|i| *i < driver.calls.len()).ok_or(INVALID_ARGUMENT)?;
        driver.calls[index] += 1;
        match driver.bench.stage(index, driver.timeline_at(index)) {
            Some(Stage::Present(gpu)) => match gpu.failures.get(symbol) {
                Some(error) => Err(code(*error)),
                None if driver.loaded[index] => read(&gpu.loaded()),
                None => read(gpu),
            },
            Some(Stage::Lost) => Err(nvmlReturn_enum_NVML_ERROR_GPU_IS_LOST),
            None => Err(INVALID_ARGUMENT),
        }
    })
}

unsafe fn put<T>(target: *mut T, value: T) -> Answer<()> {
    if target.is_null() {
        return Err(INVALID_ARGUMENT);
    }
    target.write(value);
    Ok(())
}

/// Copies `text` NUL-terminated into a caller's buffer of `length` bytes.
unsafe fn put_text(buffer: *mut c_char, length: c_uint, text: &str) -> Answer<()> {
    if buffer.is_null() {
        return Err(INVALID_ARGUMENT);
    }
    if text.len() + 1 > length as usize {
        return Err(INSUFFICIENT_SIZE);
    }
    std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buffer, text.len());
    buffer.add(text.len()).write(0);
    Ok(())
}

/// Chooses the scenario file the next `nvmlInit` loads (Revive's simulated bench calls this).
#[no_mangle]
pub unsafe extern "C" fn reviveFakeNvmlLoadScenario(path: *const c_char) -> nvmlReturn_t {
    answer(|| {
        if path.is_null() {
            return Err(INVALID_ARGUMENT);
        }
        let path = CStr::from_ptr(path).to_str().map_err(|_| INVALID_ARGUMENT)?;
        *lock(&SCENARIO_PATH) = Some(path.to_owned());
        Ok(())
    })
}

/// Sets the scenario clock a timeline in `after_seconds` runs on (Revive's simulated stress runs).
#[no_mangle]
pub unsafe extern "C" fn reviveFakeNvmlSetClock(seconds: c_ulonglong) -> nvmlReturn_t {
    answer(|| {
        with_driver(|d| {
            d.clock_seconds = seconds;
            Ok(())
        })
    })
}

/// Marks GPU `index` as loaded by a simulated stress run, or idle again: it then reads as its
/// scenario's `under_load` says.
#[no_mangle]
pub unsafe extern "C" fn reviveFakeNvmlSetLoad(index: c_uint, loaded: c_int) -> nvmlReturn_t {
    answer(|| {
        with_driver(|d| {
            *d.loaded.get_mut(index as usize).ok_or(INVALID_ARGUMENT)? = loaded != 0;
            Ok(())
        })
    })
}

fn load_driver() -> Answer<()> {
    let chosen = lock(&SCENARIO_PATH).clone();
    let path = chosen.or_else(|| std::env::var(SCENARIO_VARIABLE).ok()).ok_or(UNINITIALIZED)?;
    let text = std::fs::read_to_string(&path).map_err(|error| {
        eprintln!("fake NVML: cannot read scenario {path}: {error}");
        UNKNOWN
    })?;
    let bench = Bench::parse(&text).map_err(|error| {
        eprintln!("fake NVML: scenario {path} is invalid: {error}");
        UNKNOWN
    })?;
    if let Some(error) = bench.scenario.init_error {
        return Err(code(error));
    }
    let gpus = bench.scenario.gpus.len();
    *lock(&DRIVER) = Some(Driver {
        bench,
        calls: vec![0; gpus],
        clock_seconds: 0,
        loaded: vec![false; gpus],
        event_sets: Vec::new(),
        delivered: Default::default(),
    });
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn nvmlInit_v2() -> nvmlReturn_t {
    answer(load_driver)
}

#[no_mangle]
pub unsafe extern "C" fn nvmlInitWithFlags(_flags: c_uint) -> nvmlReturn_t {
    answer(load_driver)
}

#[no_mangle]
pub unsafe extern "C" fn nvmlShutdown() -> nvmlReturn_t {
    answer(|| lock(&DRIVER).take().map(|_| ()).ok_or(UNINITIALIZED))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlErrorString(result: nvmlReturn_t) -> *const c_char {
    let text: &'static CStr = match result {
        SUCCESS => c"Success",
        NOT_SUPPORTED => c"Not Supported",
        INVALID_ARGUMENT => c"Invalid Argument",
        UNINITIALIZED => c"Uninitialized",
        nvmlReturn_enum_NVML_ERROR_GPU_IS_LOST => c"GPU is lost",
        _ => c"Unknown Error",
    };
    text.as_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn nvmlSystemGetDriverVersion(version: *mut c_char, length: c_uint) -> nvmlReturn_t {
    answer(|| with_driver(|d| put_text(version, length, &d.bench.scenario.system.driver_version)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlSystemGetNVMLVersion(version: *mut c_char, length: c_uint) -> nvmlReturn_t {
    answer(|| with_driver(|d| put_text(version, length, &d.bench.scenario.system.nvml_version)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlSystemGetCudaDriverVersion(version: *mut c_int) -> nvmlReturn_t {
    answer(|| with_driver(|d| put(version, d.bench.scenario.system.cuda_driver_version)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlSystemGetCudaDriverVersion_v2(version: *mut c_int) -> nvmlReturn_t {
    nvmlSystemGetCudaDriverVersion(version)
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetCount_v2(count: *mut c_uint) -> nvmlReturn_t {
    answer(|| with_driver(|d| put(count, d.calls.len() as c_uint)))
}

/// Handles are the GPU's index plus one, so a null handle is never valid.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetHandleByIndex_v2(index: c_uint, device: *mut nvmlDevice_t) -> nvmlReturn_t {
    answer(|| {
        with_driver(|d| {
            if index as usize >= d.calls.len() {
                return Err(INVALID_ARGUMENT);
            }
            put(device, (index as usize + 1) as nvmlDevice_t)
        })
    })
}

macro_rules! text_getter {
    ($symbol:ident, $($field:ident).+) => {
        #[no_mangle]
        pub unsafe extern "C" fn $symbol(device: nvmlDevice_t, text: *mut c_char, length: c_uint) -> nvmlReturn_t {
            answer(|| with_gpu(device, stringify!($symbol), |gpu: &Gpu| put_text(text, length, &gpu.$($field).+)))
        }
    };
}

text_getter!(nvmlDeviceGetName, name);
text_getter!(nvmlDeviceGetSerial, serial);
text_getter!(nvmlDeviceGetUUID, uuid);
text_getter!(nvmlDeviceGetBoardPartNumber, board_part_number);
text_getter!(nvmlDeviceGetVbiosVersion, vbios_version);
text_getter!(nvmlDeviceGetInforomImageVersion, inforom.image_version);

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetInforomVersion(
    device: nvmlDevice_t,
    object: nvmlInforomObject_t,
    version: *mut c_char,
    length: c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetInforomVersion", |gpu| {
            let text = match object {
                nvmlInforomObject_enum_NVML_INFOROM_OEM => &gpu.inforom.oem_version,
                nvmlInforomObject_enum_NVML_INFOROM_ECC => &gpu.inforom.ecc_version,
                nvmlInforomObject_enum_NVML_INFOROM_POWER => &gpu.inforom.power_version,
                _ => return Err(NOT_SUPPORTED),
            };
            put_text(version, length, text)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceValidateInforom(device: nvmlDevice_t) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceValidateInforom", |gpu| {
            if gpu.inforom.valid {
                Ok(())
            } else {
                Err(nvmlReturn_enum_NVML_ERROR_CORRUPTED_INFOROM)
            }
        })
    })
}

/// NVML's GSP firmware buffer is NVML_GSP_FIRMWARE_VERSION_BUF_SIZE (0x40) bytes.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetGspFirmwareVersion(device: nvmlDevice_t, version: *mut c_char) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetGspFirmwareVersion", |gpu| {
            put_text(version, 0x40, gpu.gsp_firmware_version.as_deref().ok_or(NOT_SUPPORTED)?)
        })
    })
}

fn fixed<const N: usize>(text: &str) -> [c_char; N] {
    let mut out = [0 as c_char; N];
    for (slot, byte) in out.iter_mut().zip(text.bytes().take(N - 1)) {
        *slot = byte as c_char;
    }
    out
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetPciInfo_v3(device: nvmlDevice_t, pci: *mut nvmlPciInfo_t) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetPciInfo_v3", |gpu| {
            let parts: Vec<u32> =
                gpu.pci.bus_id.split([':', '.']).map(|part| u32::from_str_radix(part, 16).unwrap_or(0)).collect();
            let legacy = gpu.pci.bus_id.get(4..).unwrap_or(&gpu.pci.bus_id);
            put(
                pci,
                nvmlPciInfo_t {
                    busIdLegacy: fixed(legacy),
                    domain: parts.first().copied().unwrap_or(0),
                    bus: parts.get(1).copied().unwrap_or(0),
                    device: parts.get(2).copied().unwrap_or(0),
                    pciDeviceId: (gpu.pci.device_id << 16) | 0x10de,
                    pciSubSystemId: gpu.pci.subsystem_id,
                    busId: fixed(&gpu.pci.bus_id),
                },
            )
        })
    })
}

/// NVML_STRUCT_VERSION(Memory, 2): the struct's size with the version in the top byte.
const MEMORY_V2_VERSION: c_uint = std::mem::size_of::<nvmlMemory_v2_t>() as c_uint | 2 << 24;

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMemoryInfo_v2(
    device: nvmlDevice_t,
    memory: *mut nvmlMemory_v2_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetMemoryInfo_v2", |gpu| {
            if memory.is_null() {
                return Err(INVALID_ARGUMENT);
            }
            if (*memory).version != MEMORY_V2_VERSION {
                return Err(nvmlReturn_enum_NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
            }
            let [total, reserved, used] = memory_bytes(gpu);
            let free = total - reserved - used;
            put(memory, nvmlMemory_v2_t { version: MEMORY_V2_VERSION, total, reserved, free, used })
        })
    })
}

/// Total, reserved and used bytes (the scenario check keeps used + reserved within the total).
fn memory_bytes(gpu: &Gpu) -> [c_ulonglong; 3] {
    let mib = 1024 * 1024;
    [gpu.memory.total_mib * mib, gpu.memory.reserved_mib * mib, gpu.memory.used_mib * mib]
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetComputeRunningProcesses_v3(
    device: nvmlDevice_t,
    count: *mut c_uint,
    infos: *mut nvmlProcessInfo_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetComputeRunningProcesses_v3", |gpu| {
            put_processes(&gpu.compute_processes, count, infos)
        })
    })
}

/// Writes a process list the NVML way: the count always, the entries only if there is room.
unsafe fn put_processes(processes: &[Process], count: *mut c_uint, infos: *mut nvmlProcessInfo_t) -> Answer<()> {
    if count.is_null() {
        return Err(INVALID_ARGUMENT);
    }
    let room = *count as usize;
    *count = processes.len() as c_uint;
    if infos.is_null() || room < processes.len() {
        return if processes.is_empty() { Ok(()) } else { Err(INSUFFICIENT_SIZE) };
    }
    for (slot, process) in processes.iter().enumerate() {
        infos.add(slot).write(nvmlProcessInfo_t {
            pid: process.pid,
            usedGpuMemory: process.used_mib * 1024 * 1024,
            gpuInstanceId: u32::MAX,
            computeInstanceId: u32::MAX,
        });
    }
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMigMode(
    device: nvmlDevice_t,
    current: *mut c_uint,
    pending: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetMigMode", |gpu| {
            put(current, c_uint::from(gpu.mig_mode))?;
            put(pending, c_uint::from(gpu.mig_mode))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetPersistenceMode(
    device: nvmlDevice_t,
    mode: *mut nvmlEnableState_t,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetPersistenceMode", |gpu| put(mode, enable_state(gpu.persistence_mode))))
}

fn enable_state(on: bool) -> nvmlEnableState_t {
    if on {
        nvmlEnableState_enum_NVML_FEATURE_ENABLED
    } else {
        nvmlEnableState_enum_NVML_FEATURE_DISABLED
    }
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetArchitecture(
    device: nvmlDevice_t,
    architecture: *mut nvmlDeviceArchitecture_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetArchitecture", |gpu| {
            let id = match gpu.architecture {
                Architecture::Volta => NVML_DEVICE_ARCH_VOLTA,
                Architecture::Turing => NVML_DEVICE_ARCH_TURING,
                Architecture::Ampere => NVML_DEVICE_ARCH_AMPERE,
                Architecture::Ada => NVML_DEVICE_ARCH_ADA,
                Architecture::Hopper => NVML_DEVICE_ARCH_HOPPER,
                Architecture::Blackwell => NVML_DEVICE_ARCH_BLACKWELL,
            };
            put(architecture, id)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetTemperature(
    device: nvmlDevice_t,
    sensor: nvmlTemperatureSensors_t,
    celsius: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetTemperature", |gpu| {
            if sensor != nvmlTemperatureSensors_enum_NVML_TEMPERATURE_GPU {
                return Err(INVALID_ARGUMENT);
            }
            put(celsius, gpu.temperature.gpu_c)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetTemperatureThreshold(
    device: nvmlDevice_t,
    threshold: nvmlTemperatureThresholds_t,
    celsius: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetTemperatureThreshold", |gpu| {
            let t = &gpu.temperature;
            let value = match threshold {
                nvmlTemperatureThresholds_enum_NVML_TEMPERATURE_THRESHOLD_SHUTDOWN => Some(t.shutdown_c),
                nvmlTemperatureThresholds_enum_NVML_TEMPERATURE_THRESHOLD_SLOWDOWN => Some(t.slowdown_c),
                nvmlTemperatureThresholds_enum_NVML_TEMPERATURE_THRESHOLD_MEM_MAX => t.memory_max_c,
                nvmlTemperatureThresholds_enum_NVML_TEMPERATURE_THRESHOLD_GPU_MAX => t.max_operating_c,
                _ => None,
            };
            put(celsius, value.ok_or(NOT_SUPPORTED)?)
        })
    })
}

macro_rules! number_getter {
    ($symbol:ident, $type:ty, $field:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $symbol(device: nvmlDevice_t, value: *mut $type) -> nvmlReturn_t {
            answer(|| with_gpu(device, stringify!($symbol), |gpu: &Gpu| put(value, $field(gpu))))
        }
    };
}

number_getter!(nvmlDeviceGetPowerUsage, c_uint, |g: &Gpu| g.power.usage_mw);
number_getter!(nvmlDeviceGetEnforcedPowerLimit, c_uint, |g: &Gpu| g.power.enforced_limit_mw);
number_getter!(nvmlDeviceGetPowerManagementDefaultLimit, c_uint, |g: &Gpu| g.power.default_limit_mw);
number_getter!(nvmlDeviceGetCurrPcieLinkGeneration, c_uint, |g: &Gpu| g.pcie.gen);
number_getter!(nvmlDeviceGetCurrPcieLinkWidth, c_uint, |g: &Gpu| g.pcie.width);
number_getter!(nvmlDeviceGetMaxPcieLinkGeneration, c_uint, |g: &Gpu| g.pcie.max_gen);
number_getter!(nvmlDeviceGetMaxPcieLinkWidth, c_uint, |g: &Gpu| g.pcie.max_width);
number_getter!(nvmlDeviceGetPcieReplayCounter, c_uint, |g: &Gpu| g.pcie.replays);
number_getter!(nvmlDeviceGetCurrentClocksThrottleReasons, c_ulonglong, |g: &Gpu| event_reasons(g));
number_getter!(nvmlDeviceGetCurrentClocksEventReasons, c_ulonglong, |g: &Gpu| event_reasons(g));

fn event_reasons(gpu: &Gpu) -> c_ulonglong {
    gpu.clock_event_reasons.iter().fold(0, |mask, reason| {
        mask | c_ulonglong::from(match reason {
            ClockEventReason::GpuIdle => nvmlClocksEventReasonGpuIdle,
            ClockEventReason::ApplicationsClocksSetting => nvmlClocksEventReasonApplicationsClocksSetting,
            ClockEventReason::SwPowerCap => nvmlClocksEventReasonSwPowerCap,
            ClockEventReason::HwSlowdown => nvmlClocksThrottleReasonHwSlowdown,
            ClockEventReason::SyncBoost => nvmlClocksEventReasonSyncBoost,
            ClockEventReason::SwThermalSlowdown => nvmlClocksEventReasonSwThermalSlowdown,
            ClockEventReason::HwThermalSlowdown => nvmlClocksThrottleReasonHwThermalSlowdown,
            ClockEventReason::HwPowerBrakeSlowdown => nvmlClocksThrottleReasonHwPowerBrakeSlowdown,
            ClockEventReason::DisplayClockSetting => nvmlClocksEventReasonDisplayClockSetting,
        })
    })
}

fn clock(gpu: &Gpu, kind: nvmlClockType_t, max: bool) -> Answer<c_uint> {
    let c = &gpu.clocks;
    match (kind, max) {
        (nvmlClockType_enum_NVML_CLOCK_GRAPHICS | nvmlClockType_enum_NVML_CLOCK_SM, false) => Ok(c.sm_mhz),
        (nvmlClockType_enum_NVML_CLOCK_GRAPHICS | nvmlClockType_enum_NVML_CLOCK_SM, true) => Ok(c.max_sm_mhz),
        (nvmlClockType_enum_NVML_CLOCK_MEM, false) => Ok(c.memory_mhz),
        (nvmlClockType_enum_NVML_CLOCK_MEM, true) => Ok(c.max_memory_mhz),
        _ => Err(NOT_SUPPORTED),
    }
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetClockInfo(
    device: nvmlDevice_t,
    kind: nvmlClockType_t,
    mhz: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetClockInfo", |gpu| put(mhz, clock(gpu, kind, false)?)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMaxClockInfo(
    device: nvmlDevice_t,
    kind: nvmlClockType_t,
    mhz: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetMaxClockInfo", |gpu| put(mhz, clock(gpu, kind, true)?)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetEccMode(
    device: nvmlDevice_t,
    current: *mut nvmlEnableState_t,
    pending: *mut nvmlEnableState_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetEccMode", |gpu| {
            gpu.ecc.as_ref().ok_or(NOT_SUPPORTED)?;
            put(current, nvmlEnableState_enum_NVML_FEATURE_ENABLED)?;
            put(pending, nvmlEnableState_enum_NVML_FEATURE_ENABLED)
        })
    })
}

fn ecc_locations(gpu: &Gpu, error: nvmlMemoryErrorType_t, counter: nvmlEccCounterType_t) -> Answer<&EccLocations> {
    let ecc = gpu.ecc.as_ref().ok_or(NOT_SUPPORTED)?;
    let counts = match counter {
        nvmlEccCounterType_enum_NVML_VOLATILE_ECC => &ecc.volatile,
        nvmlEccCounterType_enum_NVML_AGGREGATE_ECC => &ecc.aggregate,
        _ => return Err(INVALID_ARGUMENT),
    };
    match error {
        nvmlMemoryErrorType_enum_NVML_MEMORY_ERROR_TYPE_CORRECTED => Ok(&counts.corrected),
        nvmlMemoryErrorType_enum_NVML_MEMORY_ERROR_TYPE_UNCORRECTED => Ok(&counts.uncorrected),
        _ => Err(INVALID_ARGUMENT),
    }
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetTotalEccErrors(
    device: nvmlDevice_t,
    error: nvmlMemoryErrorType_t,
    counter: nvmlEccCounterType_t,
    count: *mut c_ulonglong,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetTotalEccErrors", |gpu| put(count, ecc_locations(gpu, error, counter)?.total()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMemoryErrorCounter(
    device: nvmlDevice_t,
    error: nvmlMemoryErrorType_t,
    counter: nvmlEccCounterType_t,
    location: nvmlMemoryLocation_t,
    count: *mut c_ulonglong,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetMemoryErrorCounter", |gpu| {
            let at = ecc_locations(gpu, error, counter)?;
            let value = match location {
                nvmlMemoryLocation_enum_NVML_MEMORY_LOCATION_L1_CACHE => at.l1_cache,
                nvmlMemoryLocation_enum_NVML_MEMORY_LOCATION_L2_CACHE => at.l2_cache,
                nvmlMemoryLocation_enum_NVML_MEMORY_LOCATION_DRAM => at.dram,
                nvmlMemoryLocation_enum_NVML_MEMORY_LOCATION_REGISTER_FILE => at.register_file,
                nvmlMemoryLocation_enum_NVML_MEMORY_LOCATION_SRAM => at.sram,
                _ => return Err(NOT_SUPPORTED),
            };
            put(count, value)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetRemappedRows(
    device: nvmlDevice_t,
    correctable: *mut c_uint,
    uncorrectable: *mut c_uint,
    pending: *mut c_uint,
    failure: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetRemappedRows", |gpu| {
            let rows = gpu.remapped_rows.as_ref().ok_or(NOT_SUPPORTED)?;
            put(correctable, rows.correctable)?;
            put(uncorrectable, rows.uncorrectable)?;
            put(pending, c_uint::from(rows.pending))?;
            put(failure, c_uint::from(rows.failure))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetRowRemapperHistogram(
    device: nvmlDevice_t,
    values: *mut nvmlRowRemapperHistogramValues_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetRowRemapperHistogram", |gpu| {
            let h = gpu.remapper_histogram.as_ref().ok_or(NOT_SUPPORTED)?;
            put(
                values,
                nvmlRowRemapperHistogramValues_t {
                    max: h.max,
                    high: h.high,
                    partial: h.partial,
                    low: h.low,
                    none: h.none,
                },
            )
        })
    })
}

/// The first version, without timestamps: nvml-wrapper counts the pages through it.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetRetiredPages(
    device: nvmlDevice_t,
    cause: nvmlPageRetirementCause_t,
    count: *mut c_uint,
    addresses: *mut c_ulonglong,
) -> nvmlReturn_t {
    nvmlDeviceGetRetiredPages_v2(device, cause, count, addresses, std::ptr::null_mut())
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetRetiredPages_v2(
    device: nvmlDevice_t,
    cause: nvmlPageRetirementCause_t,
    count: *mut c_uint,
    addresses: *mut c_ulonglong,
    timestamps: *mut c_ulonglong,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetRetiredPages_v2", |gpu| {
            let retired = gpu.retired_pages.as_ref().ok_or(NOT_SUPPORTED)?;
            let pages = match cause {
                nvmlPageRetirementCause_enum_NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS => {
                    &retired.single_bit
                }
                nvmlPageRetirementCause_enum_NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR => &retired.double_bit,
                _ => return Err(INVALID_ARGUMENT),
            };
            if count.is_null() {
                return Err(INVALID_ARGUMENT);
            }
            let room = *count as usize;
            *count = pages.len() as c_uint;
            if room < pages.len() {
                return Err(INSUFFICIENT_SIZE);
            }
            for (slot, address) in pages.iter().enumerate() {
                if !addresses.is_null() {
                    addresses.add(slot).write(*address);
                }
                if !timestamps.is_null() {
                    timestamps.add(slot).write(0);
                }
            }
            Ok(())
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetRetiredPagesPendingStatus(
    device: nvmlDevice_t,
    pending: *mut nvmlEnableState_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetRetiredPagesPendingStatus", |gpu| {
            put(pending, nvmlEnableState_t::from(gpu.retired_pages.as_ref().ok_or(NOT_SUPPORTED)?.pending))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetNumFans(device: nvmlDevice_t, count: *mut c_uint) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetNumFans", |gpu| {
            if gpu.fans.is_empty() {
                return Err(NOT_SUPPORTED);
            }
            put(count, gpu.fans.len() as c_uint)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetFanSpeed_v2(
    device: nvmlDevice_t,
    fan: c_uint,
    percent: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetFanSpeed_v2", |gpu| {
            if gpu.fans.is_empty() {
                return Err(NOT_SUPPORTED);
            }
            put(percent, *gpu.fans.get(fan as usize).ok_or(INVALID_ARGUMENT)?)
        })
    })
}

/// Field values: HBM temperature (82) and the driver's recovery action (230); others unsupported.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetFieldValues(
    device: nvmlDevice_t,
    count: c_int,
    values: *mut nvmlFieldValue_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetFieldValues", |gpu| {
            if values.is_null() || count < 0 {
                return Err(INVALID_ARGUMENT);
            }
            for slot in 0..count as usize {
                let field = &mut *values.add(slot);
                let value = match field.fieldId {
                    field_id::NVML_FI_DEV_MEMORY_TEMP => gpu.temperature.memory_c,
                    field_id::NVML_FI_DEV_GET_GPU_RECOVERY_ACTION => gpu.recovery_action.map(recovery_action_code),
                    _ => None,
                };
                field.valueType = nvmlValueType_enum_NVML_VALUE_TYPE_UNSIGNED_INT;
                field.nvmlReturn = if value.is_some() { SUCCESS } else { NOT_SUPPORTED };
                field.value = nvmlValue_t { uiVal: value.unwrap_or(0) };
            }
            Ok(())
        })
    })
}

/// NVML's `nvmlDeviceGpuRecoveryAction_t`: none, GPU reset, node reboot, drain P2P, drain and reset.
fn recovery_action_code(action: RecoveryAction) -> c_uint {
    match action {
        RecoveryAction::None => 0,
        RecoveryAction::GpuReset => 1,
        RecoveryAction::NodeReboot => 2,
        RecoveryAction::DrainP2p => 3,
        RecoveryAction::DrainAndReset => 4,
    }
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetSupportedEventTypes(
    device: nvmlDevice_t,
    types: *mut c_ulonglong,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetSupportedEventTypes", |_| {
            put(types, c_ulonglong::from(nvmlEventTypeXidCriticalError))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlEventSetCreate(set: *mut nvmlEventSet_t) -> nvmlReturn_t {
    answer(|| {
        with_driver(|d| {
            d.event_sets.push(Some(Vec::new()));
            put(set, d.event_sets.len() as nvmlEventSet_t)
        })
    })
}

fn event_set(driver: &mut Driver, set: nvmlEventSet_t) -> Answer<&mut Vec<usize>> {
    let index = (set as usize).checked_sub(1).ok_or(INVALID_ARGUMENT)?;
    driver.event_sets.get_mut(index).and_then(Option::as_mut).ok_or(INVALID_ARGUMENT)
}

/// Only Xid events are modelled; registering for others is "not supported", as on many boards.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceRegisterEvents(
    device: nvmlDevice_t,
    types: c_ulonglong,
    set: nvmlEventSet_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceRegisterEvents", |_| Ok(()))?;
        if types & !c_ulonglong::from(nvmlEventTypeXidCriticalError) != 0 {
            return Err(NOT_SUPPORTED);
        }
        with_driver(|d| {
            event_set(d, set)?.push(device as usize - 1);
            Ok(())
        })
    })
}

/// Delivers the next due Xid of a registered GPU. Each wait advances the registered GPUs' clocks by
/// one call, so a scenario's Xid arrives even when nothing else reads the GPU.
#[no_mangle]
pub unsafe extern "C" fn nvmlEventSetWait_v2(
    set: nvmlEventSet_t,
    data: *mut nvmlEventData_t,
    timeout_ms: c_uint,
) -> nvmlReturn_t {
    let due = || {
        with_driver(|d| {
            let gpus = event_set(d, set)?.clone();
            for gpu in &gpus {
                d.calls[*gpu] += 1;
            }
            for gpu in gpus {
                let next = d.bench.xids[gpu].iter().enumerate().find(|(position, (from, _))| {
                    *from <= d.timeline_at(gpu) && !d.delivered.contains(&(gpu, *position))
                });
                if let Some((position, (_, xid))) = next {
                    let xid = *xid;
                    d.delivered.insert((gpu, position));
                    return Ok(Some((gpu, xid)));
                }
            }
            Ok(None)
        })
    };
    if data.is_null() {
        return INVALID_ARGUMENT;
    }
    answer(|| match due()? {
        Some((gpu, xid)) => put(
            data,
            nvmlEventData_t {
                device: (gpu + 1) as nvmlDevice_t,
                eventType: c_ulonglong::from(nvmlEventTypeXidCriticalError),
                eventData: c_ulonglong::from(xid),
                gpuInstanceId: 0,
                computeInstanceId: 0,
            },
        ),
        None => {
            // Like the driver, block for the timeout when nothing happened (briefly: a fake).
            std::thread::sleep(std::time::Duration::from_millis(u64::from(timeout_ms.min(200))));
            Err(nvmlReturn_enum_NVML_ERROR_TIMEOUT)
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlEventSetFree(set: nvmlEventSet_t) -> nvmlReturn_t {
    answer(|| {
        with_driver(|d| {
            let index = (set as usize).checked_sub(1).ok_or(INVALID_ARGUMENT)?;
            d.event_sets.get_mut(index).and_then(Option::take).map(|_| ()).ok_or(INVALID_ARGUMENT)
        })
    })
}
