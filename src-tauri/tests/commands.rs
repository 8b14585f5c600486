//! The IPC layer as the webview sees it: argument names, result shapes and `{code, message}` errors.

use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_app::{open_state, with_commands};
use revive_core::paths::Shipped;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

struct Bench {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
}

/// What ships, as the tests see it: the fake driver beside the test binary.
fn folders() -> Shipped {
    Shipped {
        fake_nvml: built_library(),
        scenarios: shipped_scenario("x").parent().unwrap().to_owned(),
        procedures: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../procedures"),
        fonts: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fonts"),
        // `cargo test --workspace` builds the CLI beside the test binaries' folder.
        stress_worker: std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("revive"),
    }
}

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let app = with_commands(mock_builder())
        .manage(open_state(dir.path().to_path_buf(), folders()))
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Bench { _app: app, window, _dir: dir }
}

/// The fake driver keeps its scenario process-wide, as a real driver does: the tests that connect
/// the bench take turns.
static DRIVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn hold_driver() -> std::sync::MutexGuard<'static, ()> {
    DRIVER.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn call(bench: &Bench, cmd: &str, body: Value) -> Result<Value, Value> {
    invoke(bench, "tauri://localhost", cmd, InvokeBody::Json(body), &[])
}

fn call_from(bench: &Bench, origin: &str, cmd: &str, body: Value) -> Result<Value, Value> {
    invoke(bench, origin, cmd, InvokeBody::Json(body), &[])
}

fn call_raw(bench: &Bench, cmd: &str, bytes: Vec<u8>, headers: &[(&'static str, &str)]) -> Result<Value, Value> {
    invoke(bench, "tauri://localhost", cmd, InvokeBody::Raw(bytes), headers)
}

/// One IPC request as the webview at `origin` would send it.
fn invoke(
    bench: &Bench,
    origin: &str,
    cmd: &str,
    body: InvokeBody,
    headers: &[(&'static str, &str)],
) -> Result<Value, Value> {
    let mut map = tauri::http::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    get_ipc_response(
        &bench.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body,
            headers: map,
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|response| response.deserialize::<Value>().unwrap())
}

fn with_technician(bench: &Bench) {
    let settings =
        json!({ "settings": { "language": "zh-CN", "technicians": ["Li Wei"], "currentTechnician": "Li Wei" } });
    let saved = call(bench, "save_settings", settings).unwrap();
    assert_eq!(saved["language"], "zh-CN");
}

/// Seats `name` at the bench, as the technician switch does; every later action is theirs.
fn seat(bench: &Bench, name: &str) {
    let mut settings = call(bench, "get_settings", json!({})).unwrap();
    settings["currentTechnician"] = json!(name);
    settings["laborRate"] = json!("");
    call(bench, "save_settings", json!({ "settings": settings })).unwrap();
}

fn intake_form(serial: &str) -> Value {
    json!({
        "customerName": "Deep Compute",
        "modelId": "a100-sxm4-80gb",
        "boardSerial": serial,
        "symptomObserved": "Xid 48 under load",
        "conditions": ["cracked_pcb"],
        "quoteAmount": "9800.00",
        "quoteCurrency": "USD",
    })
}

#[test]
fn intake_list_and_status_change_round_trip() {
    let bench = bench();
    with_technician(&bench);
    let job = call(&bench, "intake_job", json!({ "form": intake_form("1324021055555") })).unwrap();
    assert!(job["ticket"].as_str().unwrap().starts_with("RV-"));
    assert_eq!(job["quote"], json!({ "minor": 980_000, "currency": "USD" }));
    assert_eq!(job["conditions"], json!(["cracked_pcb"]));

    let found = call(&bench, "list_jobs", json!({ "query": { "text": "055555", "status": "" } })).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);

    let moved =
        call(&bench, "change_job_status", json!({ "id": job["id"], "change": { "to": "diagnosing", "reason": "" } }))
            .unwrap();
    assert_eq!(moved["status"], "diagnosing");
    assert_eq!(moved["events"].as_array().unwrap().len(), 2);
    assert_eq!(call(&bench, "get_job", json!({ "id": job["id"] })).unwrap()["status"], "diagnosing");
}

#[test]
fn bad_input_crosses_ipc_as_code_field_and_problem() {
    let bench = bench();
    with_technician(&bench);
    let error = call(&bench, "intake_job", json!({ "form": intake_form("  ") })).unwrap_err();
    assert_eq!(error["code"], "invalid_input");
    assert_eq!(error["field"], "board_serial");
    assert_eq!(error["problem"], json!({ "kind": "empty" }));
    assert!(error["message"].as_str().unwrap().contains("BoardSerial"));

    let error = call(&bench, "get_job", json!({ "id": 42 })).unwrap_err();
    assert_eq!(error["code"], "job_not_found");
    let jobs = call(&bench, "list_jobs", json!({ "query": {} })).unwrap();
    assert_eq!(jobs, json!([]));
}

#[test]
fn app_info_reports_a_store_that_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"x").unwrap();
    let app = with_commands(mock_builder())
        .manage(open_state(blocker, folders()))
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let bench = Bench { _app: app, window, _dir: dir };
    let info = call(&bench, "app_info", json!({})).unwrap();
    assert_eq!(info["storeError"]["code"], "data_dir_unusable");
    assert_eq!(call(&bench, "get_settings", json!({})).unwrap_err()["code"], "data_dir_unusable");
}

#[test]
fn commands_are_refused_to_remote_content() {
    let bench = bench();
    let refused = call_from(&bench, "https://example.com", "get_settings", json!({})).unwrap_err();
    assert!(refused.as_str().unwrap().contains("not allowed"), "{refused}");
}

#[test]
fn the_simulated_bench_reads_and_records_to_a_job() {
    let _driver = hold_driver();
    let bench = bench();
    with_technician(&bench);
    let scenarios = call(&bench, "bench_scenarios", json!({})).unwrap();
    assert!(scenarios.as_array().unwrap().iter().any(|s| s["id"] == "h100-remap-pending"));

    let view = call(&bench, "bench_connect", json!({ "scenario": "h100-remap-pending" })).unwrap();
    assert_eq!(view["snapshot"]["simulated"], true);
    assert_eq!(view["scenario"], "h100-remap-pending");
    assert!(view["findings"].as_array().unwrap().iter().any(|f| f["code"] == "remap_pending"));
    assert_eq!(call(&bench, "bench_read", json!({})).unwrap()["snapshot"]["gpus"][0]["state"], "present");

    let job = call(&bench, "intake_job", json!({ "form": intake_form("1654922012345") })).unwrap();
    let run = call(&bench, "record_diagnostic", json!({ "jobId": job["id"], "gpuIndex": 0 })).unwrap();
    assert_eq!(run["simulated"], true);
    let diagnostics = call(&bench, "job_diagnostics", json!({ "jobId": job["id"] })).unwrap();
    assert_eq!(diagnostics["runs"].as_array().unwrap().len(), 1);

    let log = "[ 1.0] NVRM: Xid (PCI:0000:18:00): 79, pid=1, name=x, GPU has fallen off the bus.";
    let imported = call(&bench, "bench_import_kernel_log", json!({ "text": log })).unwrap();
    assert_eq!((imported["events"].as_u64(), imported["findings"][0]["gpuIndex"].as_u64()), (Some(1), Some(0)));

    let refused = call(&bench, "bench_connect", json!({ "scenario": "../../etc/passwd" })).unwrap_err();
    assert_eq!((refused["code"].as_str(), refused["field"].as_str()), (Some("invalid_input"), Some("scenario")));
    let unloaded = call(&bench, "bench_connect", json!({ "scenario": "no-driver-loaded" })).unwrap_err();
    assert_eq!(unloaded["code"], "driver_not_loaded");
    assert_eq!(call(&bench, "bench_read", json!({})).unwrap_err()["code"], "no_driver");
}

#[test]
fn a_procedure_runs_through_ipc_with_a_photo() {
    let bench = bench();
    with_technician(&bench);
    let job = call(&bench, "intake_job", json!({ "form": intake_form("1324021055555") })).unwrap();
    let choices = call(&bench, "procedure_choices", json!({ "jobId": job["id"] })).unwrap();
    assert!(choices["procedures"].as_array().unwrap().iter().any(|p| p["id"] == "intake-inspection"));
    let run =
        call(&bench, "start_procedure", json!({ "jobId": job["id"], "procedureId": "intake-inspection" })).unwrap();
    assert_eq!(run["currentStep"], "photos");

    let jpeg = b"\xFF\xD8\xFF\xE0 board front".to_vec();
    let job_id = job["id"].to_string();
    let front = call_raw(&bench, "attach_photo", jpeg, &[("revive-job", &job_id)]).unwrap();
    let back = call_raw(&bench, "attach_photo", b"\x89PNG\r\n\x1a\nback".to_vec(), &[("revive-job", &job_id)]).unwrap();
    let refused = call_raw(&bench, "attach_photo", b"not a photo".to_vec(), &[("revive-job", &job_id)]);
    assert_eq!(refused.unwrap_err()["field"], "photo");

    let answer = |step: &str, answer: Value| {
        call(&bench, "answer_step", json!({ "runId": run["id"], "stepId": step, "answer": answer, "note": "" }))
    };
    let moved = answer("photos", json!({ "kind": "photos", "hashes": [front, back] })).unwrap();
    assert_eq!(moved["currentStep"], "seals");
    let stale = answer("photos", json!({ "kind": "confirm" })).unwrap_err();
    assert_eq!(stale["code"], "step_not_current");
    let failed = answer("seals", json!({ "kind": "check", "result": "fail" })).unwrap();
    assert_eq!(failed["results"][1]["passed"], false);
    let runs = call(&bench, "procedure_runs", json!({ "jobId": job["id"] })).unwrap();
    assert_eq!(runs[0]["currentStep"], "edge-connector");

    let part = json!({ "partNumber": "TDA21490", "description": "Power stage", "quantity": "2", "unitCost": "85.5" });
    let costs = call(&bench, "add_part", json!({ "jobId": job["id"], "part": part })).unwrap();
    assert_eq!(costs["partsTotal"], json!({ "minor": 17_100, "currency": "USD" }));
    let adjusted = call(
        &bench,
        "adjust_labor",
        json!({ "jobId": job["id"], "adjustment": { "minutes": "30", "reason": "Untimed rework" } }),
    )
    .unwrap();
    assert!(adjusted["laborSeconds"].as_i64().unwrap() >= 1_800);
    let removed =
        call(&bench, "remove_part", json!({ "jobId": job["id"], "partId": costs["parts"][0]["id"] })).unwrap();
    assert_eq!(removed["parts"], json!([]));
}

#[test]
fn technicians_named_in_any_script_attach_photos_sign_and_approve() {
    let bench = bench();
    let settings =
        json!({ "settings": { "language": "zh-CN", "technicians": ["王芳", "José"], "currentTechnician": "王芳" } });
    call(&bench, "save_settings", settings).unwrap();
    let job = call(&bench, "intake_job", json!({ "form": intake_form("1324021055555") })).unwrap();
    assert_eq!(job["receivedBy"], "王芳");
    let run =
        call(&bench, "start_procedure", json!({ "jobId": job["id"], "procedureId": "intake-inspection" })).unwrap();
    let job_id = job["id"].to_string();
    // The webview cannot put 王芳 in a header (not Latin-1); the shell never asks for one.
    let photos: Vec<Value> = [b"\xFF\xD8\xFF\xE0 front".to_vec(), b"\xFF\xD8\xFF\xE0 back".to_vec()]
        .into_iter()
        .map(|jpeg| call_raw(&bench, "attach_photo", jpeg, &[("revive-job", &job_id)]).unwrap())
        .collect();
    let answered = call(
        &bench,
        "answer_step",
        json!({ "runId": run["id"], "stepId": "photos", "answer": { "kind": "photos", "hashes": photos }, "note": "" }),
    )
    .unwrap();
    assert_eq!(answered["results"][0]["actor"], "王芳");

    seat(&bench, "José");
    call_raw(&bench, "attach_photo", b"\x89PNG\r\n\x1a\nseal".to_vec(), &[("revive-job", &job_id)]).unwrap();
    let moved =
        call(&bench, "change_job_status", json!({ "id": job["id"], "change": { "to": "diagnosing", "reason": "" } }))
            .unwrap();
    assert_eq!(moved["events"].as_array().unwrap().last().unwrap()["actor"], "José");
}

#[test]
fn a_certificate_is_issued_previewed_and_verified_through_ipc() {
    let _driver = hold_driver();
    let bench = bench();
    let settings = json!({ "settings": {
        "shopName": "深圳芯复活", "language": "en", "technicians": ["Li Wei", "Zhang Min"], "currentTechnician": "Li Wei"
    } });
    call(&bench, "save_settings", settings).unwrap();
    let key = call(&bench, "shop_key", json!({})).unwrap();
    assert_eq!(key["fingerprint"].as_str().unwrap().len(), 39, "the key exists from the first run: {key}");

    let form = json!({ "customerName": "Deep Compute", "modelId": "h100-sxm5-80gb", "boardSerial": "1654922012345",
        "symptomObserved": "Xid 63", "quoteAmount": "9800.00", "quoteCurrency": "USD" });
    let job = call(&bench, "intake_job", json!({ "form": form })).unwrap();
    let job_id = job["id"].clone();
    call(&bench, "bench_connect", json!({ "scenario": "h100-remap-pending" })).unwrap();
    call(&bench, "record_diagnostic", json!({ "jobId": job_id, "gpuIndex": 0 })).unwrap();
    let issue = json!({ "jobId": job_id, "warrantyDays": "90", "language": "both" });
    let early = call(&bench, "issue_certificate", issue.clone()).unwrap_err();
    assert_eq!(
        (early["code"].as_str(), early["reason"].as_str()),
        (Some("certificate_not_ready"), Some("final_qa_missing"))
    );

    let run = call(&bench, "start_procedure", json!({ "jobId": job_id, "procedureId": "final-qa-burn-in" })).unwrap();
    let answer = |step: &str, answer: Value| {
        call(&bench, "answer_step", json!({ "runId": run["id"], "stepId": step, "answer": answer, "note": "" }))
            .unwrap()
    };
    // The load tests on the simulated bench (a two-hour burn-in passes in seconds there).
    answer("load-tests", json!({ "kind": "check", "result": "pass" }));
    call(&bench, "bench_connect", json!({ "scenario": "h100-healthy" })).unwrap();
    let form =
        json!({ "gpus": [0], "memoryTest": true, "passes": "1", "bitFadeMinutes": "", "burnInMinutes": "１２０" });
    call(&bench, "stress_start", json!({ "form": form, "channel": "__CHANNEL__:7" })).unwrap();
    let again = call(&bench, "stress_start", json!({ "form": form, "channel": "__CHANNEL__:8" })).unwrap_err();
    assert_eq!((again["field"].as_str(), again["problem"]["kind"].as_str()), (Some("stress_test"), Some("duplicate")));
    let started = std::time::Instant::now();
    let recorded = loop {
        match call(&bench, "stress_record", json!({ "jobId": job_id, "gpuIndex": 0 })) {
            Ok(run) => break run,
            // Until it finishes there is no outcome to record.
            Err(error) if error["field"] == "gpu_index" && started.elapsed().as_secs() < 120 => {
                std::thread::sleep(std::time::Duration::from_millis(200))
            }
            Err(error) => panic!("{error} (is target/debug/revive built? cargo build -p revive-cli)"),
        }
    };
    assert_eq!((recorded["verdict"].as_str(), recorded["burnInSeconds"].as_u64()), (Some("passed"), Some(7200)));
    assert_eq!(recorded["simulated"], true);
    let runs = call(&bench, "job_stress_runs", json!({ "jobId": job_id })).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    answer("memory-test", json!({ "kind": "confirm" }));
    answer("burn-in", json!({ "kind": "confirm" }));
    answer("bandwidth", json!({ "kind": "measure", "value": 1_880_000 }));
    call(&bench, "bench_connect", json!({ "scenario": "h100-remap-reset" })).unwrap();
    call(&bench, "record_diagnostic", json!({ "jobId": job_id, "gpuIndex": 0 })).unwrap();
    answer("release-reading", json!({ "kind": "confirm" }));
    let job_header = job_id.to_string();
    let headers = [("revive-job", job_header.as_str())];
    let photos: Vec<Value> = [b"\xFF\xD8\xFF\xE0 front".to_vec(), b"\xFF\xD8\xFF\xE0 back".to_vec()]
        .into_iter()
        .map(|jpeg| call_raw(&bench, "attach_photo", jpeg, &headers).unwrap())
        .collect();
    answer("photos-out", json!({ "kind": "photos", "hashes": photos }));
    call(&bench, "set_pin", json!({ "technician": "Li Wei", "current": "", "pin": "2468" })).unwrap();
    call(&bench, "set_pin", json!({ "technician": "Zhang Min", "current": "", "pin": "１３５７" })).unwrap();
    let sign = |step: &str, technician: &str, pin: &str| {
        let signature = json!({ "technician": technician, "pin": pin });
        call(
            &bench,
            "answer_step",
            json!({ "runId": run["id"], "stepId": step, "answer": { "kind": "confirm" }, "note": "", "signature": signature }),
        )
    };
    // A sign-off without a PIN, or with someone else's, is refused with the field to fix.
    let unsigned = call(
        &bench,
        "answer_step",
        json!({ "runId": run["id"], "stepId": "technician-qc", "answer": { "kind": "confirm" }, "note": "" }),
    )
    .unwrap_err();
    assert_eq!((unsigned["field"].as_str(), unsigned["problem"]["kind"].as_str()), (Some("pin"), Some("empty")));
    let wrong = sign("technician-qc", "Li Wei", "1357").unwrap_err();
    assert_eq!(
        (wrong["field"].as_str(), &wrong["problem"]),
        (Some("pin"), &json!({ "kind": "wrong", "tries_left": 4 }))
    );
    sign("technician-qc", "Li Wei", "2468").unwrap();
    // Zhang Min approves at Li Wei's bench with her own PIN; nobody switches the seat.
    let approved = sign("approver-qc", "Zhang Min", "1357").unwrap();
    assert_eq!(approved["results"].as_array().unwrap().last().unwrap()["actor"], "Zhang Min");
    assert_eq!(call(&bench, "get_settings", json!({})).unwrap()["currentTechnician"], "Li Wei");
    let ready = call(&bench, "get_job", json!({ "id": job_id })).unwrap();
    assert_eq!(ready["status"], "ready", "passing final QA moved the job on: {}", ready["events"]);

    let certificate = call(&bench, "issue_certificate", issue).unwrap();
    let number = certificate["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("RC-"), "{certificate}");
    assert_eq!(call(&bench, "job_certificates", json!({ "jobId": job_id })).unwrap()[0]["number"], number.as_str());
    let preview = call(&bench, "certificate_preview", json!({ "number": number })).unwrap();
    assert!(preview["svg"].as_str().unwrap().starts_with("<svg"), "the page as SVG");
    assert_eq!(
        call(&bench, "certificate_preview", json!({ "number": "RC-1999-000001" })).unwrap_err()["field"],
        "certificate"
    );

    let document: Value = serde_json::from_str(certificate["signed"]["document"].as_str().unwrap()).unwrap();
    assert_eq!(document["simulated"], true);
    // The code printed on the page, as a scanner types it.
    let signed: revive_core::certificates::SignedDocument =
        serde_json::from_value(certificate["signed"].clone()).unwrap();
    let payload = signed.qr_payload(key["publicKey"].as_str().unwrap()).unwrap().to_string();
    assert!(payload.starts_with(&format!("RVC2:S:{number}:")), "{payload}");
    let verified = call(&bench, "verify_certificate_payload", json!({ "payload": payload, "publicKey": "" })).unwrap();
    assert_eq!(
        (verified["valid"].as_bool(), verified["keyFingerprint"].clone()),
        (Some(true), key["fingerprint"].clone())
    );
    assert_eq!(
        (verified["simulated"].as_bool(), &verified["facts"]["serial"]),
        (Some(true), &document["gpu"]["serial"])
    );
    let other_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let wrong =
        call(&bench, "verify_certificate_payload", json!({ "payload": payload, "publicKey": other_key })).unwrap();
    assert_eq!((wrong["valid"].as_bool(), wrong["reason"].as_str()), (Some(false), Some("signature_mismatch")));
    let junk = call(&bench, "verify_certificate_payload", json!({ "payload": "hello", "publicKey": "" })).unwrap();
    assert_eq!(junk["reason"], "payload_malformed");

    // A re-issue supersedes, and checking the old code says so.
    let again = json!({ "jobId": job_id, "warrantyDays": "180", "language": "en" });
    let newer = call(&bench, "issue_certificate", again).unwrap();
    let old = call(&bench, "verify_certificate_payload", json!({ "payload": payload, "publicKey": "" })).unwrap();
    assert_eq!((old["valid"].as_bool(), &old["supersededBy"]), (Some(true), &newer["number"]));

    // The card comes back faulty and the shop revokes; a buyer on another PC, with the shop's key
    // and its signed status list, is told so.
    let revoke = json!({ "number": newer["number"], "reason": "returned_faulty", "note": "客户退回：满载掉卡" });
    call(&bench, "revoke_certificate", revoke).unwrap();
    let shop = revive_core::workshop::Workshop::open(bench._dir.path(), folders()).unwrap();
    let list = serde_json::to_value(shop.certificates().status_list().unwrap()).unwrap();
    let newer_signed: revive_core::certificates::SignedDocument =
        serde_json::from_value(newer["signed"].clone()).unwrap();
    let public_key = key["publicKey"].as_str().unwrap();
    let newer_payload = newer_signed.qr_payload(public_key).unwrap().to_string();
    let buyer = self::bench();
    let told = call(
        &buyer,
        "verify_certificate_payload",
        json!({ "payload": newer_payload, "publicKey": public_key, "status": list }),
    )
    .unwrap();
    assert_eq!((told["valid"].as_bool(), &told["revoked"]["reason"]), (Some(false), &json!("returned_faulty")));
    // A list the key did not sign is refused, not quietly ignored.
    let foreign = serde_json::to_value(
        revive_core::workshop::Workshop::open(buyer._dir.path(), folders())
            .unwrap()
            .certificates()
            .status_list()
            .unwrap(),
    )
    .unwrap();
    let refused = call(
        &buyer,
        "verify_certificate_payload",
        json!({ "payload": newer_payload, "publicKey": public_key, "status": foreign }),
    )
    .unwrap_err();
    assert_eq!((refused["field"].as_str(), &refused["problem"]["kind"]), (Some("status_list"), &json!("mismatch")));
}

#[test]
fn the_history_pages_and_counts_through_ipc() {
    let bench = bench();
    with_technician(&bench);
    for serial in ["1324021000001", "1324021000002", "1324021000003"] {
        call(&bench, "intake_job", json!({ "form": intake_form(serial) })).unwrap();
    }
    let query = json!({ "text": "", "status": "intake", "sort": "ticket", "descending": true });
    let page =
        call(&bench, "history_page", json!({ "query": query, "offset": 1, "limit": 50, "wholeShop": false })).unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["exact"].as_bool(), page["offset"].as_u64()),
        (Some(3), Some(true), Some(1))
    );
    let serials: Vec<&str> =
        page["rows"].as_array().unwrap().iter().map(|r| r["boardSerial"].as_str().unwrap()).collect();
    assert_eq!(serials, ["1324021000002", "1324021000001"], "newest ticket first, from the second");
    assert_eq!(page["rows"][0]["customer"], "Deep Compute");

    assert_eq!(
        call(&bench, "history_count", json!({ "query": { "status": "intake" }, "wholeShop": false })).unwrap(),
        3
    );
    assert_eq!(
        call(&bench, "history_count", json!({ "query": { "text": "no such card" }, "wholeShop": false })).unwrap(),
        0
    );
    // The whole shop's history needs a shop server: a bench working alone says so.
    let alone =
        call(&bench, "history_page", json!({ "query": {}, "offset": 0, "limit": 50, "wholeShop": true })).unwrap_err();
    assert_eq!(alone["code"], "shop_not_linked");
    // So do hand-overs and conflicts; a bench's own job is held here.
    let key = json!({ "key": { "bench": "bench-2", "jobId": 7 } });
    assert_eq!(call(&bench, "shop_take_job", key).unwrap_err()["code"], "shop_not_linked");
    assert_eq!(call(&bench, "shop_conflicts", json!({})).unwrap_err()["code"], "shop_not_linked");
    let settle = json!({ "id": 1, "keep": "bench" });
    assert_eq!(call(&bench, "shop_settle_conflict", settle).unwrap_err()["code"], "shop_not_linked");
    let own = page["rows"][0]["id"].clone();
    assert_eq!(call(&bench, "job_away", json!({ "jobId": own })).unwrap(), Value::Null);
    let error =
        call(&bench, "history_count", json!({ "query": { "to": "2026-02-30" }, "wholeShop": false })).unwrap_err();
    assert_eq!(error["field"], "date_to");
    let figures = call(&bench, "history_statistics", json!({ "query": {}, "wholeShop": false })).unwrap();
    assert_eq!(figures["months"].as_array().unwrap().len(), 1);
    assert_eq!(figures["months"][0]["received"], 3);
    assert_eq!(figures["models"][0], json!({ "modelId": "a100-sxm4-80gb", "ended": {}, "open": 3 }));
    assert_eq!(figures["technicians"][0], json!({ "technician": "Li Wei", "received": 3, "closed": 0 }));
    assert_eq!(figures["turnaround"], json!({ "returned": 0, "medianHours": null }));

    let error = call(
        &bench,
        "history_page",
        json!({ "query": { "from": "2026-13-01" }, "offset": 0, "limit": 50, "wholeShop": false }),
    )
    .unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid_input"), Some("date_from")));
    let error = call(&bench, "history_page", json!({ "query": {}, "offset": 0, "limit": 5000, "wholeShop": false }))
        .unwrap_err();
    assert_eq!(error["field"], "page");
    let error =
        call(&bench, "history_statistics", json!({ "query": { "certificate": "perhaps" }, "wholeShop": false }))
            .unwrap_err();
    assert_eq!(error["field"], "certificate");
    assert_eq!(call(&bench, "cancel_export", json!({})).unwrap(), Value::Null);
}
