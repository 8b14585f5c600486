//! `revive diagnose`: every GPU read and judged with NVIDIA's thresholds.

use std::path::PathBuf;

use revive_core::bench::{DriverSource, GpuProvider, NvmlProvider};
use revive_core::diagnostics::judge_bench;
use serde_json::json;

use super::shop_catalogs;
use crate::cli::Language;
use crate::exit::Exit;
use crate::output::{emit, fail, print_bench};

pub fn run(as_json: bool, nvml_lib: Option<PathBuf>, scenario: Option<PathBuf>, lang: Language) -> Exit {
    let source = match (nvml_lib, scenario) {
        (Some(library), Some(scenario)) => DriverSource::Simulated { library, scenario },
        (Some(library), None) => DriverSource::Library(library),
        (None, _) => DriverSource::System,
    };
    let snapshot = match NvmlProvider::open(&source).and_then(|bench| bench.snapshot()) {
        Ok(snapshot) => snapshot,
        Err(unavailable) => return fail(Exit::BenchUnavailable, unavailable),
    };
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let findings = judge_bench(&catalogs.rules, &catalogs.models, &snapshot);
    let mut out = String::new();
    if as_json {
        say!(out, "{:#}", json!({ "bench": snapshot, "findings": findings }));
    } else {
        print_bench(&mut out, &snapshot, &findings, lang);
    }
    emit(&out);
    Exit::of_findings(&findings)
}
