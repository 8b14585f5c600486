//! Typesetting the papers Revive prints (the certificate, the ticket label, the intake receipt and
//! the hand-over slip): their Typst templates, the bundled fonts, and their QR codes.

use std::path::Path;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use revive_core::certificates::{fingerprint_of, Certificate, ShopKey};
use revive_core::jobs::papers::Paper;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Dict, IntoValue};
use typst::{World, WorldExt};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

use crate::PdfError;

const CERTIFICATE: &str = "certificate.typ";
const LABEL: &str = "label.typ";
const INTAKE_RECEIPT: &str = "intake-receipt.typ";
const HAND_OVER_SLIP: &str = "hand-over-slip.typ";
const TEMPLATES: [(&str, &str); 5] = [
    (CERTIFICATE, include_str!("certificate.typ")),
    (LABEL, include_str!("label.typ")),
    (INTAKE_RECEIPT, include_str!("intake-receipt.typ")),
    (HAND_OVER_SLIP, include_str!("hand-over-slip.typ")),
    ("customer-paper.typ", include_str!("customer-paper.typ")),
];

/// The fonts the template uses, all in one directory (`fonts/` in the repository and the bundle).
pub const FONT_FILES: [&str; 3] = ["NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf", "DejaVuSansMono.ttf"];

/// A paper drawn for the screen, with its size for the print dialog's page.
pub struct PaperDrawing {
    pub svg: String,
    pub width_mm: f64,
    pub height_mm: f64,
}

/// Loads the fonts once; typesetting a certificate or a label then takes milliseconds.
pub struct CertificateRenderer {
    engine: TypstEngine<TypstTemplateCollection>,
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
        let engine = TypstEngine::builder().with_static_source_file_resolver(TEMPLATES).fonts(fonts).build();
        Ok(CertificateRenderer { engine })
    }

    /// The certificate as a one-page PDF with the signed document attached, sealed with the shop's
    /// key so that any change to the file shows.
    pub fn pdf(&self, certificate: &Certificate, key: &ShopKey) -> Result<Vec<u8>, PdfError> {
        let pdf = pdf_of(&self.typeset_certificate(certificate)?)?;
        crate::seal::seal(pdf, key)
    }

    /// The same page as SVG, for the preview (text as outlines: no fonts needed in the webview),
    /// with its size, for the print dialog's paper.
    pub fn svg(&self, certificate: &Certificate) -> Result<PaperDrawing, PdfError> {
        drawing(&self.typeset_certificate(certificate)?)
    }

    /// A label, receipt or slip as a PDF of its paper's size, to print or keep.
    pub fn paper_pdf(&self, paper: &Paper) -> Result<Vec<u8>, PdfError> {
        pdf_of(&self.typeset_paper(paper)?)
    }

    /// The same paper as SVG, for the preview, with the size of its pages (a continuous roll's
    /// length is the label's). A receipt whose customer said a lot runs on, page under page with
    /// no gap, so that printed on paper of that size each page falls on a sheet.
    pub fn paper_svg(&self, paper: &Paper) -> Result<PaperDrawing, PdfError> {
        drawing(&self.typeset_paper(paper)?)
    }

    /// A label's QR stands alone and needs its quiet zone; a receipt's or slip's sits in the margin.
    fn typeset_paper(&self, paper: &Paper) -> Result<PagedDocument, PdfError> {
        let json = |value: Result<String, serde_json::Error>| value.map_err(revive_core::CoreError::from);
        let (template, input, content, code) = match paper {
            Paper::Label(label) => (LABEL, "label", json(serde_json::to_string(label))?, &label.code),
            Paper::IntakeReceipt(receipt) => {
                (INTAKE_RECEIPT, "paper", json(serde_json::to_string(receipt))?, &receipt.code)
            }
            Paper::HandOverSlip(slip) => (HAND_OVER_SLIP, "paper", json(serde_json::to_string(slip))?, &slip.code),
        };
        let label = matches!(paper, Paper::Label(_));
        let mut inputs = Dict::new();
        inputs.insert(input.into(), content.into_value());
        inputs.insert("qr".into(), qr_svg(code, label)?.into_value());
        // What a customer says about the fault goes on the receipt whole, however long.
        let pages = if label { 1 } else { CUSTOMER_PAPER_PAGES };
        self.typeset(template, inputs, template.trim_end_matches(".typ"), pages)
    }

    fn typeset_certificate(&self, certificate: &Certificate) -> Result<PagedDocument, PdfError> {
        let signed = &certificate.signed;
        let payload = signed.qr_payload(&certificate.public_key)?.to_string();
        let mut inputs = Dict::new();
        let mut input = |name: &str, value: String| inputs.insert(name.into(), value.into_value());
        input("document", signed.document.clone());
        input("signed", serde_json::to_string(signed).map_err(revive_core::CoreError::from)?);
        input("sha256", signed.sha256.clone());
        input("fingerprint", fingerprint_of(&certificate.public_key).unwrap_or_default());
        input("qr", qr_svg(&payload, false)?);
        self.typeset(CERTIFICATE, inputs, "certificate", 1)
    }

    /// Compiles one template to at most `max_pages` pages.
    fn typeset(&self, template: &str, inputs: Dict, paper: &str, max_pages: usize) -> Result<PagedDocument, PdfError> {
        let world = self
            .engine
            .world_builder(template)
            .with_inputs(inputs)
            .build()
            .map_err(|e| PdfError::Typeset(e.to_string()))?;
        let compiled = typst::compile::<PagedDocument>(&world).output;
        // Keep only recent memoised layout work, so a long-running app does not grow.
        comemo::evict(KEPT_GENERATIONS);
        let page = compiled.map_err(|diagnostics| PdfError::Typeset(describe(&world, template, &diagnostics)))?;
        match page.pages().len() {
            pages if pages <= max_pages => Ok(page),
            pages => Err(PdfError::Typeset(format!("the {paper} ran to {pages} pages, more than {max_pages}"))),
        }
    }
}

/// Every page as one SVG, page under page with no gap, and the size of a page.
fn drawing(document: &PagedDocument) -> Result<PaperDrawing, PdfError> {
    let first = document.pages().first().ok_or(PdfError::Typeset("the paper has no page".into()))?;
    let size = first.frame.size();
    let options = typst_svg::SvgOptions::default();
    Ok(PaperDrawing {
        svg: typst_svg::svg_merged(document, &options, typst::layout::Abs::zero()),
        width_mm: size.x.to_mm(),
        height_mm: size.y.to_mm(),
    })
}

/// A QR code as SVG, with its quiet zone where nothing else on the paper keeps it clear.
fn qr_svg(payload: &str, quiet_zone: bool) -> Result<String, PdfError> {
    let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|error| PdfError::Typeset(format!("QR code: {error}")))?;
    Ok(qr.render::<svg::Color>().quiet_zone(quiet_zone).build())
}

fn pdf_of(page: &PagedDocument) -> Result<Vec<u8>, PdfError> {
    typst_pdf::pdf(page, &typst_pdf::PdfOptions::default()).map_err(|diagnostics| {
        PdfError::Typeset(diagnostics.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "))
    })
}

const KEPT_GENERATIONS: usize = 8;
/// The longest a receipt or slip runs: every field of the intake at its longest, typed as one
/// character a line (7,000 lines at about 55 a page), fills about 130 pages.
const CUSTOMER_PAPER_PAGES: usize = 160;

/// Template errors with their line, for whoever edits the template.
fn describe(world: &dyn World, template: &str, diagnostics: &[SourceDiagnostic]) -> String {
    let line = |diagnostic: &SourceDiagnostic| {
        let source = world.source(diagnostic.span.id()?).ok()?;
        let range = world.range(diagnostic.span)?;
        source.lines().byte_to_line(range.start).map(|line| line + 1)
    };
    diagnostics
        .iter()
        .map(|d| match line(d) {
            Some(line) => format!("{template}:{line}: {}", d.message),
            None => d.message.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
