//! Procedure files: every shipped one validates; a broken one is refused with its line.

use std::path::Path;

use revive_core::procedures::{load_dir, parse, GateCondition, Next, Outcome, StepKind};
use revive_core::workshop::Catalogs;

fn built() -> &'static Catalogs {
    Catalogs::built_in().unwrap()
}

fn shipped_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../procedures")
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(shipped_dir().join(format!("{name}.toml"))).unwrap()
}

#[test]
fn every_shipped_procedure_validates() {
    let (loaded, failed) = load_dir(&shipped_dir(), &built().models, &built().rules);
    assert_eq!(failed, []);
    let ids: Vec<&str> = loaded.iter().map(|p| p.id.as_str()).collect();
    for id in [
        "intake-inspection",
        "hbm-triage",
        "thermal-interface-renewal",
        "fan-replacement",
        "vrm-inspection",
        "pcie-link-fault",
        "firmware-check",
        "final-qa-burn-in",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn the_hbm_triage_has_its_gates_branches_and_outcomes() {
    let procedure = parse("hbm-triage.toml", &shipped("hbm-triage"), &built().models, &built().rules).unwrap();
    assert_eq!((procedure.version, procedure.outcome), (1, Outcome::Repaired));
    assert!(procedure.suggested_by.contains(&"remap_pending".to_owned()));
    let reread = procedure.steps.iter().find(|s| s.id == "reread").unwrap();
    assert_eq!(
        reread.kind,
        StepKind::Gate { requires: GateCondition::FindingAbsent { finding: "remap_pending".into() } }
    );
    let test = procedure.steps.iter().find(|s| s.id == "memory-test").unwrap();
    match &test.kind {
        StepKind::Measurement { unit, max, on_fail, .. } => {
            assert_eq!((unit.as_str(), *max, on_fail.clone()), ("count", Some(0.0), Some(Next::Goto("decide".into()))));
        }
        other => panic!("{other:?}"),
    }
    assert!(procedure.title.zh_cn.contains("HBM"));
}

/// Breaks the healthy file by replacing `from` with `to`; returns the error's line and message.
fn broken(from: &str, to: &str) -> (usize, String) {
    let text = shipped("hbm-triage");
    assert!(text.contains(from), "{from}");
    let error = parse("hbm-triage.toml", &text.replacen(from, to, 1), &built().models, &built().rules).unwrap_err();
    assert_eq!(error.file, "hbm-triage.toml");
    (error.line, error.message)
}

fn line_of(needle: &str) -> usize {
    shipped("hbm-triage").lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn each_mistake_is_named_at_its_line() {
    let (line, message) = broken("kind = \"instruction\"", "kind = \"instructoin\"");
    assert_eq!(line, line_of("kind = \"instruction\""));
    assert!(message.contains("unknown step kind `instructoin`"), "{message}");

    let (line, message) = broken("on_fail = { goto = \"decide\" }", "on_fail = { goto = \"decied\" }");
    assert_eq!(line, line_of("on_fail = { goto = \"decide\" }"));
    assert!(message.contains("unknown step `decied`"), "{message}");

    let (line, message) = broken("version = 1\n", "version = 1\nburn_in_step = \"burn\"\n");
    assert_eq!(line, line_of("version = 1") + 1);
    assert!(message.contains("burn_in_step names unknown step `burn`"), "{message}");

    let (_, message) = broken("id = \"reset\"", "id = \"evidence\"");
    assert!(message.contains("step `evidence` appears twice"), "{message}");

    let (line, message) = broken("finding = \"remap_pending\"", "finding = \"remap_pendng\"");
    assert_eq!(line, line_of("finding = \"remap_pending\""));
    assert!(message.contains("unknown finding `remap_pendng`"), "{message}");

    let (_, message) = broken("unit = \"count\"", "unit = \"furlongs\"");
    assert!(message.contains("unknown unit `furlongs`"), "{message}");

    let (_, message) = broken("max = 0\n", "max = 0\nmin = 5\n");
    assert!(message.contains("min is above max"), "{message}");

    let (_, message) =
        broken("title = { en = \"Reset the GPU\", zh-CN = \"复位 GPU\" }", "title = { en = \"Reset the GPU\" }");
    assert!(message.contains("needs both `en` and `zh-CN`"), "{message}");

    let (line, message) = broken("kind = \"instruction\"", "kind = \"instruction\"\nunit = \"ohm\"");
    assert_eq!(line, line_of("kind = \"instruction\"") + 1);
    assert!(message.contains("`unit` does not belong to a step of kind instruction"), "{message}");

    let (_, message) = broken("next = { end = \"scrap\" }", "next = { end = \"bin\" }");
    assert!(message.contains("unknown outcome `bin`"), "{message}");

    let (_, message) = broken("\"h20-96gb\"", "\"h21-96gb\"");
    assert!(message.contains("unknown model `h21-96gb`"), "{message}");

    let (line, message) = broken("version = 1", "version = [1");
    assert!(line >= line_of("version = 1"), "{line}");
    assert!(!message.is_empty());

    let (_, message) = broken("schema_version = 1", "schema_version = 2");
    assert!(message.contains("schema_version must be 1"), "{message}");

    let (_, message) = broken("outcome = \"repaired\"", "outcome = \"repaired\"\ncolour = \"blue\"");
    assert!(message.contains("colour"), "{message}");
}

#[test]
fn a_folder_reports_each_bad_file_and_loads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.toml"), shipped("vrm-inspection")).unwrap();
    std::fs::write(dir.path().join("bad.toml"), "schema_version = 1\nid = \"Bad Id\"\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let (loaded, failed) = load_dir(dir.path(), &built().models, &built().rules);
    assert_eq!(loaded.len(), 1);
    assert_eq!(failed.len(), 1);
    assert!(failed[0].file.ends_with("bad.toml"));
    let (none, unreadable) = load_dir(&dir.path().join("missing"), &built().models, &built().rules);
    assert!(none.is_empty() && unreadable[0].message.starts_with("cannot read"));
}
