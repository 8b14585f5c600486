//! What each fuzz target checks. Every function feeds arbitrary bytes to one parser of input that
//! comes from outside Revive (a procedure file, a scenario, a kernel log, a certificate someone hands
//! over, a scanned QR code, what a person typed) and asserts what must hold for any input: it never
//! panics, and what parses reads back as the same value. Plain functions on stable Rust, so the
//! cargo-fuzz binaries (`crates/fuzz`, nightly) and the corpus replay (`tests/corpus.rs`, under
//! `cargo test`) run exactly the same checks.

use nvidia_ml_fake::scenario::{Bench, Stage};
use revive_core::certificates::{
    canonical, fingerprint_of, public_key_in, verify_document, verify_payload, warranty_days, CertificateDocument,
    QrPayload, SignedDocument, StatusList, Verdict, Verification, MAX_WARRANTY_DAYS, STATUS_LIST_FORMAT,
};
use revive_core::diagnostics::{parse_kernel_log, xid_findings};
use revive_core::history::HistoryQuery;
use revive_core::money::{Money, MAX_QUOTE_MAJOR};
use revive_core::procedures::{self, Procedure};
use revive_core::workshop::Catalogs;
use revive_core::Field;

/// The sample shop's public key (`docs/samples/shop.pub`): the sample certificates in the corpora
/// are signed and sealed with it, so mutations of them reach past the signature checks.
const SAMPLE_SHOP_KEY_FILE: &str = include_str!("../../../docs/samples/shop.pub");

fn shop_key() -> &'static str {
    public_key_in(SAMPLE_SHOP_KEY_FILE)
}

fn catalogs() -> &'static Catalogs {
    Catalogs::built_in().expect("the built-in rules load")
}

/// The input cut at its first `parts - 1` NUL bytes, for targets that take several texts (an amount
/// and its currency).
fn texts(data: &[u8], parts: usize) -> Vec<String> {
    data.splitn(parts, |&byte| byte == 0).map(|part| String::from_utf8_lossy(part).into_owned()).collect()
}

/// A procedure file (`procedures/*.toml`): parsed and validated against the built-in catalogues.
pub fn procedure_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let catalogs = catalogs();
    match procedures::parse("fuzz.toml", &text, &catalogs.models, &catalogs.rules) {
        Ok(procedure) => {
            assert!(!procedure.steps.is_empty(), "a procedure without steps parsed");
            assert!(procedure.version >= 1, "version {} parsed", procedure.version);
            // A run keeps the procedure it started with as JSON: it must read back the same.
            let stored = serde_json::to_string(&procedure).expect("a procedure serialises");
            let read: Procedure = serde_json::from_str(&stored).expect("a stored procedure reads back");
            assert_eq!(read, procedure, "the procedure changed through its stored JSON");
        }
        Err(error) => {
            assert_eq!(error.file, "fuzz.toml");
            let lines = text.matches('\n').count() + 1;
            assert!((1..=lines).contains(&error.line), "error on line {} of {lines}: {error}", error.line);
        }
    }
}

/// A fake-driver scenario (`scenarios/*.json`): every GPU's timeline resolved into stages.
pub fn scenario_json(data: &[u8]) {
    let Ok(bench) = Bench::parse(&String::from_utf8_lossy(data)) else { return };
    let gpus = bench.scenario.gpus.len();
    assert_eq!(bench.stages.len(), gpus);
    assert_eq!(bench.xids.len(), gpus);
    for (index, stages) in bench.stages.iter().enumerate() {
        assert_eq!(stages.first().map(|(from, _)| *from), Some(0), "GPU {index} has no stage from call 0");
        assert!(stages.is_sorted_by_key(|(from, _)| *from), "GPU {index}'s stages are out of order");
        assert!(matches!(bench.stage(index, 0), Some(Stage::Present(_))), "GPU {index} is not there at first");
    }
    assert!(bench.stage(gpus, 0).is_none(), "a GPU past the last answers");
}

/// A kernel log imported for its Xid lines, judged against the built-in Xid catalogue.
pub fn kernel_log(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let events = parse_kernel_log(&text);
    let lines: Vec<&str> = text.lines().collect();
    for event in &events {
        let line = lines.get(event.line.wrapping_sub(1)).unwrap_or_else(|| panic!("no line {}", event.line));
        // An Xid line means the same on its own as among others.
        let alone = parse_kernel_log(line);
        assert_eq!(alone.len(), 1, "line {} alone: {alone:?}", event.line);
        assert_eq!((&alone[0].pci, alone[0].xid, &alone[0].message), (&event.pci, event.xid, &event.message));
    }
    let findings = xid_findings(&catalogs().xids, &events, None);
    assert!(findings.len() <= events.len(), "{} findings from {} events", findings.len(), events.len());
    assert!(findings.is_sorted_by_key(|finding| std::cmp::Reverse(finding.severity)), "findings out of order");
}

/// What holds for any answer to "is this certificate genuine?".
fn check_verification(verification: &Verification) {
    assert_eq!(verification.valid, verification.reason.is_none(), "{verification:?}");
    assert_eq!(verification.key_fingerprint, fingerprint_of(shop_key()));
}

/// A file someone hands over as a certificate: a sealed PDF, or anything else (read as JSON).
pub fn certificate_pdf(data: &[u8]) {
    let key = shop_key();
    let verification = revive_certificate_pdf::verify_file(data, key);
    check_verification(&verification);
    // The attachment is read on its own too: the seal check keeps mutations from reaching it.
    let embedded = revive_certificate_pdf::signed_document_in(data);
    if verification.valid && data.starts_with(b"%PDF-") {
        let signed = embedded.expect("a valid certificate PDF carries its document");
        assert_eq!(verify_document(&signed, key), verification);
    }
}

/// A signed document as JSON (a certificate, or a status list), and a certificate's content alone.
pub fn certificate_json(data: &[u8]) {
    let key = shop_key();
    if let Ok(signed) = serde_json::from_slice::<SignedDocument>(data) {
        let verification = verify_document(&signed, key);
        check_verification(&verification);
        if verification.valid {
            let document = verification.document.as_ref().expect("a valid certificate carries its content");
            assert_eq!(verification.number.as_deref(), Some(document.number.as_str()));
            assert_eq!(signed.verify(key), Verdict::Valid);
        }
        // The same bytes handed over as a file are judged the same.
        assert_eq!(revive_certificate_pdf::verify_file(data, key), verification);
        if let Some(list) = StatusList::verified(&signed, key) {
            assert_eq!(list.format, STATUS_LIST_FORMAT);
        }
    }
    if let Ok(document) = serde_json::from_slice::<CertificateDocument>(data) {
        // What signing writes, checking must take as canonical, and read back as the same content.
        let text = canonical(&document).expect("a certificate document serialises");
        let value: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
        assert_eq!(serde_json::to_string(&value).expect("JSON serialises"), text, "canonical form is not stable");
        let read: CertificateDocument = serde_json::from_str(&text).expect("canonical JSON reads back");
        assert_eq!(read, document, "the document changed through its canonical form");
    }
}

/// A certificate's QR code as a scanner types it.
pub fn qr_payload(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let key = shop_key();
    let verification = verify_payload(&text, key);
    check_verification(&verification);
    match QrPayload::parse(&text) {
        Ok(payload) => {
            let written = payload.to_string();
            assert_eq!(QrPayload::parse(&written).as_ref(), Ok(&payload), "{written}");
            assert_eq!(verification.number.as_deref(), Some(payload.number.as_str()));
            assert_eq!(verification.valid, payload.verify(key) == Verdict::Valid);
        }
        Err(reason) => assert_eq!(verification.reason, Some(reason)),
    }
}

/// A quote as typed (`amount`, a NUL, then the currency; CNY without one), and the same text read as
/// a warranty period in days.
pub fn money(data: &[u8]) {
    let texts = texts(data, 2);
    let amount = &texts[0];
    let currency = texts.get(1).map_or("CNY", String::as_str);
    if let Ok(money) = Money::parse(amount, currency, Field::QuoteAmount) {
        let max = i64::try_from(MAX_QUOTE_MAJOR * 100).expect("the largest quote fits");
        assert!((0..=max).contains(&money.minor), "{money:?} from {amount:?}");
        let plain = format!("{}.{:02}", money.minor / 100, money.minor % 100);
        let full_width: String =
            plain.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).expect("full-width digits exist")).collect();
        for written in [plain, full_width, thousands(money.minor)] {
            let read = Money::parse(&written, money.currency.code(), Field::QuoteAmount);
            assert_eq!(read.ok(), Some(money), "{written:?}, written from {amount:?}");
        }
    }
    if let Ok(days) = warranty_days(amount) {
        assert!((1..=MAX_WARRANTY_DAYS).contains(&days), "{days} days from {amount:?}");
        assert_eq!(warranty_days(&days.to_string()).ok(), Some(days));
    }
}

/// Minor units as an accountant writes them: `12,000.50`.
fn thousands(minor: i64) -> String {
    let digits = (minor / 100).to_string();
    let mut grouped = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped}.{:02}", minor % 100)
}

/// The history filter's days: `from`, a NUL, `to`, a NUL, then the UTC offset in minutes.
pub fn history_dates(data: &[u8]) {
    let texts = texts(data, 3);
    let part = |index: usize| texts.get(index).map_or("", String::as_str);
    let offset = part(2).trim().parse().unwrap_or(0);
    let accepts = |from: &str, to: &str| {
        let query =
            HistoryQuery { from: from.to_owned(), to: to.to_owned(), utc_offset_minutes: offset, ..Default::default() };
        query.filter(catalogs()).is_ok()
    };
    let (from, to) = (part(0), part(1));
    // Spaces around a day, typed half- or full-width, change nothing.
    let padded = format!(" {from}\u{3000}");
    assert_eq!(accepts(&padded, to), accepts(from, to), "{from:?}..{to:?} padded");
    if accepts(from, to) {
        // Each day that passes with the other passes alone, and the last is a range of its own (not
        // the first: a range up to 9999-12-31 has no day after it to end before).
        assert!(accepts(from, "") && accepts("", to), "{from:?}..{to:?} passed, one alone did not");
        assert!(accepts(to, to), "{from:?}..{to:?} passed, {to:?}..{to:?} did not");
    }
}

/// A backup file someone hands over: whatever its bytes, checking it never panics and leaves
/// nothing behind in the folder it unpacked into.
pub fn backup_check(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let file = dir.path().join("handed-over.revive-backup");
    let scratch = dir.path().join("scratch");
    if std::fs::write(&file, data).is_err() || std::fs::create_dir(&scratch).is_err() {
        return;
    }
    let _ = revive_core::history::backup::check_file(&file, &scratch);
    let left = std::fs::read_dir(&scratch).map(Iterator::count).unwrap_or(0);
    assert_eq!(left, 0, "checking a backup left files behind");
}
