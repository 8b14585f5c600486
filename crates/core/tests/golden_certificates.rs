//! Certificates issued before the signed document was fully typed keep their exact canonical bytes:
//! each golden file is a document as an earlier Revive signed it (an issued one, its re-issue, and
//! the simulated sample the paper tests print). Read into today's types and written out again, it
//! must be the same text, or every certificate a shop has handed out would stop matching its hash.

use revive_core::certificates::{canonical, CertificateDocument, ShopKey, Verdict};

const GOLDEN: [&str; 3] = [
    include_str!("golden/certificate-issued.json"),
    include_str!("golden/certificate-reissued.json"),
    include_str!("golden/certificate-sample-simulated.json"),
];

#[test]
fn documents_issued_before_keep_their_exact_canonical_bytes() {
    for stored in GOLDEN {
        let stored = stored.trim_end();
        let document: CertificateDocument = serde_json::from_str(stored).unwrap();
        assert_eq!(canonical(&document).unwrap(), stored);
    }
}

#[test]
fn a_golden_document_signs_and_verifies_as_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let document: CertificateDocument = serde_json::from_str(GOLDEN[0].trim_end()).unwrap();
    let signed = key.sign(&document).unwrap();
    assert_eq!(signed.document, GOLDEN[0].trim_end());
    assert_eq!(signed.verify(&key.public_key()), Verdict::Valid);
    // One typed field changed: the same document no longer.
    let mut forged = document.clone();
    forged.gpu.serial = "1654922099999".into();
    assert_ne!(key.sign(&forged).unwrap().sha256, signed.sha256);
}
