//! Loading of the data files under `rules/`: parse, refuse another schema version, validate once
//! per process, and name the file in every error.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;

use crate::error::{CoreError, CoreResult};

pub(crate) fn invalid(file: &'static str, reason: impl Into<String>) -> CoreError {
    CoreError::RulesInvalid { file, reason: reason.into() }
}

/// Parses `text` as rules file `file` of the given schema version (errors carry line and column).
pub(crate) fn parse<T: DeserializeOwned>(file: &'static str, text: &str, schema_version: u64) -> CoreResult<T> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(file, e.to_string()))?;
    let found = raw.get("schema_version").and_then(serde_json::Value::as_u64);
    if found != Some(schema_version) {
        return Err(invalid(file, format!("schema_version {found:?} is not {schema_version}")));
    }
    serde_json::from_str(text).map_err(|e| invalid(file, e.to_string()))
}

/// The shipped copy of a rules file, validated on first use; later calls share the result.
pub(crate) fn shipped<T>(
    cell: &'static OnceLock<Result<T, String>>,
    file: &'static str,
    load: impl FnOnce() -> CoreResult<T>,
) -> CoreResult<&'static T> {
    cell.get_or_init(|| load().map_err(|e| e.to_string())).as_ref().map_err(|reason| invalid(file, reason.clone()))
}
