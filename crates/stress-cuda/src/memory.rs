//! The memory test's backend on the GPU. The tested memory is a list of allocations (the driver
//! will not reliably hand out 95 % of a card in one piece), and the core's word indexes run across
//! them in order; a launch never spans two allocations.

use std::ops::Range;
use std::time::Instant;

use cudarc::driver::{result, sys, CudaFunction, CudaSlice, DeviceRepr, LaunchConfig, PushKernelArg};
use revive_core::stress::memtest::{MemoryBackend, VerifyOutcome, CHUNK_WORDS, PAGE_BYTES, VERIFY_SAMPLE_CAP};
use revive_core::stress::patterns::{Fill, FillKind};
use revive_core::stress::BackendError;

use crate::{classify, Device, MEMTEST_PTX};

/// The kernels of memtest.cu, in the order `GpuMemory::allocate` takes them.
pub(crate) const KERNELS: [&str; 3] = ["revive_fill", "revive_fill_modulo20", "revive_verify"];
/// Size of each allocation: the core's launch (256 MiB), so a launch is one allocation's worth.
const CHUNK_BYTES: u64 = CHUNK_WORDS * 4;
const _: () = assert!(CHUNK_BYTES.is_multiple_of(PAGE_BYTES));
/// Left free once the test memory is taken, for what the driver allocates while the test runs.
const RESERVE_BYTES: u64 = 64 << 20;
/// counters[] of a verify (memtest.cu): mismatches, 32 flipped-bit counts, sample slots taken.
const COUNTERS: usize = 34;
const SLOTS: usize = 33;

/// A fill as the kernels take it: `struct fill_spec` in memtest.cu.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct FillArg {
    a: u64,
    b: u64,
    kind: u32,
    inverted: u32,
}

// SAFETY: `#[repr(C)]` integers laid out as `struct fill_spec` (8 + 8 + 4 + 4 bytes, align 8).
unsafe impl DeviceRepr for FillArg {}

impl From<Fill> for FillArg {
    fn from(fill: Fill) -> FillArg {
        let (kind, a, b) = fill.kind.encode();
        FillArg { a, b, kind, inverted: u32::from(fill.inverted) }
    }
}

/// One allocation: its device address and the first of the core's word indexes it holds.
#[derive(Debug)]
pub(crate) struct Chunk {
    address: sys::CUdeviceptr,
    first: u64,
    pub(crate) words: u64,
}

/// GPU memory under test; dropping it gives the memory back.
#[derive(Debug)]
pub struct GpuMemory {
    device: Device,
    fill: CudaFunction,
    fill_modulo20: CudaFunction,
    verify: CudaFunction,
    /// The crate's so the device checks can see the allocations' boundary.
    pub(crate) chunks: Vec<Chunk>,
    words: u64,
    available_bytes: u64,
    counters: CudaSlice<u64>,
    /// Room for `sample_cap` (index, found) pairs.
    samples: CudaSlice<u64>,
    sample_cap: usize,
}

impl GpuMemory {
    pub(crate) fn allocate(device: Device, fraction: f64) -> Result<GpuMemory, BackendError> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(BackendError::Setup(format!(
                "the share of free memory to test must be in (0, 1], not {fraction}"
            )));
        }
        let [fill, fill_modulo20, verify]: [CudaFunction; 3] =
            device.load(MEMTEST_PTX, "memory-test", &KERNELS)?.try_into().expect("one function per name");
        let stream = &device.stream;
        let counters = stream.alloc_zeros(COUNTERS).map_err(|e| classify(e, "allocating the mismatch counters"))?;
        let samples =
            stream.alloc_zeros(2 * VERIFY_SAMPLE_CAP).map_err(|e| classify(e, "allocating the mismatch samples"))?;
        let mut memory = GpuMemory {
            device,
            fill,
            fill_modulo20,
            verify,
            chunks: Vec::new(),
            words: 0,
            available_bytes: 0,
            counters,
            samples,
            sample_cap: VERIFY_SAMPLE_CAP,
        };
        // Launch each kernel once, over no words, before sizing: whatever the driver sets aside
        // for launches is then taken already, and a parameter mismatch shows here, not mid-test.
        let nothing = Fill::new(FillKind::Constant { value: 0 });
        memory.launch_fill(0, 0, 0, nothing, None)?;
        memory.launch_fill(0, 0, 0, nothing, Some(true))?;
        memory.launch_verify(0, 0, 0, nothing, None, 0)?;
        memory.device.stream.synchronize().map_err(|e| classify(e, "trying the memory-test kernels"))?;

        let (free, _) = memory.device.ctx.mem_get_info().map_err(|e| classify(e, "reading the free memory"))?;
        let free = free as u64;
        let wanted =
            ((free as f64 * fraction) as u64).min(free.saturating_sub(RESERVE_BYTES)) / PAGE_BYTES * PAGE_BYTES;
        memory.available_bytes = free;
        memory.take(wanted)?;
        if memory.words == 0 {
            return Err(BackendError::Setup(format!(
                "could not allocate any of the {free} bytes the driver reports free"
            )));
        }
        Ok(memory)
    }

    /// Allocates up to `wanted` bytes in chunks; when the driver runs out, tries smaller pieces
    /// down to one page before settling for what it got.
    fn take(&mut self, wanted: u64) -> Result<(), BackendError> {
        let mut size = CHUNK_BYTES;
        let mut taken = 0;
        self.device.ctx.bind_to_thread().map_err(|e| classify(e, "allocating the test memory"))?;
        while taken < wanted {
            let bytes = size.min(wanted - taken);
            // SAFETY: a plain allocation; `Drop` frees it.
            match unsafe { result::malloc_sync(bytes as usize) } {
                Ok(address) => {
                    self.chunks.push(Chunk { address, first: taken / 4, words: bytes / 4 });
                    taken += bytes;
                }
                Err(e) if e.0 == sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY && bytes > PAGE_BYTES => {
                    size = (bytes / 2).max(PAGE_BYTES) / PAGE_BYTES * PAGE_BYTES;
                }
                Err(e) if e.0 == sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY => break,
                Err(e) => return Err(classify(e, "allocating the test memory")),
            }
        }
        self.words = taken / 4;
        Ok(())
    }

    /// Device-to-device copy bandwidth over this same memory, in GB/s counting bytes read plus
    /// bytes written (as the memory test counts what it moves): the first half of the allocations
    /// copied onto the second, `passes` times, after one pass to warm up.
    pub fn copy_bandwidth_gb_s(&mut self, passes: u32) -> Result<f64, BackendError> {
        let half = self.chunks.len() / 2;
        if half == 0 {
            return Err(BackendError::Setup("measuring copy bandwidth needs at least two allocations".into()));
        }
        let stream = &self.device.stream;
        let copy_all = || -> Result<u64, BackendError> {
            let mut bytes = 0;
            for (from, to) in self.chunks[..half].iter().zip(&self.chunks[half..]) {
                let length = from.words.min(to.words) * 4;
                // SAFETY: both ranges lie inside live allocations of this context.
                unsafe { result::memcpy_dtod_async(to.address, from.address, length as usize, stream.cu_stream()) }
                    .map_err(|e| classify(e, "copying device to device"))?;
                bytes += 2 * length;
            }
            Ok(bytes)
        };
        self.device.ctx.bind_to_thread().map_err(|e| classify(e, "copying device to device"))?;
        copy_all()?;
        stream.synchronize().map_err(|e| classify(e, "copying device to device"))?;
        let started = Instant::now();
        let mut moved = 0;
        for _ in 0..passes.max(1) {
            moved += copy_all()?;
        }
        stream.synchronize().map_err(|e| classify(e, "copying device to device"))?;
        Ok(moved as f64 / started.elapsed().as_secs_f64() / 1e9)
    }

    fn check_range(&self, words: &Range<u64>) -> Result<(), BackendError> {
        if words.start > words.end || words.end > self.words {
            return Err(BackendError::Setup(format!("words {words:?} outside the {} tested", self.words)));
        }
        Ok(())
    }

    /// `words` cut at the allocations' edges: (device address, first word index, word count).
    fn segments(&self, words: &Range<u64>) -> Vec<(sys::CUdeviceptr, u64, u64)> {
        let from = self.chunks.partition_point(|c| c.first + c.words <= words.start);
        self.chunks[from..]
            .iter()
            .take_while(|c| c.first < words.end)
            .map(|c| {
                let start = words.start.max(c.first);
                let end = words.end.min(c.first + c.words);
                (c.address + (start - c.first) * 4, start, end - start)
            })
            .filter(|&(_, _, count)| count > 0)
            .collect()
    }

    fn grid(&self, count: u64) -> LaunchConfig {
        // A thread takes four words at a time.
        self.device.grid_for(count.div_ceil(4))
    }

    /// `fill` over `count` words at `address`, whose first is word `first`; `modulo20` selects the
    /// modulo-20 kernel and which half it writes (the marked words or the others).
    fn launch_fill(
        &self,
        address: sys::CUdeviceptr,
        first: u64,
        count: u64,
        fill: Fill,
        modulo20: Option<bool>,
    ) -> Result<(), BackendError> {
        let spec = FillArg::from(fill);
        let result = match modulo20 {
            None => {
                let mut launch = self.device.stream.launch_builder(&self.fill);
                launch.arg(&address).arg(&first).arg(&count).arg(&spec);
                // SAFETY: the arguments match `revive_fill`; the kernel writes only `count` words
                // from `address`, which `segments` keeps inside one allocation.
                unsafe { launch.launch(self.grid(count)) }
            }
            Some(marked) => {
                let marked = u32::from(marked);
                let mut launch = self.device.stream.launch_builder(&self.fill_modulo20);
                launch.arg(&address).arg(&first).arg(&count).arg(&spec).arg(&marked);
                // SAFETY: as above, for `revive_fill_modulo20`.
                unsafe { launch.launch(self.grid(count)) }
            }
        };
        result.map(|_| ()).map_err(|e| classify(e, "launching a fill"))
    }

    fn launch_verify(
        &self,
        address: sys::CUdeviceptr,
        first: u64,
        count: u64,
        expect: Fill,
        then: Option<Fill>,
        cap: u32,
    ) -> Result<(), BackendError> {
        let (expect, write_after, then) =
            (FillArg::from(expect), u32::from(then.is_some()), FillArg::from(then.unwrap_or(expect)));
        let mut launch = self.device.stream.launch_builder(&self.verify);
        launch
            .arg(&address)
            .arg(&first)
            .arg(&count)
            .arg(&expect)
            .arg(&write_after)
            .arg(&then)
            .arg(&self.counters)
            .arg(&self.samples)
            .arg(&cap);
        // SAFETY: the arguments match `revive_verify`; it touches `count` words from `address`
        // (inside one allocation), the 34 counters, and at most `cap` sample pairs, which
        // `samples` holds.
        unsafe { launch.launch(self.grid(count)) }.map(|_| ()).map_err(|e| classify(e, "launching a verify"))
    }
}

impl MemoryBackend for GpuMemory {
    fn words(&self) -> u64 {
        self.words
    }

    fn available_bytes(&self) -> u64 {
        self.available_bytes
    }

    fn fill(&mut self, words: Range<u64>, fill: Fill) -> Result<(), BackendError> {
        self.check_range(&words)?;
        for (address, first, count) in self.segments(&words) {
            self.launch_fill(address, first, count, fill, None)?;
        }
        Ok(())
    }

    fn fill_modulo20(&mut self, words: Range<u64>, fill: Fill, marked: bool) -> Result<(), BackendError> {
        self.check_range(&words)?;
        if !matches!(fill.kind, FillKind::Modulo20 { .. }) {
            return Err(BackendError::Setup("a modulo-20 fill needs the modulo-20 pattern".into()));
        }
        for (address, first, count) in self.segments(&words) {
            self.launch_fill(address, first, count, fill, Some(marked))?;
        }
        Ok(())
    }

    fn verify(
        &mut self,
        words: Range<u64>,
        expect: Fill,
        then: Option<Fill>,
        sample_cap: usize,
    ) -> Result<VerifyOutcome, BackendError> {
        self.check_range(&words)?;
        let cap =
            u32::try_from(sample_cap).map_err(|_| BackendError::Setup(format!("sample cap {sample_cap} too large")))?;
        let stream = self.device.stream.clone();
        if sample_cap > self.sample_cap {
            self.samples =
                stream.alloc_zeros(2 * sample_cap).map_err(|e| classify(e, "allocating the mismatch samples"))?;
            self.sample_cap = sample_cap;
        }
        stream.memset_zeros(&mut self.counters).map_err(|e| classify(e, "clearing the mismatch counters"))?;
        for (address, first, count) in self.segments(&words) {
            self.launch_verify(address, first, count, expect, then, cap)?;
        }
        // The copy waits for the launches: a fault in them surfaces here.
        let doing = format!("verifying words {}..{}", words.start, words.end);
        let counters = stream.clone_dtoh(&self.counters).map_err(|e| classify(e, &doing))?;
        let taken = (counters[SLOTS] as usize).min(sample_cap);
        let mut samples = Vec::with_capacity(taken);
        if taken > 0 {
            let pairs = stream.clone_dtoh(&self.samples.slice(..2 * taken)).map_err(|e| classify(e, &doing))?;
            samples.extend(pairs.chunks_exact(2).map(|pair| (pair[0], pair[1] as u32)));
            // Slots go to whichever thread gets there first; the host backend lists by index.
            samples.sort_unstable();
        }
        let mut flipped_bits = [0; 32];
        flipped_bits.copy_from_slice(&counters[1..SLOTS]);
        Ok(VerifyOutcome { mismatches: counters[0], flipped_bits, samples })
    }
}

impl Drop for GpuMemory {
    fn drop(&mut self) {
        // Nothing to do about a failure here: the context is gone or going.
        if self.device.ctx.bind_to_thread().is_ok() {
            let _ = self.device.stream.synchronize();
            for chunk in self.chunks.drain(..) {
                // SAFETY: allocated by `take` in this context, freed once, no work left on it.
                let _ = unsafe { result::free_sync(chunk.address) };
            }
        }
    }
}
