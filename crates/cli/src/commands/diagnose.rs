//! `revive diagnose`: every GPU read and judged with NVIDIA's thresholds.

use revive_core::bench::{GpuProvider, NvmlProvider};
use revive_core::diagnostics::judge_bench;
use serde_json::json;

use super::shop_catalogs;
use crate::cli::{Driver, Language};
use crate::exit::Exit;
use crate::output::{emit, fail, print_bench};

pub fn run(as_json: bool, driver: &Driver, lang: Language) -> Exit {
    let snapshot = match NvmlProvider::open(&driver.source()).and_then(|bench| bench.snapshot()) {
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
