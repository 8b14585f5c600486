//! The papers Revive prints (the label's, the receipt's and the slip's tests are in `papers/`). The
//! certificate on paper, checked the way a customer's tools see it: poppler reads every field
//! and finds the fonts embedded and the shop's seal, a barcode reader decodes the QR code, and the
//! file verifies, while any change to it (page, attachment, metadata, an appended update) or another
//! shop's key does not.

mod common;
#[path = "papers/customer.rs"]
mod customer;
#[path = "papers/label.rs"]
mod label;
#[path = "common/papers.rs"]
mod sample_papers;

use std::path::Path;
use std::process::Command;

use lopdf::Document;
use revive_certificate_pdf::{verify_file, CertificateRenderer};
use revive_core::certificates::{CertificateLanguage, Invalidity, ShopKey, SignedDocument};

fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (make test installs it): {e}"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// `pdfinfo`'s page size in millimetres.
fn page_mm(pdf: &Path) -> (f64, f64) {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info.lines().find(|line| line.starts_with("Page size:")).unwrap();
    let numbers: Vec<f64> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
    (numbers[0] * 25.4 / 72.0, numbers[1] * 25.4 / 72.0)
}

/// What a barcode reader decodes from the first page printed at `dpi`.
fn scanned_qr(pdf: &Path, dpi: u32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let dpi = dpi.to_string();
    tool("pdftoppm", &["-r", &dpi, "-png", "-singlefile", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    tool("zbarimg", &["--quiet", "--raw", dir.path().join("page.png").to_str().unwrap()]).trim().to_owned()
}

fn render(dir: &Path, language: CertificateLanguage, simulated: bool) -> (std::path::PathBuf, SignedDocument, ShopKey) {
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let (certificate, key) = common::certificate(dir, &common::document(language, simulated));
    let path = dir.join("certificate.pdf");
    std::fs::write(&path, renderer.pdf(&certificate, &key).unwrap()).unwrap();
    (path, certificate.signed, key)
}

/// What `pdftotext` reads, without whitespace: Chinese wraps anywhere, so a line break may fall
/// inside a phrase.
fn page_text(pdf: &Path) -> String {
    tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).split_whitespace().collect()
}

fn squeezed(field: &str) -> String {
    field.split_whitespace().collect()
}

#[test]
fn every_field_is_printed_in_each_language() {
    let always = [
        "RC-2026-000042",
        "2026-11-28",
        "深圳芯复活 GPU 维修中心",
        "华强北路 1019",
        "RV-2026-000317",
        "北京智算云科技有限公司",
        "NVIDIA H100 SXM5 80GB",
        "1654922012345",
        "GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d",
        "692-2G520-0200-000",
        "96.00.74.00.01",
        "G520.0200.00.05",
        "dmesg 报 Xid 63",
        "remap_pending",
        "xid_94",
        "TP-PTM7950-50",
        "FAN-9GA0612",
        "× 2",
        "2 h 5 min",
        "83 °C",
        "87 °C",
        "690.5 W",
        "7200",
        "李伟 Li Wei",
        "张敏 Zhang Min",
        "2027-02-26",
        "96.2 %",
        "673 W",
        "97.1 %",
    ];
    let english = [
        "Repair certificate",
        "GPU at release",
        "Row remapping pending",
        "HBM memory triage",
        "Findings cleared",
        "Warranty",
        "90 days",
        "Matches intake",
        "Yes",
        "Sustained load",
        "of the power limit",
        "Memory test",
        "passed",
    ];
    let chinese = [
        "维修证书",
        "出库 GPU",
        "行重映射待处理",
        "HBM 显存分诊",
        "已消除的问题",
        "保修",
        "90 天",
        "与收件一致",
        "是",
        "持续负载",
        "显存测试",
        "通过",
    ];
    for (language, expected) in [
        (CertificateLanguage::En, vec![&english[..]]),
        (CertificateLanguage::ZhCn, vec![&chinese[..]]),
        (CertificateLanguage::Both, vec![&english[..], &chinese[..]]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (pdf, signed, key) = render(dir.path(), language, false);
        let text = page_text(&pdf);
        let fingerprint = key.fingerprint();
        for field in
            always.iter().chain(expected.concat().iter()).chain([&fingerprint.as_str(), &signed.sha256.as_str()])
        {
            assert!(text.contains(&squeezed(field)), "{language:?}: `{field}` is missing from the page:\n{text}");
        }
        if language == CertificateLanguage::En {
            assert!(!text.contains("维修证书"), "an English certificate has no Chinese labels");
        }
        assert!(!text.contains("SIMULATED") && !text.contains("模拟"), "a real bench's certificate has no watermark");
        let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
        assert!(info.lines().any(|l| l.split_whitespace().eq(["Pages:", "1"])), "one page:\n{info}");
        assert!(info.contains("A4"), "A4 paper:\n{info}");
    }
}

#[test]
fn fonts_are_embedded_and_chinese_uses_the_cjk_font() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, _) = render(dir.path(), CertificateLanguage::Both, false);
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 2, "{fonts}");
    for row in &rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        // name type... encoding emb sub uni object-id generation
        assert_eq!(columns[columns.len() - 5], "yes", "not embedded: {row}");
    }
    assert!(rows.iter().any(|row| row.contains("NotoSansCJKsc")), "{fonts}");
}

#[test]
fn the_qr_code_decodes_to_number_hash_and_signature() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, signed, key) = render(dir.path(), CertificateLanguage::Both, true);
    let decoded = scanned_qr(&pdf, 200);
    let expected = signed.qr_payload(&key.public_key()).unwrap();
    assert_eq!(decoded, expected.to_string());
    let verification = revive_core::certificates::verify_payload(&decoded, &key.public_key());
    assert!(verification.valid, "{verification:?}");
}

#[test]
fn a_simulated_certificate_says_so_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, _) = render(dir.path(), CertificateLanguage::Both, true);
    let text = page_text(&pdf);
    assert!(text.contains("SIMULATED") && text.contains("模拟"), "{text}");
    assert!(text.contains(&squeezed("simulated bench")), "{text}");
}

#[test]
fn the_attached_document_verifies_and_names_what_was_signed() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, signed, key) = render(dir.path(), CertificateLanguage::ZhCn, false);
    let bytes = std::fs::read(&pdf).unwrap();
    let verification = verify_file(&bytes, &key.public_key());
    assert!(verification.valid, "{verification:?}");
    assert_eq!(verification.number.as_deref(), Some("RC-2026-000042"));
    assert_eq!(verification.sha256.as_deref(), Some(signed.sha256.as_str()));
    assert_eq!(verification.key_fingerprint.as_deref(), Some(key.fingerprint().as_str()));
    let document = verification.document.unwrap();
    assert_eq!(document.gpu.serial, "1654922012345");

    // The signed JSON on its own verifies the same way.
    let json = serde_json::to_vec(&signed).unwrap();
    assert!(verify_file(&json, &key.public_key()).valid);

    let other = ShopKey::load_or_create(&dir.path().join("other-shop")).unwrap();
    assert_eq!(verify_file(&bytes, &other.public_key()).reason, Some(Invalidity::SignatureMismatch));
    assert_eq!(verify_file(b"hello", &key.public_key()).reason, Some(Invalidity::NotACertificate));
    assert_eq!(verify_file(b"%PDF-1.7 truncated", &key.public_key()).reason, Some(Invalidity::NotSealed));
}

/// The attachment's stream in a loaded PDF.
fn attachment_stream(document: &mut Document) -> &mut lopdf::Stream {
    let id = document
        .objects
        .iter()
        .find_map(|(_, object)| {
            let spec = object.as_dict().ok()?;
            (spec.get(b"Type").ok()?.as_name().ok()? == b"Filespec")
                .then(|| spec.get(b"EF").ok()?.as_dict().ok()?.get(b"F").ok()?.as_reference().ok())
                .flatten()
        })
        .expect("the PDF has an attachment");
    document.get_object_mut(id).unwrap().as_stream_mut().unwrap()
}

/// The PDF with its attachment's content replaced by `content` (stored uncompressed).
fn with_attachment_bytes(pdf: &[u8], change: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut document = Document::load_mem(pdf).unwrap();
    let stream = attachment_stream(&mut document);
    let content = change(stream.decompressed_content().unwrap());
    stream.dict.remove(b"Filter");
    stream.set_content(content);
    let mut out = Vec::new();
    document.save_to(&mut out).unwrap();
    out
}

fn with_attachment(pdf: &[u8], change: impl FnOnce(&mut SignedDocument)) -> Vec<u8> {
    with_attachment_bytes(pdf, |content| {
        let mut signed: SignedDocument = serde_json::from_slice(&content).unwrap();
        change(&mut signed);
        serde_json::to_vec(&signed).unwrap()
    })
}

#[test]
fn changing_any_field_of_the_attached_document_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, signed, key) = render(dir.path(), CertificateLanguage::Both, false);
    let bytes = std::fs::read(&pdf).unwrap();
    let rewritten = verify_file(&with_attachment(&bytes, |_| {}), &key.public_key());
    assert_eq!(rewritten.reason, Some(Invalidity::ChangedAfterSealing), "even a rewrite with the same content");

    let original: serde_json::Value = serde_json::from_str(&signed.document).unwrap();
    let mut leaves = Vec::new();
    fn collect(value: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| collect(v, format!("{path}/{k}"), out)),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, v)| collect(v, format!("{path}/{i}"), out))
            }
            _ => out.push(path),
        }
    }
    collect(&original, String::new(), &mut leaves);
    assert!(leaves.len() > 40, "every field: {}", leaves.len());
    for path in leaves {
        let mut altered = original.clone();
        let leaf = altered.pointer_mut(&path).unwrap();
        *leaf = match leaf {
            serde_json::Value::String(s) => format!("{s}1").into(),
            serde_json::Value::Number(n) => (n.as_f64().unwrap() + 1.0).into(),
            serde_json::Value::Bool(b) => (!*b).into(),
            serde_json::Value::Null => 0.into(),
            other => panic!("{other:?}"),
        };
        let text = serde_json::to_string(&altered).unwrap();
        let forged = with_attachment(&bytes, |signed| {
            signed.sha256 = revive_core::certificates::canonical(&altered).map(|c| sha256(&c)).unwrap();
            signed.document = text.clone();
        });
        assert!(!verify_file(&forged, &key.public_key()).valid, "{path} changed and still verified");
        // The document alone, without the PDF's seal, is refused by its own signature.
        let forged_alone = SignedDocument { sha256: sha256(&text), document: text.clone(), ..signed.clone() };
        let verdict = verify_file(&serde_json::to_vec(&forged_alone).unwrap(), &key.public_key());
        // Mostly the signature; a date or count no longer readable means no certificate at all.
        let refused = [Some(Invalidity::SignatureMismatch), Some(Invalidity::NotACertificate)];
        assert!(refused.contains(&verdict.reason), "{path}: {:?}", verdict.reason);
    }
}

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn xorshift(mut state: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

#[test]
fn random_byte_flips_in_the_attached_document_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, signed, key) = render(dir.path(), CertificateLanguage::En, false);
    let bytes = std::fs::read(&pdf).unwrap();
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    // A flipped bit anywhere in the attached document: the hash, the signature or the JSON breaks.
    for _ in 0..300 {
        let flipped = with_attachment_bytes(&bytes, |mut content| {
            let at = next(content.len());
            content[at] ^= 1 << next(8);
            content
        });
        assert!(!verify_file(&flipped, &key.public_key()).valid, "a flipped document byte went unnoticed");
    }
    // A flipped bit anywhere in the file as stored: the page, the fonts, the attachment, the seal.
    for _ in 0..1_000 {
        let mut flipped = bytes.clone();
        let at = next(bytes.len());
        flipped[at] ^= 1 << next(8);
        let verification = verify_file(&flipped, &key.public_key());
        assert!(!verification.valid, "a flip at byte {at} of {} went unnoticed", bytes.len());
    }
    assert_eq!(verify_file(&bytes, &key.public_key()).sha256.as_deref(), Some(signed.sha256.as_str()));
}

/// The sealed PDF with the page redrawn, saved as a whole new file or appended as an incremental
/// update (what PDF editors do).
fn with_forged_page(pdf: &[u8], incremental: bool) -> Vec<u8> {
    use lopdf::{Dictionary, Object, Stream};
    let drawing = b"BT /F1 24 Tf 72 700 Td (Serial 1654922099999 Warranty 2031-12-31) Tj ET".to_vec();
    let font = Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type1".to_vec())),
        ("BaseFont", Object::Name(b"Helvetica".to_vec())),
    ]);
    let redraw = |page: &mut Dictionary, stream, font| {
        page.set("Contents", Object::Reference(stream));
        page.set(
            "Resources",
            Dictionary::from_iter([(
                "Font",
                Object::Dictionary(Dictionary::from_iter([("F1", Object::Reference(font))])),
            )]),
        );
    };
    let mut out = Vec::new();
    if incremental {
        let previous = Document::load_mem(pdf).unwrap();
        let page = *previous.get_pages().values().next().unwrap();
        let mut update = lopdf::IncrementalDocument::create_from(pdf.to_vec(), previous);
        let stream = update.new_document.add_object(Stream::new(Dictionary::new(), drawing));
        let font = update.new_document.add_object(font);
        update.opt_clone_object_to_new_document(page).unwrap();
        redraw(update.new_document.get_dictionary_mut(page).unwrap(), stream, font);
        update.save_to(&mut out).unwrap();
    } else {
        let mut document = Document::load_mem(pdf).unwrap();
        let page = *document.get_pages().values().next().unwrap();
        let stream = document.add_object(Stream::new(Dictionary::new(), drawing));
        let font = document.add_object(font);
        redraw(document.get_dictionary_mut(page).unwrap(), stream, font);
        document.save_to(&mut out).unwrap();
    }
    out
}

#[test]
fn an_edited_page_or_an_appended_update_is_detected_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, key) = render(dir.path(), CertificateLanguage::Both, false);
    let bytes = std::fs::read(&pdf).unwrap();
    let check = |file: &[u8]| verify_file(file, &key.public_key()).reason;

    // The page redrawn with another serial and warranty; the attachment untouched.
    let edited = dir.path().join("edited.pdf");
    std::fs::write(&edited, with_forged_page(&bytes, false)).unwrap();
    assert!(page_text(&edited).contains("1654922099999"), "the forgery shows the new serial");
    assert_eq!(check(&std::fs::read(&edited).unwrap()), Some(Invalidity::ChangedAfterSealing));
    // The same forgery appended as an incremental update, the sealed bytes left as they were.
    let appended = dir.path().join("appended.pdf");
    std::fs::write(&appended, with_forged_page(&bytes, true)).unwrap();
    assert!(page_text(&appended).contains("1654922099999"), "a viewer shows the forged page");
    let appended = std::fs::read(&appended).unwrap();
    assert!(appended.starts_with(&bytes));
    assert_eq!(check(&appended), Some(Invalidity::AddedAfterSealing));
    // Anything at all after the seal, even a comment.
    assert_eq!(check(&[bytes.as_slice(), b"% note\n"].concat()), Some(Invalidity::AddedAfterSealing));
    // The document's metadata: a new title, same length, in place.
    let title = bytes.windows(6).position(|w| w == b"/Title").expect("a title");
    let mut retitled = bytes.clone();
    retitled[title + 8] ^= 0x01;
    assert_eq!(check(&retitled), Some(Invalidity::ChangedAfterSealing));
    // A seal cut off, or a PDF never sealed.
    let unsealed = &bytes[..bytes.windows(10).rposition(|w| w == b"/ByteRange").unwrap() - 100];
    assert_eq!(check(unsealed), Some(Invalidity::NotSealed));
}

#[test]
fn poppler_lists_the_seal_as_a_signature_field() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, _) = render(dir.path(), CertificateLanguage::En, false);
    let output = Command::new("pdfsig").arg(&pdf).output().expect("pdfsig (poppler-utils) is needed for this test");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(listed.contains("Signature #1"), "{listed}");
    // The seal keeps the page readable: poppler still reads every field.
    assert!(page_text(&pdf).contains("RC-2026-000042"));
}

#[test]
fn a_long_job_still_fits_one_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut document = common::document(CertificateLanguage::Both, true);
    let many = |n: usize| {
        (0..n)
            .map(|i| revive_core::certificates::NamedFinding {
                code: format!("finding_{i}"),
                title: revive_core::diagnostics::Text {
                    en: format!("A long English finding title number {i} that wraps onto a second line"),
                    zh_cn: format!("很长的中文问题标题第 {i} 条，会换到第二行显示"),
                },
            })
            .collect::<Vec<_>>()
    };
    document.findings_at_intake = many(14);
    document.findings_cleared = many(12);
    document.findings_at_release = many(3);
    document.procedures = (0..10).map(|_| document.procedures[0].clone()).collect();
    document.parts = (0..14).map(|_| document.parts[0].clone()).collect();
    document.symptoms = "掉卡 card drops off the bus ".repeat(40);
    document.customer = "北京智算云科技有限公司 Beijing Intelligent Compute Cloud Technology Co., Ltd.".into();
    document.shop.address = "深圳市福田区华强北路 1002 号赛格广场 45 楼\n".repeat(25);
    document.identity_matches_intake = false;
    document.identity_approval = Some(revive_core::diagnostics::identity::IdentityApproval {
        findings: vec!["uuid_changed".into(), "identity_mismatch".into()],
        reason: "芯片移植到新板卡，标签已核对 die moved to a new board, label checked ".repeat(20),
        approved_by: "王芳".into(),
    });
    let (certificate, key) = common::certificate(dir.path(), &document);
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let pdf = dir.path().join("long.pdf");
    std::fs::write(&pdf, renderer.pdf(&certificate, &key).expect("one page")).unwrap();
    let text = page_text(&pdf);
    assert!(text.contains("+6more") && text.contains("另有4条"), "lists beyond eight say how many more: {text}");
    assert!(text.contains("…"), "long symptoms are clipped");
    assert!(text.contains("审核人认可") && text.contains("王芳"), "the identity approval is printed: {text}");
}

#[test]
fn a_path_is_read_only_when_it_could_be_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, key) = render(dir.path(), CertificateLanguage::En, false);
    assert!(revive_certificate_pdf::verify_path(&pdf, &key.public_key()).unwrap().valid);
    let missing = revive_certificate_pdf::verify_path(&dir.path().join("missing.pdf"), &key.public_key());
    assert!(matches!(missing, Err(revive_core::CoreError::FileRead(_))));
    let huge = dir.path().join("huge.pdf");
    std::fs::File::create(&huge).unwrap().set_len(revive_certificate_pdf::MAX_CERTIFICATE_BYTES + 1).unwrap();
    assert!(matches!(
        revive_certificate_pdf::verify_path(&huge, &key.public_key()),
        Err(revive_core::CoreError::Invalid { field: revive_core::Field::Certificate, .. })
    ));
}

#[test]
fn an_attachment_that_inflates_past_any_certificate_is_refused_without_inflating_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, _) = render(dir.path(), CertificateLanguage::En, false);
    let pdf = std::fs::read(pdf).unwrap();
    // Four times the cap in zeros, squeezed to a few kilobytes: a decompression bomb in small (the
    // reader stops one byte past the cap whatever the size, so a bigger one proves no more).
    let mut bomb = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut bomb, &vec![0u8; 4 << 20]).unwrap();
    let bomb = bomb.finish().unwrap();
    let mut document = Document::load_mem(&pdf).unwrap();
    let stream = attachment_stream(&mut document);
    stream.dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
    stream.set_content(bomb);
    let mut hostile = Vec::new();
    document.save_to(&mut hostile).unwrap();
    assert_eq!(revive_certificate_pdf::signed_document_in(&hostile), None);
    // The document as Revive attaches it still reads.
    assert!(revive_certificate_pdf::signed_document_in(&pdf).is_some());
}
