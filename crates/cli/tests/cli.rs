//! The `revive` binary as a rack script runs it: against the fake driver, and on kernel logs.

use revive_history_generator as generator;
#[path = "../../certificate-pdf/tests/common/mod.rs"]
mod sample;

use std::process::Command;

use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_certificate_pdf::CertificateRenderer;
use revive_core::certificates::{self, CertificateLanguage};

fn revive(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_revive")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn diagnose(name: &str, extra: &[&str]) -> (i32, String, String) {
    let lib = built_library();
    let file = shipped_scenario(name);
    let mut args = vec!["diagnose", "--nvml-lib", lib.to_str().unwrap(), "--scenario", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    revive(&args)
}

#[test]
fn diagnose_prints_identity_health_and_findings() {
    let (code, out, _) = diagnose("h100-remap-pending", &[]);
    assert_eq!(code, 3, "critical findings");
    assert!(out.contains("[SIMULATED]"), "{out}");
    assert!(out.contains("GPU 0  NVIDIA H100 80GB HBM3  serial 1654922012345"), "{out}");
    assert!(out.contains("Remapped rows: 1 uncorrectable, 0 correctable, pending true, failure false"), "{out}");
    assert!(out.contains("CRITICAL GPU 0  Row remap pending (remap_pending)"), "{out}");

    // In Chinese, the report's own words too, not only the findings from the catalogs.
    let (code, out, _) = diagnose("h100-remap-pending", &["--lang", "zh-CN"]);
    assert_eq!(code, 3);
    for said in [
        "[SIMULATED]",
        "驱动 550.90.07",
        "序列号 1654922012345",
        "ECC 不可纠正错误：易失 1，累计 1",
        "行重映射：不可纠正 1，可纠正 0，待生效 是，失败 否",
        "发现：",
        "严重     GPU 0  行重映射待生效 (remap_pending)",
        "证据：",
        "下一步：",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
    for english in ["Driver", "serial", "ECC uncorrected", "Remapped", "Findings", "CRITICAL", "evidence", "next:"] {
        assert!(!out.contains(english), "{english}: {out}");
    }
}

#[test]
fn diagnose_json_carries_the_same_readings() {
    let (code, out, _) = diagnose("h100-pcie-downtrained", &["--json"]);
    assert_eq!(code, 1, "warnings only");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["bench"]["simulated"], true);
    assert_eq!(doc["bench"]["gpus"][0]["health"]["pcie"]["width"], 8);
    let codes: Vec<&str> = doc["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"pcie_downtrained") && codes.contains(&"pcie_below_sku_minimum"), "{codes:?}");
}

#[test]
fn a_healthy_bench_exits_zero_and_a_missing_driver_is_explained() {
    assert_eq!(diagnose("h100-healthy", &[]).0, 0);
    let (code, _, err) = diagnose("no-driver-loaded", &[]);
    assert_eq!((code, err.trim()), (4, "revive: the NVIDIA kernel driver is not loaded"));
    let (code, _, err) = revive(&["diagnose", "--nvml-lib", "/nonexistent/libnvidia-ml.so.1"]);
    assert_eq!((code, err.trim()), (4, "revive: no NVIDIA driver library is installed"));
}

/// On an installed bench a technician names a shipped scenario; the installed fake driver runs it.
#[test]
fn a_shipped_scenario_runs_by_its_name_on_the_shipped_driver() {
    let shipped = |scenario: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_revive"))
            .args(["diagnose", "--scenario", scenario])
            .env(revive_core::paths::FAKE_NVML_VARIABLE, built_library())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, _) = shipped("h100-remap-pending");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("[SIMULATED]") && out.contains("Row remap pending"), "{out}");
    let (code, _, err) = shipped("h100-remap-pendin");
    assert_eq!(
        (code, err.trim()),
        (4, "revive: the NVIDIA driver failed: simulated bench: no scenario file at h100-remap-pendin")
    );
}

#[test]
fn xid_import_reads_kernel_logs() {
    let dir = std::env::temp_dir().join(format!("revive-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("dmesg.txt");
    std::fs::write(
        &log,
        "[ 5.1] NVRM: Xid (PCI:0000:18:00): 79, pid=9, name=python3, GPU has fallen off the bus.\nnoise\n",
    )
    .unwrap();
    let (code, out, _) = revive(&["xid-import", log.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.contains("1 Xid event(s)") && out.contains("GPU has fallen off the bus (xid_79)"), "{out}");
    let (_, out, _) = revive(&["xid-import", log.to_str().unwrap(), "--lang", "zh-CN"]);
    assert!(out.contains("中有 1 个 Xid 事件") && out.contains("严重") && out.contains("下一步："), "{out}");
    let (_, out, _) = revive(&["xid-import", log.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["events"][0]["pci"], "0000:18:00");
    let (code, _, err) = revive(&["xid-import", dir.join("missing.txt").to_str().unwrap()]);
    assert_eq!(code, 5);
    assert!(err.contains("cannot read"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn procedures_are_listed_and_checked() {
    let (code, out, _) = revive(&["procedures", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("hbm-triage") && out.contains("HBM memory fault triage"), "{out}");

    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../procedures/hbm-triage.toml");
    let (code, out, _) = revive(&["procedures", "check", shipped]);
    assert_eq!(code, 0);
    assert!(out.contains(": ok (hbm-triage v1"), "{out}");

    let dir = std::env::temp_dir().join(format!("revive-procedures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.toml");
    let text =
        std::fs::read_to_string(shipped).unwrap().replacen("kind = \"instruction\"", "kind = \"instructoin\"", 1);
    std::fs::write(&broken, text).unwrap();
    let (code, _, err) = revive(&["procedures", "check", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("broken.toml:") && err.contains("unknown step kind `instructoin`"), "{err}");
    let (code, _, _) = revive(&["procedures", "check", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(code, 5);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn verify_reads_the_pdf_and_says_valid_or_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let renderer = CertificateRenderer::load(&sample::fonts_dir()).unwrap();
    let (certificate, key) = sample::certificate(dir.path(), &sample::document(CertificateLanguage::Both, false));
    let pdf = dir.path().join("RC-2026-000042.pdf");
    std::fs::write(&pdf, renderer.pdf(&certificate, &key).unwrap()).unwrap();
    let key_file = dir.path().join("shop.pub");
    std::fs::write(&key_file, certificates::public_key_file("深圳芯复活", &key.public_key())).unwrap();

    for public_key in [key.public_key(), key_file.display().to_string()] {
        let (code, out, err) = revive(&["verify", pdf.to_str().unwrap(), "--public-key", &public_key]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("valid: certificate RC-2026-000042 issued 2026-11-28 by 深圳芯复活"), "{out}");
        assert!(out.contains("serial 1654922012345") && out.contains(&key.fingerprint()), "{out}");
        assert!(out.contains("warranty 90 days, until 2027-02-26"), "{out}");
        assert!(out.contains("identity serial and UUID at release matches intake"), "{out}");
    }

    // A certificate from the simulated bench: valid, said to be simulated, with its own status.
    let (simulated, _) = sample::certificate(dir.path(), &sample::document(CertificateLanguage::En, true));
    let simulated_pdf = dir.path().join("simulated.pdf");
    std::fs::write(&simulated_pdf, renderer.pdf(&simulated, &key).unwrap()).unwrap();
    let (code, out, _) = revive(&["verify", simulated_pdf.to_str().unwrap(), "--public-key", &key.public_key()]);
    assert_eq!(code, 6, "{out}");
    assert!(out.starts_with("valid, but SIMULATED (not a repair certificate): certificate RC-2026-000042"), "{out}");

    // Base64url keys may start with "-": such a key is a value, not an option.
    let (code, _, err) =
        revive(&["verify", pdf.to_str().unwrap(), "--public-key", "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"]);
    assert_ne!(code, 2, "{err}");
    assert!(!err.contains("unexpected argument"), "{err}");

    let json = dir.path().join("certificate.json");
    std::fs::write(&json, serde_json::to_string(&certificate.signed).unwrap()).unwrap();
    let (code, out, _) = revive(&["verify", json.to_str().unwrap(), "--public-key", &key.public_key()]);
    assert_eq!(code, 0);
    assert!(out.starts_with("valid:"), "{out}");

    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_string(&certificate.signed).unwrap().replace("000042", "000043")).unwrap();
    let (code, _, err) = revive(&["verify", tampered.to_str().unwrap(), "--public-key", &key.public_key()]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid: the document does not match its hash"), "{err}");

    let other = certificates::ShopKey::load_or_create(&dir.path().join("other")).unwrap();
    let (code, _, err) = revive(&["verify", pdf.to_str().unwrap(), "--public-key", &other.public_key()]);
    assert_eq!(code, 1);
    assert!(err.contains("does not match this shop's key"), "{err}");

    // One byte of the page changed, and bytes added after the seal: each said as what it is.
    let mut bytes = std::fs::read(&pdf).unwrap();
    let edited = dir.path().join("edited.pdf");
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0x20;
    std::fs::write(&edited, &bytes).unwrap();
    let (code, _, err) = revive(&["verify", edited.to_str().unwrap(), "--public-key", &key.public_key()]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid: the file was changed after the shop sealed it"), "{err}");
    bytes[middle] ^= 0x20;
    bytes.extend_from_slice(b"\n% appended\n");
    std::fs::write(&edited, &bytes).unwrap();
    let (code, _, err) = revive(&["verify", edited.to_str().unwrap(), "--public-key", &key.public_key()]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid: something was added to the file after the shop sealed it"), "{err}");

    let (code, _, err) = revive(&["verify", "/nonexistent.pdf", "--public-key", &key.public_key()]);
    assert_eq!(code, 5, "{err}");
}

#[test]
fn verify_without_a_key_uses_this_shops_own_and_finds_the_folder_the_app_uses() {
    let dir = tempfile::tempdir().unwrap();
    let renderer = CertificateRenderer::load(&sample::fonts_dir()).unwrap();
    let (certificate, key) = sample::certificate(dir.path(), &sample::document(CertificateLanguage::En, false));
    let pdf = dir.path().join("RC-2026-000042.pdf");
    std::fs::write(&pdf, renderer.pdf(&certificate, &key).unwrap()).unwrap();

    // The README's `revive verify FILE`, on the workstation: no key, no folder given.
    let xdg = tempfile::tempdir().unwrap();
    let workstation = xdg.path().join("works.revive.bench");
    std::fs::create_dir_all(&workstation).unwrap();
    let key_file = certificates::KEY_FILE;
    std::fs::copy(dir.path().join(key_file), workstation.join(key_file)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_revive"))
        .args(["verify", pdf.to_str().unwrap()])
        .env_remove("REVIVE_DATA_DIR")
        .env("XDG_DATA_HOME", xdg.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid: certificate RC-2026-000042"));

    // A folder without a key: nothing to check with, and none is made.
    let (code, _, err) =
        revive(&["verify", pdf.to_str().unwrap(), "--data-dir", dir.path().join("x").to_str().unwrap()]);
    assert_eq!(code, 5, "no key there: {err}");
    assert!(err.contains("pass --public-key"), "{err}");
}

#[test]
fn export_writes_the_filtered_history_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    generator::generate(&dir.path().join("revive.sqlite3"), 1_200, 5).unwrap();
    let out = dir.path().join("rma.csv");
    let data_dir = dir.path().to_str().unwrap();
    let args = ["export", "--format", "csv", "--out", out.to_str().unwrap(), "--data-dir", data_dir];
    let (code, said, err) = revive(&[&args[..], &["--outcome", "rma", "--bom"]].concat());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let rows = text.lines().count() - 1;
    assert!(rows > 10 && said.starts_with(&format!("{rows} jobs written to ")), "{said}");
    assert!(text.starts_with("\u{feff}Ticket,") && text.lines().skip(1).all(|l| l.split(',').nth(2) == Some("rma")));

    let workbook = dir.path().join("rma.xlsx");
    let xlsx_args = ["export", "--format", "xlsx", "--out", workbook.to_str().unwrap(), "--data-dir", data_dir];
    let (code, said, err) = revive(&[&xlsx_args[..], &["--outcome", "rma"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(said.starts_with(&format!("{rows} jobs written to ")), "{said}");
    assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"), "an XLSX is a zip file");
    let archive = dir.path().join("rma.json");
    let json_args = ["export", "--format", "json", "--out", archive.to_str().unwrap(), "--data-dir", data_dir];
    let (code, _, err) = revive(&[&json_args[..], &["--outcome", "rma"]].concat());
    assert_eq!(code, 0, "{err}");
    let envelope: serde_json::Value = serde_json::from_slice(&std::fs::read(&archive).unwrap()).unwrap();
    assert_eq!(envelope["count"].as_u64(), Some(rows as u64));

    let (code, _, err) = revive(&[&args[..], &["--from", "2024-02-30"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid filter"), "{err}");
    let (code, _, err) = revive(&["export", "--format", "csv", "--out", "x.csv", "--data-dir", "/nonexistent"]);
    assert_eq!(code, 5);
    assert!(err.contains("no Revive database"), "{err}");
}

#[test]
fn backup_and_restore_round_trip_and_a_wrong_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    generator::generate(&dir.path().join("revive.sqlite3"), 300, 9).unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let copy = dir.path().join("backup.revive-backup");
    let (code, said, err) = revive(&["backup", "--out", copy.to_str().unwrap(), "--data-dir", data_dir]);
    assert_eq!(code, 0, "{err}");
    assert!(said.starts_with("backed up to "), "{said}");

    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, b"not a database, honestly, just some bytes that are long enough").unwrap();
    let (code, _, err) = revive(&["restore", junk.to_str().unwrap(), "--data-dir", data_dir]);
    assert_eq!(code, 1);
    assert!(err.contains("not restored, the store is unchanged"), "{err}");

    let (code, said, err) = revive(&["restore", copy.to_str().unwrap(), "--data-dir", data_dir]);
    assert_eq!(code, 0, "{err}");
    assert!(said.starts_with("restored from "), "{said}");

    // With the key, sealed by a passphrase read from a file (never from the command line).
    let passphrase = dir.path().join("passphrase.txt");
    std::fs::write(&passphrase, "华强北 维修中心 2026\n").unwrap();
    let with_key = ["--key-passphrase-file", passphrase.to_str().unwrap()];
    let out = copy.to_str().unwrap();
    let (code, said, err) = revive(&[&["backup", "--out", out, "--data-dir", data_dir][..], &with_key].concat());
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("the shop key encrypted"), "{said}");
    let (code, said, _) = revive(&["restore", out, "--data-dir", data_dir]);
    assert_eq!(code, 0);
    assert!(said.contains("give --key-passphrase-file to restore it too"), "{said}");
    let (code, _, err) = revive(&[&["restore", out, "--data-dir", data_dir][..], &with_key].concat());
    assert_eq!(code, 0, "{err}");
}

#[test]
fn audit_names_the_first_event_changed_outside_revive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let (code, _, err) = revive(&["generate", "--jobs", "30", "--seed", "5", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = revive(&["audit", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("every link of the log holds"), "{out}");
    let conn = rusqlite::Connection::open(data.join("revive.sqlite3")).unwrap();
    conn.execute_batch("DROP TRIGGER job_events_no_update; UPDATE job_events SET actor = 'José' WHERE id = 7;")
        .unwrap();
    drop(conn);
    let (code, _, err) = revive(&["audit", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("audit: broken at event 7 of job RV-"), "{err}");
}

#[test]
fn verify_with_the_shops_status_list_refuses_a_revoked_certificate() {
    use revive_core::certificates::{Revocation, RevocationReason, StatusEntry, StatusList, STATUS_LIST_FORMAT};
    let dir = tempfile::tempdir().unwrap();
    let renderer = CertificateRenderer::load(&sample::fonts_dir()).unwrap();
    let (certificate, key) = sample::certificate(dir.path(), &sample::document(CertificateLanguage::En, false));
    let pdf = dir.path().join("RC-2026-000042.pdf");
    std::fs::write(&pdf, renderer.pdf(&certificate, &key).unwrap()).unwrap();
    let list = |entries: Vec<StatusEntry>| StatusList {
        format: STATUS_LIST_FORMAT.into(),
        version: 1,
        shop: "深圳芯复活".into(),
        issued_at: "2027-01-05T08:00:00Z".into(),
        entries,
    };
    let revoked = StatusEntry {
        number: "RC-2026-000042".into(),
        superseded_by: None,
        revoked: Some(Revocation {
            revoked_at: "2027-01-04T10:00:00Z".into(),
            revoked_by: "王芳".into(),
            reason: RevocationReason::ReturnedFaulty,
            note: Some("满载掉卡".into()),
        }),
    };
    let status = dir.path().join("status.json");
    std::fs::write(&status, serde_json::to_vec(&list(vec![revoked.clone()]).sign(&key).unwrap()).unwrap()).unwrap();
    let args = |status: &std::path::Path| {
        ["verify", pdf.to_str().unwrap(), "--public-key", &key.public_key(), "--status", status.to_str().unwrap()]
            .map(str::to_owned)
    };
    let (code, _, err) = revive(&args(&status).each_ref().map(String::as_str));
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid: the shop revoked this certificate on 2027-01-04: returned faulty (满载掉卡)"),
        "{err}"
    );

    // A list that does not name it: valid. A list edited or from another key: not read at all.
    std::fs::write(&status, serde_json::to_vec(&list(vec![]).sign(&key).unwrap()).unwrap()).unwrap();
    assert_eq!(revive(&args(&status).each_ref().map(String::as_str)).0, 0);
    let other = revive_core::certificates::ShopKey::load_or_create(&dir.path().join("other")).unwrap();
    std::fs::write(&status, serde_json::to_vec(&list(vec![revoked]).sign(&other).unwrap()).unwrap()).unwrap();
    let (code, _, err) = revive(&args(&status).each_ref().map(String::as_str));
    assert_eq!(code, 5);
    assert!(err.contains("the status list is not one this shop signed"), "{err}");
}

#[test]
fn the_committed_samples_verify_as_they_are() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples");
    let file = |name: &str| samples.join(name).display().to_string();
    let key = file("shop.pub");
    let status = file("status.json");
    for (pdf, expected) in
        [("certificate-en.pdf", 0), ("certificate-zh-CN.pdf", 0), ("certificate-bilingual-simulated.pdf", 6)]
    {
        let (code, out, err) = revive(&["verify", &file(pdf), "--public-key", &key, "--status", &status]);
        assert_eq!(code, expected, "{pdf}: {out}{err}");
        assert!(out.contains("RC-2026-000042") && out.contains("until 2027-02-26"), "{pdf}: {out}");
    }
}
