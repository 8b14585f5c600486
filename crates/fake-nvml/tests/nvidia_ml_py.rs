//! A real NVML client nobody here wrote, NVIDIA's Python bindings (`nvidia-ml-py`, pinned by
//! scripts/python-tools.sh), reads every shipped scenario through the fake driver loaded as
//! `libnvidia-ml.so.1`, and every value it gets is the scenario file's at that point of its timeline.

use std::path::Path;
use std::process::Command;

use nvidia_ml_fake::locate::{built_library, shipped_scenarios};
use nvidia_ml_fake::scenario::{Bench, EccLocations, Gpu, NvmlError, Process, Stage};
use serde_json::{json, Value};

const NOT_SUPPORTED: u32 = 3;
const INVALID_ARGUMENT: u32 = 2;
const GPU_IS_LOST: u32 = 15;
/// NVML_STRUCT_VERSION(Memory, 2) as nvml.h defines it.
const MEMORY_V2_VERSION: u32 = 40 | 2 << 24;

/// What a client must find answered on every GPU (each at least once).
const READ_EVERYWHERE: &[&str] = &[
    "nvmlDeviceGetIndex",
    "nvmlDeviceGetMinorNumber",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetMemoryInfo_v2",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetPerformanceState",
    "nvmlDeviceGetCudaComputeCapability",
    "nvmlDeviceGetComputeRunningProcesses_v3",
    "nvmlDeviceGetGraphicsRunningProcesses_v3",
    "nvmlDeviceGetPersistenceMode",
    "nvmlDeviceGetDisplayMode",
    "nvmlDeviceGetDisplayActive",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetEncoderUtilization",
    "nvmlDeviceGetDecoderUtilization",
    "nvmlDeviceGetClockInfo",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetPowerManagementLimit",
    "nvmlDeviceGetTotalEccErrors",
    "nvmlDeviceGetRemappedRows",
];

#[test]
fn nvidia_ml_py_reads_every_shipped_scenario_as_the_file_has_it() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/python-tools/bin/python");
    assert!(
        python.exists(),
        "nvidia-ml-py is not installed: run scripts/python-tools.sh (it creates {})",
        python.display()
    );
    // Monitoring tools load the driver by its soname from the library path; give them the fake under it.
    let library_dir = tempfile::tempdir().unwrap();
    let soname = library_dir.path().join("libnvidia-ml.so.1");
    std::fs::copy(built_library(), &soname).unwrap();

    let scenarios = shipped_scenarios();
    assert!(scenarios.len() >= 12);
    let mut gpus_read = 0;
    for scenario in scenarios {
        let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let bench = Bench::parse(&std::fs::read_to_string(&scenario).unwrap()).unwrap();
        let output = Command::new(&python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_with_nvidia_ml_py.py"))
            .env("LD_LIBRARY_PATH", library_dir.path())
            .env(nvidia_ml_fake::SCENARIO_VARIABLE, &scenario)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{name}: nvidia-ml-py failed:\n{stderr}");
        let read: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{stderr}"));

        if let Some(error) = bench.scenario.init_error {
            assert_eq!(read["init_error"], json!(code(error)), "{name}: nvmlInit");
            continue;
        }
        let system = &bench.scenario.system;
        let expected_system = json!({
            "driver_version": system.driver_version,
            "nvml_version": system.nvml_version,
            "cuda_driver_version": system.cuda_driver_version,
        });
        assert_eq!(read["system"], expected_system, "{name}: system");

        let gpus = read["gpus"].as_array().unwrap();
        assert_eq!(gpus.len(), bench.scenario.gpus.len(), "{name}: GPU count");
        for (index, readings) in gpus.iter().enumerate() {
            let readings = readings.as_array().unwrap();
            for reading in readings {
                let symbol = reading["symbol"].as_str().unwrap();
                let args: Vec<u64> = reading["args"].as_array().unwrap().iter().map(|a| a.as_u64().unwrap()).collect();
                let call = reading["call"].as_u64().unwrap();
                let answer = match bench.stage(index, call) {
                    Some(Stage::Present(gpu)) => expected(symbol, &args, index, gpu),
                    Some(Stage::Lost) => Err(GPU_IS_LOST),
                    None => panic!("{name}: GPU {index} has no stage at call {call}"),
                };
                let got = match reading.get("error") {
                    Some(error) => Err(error.as_u64().unwrap() as u32),
                    None => Ok(reading["value"].clone()),
                };
                assert_eq!(got, answer, "{name}: GPU {index}, {symbol}{args:?} at call {call}");
            }
            for symbol in READ_EVERYWHERE {
                assert!(readings.iter().any(|r| r["symbol"] == *symbol), "{name}: GPU {index}: {symbol} was not read");
            }
            gpus_read += 1;
        }
    }
    assert!(gpus_read >= 20, "only {gpus_read} GPUs were read");
}

/// What the scenario says GPU `index` answers to `symbol(args)`: a value shaped as the probe
/// prints it, or an NVML error code.
fn expected(symbol: &str, args: &[u64], index: usize, gpu: &Gpu) -> Result<Value, u32> {
    if let Some(error) = gpu.failures.get(symbol) {
        return Err(code(*error));
    }
    let mib = 1024 * 1024;
    let (total, reserved, used) =
        (gpu.memory.total_mib * mib, gpu.memory.reserved_mib * mib, gpu.memory.used_mib * mib);
    let enabled = |on: bool| json!(u32::from(on));
    let processes = |list: &[Process]| {
        json!(list.iter().map(|p| json!({"pid": p.pid, "usedGpuMemory": p.used_mib * mib})).collect::<Vec<_>>())
    };
    let fans = || if gpu.fans.is_empty() { Err(NOT_SUPPORTED) } else { Ok(&gpu.fans) };
    let clocks = &gpu.clocks;
    let temperature = &gpu.temperature;
    Ok(match (symbol, args) {
        ("nvmlDeviceGetIndex", []) => json!(index),
        ("nvmlDeviceGetMinorNumber", []) => json!(gpu.minor_number.unwrap_or(index as u32)),
        ("nvmlDeviceGetName", []) => json!(gpu.name),
        ("nvmlDeviceGetUUID", []) => json!(gpu.uuid),
        ("nvmlDeviceGetSerial", []) => json!(gpu.serial),
        ("nvmlDeviceGetPciInfo_v3", []) => json!(gpu.pci.bus_id),
        ("nvmlDeviceGetMemoryInfo", []) => {
            json!({"total": total, "free": total - reserved - used, "used": used + reserved})
        }
        ("nvmlDeviceGetMemoryInfo_v2", []) => json!({
            "version": MEMORY_V2_VERSION, "total": total, "reserved": reserved, "free": total - reserved - used, "used": used,
        }),
        ("nvmlDeviceGetUtilizationRates", []) => {
            json!({"gpu": gpu.utilization.gpu_percent, "memory": gpu.utilization.memory_percent})
        }
        ("nvmlDeviceGetEncoderUtilization", []) => json!([gpu.utilization.encoder_percent, 167_000]),
        ("nvmlDeviceGetDecoderUtilization", []) => json!([gpu.utilization.decoder_percent, 167_000]),
        ("nvmlDeviceGetFanSpeed", []) => json!(fans()?[0]),
        ("nvmlDeviceGetNumFans", []) => json!(fans()?.len()),
        ("nvmlDeviceGetFanSpeed_v2", [fan]) => json!(fans()?.get(*fan as usize).ok_or(INVALID_ARGUMENT)?),
        ("nvmlDeviceGetPerformanceState" | "nvmlDeviceGetPowerState", []) => json!(gpu.performance_state),
        ("nvmlDeviceGetCudaComputeCapability", []) => json!(gpu.compute_capability),
        ("nvmlDeviceGetComputeRunningProcesses_v3", []) => processes(&gpu.compute_processes),
        ("nvmlDeviceGetGraphicsRunningProcesses_v3", []) => processes(&gpu.graphics_processes),
        ("nvmlDeviceGetPersistenceMode", []) => enabled(gpu.persistence_mode),
        ("nvmlDeviceGetDisplayMode", []) => enabled(gpu.display.mode),
        ("nvmlDeviceGetDisplayActive", []) => enabled(gpu.display.active),
        ("nvmlDeviceGetMigMode", []) => json!([u32::from(gpu.mig_mode), u32::from(gpu.mig_mode)]),
        // NVML's clock types: graphics 0, SM 1, memory 2, video 3 (which no scenario sets).
        ("nvmlDeviceGetClockInfo", [0 | 1]) => json!(clocks.sm_mhz),
        ("nvmlDeviceGetClockInfo", [2]) => json!(clocks.memory_mhz),
        ("nvmlDeviceGetMaxClockInfo", [0 | 1]) => json!(clocks.max_sm_mhz),
        ("nvmlDeviceGetMaxClockInfo", [2]) => json!(clocks.max_memory_mhz),
        ("nvmlDeviceGetClockInfo" | "nvmlDeviceGetMaxClockInfo", [3]) => return Err(NOT_SUPPORTED),
        ("nvmlDeviceGetPowerUsage", []) => json!(gpu.power.usage_mw),
        ("nvmlDeviceGetPowerManagementLimit" | "nvmlDeviceGetEnforcedPowerLimit", []) => {
            json!(gpu.power.enforced_limit_mw)
        }
        ("nvmlDeviceGetPowerManagementDefaultLimit", []) => json!(gpu.power.default_limit_mw),
        ("nvmlDeviceGetTemperature", [0]) => json!(temperature.gpu_c),
        // Thresholds: shutdown 0, slowdown 1, memory max 2, GPU max 3.
        ("nvmlDeviceGetTemperatureThreshold", [0]) => json!(temperature.shutdown_c),
        ("nvmlDeviceGetTemperatureThreshold", [1]) => json!(temperature.slowdown_c),
        ("nvmlDeviceGetTemperatureThreshold", [2]) => json!(temperature.memory_max_c.ok_or(NOT_SUPPORTED)?),
        ("nvmlDeviceGetTemperatureThreshold", [3]) => json!(temperature.max_operating_c.ok_or(NOT_SUPPORTED)?),
        ("nvmlDeviceGetCurrPcieLinkGeneration", []) => json!(gpu.pcie.gen),
        ("nvmlDeviceGetCurrPcieLinkWidth", []) => json!(gpu.pcie.width),
        ("nvmlDeviceGetEccMode", []) => {
            gpu.ecc.as_ref().ok_or(NOT_SUPPORTED)?;
            json!([1, 1])
        }
        // Error types: corrected 0, uncorrected 1; counters: volatile 0, aggregate 1.
        ("nvmlDeviceGetTotalEccErrors", [error_type, counter]) => {
            let ecc = gpu.ecc.as_ref().ok_or(NOT_SUPPORTED)?;
            let counts = if *counter == 0 { &ecc.volatile } else { &ecc.aggregate };
            let locations: &EccLocations = if *error_type == 0 { &counts.corrected } else { &counts.uncorrected };
            json!(locations.total())
        }
        ("nvmlDeviceGetRemappedRows", []) => {
            let rows = gpu.remapped_rows.as_ref().ok_or(NOT_SUPPORTED)?;
            json!([rows.correctable, rows.uncorrectable, u32::from(rows.pending), u32::from(rows.failure)])
        }
        _ => panic!("the probe read {symbol}{args:?}, which this test has no expectation for"),
    })
}

fn code(error: NvmlError) -> u32 {
    match error {
        NvmlError::NotSupported => NOT_SUPPORTED,
        NvmlError::NoPermission => 4,
        NvmlError::InsufficientPower => 8,
        NvmlError::DriverNotLoaded => 9,
        NvmlError::LibraryNotFound => 12,
        NvmlError::CorruptedInforom => 14,
        NvmlError::GpuIsLost => GPU_IS_LOST,
        NvmlError::Unknown => 999,
    }
}
