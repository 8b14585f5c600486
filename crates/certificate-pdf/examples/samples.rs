//! Writes the sample certificate in each language into a directory, for docs/ and for looking at:
//! `cargo run -p revive-certificate-pdf --example samples -- DIR` (then `pdftoppm` them).

#[path = "../tests/common/mod.rs"]
mod common;

use revive_certificate_pdf::CertificateRenderer;
use revive_core::certificates::CertificateLanguage;

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
    Ok(())
}
