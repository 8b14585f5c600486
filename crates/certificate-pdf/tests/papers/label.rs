//! The ticket label on paper, on every roll the shop can choose: the page is the roll's size, the
//! fields print in the shop's language, and a barcode reader decodes its QR to the label code that
//! opens the job when scanned.

use revive_certificate_pdf::CertificateRenderer;
use revive_core::jobs::label::read_label_code;
use revive_core::settings::{LabelSize, Language};

use super::sample_label::label;
use super::{common, tool};

/// `pdfinfo`'s page size in millimetres.
fn page_mm(pdf: &std::path::Path) -> (f64, f64) {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info.lines().find(|line| line.starts_with("Page size:")).unwrap();
    let numbers: Vec<f64> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
    (numbers[0] * 25.4 / 72.0, numbers[1] * 25.4 / 72.0)
}

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
            std::fs::write(&pdf, renderer.label_pdf(&printed).unwrap()).unwrap();

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

            let prefix = dir.path().join("label");
            tool("pdftoppm", &["-r", "300", "-png", "-singlefile", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
            let decoded = tool("zbarimg", &["--quiet", "--raw", dir.path().join("label.png").to_str().unwrap()]);
            assert_eq!(decoded.trim(), printed.code, "{size:?} {language:?}");
            assert_eq!(read_label_code(decoded.trim()), Some(("RV-2026-A-000123".into(), "1654922012345".into())));
        }
    }
}

#[test]
fn the_preview_is_the_same_label() {
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let drawn = renderer.label_svg(&label(LabelSize::Dk62x29, Language::SimplifiedChinese, "王芳")).unwrap();
    assert!((drawn.width_mm - 62.0).abs() < 0.01 && (drawn.height_mm - 29.0).abs() < 0.01);
    // 62 × 29 mm in Typst's points.
    assert!(drawn.svg.starts_with("<svg") && drawn.svg.contains("viewBox=\"0 0 175.7"), "{}", &drawn.svg[..200]);
    let continuous = renderer.label_svg(&label(LabelSize::Dk62Continuous, Language::English, "José")).unwrap();
    assert!((continuous.width_mm - 62.0).abs() < 0.01 && (50.0..120.0).contains(&continuous.height_mm));
}
