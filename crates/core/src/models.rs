//! The catalogue of GPU models a job can be taken in as, loaded from `rules/gpu-models.json`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::rules_file::{self, RulesFile};

const SCHEMA_VERSION: u64 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
// The rules file a shop edits keeps its snake_case; the window gets camelCase like every other shape.
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
#[cfg_attr(feature = "bindings", ts(rename_all = "camelCase"))]
pub struct GpuModel {
    /// Stable id stored on jobs; never renamed once shipped.
    pub id: String,
    pub name: String,
    pub architecture: String,
    pub form_factor: String,
    pub memory_gib: Option<u32>,
    /// PCI device ids (`0x2330`) that identify the real SKU on the bus.
    pub pci_device_ids: Vec<String>,
    pub cooling: String,
    /// What a healthy card of this model reaches in a memory bandwidth test; procedures set their
    /// limit as a share of it. Absent where nobody publishes one.
    #[serde(default)]
    pub memory_bandwidth: Option<ReferenceFigure>,
}

/// A per-model figure and where it comes from (a DCGM target, a datasheet), so a shop can check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
#[cfg_attr(feature = "bindings", ts(rename_all = "camelCase"))]
pub struct ReferenceFigure {
    pub mb_s: u64,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    models: Vec<GpuModel>,
}

#[derive(Debug)]
pub struct ModelCatalog {
    models: Vec<GpuModel>,
}

impl ModelCatalog {
    pub const FILE: RulesFile =
        RulesFile { name: "gpu-models.json", shipped: include_str!("../../../rules/gpu-models.json") };

    pub fn from_json(text: &str) -> CoreResult<ModelCatalog> {
        let invalid = |reason: String| Self::FILE.invalid(reason);
        let file: ModelsFile = rules_file::parse(Self::FILE, text, SCHEMA_VERSION)?;
        if file.models.is_empty() {
            return Err(invalid("no models".into()));
        }
        let mut ids = HashSet::new();
        let mut device_ids = HashSet::new();
        for model in &file.models {
            if model.id.is_empty() || model.name.trim().is_empty() {
                return Err(invalid("a model has an empty id or name".into()));
            }
            if model.memory_bandwidth.as_ref().is_some_and(|f| f.mb_s == 0 || f.source.trim().is_empty()) {
                return Err(invalid(format!("{}: memory bandwidth needs a positive figure and its source", model.id)));
            }
            if !ids.insert(model.id.as_str()) {
                return Err(invalid(format!("model id {} appears twice", model.id)));
            }
            for device_id in &model.pci_device_ids {
                let well_formed = device_id.len() == 6
                    && device_id.starts_with("0x")
                    && device_id[2..].chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
                if !well_formed {
                    return Err(invalid(format!(
                        "{}: PCI device id {device_id} is not 0x + 4 lowercase hex",
                        model.id
                    )));
                }
                if !device_ids.insert(device_id.as_str()) {
                    return Err(invalid(format!("PCI device id {device_id} belongs to two models")));
                }
            }
        }
        Ok(ModelCatalog { models: file.models })
    }

    pub fn all(&self) -> &[GpuModel] {
        &self.models
    }

    /// The model a PCI device id (`0x2330`) identifies, if the catalogue knows it.
    pub fn by_pci_device_id(&self, device_id: &str) -> Option<&GpuModel> {
        self.models.iter().find(|m| m.pci_device_ids.iter().any(|id| id.eq_ignore_ascii_case(device_id)))
    }

    /// The model with this id, or an `unknown model` input error.
    pub fn get(&self, id: &str) -> CoreResult<&GpuModel> {
        if id.trim().is_empty() {
            return Err(CoreError::invalid(Field::Model, Problem::Empty));
        }
        self.models.iter().find(|m| m.id == id).ok_or(CoreError::invalid(Field::Model, Problem::Unknown))
    }

    /// What papers print for model `id`: its name, or the id itself for a model a shop's own
    /// catalogue has since dropped.
    pub fn name_of(&self, id: &str) -> String {
        self.get(id).map(|model| model.name.clone()).unwrap_or(id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_is_valid_and_covers_the_shop_floor() {
        let catalog = &crate::workshop::Catalogs::built_in().unwrap().models;
        for id in ["h100-sxm5-80gb", "h100-nvl-94gb", "h20-96gb", "a100-sxm4-80gb", "rtx-4090", "other"] {
            assert!(catalog.get(id).is_ok(), "{id} missing");
        }
        assert_eq!(catalog.get("h100-sxm5-80gb").unwrap().pci_device_ids, ["0x2330"]);
        assert_eq!(catalog.by_pci_device_id("0x2329").map(|m| m.id.as_str()), Some("h20-96gb"));
        assert!(catalog.by_pci_device_id("0xffff").is_none());
    }

    #[test]
    fn unknown_model_is_an_input_error() {
        let catalog = &crate::workshop::Catalogs::built_in().unwrap().models;
        assert!(matches!(
            catalog.get("h100-pcie-81gb").unwrap_err(),
            CoreError::Invalid { field: Field::Model, problem: Problem::Unknown }
        ));
    }

    #[test]
    fn malformed_files_are_refused() {
        let model = r#"{"id":"x","name":"X","architecture":"a","form_factor":"f","memory_gib":1,"pci_device_ids":["0x2330"],"cooling":"c"}"#;
        let twice = format!(r#"{{"schema_version":1,"models":[{model},{model}]}}"#);
        assert!(ModelCatalog::from_json(&twice).is_err());
        assert!(ModelCatalog::from_json(r#"{"schema_version":2,"models":[]}"#).is_err());
        let extra_field = r#"{"schema_version":1,"models":[],"colour":1}"#;
        assert!(ModelCatalog::from_json(extra_field).is_err());
        let bad_id = model.replace("0x2330", "2330");
        assert!(ModelCatalog::from_json(&format!(r#"{{"schema_version":1,"models":[{bad_id}]}}"#)).is_err());
    }
}
