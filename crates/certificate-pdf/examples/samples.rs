//! Writes the sample certificate in each language into a directory, with the sample shop's public
//! key file and its signed status list, for docs/samples (what `revive verify` accepts as is), a
//! ticket label on each roll, an intake receipt and a hand-over slip, for looking at:
//! `cargo run -p revive-certificate-pdf --example samples -- DIR`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/papers.rs"]
mod sample_papers;

use revive_certificate_pdf::CertificateRenderer;
use revive_core::certificates::{
    public_key_file, CertificateLanguage, ShopKey, StatusEntry, StatusList, STATUS_LIST_FORMAT,
};
use revive_core::jobs::papers::Paper;
use revive_core::jobs::status::Status;
use revive_core::settings::{LabelSize, Language};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: samples DIR")?);
    std::fs::create_dir_all(&out)?;
    let renderer = CertificateRenderer::load(&common::fonts_dir())?;
    let key_dir = tempfile::tempdir()?;
    for (name, language, simulated) in [
        ("certificate-en", CertificateLanguage::En, false),
        ("certificate-zh-CN", CertificateLanguage::ZhCn, false),
        ("certificate-bilingual-simulated", CertificateLanguage::Both, true),
    ] {
        let (certificate, key) = common::certificate(key_dir.path(), &common::document(language, simulated));
        let path = out.join(format!("{name}.pdf"));
        std::fs::write(&path, renderer.pdf(&certificate, &key)?)?;
        println!("{}", path.display());
    }
    // The key the samples verify against, and the shop's list: the certificate before the sample
    // (RC-2026-000041) was superseded by it.
    let key = ShopKey::load_or_create(key_dir.path())?;
    std::fs::write(out.join("shop.pub"), public_key_file("深圳芯复活 GPU 维修中心", &key.public_key()))?;
    let list = StatusList {
        format: STATUS_LIST_FORMAT.into(),
        version: 1,
        shop: "深圳芯复活 GPU 维修中心".into(),
        issued_at: "2026-11-28T12:00:00.000Z".into(),
        entries: vec![StatusEntry {
            number: "RC-2026-000041".into(),
            superseded_by: Some("RC-2026-000042".into()),
            revoked: None,
        }],
    };
    std::fs::write(out.join("status.json"), serde_json::to_vec_pretty(&list.sign(&key)?)?)?;
    for (size, language, customer) in [
        (LabelSize::Dk62x29, Language::SimplifiedChinese, "深圳市南山区算…"),
        (LabelSize::Dk62Continuous, Language::SimplifiedChinese, "王芳"),
        (LabelSize::Label50x30, Language::English, "José Müller"),
        (LabelSize::Label100x150, Language::SimplifiedChinese, "深圳市南山区算…"),
    ] {
        let label = Paper::Label(sample_papers::label(size, language, customer));
        let path = out.join(format!("label-{}.pdf", serde_json::to_value(size)?.as_str().unwrap_or_default()));
        std::fs::write(&path, renderer.paper_pdf(&label)?)?;
        println!("{}", path.display());
    }
    let symptoms = "训练任务中 GPU 掉卡，dmesg 报 Xid 79。Fell off the bus during training.";
    for (name, paper) in [
        ("intake-receipt", Paper::IntakeReceipt(sample_papers::receipt(symptoms))),
        ("hand-over-slip", Paper::HandOverSlip(sample_papers::slip(Status::Returned))),
    ] {
        let path = out.join(format!("{name}.pdf"));
        std::fs::write(&path, renderer.paper_pdf(&paper)?)?;
        println!("{}", path.display());
    }
    Ok(())
}
