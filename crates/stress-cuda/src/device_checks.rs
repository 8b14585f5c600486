//! The checks that need an NVIDIA GPU (sm_80+, driver R535+). They are not tests because CI has no
//! GPU and a skipped test counts as a defect: `revive-gpu-figures` runs them on a machine with a
//! card. They hold the memory-test kernels to the host backend, which the core's tests prove
//! catches each fault, and the burn-in's products to sums worked out here. A wrong answer is an
//! `Err`, not a panic, so the report still covers every check.

use std::ops::Range;

use revive_core::stress::burn_in::ComputeBackend;
use revive_core::stress::host::HostMemory;
use revive_core::stress::memtest::{MemoryBackend, VerifyOutcome, CHUNK_WORDS, VERIFY_SAMPLE_CAP};
use revive_core::stress::patterns::{splitmix64, Fill, FillKind, Pattern, Step};
use revive_core::stress::BackendError;

use crate::{classify, GpuMemory, DEFAULT_MEMORY_FRACTION};

/// One check's name and what it found.
#[derive(Debug)]
pub struct CheckOutcome {
    pub name: &'static str,
    pub result: Result<(), String>,
}

/// Runs every check on GPU `gpu_index`, one after another: each opens what it needs and gives it
/// back before the next, so they never compete for memory (the last takes 97 % of it).
pub fn run_all(gpu_index: u32) -> Vec<CheckOutcome> {
    macro_rules! named {
        ($($check:ident),+) => { [$((stringify!($check), $check as fn(u32) -> Result<(), String>)),+] };
    }
    let checks = named![
        products_repeat_bit_for_bit_and_are_the_right_products,
        every_pattern_reads_back_clean_on_the_gpu_as_on_the_host,
        mismatches_are_counted_and_sampled_as_the_host_backend_does,
        the_whole_card_is_taken_and_copies_run
    ];
    checks.into_iter().map(|(name, check)| CheckOutcome { name, result: check(gpu_index) }).collect()
}

/// Returns `Err(message)` from the check when `condition` does not hold (a NaN fails a
/// comparison, as it failed the `assert!` it stands for).
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        let holds: bool = $condition;
        if !holds {
            return Err(format!($($message)+));
        }
    };
}

/// A backend error as a check's failure, saying what was being done.
fn doing(what: &str) -> impl Fn(BackendError) -> String + '_ {
    move |error| format!("{what}: {error}")
}

/// An FP16 value, exactly.
fn half(bits: u16) -> f64 {
    let sign = if bits >> 15 == 1 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1F);
    let fraction = f64::from(bits & 0x3FF);
    sign * if exponent == 0 { fraction * 2f64.powi(-24) } else { (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15) }
}

fn products_repeat_bit_for_bit_and_are_the_right_products(gpu_index: u32) -> Result<(), String> {
    let mut compute =
        crate::open(gpu_index).map_err(doing("opening the GPU"))?.compute().map_err(doing("setting up"))?;
    ensure!(compute.matrix_order() == 8192, "matrix order {}, want 8192", compute.matrix_order());
    let differing = compute.run(1).map_err(doing("the first product"))?;
    ensure!(differing == 0, "{differing} elements differ: the first product is the reference");
    let differing = compute.run(4).map_err(doing("four more products"))?;
    ensure!(differing == 0, "{differing} elements differ: the same inputs must give the same bits");

    let stream = compute.device.stream.clone();
    let read_back = |e| classify(e, "reading the matrices back").to_string();
    let a = stream.clone_dtoh(&compute.a).map_err(read_back)?;
    let bt = stream.clone_dtoh(&compute.bt).map_err(read_back)?;
    let product = stream.clone_dtoh(&compute.reference).map_err(read_back)?;
    let n = compute.matrix_order() as usize;
    for i in [0usize, 1, 999, n * n - 1] {
        let wanted = (splitmix64(i as u64 ^ crate::compute::SALT_A) % 1000) as f64 / 1000.0 - 0.5;
        ensure!((half(a[i]) - wanted).abs() <= 5e-4, "A[{i}] = {} for {wanted}", half(a[i]));
    }
    // Corners of the fragments and tiles (rows g and g+8, columns 2t and 2t+1), and spread.
    let mut cells = vec![(0, 0), (0, 1), (1, 0), (7, 6), (8, 0), (8, 1), (15, 7), (16, 8), (127, 127), (128, 128)];
    cells.push((n - 1, n - 1));
    cells.extend((0..64).map(|s| (splitmix64(s) as usize % n, splitmix64(s + 100) as usize % n)));
    for (row, col) in cells {
        let terms = (0..n).map(|k| half(a[row * n + k]) * half(bt[col * n + k]));
        let (sum, magnitude) = terms.fold((0.0, 0.0), |(s, m), t| (s + t, m + f64::abs(t)));
        let got = f64::from(f32::from_bits(product[row * n + col]));
        ensure!((got - sum).abs() <= 1e-4 * magnitude, "C[{row}][{col}] = {got}, want {sum} (± {})", 1e-4 * magnitude);
    }
    Ok(())
}

/// 2 % of the card: enough for two allocations, the first a whole chunk, so ranges can cross
/// their boundary.
fn gpu_memory(gpu_index: u32) -> Result<GpuMemory, String> {
    let memory = crate::open(gpu_index)
        .map_err(doing("opening the GPU"))?
        .memory(0.02)
        .map_err(doing("taking 2 % of its memory"))?;
    ensure!(memory.chunks.len() >= 2 && memory.chunks[0].words == CHUNK_WORDS, "allocations {:?}", memory.chunks);
    Ok(memory)
}

/// Runs `step` on both backends; a verify must find the same on both.
fn both(
    gpu: &mut GpuMemory,
    host: &mut HostMemory,
    step: Step,
    words: Range<u64>,
    cap: usize,
) -> Result<VerifyOutcome, String> {
    let on = |backend: &str| format!("{step:?} over {words:?} on the {backend}");
    let (expect, then) = match step {
        Step::Fill(fill) => {
            gpu.fill(words.clone(), fill).map_err(doing(&on("GPU")))?;
            host.fill(words.clone(), fill).map_err(doing(&on("host")))?;
            return Ok(VerifyOutcome::default());
        }
        Step::FillModulo20 { fill, marked } => {
            gpu.fill_modulo20(words.clone(), fill, marked).map_err(doing(&on("GPU")))?;
            host.fill_modulo20(words.clone(), fill, marked).map_err(doing(&on("host")))?;
            return Ok(VerifyOutcome::default());
        }
        Step::Wait { .. } => return Ok(VerifyOutcome::default()),
        Step::Verify(expect) => (expect, None),
        Step::VerifyThenFill { expect, then } => (expect, Some(then)),
    };
    let on_gpu = gpu.verify(words.clone(), expect, then, cap).map_err(doing(&on("GPU")))?;
    let on_host = host.verify(words.clone(), expect, then, cap).map_err(doing(&on("host")))?;
    ensure!(on_gpu == on_host, "{step:?} over {words:?}: the GPU found {on_gpu:?}, the host {on_host:?}");
    Ok(on_gpu)
}

fn every_pattern_reads_back_clean_on_the_gpu_as_on_the_host(gpu_index: u32) -> Result<(), String> {
    let mut gpu = gpu_memory(gpu_index)?;
    let words = CHUNK_WORDS + (1 << 20) + 3;
    let mut host = HostMemory::new(words, words * 4).map_err(doing("taking host memory"))?;
    // Whole, and odd ranges: unaligned starts and ends, across the allocations' boundary.
    let ranges = [0..words, 3..1003, CHUNK_WORDS - 5..CHUNK_WORDS + 7, words - 9..words];
    for pattern in Pattern::STANDARD.into_iter().chain([Pattern::BitFade]) {
        for pass in [0, 5] {
            for step in pattern.steps(pass, 42, 0) {
                for range in ranges.clone() {
                    let outcome = both(&mut gpu, &mut host, step, range, VERIFY_SAMPLE_CAP)?;
                    ensure!(
                        outcome.mismatches == 0,
                        "{pattern:?} pass {pass} {step:?}: {} mismatches",
                        outcome.mismatches
                    );
                }
            }
        }
    }
    Ok(())
}

fn mismatches_are_counted_and_sampled_as_the_host_backend_does(gpu_index: u32) -> Result<(), String> {
    let mut gpu = gpu_memory(gpu_index)?;
    let words = CHUNK_WORDS + (1 << 20);
    let mut host = HostMemory::new(words, words * 4).map_err(doing("taking host memory"))?;
    let marked = Fill::new(FillKind::Modulo20 { offset: 7, value: u32::MAX });
    let zeros = Fill::new(FillKind::Constant { value: 0 });

    // Fewer than the cap, across the allocations' boundary: word for word the host's outcome.
    let near = CHUNK_WORDS - 40_000..CHUNK_WORDS + 40_001;
    both(&mut gpu, &mut host, Step::Fill(marked), near.clone(), VERIFY_SAMPLE_CAP)?;
    let outcome = both(&mut gpu, &mut host, Step::Verify(zeros), near, VERIFY_SAMPLE_CAP)?;
    ensure!(
        (outcome.mismatches, outcome.flipped_bits) == (4000, [4000; 32]),
        "near the boundary: {} mismatches, flipped bits {:?}; want 4000 and 4000 each",
        outcome.mismatches,
        outcome.flipped_bits
    );

    // More than the cap: exact totals, and the samples are real mismatches (which ones the
    // kernel keeps depends on thread timing).
    gpu.fill(0..words, marked).map_err(doing("filling every 20th word"))?;
    let expected = (0..words).filter(|i| i % 20 == 7).count() as u64;
    for cap in [VERIFY_SAMPLE_CAP, 10_000] {
        let outcome = gpu.verify(0..words, zeros, None, cap).map_err(doing(&format!("verifying with cap {cap}")))?;
        ensure!(
            (outcome.mismatches, outcome.flipped_bits) == (expected, [expected; 32]),
            "cap {cap}: {} mismatches, flipped bits {:?}; want {expected} and {expected} each",
            outcome.mismatches,
            outcome.flipped_bits
        );
        ensure!(outcome.samples.len() == cap, "cap {cap}: {} samples", outcome.samples.len());
        ensure!(outcome.samples.windows(2).all(|w| w[0].0 < w[1].0), "cap {cap}: samples not in strictly rising order");
        let wrong = outcome.samples.iter().find(|&&(index, found)| !(index % 20 == 7 && found == u32::MAX));
        ensure!(wrong.is_none(), "cap {cap}: sample {wrong:?} is not a mismatch that was planted");
    }

    // Verify-then-fill counts what it read and leaves what it wrote.
    let outcome = gpu.verify(0..words, zeros, Some(zeros), VERIFY_SAMPLE_CAP).map_err(doing("verify-then-fill"))?;
    ensure!(outcome.mismatches == expected, "verify-then-fill: {} mismatches, want {expected}", outcome.mismatches);
    let after = gpu.verify(0..words, zeros, None, VERIFY_SAMPLE_CAP).map_err(doing("verifying what it wrote"))?;
    ensure!(after == VerifyOutcome::default(), "after verify-then-fill: {after:?}, want nothing found");
    Ok(())
}

fn the_whole_card_is_taken_and_copies_run(gpu_index: u32) -> Result<(), String> {
    let gpu = crate::open(gpu_index).map_err(doing("opening the GPU"))?;
    let mut memory = gpu.memory(DEFAULT_MEMORY_FRACTION).map_err(doing("taking the memory"))?;
    let share = (memory.words() * 4) as f64 / memory.available_bytes() as f64;
    ensure!(
        (0.95..=DEFAULT_MEMORY_FRACTION).contains(&share),
        "took {share} of the free memory, want 0.95 to {DEFAULT_MEMORY_FRACTION}"
    );
    let bandwidth = memory.copy_bandwidth_gb_s(1).map_err(doing("copying"))?;
    ensure!(bandwidth > 100.0, "copies ran at {bandwidth} GB/s, want over 100");
    let last = memory.words() - 1;
    let ones = Fill::new(FillKind::Constant { value: u32::MAX });
    memory.fill(last - 100..last + 1, ones).map_err(doing("filling the last words"))?;
    let outcome = memory.verify(last - 100..last + 1, ones, None, 8).map_err(doing("verifying the last words"))?;
    ensure!(outcome == VerifyOutcome::default(), "the last words: {outcome:?}, want nothing found");
    ensure!(memory.fill(last..last + 2, ones).is_err(), "a fill past the last word was accepted");
    Ok(())
}
