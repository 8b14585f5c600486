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

use crate::error::{CoreError, CoreResult};

/// The private key's file in the data directory: 32 bytes, readable by the owner only.
pub const KEY_FILE: &str = "shop-signing-key.ed25519";

pub struct ShopKey {
    signing: SigningKey,
}

impl ShopKey {
    /// The shop's key from the data directory, created on first use.
    pub fn load_or_create(data_dir: &Path) -> CoreResult<ShopKey> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let seed: [u8; 32] =
                    bytes.as_slice().try_into().map_err(|_| CoreError::KeyUnusable(path.display().to_string()))?;
                Ok(ShopKey { signing: SigningKey::from_bytes(&seed) })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| CoreError::KeyUnusable(e.to_string()))?;
                std::fs::create_dir_all(data_dir)?;
                write_private(&path, &seed)?;
                Ok(ShopKey { signing: SigningKey::from_bytes(&seed) })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The public key anyone verifies with, base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes())
    }

    /// A short, printable fingerprint of the public key: the first 16 hex digits of its SHA-256,
    /// in groups of four.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.signing.verifying_key().as_bytes())
    }

    pub fn sign<T: Serialize>(&self, document: &T) -> CoreResult<SignedDocument> {
        let canonical = canonical(document)?;
        let signature = self.signing.sign(canonical.as_bytes());
        Ok(SignedDocument {
            sha256: format!("{:x}", Sha256::digest(canonical.as_bytes())),
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            document: canonical,
        })
    }
}

fn fingerprint(public_key: &[u8]) -> String {
    let hex = format!("{:x}", Sha256::digest(public_key));
    [&hex[0..4], &hex[4..8], &hex[8..12], &hex[12..16]].join("-")
}

/// Creates the key file readable and writable by its owner only, complete or not at all.
fn write_private(path: &Path, seed: &[u8; 32]) -> CoreResult<()> {
    let partial = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial)?;
    file.write_all(seed)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// Canonical JSON: keys sorted (serde_json's map is ordered), compact.
pub fn canonical<T: Serialize>(document: &T) -> CoreResult<String> {
    let value = serde_json::to_value(document)?;
    Ok(serde_json::to_string(&value)?)
}

/// A document as issued: its canonical text, its SHA-256 and the shop's signature over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedDocument {
    pub document: String,
    pub sha256: String,
    pub signature: String,
}

/// What checking a signed document found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
pub enum Verdict {
    Valid,
    Invalid(String),
}

impl SignedDocument {
    /// Checks the document against its hash and the signature against `public_key` (base64url).
    pub fn verify(&self, public_key: &str) -> Verdict {
        let invalid = |reason: &str| Verdict::Invalid(reason.to_owned());
        let Ok(key_bytes) = URL_SAFE_NO_PAD.decode(public_key.trim()) else {
            return invalid("the public key is not base64url");
        };
        let Ok(key_bytes) = <[u8; 32]>::try_from(key_bytes.as_slice()) else {
            return invalid("the public key is not 32 bytes");
        };
        let Ok(key) = VerifyingKey::from_bytes(&key_bytes) else {
            return invalid("the public key is not an Ed25519 key");
        };
        // The text must be canonical: otherwise equal-looking documents could differ in their bytes.
        match serde_json::from_str::<serde_json::Value>(&self.document) {
            Ok(value) if serde_json::to_string(&value).ok().as_deref() == Some(self.document.as_str()) => {}
            _ => return invalid("the document is not canonical JSON"),
        }
        if format!("{:x}", Sha256::digest(self.document.as_bytes())) != self.sha256 {
            return invalid("the document does not match its hash");
        }
        let Ok(signature) = URL_SAFE_NO_PAD.decode(&self.signature) else {
            return invalid("the signature is not base64url");
        };
        let Ok(signature) = <[u8; 64]>::try_from(signature.as_slice()) else {
            return invalid("the signature is not 64 bytes");
        };
        match key.verify_strict(self.document.as_bytes(), &Signature::from_bytes(&signature)) {
            Ok(()) => Verdict::Valid,
            Err(_) => invalid("the signature does not match this shop's key"),
        }
    }
}
