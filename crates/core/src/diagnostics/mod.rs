//! Judging what the bench read: findings from NVIDIA's thresholds (`rules/diagnostics.json`) and
//! Xid events from the kernel log (`rules/xid-catalog.json`), each with evidence and a next step in
//! English and Chinese.

mod findings;
pub mod identity;
mod rules;
pub mod runs;
mod xid;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use findings::{evaluate, judge_bench, lifetime_regression, RecordedGpu};
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
    /// The readings that triggered it, by name (the UI's `evidence.*` texts).
    #[serde(default)]
    pub evidence: Evidence,
    pub title: Text,
    pub next_step: Text,
}

/// The readings a finding rests on, by name.
pub type Evidence = BTreeMap<String, EvidenceValue>;

/// One reading a finding rests on, as the driver or the log gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum EvidenceValue {
    Flag(bool),
    Count(u64),
    Measure(f64),
    Text(String),
    Counts(Vec<u64>),
    Texts(Vec<String>),
    /// The driver did not report it.
    Missing,
}

/// As a terminal shows it: `79`, `true`, `GPU_IS_LOST`, `[0x2330, 0x2324]`, `unknown`.
impl std::fmt::Display for EvidenceValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvidenceValue::Flag(flag) => write!(f, "{flag}"),
            EvidenceValue::Count(count) => write!(f, "{count}"),
            EvidenceValue::Measure(measure) => write!(f, "{measure}"),
            EvidenceValue::Text(text) => f.write_str(text),
            EvidenceValue::Counts(counts) => {
                write!(f, "[{}]", counts.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))
            }
            EvidenceValue::Texts(texts) => write!(f, "[{}]", texts.join(", ")),
            EvidenceValue::Missing => f.write_str("unknown"),
        }
    }
}

/// Evidence from `(name, value)` pairs.
pub(crate) fn evidence<const N: usize>(items: [(&str, EvidenceValue); N]) -> Evidence {
    items.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

impl From<bool> for EvidenceValue {
    fn from(flag: bool) -> Self {
        EvidenceValue::Flag(flag)
    }
}

impl From<u32> for EvidenceValue {
    fn from(count: u32) -> Self {
        EvidenceValue::Count(u64::from(count))
    }
}

impl From<u64> for EvidenceValue {
    fn from(count: u64) -> Self {
        EvidenceValue::Count(count)
    }
}

impl From<usize> for EvidenceValue {
    fn from(count: usize) -> Self {
        EvidenceValue::Count(count as u64)
    }
}

impl From<f64> for EvidenceValue {
    fn from(measure: f64) -> Self {
        EvidenceValue::Measure(measure)
    }
}

impl From<&str> for EvidenceValue {
    fn from(text: &str) -> Self {
        EvidenceValue::Text(text.to_owned())
    }
}

impl From<&[String]> for EvidenceValue {
    fn from(texts: &[String]) -> Self {
        EvidenceValue::Texts(texts.to_vec())
    }
}

impl From<&[u32]> for EvidenceValue {
    fn from(counts: &[u32]) -> Self {
        EvidenceValue::Counts(counts.iter().map(|&n| u64::from(n)).collect())
    }
}

impl<T: Into<EvidenceValue>> From<Option<T>> for EvidenceValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(EvidenceValue::Missing, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings as earlier builds stored them (evidence written as loose JSON) read into the typed
    /// values and write back byte for byte.
    #[test]
    fn stored_evidence_reads_typed_and_keeps_its_bytes() {
        let stored = [
            r#"{"clock_event_reasons":["hw_thermal_slowdown","sw_power_cap"],"memory_temperature_c":null,"slowdown_c":87,"temperature_c":91}"#,
            r#"{"generation":3,"max_generation":5,"max_width":16,"power_w":612.5,"sm_clock_mhz":1755,"width":8}"#,
            r#"{"count":2,"dcgm_fatal":true,"lines":[3,9],"message":"GPU has fallen off the bus.","pci":"0000:18:00","xid":79}"#,
            r#"{"claimed_model":"h100-sxm5-80gb","expected":["0x2330"],"pci_device_id":"0x2324"}"#,
            r#"{"aggregate_uncorrected":18446744073709551615,"dram":0}"#,
        ];
        for text in stored {
            let evidence: Evidence = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&evidence).unwrap(), text);
        }
        let evidence: Evidence = serde_json::from_str(stored[0]).unwrap();
        assert_eq!(evidence["memory_temperature_c"], EvidenceValue::Missing);
        assert_eq!(evidence["slowdown_c"], EvidenceValue::Count(87));
        assert_eq!(evidence["clock_event_reasons"].to_string(), "[hw_thermal_slowdown, sw_power_cap]");
    }
}
