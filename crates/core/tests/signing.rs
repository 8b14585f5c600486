//! The shop's key and signed documents: tampering with any field or byte, or checking with another
//! shop's key, is detected.

use revive_core::certificates::{
    canonical, fingerprint_of, public_key_file, public_key_in, CertifiedFacts, Invalidity, QrPayload, ShopKey, Verdict,
    KEY_FILE,
};
use revive_core::CoreError;
use serde_json::json;
use sha2::{Digest, Sha256};

fn document() -> serde_json::Value {
    json!({
        "number": "RC-2026-000001",
        "shop": { "name": "深圳 GPU 复活工坊", "address": "华强北 Futian, Shenzhen" },
        "gpu": { "model": "h100-sxm5-80gb", "serial": "1654922012345", "uuid": "GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d" },
        "findingsCleared": ["remap_pending", "ecc_volatile_uncorrected"],
        "maxTemperatureC": 71,
        "warrantyDays": 90,
        "simulated": false
    })
}

#[test]
fn the_key_is_made_once_and_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let again = ShopKey::load_or_create(dir.path()).unwrap();
    assert_eq!(key.public_key(), again.public_key());
    assert_eq!(key.fingerprint().len(), 39, "128 bits in eight groups of four");
    assert_eq!(fingerprint_of(&key.public_key()).as_deref(), Some(key.fingerprint().as_str()));
    let exported = public_key_file("深圳 GPU\n复活工坊", &key.public_key());
    assert!(exported.contains(&key.fingerprint()) && exported.contains("深圳 GPU 复活工坊"), "{exported}");
    assert_eq!(public_key_in(&exported), key.public_key());
    assert_eq!(public_key_in(&format!("  {}\n", key.public_key())), key.public_key());
    let file = dir.path().join(KEY_FILE);
    assert_eq!(std::fs::read(&file).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    std::fs::write(&file, b"short").unwrap();
    assert!(matches!(ShopKey::load_or_create(dir.path()), Err(CoreError::KeyUnusable(_))));
}

#[test]
fn a_signed_document_verifies_and_canonical_form_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let signed = key.sign(&document()).unwrap();
    assert_eq!(signed.verify(&key.public_key()), Verdict::Valid);
    assert_eq!(signed.document, canonical(&document()).unwrap());
    assert!(signed.document.starts_with(r#"{"findingsCleared":"#), "keys are sorted: {}", signed.document);
    assert_eq!(key.sign(&document()).unwrap(), signed, "Ed25519 signs deterministically");
}

#[test]
fn every_changed_field_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let signed = key.sign(&document()).unwrap();
    let original = document();
    let mut paths = Vec::new();
    fn leaves(value: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| leaves(v, format!("{path}/{k}"), out)),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, v)| leaves(v, format!("{path}/{i}"), out))
            }
            _ => out.push(path),
        }
    }
    leaves(&original, String::new(), &mut paths);
    assert!(paths.len() >= 9);
    for path in paths {
        let mut altered = original.clone();
        let field = altered.pointer_mut(&path).unwrap();
        *field = match field {
            serde_json::Value::String(s) => format!("{s}x").into(),
            serde_json::Value::Number(n) => (n.as_i64().unwrap() + 1).into(),
            serde_json::Value::Bool(b) => (!*b).into(),
            other => panic!("{other:?}"),
        };
        // A forger who recomputes the hash still cannot make the signature fit.
        let mut forged = signed.clone();
        forged.document = canonical(&altered).unwrap();
        forged.sha256 = format!("{:x}", Sha256::digest(forged.document.as_bytes()));
        assert!(matches!(forged.verify(&key.public_key()), Verdict::Invalid(_)), "{path} went unnoticed");
        let mut lazy = signed.clone();
        lazy.document = canonical(&altered).unwrap();
        assert_eq!(lazy.verify(&key.public_key()), Verdict::Invalid(Invalidity::HashMismatch));
    }
}

#[test]
fn random_byte_flips_and_other_keys_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let signed = key.sign(&document()).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..500 {
        let mut bytes = signed.document.clone().into_bytes();
        let at = next(bytes.len());
        bytes[at] ^= 1 << next(7);
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let mut flipped = signed.clone();
        flipped.sha256 = format!("{:x}", Sha256::digest(text.as_bytes()));
        flipped.document = text;
        assert!(matches!(flipped.verify(&key.public_key()), Verdict::Invalid(_)), "flip at {at} went unnoticed");
    }
    for at in [0, 10, 42, 85] {
        let mut signature = signed.signature.clone().into_bytes();
        signature[at] = if signature[at] == b'A' { b'B' } else { b'A' };
        let broken = revive_core::certificates::SignedDocument {
            signature: String::from_utf8(signature).unwrap(),
            ..signed.clone()
        };
        assert!(matches!(broken.verify(&key.public_key()), Verdict::Invalid(_)));
    }
    let other = ShopKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(signed.verify(&other.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    assert_eq!(signed.verify("not a key"), Verdict::Invalid(Invalidity::PublicKeyMalformed));
    let mut pretty = signed.clone();
    pretty.document = serde_json::to_string_pretty(&document()).unwrap();
    pretty.sha256 = format!("{:x}", Sha256::digest(pretty.document.as_bytes()));
    assert_eq!(pretty.verify(&key.public_key()), Verdict::Invalid(Invalidity::NotCanonical));
}

#[test]
fn a_document_without_a_number_is_neither_signed_nor_valid() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    assert!(key.sign(&json!({ "gpu": "h100" })).is_err());
    let mut signed = key.sign(&document()).unwrap();
    signed.document = canonical(&json!({ "gpu": "h100" })).unwrap();
    signed.sha256 = format!("{:x}", Sha256::digest(signed.document.as_bytes()));
    assert_eq!(signed.verify(&key.public_key()), Verdict::Invalid(Invalidity::NumberMissing));
}

#[test]
fn a_schema_1_qr_payload_still_verifies_and_binds_number_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let signed = key.sign(&document()).unwrap();
    let payload = signed.qr_payload(&key.public_key()).unwrap();
    let text = payload.to_string();
    assert!(text.starts_with("RVC1:RC-2026-000001:"), "{text}");
    assert!(text.len() < 200, "compact enough for a small QR code: {} characters", text.len());
    let parsed = QrPayload::parse(&format!("  {text}\n")).unwrap();
    assert_eq!(parsed, payload);
    assert_eq!(parsed.verify(&key.public_key()), Verdict::Valid);

    let other = ShopKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(parsed.verify(&other.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    // Another number or another hash with the same signature: not what the shop signed.
    let renumbered = QrPayload { number: "RC-2026-000002".into(), ..parsed.clone() };
    assert_eq!(renumbered.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    let mut rehashed = parsed.clone();
    rehashed.sha256.replace_range(0..1, if rehashed.sha256.starts_with('0') { "1" } else { "0" });
    assert_eq!(rehashed.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    let resigned = QrPayload { signature: "AAAA".into(), ..parsed };
    assert_eq!(resigned.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMalformed));

    for junk in ["", "RVC1", "RVC2:RC-1:abc:def", "RVC1:RC-1:XYZ:sig", &format!("{text}:extra"), "RVC1::00:sig"] {
        assert_eq!(QrPayload::parse(junk), Err(Invalidity::PayloadMalformed), "{junk:?}");
    }
}

/// A certificate of schema 2, real or from the simulated bench.
fn document_with_facts(simulated: bool) -> serde_json::Value {
    let mut document = document();
    document["schema"] = 2.into();
    document["issuedAt"] = "2026-12-01T15:40:58.543Z".into();
    document["simulated"] = simulated.into();
    document
}

#[test]
fn the_qr_payload_carries_the_printed_facts_and_nothing_else_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let signed = key.sign(&document_with_facts(false)).unwrap();
    assert_eq!(signed.verify(&key.public_key()), Verdict::Valid);
    let text = signed.qr_payload(&key.public_key()).unwrap().to_string();
    let digits = key.fingerprint().replace('-', "");
    let facts = format!("RVC2:R:RC-2026-000001:1654922012345:h100-sxm5-80gb:2027-03-01:{digits}:");
    assert!(text.starts_with(&facts), "number, serial, model, warranty end and key in the clear: {text}");
    assert!(text.len() < 300, "still a small QR code: {} characters", text.len());
    let genuine = QrPayload::parse(&text).unwrap();
    assert_eq!(genuine.verify(&key.public_key()), Verdict::Valid);

    // A genuine code pasted onto another card's paper: each printed fact changed is refused.
    let facts = genuine.facts.clone().unwrap();
    let forgeries = [
        ("serial", CertifiedFacts { serial: "1654922099999".into(), ..facts.clone() }),
        ("model", CertifiedFacts { model: "h200-sxm-141gb".into(), ..facts.clone() }),
        ("warranty", CertifiedFacts { warranty_end: "2031-12-31".into(), ..facts.clone() }),
        ("number", CertifiedFacts { number: "RC-2026-000009".into(), ..facts.clone() }),
    ];
    for (what, forged) in forgeries {
        let payload = QrPayload { facts: Some(forged), ..genuine.clone() };
        assert_eq!(payload.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch), "{what}");
    }
    // Checked with another shop's key: its fingerprint is not the one in the code.
    let other = ShopKey::load_or_create(&dir.path().join("other")).unwrap();
    assert_eq!(genuine.verify(&other.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    assert_eq!(QrPayload::parse(&text.replacen("RVC2:R:", "RVC2:X:", 1)), Err(Invalidity::PayloadMalformed));
}

#[test]
fn a_simulated_certificate_is_signed_in_a_domain_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    let simulated = key.sign(&document_with_facts(true)).unwrap();
    assert_eq!(simulated.verify(&key.public_key()), Verdict::Valid);
    let text = simulated.qr_payload(&key.public_key()).unwrap().to_string();
    assert!(text.starts_with("RVC2:S:"), "{text}");
    // Its signature presented as a real certificate's: refused.
    let as_real = QrPayload::parse(&text.replacen("RVC2:S:", "RVC2:R:", 1)).unwrap();
    assert_eq!(as_real.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
    // Its document with the flag cleared and the hash made again: refused by the same signature.
    let mut cleared: serde_json::Value = serde_json::from_str(&simulated.document).unwrap();
    cleared["simulated"] = false.into();
    let mut forged = simulated.clone();
    forged.document = canonical(&cleared).unwrap();
    forged.sha256 = format!("{:x}", Sha256::digest(forged.document.as_bytes()));
    assert_eq!(forged.verify(&key.public_key()), Verdict::Invalid(Invalidity::SignatureMismatch));
}
