//! Calls Revive never makes but the monitoring tools technicians meet on real servers do (those
//! built on NVIDIA's Python bindings, `nvidia-ml-py`): the simulated bench answers them from the
//! scenario too, so the same tools can be used to train on it.

use std::ffi::{c_int, c_uint};

use nvml_wrapper_sys::bindings::*;

use super::{answer, enable_state, memory_bytes, put, put_processes, with_gpu, Gpu, NOT_SUPPORTED};

/// The sampling period NVML reports with encoder and decoder utilization, in microseconds.
const CODEC_SAMPLING_PERIOD_US: c_uint = 167_000;

/// The first version of NVML's call, kept by every driver: nvidia-ml-py uses it unless asked for v2.
#[no_mangle]
pub unsafe extern "C" fn nvmlInit() -> nvmlReturn_t {
    super::nvmlInit_v2()
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetIndex(device: nvmlDevice_t, index: *mut c_uint) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetIndex", |_| put(index, device as usize as c_uint - 1)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMinorNumber(device: nvmlDevice_t, minor: *mut c_uint) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetMinorNumber", |gpu| {
            put(minor, gpu.minor_number.unwrap_or(device as usize as c_uint - 1))
        })
    })
}

/// The first version counts what the driver reserves as used.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetMemoryInfo(device: nvmlDevice_t, memory: *mut nvmlMemory_t) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetMemoryInfo", |gpu| {
            let [total, reserved, used] = memory_bytes(gpu);
            put(memory, nvmlMemory_t { total, free: total - reserved - used, used: used + reserved })
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetUtilizationRates(
    device: nvmlDevice_t,
    rates: *mut nvmlUtilization_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetUtilizationRates", |gpu| {
            put(rates, nvmlUtilization_t { gpu: gpu.utilization.gpu_percent, memory: gpu.utilization.memory_percent })
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetEncoderUtilization(
    device: nvmlDevice_t,
    percent: *mut c_uint,
    period_us: *mut c_uint,
) -> nvmlReturn_t {
    codec_utilization(
        device,
        "nvmlDeviceGetEncoderUtilization",
        |gpu| gpu.utilization.encoder_percent,
        percent,
        period_us,
    )
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetDecoderUtilization(
    device: nvmlDevice_t,
    percent: *mut c_uint,
    period_us: *mut c_uint,
) -> nvmlReturn_t {
    codec_utilization(
        device,
        "nvmlDeviceGetDecoderUtilization",
        |gpu| gpu.utilization.decoder_percent,
        percent,
        period_us,
    )
}

/// An encoder's or decoder's use, with the period NVML sampled it over.
unsafe fn codec_utilization(
    device: nvmlDevice_t,
    call: &str,
    used: fn(&Gpu) -> c_uint,
    percent: *mut c_uint,
    period_us: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, call, |gpu| {
            put(percent, used(gpu))?;
            put(period_us, CODEC_SAMPLING_PERIOD_US)
        })
    })
}

/// The first fan's intended speed.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetFanSpeed(device: nvmlDevice_t, percent: *mut c_uint) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetFanSpeed", |gpu| put(percent, *gpu.fans.first().ok_or(NOT_SUPPORTED)?)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetPerformanceState(
    device: nvmlDevice_t,
    state: *mut nvmlPstates_t,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetPerformanceState", |gpu| put(state, gpu.performance_state)))
}

/// The deprecated name of the performance state, still called by older tools.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetPowerState(device: nvmlDevice_t, state: *mut nvmlPstates_t) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetPowerState", |gpu| put(state, gpu.performance_state)))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetCudaComputeCapability(
    device: nvmlDevice_t,
    major: *mut c_int,
    minor: *mut c_int,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetCudaComputeCapability", |gpu| {
            let [high, low] = gpu.compute_capability.map(|part| c_int::try_from(part).unwrap_or(c_int::MAX));
            put(major, high)?;
            put(minor, low)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetGraphicsRunningProcesses_v3(
    device: nvmlDevice_t,
    count: *mut c_uint,
    infos: *mut nvmlProcessInfo_t,
) -> nvmlReturn_t {
    answer(|| {
        with_gpu(device, "nvmlDeviceGetGraphicsRunningProcesses_v3", |gpu| {
            put_processes(&gpu.graphics_processes, count, infos)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetDisplayMode(device: nvmlDevice_t, mode: *mut nvmlEnableState_t) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetDisplayMode", |gpu: &Gpu| put(mode, enable_state(gpu.display.mode))))
}

#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetDisplayActive(
    device: nvmlDevice_t,
    active: *mut nvmlEnableState_t,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetDisplayActive", |gpu: &Gpu| put(active, enable_state(gpu.display.active))))
}

/// The limit set on the board, which the driver enforces unless a lower one applies.
#[no_mangle]
pub unsafe extern "C" fn nvmlDeviceGetPowerManagementLimit(
    device: nvmlDevice_t,
    limit_mw: *mut c_uint,
) -> nvmlReturn_t {
    answer(|| with_gpu(device, "nvmlDeviceGetPowerManagementLimit", |gpu| put(limit_mw, gpu.power.enforced_limit_mw)))
}
