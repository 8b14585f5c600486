//! The shop's seal over a certificate PDF, so that the page a person reads is checked, not only the
//! document attached to it.
//!
//! Design: after typesetting, Revive appends one incremental update holding a PDF signature field
//! (ISO 32000-1 §12.8). Its `/ByteRange [0 a b c]` covers every byte of the file except the hex
//! string `/Contents <…>` at `a..b`, which holds an Ed25519 signature by the shop's key over the
//! SHA-256 of the covered bytes. Checking needs no PDF parser: find the last `/ByteRange`, require
//! it to reach the end of the file (anything appended later is an addition after sealing), and
//! check the signature. Only a file that passes is handed to a PDF parser, so a hostile file never
//! gets decompressed. Viewers and `pdfsig` list the field; its filter is Revive's own
//! (`/Revive.Seal`), since the signature is a bare Ed25519 signature, not a CMS container.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, StringFormat};
use revive_core::certificates::{check_seal, Invalidity, ShopKey, Verdict};
use sha2::{Digest, Sha256};

use crate::PdfError;

/// A number of the placeholder `/ByteRange`: wide enough for any offset, replaced digit for digit.
const OFFSET_PLACEHOLDER: i64 = 9_999_999_999;
const OFFSET_DIGITS: usize = 10;
const SIGNATURE_BYTES: usize = 64;
/// The seal dictionary's entry naming the public key that sealed the file (base64url).
const SEALING_KEY: &str = "Revive.Key";

/// The PDF with the shop's seal appended.
pub fn seal(pdf: Vec<u8>, key: &ShopKey) -> Result<Vec<u8>, PdfError> {
    let broken = |what: &str| PdfError::Typeset(format!("cannot seal the certificate: {what}"));
    let document = Document::load_mem(&pdf).map_err(|e| broken(&e.to_string()))?;
    let root = document.trailer.get(b"Root").and_then(Object::as_reference).map_err(|e| broken(&e.to_string()))?;
    let page = *document.get_pages().values().next().ok_or_else(|| broken("no page"))?;
    let original_length = pdf.len();
    let mut update = IncrementalDocument::create_from(pdf, document);

    let placeholder = Object::Integer(OFFSET_PLACEHOLDER);
    let signature = update.new_document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Revive.Seal".to_vec())),
        ("SubFilter", Object::Name(b"Revive.Ed25519.v1".to_vec())),
        ("ByteRange", Object::Array(vec![Object::Integer(0), placeholder.clone(), placeholder.clone(), placeholder])),
        ("Contents", Object::String(vec![0; SIGNATURE_BYTES], StringFormat::Hexadecimal)),
        // Which key sealed it, so a check with another shop's key says so rather than "changed".
        (SEALING_KEY, Object::string_literal(key.public_key())),
    ]));
    let field = update.new_document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Widget".to_vec())),
        ("FT", Object::Name(b"Sig".to_vec())),
        ("T", Object::string_literal("Revive shop seal")),
        ("V", Object::Reference(signature)),
        ("Rect", Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()])),
        // Hidden and locked: the seal is checked, not shown.
        ("F", Object::Integer(2 | 128)),
        ("P", Object::Reference(page)),
    ]));
    update.opt_clone_object_to_new_document(root).map_err(|e| broken(&e.to_string()))?;
    update.opt_clone_object_to_new_document(page).map_err(|e| broken(&e.to_string()))?;
    let catalog = update.new_document.get_dictionary_mut(root).map_err(|e| broken(&e.to_string()))?;
    catalog.set(
        "AcroForm",
        Dictionary::from_iter([
            ("Fields", Object::Array(vec![Object::Reference(field)])),
            // Signatures exist; the file is only to be appended to.
            ("SigFlags", Object::Integer(3)),
        ]),
    );
    let page = update.new_document.get_dictionary_mut(page).map_err(|e| broken(&e.to_string()))?;
    match page.get_mut(b"Annots") {
        Ok(Object::Array(annotations)) => annotations.push(Object::Reference(field)),
        _ => page.set("Annots", Object::Array(vec![Object::Reference(field)])),
    }

    let mut sealed = Vec::new();
    update.save_to(&mut sealed).map_err(|e| broken(&e.to_string()))?;
    let (from, to) = contents_span(&sealed, original_length).ok_or_else(|| broken("no signature place"))?;
    let rest = sealed.len() - to;
    fill_byte_range(&mut sealed, original_length, [from, to, rest]).ok_or_else(|| broken("no byte range place"))?;
    let signature = key.seal(&covered_sha256(&sealed, from, to));
    let hex: String = signature.iter().map(|byte| format!("{byte:02X}")).collect();
    sealed[from + 1..to - 1].copy_from_slice(hex.as_bytes());
    Ok(sealed)
}

/// Checks the seal of `pdf` against `public_key`: every byte is what the shop sealed, and nothing
/// follows the seal.
pub fn check(pdf: &[u8], public_key: &str) -> Result<(), Invalidity> {
    let at = find_last(pdf, b"/ByteRange").ok_or(Invalidity::NotSealed)?;
    let [start, from, to, rest] = byte_range(&pdf[at + b"/ByteRange".len()..]).ok_or(Invalidity::SealMalformed)?;
    let (from, to, rest) = (to_usize(from)?, to_usize(to)?, to_usize(rest)?);
    if start != 0 || from >= to {
        return Err(Invalidity::SealMalformed);
    }
    // The ranges no longer fit the file (it was rewritten, cut short or moved about): changed.
    let sealed_length = to.checked_add(rest).filter(|length| *length <= pdf.len());
    let signature = sealed_length
        .filter(|_| !(from..to).contains(&at))
        .and_then(|_| pdf[from..to].strip_prefix(b"<")?.strip_suffix(b">"))
        .and_then(decode_hex);
    let (Some(sealed_length), Some(signature)) = (sealed_length, signature) else {
        return Err(Invalidity::ChangedAfterSealing);
    };
    match check_seal(public_key, &covered_sha256(&pdf[..sealed_length], from, to), &signature) {
        // The file as sealed is all there, with more after it: an update saved on top.
        Verdict::Valid if sealed_length < pdf.len() => Err(Invalidity::AddedAfterSealing),
        Verdict::Valid => Ok(()),
        Verdict::Invalid(Invalidity::ChangedAfterSealing) if sealing_key(&pdf[to..]) != Some(public_key.trim()) => {
            Err(Invalidity::SignatureMismatch)
        }
        Verdict::Invalid(reason) => Err(reason),
    }
}

/// The public key the seal says made it: `/Revive.Key (…)` after the signature.
fn sealing_key(after_signature: &[u8]) -> Option<&str> {
    let entry = format!("/{SEALING_KEY}");
    let at = find_first(after_signature, entry.as_bytes())? + entry.len();
    let end = at + after_signature[at..].iter().position(|&b| b == b')')?;
    std::str::from_utf8(&after_signature[at..end]).ok()?.trim_start().strip_prefix('(')
}

fn to_usize(value: i64) -> Result<usize, Invalidity> {
    usize::try_from(value).map_err(|_| Invalidity::SealMalformed)
}

/// The SHA-256 of `bytes` without `from..to`.
fn covered_sha256(bytes: &[u8], from: usize, to: usize) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(&bytes[..from]);
    hash.update(&bytes[to..]);
    hash.finalize().into()
}

/// Where the placeholder signature `<00…00>` sits in the appended update.
fn contents_span(sealed: &[u8], after: usize) -> Option<(usize, usize)> {
    let placeholder = [b"<".as_slice(), &[b'0'; SIGNATURE_BYTES * 2], b">"].concat();
    let from = after + find_last(&sealed[after..], &placeholder)?;
    Some((from, from + placeholder.len()))
}

/// Writes the offsets over the placeholder `/ByteRange` numbers, digit for digit.
fn fill_byte_range(sealed: &mut [u8], after: usize, offsets: [usize; 3]) -> Option<()> {
    let placeholder = OFFSET_PLACEHOLDER.to_string();
    for offset in offsets {
        let at = after + find_first(&sealed[after..], placeholder.as_bytes())?;
        let digits = format!("{offset:0OFFSET_DIGITS$}");
        (digits.len() == OFFSET_DIGITS).then_some(())?;
        sealed[at..at + OFFSET_DIGITS].copy_from_slice(digits.as_bytes());
    }
    Some(())
}

/// The four integers of `[a b c d]` at the start of `text` (after white space).
fn byte_range(text: &[u8]) -> Option<[i64; 4]> {
    let text = text.get(..text.iter().position(|&b| b == b']')? + 1)?;
    let inner = std::str::from_utf8(text).ok()?.trim_start().strip_prefix('[')?.strip_suffix(']')?;
    let numbers: Vec<i64> = inner.split_ascii_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
    numbers.try_into().ok()
}

/// The signature as Revive writes it: upper-case hex only, so that no other bytes mean the same.
fn decode_hex(hex: &[u8]) -> Option<[u8; SIGNATURE_BYTES]> {
    if hex.len() != SIGNATURE_BYTES * 2 || !hex.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)) {
        return None;
    }
    let mut bytes = [0u8; SIGNATURE_BYTES];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(bytes)
}

fn find_first(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|window| window == needle)
}
