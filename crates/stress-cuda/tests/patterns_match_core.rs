//! The GPU computes the very values the host backend checks: kernels/patterns.h, the value function
//! the kernels use, built here as C with the host's compiler, gives `Fill::value` for every fill the
//! patterns make (and edge parameters), inverted or not, at indexes across an 80 GiB card, past
//! 2^32 words and up to 2^64 − 1. Needs no GPU.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use revive_core::stress::patterns::{splitmix64, Fill, FillKind, Pattern, Step};

const PROGRAM: &str = r#"
#include <stdio.h>
#include "patterns.h"

int main(void) {
    unsigned kind, inverted;
    unsigned long long a, b, index;
    while (scanf("%u %llu %llu %u %llu", &kind, &a, &b, &inverted, &index) == 5) {
        printf("%u\n", (unsigned)revive_pattern_value(kind, a, b, inverted, index));
    }
    return 0;
}
"#;

/// Builds the C program; undefined behaviour (an over-wide shift, say) aborts it rather than
/// passing by luck of this compiler.
fn build(dir: &Path) -> PathBuf {
    let kernels = Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let source = dir.join("patterns_values.c");
    let binary = dir.join("patterns_values");
    fs::write(&source, PROGRAM).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined", "-fno-sanitize-recover=all"])
        .arg("-I")
        .arg(&kernels)
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("running the C compiler {cc}: {e}"));
    assert!(status.success(), "kernels/patterns.h does not compile as C99 with {cc}");
    binary
}

/// Every fill the patterns make over many passes, their complements, and edge parameters.
fn fills() -> Vec<Fill> {
    let mut fills = Vec::new();
    let mut add = |fill: Fill| {
        for fill in [fill, fill.inverse()] {
            if !fills.contains(&fill) {
                fills.push(fill);
            }
        }
    };
    for pass in 0..64 {
        for pattern in Pattern::STANDARD.into_iter().chain([Pattern::BitFade]) {
            for step in pattern.steps(pass, 0x5EED_0000 + u64::from(pass), 1) {
                match step {
                    Step::Fill(fill) | Step::Verify(fill) | Step::FillModulo20 { fill, .. } => add(fill),
                    Step::VerifyThenFill { expect, then } => {
                        add(expect);
                        add(then);
                    }
                    Step::Wait { .. } => {}
                }
            }
        }
    }
    for kind in [
        FillKind::WalkingOnes { shift: 32 },
        FillKind::WalkingOnes { shift: u32::MAX },
        FillKind::Constant { value: 0 },
        FillKind::Constant { value: 0xDEAD_BEEF },
        FillKind::Rotating { base: 0x8000_0001, shift: 31 },
        FillKind::Rotating { base: 0xF0F0_1234, shift: u32::MAX },
        FillKind::Random { seed: 0 },
        FillKind::Random { seed: u64::MAX },
        FillKind::Modulo20 { offset: 0, value: 0 },
        FillKind::Modulo20 { offset: 19, value: 0x1234_5678 },
    ] {
        add(Fill::new(kind));
    }
    fills
}

fn indexes() -> Vec<u64> {
    let last_of_80_gib = (80u64 << 30) / 4 - 1;
    let mut indexes: Vec<u64> = (0..=64).collect();
    indexes.extend((1u64 << 32) - 21..=(1u64 << 32) + 21);
    indexes.extend([(1 << 33) - 1, (1 << 34) + 3, (1 << 35) + 17, last_of_80_gib - 1, last_of_80_gib]);
    indexes.extend((0..=20).map(|k| u64::MAX - k));
    // Spread over a card's range, and over all 64 bits.
    indexes.extend((0..200).map(|i| splitmix64(i) % (last_of_80_gib + 1)));
    indexes.extend((0..100).map(|i| splitmix64(i ^ 0xFFFF)));
    indexes
}

#[test]
fn the_kernels_value_function_is_the_cores_for_every_fill_and_index() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("patterns-match-core");
    fs::create_dir_all(&dir).unwrap();
    let binary = build(&dir);

    let (fills, indexes) = (fills(), indexes());
    let mut kinds: Vec<u32> = fills.iter().map(|f| f.kind.encode().0).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, [0, 1, 2, 3, 4, 5], "every FillKind must be among the cases");
    for fill in &fills {
        // A new kind stops this compiling until it has cases above and a branch in patterns.h.
        match fill.kind {
            FillKind::OwnAddress
            | FillKind::WalkingOnes { .. }
            | FillKind::Constant { .. }
            | FillKind::Rotating { .. }
            | FillKind::Random { .. }
            | FillKind::Modulo20 { .. } => {}
        }
    }

    let mut cases = Vec::new();
    let mut input = String::new();
    for fill in &fills {
        let (kind, a, b) = fill.kind.encode();
        for &index in &indexes {
            input.push_str(&format!("{kind} {a} {b} {} {index}\n", u32::from(fill.inverted)));
            cases.push((*fill, index));
        }
    }
    let input_path = dir.join("cases.txt");
    fs::write(&input_path, input).unwrap();
    let output = Command::new(&binary).stdin(fs::File::open(&input_path).unwrap()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let values: Vec<u32> = String::from_utf8(output.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(values.len(), cases.len(), "the C program answered {} of {} cases", values.len(), cases.len());

    let wrong: Vec<String> = cases
        .iter()
        .zip(&values)
        .filter(|((fill, index), &c)| fill.value(*index) != c)
        .take(10)
        .map(|((fill, index), c)| {
            format!("{fill:?} at {index}: core {:#010x}, patterns.h {c:#010x}", fill.value(*index))
        })
        .collect();
    assert!(wrong.is_empty(), "patterns.h disagrees with the core:\n{}", wrong.join("\n"));
    assert!(cases.len() > 50_000, "only {} cases", cases.len());
}
