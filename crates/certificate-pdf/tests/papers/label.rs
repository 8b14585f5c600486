//! The ticket label on paper, on every roll the shop can choose: the page is the roll's size, the
//! fields print in the shop's language, and a barcode reader decodes its QR to the label code that
//! opens the job when scanned.

use revive_certificate_pdf::CertificateRenderer;
use revive_core::jobs::label::read_label_code;
use revive_core::jobs::papers::Paper;
use revive_core::settings::{LabelSize, Language};

use super::sample_papers::label;
use super::{common, page_mm, scanned_qr, tool};

#[test]
fn every_roll_prints_its_size_in_the_shops_language_with_a_qr_that_scans() {
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for size in LabelSize::ALL {
        for (language, customer, words) in [
            (Language::SimplifiedChinese, "深圳市南山区算…", ["型号", "序列号", "客户", "收件"]),
            (Language::English, "José Müller", ["Model", "S/N", "Customer", "Received"]),
        ] {
            let printed = label(size, language, customer);
            let pdf = dir.path().join(format!("{size:?}-{language:?}.pdf"));
            std::fs::write(&pdf, renderer.paper_pdf(&Paper::Label(printed.clone())).unwrap()).unwrap();

            let (width, height) = page_mm(&pdf);
            let (roll_width, roll_height) = size.millimetres();
            assert!((width - f64::from(roll_width)).abs() < 0.2, "{size:?}: {width} mm wide");
            match roll_height {
                Some(expected) => assert!((height - f64::from(expected)).abs() < 0.2, "{size:?}: {height} mm high"),
                // A continuous roll is cut where the label ends: a QR and five lines.
                None => assert!((50.0..120.0).contains(&height), "{size:?}: {height} mm high"),
            }

            let text: String = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).split_whitespace().collect();
            for field in ["RV-2026-A-000123", "H100SXM580GB", "1654922012345", "2026-12-02"] {
                assert!(text.contains(field), "{size:?} {language:?}: {field} missing from {text}");
            }
            assert!(text.contains(&customer.replace(' ', "")), "{size:?} {language:?}: {text}");
            for word in words {
                assert!(text.contains(word), "{size:?} {language:?}: {word} missing from {text}");
            }

            let decoded = scanned_qr(&pdf, 300);
            assert_eq!(decoded, printed.code, "{size:?} {language:?}");
            assert_eq!(read_label_code(&decoded), Some(("RV-2026-A-000123".into(), "1654922012345".into())));
        }
    }
}

#[test]
fn the_preview_is_the_same_label() {
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let drawn =
        renderer.paper_svg(&Paper::Label(label(LabelSize::Dk62x29, Language::SimplifiedChinese, "王芳"))).unwrap();
    assert!((drawn.width_mm - 62.0).abs() < 0.01 && (drawn.height_mm - 29.0).abs() < 0.01);
    // 62 × 29 mm in Typst's points.
    assert!(drawn.svg.starts_with("<svg") && drawn.svg.contains("viewBox=\"0 0 175.7"), "{}", &drawn.svg[..200]);
    let continuous =
        renderer.paper_svg(&Paper::Label(label(LabelSize::Dk62Continuous, Language::English, "José"))).unwrap();
    assert!((continuous.width_mm - 62.0).abs() < 0.01 && (50.0..120.0).contains(&continuous.height_mm));
}
