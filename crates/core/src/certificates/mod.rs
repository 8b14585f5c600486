//! Signed repair certificates. This part holds the shop's signing key and the canonical, signed form
//! of a certificate's content, so anyone with the shop's public key can check offline that a
//! certificate is the one the shop issued, unaltered.

mod issue;
mod key;
mod reasons;
mod revocation;
mod signing;
mod verify;

pub(crate) use issue::certificates_in;
pub use issue::{
    warranty_days, BurnInEvidence, Certificate, CertificateDocument, CertificateLanguage, Certificates, CertifiedGpu,
    LoadTests, MemoryEvidence, NamedFinding, PartLine, ProcedureDone, ReleaseEvidence, ShopIdentity, MAX_WARRANTY_DAYS,
};
pub use reasons::RevocationReason;
pub use revocation::{Revocation, StatusEntry, StatusList, STATUS_LIST_FORMAT};
pub use signing::{
    canonical, check_seal, fingerprint_of, public_key_file, public_key_in, CertifiedFacts, Invalidity, QrPayload,
    ShopKey, SignedDocument, Verdict, FACTS_SCHEMA, KEY_FILE, MIN_PASSPHRASE,
};
pub use verify::{verify_document, verify_payload, Verification};
