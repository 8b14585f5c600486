//! Loads and validates `rules/diagnostics.json`: one entry per finding the evaluator knows, with
//! severity, threshold and texts; per-SKU limits by model id.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Evidence, Finding, Severity, Text};
use crate::error::CoreResult;
use crate::models::ModelCatalog;
use crate::rules_file::{self, RulesFile};

const SCHEMA_VERSION: u64 = 1;

/// Every finding the evaluator can raise, and whether its rule needs a threshold.
pub(super) const KNOWN: [(&str, bool); 52] = [
    ("gpu_lost", false),
    ("remap_pending", false),
    ("remap_failure", false),
    ("remap_banks_exhausted", true),
    ("remap_banks_low", true),
    ("ecc_volatile_uncorrected", true),
    ("ecc_aggregate_uncorrected", true),
    ("sram_uncorrected", true),
    ("retired_pages_limit", true),
    ("retired_pages_double_bit", true),
    ("retired_pages_pending", false),
    ("pcie_downtrained", false),
    ("pcie_below_sku_minimum", false),
    ("pcie_replays_high", true),
    ("thermal_slowdown", false),
    ("temperature_at_slowdown", false),
    ("memory_temperature_high", true),
    ("power_brake", false),
    ("hw_slowdown", false),
    ("power_limit_reduced", false),
    ("insufficient_power", false),
    ("inforom_corrupt", false),
    ("recovery_action_required", false),
    ("fan_check_needed", false),
    ("model_mismatch", false),
    ("uuid_changed", false),
    ("serial_changed", false),
    ("identity_mismatch", false),
    ("lifetime_counter_decreased", false),
    ("stress_memory_errors", false),
    ("stress_compute_errors", false),
    ("stress_ecc_uncorrected", false),
    ("stress_ecc_corrected", true),
    ("stress_rows_remapped", false),
    ("stress_pages_retired", false),
    ("stress_pcie_replays", true),
    ("stress_thermal_slowdown", true),
    ("stress_hw_slowdown", true),
    ("stress_power_brake", true),
    ("stress_memory_temperature_high", true),
    ("stress_load_low", true),
    ("stress_clocks_low", true),
    ("stress_gpu_lost", false),
    ("stress_device_failed", false),
    ("stress_worker_died", false),
    ("stress_worker_hung", false),
    ("stress_coverage_low", true),
    ("stress_persistence_off", false),
    ("dcgm_test_failed", false),
    ("dcgm_test_skipped", false),
    ("dcgm_test_warning", false),
    ("gpu_burn_faulty", false),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    pub severity: Severity,
    #[serde(default)]
    pub threshold: Option<f64>,
    pub title: Text,
    pub next_step: Text,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuLimits {
    pub pcie_min_generation: Option<u32>,
    pub pcie_min_width: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDetection {
    pub sm_clock_ratio: f64,
    pub power_ratio: f64,
    /// Why these ratios: documentation for the shop, not read by the evaluator.
    #[serde(rename = "note")]
    _note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosticsFile {
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    /// Where the thresholds come from: documentation for the shop.
    #[serde(rename = "sources")]
    _sources: String,
    load_detection: LoadDetection,
    rules: Vec<Rule>,
    skus: BTreeMap<String, SkuLimits>,
}

#[derive(Debug)]
pub struct DiagnosticRules {
    pub load_detection: LoadDetection,
    rules: HashMap<String, Rule>,
    skus: BTreeMap<String, SkuLimits>,
}

impl DiagnosticRules {
    pub const FILE: RulesFile =
        RulesFile { name: "diagnostics.json", shipped: include_str!("../../../../rules/diagnostics.json") };

    /// Parses and checks the rules; the limits may name only models of `models`.
    pub fn from_json(text: &str, models: &ModelCatalog) -> CoreResult<DiagnosticRules> {
        let invalid = |reason: String| Self::FILE.invalid(reason);
        let file: DiagnosticsFile = rules_file::parse(Self::FILE, text, SCHEMA_VERSION)?;
        let mut rules = HashMap::new();
        for rule in file.rules {
            let Some((_, needs_threshold)) = KNOWN.iter().find(|(code, _)| *code == rule.code) else {
                return Err(invalid(format!("unknown rule {}", rule.code)));
            };
            if *needs_threshold != rule.threshold.is_some() {
                return Err(invalid(format!(
                    "rule {} must {}have a threshold",
                    rule.code,
                    if *needs_threshold { "" } else { "not " }
                )));
            }
            if [&rule.title, &rule.next_step].iter().any(|t| t.en.trim().is_empty() || t.zh_cn.trim().is_empty()) {
                return Err(invalid(format!("rule {} needs its title and next step in both languages", rule.code)));
            }
            let code = rule.code.clone();
            if rules.insert(code.clone(), rule).is_some() {
                return Err(invalid(format!("rule {code} appears twice")));
            }
        }
        if let Some((missing, _)) = KNOWN.iter().find(|(code, _)| !rules.contains_key(*code)) {
            return Err(invalid(format!("rule {missing} is missing")));
        }
        if let Some(unknown) = file.skus.keys().find(|id| models.get(id).is_err()) {
            return Err(invalid(format!("limits for unknown model {unknown}")));
        }
        Ok(DiagnosticRules { load_detection: file.load_detection, rules, skus: file.skus })
    }

    /// Whether a finding code exists: one of the rules, or an Xid (`xid_79`).
    pub fn knows(&self, code: &str) -> bool {
        self.rules.contains_key(code) || code.strip_prefix("xid_").is_some_and(|n| n.parse::<u32>().is_ok())
    }

    /// The finding rule `code` raises, with its severity and texts; `None` for a code no rule has.
    pub fn finding(&self, code: &str, gpu_index: Option<u32>, evidence: Evidence) -> Option<Finding> {
        let rule = self.rules.get(code)?;
        Some(Finding {
            code: code.to_owned(),
            severity: rule.severity,
            gpu_index,
            evidence,
            title: rule.title.clone(),
            next_step: rule.next_step.clone(),
        })
    }

    /// The rule for a known code; validation guarantees every known code has one.
    pub(crate) fn rule(&self, code: &str) -> &Rule {
        &self.rules[code]
    }

    pub(super) fn sku(&self, model_id: &str) -> Option<&SkuLimits> {
        self.skus.get(model_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_are_complete() {
        let rules = &crate::workshop::Catalogs::built_in().unwrap().rules;
        assert_eq!(rules.rule("pcie_replays_high").threshold, Some(80.0));
        assert_eq!(rules.sku("h100-sxm5-80gb").unwrap().pcie_min_width, Some(16));
    }

    #[test]
    fn broken_rules_files_are_refused() {
        let shipped: serde_json::Value = serde_json::from_str(DiagnosticRules::FILE.shipped).unwrap();
        let mutate = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut doc = shipped.clone();
            change(&mut doc);
            let models = &crate::workshop::Catalogs::built_in().unwrap().models;
            DiagnosticRules::from_json(&doc.to_string(), models).unwrap_err().to_string()
        };
        assert!(mutate(&|d| d["rules"].as_array_mut().unwrap().truncate(3)).contains("missing"));
        assert!(mutate(&|d| d["rules"][0]["code"] = "made_up".into()).contains("unknown rule"));
        assert!(mutate(&|d| d["rules"][3].as_object_mut().unwrap().remove("threshold").map(drop).unwrap_or(()))
            .contains("threshold"));
        assert!(mutate(&|d| d["rules"][0]["title"]["zh-CN"] = " ".into()).contains("both languages"));
        assert!(mutate(&|d| d["skus"]["h999"] = serde_json::json!({})).contains("unknown model"));
    }
}
