//! Issuing certificates: only after QA with an approver and a clean release reading; signed,
//! verifiable, immutable; a re-issue supersedes.

use crate::common;

use crate::common::{
    burn_in_telemetry, final_qa, hold_bench, open_shop, record_scenario, repaired_job, sign, signer, take_in_h100,
    tech, TECH,
};
use revive_core::bench::GpuProvider;
use revive_core::certificates::{
    self, CertificateDocument, CertificateLanguage, RevocationReason, ShopKey, SignedDocument, StatusList, Verdict,
};
use revive_core::history::export::{self, CsvOptions, ExportFormat, Exported};
use revive_core::history::HistoryQuery;
use revive_core::jobs::costs::{LaborAdjustmentForm, PartForm};
use revive_core::jobs::status::Status;
use revive_core::jobs::StatusChange;
use revive_core::procedures::runs::Answer;
use revive_core::procedures::Outcome;
use revive_core::settings::{SettingsForm, Technician};
use revive_core::workshop::Workshop;
use revive_core::{CoreError, Field, NotReady, Problem};

fn diagnose(shop: &Workshop, job: i64, scenario: &str) {
    record_scenario(shop, job, scenario, &[]);
}

#[test]
fn a_certificate_is_issued_signed_immutable_and_superseded_on_reissue() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let settings = SettingsForm {
        shop_name: "深圳 GPU 复活工坊".into(),
        shop_address: "华强北, Futian, Shenzhen".into(),
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    shop.save_settings(&settings).unwrap();
    diagnose(&shop, job, "h100-remap-pending");
    let early = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap_err();
    assert!(matches!(early, CoreError::CertificateNotReady(NotReady::FinalQaMissing)));

    final_qa(&shop, job);
    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap();
    assert!(certificate.number.starts_with("RC-") && certificate.number.ends_with("-000001"));
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    assert_eq!(certificate.public_key, key.public_key());
    assert_eq!(certificate.signed.verify(&key.public_key()), Verdict::Valid);
    let document: CertificateDocument = serde_json::from_str(&certificate.signed.document).unwrap();
    assert_eq!((document.technician.as_str(), document.approver.as_str()), (TECH, "Zhang Min"));
    let cleared = document.findings_cleared.iter().find(|f| f.code == "remap_pending").expect("remap_pending cleared");
    assert!(!cleared.title.en.is_empty() && !cleared.title.zh_cn.is_empty());
    // The one uncorrectable error the card ever had stays in its lifetime count: stated, not hidden.
    let at_release: Vec<&str> = document.findings_at_release.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(at_release, ["ecc_aggregate_uncorrected"]);
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

    let rewrite = shop.store().write(|tx, _| Ok(tx.execute("UPDATE certificates SET document = '{}'", [])?));
    assert!(rewrite.is_err(), "an issued certificate never changes");
    assert!(shop.store().write(|tx, _| Ok(tx.execute("DELETE FROM certificates", [])?)).is_err());

    let reissued = shop.certificates().issue(job, 180, CertificateLanguage::En, &tech(&shop)).unwrap();
    assert!(reissued.number.ends_with("-000002"));
    let old = shop.certificates().get(&certificate.number).unwrap();
    assert_eq!(old.superseded_by.as_deref(), Some(reissued.number.as_str()));
    let document: CertificateDocument = serde_json::from_str(&reissued.signed.document).unwrap();
    assert_eq!(document.supersedes.as_deref(), Some(certificate.number.as_str()));
    assert_eq!(shop.certificates().for_job(job).unwrap().len(), 2);

    // What the certificate states about parts and labour stays true: they no longer change.
    let costs_before = shop.costs().for_job(job).unwrap();
    assert!(costs_before.locked, "the window hides the forms");
    let part = PartForm {
        part_number: "TP-1".into(),
        description: "导热垫".into(),
        quantity: "１".into(),
        unit_cost: "30".into(),
    };
    assert!(matches!(shop.costs().add_part(job, &part, &tech(&shop)), Err(CoreError::JobClosed(_))));
    let minutes = LaborAdjustmentForm { minutes: "30".into(), reason: "补记".into() };
    assert!(matches!(shop.costs().adjust_labor(job, &minutes, &tech(&shop)), Err(CoreError::JobClosed(_))));
    assert_eq!(shop.costs().for_job(job).unwrap(), costs_before);

    assert!(matches!(
        shop.certificates().issue(job, 0, CertificateLanguage::En, &tech(&shop)).unwrap_err(),
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
    diagnose(&shop, job, "h100-remap-pending");
    let dirty = shop.certificates().issue(job, 90, CertificateLanguage::En, &tech(&shop)).unwrap_err();
    assert!(matches!(dirty, CoreError::CertificateNotReady(NotReady::ReleaseHasCriticalFindings)));
}

#[test]
fn a_certificate_issues_only_while_the_job_is_ready_or_returned() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let jobs = shop.jobs();
    assert_eq!(jobs.get(job).unwrap().status, Status::Ready, "passing final QA made the card ready");

    // Put on hold after QA (the customer disputes the bill): no certificate until it is ready again.
    let hold = StatusChange { to: "on_hold".into(), reason: "客户对账单有异议".into() };
    jobs.change_status(job, &hold, &tech(&shop)).unwrap();
    let held = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap_err();
    assert!(matches!(held, CoreError::CertificateNotReady(NotReady::StatusNotReady)), "{held}");
    assert!(shop.certificates().for_job(job).unwrap().is_empty());

    jobs.change_status(job, &StatusChange { to: "ready".into(), reason: String::new() }, &tech(&shop)).unwrap();
    shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap();
    jobs.change_status(job, &StatusChange { to: "returned".into(), reason: String::new() }, &tech(&shop)).unwrap();
    let reissued = shop.certificates().issue(job, 180, CertificateLanguage::En, &tech(&shop)).unwrap();
    assert!(reissued.number.ends_with("-000002"), "a correction after hand-over is still possible");
}

#[test]
fn a_final_qa_that_failed_after_one_that_passed_stops_the_certificate() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    // Burnt in again before hand-over: a failed stress test ends the new QA as "needs RMA".
    let again = shop.procedure_runs().start(job, "final-qa-burn-in", &tech(&shop)).unwrap();
    let fail = Answer::Check { result: revive_core::procedures::runs::CheckResult::Fail };
    let failed = shop.procedure_runs().answer(again.id, "load-tests", &fail, "", &tech(&shop), None).unwrap();
    assert_eq!(failed.outcome, Some(Outcome::NeedsRma));
    let refused = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap_err();
    assert!(matches!(refused, CoreError::CertificateNotReady(NotReady::FinalQaMissing)), "{refused}");
}

#[test]
fn the_json_export_carries_the_whole_job_and_its_certificate_still_verifies() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::En, &tech(&shop)).unwrap();

    let mut out = Vec::new();
    let query = HistoryQuery { certificate: "yes".into(), ..Default::default() };
    assert_eq!(
        shop.history().export_to(&query, ExportFormat::Json, CsvOptions::default(), &mut out, |_| true).unwrap(),
        Exported::Complete { rows: 1 }
    );
    let envelope: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (envelope["format"].as_str(), envelope["version"].as_u64()),
        (Some(export::JSON_FORMAT), Some(u64::from(export::JSON_VERSION)))
    );
    assert_eq!(envelope["count"], 1);
    let exported = &envelope["jobs"][0];
    assert_eq!(exported["boardSerial"], "1654922012345");
    assert!(exported.get("next").is_none(), "no screen state in the record");
    assert!(exported["events"].as_array().unwrap().iter().any(|e| e["kind"] == "certificate_issued"));
    let diagnostics = exported["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    assert!(diagnostics[0]["findings"].as_array().unwrap().iter().any(|f| f["code"] == "remap_pending"));
    assert_eq!(diagnostics[1]["reading"]["identity"]["serial"], "1654922012345");
    let stress = exported["stressRuns"].as_array().unwrap();
    assert_eq!(
        (stress.len(), stress[0]["verdict"].as_str(), stress[0]["burnInSeconds"].as_u64()),
        (1, Some("passed"), Some(7200))
    );
    let steps = exported["procedures"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[3]["answer"], serde_json::json!({ "kind": "measure", "value": 1_880_000.0 }));
    assert_eq!(steps[7]["actor"], "Zhang Min");

    // The certificate in the archive verifies on its own, years later.
    let archived = &exported["certificates"][0];
    let signed = certificates::SignedDocument {
        document: archived["signed"]["document"].as_str().unwrap().to_owned(),
        sha256: archived["signed"]["sha256"].as_str().unwrap().to_owned(),
        signature: archived["signed"]["signature"].as_str().unwrap().to_owned(),
    };
    assert_eq!(archived["number"], certificate.number.as_str());
    assert_eq!(signed.verify(&ShopKey::load_or_create(dir.path()).unwrap().public_key()), Verdict::Valid);
}

/// The tests' own clock for the burn-in: it moves only when told (the bench is held meanwhile).
static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_764_300_000);

fn test_clock() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(NOW.load(std::sync::atomic::Ordering::SeqCst)).unwrap()
}

/// GPU 0 of `scenario` recorded as a reading from a real card (the fake marks its own simulated).
fn record_real(shop: &Workshop, job: i64, scenario: &str) {
    let mut snapshot = common::open(scenario).unwrap().snapshot().unwrap();
    snapshot.simulated = false;
    let evidence = revive_core::diagnostics::runs::RunEvidence {
        snapshot: &snapshot,
        gpu_index: 0,
        scenario: None,
        telemetry: &[],
        xid_findings: vec![],
    };
    shop.diagnostics().record(job, &evidence, None, &tech(shop)).unwrap();
}

#[test]
fn a_real_card_burnt_in_for_less_than_final_qa_asks_gets_no_certificate() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = Workshop::open_with_clock(dir.path(), revive_core::paths::Shipped::resolve(None), test_clock).unwrap();
    let job = take_in_h100(&shop);
    record_real(&shop, job, "h100-remap-pending");
    let runs = shop.procedure_runs();
    let run = runs.start(job, "final-qa-burn-in", &tech(&shop)).unwrap().id;
    // 1 h 59 min of the 2 h the procedure asks for: its gate stays shut.
    let short = common::pass_load_tests(&shop, job, run, 119, true).unwrap_err();
    assert!(matches!(short, CoreError::GateClosed { ref step } if step == "burn-in"), "{short}");
    // Burnt in again, for the full time: the gate opens and QA goes on.
    NOW.fetch_add(60, std::sync::atomic::Ordering::SeqCst);
    shop.stress().record(job, &real_stress(120), None, &tech(&shop)).unwrap();
    let answer = |step: &str, answer: Answer, who: &Technician| runs.answer(run, step, &answer, "", who, None).unwrap();
    answer("burn-in", Answer::Confirm, &tech(&shop));
    answer("bandwidth", Answer::Measure { value: 1_880_000.0 }, &tech(&shop));
    record_real(&shop, job, "h100-remap-reset");
    answer("release-reading", Answer::Confirm, &tech(&shop));
    let photos = [1u8, 2].map(|n| shop.photos().attach(job, &[0xFF, 0xD8, 0xFF, n], &tech(&shop)).unwrap());
    answer("photos-out", Answer::Photos { hashes: photos.to_vec() }, &tech(&shop));
    sign(&shop, run, "technician-qc", TECH);
    sign(&shop, run, "approver-qc", "Zhang Min");
    assert_eq!(shop.jobs().get(job).unwrap().status, Status::Ready);
    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::En, &tech(&shop)).unwrap();
    let document: CertificateDocument = serde_json::from_str(&certificate.signed.document).unwrap();
    assert!(!document.simulated);
    assert_eq!(document.release_evidence.burn_in_seconds, Some(7_200));
    // A shorter burn-in recorded after QA is what the next certificate would state: refused.
    shop.stress().record(job, &real_stress(90), None, &tech(&shop)).unwrap();
    let short = shop.certificates().issue(job, 90, CertificateLanguage::En, &tech(&shop)).unwrap_err();
    assert!(matches!(short, CoreError::CertificateNotReady(NotReady::BurnInTooShort)), "{short}");
}

/// A passed memory test and burn-in of `minutes` on a real card (the simulated stand-in, marked real).
fn real_stress(minutes: u64) -> revive_core::stress::supervise::GpuStressOutcome {
    let mut outcome = common::simulated_stress("h100-healthy", Some(minutes), true);
    outcome.simulated = false;
    outcome
}

#[test]
fn a_revoked_certificate_is_said_to_be_so_here_and_on_the_signed_status_list() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let first = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap();
    let second = shop.certificates().issue(job, 180, CertificateLanguage::Both, &tech(&shop)).unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap().public_key();
    // The card came back faulty: the certificate in force is withdrawn, once.
    let note = "客户退回：满载掉卡";
    let revoked =
        shop.certificates().revoke(&second.number, RevocationReason::ReturnedFaulty, note, &tech(&shop)).unwrap();
    let revocation = revoked.revoked.clone().unwrap();
    assert_eq!((revocation.reason, revocation.note.as_deref()), (RevocationReason::ReturnedFaulty, Some(note)));
    assert!(matches!(
        shop.certificates().revoke(&second.number, RevocationReason::IssuedInError, "", &tech(&shop)),
        Err(CoreError::Invalid { field: Field::Certificate, problem: Problem::Duplicate })
    ));
    assert!(shop.jobs().get(job).unwrap().events.iter().any(|e| matches!(
        &e.event,
        revive_core::jobs::events::Event::CertificateRevoked { number, .. } if *number == second.number
    )));

    // Revoked is answered by new work: no certificate again without a final QA after it.
    assert!(matches!(
        shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)),
        Err(CoreError::CertificateNotReady(NotReady::FinalQaMissing))
    ));

    // Checked at this shop: its signature holds, and it is not valid.
    let here = certificates::verify_document(&second.signed, &key).with_local_status(&shop).unwrap();
    assert_eq!((here.valid, here.reason), (false, Some(revive_core::certificates::Invalidity::Revoked)));
    // Checked by a buyer with the shop's status list: the same, and the old one says what replaced it.
    let list = shop.certificates().status_list().unwrap();
    let read = StatusList::verified(&list, &key).expect("signed by the shop");
    let buyer = certificates::verify_document(&second.signed, &key).with_status_list(&read);
    assert_eq!((buyer.valid, buyer.revoked.map(|r| r.reason)), (false, Some(RevocationReason::ReturnedFaulty)));
    let older = certificates::verify_document(&first.signed, &key).with_status_list(&read);
    assert_eq!((older.valid, older.superseded_by.as_deref()), (true, Some(second.number.as_str())));

    // A list from another key, a list edited, or a certificate's signature passed off as a list: refused.
    let other = ShopKey::load_or_create(&dir.path().join("other")).unwrap();
    assert!(StatusList::verified(&list, &other.public_key()).is_none());
    let mut emptied: StatusList = serde_json::from_str(&list.document).unwrap();
    emptied.entries.clear();
    let forged = SignedDocument { document: certificates::canonical(&emptied).unwrap(), ..list.clone() };
    assert!(StatusList::verified(&forged, &key).is_none());
    assert!(StatusList::verified(&second.signed, &key).is_none());
}

#[test]
fn a_card_that_is_not_the_one_taken_in_gets_a_certificate_only_with_an_approvers_signed_reason() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    // Taken in under another die's UUID: every reading of this board says "same serial, different UUID".
    let form = revive_core::jobs::intake::IntakeForm {
        customer_name: "王芳 (深圳南山)".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: "1654922012345".into(),
        gpu_uuid: "GPU-00000000-1111-2222-3333-444444444444".into(),
        symptom_observed: "Xid 79 掉卡".into(),
        quote_amount: "１２０００".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    let job = shop.jobs().intake(&form, &tech(&shop)).unwrap().id;
    shop.save_settings(&SettingsForm {
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    })
    .unwrap();
    let diagnostics = shop.diagnostics();
    let nothing_to_approve = diagnostics.approve_identity(job, "同一张卡", &signer(&shop, "Zhang Min"));
    assert!(matches!(nothing_to_approve, Err(CoreError::Invalid { field: Field::Run, problem: Problem::NotNeeded })));
    diagnose(&shop, job, "h100-remap-pending");
    let runs = shop.procedure_runs();
    let run = runs.start(job, "final-qa-burn-in", &tech(&shop)).unwrap().id;
    let answer = |step: &str, answer: Answer| runs.answer(run, step, &answer, "", &tech(&shop), None);
    common::pass_load_tests(&shop, job, run, 120, false).unwrap();
    answer("bandwidth", Answer::Measure { value: 1_880_000.0 }).unwrap();
    record_scenario(&shop, job, "h100-remap-reset", &burn_in_telemetry());
    // The release reading's "different UUID" is critical: the gate stays shut.
    assert!(matches!(answer("release-reading", Answer::Confirm), Err(CoreError::GateClosed { .. })));

    // Whoever recorded the reading cannot vouch for it; an approval needs a reason.
    let own = diagnostics.approve_identity(job, "same card", &signer(&shop, TECH)).unwrap_err();
    assert!(matches!(own, CoreError::ApproverDidTheWork), "{own}");
    let silent = diagnostics.approve_identity(job, "  ", &signer(&shop, "Zhang Min")).unwrap_err();
    assert!(matches!(silent, CoreError::Invalid { field: Field::Reason, problem: Problem::Empty }));
    let reason = "收件时登记错了 UUID：板卡标签与序列号一致";
    let approval = diagnostics.approve_identity(job, reason, &signer(&shop, "Zhang Min")).unwrap();
    assert_eq!(approval.findings, ["uuid_changed"]);
    answer("release-reading", Answer::Confirm).unwrap();
    let photos = [1u8, 2].map(|n| shop.photos().attach(job, &[0xFF, 0xD8, 0xFF, n], &tech(&shop)).unwrap());
    answer("photos-out", Answer::Photos { hashes: photos.to_vec() }).unwrap();
    sign(&shop, run, "technician-qc", TECH);
    sign(&shop, run, "approver-qc", "Zhang Min");

    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap();
    let document: CertificateDocument = serde_json::from_str(&certificate.signed.document).unwrap();
    assert!(!document.identity_matches_intake);
    let signed = document.identity_approval.expect("the approval is in the signed document");
    assert_eq!((signed.reason.as_str(), signed.approved_by.as_str()), (reason, "Zhang Min"));
    // Changing the reason in the document breaks its signature.
    let key = ShopKey::load(dir.path()).unwrap().unwrap().public_key();
    let edited = SignedDocument {
        document: certificate.signed.document.replace("收件时登记错了", "收件时没登记错"),
        ..certificate.signed.clone()
    };
    assert_ne!(edited.verify(&key), Verdict::Valid);
    assert_eq!(certificate.signed.verify(&key), Verdict::Valid);
}

#[test]
fn a_certificate_whose_page_cannot_be_typeset_is_never_issued() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let refused = shop
        .certificates()
        .issue_checked(job, 90, CertificateLanguage::Both, &tech(&shop), |certificate| {
            assert!(certificate.number.ends_with("-000001"));
            Err(CoreError::CertificateNotReady(NotReady::DoesNotTypeset))
        })
        .unwrap_err();
    assert!(matches!(refused, CoreError::CertificateNotReady(NotReady::DoesNotTypeset)));
    assert!(shop.certificates().for_job(job).unwrap().is_empty(), "nothing was stored");
    // Its number was not used up either.
    let issued = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(&shop)).unwrap();
    assert!(issued.number.ends_with("-000001"), "{}", issued.number);
}

#[test]
fn the_certificate_states_the_burn_in_and_memory_test_recorded_since_final_qa() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    shop.stress().record(job, &common::simulated_stress("h100-healthy", Some(150), true), None, &tech(&shop)).unwrap();
    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::ZhCn, &tech(&shop)).unwrap();
    let document: CertificateDocument = serde_json::from_str(&certificate.signed.document).unwrap();
    let evidence = &document.release_evidence;
    // The recorded burn-in's time, not the time the procedure's step took.
    assert_eq!(evidence.burn_in_seconds, Some(150 * 60));
    let tests = evidence.load_tests.as_ref().expect("load tests stated");
    let burn_in = tests.burn_in.as_ref().unwrap();
    assert_eq!((burn_in.source.as_str(), burn_in.verdict.as_str(), burn_in.compute_errors), ("revive", "passed", 0));
    assert_eq!(burn_in.power_fraction, Some(0.971));
    let memory = tests.memory.as_ref().unwrap();
    assert_eq!((memory.coverage_percent, memory.mismatches, memory.passes), (Some(100.0), Some(0), Some(1)));
    assert!(document.simulated, "a simulated stress run marks the certificate simulated");
}
