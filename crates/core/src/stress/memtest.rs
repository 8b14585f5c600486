//! The memory test: runs the chosen patterns over everything a backend could allocate, chunk by
//! chunk, and reports every mismatch it can afford to keep (offset, expected, found, flipped bits),
//! grouped by 2 MiB page, plus exact totals and a histogram of flipped bit positions.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::patterns::{Fill, Pattern, Step};
use super::{BackendError, Clock};

/// Mismatches kept word by word; beyond this only the totals, pages and histogram grow.
pub const MAX_DETAILED_MISMATCHES: usize = 64;
/// Pages listed; beyond this the report says it was cut.
pub const MAX_PAGES: usize = 1024;
/// What one verify launch records word by word (the GPU's mismatch buffer holds as many).
pub const VERIFY_SAMPLE_CAP: usize = 4096;
/// HBM and GDDR are mapped in 2 MiB pages: faults of one bad row or bank land in one or a few.
pub const PAGE_BYTES: u64 = 2 << 20;
/// The work of one launch, small enough that progress and cancelling stay responsive.
pub const CHUNK_WORDS: u64 = (256 << 20) / 4;

/// Memory the test can write and read back: the GPU's (through CUDA kernels) or the host's.
pub trait MemoryBackend {
    /// Words under test, from index 0.
    fn words(&self) -> u64;
    /// What the driver could give when the test began (the coverage is measured against it).
    fn available_bytes(&self) -> u64;
    fn fill(&mut self, words: Range<u64>, fill: Fill) -> Result<(), BackendError>;
    /// Writes the words of `words` that modulo-20 marks (or, with `marked` false, all the others).
    fn fill_modulo20(&mut self, words: Range<u64>, fill: Fill, marked: bool) -> Result<(), BackendError>;
    /// Compares `words` with `expect`; with `then`, writes it over each word once compared.
    fn verify(
        &mut self,
        words: Range<u64>,
        expect: Fill,
        then: Option<Fill>,
        sample_cap: usize,
    ) -> Result<VerifyOutcome, BackendError>;
    /// Told after the test waited (bit fade); the fault-injecting backend lets cells leak here.
    fn waited(&mut self, _seconds: u64) {}
}

/// What one verify launch found: exact totals, and the first mismatches word by word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub mismatches: u64,
    /// How often each bit position was found flipped.
    pub flipped_bits: [u64; 32],
    /// `(word index, found)`, at most the cap asked for.
    pub samples: Vec<(u64, u32)>,
}

impl VerifyOutcome {
    /// Records a mismatch the way the kernels do.
    pub fn note(&mut self, index: u64, expected: u32, found: u32, sample_cap: usize) {
        self.mismatches += 1;
        let flipped = expected ^ found;
        for (bit, count) in self.flipped_bits.iter_mut().enumerate() {
            *count += u64::from((flipped >> bit) & 1);
        }
        if self.samples.len() < sample_cap {
            self.samples.push((index, found));
        }
    }
}

/// What a technician asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MemoryTestPlan {
    pub patterns: Vec<Pattern>,
    pub passes: u32,
    /// How long bit fade waits between fill and verify, each of its two halves.
    pub fade_wait_seconds: u64,
    /// Seeds the random pattern; a run names it so a failure can be reproduced.
    pub seed: u64,
}

impl MemoryTestPlan {
    pub fn standard(passes: u32, seed: u64) -> MemoryTestPlan {
        MemoryTestPlan { patterns: Pattern::STANDARD.to_vec(), passes, fade_wait_seconds: 0, seed }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    /// Bytes from the start of the tested memory.
    pub offset: u64,
    pub expected: u32,
    pub found: u32,
    pub flipped: u32,
    pub pattern: Pattern,
    pub pass: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PageErrors {
    /// The page's first byte, from the start of the tested memory.
    pub offset: u64,
    /// Mismatches recorded word by word in this page (a launch keeps at most a few thousand).
    pub errors: u64,
    /// Every bit position seen flipped in this page.
    pub flipped: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MismatchReport {
    pub total: u64,
    /// Per bit position 0‥31, how often it was found flipped.
    pub flipped_bits: Vec<u64>,
    pub first: Vec<Mismatch>,
    pub pages: Vec<PageErrors>,
    /// More pages had errors than are listed.
    pub pages_cut: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatternErrors {
    pub pattern: Pattern,
    pub mismatches: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MemoryTestReport {
    pub plan: MemoryTestPlan,
    pub bytes_available: u64,
    pub bytes_tested: u64,
    /// Tested as a share of what the driver could give, in percent.
    pub coverage_percent: f64,
    pub passes_completed: u32,
    pub patterns: Vec<PatternErrors>,
    pub mismatches: MismatchReport,
    /// Bytes written plus bytes read, for throughput.
    pub bytes_moved: u64,
    /// By the run's clock.
    pub seconds: f64,
    /// By the wall clock: what throughput is measured against.
    pub wall_seconds: f64,
    /// All passes ran (not cancelled, no backend failure).
    pub completed: bool,
}

impl MemoryTestReport {
    pub fn throughput_gb_s(&self) -> f64 {
        if self.wall_seconds > 0.0 {
            self.bytes_moved as f64 / self.wall_seconds / 1e9
        } else {
            0.0
        }
    }
}

/// Where the test is, for the live view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MemoryProgress {
    pub pass: u32,
    pub passes: u32,
    pub pattern: Pattern,
    /// Bytes verified so far, all passes together.
    pub bytes_verified: u64,
    pub mismatches: u64,
}

struct Tally {
    report: MismatchReport,
    flipped: [u64; 32],
    pages: BTreeMap<u64, PageErrors>,
}

impl Tally {
    fn add(&mut self, outcome: &VerifyOutcome, expect: Fill, pattern: Pattern, pass: u32) {
        self.report.total += outcome.mismatches;
        for (sum, count) in self.flipped.iter_mut().zip(outcome.flipped_bits) {
            *sum += count;
        }
        for &(index, found) in &outcome.samples {
            let expected = expect.value(index);
            let offset = index * 4;
            if self.report.first.len() < MAX_DETAILED_MISMATCHES {
                let flipped = expected ^ found;
                self.report.first.push(Mismatch { offset, expected, found, flipped, pattern, pass });
            }
            let page = offset / PAGE_BYTES * PAGE_BYTES;
            if let Some(errors) = self.pages.get_mut(&page) {
                errors.errors += 1;
                errors.flipped |= expected ^ found;
            } else if self.pages.len() < MAX_PAGES {
                self.pages.insert(page, PageErrors { offset: page, errors: 1, flipped: expected ^ found });
            } else {
                self.report.pages_cut = true;
            }
        }
    }
}

/// Runs `plan` over the backend's memory until done or `cancel` is set; a backend failure ends it
/// with what was found so far and the error.
pub fn run_memory_test(
    backend: &mut dyn MemoryBackend,
    plan: &MemoryTestPlan,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(MemoryProgress),
) -> (MemoryTestReport, Option<BackendError>) {
    let started = clock.elapsed();
    let wall = std::time::Instant::now();
    let words = backend.words();
    let mut tally = Tally { report: MismatchReport::default(), flipped: [0; 32], pages: BTreeMap::new() };
    let mut per_pattern: BTreeMap<Pattern, u64> = plan.patterns.iter().map(|p| (*p, 0)).collect();
    let (mut bytes_moved, mut bytes_verified, mut passes_completed) = (0u64, 0u64, 0u32);
    let mut failure = None;
    let chunks: Vec<Range<u64>> =
        (0..words.div_ceil(CHUNK_WORDS)).map(|c| c * CHUNK_WORDS..((c + 1) * CHUNK_WORDS).min(words)).collect();
    'passes: for pass in 0..plan.passes {
        for &pattern in &plan.patterns {
            for step in pattern.steps(pass, plan.seed, plan.fade_wait_seconds) {
                if let Step::Wait { seconds } = step {
                    if !clock.sleep(std::time::Duration::from_secs(seconds), cancel) {
                        break 'passes;
                    }
                    backend.waited(seconds);
                    continue;
                }
                for chunk in &chunks {
                    if cancel.load(Ordering::Relaxed) {
                        break 'passes;
                    }
                    let bytes = (chunk.end - chunk.start) * 4;
                    let before = tally.report.total;
                    let result = match step {
                        Step::Fill(fill) => backend.fill(chunk.clone(), fill).map(|()| bytes),
                        Step::FillModulo20 { fill, marked } => backend
                            .fill_modulo20(chunk.clone(), fill, marked)
                            .map(|()| if marked { bytes / 20 } else { bytes - bytes / 20 }),
                        Step::Verify(expect) => verify(backend, chunk, expect, None, &mut tally, pattern, pass),
                        Step::VerifyThenFill { expect, then } => {
                            verify(backend, chunk, expect, Some(then), &mut tally, pattern, pass)
                                .map(|moved| moved + bytes)
                        }
                        // Waited for above: nothing moves.
                        Step::Wait { .. } => Ok(0),
                    };
                    match result {
                        Ok(moved) => bytes_moved += moved,
                        Err(error) => {
                            failure = Some(error);
                            break 'passes;
                        }
                    }
                    if matches!(step, Step::Verify(_) | Step::VerifyThenFill { .. }) {
                        bytes_verified += bytes;
                        *per_pattern.entry(pattern).or_default() += tally.report.total - before;
                        progress(MemoryProgress {
                            pass,
                            passes: plan.passes,
                            pattern,
                            bytes_verified,
                            mismatches: tally.report.total,
                        });
                    }
                }
            }
        }
        passes_completed = pass + 1;
    }
    let mut mismatches = tally.report;
    mismatches.flipped_bits = tally.flipped.to_vec();
    mismatches.pages = tally.pages.into_values().collect();
    let available = backend.available_bytes();
    let report = MemoryTestReport {
        plan: plan.clone(),
        bytes_available: available,
        bytes_tested: words * 4,
        coverage_percent: if available == 0 { 0.0 } else { (words * 4) as f64 * 100.0 / available as f64 },
        passes_completed,
        patterns: per_pattern.into_iter().map(|(pattern, mismatches)| PatternErrors { pattern, mismatches }).collect(),
        mismatches,
        bytes_moved,
        seconds: (clock.elapsed() - started).as_secs_f64(),
        wall_seconds: wall.elapsed().as_secs_f64(),
        completed: passes_completed == plan.passes && failure.is_none(),
    };
    (report, failure)
}

fn verify(
    backend: &mut dyn MemoryBackend,
    chunk: &Range<u64>,
    expect: Fill,
    then: Option<Fill>,
    tally: &mut Tally,
    pattern: Pattern,
    pass: u32,
) -> Result<u64, BackendError> {
    let outcome = backend.verify(chunk.clone(), expect, then, VERIFY_SAMPLE_CAP)?;
    tally.add(&outcome, expect, pattern, pass);
    Ok((chunk.end - chunk.start) * 4)
}
