//! The repair certificate on paper: a one-page A4 PDF typeset with Typst from the signed document
//! (and the same page as SVG for the in-app preview), and the signed document read back out of a
//! PDF so anyone can check it offline; and the other papers a job prints (label, intake receipt,
//! hand-over slip) with the same fonts. Apart from the core so only the CLI and the app carry Typst.

mod embedded;
mod render;
mod seal;

pub use embedded::signed_document_in;
pub use render::{CertificateRenderer, PaperDrawing, FONT_FILES};

use revive_core::certificates::{verify_document, Invalidity, SignedDocument, Verification};
use revive_core::{CoreError, ErrorCode, Field, Problem};

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the certificate fonts cannot be read from {dir}: {reason}")]
    FontsMissing { dir: String, reason: String },
    #[error("the certificate could not be typeset: {0}")]
    Typeset(String),
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl PdfError {
    /// Stable code for the UI's message catalog.
    pub fn code(&self) -> ErrorCode {
        match self {
            PdfError::FontsMissing { .. } => ErrorCode::CertificateFontsMissing,
            PdfError::Typeset(_) => ErrorCode::CertificateTypesetFailed,
            PdfError::Core(error) => error.code(),
        }
    }
}

/// Larger than any certificate PDF Revive makes; a bigger file is not one.
pub const MAX_CERTIFICATE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads the file at `path` (refusing one too large to be a certificate) and checks it.
pub fn verify_path(path: &std::path::Path, public_key: &str) -> Result<Verification, CoreError> {
    Ok(verify_file(&read_bounded(path)?, public_key))
}

/// The bytes of a file someone hands over as a certificate, refusing one too large to be one.
pub fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, CoreError> {
    if std::fs::metadata(path).map_err(CoreError::FileRead)?.len() > MAX_CERTIFICATE_BYTES {
        return Err(CoreError::invalid(Field::Certificate, Problem::TooLarge { max: MAX_CERTIFICATE_BYTES }));
    }
    std::fs::read(path).map_err(CoreError::FileRead)
}

/// Checks a file someone hands over: a certificate PDF (its seal over every byte first, and only
/// then what it carries), or the signed document as JSON.
pub fn verify_file(bytes: &[u8], public_key: &str) -> Verification {
    let signed = if bytes.starts_with(b"%PDF-") {
        if let Err(reason) = seal::check(bytes, public_key) {
            return Verification::invalid(reason, public_key);
        }
        match signed_document_in(bytes) {
            Some(signed) => signed,
            None => return Verification::invalid(Invalidity::NoEmbeddedCertificate, public_key),
        }
    } else {
        match serde_json::from_slice::<SignedDocument>(bytes) {
            Ok(signed) => signed,
            Err(_) => return Verification::invalid(Invalidity::NotACertificate, public_key),
        }
    };
    verify_document(&signed, public_key)
}
