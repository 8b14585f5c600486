//! `revive xid-import`: the Xids in a saved kernel log and what each means.

use std::path::PathBuf;

use revive_core::diagnostics::{parse_kernel_log, xid_findings};
use serde_json::json;

use super::shop_catalogs;
use crate::cli::Language;
use crate::exit::Exit;
use crate::output::{emit, fail, print_findings};

pub fn run(file: &PathBuf, as_json: bool, lang: Language) -> Exit {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => return fail(Exit::Unreadable, format!("cannot read {}: {error}", file.display())),
    };
    let text = String::from_utf8_lossy(&bytes);
    let events = parse_kernel_log(&text);
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let findings = xid_findings(&catalogs.xids, &events, None);
    let mut out = String::new();
    if as_json {
        say!(out, "{:#}", json!({ "events": events, "findings": findings }));
    } else {
        let (count, file) = (events.len(), file.display());
        say!(out, "{}", in_language!(lang, "{count} Xid event(s) in {file}", "{file} 中有 {count} 个 Xid 事件"));
        print_findings(&mut out, &findings, lang);
    }
    emit(&out);
    Exit::of_findings(&findings)
}
