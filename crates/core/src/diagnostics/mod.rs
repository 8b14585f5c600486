//! Judging what the bench read: findings from NVIDIA's thresholds (`rules/diagnostics.json`) and
//! Xid events from the kernel log (`rules/xid-catalog.json`), each with evidence and a next step in
//! English and Chinese.

mod findings;
mod rules;
pub mod runs;
mod xid;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use findings::{evaluate, judge_bench, RecordedGpu};
pub use rules::DiagnosticRules;
pub use xid::{live_xid_findings, parse_kernel_log, xid_findings, XidCatalog, XidEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// A text in both of Revive's languages, as the rules files carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub gpu_index: Option<u32>,
    /// The readings that triggered it, by name.
    #[serde(default)]
    pub evidence: BTreeMap<String, serde_json::Value>,
    pub title: Text,
    pub next_step: Text,
}
