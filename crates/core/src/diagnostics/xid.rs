//! Xid events: NVIDIA's catalog of what each means and what to do (`rules/xid-catalog.json`), and
//! the importer that finds them in kernel-log text (`dmesg`, `journalctl -k`).

use std::collections::{BTreeMap, HashMap};

use super::{evidence, Evidence, EvidenceValue, Finding, Severity, Text};
use crate::bench::{BenchSnapshot, GpuReading};
use crate::error::CoreResult;
use crate::rules_file::{self, RulesFile};
use serde::{Deserialize, Serialize};

const SCHEMA_VERSION: u64 = 1;
const MARKER: &str = "NVRM: Xid (PCI:";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XidEntry {
    pub xid: u32,
    /// application, memory, power, bus, nvlink or gsp.
    pub class: String,
    pub severity: Severity,
    /// DCGM treats it as fatal.
    pub dcgm_fatal: bool,
    pub name: Text,
    pub action: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    #[serde(rename = "sources")]
    _sources: String,
    xids: Vec<XidEntry>,
}

#[derive(Debug)]
pub struct XidCatalog {
    entries: HashMap<u32, XidEntry>,
}

impl XidCatalog {
    pub const FILE: RulesFile =
        RulesFile { name: "xid-catalog.json", shipped: include_str!("../../../../rules/xid-catalog.json") };

    pub fn from_json(text: &str) -> CoreResult<XidCatalog> {
        let invalid = |reason: String| Self::FILE.invalid(reason);
        let file: CatalogFile = rules_file::parse(Self::FILE, text, SCHEMA_VERSION)?;
        let mut entries = HashMap::new();
        for entry in file.xids {
            const CLASSES: [&str; 6] = ["application", "memory", "power", "bus", "nvlink", "gsp"];
            if !CLASSES.contains(&entry.class.as_str()) {
                return Err(invalid(format!("Xid {} has unknown class {}", entry.xid, entry.class)));
            }
            let xid = entry.xid;
            if entries.insert(xid, entry).is_some() {
                return Err(invalid(format!("Xid {xid} appears twice")));
            }
        }
        Ok(XidCatalog { entries })
    }

    pub fn get(&self, xid: u32) -> Option<&XidEntry> {
        self.entries.get(&xid)
    }

    /// A finding for Xid `xid` with the catalog's severity, name and action; an Xid the catalog
    /// does not know is a warning that points to NVIDIA's catalog.
    pub fn finding(&self, xid: u32, gpu_index: Option<u32>, mut evidence: Evidence) -> Finding {
        let entry = self.get(xid);
        evidence.insert("xid".to_owned(), xid.into());
        evidence.insert("dcgm_fatal".to_owned(), entry.is_some_and(|e| e.dcgm_fatal).into());
        let text = |en: &str, zh: &str| Text { en: en.to_owned(), zh_cn: zh.to_owned() };
        Finding {
            code: format!("xid_{xid}"),
            severity: entry.map_or(Severity::Warning, |e| e.severity),
            gpu_index,
            evidence,
            title: entry.map_or_else(|| text(&format!("Xid {xid}"), &format!("Xid {xid}")), |e| e.name.clone()),
            next_step: entry.map_or_else(
                || {
                    text(
                        "Not in Revive's catalog: look it up in NVIDIA's Xid catalog.",
                        "不在 Revive 目录中：请查阅 NVIDIA Xid 目录。",
                    )
                },
                |e| e.action.clone(),
            ),
        }
    }
}

/// One Xid line found in a kernel log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XidEvent {
    /// 1-based line in the imported text.
    pub line: usize,
    /// `0000:18:00`, as the driver prints it.
    pub pci: String,
    pub xid: u32,
    /// What the driver said after the Xid number.
    pub message: String,
}

/// Finds every `NVRM: Xid (PCI:…): N, …` line; other lines, and malformed Xid lines, are skipped.
pub fn parse_kernel_log(text: &str) -> Vec<XidEvent> {
    text.lines()
        .enumerate()
        .filter_map(|(number, line)| {
            let rest = &line[line.find(MARKER)? + MARKER.len()..];
            let (pci, rest) = rest.split_once("):")?;
            let rest = rest.trim_start();
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let xid = digits.parse().ok()?;
            let message = rest[digits.len()..].trim_start_matches(',').trim().to_owned();
            Some(XidEvent { line: number + 1, pci: pci.trim().to_lowercase(), xid, message })
        })
        .collect()
}

/// The PCI address part a kernel log and an NVML bus id share: `18:00` of `00000000:18:00.0`.
fn same_pci(kernel: &str, nvml_bus_id: &str) -> bool {
    let tail = |text: &str| {
        let text = text.to_lowercase();
        let text = text.split('.').next().unwrap_or_default().to_owned();
        let parts: Vec<&str> = text.rsplitn(3, ':').collect();
        (parts.first().map(|s| s.to_string()), parts.get(1).map(|s| s.to_string()))
    };
    tail(kernel) == tail(nvml_bus_id)
}

/// Where a finding says an Xid appeared: the first lines only, so a log of 100,000 repeats of one
/// Xid answers with a finding of readable size (its count stays exact).
pub const LINES_KEPT_PER_FINDING: usize = 20;

/// One finding per distinct Xid per PCI address, with how often and where it appeared; attached to
/// the bench GPU at that address when a snapshot is given.
pub fn xid_findings(catalog: &XidCatalog, events: &[XidEvent], bench: Option<&BenchSnapshot>) -> Vec<Finding> {
    let gpu_at = |pci: &str| {
        bench?.gpus.iter().find_map(|gpu| match gpu {
            GpuReading::Present { index, identity, .. } => {
                identity.bus_id.as_deref().filter(|bus| same_pci(pci, bus)).map(|_| *index)
            }
            GpuReading::Lost { .. } => None,
        })
    };
    let mut grouped: BTreeMap<(String, u32), Vec<&XidEvent>> = BTreeMap::new();
    for event in events {
        grouped.entry((event.pci.clone(), event.xid)).or_default().push(event);
    }
    let mut findings: Vec<Finding> = grouped
        .into_iter()
        .map(|((pci, xid), seen)| {
            let lines = seen.iter().take(LINES_KEPT_PER_FINDING).map(|e| e.line as u64).collect();
            let evidence = evidence([
                ("pci", pci.as_str().into()),
                ("count", seen.len().into()),
                ("lines", EvidenceValue::Counts(lines)),
                ("message", seen[0].message.as_str().into()),
            ]);
            catalog.finding(xid, gpu_at(&pci), evidence)
        })
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Findings for Xids the driver reported while the bench was connected: one per GPU and Xid.
pub fn live_xid_findings(catalog: &XidCatalog, xids: &[(u32, u32)]) -> Vec<Finding> {
    let mut counted: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for key in xids {
        *counted.entry(*key).or_default() += 1;
    }
    let mut findings: Vec<Finding> = counted
        .into_iter()
        .map(|((gpu, xid), count)| {
            let evidence = evidence([("count", count.into()), ("source", "nvml_event".into())]);
            catalog.finding(xid, Some(gpu), evidence)
        })
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[  812.221344] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.90.07
[ 1093.120002] NVRM: Xid (PCI:0000:18:00): 63, pid='<unknown>', name=<unknown>, Row Remapper: New row marked for remapping, reset gpu to activate.
Nov 02 10:11:12 rack-07 kernel: NVRM: Xid (PCI:0000:AB:00): 79, pid=2211, name=python3, GPU has fallen off the bus.
[ 1093.120009] NVRM: Xid (PCI:0000:18:00): 63, pid='<unknown>', name=<unknown>, Row Remapper: New row marked for remapping, reset gpu to activate.
[ 1100.000000] NVRM: Xid (PCI:0000:18:00): notanumber, garbage
[ 1101.000000] NVRM: Xid (PCI:0000:3a:00): 999, pid=1, name=x, something new
";

    #[test]
    fn finds_xids_in_dmesg_and_journalctl_text() {
        let events = parse_kernel_log(LOG);
        let seen: Vec<(usize, &str, u32)> = events.iter().map(|e| (e.line, e.pci.as_str(), e.xid)).collect();
        assert_eq!(seen, [(2, "0000:18:00", 63), (3, "0000:ab:00", 79), (4, "0000:18:00", 63), (6, "0000:3a:00", 999)]);
        assert!(events[1].message.starts_with("pid=2211"));
    }

    #[test]
    fn groups_xids_into_findings_with_catalog_actions() {
        let catalog = &crate::workshop::Catalogs::built_in().unwrap().xids;
        let findings = xid_findings(catalog, &parse_kernel_log(LOG), None);
        let summary: Vec<(&str, Severity, EvidenceValue)> =
            findings.iter().map(|f| (f.code.as_str(), f.severity, f.evidence["count"].clone())).collect();
        assert_eq!(
            summary,
            [
                ("xid_79", Severity::Critical, EvidenceValue::Count(1)),
                ("xid_63", Severity::Warning, EvidenceValue::Count(2)),
                ("xid_999", Severity::Warning, EvidenceValue::Count(1))
            ]
        );
        assert_eq!(findings[0].evidence["dcgm_fatal"], EvidenceValue::Flag(true));
        assert!(findings[2].next_step.en.contains("NVIDIA's Xid catalog"));
    }

    #[test]
    fn a_flood_of_one_xid_keeps_its_count_and_only_the_first_lines() {
        let catalog = &crate::workshop::Catalogs::built_in().unwrap().xids;
        let flood = format!("{}\n", LOG.lines().nth(1).unwrap()).repeat(100_000);
        let findings = xid_findings(catalog, &parse_kernel_log(&flood), None);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].evidence["count"], EvidenceValue::Count(100_000));
        assert_eq!(findings[0].evidence["lines"], EvidenceValue::Counts((1..=LINES_KEPT_PER_FINDING as u64).collect()));
    }

    #[test]
    fn kernel_and_nvml_pci_addresses_match() {
        assert!(same_pci("0000:18:00", "00000000:18:00.0"));
        assert!(same_pci("0000:ab:00", "00000000:AB:00.0"));
        assert!(!same_pci("0000:18:00", "00000000:2A:00.0"));
    }

    #[test]
    fn empty_or_unrelated_text_finds_nothing() {
        assert_eq!(parse_kernel_log(""), []);
        assert_eq!(parse_kernel_log("NVRM: Xid (PCI:"), []);
        assert_eq!(parse_kernel_log("\u{0}\u{1}binary junk"), []);
    }
}
