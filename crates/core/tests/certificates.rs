//! Issuing certificates: only after QA with an approver and a clean release reading; signed,
//! verifiable, immutable; a re-issue supersedes.

mod common;

use common::{hold_bench, record_scenario, take_in_h100, TECH};
use revive_core::bench::Sample;
use revive_core::certificates::{self, CertificateDocument, CertificateLanguage, ShopKey, Verdict};
use revive_core::history::export::{self, Exported};
use revive_core::history::HistoryQuery;
use revive_core::jobs::attachments::attach_photo;
use revive_core::jobs::status::Status;
use revive_core::jobs::{Jobs, StatusChange};
use revive_core::procedures::runs::{self, Answer};
use revive_core::procedures::{parse, Outcome, Procedure};
use revive_core::settings::{Settings, SettingsForm};
use revive_core::store::Store;
use revive_core::{CoreError, Field, NotReady, Problem};

fn diagnose(store: &Store, job: i64, scenario: &str) {
    record_scenario(store, job, scenario, &[]);
}

/// What burn-in looked like on the bench: hot and drawing near the power limit.
fn burn_in_telemetry() -> Vec<Sample> {
    (0..120u32)
        .map(|second| Sample {
            at_ms: 1_764_300_000_000 + u64::from(second) * 1000,
            gpu: 0,
            temperature_c: Some(60 + second % 24),
            memory_temperature_c: Some(70 + second % 18),
            power_w: Some(600.0 + f64::from(second % 91)),
            sm_clock_mhz: Some(1980),
            pcie_generation: Some(5),
            pcie_width: Some(16),
            clock_event_reasons: 0,
            lost: false,
        })
        .collect()
}

fn final_qa_procedure() -> Procedure {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../procedures/final-qa-burn-in.toml");
    parse("final-qa-burn-in", &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn final_qa(store: &Store, dir: &std::path::Path, job: i64) {
    let run = runs::start(store, job, &final_qa_procedure(), TECH).unwrap();
    let answer = |step: &str, answer: Answer, who: &str| runs::answer(store, run.id, step, &answer, "", who).unwrap();
    answer("burn-in", Answer::Measure { value: 0.0 }, TECH);
    answer("bandwidth", Answer::Measure { value: 1_880_000.0 }, TECH);
    record_scenario(store, job, "h100-healthy", &burn_in_telemetry());
    answer("release-reading", Answer::Confirm, TECH);
    let photos = [1u8, 2].map(|n| attach_photo(store, dir, job, &[0xFF, 0xD8, 0xFF, n], TECH).unwrap());
    answer("photos-out", Answer::Photos { hashes: photos.to_vec() }, TECH);
    answer("technician-qc", Answer::Confirm, TECH);
    answer("approver-qc", Answer::Confirm, "Zhang Min");
}

/// A store in `dir` with an H100 taken in with a pending remap, then repaired: final QA passed
/// with Zhang Min's approval. Li Wei is at the bench.
fn repaired_job(dir: &std::path::Path) -> (Store, i64) {
    let store = Store::open_in_dir(dir).unwrap();
    let job = take_in_h100(&store);
    let settings = SettingsForm {
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    Settings::save(&store, &settings).unwrap();
    diagnose(&store, job, "h100-remap-pending");
    final_qa(&store, dir, job);
    (store, job)
}

#[test]
fn a_certificate_is_issued_signed_immutable_and_superseded_on_reissue() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let job = take_in_h100(&store);
    let settings = SettingsForm {
        shop_name: "深圳 GPU 复活工坊".into(),
        shop_address: "华强北, Futian, Shenzhen".into(),
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    Settings::save(&store, &settings).unwrap();
    diagnose(&store, job, "h100-remap-pending");
    let early = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::Both, TECH).unwrap_err();
    assert!(matches!(early, CoreError::CertificateNotReady(NotReady::FinalQaMissing)));

    final_qa(&store, dir.path(), job);
    let certificate = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::Both, TECH).unwrap();
    assert!(certificate.number.starts_with("RC-") && certificate.number.ends_with("-000001"));
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    assert_eq!(certificate.public_key, key.public_key());
    assert_eq!(certificate.signed.verify(&key.public_key()), Verdict::Valid);
    let document: CertificateDocument = serde_json::from_str(&certificate.signed.document).unwrap();
    assert_eq!((document.technician.as_str(), document.approver.as_str()), (TECH, "Zhang Min"));
    let cleared = document.findings_cleared.iter().find(|f| f.code == "remap_pending").expect("remap_pending cleared");
    assert!(!cleared.title.en.is_empty() && !cleared.title.zh_cn.is_empty());
    assert!(document.findings_at_release.is_empty());
    assert!(document.identity_matches_intake && document.simulated);
    assert_eq!(document.shop.name, "深圳 GPU 复活工坊");
    assert_eq!(document.gpu.serial, "1654922012345");
    assert_eq!(document.procedures[0].id, "final-qa-burn-in");
    assert_eq!(document.procedures[0].outcome, Outcome::Repaired);
    assert!(!document.procedures[0].title.zh_cn.is_ascii());
    let evidence = &document.release_evidence;
    assert_eq!((evidence.max_temperature_c, evidence.max_memory_temperature_c), (Some(83.0), Some(87.0)));
    assert!(evidence.burn_in_seconds.is_some_and(|s| s >= 0), "{evidence:?}");
    assert_eq!((evidence.max_power_w, evidence.telemetry_samples), (Some(690.0), 120));

    let rewrite = store.write(|tx, _| Ok(tx.execute("UPDATE certificates SET document = '{}'", [])?));
    assert!(rewrite.is_err(), "an issued certificate never changes");
    assert!(store.write(|tx, _| Ok(tx.execute("DELETE FROM certificates", [])?)).is_err());

    let reissued = certificates::issue(&store, dir.path(), job, 180, CertificateLanguage::En, TECH).unwrap();
    assert!(reissued.number.ends_with("-000002"));
    let old = certificates::get(&store, &certificate.number).unwrap();
    assert_eq!(old.superseded_by.as_deref(), Some(reissued.number.as_str()));
    let document: CertificateDocument = serde_json::from_str(&reissued.signed.document).unwrap();
    assert_eq!(document.supersedes.as_deref(), Some(certificate.number.as_str()));
    assert_eq!(certificates::for_job(&store, job).unwrap().len(), 2);

    assert!(matches!(
        certificates::issue(&store, dir.path(), job, 0, CertificateLanguage::En, TECH).unwrap_err(),
        CoreError::Invalid { field: Field::WarrantyDays, problem: Problem::OutOfRange { .. } }
    ));
    assert_eq!(certificates::warranty_days(" 180 ").unwrap(), 180);
    for (typed, problem) in [("", Problem::Empty), ("90d", Problem::BadFormat), ("-1", Problem::BadFormat)] {
        let error = certificates::warranty_days(typed).unwrap_err();
        assert!(
            matches!(error, CoreError::Invalid { field: Field::WarrantyDays, problem: p } if p == problem),
            "{typed}"
        );
    }
    assert!(matches!(
        certificates::warranty_days("5000").unwrap_err(),
        CoreError::Invalid { problem: Problem::OutOfRange { min: 1, max: 1095 }, .. }
    ));
    // A release reading that is not clean stops a certificate.
    diagnose(&store, job, "h100-remap-pending");
    let dirty = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::En, TECH).unwrap_err();
    assert!(matches!(dirty, CoreError::CertificateNotReady(NotReady::ReleaseHasCriticalFindings)));
}

#[test]
fn a_certificate_issues_only_while_the_job_is_ready_or_returned() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (store, job) = repaired_job(dir.path());
    let jobs = Jobs::new(&store).unwrap();
    assert_eq!(jobs.get(job).unwrap().status, Status::Ready, "passing final QA made the card ready");

    // Put on hold after QA (the customer disputes the bill): no certificate until it is ready again.
    let hold = StatusChange { to: "on_hold".into(), reason: "客户对账单有异议".into() };
    jobs.change_status(job, &hold, TECH).unwrap();
    let held = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::Both, TECH).unwrap_err();
    assert!(matches!(held, CoreError::CertificateNotReady(NotReady::StatusNotReady)), "{held}");
    assert!(certificates::for_job(&store, job).unwrap().is_empty());

    jobs.change_status(job, &StatusChange { to: "ready".into(), reason: String::new() }, TECH).unwrap();
    certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::Both, TECH).unwrap();
    jobs.change_status(job, &StatusChange { to: "returned".into(), reason: String::new() }, TECH).unwrap();
    let reissued = certificates::issue(&store, dir.path(), job, 180, CertificateLanguage::En, TECH).unwrap();
    assert!(reissued.number.ends_with("-000002"), "a correction after hand-over is still possible");
}

#[test]
fn a_final_qa_that_failed_after_one_that_passed_stops_the_certificate() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (store, job) = repaired_job(dir.path());
    // Burnt in again before hand-over: faulty results end the new QA as "needs RMA".
    let again = runs::start(&store, job, &final_qa_procedure(), TECH).unwrap();
    let failed = runs::answer(&store, again.id, "burn-in", &Answer::Measure { value: 2.0 }, "", TECH).unwrap();
    assert_eq!(failed.outcome, Some(Outcome::NeedsRma));
    let refused = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::Both, TECH).unwrap_err();
    assert!(matches!(refused, CoreError::CertificateNotReady(NotReady::FinalQaMissing)), "{refused}");
}

#[test]
fn the_json_export_carries_the_whole_job_and_its_certificate_still_verifies() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (store, job) = repaired_job(dir.path());
    let certificate = certificates::issue(&store, dir.path(), job, 90, CertificateLanguage::En, TECH).unwrap();

    let mut out = Vec::new();
    let query = HistoryQuery { certificate: "yes".into(), ..Default::default() };
    assert_eq!(export::json(&store, &query, &mut out, |_| true).unwrap(), Exported::Complete { rows: 1 });
    let envelope: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!((envelope["format"].as_str(), envelope["version"].as_u64()), (Some(export::JSON_FORMAT), Some(1)));
    assert_eq!(envelope["count"], 1);
    let exported = &envelope["jobs"][0];
    assert_eq!(exported["boardSerial"], "1654922012345");
    assert!(exported.get("next").is_none(), "no screen state in the record");
    assert!(exported["events"].as_array().unwrap().iter().any(|e| e["kind"] == "certificate_issued"));
    let diagnostics = exported["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    assert!(diagnostics[0]["findings"].as_array().unwrap().iter().any(|f| f["code"] == "remap_pending"));
    assert_eq!(diagnostics[1]["reading"]["identity"]["serial"], "1654922012345");
    let steps = exported["procedures"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(steps[1]["answer"], serde_json::json!({ "kind": "measure", "value": 1_880_000.0 }));
    assert_eq!(steps[5]["actor"], "Zhang Min");

    // The certificate in the archive verifies on its own, years later.
    let archived = &exported["certificates"][0];
    let signed = certificates::SignedDocument {
        document: archived["document"].as_str().unwrap().to_owned(),
        sha256: archived["sha256"].as_str().unwrap().to_owned(),
        signature: archived["signature"].as_str().unwrap().to_owned(),
    };
    assert_eq!(archived["number"], certificate.number.as_str());
    assert_eq!(signed.verify(&ShopKey::load_or_create(dir.path()).unwrap().public_key()), Verdict::Valid);
}
