//! The workshop a front end opens: the shop's own rules files and procedures in its data folder
//! take the place of the shipped ones, checked before anything is written.

use crate::common::{open_shop, tech};
use revive_core::jobs::intake::IntakeForm;
use revive_core::paths::Shipped;
use revive_core::workshop::{Workshop, SHOP_RULES_FOLDER};
use revive_core::CoreError;

const SHIPPED_MODELS: &str = include_str!("../../../rules/gpu-models.json");

fn b200_card() -> IntakeForm {
    IntakeForm {
        customer_name: "深圳算力科技".into(),
        model_id: "b200-sxm-180gb".into(),
        board_serial: "1650124000001".into(),
        symptom_observed: "开机不识别".into(),
        quote_amount: "８０００".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    }
}

#[test]
fn a_shop_adds_a_model_revive_does_not_ship() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = open_shop(dir.path());
    assert!(shipped.jobs().intake(&b200_card(), &tech(&shipped)).is_err(), "not a model Revive knows");
    drop(shipped);

    let mut models: serde_json::Value = serde_json::from_str(SHIPPED_MODELS).unwrap();
    models["models"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "b200-sxm-180gb", "name": "B200 SXM 180GB", "architecture": "blackwell", "form_factor": "sxm",
        "memory_gib": 180, "pci_device_ids": ["0x2901"], "cooling": "passive"
    }));
    std::fs::create_dir_all(dir.path().join(SHOP_RULES_FOLDER)).unwrap();
    std::fs::write(dir.path().join(SHOP_RULES_FOLDER).join("gpu-models.json"), models.to_string()).unwrap();

    let shop = open_shop(dir.path());
    assert_eq!(shop.catalogs().models.get("b200-sxm-180gb").unwrap().name, "B200 SXM 180GB");
    let job = shop.jobs().intake(&b200_card(), &tech(&shop)).unwrap();
    assert_eq!((job.model_id.as_str(), job.quote.minor), ("b200-sxm-180gb", 800_000));
}

#[test]
fn a_broken_rules_file_of_the_shop_opens_nothing_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join(SHOP_RULES_FOLDER);
    std::fs::create_dir_all(&rules).unwrap();
    // A model id the diagnostic limits name is gone: the shop's models and the shipped limits disagree.
    let mut models: serde_json::Value = serde_json::from_str(SHIPPED_MODELS).unwrap();
    models["models"].as_array_mut().unwrap().retain(|m| m["id"] != "h100-sxm5-80gb");
    for (text, expected) in
        [("{ \"schema_version\": 1, \"models\": [", "gpu-models.json"), (&models.to_string()[..], "diagnostics.json")]
    {
        std::fs::write(rules.join("gpu-models.json"), text).unwrap();
        match Workshop::open(dir.path(), Shipped::resolve(None)) {
            Err(CoreError::RulesInvalid { file, reason }) => assert!(file.ends_with(expected), "{file}: {reason}"),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a broken rules file opened"),
        }
    }
    assert!(!dir.path().join(revive_core::store::DATABASE_FILE).exists(), "nothing was written");
}
