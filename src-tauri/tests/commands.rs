//! The IPC layer as the webview sees it: argument names, result shapes and `{code, message}` errors.

use revive_app::{open_state, with_commands};
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

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let app = with_commands(mock_builder())
        .manage(open_state(dir.path().to_path_buf()))
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Bench { _app: app, window, _dir: dir }
}

fn call(bench: &Bench, cmd: &str, body: Value) -> Result<Value, Value> {
    call_from(bench, "tauri://localhost", cmd, body)
}

fn call_from(bench: &Bench, origin: &str, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        &bench.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
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
    let job = call(&bench, "intake_job", json!({ "form": intake_form("1324021055555"), "actor": "Li Wei" })).unwrap();
    assert!(job["ticket"].as_str().unwrap().starts_with("RV-"));
    assert_eq!(job["quote"], json!({ "minor": 980_000, "currency": "USD" }));
    assert_eq!(job["conditions"], json!(["cracked_pcb"]));

    let found = call(&bench, "list_jobs", json!({ "query": { "text": "055555", "status": "" } })).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);

    let moved = call(
        &bench,
        "change_job_status",
        json!({ "id": job["id"], "change": { "to": "diagnosing", "reason": "" }, "actor": "Li Wei" }),
    )
    .unwrap();
    assert_eq!(moved["status"], "diagnosing");
    assert_eq!(moved["events"].as_array().unwrap().len(), 2);
    assert_eq!(call(&bench, "get_job", json!({ "id": job["id"] })).unwrap()["status"], "diagnosing");
}

#[test]
fn bad_input_crosses_ipc_as_code_field_and_problem() {
    let bench = bench();
    with_technician(&bench);
    let error = call(&bench, "intake_job", json!({ "form": intake_form("  "), "actor": "Li Wei" })).unwrap_err();
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
    let app =
        with_commands(mock_builder()).manage(open_state(blocker)).build(tauri::generate_context!(test = true)).unwrap();
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
