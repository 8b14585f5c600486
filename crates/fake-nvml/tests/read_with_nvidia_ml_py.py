#!/usr/bin/env python3
"""Reads every GPU through NVIDIA's Python bindings (nvidia-ml-py), making the calls monitoring
tools built on them make, and prints what each call answered as JSON for nvidia_ml_py.rs to compare
with the scenario file.

It loads `libnvidia-ml.so.1` the way those tools do: the test puts the simulated bench's driver on
LD_LIBRARY_PATH under that name and names the scenario in REVIVE_FAKE_NVML_SCENARIO.

Each reading says which of the GPU's calls answered it (the driver counts calls per GPU and its
timeline moves with them), so the comparison knows which point of the scenario it saw."""

import json
import sys

import pynvml as nvml


def main():
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as error:
        json.dump({"init_error": error.value}, sys.stdout)
        return
    system = {
        "driver_version": nvml.nvmlSystemGetDriverVersion(),
        "nvml_version": nvml.nvmlSystemGetNVMLVersion(),
        "cuda_driver_version": nvml.nvmlSystemGetCudaDriverVersion(),
    }
    gpus = [GpuReader(nvml.nvmlDeviceGetHandleByIndex(i)).read_all() for i in range(nvml.nvmlDeviceGetCount())]
    nvml.nvmlShutdown()
    json.dump({"system": system, "gpus": gpus}, sys.stdout, ensure_ascii=False)


class GpuReader:
    def __init__(self, handle):
        self.handle = handle
        self.calls = 0
        self.readings = []

    def read(self, symbol, function, *args, shape=lambda value: value, calls=lambda value: 1):
        """One reading: `calls` says how many driver calls the binding made for it."""
        reading = {"symbol": symbol, "args": list(args)}
        try:
            value = function(self.handle, *args)
            self.calls += calls(value)
            reading["value"] = shape(value)
        except nvml.NVMLError as error:
            self.calls += 1
            reading["error"] = error.value
        reading["call"] = self.calls
        self.readings.append(reading)
        return reading.get("value")

    def read_all(self):
        n = nvml
        r = self.read
        r("nvmlDeviceGetIndex", n.nvmlDeviceGetIndex)
        r("nvmlDeviceGetMinorNumber", n.nvmlDeviceGetMinorNumber)
        r("nvmlDeviceGetName", n.nvmlDeviceGetName)
        r("nvmlDeviceGetUUID", n.nvmlDeviceGetUUID)
        r("nvmlDeviceGetSerial", n.nvmlDeviceGetSerial)
        r("nvmlDeviceGetPciInfo_v3", n.nvmlDeviceGetPciInfo, shape=lambda pci: text(pci.busId))
        r("nvmlDeviceGetMemoryInfo", n.nvmlDeviceGetMemoryInfo, shape=fields("total", "free", "used"))
        r("nvmlDeviceGetMemoryInfo_v2", lambda h: n.nvmlDeviceGetMemoryInfo(h, version=n.nvmlMemory_v2),
          shape=fields("version", "total", "reserved", "free", "used"))
        r("nvmlDeviceGetUtilizationRates", n.nvmlDeviceGetUtilizationRates, shape=fields("gpu", "memory"))
        r("nvmlDeviceGetEncoderUtilization", n.nvmlDeviceGetEncoderUtilization)
        r("nvmlDeviceGetDecoderUtilization", n.nvmlDeviceGetDecoderUtilization)
        r("nvmlDeviceGetFanSpeed", n.nvmlDeviceGetFanSpeed)
        fans = r("nvmlDeviceGetNumFans", n.nvmlDeviceGetNumFans) or 0
        for fan in range(fans):
            r("nvmlDeviceGetFanSpeed_v2", n.nvmlDeviceGetFanSpeed_v2, fan)
        r("nvmlDeviceGetPerformanceState", n.nvmlDeviceGetPerformanceState)
        r("nvmlDeviceGetPowerState", n.nvmlDeviceGetPowerState)
        r("nvmlDeviceGetCudaComputeCapability", n.nvmlDeviceGetCudaComputeCapability, shape=list)
        for symbol, function in [
            ("nvmlDeviceGetComputeRunningProcesses_v3", n.nvmlDeviceGetComputeRunningProcesses),
            ("nvmlDeviceGetGraphicsRunningProcesses_v3", n.nvmlDeviceGetGraphicsRunningProcesses),
        ]:
            # The binding asks for the count first and, if there are any, again for the list.
            r(symbol, function, shape=lambda ps: [{"pid": p.pid, "usedGpuMemory": p.usedGpuMemory} for p in ps],
              calls=lambda ps: 2 if ps else 1)
        r("nvmlDeviceGetPersistenceMode", n.nvmlDeviceGetPersistenceMode)
        r("nvmlDeviceGetDisplayMode", n.nvmlDeviceGetDisplayMode)
        r("nvmlDeviceGetDisplayActive", n.nvmlDeviceGetDisplayActive)
        r("nvmlDeviceGetMigMode", n.nvmlDeviceGetMigMode, shape=list)
        for clock in (n.NVML_CLOCK_GRAPHICS, n.NVML_CLOCK_SM, n.NVML_CLOCK_MEM, n.NVML_CLOCK_VIDEO):
            r("nvmlDeviceGetClockInfo", n.nvmlDeviceGetClockInfo, clock)
            r("nvmlDeviceGetMaxClockInfo", n.nvmlDeviceGetMaxClockInfo, clock)
        r("nvmlDeviceGetPowerUsage", n.nvmlDeviceGetPowerUsage)
        r("nvmlDeviceGetPowerManagementLimit", n.nvmlDeviceGetPowerManagementLimit)
        r("nvmlDeviceGetPowerManagementDefaultLimit", n.nvmlDeviceGetPowerManagementDefaultLimit)
        r("nvmlDeviceGetEnforcedPowerLimit", n.nvmlDeviceGetEnforcedPowerLimit)
        r("nvmlDeviceGetTemperature", n.nvmlDeviceGetTemperature, n.NVML_TEMPERATURE_GPU)
        for threshold in (n.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN, n.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN,
                          n.NVML_TEMPERATURE_THRESHOLD_MEM_MAX, n.NVML_TEMPERATURE_THRESHOLD_GPU_MAX):
            r("nvmlDeviceGetTemperatureThreshold", n.nvmlDeviceGetTemperatureThreshold, threshold)
        r("nvmlDeviceGetCurrPcieLinkGeneration", n.nvmlDeviceGetCurrPcieLinkGeneration)
        r("nvmlDeviceGetCurrPcieLinkWidth", n.nvmlDeviceGetCurrPcieLinkWidth)
        r("nvmlDeviceGetEccMode", n.nvmlDeviceGetEccMode, shape=list)
        for error_type in (n.NVML_MEMORY_ERROR_TYPE_CORRECTED, n.NVML_MEMORY_ERROR_TYPE_UNCORRECTED):
            for counter in (n.NVML_VOLATILE_ECC, n.NVML_AGGREGATE_ECC):
                r("nvmlDeviceGetTotalEccErrors", n.nvmlDeviceGetTotalEccErrors, error_type, counter)
        r("nvmlDeviceGetRemappedRows", n.nvmlDeviceGetRemappedRows, shape=list)
        return self.readings


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def fields(*names):
    return lambda struct: {name: getattr(struct, name) for name in names}


if __name__ == "__main__":
    main()
