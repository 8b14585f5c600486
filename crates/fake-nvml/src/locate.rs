//! Where tests find the built fake driver and the shipped scenarios (cargo builds this cdylib next to
//! every test binary of a crate that dev-depends on fake-nvml).

use std::path::{Path, PathBuf};

/// The fake driver library built beside the running test binary.
pub fn built_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let deps = exe.parent().unwrap_or(Path::new("."));
    let name = format!("{}nvidia_ml_fake{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let beside = deps.join(&name);
    match deps.parent().map(|target| target.join(&name)) {
        Some(uplifted) if !beside.exists() => uplifted,
        _ => beside,
    }
}

/// A scenario shipped in the repository's `scenarios/` folder, by name without `.json`.
pub fn shipped_scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(format!("{name}.json"))
}

/// Every shipped scenario file, sorted by name.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    files.sort();
    files
}
