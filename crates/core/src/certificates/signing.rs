//! The shop's Ed25519 key and signed canonical JSON documents.
//!
//! Canonical form: the document's JSON with object keys sorted and no insignificant whitespace, so
//! the same content always gives the same bytes, the same SHA-256 and the same signature.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::files::AtomicFile;

/// The private key's file in the data directory: 32 bytes, readable by the owner only.
pub const KEY_FILE: &str = "shop-signing-key.ed25519";

pub struct ShopKey {
    signing: SigningKey,
    /// The key file was readable by others than its owner when loaded (restored from a home
    /// backup, copied by hand); it is private now, but may have been read.
    exposed: bool,
}

/// What the plain text of an encrypted key backup starts with.
const SEALED_KEY_HEADER: &str = "revive shop signing key v1\n";
/// The shortest passphrase a key backup takes: it is all that stands between a lost USB stick
/// and forged certificates.
pub const MIN_PASSPHRASE: usize = 10;
const MAX_PASSPHRASE: usize = 1_000;
/// scrypt's work factor when the shop's key is sealed (2^17: 128 MiB of memory). A fixed one: age
/// would otherwise measure this machine at that moment, and a key sealed on a fast or idle
/// computer could then be refused on a slower or busy one (as a test here once was).
const SEALING_WORK_FACTOR: u8 = 17;
/// The most work a sealed key may ask to be opened: also a key sealed by the `age` tool on a fast
/// computer, but not a file made to take hours.
const OPENING_WORK_FACTOR: u8 = 22;

impl ShopKey {
    /// The key in `data_dir`, or a new one there: for a folder without a shop's store (tests, the
    /// samples). A shop goes through its certificates' `key()`, which never replaces a key that
    /// signed something.
    pub fn load_or_create(data_dir: &Path) -> CoreResult<ShopKey> {
        match ShopKey::load(data_dir)? {
            Some(key) => Ok(key),
            None => ShopKey::create(data_dir),
        }
    }

    /// A new key written to `data_dir`, never over a key already there: when another instance of
    /// Revive made one first, that one is the shop's and is returned.
    pub fn create(data_dir: &Path) -> CoreResult<ShopKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CoreError::KeyUnusable(e.to_string()))?;
        std::fs::create_dir_all(data_dir)?;
        match write_key(data_dir, &seed, false) {
            Ok(()) => Ok(ShopKey { signing: SigningKey::from_bytes(&seed), exposed: false }),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                ShopKey::load(data_dir)?.ok_or_else(|| CoreError::KeyUnusable(KEY_FILE.into()))
            }
            Err(error) => Err(CoreError::FileWrite(error)),
        }
    }

    /// The shop's key if the data directory has one; never makes one (checking is not issuing).
    /// A key file others could read is made private, and the key says it was exposed.
    pub fn load(data_dir: &Path) -> CoreResult<Option<ShopKey>> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let seed: [u8; 32] =
                    bytes.as_slice().try_into().map_err(|_| CoreError::KeyUnusable(path.display().to_string()))?;
                Ok(Some(ShopKey { signing: SigningKey::from_bytes(&seed), exposed: make_private(&path)? }))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes this key into `data_dir`, replacing the one there.
    pub(crate) fn install(&self, data_dir: &Path) -> CoreResult<()> {
        std::fs::create_dir_all(data_dir)?;
        write_key(data_dir, &self.signing.to_bytes(), true).map_err(CoreError::FileWrite)
    }

    pub fn was_exposed(&self) -> bool {
        self.exposed
    }

    /// The key encrypted with `passphrase` (age, scrypt): a file that can sit on a USB stick.
    pub fn sealed(&self, passphrase: &str) -> CoreResult<Vec<u8>> {
        let passphrase = checked_passphrase(passphrase)?;
        let text = format!("{SEALED_KEY_HEADER}{}\n", URL_SAFE_NO_PAD.encode(self.signing.to_bytes()));
        let mut recipient = age::scrypt::Recipient::new(passphrase.into());
        recipient.set_work_factor(SEALING_WORK_FACTOR);
        age::encrypt(&recipient, text.as_bytes()).map_err(|e| CoreError::KeyUnusable(e.to_string()))
    }

    /// The key in a file [`ShopKey::sealed`] wrote, opened with its passphrase.
    pub fn unsealed(sealed: &[u8], passphrase: &str) -> CoreResult<ShopKey> {
        let passphrase = checked_passphrase(passphrase)?;
        let mut identity = age::scrypt::Identity::new(passphrase.into());
        identity.set_max_work_factor(OPENING_WORK_FACTOR);
        let text = age::decrypt(&identity, sealed).map_err(|error| match error {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                CoreError::invalid(Field::Passphrase, Problem::Mismatch)
            }
            _ => CoreError::invalid(Field::KeyFile, Problem::BadFormat),
        })?;
        let seed = std::str::from_utf8(&text)
            .ok()
            .and_then(|text| text.strip_prefix(SEALED_KEY_HEADER))
            .and_then(|rest| URL_SAFE_NO_PAD.decode(rest.trim()).ok())
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
            .ok_or(CoreError::invalid(Field::KeyFile, Problem::BadFormat))?;
        Ok(ShopKey { signing: SigningKey::from_bytes(&seed), exposed: false })
    }

    /// The public key anyone verifies with, base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes())
    }

    /// A printable fingerprint of the public key: the first 32 hex digits of its SHA-256, in groups
    /// of four.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.signing.verifying_key().as_bytes())
    }

    /// Signs the document's number and the SHA-256 of its canonical form, so the QR code's
    /// number, hash and signature can be checked on their own, and the embedded document against them.
    pub fn sign<T: Serialize>(&self, document: &T) -> CoreResult<SignedDocument> {
        let canonical = canonical(document)?;
        let sha256 = format!("{:x}", Sha256::digest(canonical.as_bytes()));
        let message = Claims::of(&canonical, &fingerprint_digits(self.signing.verifying_key().as_bytes()))
            .ok_or_else(|| {
                <serde_json::Error as serde::ser::Error>::custom("a signed document needs its number and card")
            })?
            .message(&sha256);
        let signature = self.signing.sign(message.as_bytes());
        Ok(SignedDocument { sha256, signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()), document: canonical })
    }

    /// Signs a document that is not a certificate (a status list) in `domain`, which no
    /// certificate's signature can stand in for.
    pub fn sign_in_domain<T: Serialize>(&self, domain: &str, document: &T) -> CoreResult<SignedDocument> {
        let canonical = canonical(document)?;
        let sha256 = format!("{:x}", Sha256::digest(canonical.as_bytes()));
        let signature = self.signing.sign(format!("{domain}\n{sha256}").as_bytes());
        Ok(SignedDocument { sha256, signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()), document: canonical })
    }

    /// Seals a certificate file: signs the SHA-256 of its bytes (all but the place of this
    /// signature), so that any change to the file, its pages as much as its attachment, shows.
    pub fn seal(&self, file_sha256: &[u8; 32]) -> [u8; 64] {
        self.signing.sign(&sealed_message(file_sha256)).to_bytes()
    }
}

/// What a file's seal covers: a fixed context and the SHA-256 of the file's bytes (all but the
/// place of the seal's own signature). Another context than a document's, so neither signature can
/// stand in for the other.
fn sealed_message(file_sha256: &[u8; 32]) -> Vec<u8> {
    [b"revive-certificate-file/1\n".as_slice(), file_sha256].concat()
}

/// Checks a file's seal, `signature`, over the SHA-256 of its bytes with `public_key` (base64url).
pub fn check_seal(public_key: &str, file_sha256: &[u8; 32], signature: &[u8; 64]) -> Verdict {
    let Some(key) = verifying_key(public_key) else {
        return Verdict::Invalid(Invalidity::PublicKeyMalformed);
    };
    match key.verify_strict(&sealed_message(file_sha256), &Signature::from_bytes(signature)) {
        Ok(()) => Verdict::Valid,
        Err(_) => Verdict::Invalid(Invalidity::ChangedAfterSealing),
    }
}

fn verifying_key(public_key: &str) -> Option<VerifyingKey> {
    URL_SAFE_NO_PAD
        .decode(public_key.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
}

/// The schema from which a certificate's signature binds its printed facts as well as its hash.
pub const FACTS_SCHEMA: u64 = 2;

/// What a certificate's signature covers besides the hash of its document.
enum Claims {
    /// Documents of schema 1: the number alone (certificates issued before the facts were bound).
    Number(String),
    /// The facts printed big on the page and carried by the QR code, so a genuine code cannot
    /// vouch for another card; a simulated certificate is signed in a domain of its own.
    Facts(CertifiedFacts),
}

impl Claims {
    /// The claims of a canonical document signed by the key with this fingerprint.
    fn of(canonical: &str, fingerprint: &str) -> Option<Claims> {
        let value: serde_json::Value = serde_json::from_str(canonical).ok()?;
        let text = |pointer: &str| value.pointer(pointer)?.as_str().map(str::to_owned);
        let number = text("/number")?;
        if value.get("schema").and_then(serde_json::Value::as_u64).unwrap_or(1) < FACTS_SCHEMA {
            return Some(Claims::Number(number));
        }
        let issued = text("/issuedAt")?;
        let days = value.get("warrantyDays")?.as_u64()?;
        Some(Claims::Facts(CertifiedFacts {
            number,
            serial: text("/gpu/serial")?,
            model: text("/gpu/model")?,
            warranty_end: warranty_end(&issued, days)?,
            simulated: value.get("simulated")?.as_bool()?,
            key_fingerprint: fingerprint.to_owned(),
        }))
    }

    fn number(&self) -> &str {
        match self {
            Claims::Number(number) => number,
            Claims::Facts(facts) => &facts.number,
        }
    }

    /// The bytes signed: a context naming the scheme (and, for facts, real or simulated), the claims
    /// and the document's hash.
    fn message(&self, sha256: &str) -> String {
        match self {
            Claims::Number(number) => format!("revive-certificate/1\n{number}\n{sha256}"),
            Claims::Facts(f) => {
                let domain = if f.simulated { "revive-simulated-certificate/2" } else { "revive-certificate/2" };
                format!(
                    "{domain}\n{}\n{}\n{}\n{}\n{}\n{sha256}",
                    f.number, f.serial, f.model, f.warranty_end, f.key_fingerprint
                )
            }
        }
    }
}

/// The facts a certificate of schema 2 signs beside its hash, as its QR code carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CertifiedFacts {
    pub number: String,
    pub serial: String,
    /// The model id (`h100-sxm5-80gb`).
    pub model: String,
    /// The last day of the warranty, `YYYY-MM-DD`.
    pub warranty_end: String,
    /// From the simulated bench: proves nothing about real hardware.
    pub simulated: bool,
    /// The shop key's fingerprint, 32 hex digits.
    pub key_fingerprint: String,
}

/// The day a warranty of `days` from the day of `issued_at` (RFC 3339) ends, as the page prints it.
fn warranty_end(issued_at: &str, days: u64) -> Option<String> {
    let issued = time::OffsetDateTime::parse(issued_at, &time::format_description::well_known::Rfc3339).ok()?;
    let end = issued.date().checked_add(time::Duration::days(i64::try_from(days).ok()?))?;
    let (year, month, day) = (end.year(), u8::from(end.month()), end.day());
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

fn number_of(canonical: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(canonical).ok()?;
    value.get("number")?.as_str().map(str::to_owned)
}

/// The text of an exported public key file: a comment naming the shop and fingerprint, then the key.
pub fn public_key_file(shop_name: &str, public_key: &str) -> String {
    let fingerprint = fingerprint_of(public_key).unwrap_or_default();
    let shop = shop_name.replace(['\n', '\r'], " ");
    format!("# Revive shop public key for certificates of {shop}\n# fingerprint {fingerprint}\n{public_key}\n")
}

/// The key in an exported public key file, or the text itself when it is a bare key.
pub fn public_key_in(text: &str) -> &str {
    text.lines().map(str::trim).find(|line| !line.is_empty() && !line.starts_with('#')).unwrap_or("")
}

/// The fingerprint of a base64url public key, if it is one.
pub fn fingerprint_of(public_key: &str) -> Option<String> {
    fingerprint_digits_of(public_key).map(|digits| grouped(&digits))
}

/// 128 bits of the key's SHA-256 (32 hex digits in groups of four): short enough to read out,
/// long enough that nobody can make another key with the same fingerprint.
fn fingerprint(public_key: &[u8]) -> String {
    grouped(&fingerprint_digits(public_key))
}

/// Hex digits in groups of four, as people read them out.
fn grouped(digits: &str) -> String {
    digits.as_bytes().chunks(4).map(|group| String::from_utf8_lossy(group)).collect::<Vec<_>>().join("-")
}

/// The fingerprint's 32 hex digits without separators, as signatures and QR codes carry it.
fn fingerprint_digits(public_key: &[u8]) -> String {
    format!("{:x}", Sha256::digest(public_key))[..32].to_owned()
}

/// Creates the key file readable and writable by its owner only, complete or not at all.
/// Writes the key file, readable by its owner only; `replace` says whether a key already there goes.
fn write_key(data_dir: &Path, seed: &[u8; 32], replace: bool) -> std::io::Result<()> {
    let mut file = AtomicFile::create(&data_dir.join(KEY_FILE))?;
    file.write_all(seed)?;
    if replace {
        file.commit()
    } else {
        file.commit_new()
    }
}

/// Makes the key file its owner's only; says whether anyone else could read it before.
fn make_private(path: &Path) -> CoreResult<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            return Ok(true);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(false)
}

fn checked_passphrase(passphrase: &str) -> CoreResult<String> {
    let length = passphrase.chars().count();
    if passphrase.trim().is_empty() {
        return Err(CoreError::invalid(Field::Passphrase, Problem::Empty));
    }
    if length < MIN_PASSPHRASE {
        return Err(CoreError::invalid(Field::Passphrase, Problem::TooShort { min: MIN_PASSPHRASE as u64 }));
    }
    if length > MAX_PASSPHRASE {
        return Err(CoreError::invalid(Field::Passphrase, Problem::TooLong { max: MAX_PASSPHRASE as u64 }));
    }
    Ok(passphrase.to_owned())
}

/// Canonical JSON: keys sorted, compact. Sorted here rather than trusted to serde_json's map, which
/// keeps insertion order instead as soon as any crate in the build turns on `preserve_order`.
pub fn canonical<T: Serialize>(document: &T) -> CoreResult<String> {
    Ok(serde_json::to_string(&keys_sorted(serde_json::to_value(document)?))?)
}

fn keys_sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(key, value)| (key, keys_sorted(value))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(keys_sorted).collect()),
        other => other,
    }
}

/// A document as issued: its canonical text, its SHA-256 and the shop's signature over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SignedDocument {
    pub document: String,
    pub sha256: String,
    pub signature: String,
}

/// What checking a signed document or a QR payload found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
pub enum Verdict {
    Valid,
    Invalid(Invalidity),
}

/// Why a certificate is not the one the shop issued; the UI translates the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Invalidity {
    #[error("the public key is not a base64url Ed25519 key")]
    PublicKeyMalformed,
    #[error("the document is not canonical JSON")]
    NotCanonical,
    #[error("the document has no certificate number")]
    NumberMissing,
    #[error("the document does not match its hash")]
    HashMismatch,
    #[error("the signature is not 64 base64url bytes")]
    SignatureMalformed,
    #[error("the signature does not match this shop's key")]
    SignatureMismatch,
    #[error("the QR payload is not a Revive certificate code")]
    PayloadMalformed,
    #[error("the file is neither a Revive certificate PDF nor a signed certificate document")]
    NotACertificate,
    #[error("the PDF carries no readable Revive certificate document")]
    NoEmbeddedCertificate,
    #[error("the PDF carries no shop seal over its pages, so what it shows cannot be checked")]
    NotSealed,
    #[error("the shop's seal on the PDF cannot be read")]
    SealMalformed,
    #[error("the file was changed after the shop sealed it: its pages or content are not what was issued")]
    ChangedAfterSealing,
    #[error("something was added to the file after the shop sealed it")]
    AddedAfterSealing,
    #[error("the shop revoked this certificate")]
    Revoked,
    #[error("the status list is not one this shop signed")]
    StatusListInvalid,
}

/// Checks `signature` over `message` with `public_key` (base64url).
fn check_signature(public_key: &str, message: &str, signature: &str) -> Verdict {
    let Some(key) = verifying_key(public_key) else {
        return Verdict::Invalid(Invalidity::PublicKeyMalformed);
    };
    let Some(signature) =
        URL_SAFE_NO_PAD.decode(signature).ok().and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
    else {
        return Verdict::Invalid(Invalidity::SignatureMalformed);
    };
    match key.verify_strict(message.as_bytes(), &Signature::from_bytes(&signature)) {
        Ok(()) => Verdict::Valid,
        Err(_) => Verdict::Invalid(Invalidity::SignatureMismatch),
    }
}

impl SignedDocument {
    /// Checks the document against its hash and the signature against `public_key` (base64url).
    pub fn verify(&self, public_key: &str) -> Verdict {
        // The text must be canonical: otherwise equal-looking documents could differ in their bytes.
        match serde_json::from_str::<serde_json::Value>(&self.document) {
            Ok(value) if serde_json::to_string(&value).ok().as_deref() == Some(self.document.as_str()) => {}
            _ => return Verdict::Invalid(Invalidity::NotCanonical),
        }
        if number_of(&self.document).is_none() {
            return Verdict::Invalid(Invalidity::NumberMissing);
        }
        if format!("{:x}", Sha256::digest(self.document.as_bytes())) != self.sha256 {
            return Verdict::Invalid(Invalidity::HashMismatch);
        }
        let Some(claims) = Claims::of(&self.document, &fingerprint_digits_of(public_key).unwrap_or_default()) else {
            return Verdict::Invalid(Invalidity::NotACertificate);
        };
        check_signature(public_key, &claims.message(&self.sha256), &self.signature)
    }

    /// Checks a document signed with [`ShopKey::sign_in_domain`] in `domain`.
    pub fn verify_in_domain(&self, domain: &str, public_key: &str) -> Verdict {
        match serde_json::from_str::<serde_json::Value>(&self.document) {
            Ok(value) if serde_json::to_string(&value).ok().as_deref() == Some(self.document.as_str()) => {}
            _ => return Verdict::Invalid(Invalidity::NotCanonical),
        }
        if format!("{:x}", Sha256::digest(self.document.as_bytes())) != self.sha256 {
            return Verdict::Invalid(Invalidity::HashMismatch);
        }
        check_signature(public_key, &format!("{domain}\n{}", self.sha256), &self.signature)
    }

    /// The printed facts the signature binds (none for a certificate of schema 1), as signed by
    /// the key with `public_key`.
    pub fn facts(&self, public_key: &str) -> Option<CertifiedFacts> {
        match Claims::of(&self.document, &fingerprint_digits_of(public_key)?)? {
            Claims::Facts(facts) => Some(facts),
            Claims::Number(_) => None,
        }
    }

    /// The compact text the certificate's QR code carries.
    /// The text of the certificate's QR code, for the key with `public_key` that signed it.
    pub fn qr_payload(&self, public_key: &str) -> CoreResult<QrPayload> {
        let fingerprint = fingerprint_digits_of(public_key).unwrap_or_default();
        let claims = Claims::of(&self.document, &fingerprint).ok_or_else(|| {
            <serde_json::Error as serde::de::Error>::custom("a signed document needs its number and card")
        })?;
        Ok(QrPayload {
            number: claims.number().to_owned(),
            sha256: self.sha256.clone(),
            signature: self.signature.clone(),
            facts: match claims {
                Claims::Facts(facts) => Some(facts),
                Claims::Number(_) => None,
            },
        })
    }
}

/// What a certificate's QR code carries: its number, the hash of its document and the shop's
/// signature, and from schema 2 the printed facts the signature binds, so that whoever holds the card
/// checks the serial on the board's label against a code no one can have made for another card.
/// `RVC2:<R|S>:<number>:<serial>:<model>:<warranty end>:<key fingerprint>:<sha256>:<signature>`;
/// certificates issued before carry `RVC1:<number>:<sha256>:<signature>` and still verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QrPayload {
    pub number: String,
    pub sha256: String,
    pub signature: String,
    pub facts: Option<CertifiedFacts>,
}

const QR_PREFIX: &str = "RVC1";
const QR_FACTS_PREFIX: &str = "RVC2";

impl QrPayload {
    /// Reads a payload as a scanner types it (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<QrPayload, Invalidity> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        let (number, sha256, signature, facts) = match parts.as_slice() {
            [QR_PREFIX, number, sha256, signature] => (*number, *sha256, *signature, None),
            [QR_FACTS_PREFIX, kind, number, serial, model, warranty_end, fingerprint, sha256, signature] => {
                let simulated = match *kind {
                    "R" => false,
                    "S" => true,
                    _ => return Err(Invalidity::PayloadMalformed),
                };
                let printable =
                    |field: &str| !field.is_empty() && field.len() <= 64 && field.bytes().all(|b| b.is_ascii_graphic());
                let date = warranty_end.len() == 10 && warranty_end.bytes().all(|b| b.is_ascii_digit() || b == b'-');
                if ![serial, model].iter().all(|field| printable(field)) || !date || !is_hex(fingerprint, 32) {
                    return Err(Invalidity::PayloadMalformed);
                }
                let facts = CertifiedFacts {
                    number: (*number).to_owned(),
                    serial: (*serial).to_owned(),
                    model: (*model).to_owned(),
                    warranty_end: (*warranty_end).to_owned(),
                    simulated,
                    key_fingerprint: (*fingerprint).to_owned(),
                };
                (*number, *sha256, *signature, Some(facts))
            }
            _ => return Err(Invalidity::PayloadMalformed),
        };
        let number_ok = !number.is_empty() && number.len() <= 32 && number.bytes().all(|b| b.is_ascii_graphic());
        if !is_hex(sha256, 64) || !number_ok || signature.is_empty() {
            return Err(Invalidity::PayloadMalformed);
        }
        Ok(QrPayload { number: number.to_owned(), sha256: sha256.to_owned(), signature: signature.to_owned(), facts })
    }

    pub fn verify(&self, public_key: &str) -> Verdict {
        let message = match &self.facts {
            // Made by another shop's key: its fingerprint is not this one.
            Some(facts) if Some(facts.key_fingerprint.as_str()) != fingerprint_digits_of(public_key).as_deref() => {
                return Verdict::Invalid(Invalidity::SignatureMismatch);
            }
            Some(facts) => Claims::Facts(facts.clone()).message(&self.sha256),
            None => Claims::Number(self.number.clone()).message(&self.sha256),
        };
        check_signature(public_key, &message, &self.signature)
    }
}

fn is_hex(text: &str, digits: usize) -> bool {
    text.len() == digits && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The 32 fingerprint digits of a base64url public key, if it is one.
fn fingerprint_digits_of(public_key: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(public_key.trim()).ok()?;
    (bytes.len() == 32).then(|| fingerprint_digits(&bytes))
}

impl std::fmt::Display for QrPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.facts {
            None => write!(f, "{QR_PREFIX}:{}:{}:{}", self.number, self.sha256, self.signature),
            Some(facts) => write!(
                f,
                "{QR_FACTS_PREFIX}:{}:{}:{}:{}:{}:{}:{}:{}",
                if facts.simulated { "S" } else { "R" },
                facts.number,
                facts.serial,
                facts.model,
                facts.warranty_end,
                facts.key_fingerprint,
                self.sha256,
                self.signature
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Unordered {
        zulu: u8,
        alpha: Vec<Inner>,
        mike: &'static str,
    }

    #[derive(Serialize)]
    struct Inner {
        yankee: bool,
        bravo: &'static str,
    }

    #[test]
    fn a_sealed_key_asks_the_same_work_wherever_it_was_sealed_and_opens_again() {
        let key = ShopKey { signing: SigningKey::from_bytes(&[7; 32]), exposed: false };
        let sealed = key.sealed("王芳的长密码 José").unwrap();
        // The scrypt stanza names its work factor: fixed, not measured on this machine now.
        let header = String::from_utf8_lossy(&sealed[..200.min(sealed.len())]).into_owned();
        assert!(header.contains(&format!(" {SEALING_WORK_FACTOR}\n")), "{header}");
        let opened = ShopKey::unsealed(&sealed, "王芳的长密码 José").unwrap();
        assert_eq!(opened.public_key(), key.public_key());
        assert!(matches!(
            ShopKey::unsealed(&sealed, "another passphrase"),
            Err(CoreError::Invalid { field: Field::Passphrase, problem: Problem::Mismatch })
        ));
    }

    #[test]
    fn canonical_sorts_keys_at_every_depth_whatever_order_they_were_written_in() {
        let document = Unordered { zulu: 1, alpha: vec![Inner { yankee: true, bravo: "王芳" }], mike: "José" };
        assert_eq!(
            canonical(&document).unwrap(),
            r#"{"alpha":[{"bravo":"王芳","yankee":true}],"mike":"José","zulu":1}"#
        );
    }
}
