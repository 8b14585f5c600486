//! Typesetting a certificate: the Typst template, the bundled fonts, and the QR code.

use std::path::Path;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use revive_core::certificates::{fingerprint_of, Certificate, ShopKey};
use typst::diag::SourceDiagnostic;
use typst::foundations::{Dict, IntoValue};
use typst::{World, WorldExt};
use typst_as_lib::{TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;

use crate::PdfError;

const TEMPLATE: &str = include_str!("certificate.typ");

/// The fonts the template uses, all in one directory (`fonts/` in the repository and the bundle).
pub const FONT_FILES: [&str; 3] = ["NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf", "DejaVuSansMono.ttf"];

/// Loads the fonts once; typesetting a certificate then takes milliseconds.
pub struct CertificateRenderer {
    engine: TypstEngine<TypstTemplateMainFile>,
}

impl CertificateRenderer {
    pub fn load(fonts_dir: &Path) -> Result<CertificateRenderer, PdfError> {
        let mut fonts = Vec::new();
        for name in FONT_FILES {
            let path = fonts_dir.join(name);
            let bytes = std::fs::read(&path).map_err(|error| PdfError::FontsMissing {
                dir: fonts_dir.display().to_string(),
                reason: format!("{name}: {error}"),
            })?;
            fonts.push(bytes);
        }
        let engine = TypstEngine::builder().main_file(TEMPLATE).fonts(fonts).build();
        Ok(CertificateRenderer { engine })
    }

    /// The certificate as a one-page PDF with the signed document attached, sealed with the shop's
    /// key so that any change to the file shows.
    pub fn pdf(&self, certificate: &Certificate, key: &ShopKey) -> Result<Vec<u8>, PdfError> {
        let page = self.typeset(certificate)?;
        let pdf = typst_pdf::pdf(&page, &typst_pdf::PdfOptions::default()).map_err(|diagnostics| {
            PdfError::Typeset(diagnostics.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "))
        })?;
        crate::seal::seal(pdf, key)
    }

    /// The same page as SVG, for the preview (text as outlines: no fonts needed in the webview).
    pub fn svg(&self, certificate: &Certificate) -> Result<String, PdfError> {
        let page = self.typeset(certificate)?;
        Ok(typst_svg::svg(&page.pages()[0], &typst_svg::SvgOptions::default()))
    }

    fn typeset(&self, certificate: &Certificate) -> Result<PagedDocument, PdfError> {
        let signed = &certificate.signed;
        let payload = signed.qr_payload(&certificate.public_key)?.to_string();
        let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|error| PdfError::Typeset(format!("QR code: {error}")))?;
        let mut inputs = Dict::new();
        let mut input = |name: &str, value: String| inputs.insert(name.into(), value.into_value());
        input("document", signed.document.clone());
        input("signed", serde_json::to_string(signed).map_err(revive_core::CoreError::from)?);
        input("sha256", signed.sha256.clone());
        input("fingerprint", fingerprint_of(&certificate.public_key).unwrap_or_default());
        input("qr", qr.render::<svg::Color>().quiet_zone(false).build());
        let world =
            self.engine.world_builder().with_inputs(inputs).build().map_err(|e| PdfError::Typeset(e.to_string()))?;
        let compiled = typst::compile::<PagedDocument>(&world).output;
        // Keep only recent memoised layout work, so a long-running app does not grow.
        comemo::evict(KEPT_GENERATIONS);
        let page = compiled.map_err(|diagnostics| PdfError::Typeset(describe(&world, &diagnostics)))?;
        match page.pages().len() {
            1 => Ok(page),
            pages => Err(PdfError::Typeset(format!("the certificate ran to {pages} pages instead of one"))),
        }
    }
}

const KEPT_GENERATIONS: usize = 8;

/// Template errors with their line, for whoever edits the template.
fn describe(world: &dyn World, diagnostics: &[SourceDiagnostic]) -> String {
    let line = |diagnostic: &SourceDiagnostic| {
        let source = world.source(diagnostic.span.id()?).ok()?;
        let range = world.range(diagnostic.span)?;
        source.lines().byte_to_line(range.start).map(|line| line + 1)
    };
    diagnostics
        .iter()
        .map(|d| match line(d) {
            Some(line) => format!("certificate.typ:{line}: {}", d.message),
            None => d.message.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
