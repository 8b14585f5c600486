//! What a procedure is, as plain data: its steps, their kinds and limits, outcomes and gates. No
//! store and no service here, so the job log and the certificate can name an outcome without
//! depending on the procedure engine.

use serde::{Deserialize, Serialize};

use crate::diagnostics::Text;
use crate::status::Status;

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
