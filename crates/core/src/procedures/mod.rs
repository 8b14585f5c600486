//! Repair procedures as data: versioned TOML files under `procedures/`, in English and Chinese,
//! validated at load with errors that name the file, the line and the problem, so a shop can write
//! its own and check them (`revive procedures check FILE`) without rebuilding Revive.

mod parse;
pub mod runs;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Text;
use crate::status::Status;

pub use parse::{parse, ProcedureError};

/// How a procedure (or a branch of it) ends; finishing moves the job's status accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Repaired,
    NeedsRma,
    Scrap,
}

/// Where a step's result leads when it is not simply the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    Goto(String),
    End(Outcome),
}

/// Where a measurement's limits come from, so a shop knows which ones to set for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsSource {
    Nvidia,
    BoardVendor,
    ShopPractice,
}

/// What a diagnostic gate waits for: a diagnostic run recorded on the job after the gate was
/// reached, that satisfies the condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "snake_case")]
pub enum Role {
    Technician,
    /// QC sign-off: must be a different person from the technician who did the work.
    Approver,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StepKind {
    /// Read and confirm.
    Instruction,
    /// Pass, fail or not applicable, with a note.
    Check {
        on_fail: Option<Next>,
    },
    /// A number with a unit, judged against its limits.
    Measurement {
        unit: String,
        min: Option<f64>,
        max: Option<f64>,
        limits_source: LimitsSource,
        on_fail: Option<Next>,
    },
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// Photos attached to the job.
    Photo {
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
#[serde(rename_all = "camelCase")]
pub struct ChoiceOption {
    pub id: String,
    pub label: Text,
    pub next: Option<Next>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub id: String,
    pub title: Text,
    pub instruction: Text,
    #[serde(flatten)]
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
