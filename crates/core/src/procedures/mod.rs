//! Repair procedures as data: versioned TOML files under `procedures/`, in English and Chinese,
//! validated at load with errors that name the file, the line and the problem, so a shop can write
//! its own and check them (`revive procedures check FILE`) without rebuilding Revive.

pub(crate) mod model;
mod parse;
pub mod runs;

use std::path::Path;

use serde::Serialize;

use rusqlite::OptionalExtension;

use crate::diagnostics::Text;
use crate::error::{CoreError, CoreResult};
use crate::store::Store;

pub use model::{
    ChoiceOption, GateCondition, LimitsSource, ModelFigure, ModelReference, Next, Outcome, Procedure, Role, Step,
    StepKind,
};
pub use parse::{parse, ProcedureError};

/// Every procedure file in `dir` (`*.toml`), parsed; the files that fail come back as errors.
pub fn load_dir(dir: &Path) -> (Vec<Procedure>, Vec<ProcedureError>) {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(error) => return (Vec::new(), vec![ProcedureError::unreadable(dir, &error)]),
    };
    files.retain(|path| path.extension().is_some_and(|ext| ext == "toml"));
    files.sort();
    let (mut loaded, mut failed) = (Vec::new(), Vec::new());
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&path.display().to_string(), &text) {
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

/// The procedures in `dir` that fit the job's model, the ones its latest findings call for first.
pub fn choices_for_job(store: &Store, dir: &Path, job_id: i64) -> CoreResult<ProcedureChoices> {
    let (model_id, findings) = store.read(|tx| {
        let model_id: String = tx
            .query_row("SELECT model_id FROM jobs WHERE id = ?1", [job_id], |r| r.get(0))
            .optional()?
            .ok_or(CoreError::JobNotFound(job_id))?;
        let findings: Option<String> = tx
            .query_row(
                "SELECT findings FROM diagnostic_runs WHERE job_id = ?1 ORDER BY id DESC LIMIT 1",
                [job_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok((model_id, findings))
    })?;
    let codes = findings.map(|json| crate::diagnostics::runs::finding_codes(&json)).transpose()?.unwrap_or_default();
    let (loaded, errors) = load_dir(dir);
    let mut procedures: Vec<ProcedureChoice> = loaded
        .into_iter()
        .filter(|p| p.applies_to.iter().any(|m| m == "*" || *m == model_id))
        .map(|p| ProcedureChoice {
            suggested: p.suggested_by.iter().any(|code| codes.contains(code)),
            steps: p.steps.len(),
            id: p.id,
            version: p.version,
            title: p.title,
            summary: p.summary,
        })
        .collect();
    procedures.sort_by(|a, b| b.suggested.cmp(&a.suggested).then_with(|| a.title.en.cmp(&b.title.en)));
    Ok(ProcedureChoices { procedures, errors })
}

/// Starts the procedure with this id from `dir` on the job.
pub fn start_from_dir(
    store: &Store,
    dir: &Path,
    job_id: i64,
    procedure_id: &str,
    actor: &str,
) -> CoreResult<runs::RunState> {
    let (loaded, _) = load_dir(dir);
    let procedure = loaded
        .into_iter()
        .find(|p| p.id == procedure_id)
        .ok_or(CoreError::invalid(crate::error::Field::Procedure, crate::error::Problem::Unknown))?;
    runs::start(store, job_id, &procedure, actor)
}
