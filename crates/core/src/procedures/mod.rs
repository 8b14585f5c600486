//! Repair procedures as data: versioned TOML files under `procedures/`, in English and Chinese,
//! validated at load with errors that name the file, the line and the problem, so a shop can write
//! its own and check them (`revive procedures check FILE`) without rebuilding Revive.

pub(crate) mod model;
mod parse;
pub mod runs;

use std::path::Path;

use serde::Serialize;

use crate::diagnostics::{DiagnosticRules, Text};
use crate::models::ModelCatalog;

pub use model::{
    ChoiceOption, GateCondition, LimitsSource, ModelFigure, ModelReference, Next, Outcome, Procedure, Role, Step,
    StepKind,
};
pub use parse::{parse, ProcedureError};

/// Every procedure file in `dir` (`*.toml`), parsed; the files that fail come back as errors.
pub fn load_dir(dir: &Path, models: &ModelCatalog, rules: &DiagnosticRules) -> (Vec<Procedure>, Vec<ProcedureError>) {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(error) => return (Vec::new(), vec![ProcedureError::unreadable(dir, &error)]),
    };
    files.retain(|path| path.extension().is_some_and(|ext| ext == "toml"));
    files.sort();
    let (mut loaded, mut failed) = (Vec::new(), Vec::new());
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&path.display().to_string(), &text, models, rules) {
                Ok(procedure) => loaded.push(procedure),
                Err(error) => failed.push(error),
            },
            Err(error) => failed.push(ProcedureError::unreadable(&path, &error)),
        }
    }
    (loaded, failed)
}

/// A procedure a technician can start on a job.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProcedureChoice {
    pub id: String,
    pub version: u32,
    pub title: Text,
    pub summary: Text,
    pub steps: usize,
    /// The job's latest diagnostic run found something this procedure is for.
    pub suggested: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProcedureChoices {
    pub procedures: Vec<ProcedureChoice>,
    /// Files in the folder that do not validate: shown so the shop can fix them.
    pub errors: Vec<ProcedureError>,
}
