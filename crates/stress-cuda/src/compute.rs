//! The burn-in's backend on the GPU: FP16 matrix products with FP32 accumulation on the tensor
//! cores, each compared bit for bit with the first (burn.cu).

use cudarc::driver::{CudaFunction, CudaSlice, LaunchConfig, PushKernelArg};
use revive_core::stress::burn_in::ComputeBackend;
use revive_core::stress::BackendError;

use crate::{classify, Device, BURN_PTX};

/// The kernels of burn.cu, in the order `GpuCompute::new` takes them.
pub(crate) const KERNELS: [&str; 3] = ["revive_burn_init", "revive_burn_gemm", "revive_burn_compare"];
/// Matrix orders tried, largest first: gpu-burn's 8192², smaller only where memory is short.
/// Each is a multiple of the GEMM's 128-wide tile.
const ORDERS: [u32; 3] = [8192, 4096, 2048];
const GEMM_TILE: u32 = 128;
const GEMM_THREADS: u32 = 256;
/// Left free beside the matrices for what the driver allocates while the burn-in runs.
const RESERVE_BYTES: u64 = 64 << 20;
/// Salts of the two inputs' generators (as the host backend's).
pub(crate) const SALT_A: u64 = 1;
const SALT_B: u64 = 2;

/// The burn-in's matrices on the GPU; dropping it gives the memory back.
#[derive(Debug)]
pub struct GpuCompute {
    pub(crate) device: Device,
    gemm: CudaFunction,
    compare: CudaFunction,
    order: u32,
    // The inputs and the reference product are the crate's so the device checks can read them back.
    pub(crate) a: CudaSlice<u16>,
    /// B transposed, as the GEMM reads it.
    pub(crate) bt: CudaSlice<u16>,
    /// FP32 products, compared as bits.
    product: CudaSlice<u32>,
    pub(crate) reference: CudaSlice<u32>,
    differing: CudaSlice<u64>,
    has_reference: bool,
}

/// Device memory one order needs: two FP16 inputs, two FP32 products.
fn bytes_for(order: u32) -> u64 {
    u64::from(order) * u64::from(order) * (2 + 2 + 4 + 4)
}

impl GpuCompute {
    pub(crate) fn new(device: Device) -> Result<GpuCompute, BackendError> {
        let [init, gemm, compare]: [CudaFunction; 3] =
            device.load(BURN_PTX, "burn-in", &KERNELS)?.try_into().expect("one function per name");
        let (free, _) = device.ctx.mem_get_info().map_err(|e| classify(e, "reading the free memory"))?;
        let order = ORDERS.into_iter().find(|&n| bytes_for(n) + RESERVE_BYTES <= free as u64).ok_or_else(|| {
            BackendError::Setup(format!(
                "the burn-in needs {} MiB of GPU memory; {} MiB are free",
                (bytes_for(ORDERS[ORDERS.len() - 1]) + RESERVE_BYTES) >> 20,
                free >> 20
            ))
        })?;
        let elements = u64::from(order) * u64::from(order);
        let stream = &device.stream;
        let a = stream.alloc_zeros::<u16>(elements as usize).map_err(|e| classify(e, "allocating matrix A"))?;
        let bt = stream.alloc_zeros::<u16>(elements as usize).map_err(|e| classify(e, "allocating matrix B"))?;
        let product =
            stream.alloc_zeros::<u32>(elements as usize).map_err(|e| classify(e, "allocating the product"))?;
        let reference = stream
            .alloc_zeros::<u32>(elements as usize)
            .map_err(|e| classify(e, "allocating the reference product"))?;
        let differing = stream.alloc_zeros::<u64>(1).map_err(|e| classify(e, "allocating the error counter"))?;
        for (matrix, salt) in [(&a, SALT_A), (&bt, SALT_B)] {
            let mut launch = stream.launch_builder(&init);
            launch.arg(matrix).arg(&elements).arg(&salt);
            // SAFETY: the arguments match `revive_burn_init`, which writes `elements` halves.
            unsafe { launch.launch(device.grid_for(elements)) }.map_err(|e| classify(e, "filling the matrices"))?;
        }
        stream.synchronize().map_err(|e| classify(e, "filling the matrices"))?;
        Ok(GpuCompute { device, gemm, compare, order, a, bt, product, reference, differing, has_reference: false })
    }

    /// The order n of the n×n matrices multiplied.
    pub fn matrix_order(&self) -> u32 {
        self.order
    }

    fn multiply(&self, into: &CudaSlice<u32>) -> Result<(), BackendError> {
        let tiles = self.order / GEMM_TILE;
        let config = LaunchConfig { grid_dim: (tiles, tiles, 1), block_dim: (GEMM_THREADS, 1, 1), shared_mem_bytes: 0 };
        let mut launch = self.device.stream.launch_builder(&self.gemm);
        launch.arg(&self.a).arg(&self.bt).arg(into).arg(&self.order);
        // SAFETY: the arguments match `revive_burn_gemm`; the grid covers the n×n product exactly
        // (n a multiple of 128), reading the two n×n inputs.
        unsafe { launch.launch(config) }.map(|_| ()).map_err(|e| classify(e, "launching the matrix multiply"))
    }
}

impl ComputeBackend for GpuCompute {
    fn flops_per_iteration(&self) -> f64 {
        2.0 * f64::from(self.order).powi(3)
    }

    fn run(&mut self, iterations: u32) -> Result<u64, BackendError> {
        let stream = self.device.stream.clone();
        stream.memset_zeros(&mut self.differing).map_err(|e| classify(e, "clearing the error counter"))?;
        let elements = u64::from(self.order) * u64::from(self.order);
        for _ in 0..iterations {
            if !self.has_reference {
                // The first product is what every later one must equal, bit for bit.
                self.multiply(&self.reference)?;
                self.has_reference = true;
                continue;
            }
            self.multiply(&self.product)?;
            let mut launch = stream.launch_builder(&self.compare);
            launch.arg(&self.product).arg(&self.reference).arg(&elements).arg(&self.differing);
            // SAFETY: the arguments match `revive_burn_compare`, which reads `elements` words of
            // each product and adds to the one counter.
            unsafe { launch.launch(self.device.grid_for(elements)) }
                .map_err(|e| classify(e, "launching the product check"))?;
        }
        // The copy waits for the batch: a fault in it surfaces here.
        let differing = stream.clone_dtoh(&self.differing).map_err(|e| classify(e, "running the matrix multiplies"))?;
        Ok(differing[0])
    }
}
