//! The built library as a caller sees it: every symbol nvml-wrapper-sys loads is exported, and every
//! shipped scenario is valid.

use nvidia_ml_fake::locate::{built_library, shipped_scenario, shipped_scenarios};
use nvidia_ml_fake::scenario::Bench;

#[test]
fn every_nvml_symbol_is_exported() {
    let library = unsafe { libloading::Library::new(built_library()) }.unwrap();
    let symbols = include_str!("../nvml-symbols.txt");
    assert!(symbols.lines().count() > 300);
    for symbol in symbols.lines() {
        let found = unsafe { library.get::<unsafe extern "C" fn()>(symbol.as_bytes()) };
        assert!(found.is_ok(), "{symbol} is not exported");
    }
}

#[test]
fn nvml_wrapper_sys_loads_every_function_from_it() {
    let lib = unsafe { nvml_wrapper_sys::bindings::NvmlLib::new(built_library()) }.unwrap();
    assert!(lib.nvmlDeviceGetRemappedRows.is_ok() && lib.nvmlEventSetFree.is_ok() && lib.nvmlShutdown.is_ok());
}

#[test]
fn every_shipped_scenario_is_valid() {
    let files = shipped_scenarios();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Err(error) = Bench::parse(&text) {
            panic!("{}: {error}", file.display());
        }
    }
}

#[test]
fn broken_scenarios_are_refused_with_a_reason() {
    let healthy = std::fs::read_to_string(shipped_scenario("h100-healthy")).unwrap();
    let unknown_field = healthy.replacen("\"serial\"", "\"serail\"", 1);
    assert!(Bench::parse(&unknown_field).unwrap_err().contains("serail"));
    let mut doc: serde_json::Value = serde_json::from_str(&healthy).unwrap();
    doc["timeline"] = serde_json::json!([{ "gpu": 3, "after_calls": 1, "lost": true }]);
    assert!(Bench::parse(&doc.to_string()).unwrap_err().contains("GPU 3"));
    doc["timeline"] = serde_json::json!([{ "gpu": 0, "after_calls": 1, "set": { "pcie": { "gen": "five" } } }]);
    assert!(Bench::parse(&doc.to_string()).is_err());
    assert!(Bench::parse("{").is_err());

    let mut doc: serde_json::Value = serde_json::from_str(&healthy).unwrap();
    doc["gpus"][0].as_object_mut().unwrap().remove("compute_capability");
    assert!(Bench::parse(&doc.to_string()).unwrap_err().contains("compute_capability"));
    let refused = |gpu: serde_json::Value, reason: &str| {
        let mut doc: serde_json::Value = serde_json::from_str(&healthy).unwrap();
        doc["timeline"] = serde_json::json!([{ "gpu": 0, "after_calls": 5, "set": gpu }]);
        let error = Bench::parse(&doc.to_string()).unwrap_err();
        assert!(error.contains(reason) && error.contains("GPU 0 at 5"), "{error}");
    };
    refused(serde_json::json!({ "utilization": { "decoder_percent": 101 } }), "above 100 percent");
    refused(serde_json::json!({ "under_load": { "gpu_utilization_percent": 250 } }), "above 100 percent");
    refused(serde_json::json!({ "performance_state": 16 }), "0 to 15");
    refused(serde_json::json!({ "memory": { "reserved_mib": 81559 } }), "more than total_mib");
}

/// The fake writes nvml-wrapper-sys's own types; these sizes are NVML's C layouts (nvml.h), so a
/// change in either side shows here before it corrupts a reading.
#[test]
fn struct_layouts_match_nvml() {
    use nvml_wrapper_sys::bindings::*;
    use std::mem::{align_of, size_of};
    assert_eq!((size_of::<nvmlPciInfo_t>(), align_of::<nvmlPciInfo_t>()), (68, 4));
    assert_eq!((size_of::<nvmlMemory_v2_t>(), align_of::<nvmlMemory_v2_t>()), (40, 8));
    assert_eq!(size_of::<nvmlRowRemapperHistogramValues_t>(), 20);
    assert_eq!((size_of::<nvmlFieldValue_t>(), align_of::<nvmlFieldValue_t>()), (40, 8));
    assert_eq!((size_of::<nvmlEventData_t>(), align_of::<nvmlEventData_t>()), (32, 8));
    assert_eq!(size_of::<nvmlValue_t>(), 8);
}
