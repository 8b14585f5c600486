//! What a procedure is, as plain data: its steps, their kinds and limits, outcomes and gates. No
//! store and no service here, so the job log and the certificate can name an outcome without
//! depending on the procedure engine.

use serde::{Deserialize, Serialize};

use crate::diagnostics::Text;
use crate::jobs::status::Status;

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
    /// This procedure with every model-dependent limit set for `model`; a model without the figure
    /// (or none) keeps the file's fallback `min`, if it has one.
    pub fn with_limits_for(&self, model: Option<&crate::models::GpuModel>) -> Procedure {
        let mut procedure = self.clone();
        for step in &mut procedure.steps {
            if let StepKind::Measurement { min, model_reference: Some(reference), .. } = &mut step.kind {
                // The file's own `min`, if any, stands for models the catalogue has no figure for.
                if let Some(for_model) = model.and_then(|model| reference.min_for(model)) {
                    *min = Some(for_model);
                }
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

/// What a gate waits for: a diagnostic or stress run recorded on the job after the gate was
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
    /// The job's latest burn-in (a stress run recorded since the procedure began) passed and ran
    /// at least this long.
    BurnInPassed {
        minutes: u32,
    },
    /// The job's latest memory test (recorded since the procedure began) passed.
    MemoryTestPassed,
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
        /// The lower limit as a share of the job's model figure, filled in as `min` when a run starts
        /// (replacing the file's `min`, which then only serves models without a figure).
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
    /// The shortest burn-in a certificate may state; a real card burnt in for less gets none.
    #[serde(default)]
    pub burn_in_minimum_minutes: Option<u32>,
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

    #[test]
    fn a_model_figure_replaces_the_fallback_min_and_a_model_without_one_keeps_it() {
        let step = |min: Option<f64>| Step {
            id: "bandwidth".into(),
            title: Text { en: "Bandwidth".into(), zh_cn: "带宽".into() },
            instruction: Text { en: "Measure".into(), zh_cn: "测量".into() },
            kind: StepKind::Measurement {
                unit: "megabytes_per_second".into(),
                min,
                max: None,
                limits_source: LimitsSource::Nvidia,
                on_fail: None,
                model_reference: Some(ModelReference { figure: ModelFigure::MemoryBandwidth, min_fraction: 0.5 }),
            },
        };
        let procedure: Procedure = serde_json::from_value(serde_json::json!({
            "id": "qa", "version": 1, "title": { "en": "QA", "zh-CN": "质检" }, "summary": { "en": "QA", "zh-CN": "质检" },
            "appliesTo": ["*"], "suggestedBy": [], "outcome": "repaired", "movesJobTo": null, "burnInStep": null, "steps": [],
        }))
        .unwrap();
        let with = |min: Option<f64>| Procedure { steps: vec![step(min)], ..procedure.clone() };
        let catalog = &crate::workshop::Catalogs::built_in().unwrap().models;
        let min_of = |p: Procedure| match &p.steps[0].kind {
            StepKind::Measurement { min, .. } => *min,
            _ => None,
        };
        let h100 = catalog.get("h100-sxm5-80gb").ok();
        assert_eq!(min_of(with(Some(100.0)).with_limits_for(h100)), Some(952_500.0));
        assert_eq!(min_of(with(Some(100.0)).with_limits_for(catalog.get("other").ok())), Some(100.0));
        assert_eq!(min_of(with(None).with_limits_for(None)), None);
    }
}
