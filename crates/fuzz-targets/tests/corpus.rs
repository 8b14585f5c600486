//! Replays every committed fuzz corpus (`crates/fuzz/corpus/<target>/`) through its target's checks,
//! so `cargo test` keeps what fuzzing found fixed without nightly or cargo-fuzz. Every cargo-fuzz
//! binary must have a replay here and a corpus with files in it, so a renamed folder or a new target
//! cannot silently replay nothing; and a corpus must stay small enough to commit.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// A target's checks, run on one input.
type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 9] = [
    ("procedure_toml", revive_fuzz_targets::procedure_toml),
    ("scenario_json", revive_fuzz_targets::scenario_json),
    ("kernel_log", revive_fuzz_targets::kernel_log),
    ("certificate_pdf", revive_fuzz_targets::certificate_pdf),
    ("certificate_json", revive_fuzz_targets::certificate_json),
    ("qr_payload", revive_fuzz_targets::qr_payload),
    ("money", revive_fuzz_targets::money),
    ("history_dates", revive_fuzz_targets::history_dates),
    ("backup_check", revive_fuzz_targets::backup_check),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The names in `dir`: its files' stems (`strip_extension`) or its folders.
fn names(dir: &Path, strip_extension: bool) -> BTreeSet<String> {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .map(|path| {
            let name = if strip_extension { path.file_stem() } else { path.file_name() };
            name.expect("a named entry").to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn every_fuzz_target_has_a_replay_and_a_corpus() {
    let replayed: BTreeSet<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(names(&fuzz_dir().join("fuzz_targets"), true), replayed, "fuzz_targets/ and the replays differ");
    assert_eq!(names(&fuzz_dir().join("corpus"), false), replayed, "corpus/ and the replays differ");
}

/// What one target's committed corpus may hold: `cargo fuzz cmin` keeps it this small (README.md).
const MAX_CORPUS_FILES: usize = 1_000;
const MAX_CORPUS_BYTES: u64 = 2 * 1024 * 1024;

#[test]
fn corpora_stay_small_enough_to_commit() {
    for (name, _) in TARGETS {
        let folder = fuzz_dir().join("corpus").join(name);
        let inputs = names(&folder, false);
        let bytes: u64 =
            inputs.iter().map(|input| fs::metadata(folder.join(input)).expect("a corpus file").len()).sum();
        assert!(inputs.len() < MAX_CORPUS_FILES, "{name}: {} files; minimise it", inputs.len());
        assert!(bytes <= MAX_CORPUS_BYTES, "{name}: {bytes} bytes; minimise it");
    }
}

#[test]
fn corpora_replay_without_failing_a_check() {
    let mut failed = Vec::new();
    for (name, check) in TARGETS {
        let folder = fuzz_dir().join("corpus").join(name);
        let inputs = names(&folder, false);
        assert!(!inputs.is_empty(), "{} is empty", folder.display());
        for input in inputs {
            let path = folder.join(&input);
            let bytes = fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            if std::panic::catch_unwind(|| check(&bytes)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "these inputs fail their target's checks (panics above):\n{}", failed.join("\n"));
}
