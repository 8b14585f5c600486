//! Revive's memory test and burn-in on an NVIDIA GPU: the core's [`MemoryBackend`] and
//! [`ComputeBackend`] over CUDA kernels, loaded from PTX compiled ahead of time (kernels/*.cu, built
//! by kernels/build-ptx.py), so a bench PC needs only the NVIDIA driver, not the CUDA toolkit.
//! What can only be checked on a card is in [`device_checks`], which `revive-gpu-figures` runs.
//!
//! [`MemoryBackend`]: revive_core::stress::memtest::MemoryBackend
//! [`ComputeBackend`]: revive_core::stress::burn_in::ComputeBackend

mod compute;
pub mod device_checks;
mod memory;

use std::sync::Arc;

use cudarc::driver::{sys, CudaContext, CudaFunction, CudaModule, CudaStream, DriverError, LaunchConfig};
use cudarc::nvrtc::Ptx;
use revive_core::stress::BackendError;

pub use compute::GpuCompute;
pub use memory::GpuMemory;

/// The oldest GPU the kernels run on: `mma.sync.m16n8k16` and the PTX's `compute_80` target.
pub const MIN_COMPUTE_CAPABILITY: (u32, u32) = (8, 0);
/// The PTX is ISA 8.2 (NVRTC 12.2), which only drivers of CUDA 12.2 (R535) and later load.
pub const MIN_DRIVER_CUDA_VERSION: i32 = 12020;
/// The share of free memory a full memory test takes: at least 95 %, with room to spare for the
/// driver and the monitoring a bench runs beside the test.
pub const DEFAULT_MEMORY_FRACTION: f64 = 0.97;
/// The name cudarc ends up loading on Linux.
const DRIVER_LIBRARY: &str = "libcuda.so.1";
/// Threads per block of every kernel but the GEMM (whose tiling fixes its own).
const BLOCK_THREADS: u32 = 256;
/// Resident blocks per SM the grid-stride kernels aim for: 8 × 256 threads fills an SM on
/// sm_80/sm_90, which keeps enough loads in flight to saturate HBM.
const BLOCKS_PER_SM: u32 = 8;

const MEMTEST_PTX: &str = include_str!("../kernels/memtest.ptx");
const BURN_PTX: &str = include_str!("../kernels/burn.ptx");

/// One GPU opened for testing.
#[derive(Debug)]
pub struct Gpu {
    device: Device,
    name: String,
    capability: (u32, u32),
}

/// What the backends share and keep after the `Gpu` is gone: the primary context, the one stream
/// all the work goes to (so launches and copies run in the order issued), and the SM count.
#[derive(Debug, Clone)]
struct Device {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    sms: u32,
}

/// Opens GPU `gpu_index` (CUDA's numbering) and checks it can run the kernels. Fails with
/// [`BackendError::Setup`] when the driver library is missing, too old, or the GPU predates sm_80.
pub fn open(gpu_index: u32) -> Result<Gpu, BackendError> {
    // cudarc panics at the first call into a library it cannot load: look for it first.
    // SAFETY: only tries to open the library under the names cudarc would.
    if !unsafe { sys::is_culib_present() } {
        return Err(BackendError::Setup(format!(
            "the NVIDIA driver library ({DRIVER_LIBRARY}) was not found: install the NVIDIA driver, or put its \
             libraries on the library path"
        )));
    }
    let mut version = 0;
    // SAFETY: writes one int; valid before cuInit.
    unsafe { sys::cuDriverGetVersion(&mut version) }.result().map_err(|e| classify(e, "reading the driver version"))?;
    if version < MIN_DRIVER_CUDA_VERSION {
        return Err(BackendError::Setup(format!(
            "the NVIDIA driver supports CUDA {}.{}; the stress kernels need CUDA 12.2 (driver R535) or newer",
            version / 1000,
            version % 1000 / 10
        )));
    }
    let ctx = CudaContext::new(gpu_index as usize).map_err(|e| classify(e, &format!("opening GPU {gpu_index}")))?;
    let attribute = |attribute, what: &str| {
        ctx.attribute(attribute)
            .map(|v| v as u32)
            .map_err(|e| classify(e, &format!("reading GPU {gpu_index}'s {what}")))
    };
    use sys::CUdevice_attribute::*;
    let capability = (
        attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability")?,
        attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability")?,
    );
    let sms = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count")?;
    let name = ctx.name().map_err(|e| classify(e, &format!("reading GPU {gpu_index}'s name")))?;
    if capability < MIN_COMPUTE_CAPABILITY {
        return Err(BackendError::Setup(format!(
            "{name} has compute capability {}.{}; the stress kernels need {}.{} (Ampere) or newer",
            capability.0, capability.1, MIN_COMPUTE_CAPABILITY.0, MIN_COMPUTE_CAPABILITY.1
        )));
    }
    let stream = ctx.default_stream();
    Ok(Gpu { device: Device { ctx, stream, sms }, name, capability })
}

impl Gpu {
    /// The GPU's name as the driver gives it (e.g. "NVIDIA H100 80GB HBM3").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Compute capability (major, minor): 8.0 for A100, 9.0 for H100/H200.
    pub fn compute_capability(&self) -> (u32, u32) {
        self.capability
    }

    /// Takes `fraction` (0 < f ≤ 1) of the memory the driver reports free for the memory test,
    /// less a small reserve the driver needs while the test runs.
    pub fn memory(&self, fraction: f64) -> Result<GpuMemory, BackendError> {
        GpuMemory::allocate(self.device.clone(), fraction)
    }

    /// Sets up the burn-in's matrices.
    pub fn compute(&self) -> Result<GpuCompute, BackendError> {
        GpuCompute::new(self.device.clone())
    }
}

impl Device {
    fn load(&self, ptx: &str, what: &str, kernels: &[&str]) -> Result<Vec<CudaFunction>, BackendError> {
        let module: Arc<CudaModule> = self
            .ctx
            .load_module(Ptx::from_src(ptx))
            .map_err(|e| classify(e, &format!("loading the {what} kernels")))?;
        kernels
            .iter()
            .map(|name| module.load_function(name).map_err(|e| classify(e, &format!("finding kernel {name}"))))
            .collect()
    }

    /// A grid for a grid-stride kernel over `items`: as many blocks as the work needs, at most
    /// enough to fill every SM.
    fn grid_for(&self, items: u64) -> LaunchConfig {
        let wanted = items.div_ceil(u64::from(BLOCK_THREADS)).max(1);
        let blocks = wanted.min(u64::from(self.sms.max(1) * BLOCKS_PER_SM)) as u32;
        LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK_THREADS, 1, 1), shared_mem_bytes: 0 }
    }
}

/// What a CUDA error says about the card: an uncorrectable ECC error, a failure that leaves the
/// context unusable (the card faulted, hung or fell off the bus), or anything else, which is the
/// test's setup and not the card's fault. `doing` names the step for the technician.
fn classify(error: DriverError, doing: &str) -> BackendError {
    use sys::CUresult::*;
    // The code's name, not cuGetErrorString's text: that would call into a driver that may be
    // the very thing that failed.
    let described = format!("{doing}: {:?}", error.0);
    match error.0 {
        CUDA_ERROR_ECC_UNCORRECTABLE => BackendError::EccUncorrectable(described),
        CUDA_ERROR_ILLEGAL_ADDRESS
        | CUDA_ERROR_LAUNCH_FAILED
        | CUDA_ERROR_LAUNCH_TIMEOUT
        | CUDA_ERROR_HARDWARE_STACK_ERROR
        | CUDA_ERROR_ILLEGAL_INSTRUCTION
        | CUDA_ERROR_MISALIGNED_ADDRESS
        | CUDA_ERROR_INVALID_ADDRESS_SPACE
        | CUDA_ERROR_INVALID_PC
        | CUDA_ERROR_ASSERT
        | CUDA_ERROR_NVLINK_UNCORRECTABLE
        | CUDA_ERROR_CONTEXT_IS_DESTROYED
        | CUDA_ERROR_UNKNOWN => BackendError::DeviceFailed(described),
        _ => BackendError::Setup(described),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_ptx_has_every_kernel_the_backends_load() {
        for (ptx, kernels) in [(MEMTEST_PTX, memory::KERNELS.as_slice()), (BURN_PTX, compute::KERNELS.as_slice())] {
            for kernel in kernels {
                assert!(ptx.contains(&format!(".visible .entry {kernel}(")), "{kernel} missing from the PTX");
            }
        }
    }

    #[test]
    fn the_ptx_targets_what_the_minimum_gpu_and_driver_accept() {
        for ptx in [MEMTEST_PTX, BURN_PTX] {
            // ISA 8.2 is CUDA 12.2's: MIN_DRIVER_CUDA_VERSION must move with the NVRTC pin.
            assert!(ptx.contains("\n.version 8.2\n") && ptx.contains("\n.target sm_80\n"));
            assert_eq!((MIN_DRIVER_CUDA_VERSION, MIN_COMPUTE_CAPABILITY), (12020, (8, 0)));
            // No line info: it would tie the PTX to the path it was built at.
            assert!(!ptx.contains(".file"));
        }
    }

    #[test]
    fn the_backends_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Gpu>();
        send::<GpuMemory>();
        send::<GpuCompute>();
    }

    #[test]
    fn errors_that_wreck_the_context_blame_the_card_and_the_rest_the_setup() {
        use sys::CUresult::*;
        let kind = |code| match classify(DriverError(code), "testing") {
            BackendError::EccUncorrectable(_) => "ecc",
            BackendError::DeviceFailed(_) => "device",
            BackendError::Setup(_) => "setup",
        };
        assert_eq!(kind(CUDA_ERROR_ECC_UNCORRECTABLE), "ecc");
        for code in
            [CUDA_ERROR_ILLEGAL_ADDRESS, CUDA_ERROR_LAUNCH_FAILED, CUDA_ERROR_LAUNCH_TIMEOUT, CUDA_ERROR_UNKNOWN]
        {
            assert_eq!(kind(code), "device", "{code:?}");
        }
        for code in [CUDA_ERROR_OUT_OF_MEMORY, CUDA_ERROR_INVALID_PTX, CUDA_ERROR_UNSUPPORTED_PTX_VERSION] {
            assert_eq!(kind(code), "setup", "{code:?}");
        }
    }
}
