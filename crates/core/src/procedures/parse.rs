//! Reads one procedure file. Every problem is reported as `file:line: what is wrong`, the line being
//! where the offending value sits, so a shop editing a file can go straight to it.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    ChoiceOption, GateCondition, LimitsSource, ModelFigure, ModelReference, Next, Outcome, Procedure, Role, Step,
    StepKind,
};
use crate::diagnostics::{DiagnosticRules, Text};
use crate::jobs::status::Status;
use crate::models::ModelCatalog;

const SCHEMA_VERSION: u32 = 1;
/// A week: longer than any burn-in a shop runs.
const MAX_BURN_IN_MINUTES: u32 = 7 * 24 * 60;
/// Units a measurement may use; the UI shows each with its symbol.
pub const UNITS: [&str; 14] = [
    "ohm",
    "milliohm",
    "kiloohm",
    "volt",
    "millivolt",
    "ampere",
    "watt",
    "celsius",
    "mhz",
    "percent",
    "millimeter",
    "newton_meter",
    "count",
    "megabytes_per_second",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ProcedureError {
    pub file: String,
    /// 1-based; 0 when the file could not be read at all.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ProcedureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl ProcedureError {
    pub(super) fn unreadable(path: &std::path::Path, error: &std::io::Error) -> ProcedureError {
        ProcedureError { file: path.display().to_string(), line: 0, message: format!("cannot read: {error}") }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    schema_version: Spanned<u32>,
    id: Spanned<String>,
    version: Spanned<u32>,
    title: Spanned<RawText>,
    summary: Spanned<RawText>,
    #[serde(default)]
    applies_to: Vec<Spanned<String>>,
    #[serde(default)]
    suggested_by: Vec<Spanned<String>>,
    outcome: Spanned<String>,
    moves_job_to: Option<Spanned<String>>,
    burn_in_step: Option<Spanned<String>>,
    burn_in_minimum_minutes: Option<Spanned<u32>>,
    steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    en: Option<String>,
    #[serde(rename = "zh-CN")]
    zh_cn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNext {
    goto: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: Spanned<String>,
    label: Spanned<RawText>,
    next: Option<Spanned<RawNext>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    kind: Spanned<String>,
    title: Spanned<RawText>,
    instruction: Spanned<RawText>,
    on_fail: Option<Spanned<RawNext>>,
    unit: Option<Spanned<String>>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    limits_source: Option<Spanned<String>>,
    model_figure: Option<Spanned<String>>,
    min_fraction: Option<Spanned<f64>>,
    options: Option<Vec<Spanned<RawOption>>>,
    min_photos: Option<Spanned<u32>>,
    gate: Option<Spanned<String>>,
    finding: Option<Spanned<String>>,
    minutes: Option<Spanned<u32>>,
    role: Option<Spanned<String>>,
}

/// Turns byte spans into `file:line` errors.
struct Reporter<'a> {
    file: &'a str,
    text: &'a str,
}

impl Reporter<'_> {
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ProcedureError {
        let line = self.text[..span.start.min(self.text.len())].matches('\n').count() + 1;
        ProcedureError { file: self.file.to_owned(), line, message: message.into() }
    }

    fn text(&self, raw: &Spanned<RawText>, what: &str) -> Result<Text, ProcedureError> {
        let value = raw.get_ref();
        match (value.en.as_deref().map(str::trim), value.zh_cn.as_deref().map(str::trim)) {
            (Some(en), Some(zh)) if !en.is_empty() && !zh.is_empty() => {
                Ok(Text { en: en.to_owned(), zh_cn: zh.to_owned() })
            }
            _ => Err(self.at(raw.span(), format!("{what} needs both `en` and `zh-CN`"))),
        }
    }

    fn next(&self, raw: &Spanned<RawNext>) -> Result<(Next, Range<usize>), ProcedureError> {
        let next = match (&raw.get_ref().goto, &raw.get_ref().end) {
            (Some(step), None) => Next::Goto(step.clone()),
            (None, Some(end)) => Next::End(self.outcome(end, raw.span())?),
            _ => {
                return Err(
                    self.at(raw.span(), "a branch needs exactly one of `goto` (a step id) or `end` (an outcome)")
                )
            }
        };
        Ok((next, raw.span()))
    }

    fn outcome(&self, name: &str, span: Range<usize>) -> Result<Outcome, ProcedureError> {
        match name {
            "repaired" => Ok(Outcome::Repaired),
            "needs_rma" => Ok(Outcome::NeedsRma),
            "scrap" => Ok(Outcome::Scrap),
            other => Err(self.at(span, format!("unknown outcome `{other}` (repaired, needs_rma, scrap)"))),
        }
    }
}

fn slug(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Parses and validates one procedure file's text; `file` names it in errors.
pub fn parse(
    file: &str,
    text: &str,
    models: &ModelCatalog,
    rules: &DiagnosticRules,
) -> Result<Procedure, ProcedureError> {
    let report = Reporter { file, text };
    let raw: RawProcedure =
        toml::from_str(text).map_err(|e| report.at(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
    if *raw.schema_version.get_ref() != SCHEMA_VERSION {
        return Err(report.at(raw.schema_version.span(), format!("schema_version must be {SCHEMA_VERSION}")));
    }
    if !slug(raw.id.get_ref()) {
        return Err(report.at(raw.id.span(), "id must be lowercase letters, digits and dashes"));
    }
    if *raw.version.get_ref() == 0 {
        return Err(report.at(raw.version.span(), "version starts at 1"));
    }
    for model in &raw.applies_to {
        if model.get_ref() != "*" && models.get(model.get_ref()).is_err() {
            return Err(report.at(model.span(), format!("unknown model `{}` in applies_to", model.get_ref())));
        }
    }
    for code in &raw.suggested_by {
        if !rules.knows(code.get_ref()) {
            return Err(report.at(code.span(), format!("unknown finding `{}` in suggested_by", code.get_ref())));
        }
    }
    let steps_span = raw.steps.span();
    let raw_steps = raw.steps.into_inner();
    if raw_steps.is_empty() {
        return Err(report.at(steps_span, "a procedure needs at least one step"));
    }
    let mut ids = HashSet::new();
    let mut steps = Vec::new();
    let mut jumps = Vec::new();
    for raw_step in &raw_steps {
        let id = raw_step.get_ref().id.get_ref();
        if !slug(id) {
            return Err(report.at(raw_step.get_ref().id.span(), "step id must be lowercase letters, digits and dashes"));
        }
        if !ids.insert(id.clone()) {
            return Err(report.at(raw_step.get_ref().id.span(), format!("step `{id}` appears twice")));
        }
        steps.push(step(&report, rules, raw_step, &mut jumps)?);
    }
    for (target, span) in jumps {
        if !ids.contains(&target) {
            return Err(report.at(span, format!("jumps to unknown step `{target}`")));
        }
    }
    if let Some(step) = raw.burn_in_step.as_ref().filter(|step| !ids.contains(step.get_ref())) {
        return Err(report.at(step.span(), format!("burn_in_step names unknown step `{}`", step.get_ref())));
    }
    if let Some(minimum) = &raw.burn_in_minimum_minutes {
        if raw.burn_in_step.is_none() {
            return Err(report.at(minimum.span(), "burn_in_minimum_minutes needs the burn_in_step it applies to"));
        }
        if !(1..=MAX_BURN_IN_MINUTES).contains(minimum.get_ref()) {
            return Err(
                report.at(minimum.span(), format!("burn_in_minimum_minutes must be 1 to {MAX_BURN_IN_MINUTES}"))
            );
        }
    }
    Ok(Procedure {
        id: raw.id.into_inner(),
        version: raw.version.into_inner(),
        title: report.text(&raw.title, "title")?,
        summary: report.text(&raw.summary, "summary")?,
        applies_to: raw.applies_to.into_iter().map(Spanned::into_inner).collect(),
        suggested_by: raw.suggested_by.into_iter().map(Spanned::into_inner).collect(),
        outcome: report.outcome(raw.outcome.get_ref(), raw.outcome.span())?,
        moves_job_to: match &raw.moves_job_to {
            Some(status) => Some(
                Status::parse(status.get_ref())
                    .map_err(|_| report.at(status.span(), format!("unknown job status `{}`", status.get_ref())))?,
            ),
            None => None,
        },
        burn_in_step: raw.burn_in_step.map(Spanned::into_inner),
        burn_in_minimum_minutes: raw.burn_in_minimum_minutes.map(Spanned::into_inner),
        steps,
    })
}

fn step(
    report: &Reporter,
    rules: &DiagnosticRules,
    spanned: &Spanned<RawStep>,
    jumps: &mut Vec<(String, Range<usize>)>,
) -> Result<Step, ProcedureError> {
    let raw = spanned.get_ref();
    let kind_name = raw.kind.get_ref().as_str();
    // Which optional fields each kind may carry; anything else is a mistake worth naming.
    let allowed: &[&str] = match kind_name {
        "instruction" => &[],
        "check" => &["on_fail"],
        "measurement" => &["unit", "min", "max", "limits_source", "on_fail", "model_figure", "min_fraction"],
        "choice" => &["options"],
        "photo" => &["min_photos"],
        "gate" => &["gate", "finding", "minutes"],
        "sign_off" => &["role"],
        other => {
            return Err(report.at(
                raw.kind.span(),
                format!("unknown step kind `{other}` (instruction, check, measurement, choice, photo, gate, sign_off)"),
            ))
        }
    };
    let present: [(&str, Option<Range<usize>>); 13] = [
        ("on_fail", raw.on_fail.as_ref().map(Spanned::span)),
        ("unit", raw.unit.as_ref().map(Spanned::span)),
        ("min", raw.min.as_ref().map(Spanned::span)),
        ("max", raw.max.as_ref().map(Spanned::span)),
        ("limits_source", raw.limits_source.as_ref().map(Spanned::span)),
        ("model_figure", raw.model_figure.as_ref().map(Spanned::span)),
        ("min_fraction", raw.min_fraction.as_ref().map(Spanned::span)),
        ("options", raw.options.as_ref().and_then(|o| o.first()).map(Spanned::span)),
        ("min_photos", raw.min_photos.as_ref().map(Spanned::span)),
        ("gate", raw.gate.as_ref().map(Spanned::span)),
        ("finding", raw.finding.as_ref().map(Spanned::span)),
        ("minutes", raw.minutes.as_ref().map(Spanned::span)),
        ("role", raw.role.as_ref().map(Spanned::span)),
    ];
    if let Some((field, span)) =
        present.iter().find_map(|(f, s)| s.clone().filter(|_| !allowed.contains(f)).map(|s| (f, s)))
    {
        return Err(report.at(span, format!("`{field}` does not belong to a step of kind {kind_name}")));
    }
    let on_fail = |jumps: &mut Vec<(String, Range<usize>)>| -> Result<Option<Next>, ProcedureError> {
        let Some(raw_next) = &raw.on_fail else { return Ok(None) };
        let (next, span) = report.next(raw_next)?;
        if let Next::Goto(target) = &next {
            jumps.push((target.clone(), span));
        }
        Ok(Some(next))
    };
    let kind = match kind_name {
        "instruction" => StepKind::Instruction,
        "check" => StepKind::Check { on_fail: on_fail(jumps)? },
        "measurement" => measurement(report, spanned, on_fail(jumps)?)?,
        "choice" => choice(report, spanned, jumps)?,
        "photo" => StepKind::Photo { min_photos: raw.min_photos.as_ref().map_or(1, |n| *n.get_ref()).max(1) },
        "gate" => StepKind::Gate { requires: gate(report, rules, spanned)? },
        _ => StepKind::SignOff {
            role: match raw.role.as_ref().map(|r| (r.get_ref().as_str(), r.span())) {
                Some(("technician", _)) => Role::Technician,
                Some(("approver", _)) => Role::Approver,
                Some((other, span)) => {
                    return Err(report.at(span, format!("unknown role `{other}` (technician, approver)")))
                }
                None => return Err(report.at(spanned.span(), "a sign_off step needs `role`")),
            },
        },
    };
    Ok(Step {
        id: raw.id.get_ref().clone(),
        title: report.text(&raw.title, "title")?,
        instruction: report.text(&raw.instruction, "instruction")?,
        kind,
    })
}

fn measurement(
    report: &Reporter,
    spanned: &Spanned<RawStep>,
    on_fail: Option<Next>,
) -> Result<StepKind, ProcedureError> {
    let raw = spanned.get_ref();
    let unit = raw.unit.as_ref().ok_or_else(|| report.at(spanned.span(), "a measurement needs `unit`"))?;
    if !UNITS.contains(&unit.get_ref().as_str()) {
        return Err(report.at(unit.span(), format!("unknown unit `{}` ({})", unit.get_ref(), UNITS.join(", "))));
    }
    let (min, max) = (raw.min.as_ref().map(|v| *v.get_ref()), raw.max.as_ref().map(|v| *v.get_ref()));
    let model_reference = model_reference(report, spanned)?;
    match (min, max) {
        (None, None) if model_reference.is_none() => {
            return Err(report.at(spanned.span(), "a measurement needs `min`, `max`, `model_figure` or some of them"))
        }
        (Some(min), Some(max)) if min > max => {
            return Err(report.at(raw.min.as_ref().map_or(spanned.span(), Spanned::span), "min is above max"))
        }
        _ => {}
    }
    if [min, max].into_iter().flatten().any(|v| !v.is_finite()) {
        return Err(report.at(spanned.span(), "limits must be finite numbers"));
    }
    let source = raw.limits_source.as_ref().ok_or_else(|| {
        report.at(spanned.span(), "a measurement needs `limits_source` (nvidia, board_vendor, shop_practice)")
    })?;
    let limits_source = match source.get_ref().as_str() {
        "nvidia" => LimitsSource::Nvidia,
        "board_vendor" => LimitsSource::BoardVendor,
        "shop_practice" => LimitsSource::ShopPractice,
        other => return Err(report.at(source.span(), format!("unknown limits_source `{other}`"))),
    };
    Ok(StepKind::Measurement { unit: unit.get_ref().clone(), min, max, limits_source, on_fail, model_reference })
}

/// `model_figure` with `min_fraction`: the lower limit follows the job's model.
fn model_reference(report: &Reporter, spanned: &Spanned<RawStep>) -> Result<Option<ModelReference>, ProcedureError> {
    let raw = spanned.get_ref();
    let (figure, fraction) = match (&raw.model_figure, &raw.min_fraction) {
        (None, None) => return Ok(None),
        (Some(figure), Some(fraction)) => (figure, fraction),
        _ => return Err(report.at(spanned.span(), "`model_figure` and `min_fraction` go together")),
    };
    let figure = match figure.get_ref().as_str() {
        "memory_bandwidth" => ModelFigure::MemoryBandwidth,
        other => return Err(report.at(figure.span(), format!("unknown model_figure `{other}` (memory_bandwidth)"))),
    };
    let min_fraction = *fraction.get_ref();
    if !(min_fraction > 0.0 && min_fraction <= 1.0) {
        return Err(report.at(fraction.span(), "min_fraction must be above 0 and at most 1"));
    }
    Ok(Some(ModelReference { figure, min_fraction }))
}

fn choice(
    report: &Reporter,
    spanned: &Spanned<RawStep>,
    jumps: &mut Vec<(String, Range<usize>)>,
) -> Result<StepKind, ProcedureError> {
    let raw_options = spanned.get_ref().options.as_deref().unwrap_or_default();
    if raw_options.len() < 2 {
        return Err(report.at(spanned.span(), "a choice needs at least two options"));
    }
    let mut seen = HashSet::new();
    let mut options = Vec::new();
    for raw in raw_options {
        let option = raw.get_ref();
        if !slug(option.id.get_ref()) || !seen.insert(option.id.get_ref().clone()) {
            return Err(
                report.at(option.id.span(), format!("option id `{}` is not a unique slug", option.id.get_ref()))
            );
        }
        let next = match &option.next {
            Some(raw_next) => {
                let (next, span) = report.next(raw_next)?;
                if let Next::Goto(target) = &next {
                    jumps.push((target.clone(), span));
                }
                Some(next)
            }
            None => None,
        };
        options.push(ChoiceOption {
            id: option.id.get_ref().clone(),
            label: report.text(&option.label, "label")?,
            next,
        });
    }
    Ok(StepKind::Choice { options })
}

fn gate(
    report: &Reporter,
    rules: &DiagnosticRules,
    spanned: &Spanned<RawStep>,
) -> Result<GateCondition, ProcedureError> {
    let raw = spanned.get_ref();
    let condition = raw.gate.as_ref().ok_or_else(|| report.at(spanned.span(), "a gate needs `gate`"))?;
    let (finding, minutes) = (raw.finding.as_ref(), raw.minutes.as_ref());
    let name = condition.get_ref().as_str();
    if let Some(code) = finding.filter(|_| name != "finding_absent") {
        return Err(report.at(code.span(), "`finding` belongs only to a finding_absent gate"));
    }
    if let Some(minutes) = minutes.filter(|_| name != "burn_in_passed") {
        return Err(report.at(minutes.span(), "`minutes` belongs only to a burn_in_passed gate"));
    }
    match name {
        "run_recorded" => Ok(GateCondition::RunRecorded),
        "no_critical_findings" => Ok(GateCondition::NoCriticalFindings),
        "memory_test_passed" => Ok(GateCondition::MemoryTestPassed),
        "finding_absent" => match finding {
            Some(code) if rules.knows(code.get_ref()) => Ok(GateCondition::FindingAbsent { finding: code.get_ref().clone() }),
            Some(code) => Err(report.at(code.span(), format!("unknown finding `{}`", code.get_ref()))),
            None => Err(report.at(condition.span(), "finding_absent needs `finding`")),
        },
        "burn_in_passed" => match minutes {
            Some(minutes) if (1..=24 * 60).contains(minutes.get_ref()) => {
                Ok(GateCondition::BurnInPassed { minutes: *minutes.get_ref() })
            }
            Some(minutes) => Err(report.at(minutes.span(), "`minutes` must be 1 to 1440 (a day)")),
            None => Err(report.at(condition.span(), "burn_in_passed needs `minutes`")),
        },
        other => Err(report.at(
            condition.span(),
            format!(
                "unknown gate `{other}` (run_recorded, no_critical_findings, finding_absent, burn_in_passed, memory_test_passed)"
            ),
        )),
    }
}
