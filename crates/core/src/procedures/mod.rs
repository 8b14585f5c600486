//! Repair procedures as data: versioned TOML files under `procedures/`, in English and Chinese,
//! validated at load with errors that name the file, the line and the problem, so a shop can write
//! its own and check them (`revive procedures check FILE`) without rebuilding Revive.

mod parse;
pub mod runs;

use std::path::Path;

use serde::{Deserialize, Serialize};

use rusqlite::OptionalExtension;

use crate::diagnostics::Text;
use crate::error::{CoreError, CoreResult};
use crate::status::Status;
use crate::store::Store;

pub use parse::{parse, ProcedureError};

/// How a procedure (or a branch of it) ends; finishing moves the job's status accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Repaired,
    NeedsRma,
    Scrap,
}

/// Where a step's result leads when it is not simply the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Next {
    Goto(String),
    End(Outcome),
}

/// Where a measurement's limits come from, so a shop knows which ones to set for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LimitsSource {
    Nvidia,
    BoardVendor,
    ShopPractice,
}

/// A limit that depends on the model: `min_fraction` of the figure the model catalogue gives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ModelReference {
    pub figure: ModelFigure,
    pub min_fraction: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ModelFigure {
    MemoryBandwidth,
}

impl Procedure {
    /// This procedure with every model-dependent limit set for `model` (none for an unknown model).
    pub fn with_limits_for(&self, model: Option<&crate::models::GpuModel>) -> Procedure {
        let mut procedure = self.clone();
        for step in &mut procedure.steps {
            if let StepKind::Measurement { min, model_reference: Some(reference), .. } = &mut step.kind {
                *min = model.and_then(|model| reference.min_for(model));
            }
        }
        procedure
    }
}

impl ModelReference {
    /// The lower limit for a card of `model`; `None` when the catalogue has no figure for it.
    pub fn min_for(&self, model: &crate::models::GpuModel) -> Option<f64> {
        let figure = match self.figure {
            ModelFigure::MemoryBandwidth => model.memory_bandwidth.as_ref()?.mb_s,
        };
        Some((figure as f64 * self.min_fraction).round())
    }
}

/// What a diagnostic gate waits for: a diagnostic run recorded on the job after the gate was
/// reached, that satisfies the condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "condition")]
pub enum GateCondition {
    /// Any run: the evidence is on the job.
    RunRecorded,
    NoCriticalFindings,
    /// The run no longer shows this finding code.
    FindingAbsent {
        finding: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Technician,
    /// QC sign-off: must be a different person from the technician who did the work.
    Approver,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
// Fields go camelCase on the wire like every other shape; runs stored before then said `on_fail`.
#[serde(rename_all = "snake_case", rename_all_fields = "camelCase", tag = "kind")]
pub enum StepKind {
    /// Read and confirm.
    Instruction,
    /// Pass, fail or not applicable, with a note.
    Check {
        #[serde(alias = "on_fail")]
        on_fail: Option<Next>,
    },
    /// A number with a unit, judged against its limits.
    Measurement {
        unit: String,
        min: Option<f64>,
        max: Option<f64>,
        #[serde(alias = "limits_source")]
        limits_source: LimitsSource,
        #[serde(alias = "on_fail")]
        on_fail: Option<Next>,
        /// The lower limit as a share of the job's model figure, filled in as `min` when a run starts.
        #[serde(default)]
        model_reference: Option<ModelReference>,
    },
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// Photos attached to the job.
    Photo {
        #[serde(alias = "min_photos")]
        min_photos: u32,
    },
    Gate {
        requires: GateCondition,
    },
    SignOff {
        role: Role,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ChoiceOption {
    pub id: String,
    pub label: Text,
    pub next: Option<Next>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub id: String,
    pub title: Text,
    pub instruction: Text,
    #[serde(flatten)]
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Procedure {
    pub id: String,
    /// Raised by whoever edits the file; a run keeps the version it started with.
    pub version: u32,
    pub title: Text,
    pub summary: Text,
    /// Model ids it fits, or `*` for any.
    pub applies_to: Vec<String>,
    /// Finding codes that suggest it.
    pub suggested_by: Vec<String>,
    /// How the procedure ends when its last step is done.
    pub outcome: Outcome,
    /// Where a job goes when the procedure ends repaired (RMA and scrap have their own statuses).
    pub moves_job_to: Option<Status>,
    /// The step whose time on the bench is the burn-in a certificate reports.
    #[serde(default)]
    pub burn_in_step: Option<String>,
    pub steps: Vec<Step>,
}

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
    let codes = findings.map(|json| crate::runs::finding_codes(&json)).transpose()?.unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stored_before_the_wire_went_camel_case_still_load() {
        let stored = r#"[{"kind":"check","on_fail":{"end":"scrap"}},{"kind":"photo","min_photos":2},
            {"kind":"measurement","unit":"ohm","min":0.2,"max":null,"limits_source":"shop_practice","on_fail":null}]"#;
        let kinds: Vec<StepKind> = serde_json::from_str(stored).unwrap();
        assert_eq!(kinds[0], StepKind::Check { on_fail: Some(Next::End(Outcome::Scrap)) });
        assert_eq!(kinds[1], StepKind::Photo { min_photos: 2 });
        let again = serde_json::to_string(&kinds[2]).unwrap();
        assert!(
            again.contains(r#""limitsSource":"shop_practice""#) && again.contains(r#""modelReference":null"#),
            "{again}"
        );
        assert_eq!(serde_json::from_str::<StepKind>(&again).unwrap(), kinds[2]);
    }
}
