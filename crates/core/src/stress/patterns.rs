//! The memory-test patterns as pure functions of a word's index, so the GPU kernels
//! (`crates/stress-cuda/kernels/patterns.h`) and the host backend compute the very same values: a
//! verify pass regenerates what it expects on the device instead of copying it from the host.

use serde::{Deserialize, Serialize};

/// The value function of one fill; `inverted` complements every word, which is how moving
/// inversions and the own-address second pass are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub kind: FillKind,
    pub inverted: bool,
}

/// Kind numbers are shared with the kernels: change both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillKind {
    /// The word's own index, its high half mixed in, so every address line changes the value.
    OwnAddress,
    /// One bit set, rotating with the index: every data line is the only one high somewhere.
    WalkingOnes { shift: u32 },
    /// The same value in every word.
    Constant { value: u32 },
    /// `base` rotated left by the index: a 32-bit pattern that moves along the words.
    Rotating { base: u32, shift: u32 },
    /// A pseudo-random word from the seed and the index (splitmix64), regenerated to verify.
    Random { seed: u64 },
    /// `value` in every twentieth word starting at `offset`, its complement everywhere else.
    Modulo20 { offset: u32, value: u32 },
}

impl FillKind {
    /// The kind's number and its two parameters as the kernels take them.
    pub fn encode(self) -> (u32, u64, u64) {
        match self {
            FillKind::OwnAddress => (0, 0, 0),
            FillKind::WalkingOnes { shift } => (1, u64::from(shift), 0),
            FillKind::Constant { value } => (2, u64::from(value), 0),
            FillKind::Rotating { base, shift } => (3, u64::from(base), u64::from(shift)),
            FillKind::Random { seed } => (4, seed, 0),
            FillKind::Modulo20 { offset, value } => (5, u64::from(offset), u64::from(value)),
        }
    }
}

const GOLDEN_32: u32 = 0x9E37_79B1;
const GOLDEN_64: u64 = 0x9E37_79B9_7F4A_7C15;

impl Fill {
    pub const fn new(kind: FillKind) -> Fill {
        Fill { kind, inverted: false }
    }

    pub const fn inverse(self) -> Fill {
        Fill { kind: self.kind, inverted: !self.inverted }
    }

    /// The word at `index` (counted in 32-bit words from the start of the tested memory).
    pub fn value(self, index: u64) -> u32 {
        let value = match self.kind {
            FillKind::OwnAddress => (index as u32) ^ ((index >> 32) as u32).wrapping_mul(GOLDEN_32),
            FillKind::WalkingOnes { shift } => 1u32 << ((index as u32).wrapping_add(shift) & 31),
            FillKind::Constant { value } => value,
            FillKind::Rotating { base, shift } => base.rotate_left((index as u32).wrapping_add(shift) & 31),
            FillKind::Random { seed } => {
                splitmix64(seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN_64))) as u32
            }
            FillKind::Modulo20 { offset, value } => {
                if index % 20 == u64::from(offset) {
                    value
                } else {
                    !value
                }
            }
        };
        if self.inverted {
            !value
        } else {
            value
        }
    }
}

/// The finaliser of splitmix64: a good 64-bit mix in a handful of operations a kernel repeats cheaply.
pub fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The tests a memory run can choose, each aimed at a fault class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Address lines: a word read from the wrong address shows another word's index.
    OwnAddress,
    /// Data lines stuck low (ones) and stuck high (zeros).
    WalkingOnes,
    WalkingZeros,
    /// Cells stuck at either value, and faults that need a write of the opposite value first.
    MovingInversions32,
    MovingInversions8,
    /// Data-dependent faults no regular pattern provokes.
    Random,
    /// Coupling: writes to neighbours disturbing a cell that is not rewritten.
    Modulo20,
    /// Cells that lose their charge: fill, wait, verify (optional, it takes minutes).
    BitFade,
}

impl Pattern {
    /// Every pattern but bit fade, in the order a pass runs them.
    pub const STANDARD: [Pattern; 7] = [
        Pattern::OwnAddress,
        Pattern::WalkingOnes,
        Pattern::WalkingZeros,
        Pattern::MovingInversions32,
        Pattern::MovingInversions8,
        Pattern::Random,
        Pattern::Modulo20,
    ];

    /// What one pass of this pattern does; `pass` shifts the walking and moving patterns and the
    /// modulo-20 offset, so successive passes reach every bit position and offset, and seeds the
    /// random one.
    pub fn steps(self, pass: u32, run_seed: u64, fade_wait_s: u64) -> Vec<Step> {
        let rotation = pass & 31;
        match self {
            Pattern::OwnAddress => {
                let fill = Fill::new(FillKind::OwnAddress);
                vec![Step::Fill(fill), Step::Verify(fill), Step::Fill(fill.inverse()), Step::Verify(fill.inverse())]
            }
            Pattern::WalkingOnes => {
                let fill = Fill::new(FillKind::WalkingOnes { shift: rotation });
                vec![Step::Fill(fill), Step::Verify(fill)]
            }
            Pattern::WalkingZeros => {
                let fill = Fill::new(FillKind::WalkingOnes { shift: rotation }).inverse();
                vec![Step::Fill(fill), Step::Verify(fill)]
            }
            Pattern::MovingInversions32 => {
                moving_inversions(Fill::new(FillKind::Rotating { base: 1, shift: rotation }))
            }
            Pattern::MovingInversions8 => {
                moving_inversions(Fill::new(FillKind::Constant { value: 0x0101_0101u32 << (pass % 8) }))
            }
            Pattern::Random => {
                let fill = Fill::new(FillKind::Random { seed: splitmix64(run_seed ^ u64::from(pass)) });
                vec![Step::Fill(fill), Step::Verify(fill)]
            }
            Pattern::Modulo20 => {
                let fill = Fill::new(FillKind::Modulo20 { offset: pass % 20, value: 0xFFFF_FFFF });
                vec![
                    Step::FillModulo20 { fill, marked: true },
                    Step::FillModulo20 { fill, marked: false },
                    Step::Verify(fill),
                ]
            }
            Pattern::BitFade => {
                let ones = Fill::new(FillKind::Constant { value: 0xFFFF_FFFF });
                vec![
                    Step::Fill(ones),
                    Step::Wait { seconds: fade_wait_s },
                    Step::Verify(ones),
                    Step::Fill(ones.inverse()),
                    Step::Wait { seconds: fade_wait_s },
                    Step::Verify(ones.inverse()),
                ]
            }
        }
    }
}

/// Fill, then read back expecting the fill and write its complement in one launch, then verify
/// the complement: a cell must hold both values and flip between them.
fn moving_inversions(fill: Fill) -> Vec<Step> {
    vec![Step::Fill(fill), Step::VerifyThenFill { expect: fill, then: fill.inverse() }, Step::Verify(fill.inverse())]
}

/// One launch over all the tested memory (waits excepted). Write and verify are separate launches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Fill(Fill),
    /// Writes only the words modulo-20 marks (`marked`) or only the others: the marked words are
    /// written first, so writing their neighbours afterwards can disturb them.
    FillModulo20 {
        fill: Fill,
        marked: bool,
    },
    Verify(Fill),
    VerifyThenFill {
        expect: Fill,
        then: Fill,
    },
    Wait {
        seconds: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_address_values_differ_for_every_single_address_line() {
        let fill = Fill::new(FillKind::OwnAddress);
        for index in [0u64, 1, 0x1234_5678, 0x3_0000_0001, (80u64 << 30) / 4 - 1] {
            for line in 0..40 {
                assert_ne!(fill.value(index), fill.value(index ^ (1 << line)), "index {index:#x} line {line}");
            }
        }
    }

    #[test]
    fn walking_and_rotating_patterns_put_each_bit_in_turn() {
        let ones = Fill::new(FillKind::WalkingOnes { shift: 0 });
        let seen = (0..32).fold(0u32, |all, i| all | ones.value(i));
        assert_eq!(seen, u32::MAX);
        assert!((0..64).all(|i| ones.value(i).count_ones() == 1 && ones.inverse().value(i).count_zeros() == 1));
        let rotating = Fill::new(FillKind::Rotating { base: 1, shift: 3 });
        assert_eq!((rotating.value(0), rotating.value(29)), (8, 1));
    }

    #[test]
    fn modulo_20_marks_one_word_in_twenty() {
        let fill = Fill::new(FillKind::Modulo20 { offset: 7, value: 0xFFFF_FFFF });
        let marked: Vec<u64> = (0..100).filter(|&i| fill.value(i) == u32::MAX).collect();
        assert_eq!(marked, [7, 27, 47, 67, 87]);
        assert!((0..100).filter(|i| !marked.contains(i)).all(|i| fill.value(i) == 0));
    }

    #[test]
    fn random_words_depend_on_seed_and_index_and_look_random() {
        let a = Fill::new(FillKind::Random { seed: 1 });
        let b = Fill::new(FillKind::Random { seed: 2 });
        assert_ne!(a.value(5), b.value(5));
        assert_ne!(a.value(5), a.value(6));
        let ones: u32 = (0..4096).map(|i| a.value(i).count_ones()).sum();
        let share = f64::from(ones) / (4096.0 * 32.0);
        assert!((0.48..0.52).contains(&share), "{share}");
    }

    #[test]
    fn every_pass_of_every_pattern_writes_before_it_verifies() {
        for pattern in Pattern::STANDARD.into_iter().chain([Pattern::BitFade]) {
            for pass in 0..3 {
                let steps = pattern.steps(pass, 9, 60);
                assert!(matches!(steps[0], Step::Fill(_) | Step::FillModulo20 { .. }), "{pattern:?}");
                assert!(matches!(steps.last(), Some(Step::Verify(_))), "{pattern:?}");
            }
        }
    }
}
