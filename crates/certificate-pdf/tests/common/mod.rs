//! A realistic certificate, signed with a fresh shop key, without a store: the tests here are about
//! paper, not about issuing.

use std::path::PathBuf;

use revive_core::certificates::{
    BurnInEvidence, Certificate, CertificateDocument, CertificateLanguage, CertifiedGpu, LoadTests, MemoryEvidence,
    NamedFinding, PartLine, ProcedureDone, ReleaseEvidence, ShopIdentity, ShopKey,
};
use revive_core::diagnostics::Text;
use revive_core::procedures::Outcome;

pub fn fonts_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fonts"))
}

fn text(en: &str, zh_cn: &str) -> Text {
    Text { en: en.into(), zh_cn: zh_cn.into() }
}

fn finding(code: &str, en: &str, zh_cn: &str) -> NamedFinding {
    NamedFinding { code: code.into(), title: text(en, zh_cn) }
}

fn part(part_number: &str, description: &str, quantity: i64) -> PartLine {
    PartLine { part_number: part_number.into(), description: description.into(), quantity }
}

pub fn document(language: CertificateLanguage, simulated: bool) -> CertificateDocument {
    CertificateDocument {
        schema: revive_core::certificates::FACTS_SCHEMA as u32,
        number: "RC-2026-000042".into(),
        issued_at: "2026-11-28T09:30:00Z".into(),
        supersedes: None,
        language,
        shop: ShopIdentity {
            name: "深圳芯复活 GPU 维修中心".into(),
            address: "深圳市福田区华强北路 1019 号 3 楼 · 3F, 1019 Huaqiang N. Rd, Futian, Shenzhen".into(),
        },
        ticket: "RV-2026-000317".into(),
        customer: "北京智算云科技有限公司".into(),
        gpu: CertifiedGpu {
            model: "h100-sxm5-80gb".into(),
            model_name: "NVIDIA H100 SXM5 80GB".into(),
            serial: "1654922012345".into(),
            uuid: Some("GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d".into()),
            board_part_number: Some("692-2G520-0200-000".into()),
            vbios: Some("96.00.74.00.01".into()),
            inforom: Some("G520.0200.00.05".into()),
        },
        identity_matches_intake: true,
        symptoms: "训练任务中 GPU 掉卡，dmesg 报 Xid 63 / Xid 94。Card fell off the bus during training.".into(),
        findings_at_intake: vec![
            finding("remap_pending", "Row remapping pending: reset the GPU", "行重映射待处理：需复位 GPU"),
            finding("xid_94", "Xid 94: contained uncorrectable ECC error", "Xid 94：已隔离的不可纠正 ECC 错误"),
        ],
        findings_at_release: vec![],
        findings_cleared: vec![
            finding("remap_pending", "Row remapping pending: reset the GPU", "行重映射待处理：需复位 GPU"),
            finding("xid_94", "Xid 94: contained uncorrectable ECC error", "Xid 94：已隔离的不可纠正 ECC 错误"),
        ],
        procedures: vec![
            ProcedureDone {
                id: "hbm-triage".into(),
                version: 1,
                title: text("HBM memory triage", "HBM 显存分诊"),
                outcome: Outcome::Repaired,
            },
            ProcedureDone {
                id: "final-qa-burn-in".into(),
                version: 1,
                title: text("Final QA and burn-in", "最终质检与老化测试"),
                outcome: Outcome::Repaired,
            },
        ],
        parts: vec![
            part("TP-PTM7950-50", "Phase-change thermal pad 相变导热垫", 1),
            part("FAN-9GA0612", "Blower fan 涡轮风扇", 2),
        ],
        release_evidence: ReleaseEvidence {
            recorded_at: "2026-11-28T09:12:04Z".into(),
            burn_in_seconds: Some(7512),
            telemetry_samples: 7200,
            max_temperature_c: Some(83.0),
            max_memory_temperature_c: Some(87.0),
            max_power_w: Some(690.5),
            ecc_aggregate_uncorrected_delta: Some(0),
            remapped_rows_delta: Some(0),
            xid_count: 2,
            load_tests: Some(LoadTests {
                burn_in: Some(BurnInEvidence {
                    source: "revive".into(),
                    verdict: "passed".into(),
                    seconds: 7512,
                    compute_errors: 0,
                    power_fraction: Some(0.962),
                    average_power_w: Some(673.0),
                    average_sm_clock_mhz: Some(1830.0),
                    tflops: Some(612.4),
                }),
                memory: Some(MemoryEvidence {
                    source: "revive".into(),
                    verdict: "passed".into(),
                    coverage_percent: Some(97.1),
                    bytes_tested: Some(82_006_000_000),
                    passes: Some(2),
                    mismatches: Some(0),
                }),
            }),
        },
        technician: "李伟 Li Wei".into(),
        approver: "张敏 Zhang Min".into(),
        warranty_days: 90,
        simulated,
        identity_approval: None,
    }
}

/// The certificate as issued: signed with a new shop key kept in `dir`.
pub fn certificate(dir: &std::path::Path, document: &CertificateDocument) -> (Certificate, ShopKey) {
    let key = ShopKey::load_or_create(dir).unwrap();
    let signed = key.sign(document).unwrap();
    let certificate = Certificate {
        number: document.number.clone(),
        job_id: 1,
        issued_at: document.issued_at.clone(),
        issued_by: "李伟 Li Wei".into(),
        signed,
        public_key: key.public_key(),
        superseded_by: None,
        revoked: None,
    };
    (certificate, key)
}
