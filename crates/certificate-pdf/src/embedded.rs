//! Finding the signed certificate document attached to a PDF.

use lopdf::{Document, Object};
use revive_core::certificates::SignedDocument;

/// The attachment's file name; the template attaches the signed document under it.
pub const ATTACHMENT_NAME: &str = "revive-certificate.json";
/// Far more than any signed certificate document; an attachment that inflates past it is not one.
pub const MAX_ATTACHMENT_BYTES: u64 = 1024 * 1024;

/// The signed document attached to `pdf`, if the PDF can be read and carries exactly one.
pub fn signed_document_in(pdf: &[u8]) -> Option<SignedDocument> {
    let document = Document::load_mem(pdf).ok()?;
    let mut found = document.objects.values().filter_map(|object| attachment(&document, object));
    let first = found.next()?;
    // Two attachments under Revive's name: someone added one; trust neither.
    if found.next().is_some() {
        return None;
    }
    serde_json::from_slice(&first).ok()
}

/// The content of `object` when it is a file specification for Revive's attachment.
fn attachment(document: &Document, object: &Object) -> Option<Vec<u8>> {
    let spec = object.as_dict().ok()?;
    if spec.get(b"Type").and_then(Object::as_name).ok()? != b"Filespec" {
        return None;
    }
    let name = spec.get(b"UF").or_else(|_| spec.get(b"F")).and_then(Object::as_str).ok()?;
    if name != ATTACHMENT_NAME.as_bytes() {
        return None;
    }
    let embedded = spec.get(b"EF").and_then(Object::as_dict).ok()?;
    let reference = embedded.get(b"F").and_then(Object::as_reference).ok()?;
    let stream = document.get_object(reference).and_then(Object::as_stream).ok()?;
    let content = match stream.dict.get(b"Filter").ok() {
        None => stream.content.clone(),
        Some(filter) if filter.as_name().ok()? == b"FlateDecode" => inflated(&stream.content)?,
        // Revive writes nothing else: another filter (or a chain of them) is not its attachment.
        Some(_) => return None,
    };
    (content.len() as u64 <= MAX_ATTACHMENT_BYTES).then_some(content)
}

/// `compressed` inflated, reading no more than one byte past the limit: a bomb stops there.
fn inflated(compressed: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut content = Vec::new();
    flate2::read::ZlibDecoder::new(compressed).take(MAX_ATTACHMENT_BYTES + 1).read_to_end(&mut content).ok()?;
    Some(content)
}
