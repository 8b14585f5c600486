//! The memory test's host backend: the same fills and checks as the GPU kernels, over host memory.
//! It stands in for the GPU on the simulated bench, measures the algorithms without a GPU, and, with
//! faults injected, proves each pattern catches what it exists for.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::memtest::{MemoryBackend, VerifyOutcome};
use super::patterns::Fill;
use super::BackendError;

/// A fault a memory can have, for training scenarios and the tests. Word indexes count 32-bit
/// words from the start of the tested memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum MemoryFault {
    /// One cell holds `value` whatever is written to it.
    StuckBit { word: u64, bit: u32, value: bool },
    /// Address line `line` of the word index is stuck low: a word with it set lands on its twin.
    AddressLine { line: u32 },
    /// Data line `bit` is stuck at `value` in every word.
    DataLine { bit: u32, value: bool },
    /// Writing word `aggressor` flips bit `bit` of word `victim`.
    Coupling { aggressor: u64, victim: u64, bit: u32 },
    /// Cell `bit` of `word` loses a stored one while the test waits.
    Fade { word: u64, bit: u32 },
}

pub struct HostMemory {
    cells: Vec<u32>,
    available_bytes: u64,
    faults: Vec<MemoryFault>,
}

impl HostMemory {
    /// `words` of memory standing for `available_bytes` a driver could give.
    pub fn new(words: u64, available_bytes: u64) -> Result<HostMemory, BackendError> {
        let length = usize::try_from(words).map_err(|_| BackendError::Setup("too large for this host".into()))?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(length).map_err(|_| BackendError::Setup(format!("cannot allocate {words} words")))?;
        cells.resize(length, 0);
        Ok(HostMemory { cells, available_bytes, faults: Vec::new() })
    }

    pub fn with_faults(mut self, faults: Vec<MemoryFault>) -> HostMemory {
        self.faults = faults;
        self
    }

    /// Where a write or read of `index` lands.
    fn cell(&self, index: u64) -> usize {
        let mut index = index;
        for fault in &self.faults {
            if let MemoryFault::AddressLine { line } = fault {
                index &= !(1u64 << line);
            }
        }
        index as usize
    }

    /// What a cell holds after `value` is stored into it.
    fn stored(&self, cell: usize, value: u32) -> u32 {
        self.faults.iter().fold(value, |value, fault| match *fault {
            MemoryFault::StuckBit { word, bit, value: high } if word as usize == cell => force(value, bit, high),
            MemoryFault::DataLine { bit, value: high } => force(value, bit, high),
            _ => value,
        })
    }

    fn write(&mut self, index: u64, value: u32) {
        if self.faults.is_empty() {
            self.cells[index as usize] = value;
            return;
        }
        let cell = self.cell(index);
        self.cells[cell] = self.stored(cell, value);
        for fault in &self.faults {
            if let MemoryFault::Coupling { aggressor, victim, bit } = *fault {
                if aggressor == index && (victim as usize) < self.cells.len() {
                    self.cells[victim as usize] ^= 1 << bit;
                }
            }
        }
    }

    fn read(&self, index: u64) -> u32 {
        if self.faults.is_empty() {
            return self.cells[index as usize];
        }
        let cell = self.cell(index);
        self.stored(cell, self.cells[cell])
    }

    fn check_range(&self, words: &Range<u64>) -> Result<(), BackendError> {
        if words.start > words.end || words.end > self.cells.len() as u64 {
            return Err(BackendError::Setup(format!("words {words:?} outside the {} tested", self.cells.len())));
        }
        Ok(())
    }
}

fn force(value: u32, bit: u32, high: bool) -> u32 {
    if high {
        value | (1 << bit)
    } else {
        value & !(1 << bit)
    }
}

impl MemoryBackend for HostMemory {
    fn words(&self) -> u64 {
        self.cells.len() as u64
    }

    fn available_bytes(&self) -> u64 {
        self.available_bytes
    }

    fn fill(&mut self, words: Range<u64>, fill: Fill) -> Result<(), BackendError> {
        self.check_range(&words)?;
        if self.faults.is_empty() {
            let start = words.start;
            for (offset, cell) in self.cells[words.start as usize..words.end as usize].iter_mut().enumerate() {
                *cell = fill.value(start + offset as u64);
            }
        } else {
            words.for_each(|index| self.write(index, fill.value(index)));
        }
        Ok(())
    }

    fn fill_modulo20(&mut self, words: Range<u64>, fill: Fill, marked: bool) -> Result<(), BackendError> {
        self.check_range(&words)?;
        let offset = match fill.kind {
            super::patterns::FillKind::Modulo20 { offset, .. } => u64::from(offset),
            _ => return Err(BackendError::Setup("a modulo-20 fill needs the modulo-20 pattern".into())),
        };
        for index in words.filter(|index| (index % 20 == offset) == marked) {
            self.write(index, fill.value(index));
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
        let mut outcome = VerifyOutcome::default();
        for index in words {
            let (expected, found) = (expect.value(index), self.read(index));
            if expected != found {
                outcome.note(index, expected, found, sample_cap);
            }
            if let Some(then) = then {
                self.write(index, then.value(index));
            }
        }
        Ok(outcome)
    }

    fn waited(&mut self, _seconds: u64) {
        let faded: Vec<(u64, u32)> = self
            .faults
            .iter()
            .filter_map(|fault| match *fault {
                MemoryFault::Fade { word, bit } => Some((word, bit)),
                _ => None,
            })
            .collect();
        for (word, bit) in faded {
            if let Some(cell) = self.cells.get_mut(word as usize) {
                *cell &= !(1 << bit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::stress::memtest::{run_memory_test, MemoryTestPlan, MemoryTestReport, PAGE_BYTES};
    use crate::stress::patterns::Pattern;
    use crate::stress::ScaledClock;

    const WORDS: u64 = 1 << 20; // 4 MiB: two pages

    fn run(faults: Vec<MemoryFault>, patterns: &[Pattern], passes: u32) -> MemoryTestReport {
        let mut memory = HostMemory::new(WORDS, WORDS * 4).unwrap().with_faults(faults);
        let plan = MemoryTestPlan { patterns: patterns.to_vec(), passes, fade_wait_seconds: 1, seed: 42 };
        let (report, failure) =
            run_memory_test(&mut memory, &plan, &ScaledClock::faster(1000), &AtomicBool::new(false), &mut |_| {});
        assert_eq!(failure, None);
        report
    }

    fn errors_of(report: &MemoryTestReport, pattern: Pattern) -> u64 {
        report.patterns.iter().find(|p| p.pattern == pattern).unwrap().mismatches
    }

    #[test]
    fn sound_memory_passes_every_pattern_with_full_coverage() {
        let report = run(Vec::new(), &Pattern::STANDARD, 2);
        assert_eq!(report.mismatches.total, 0);
        assert!(report.completed && report.passes_completed == 2);
        assert_eq!((report.bytes_tested, report.coverage_percent), (WORDS * 4, 100.0));
        assert!(report.patterns.iter().all(|p| p.mismatches == 0));
        assert_eq!(report.mismatches.flipped_bits, vec![0; 32]);
    }

    #[test]
    fn own_address_catches_an_address_line_fault_word_for_word() {
        let report = run(vec![MemoryFault::AddressLine { line: 9 }], &[Pattern::OwnAddress], 1);
        // Each word without line 9 set is overwritten by its twin: half of memory, twice (the
        // address and its complement).
        assert_eq!(errors_of(&report, Pattern::OwnAddress), WORDS);
        let first = report.mismatches.first[0];
        assert_eq!((first.offset, first.expected, first.found), (0, 0, 1 << 9));
        assert_eq!(first.flipped, 1 << 9);
        assert_eq!(report.mismatches.flipped_bits[9], WORDS);
        // Pages come from the mismatches a launch records word by word: the first few thousand.
        let sampled = 2 * crate::stress::memtest::VERIFY_SAMPLE_CAP as u64;
        assert_eq!(
            report.mismatches.pages,
            [crate::stress::memtest::PageErrors { offset: 0, errors: sampled, flipped: 1 << 9 }]
        );
    }

    #[test]
    fn walking_ones_and_zeros_catch_stuck_data_lines() {
        let low = run(vec![MemoryFault::DataLine { bit: 13, value: false }], &[Pattern::WalkingOnes], 1);
        assert_eq!(errors_of(&low, Pattern::WalkingOnes), WORDS / 32);
        assert!(low.mismatches.first.iter().all(|m| m.flipped == 1 << 13 && m.found == 0));
        let high = run(vec![MemoryFault::DataLine { bit: 30, value: true }], &[Pattern::WalkingZeros], 1);
        assert_eq!(errors_of(&high, Pattern::WalkingZeros), WORDS / 32);
        assert!(high.mismatches.first.iter().all(|m| m.found == u32::MAX && m.flipped == 1 << 30));
    }

    #[test]
    fn moving_inversions_catch_a_stuck_cell_of_either_value() {
        for pattern in [Pattern::MovingInversions32, Pattern::MovingInversions8] {
            for value in [false, true] {
                let word = 700_001;
                let report = run(vec![MemoryFault::StuckBit { word, bit: 4, value }], &[pattern], 8);
                let found: Vec<_> = report.mismatches.first.iter().map(|m| (m.offset, m.flipped)).collect();
                assert!(!found.is_empty(), "{pattern:?} missed a cell stuck at {value}");
                assert!(found.iter().all(|&(offset, flipped)| offset == word * 4 && flipped == 1 << 4));
                assert_eq!(report.mismatches.pages.len(), 1);
                assert_eq!(report.mismatches.pages[0].offset, word * 4 / PAGE_BYTES * PAGE_BYTES);
            }
        }
    }

    #[test]
    fn random_data_catches_a_stuck_cell_and_names_it() {
        let report = run(vec![MemoryFault::StuckBit { word: 5, bit: 31, value: true }], &[Pattern::Random], 4);
        assert!(errors_of(&report, Pattern::Random) >= 1);
        assert!(report.mismatches.first.iter().all(|m| m.offset == 20 && m.flipped == 1 << 31 && m.found >> 31 == 1));
    }

    #[test]
    fn modulo_20_catches_a_write_that_disturbs_a_neighbour_written_before() {
        // Writing word 41 flips bit 2 of word 40, the marked word of its twenty. Modulo-20 writes
        // the marked words in a launch of their own before their neighbours, so the disturbance
        // stays (within one GPU launch words are written in no set order).
        let coupling = vec![MemoryFault::Coupling { aggressor: 41, victim: 40, bit: 2 }];
        let report = run(coupling, &[Pattern::Modulo20], 1);
        assert_eq!(errors_of(&report, Pattern::Modulo20), 1);
        let m = report.mismatches.first[0];
        assert_eq!((m.offset, m.expected, m.found, m.flipped), (160, u32::MAX, u32::MAX ^ 4, 4));
    }

    #[test]
    fn bit_fade_catches_a_cell_that_leaks_while_waiting_and_nothing_else_does() {
        let leak = vec![MemoryFault::Fade { word: 123_456, bit: 17 }];
        let report = run(leak.clone(), &[Pattern::BitFade], 1);
        assert_eq!(errors_of(&report, Pattern::BitFade), 1);
        let m = report.mismatches.first[0];
        assert_eq!((m.offset, m.expected, m.found), (123_456 * 4, u32::MAX, u32::MAX ^ (1 << 17)));
        assert_eq!(run(leak, &Pattern::STANDARD, 1).mismatches.total, 0);
    }

    #[test]
    fn detail_is_capped_but_totals_stay_exact() {
        let report = run(vec![MemoryFault::DataLine { bit: 0, value: true }], &[Pattern::MovingInversions8], 1);
        // 0x01010101 has bit 0 set, so only the complement half fails: every word once.
        assert_eq!(report.mismatches.total, WORDS);
        assert_eq!(report.mismatches.first.len(), crate::stress::memtest::MAX_DETAILED_MISMATCHES);
        assert_eq!(report.mismatches.flipped_bits[0], WORDS);
        assert!(report.mismatches.pages.iter().map(|p| p.errors).sum::<u64>() <= WORDS);
    }

    #[test]
    fn cancelling_stops_early_and_says_so() {
        let mut memory = HostMemory::new(WORDS, WORDS * 4).unwrap();
        let cancel = AtomicBool::new(false);
        let plan = MemoryTestPlan::standard(5, 1);
        let (report, failure) = run_memory_test(&mut memory, &plan, &ScaledClock::real(), &cancel, &mut |progress| {
            if progress.pass == 1 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        });
        assert_eq!((failure, report.completed, report.passes_completed), (None, false, 1));
    }
}
