//! Loading of the data files under `rules/`: parse, refuse another schema version, and name the
//! file in every error.

use serde::de::DeserializeOwned;

use crate::error::{CoreError, CoreResult};

/// A rules file: its name under `rules/` and the copy built into this program.
#[derive(Debug, Clone, Copy)]
pub struct RulesFile {
    pub name: &'static str,
    pub shipped: &'static str,
}

pub(crate) fn invalid(file: &str, reason: impl Into<String>) -> CoreError {
    CoreError::RulesInvalid { file: file.to_owned(), reason: reason.into() }
}

/// Parses `text` as rules file `file` of the given schema version (errors carry line and column).
pub(crate) fn parse<T: DeserializeOwned>(file: RulesFile, text: &str, schema_version: u64) -> CoreResult<T> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| file.invalid(e.to_string()))?;
    let found = raw.get("schema_version").and_then(serde_json::Value::as_u64);
    if found != Some(schema_version) {
        return Err(file.invalid(format!("schema_version {found:?} is not {schema_version}")));
    }
    serde_json::from_str(text).map_err(|e| file.invalid(e.to_string()))
}

impl RulesFile {
    /// The error for a problem in this file's content.
    pub(crate) fn invalid(self, reason: impl Into<String>) -> CoreError {
        invalid(&format!("rules/{}", self.name), reason)
    }
}
