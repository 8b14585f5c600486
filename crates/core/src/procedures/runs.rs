//! Running a procedure on a job. Every answer is checked against the step it answers and committed
//! in its own transaction with the run's move to the next step, so a crash at any instant resumes
//! exactly where it stopped and an answer can never be counted twice: an answer for a step the run
//! is no longer on is refused.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{GateCondition, Next, Outcome, Procedure, ProcedureChoice, ProcedureChoices, Role, Step, StepKind};
use crate::diagnostics::identity;
use crate::diagnostics::runs::finding_codes;
use crate::diagnostics::Finding;
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::attachments;
use crate::jobs::events::{self, Event};
use crate::jobs::status::Status;
use crate::jobs::{current_status, move_status, MoveCause};
use crate::pins::Signer;
use crate::settings::{Settings, Technician};
use crate::store::{json_column, timestamp, Quote};
use crate::text::{self, Lines};
use crate::workshop::Workshop;

pub const MAX_NOTE: usize = 2_000;
/// More photos than any step asks for, by far; a longer list is not a technician's answer.
pub const MAX_PHOTOS_PER_STEP: usize = 50;

/// What a technician gives for a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Answer {
    /// An instruction read and done, a gate to try, a sign-off.
    Confirm,
    Check {
        result: CheckResult,
    },
    Measure {
        value: f64,
    },
    Choose {
        option: String,
    },
    /// Content hashes of the photos attached to the job for this step.
    Photos {
        hashes: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Pass,
    Fail,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub visit: u32,
    pub step_id: String,
    pub answer: Answer,
    pub passed: Option<bool>,
    pub note: Option<String>,
    pub actor: String,
    pub answered_at: String,
    /// Time from reaching the step to answering it: the labour it took.
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub id: i64,
    pub job_id: i64,
    /// The procedure exactly as it was when the run started.
    pub procedure: Procedure,
    pub started_at: String,
    pub started_by: String,
    pub current_step: Option<String>,
    pub step_reached_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<Outcome>,
    pub results: Vec<StepResult>,
    pub labor_seconds: i64,
}

/// The procedures of the shop's jobs: which fit a job, and the runs on it.
pub struct ProcedureRuns<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn procedure_runs(&self) -> ProcedureRuns<'_> {
        ProcedureRuns { workshop: self }
    }
}

impl ProcedureRuns<'_> {
    /// The shop's procedures that fit the job's model, the ones its latest findings call for first.
    pub fn choices(&self, job_id: i64) -> CoreResult<ProcedureChoices> {
        let (model_id, findings) = self.workshop.store().read(|tx| {
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
        let codes = findings.map(|json| finding_codes(&json)).transpose()?.unwrap_or_default();
        let catalogs = self.workshop.catalogs();
        let mut procedures: Vec<ProcedureChoice> = catalogs
            .procedures
            .iter()
            .filter(|p| p.applies_to.iter().any(|m| m == "*" || *m == model_id))
            .map(|p| ProcedureChoice {
                suggested: p.suggested_by.iter().any(|code| codes.contains(code)),
                steps: p.steps.len(),
                id: p.id.clone(),
                version: p.version,
                title: p.title.clone(),
                summary: p.summary.clone(),
            })
            .collect();
        procedures.sort_by(|a, b| b.suggested.cmp(&a.suggested).then_with(|| a.title.en.cmp(&b.title.en)));
        Ok(ProcedureChoices { procedures, errors: catalogs.procedure_errors.clone() })
    }

    /// Starts the shop's procedure `procedure_id` on a job at its first step; one unfinished run of
    /// a procedure per job.
    pub fn start(&self, job_id: i64, procedure_id: &str, by: &Technician) -> CoreResult<RunState> {
        let catalogs = self.workshop.catalogs();
        let procedure =
            catalogs.procedure(procedure_id).ok_or(CoreError::invalid(Field::Procedure, Problem::Unknown))?;
        let first = procedure.steps.first().ok_or(CoreError::invalid(Field::Procedure, Problem::Empty))?;
        self.workshop.store().write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let model_id: Option<String> =
                tx.query_row("SELECT model_id FROM jobs WHERE id = ?1", [job_id], |r| r.get(0)).optional()?;
            let model_id = model_id.ok_or(CoreError::JobNotFound(job_id))?;
            // The run keeps the limits of this card's model, so a later catalogue edit does not move them.
            let procedure = procedure.with_limits_for(catalogs.models.get(&model_id).ok());
            let running: Option<i64> = tx
                .query_row(
                    "SELECT id FROM procedure_runs WHERE job_id = ?1 AND procedure_id = ?2 AND finished_at IS NULL",
                    params![job_id, procedure.id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(run) = running {
                return Err(CoreError::RunInProgress(run));
            }
            let at = timestamp(now);
            tx.execute(
                "INSERT INTO procedure_runs (job_id, procedure_id, procedure_version, definition, started_at, started_by,
                    current_step, step_reached_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)",
                params![job_id, procedure.id, procedure.version, serde_json::to_string(&procedure)?, at, actor, first.id],
            )?;
            let run = tx.last_insert_rowid();
            let started = Event::ProcedureStarted { run, procedure: procedure.id.clone(), version: procedure.version };
            events::append(tx, job_id, &at, &actor, &started)?;
            load(tx, run)
        })
    }

    /// A run as it stands: where it is, what was answered, how long it took.
    pub fn state(&self, run_id: i64) -> CoreResult<RunState> {
        self.workshop.store().read(|tx| load(tx, run_id))
    }

    /// The runs of a job, oldest first.
    pub fn for_job(&self, job_id: i64) -> CoreResult<Vec<RunState>> {
        self.workshop.store().read(|tx| for_job_in(tx, job_id))
    }

    /// Answers the step the run is on, then moves it on: to a branch, the next step, or its end.
    /// A sign-off is answered by whoever signs it with their own PIN (`signer`), and logged
    /// under their name, not the name of who sits at the bench.
    pub fn answer(
        &self,
        run_id: i64,
        step_id: &str,
        answer: &Answer,
        note: &str,
        by: &Technician,
        signer: Option<&Signer>,
    ) -> CoreResult<RunState> {
        let note = text::optional(note, Field::Note, MAX_NOTE, Lines::Multi)?;
        self.workshop.store().write(|tx, now| {
            let run = load(tx, run_id)?;
            let signs = run
                .current_step
                .as_ref()
                .and_then(|current| run.procedure.steps.iter().find(|s| &s.id == current))
                .is_some_and(|s| matches!(s.kind, StepKind::SignOff { .. }));
            let actor = match (signs, signer) {
                (true, Some(signer)) => Settings::technician_for(tx, signer.technician())?,
                (true, None) => return Err(CoreError::invalid(Field::Pin, Problem::Empty)),
                (false, _) => Settings::technician_for(tx, by)?,
            };
            let current = run.current_step.clone().ok_or(CoreError::RunFinished(run_id))?;
            if current != step_id {
                return Err(CoreError::StepNotCurrent { run: run_id, current });
            }
            let step =
                run.procedure.steps.iter().find(|s| s.id == current).ok_or(CoreError::RunFinished(run_id))?;
            let reached_at = run.step_reached_at.clone().unwrap_or_default();
            let (passed, next) = judge(tx, &run, step, answer, &actor, &reached_at)?;
            let at = timestamp(now);
            let seconds = seconds_between(&reached_at, now);
            tx.execute(
                "INSERT INTO step_results (run_id, visit, step_id, answer, passed, note, actor, reached_at, answered_at, seconds)
                 SELECT id, visit, ?2, ?3, ?4, ?5, ?6, step_reached_at, ?7, ?8 FROM procedure_runs WHERE id = ?1",
                params![run_id, step.id, serde_json::to_string(answer)?, passed, note, actor, at, seconds],
            )?;
            self.move_on(tx, &run, step, next, &at, &actor)?;
            load(tx, run_id)
        })
    }

    fn move_on(
        &self,
        tx: &Transaction,
        run: &RunState,
        step: &Step,
        next: Option<Next>,
        at: &str,
        actor: &str,
    ) -> CoreResult<()> {
        let steps = &run.procedure.steps;
        let following =
            || steps.iter().position(|s| s.id == step.id).and_then(|i| steps.get(i + 1)).map(|s| s.id.clone());
        let target = match next {
            Some(Next::Goto(id)) => Ok(id),
            Some(Next::End(outcome)) => Err(outcome),
            None => following().ok_or(run.procedure.outcome),
        };
        match target {
            Ok(step_id) => {
                tx.execute(
                    "UPDATE procedure_runs SET current_step = ?1, step_reached_at = ?2, visit = visit + 1 WHERE id = ?3",
                    params![step_id, at, run.id],
                )?;
            }
            Err(outcome) => {
                let outcome_name = serde_json::to_value(outcome)?;
                tx.execute(
                    "UPDATE procedure_runs SET current_step = NULL, step_reached_at = NULL, visit = visit + 1,
                        finished_at = ?1, outcome = ?2 WHERE id = ?3",
                    params![at, outcome_name.as_str(), run.id],
                )?;
                let finished = Event::ProcedureFinished { run: run.id, procedure: run.procedure.id.clone(), outcome };
                events::append(tx, run.job_id, at, actor, &finished)?;
                self.apply_outcome(tx, run, outcome, at, actor)?;
            }
        }
        Ok(())
    }

    /// Moves the job as the outcome says, through every status the finished work implies (final QA
    /// passed on a job still at intake has been diagnosed, repaired, burnt in and checked), each move
    /// logged with the procedure as its reason. When the flow allows no such way (the job is on hold,
    /// say) the job stays and the log says why.
    fn apply_outcome(
        &self,
        tx: &Transaction,
        run: &RunState,
        outcome: Outcome,
        at: &str,
        actor: &str,
    ) -> CoreResult<()> {
        let target = match outcome {
            Outcome::NeedsRma => Some(Status::Rma),
            Outcome::Scrap => Some(Status::Scrapped),
            Outcome::Repaired => run.procedure.moves_job_to,
        };
        let Some(to) = target else { return Ok(()) };
        let reason = format!("{}: {}", run.procedure.id, serde_json::to_value(outcome)?.as_str().unwrap_or_default());
        let flow = &self.workshop.catalogs().flow;
        let (from, _) = current_status(tx, run.job_id)?;
        let Some(path) = flow.implied_path(from, to) else {
            let not_moved = Event::ProcedureStatusNotMoved { run: run.id, wanted: to, from };
            return events::append(tx, run.job_id, at, actor, &not_moved);
        };
        for status in path {
            move_status(
                tx,
                flow,
                run.job_id,
                status,
                MoveCause::Procedure { run: run.id, reason: &reason },
                actor,
                at,
            )?;
        }
        Ok(())
    }
}
pub(crate) fn for_job_in(tx: &Transaction, job_id: i64) -> CoreResult<Vec<RunState>> {
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM procedure_runs WHERE job_id = ?1 ORDER BY id")?
        .query_map([job_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| load(tx, id)).collect()
}

/// Checks the answer fits the step and says whether it passed and where the run goes next
/// (`None`: the following step).
fn judge(
    tx: &Transaction,
    run: &RunState,
    step: &Step,
    answer: &Answer,
    actor: &str,
    reached_at: &str,
) -> CoreResult<(Option<bool>, Option<Next>)> {
    let wrong = || CoreError::invalid(Field::Answer, Problem::Unknown);
    match (&step.kind, answer) {
        (StepKind::Instruction, Answer::Confirm) => Ok((None, None)),
        (StepKind::Check { on_fail }, Answer::Check { result }) => {
            let passed = *result != CheckResult::Fail;
            Ok((Some(passed), if passed { None } else { on_fail.clone() }))
        }
        (StepKind::Measurement { min, max, on_fail, .. }, Answer::Measure { value }) => {
            if !value.is_finite() {
                return Err(CoreError::invalid(Field::Measurement, Problem::BadFormat));
            }
            let passed = min.is_none_or(|min| *value >= min) && max.is_none_or(|max| *value <= max);
            Ok((Some(passed), if passed { None } else { on_fail.clone() }))
        }
        (StepKind::Choice { options }, Answer::Choose { option }) => {
            let chosen = options.iter().find(|o| &o.id == option).ok_or_else(wrong)?;
            Ok((None, chosen.next.clone()))
        }
        (StepKind::Photo { min_photos }, Answer::Photos { hashes }) => {
            if hashes.len() > MAX_PHOTOS_PER_STEP {
                return Err(CoreError::invalid(Field::Photo, Problem::TooLarge { max: MAX_PHOTOS_PER_STEP as u64 }));
            }
            if hashes.iter().any(|h| h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit())) {
                return Err(CoreError::invalid(Field::Photo, Problem::BadFormat));
            }
            // The same photo twice is one photo.
            let distinct: std::collections::BTreeSet<&String> = hashes.iter().collect();
            if (distinct.len() as u32) < *min_photos {
                return Err(CoreError::invalid(Field::Photo, Problem::TooFew { min: u64::from(*min_photos) }));
            }
            if !attachments::all_attached(tx, run.job_id, hashes)? {
                return Err(CoreError::invalid(Field::Photo, Problem::Unknown));
            }
            Ok((None, None))
        }
        (StepKind::Gate { requires }, Answer::Confirm) => {
            gate_open(tx, run, &step.id, requires, reached_at)?;
            Ok((None, None))
        }
        (StepKind::SignOff { role }, Answer::Confirm) => {
            if *role == Role::Approver && worked_on(run).iter().any(|who| who == actor) {
                return Err(CoreError::ApproverDidTheWork);
            }
            Ok((None, None))
        }
        _ => Err(wrong()),
    }
}

/// Who did the work being approved: the technicians who signed off in this run, or whoever
/// started it when nobody has.
fn worked_on(run: &RunState) -> Vec<String> {
    let technician_steps: Vec<&str> = run
        .procedure
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::SignOff { role: Role::Technician })
        .map(|s| s.id.as_str())
        .collect();
    let signers: Vec<String> = run
        .results
        .iter()
        .filter(|r| technician_steps.contains(&r.step_id.as_str()))
        .map(|r| r.actor.clone())
        .collect();
    if signers.is_empty() {
        vec![run.started_by.clone()]
    } else {
        signers
    }
}

/// A diagnostic gate opens on the newest diagnostic run recorded since the gate was reached (the
/// reading after the work); a stress gate on the newest stress run of its kind recorded since the
/// procedure began (one run of hours can carry a memory test and a burn-in for two gates).
fn gate_open(
    tx: &Transaction,
    run: &RunState,
    step: &str,
    requires: &GateCondition,
    reached_at: &str,
) -> CoreResult<()> {
    let closed = || CoreError::GateClosed { step: step.to_owned() };
    let job_id = run.job_id;
    let open = match requires {
        GateCondition::BurnInPassed { minutes } => {
            let latest =
                latest_stress(tx, job_id, &run.started_at, "burn_in_seconds IS NOT NULL")?.ok_or_else(closed)?;
            latest.0 == "passed" && latest.1.unwrap_or(0) >= i64::from(*minutes) * 60
        }
        GateCondition::MemoryTestPassed => {
            latest_stress(tx, job_id, &run.started_at, "memory_tested = 1")?.ok_or_else(closed)?.0 == "passed"
        }
        diagnostic => {
            let (run, findings): (i64, String) = tx
                .query_row(
                    "SELECT id, findings FROM diagnostic_runs WHERE job_id = ?1 AND recorded_at >= ?2 ORDER BY id DESC LIMIT 1",
                    params![job_id, reached_at],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(closed)?;
            let findings: Vec<Finding> = serde_json::from_str(&findings)?;
            match diagnostic {
                GateCondition::NoCriticalFindings => {
                    let approval = identity::approval_of(tx, job_id, run, &findings)?;
                    !identity::critical_remains(&findings, approval.as_ref())
                }
                GateCondition::FindingAbsent { finding } => !findings.iter().any(|f| &f.code == finding),
                _ => true,
            }
        }
    };
    if open {
        Ok(())
    } else {
        Err(closed())
    }
}

/// The verdict and burn-in seconds of the job's newest stress run matching `kind` since `since`.
fn latest_stress(tx: &Transaction, job_id: i64, since: &str, kind: &str) -> CoreResult<Option<(String, Option<i64>)>> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT verdict, burn_in_seconds FROM stress_runs WHERE job_id = ?1 AND recorded_at >= ?2 AND {kind}
                 ORDER BY id DESC LIMIT 1"
            ),
            params![job_id, since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn load(tx: &Transaction, run_id: i64) -> CoreResult<RunState> {
    type Row = (i64, Procedure, String, String, Option<String>, Option<String>, Option<String>, Option<Outcome>);
    let row: Row = tx
        .query_row(
            "SELECT job_id, definition, started_at, started_by, current_step, step_reached_at, finished_at, outcome
             FROM procedure_runs WHERE id = ?1",
            [run_id],
            |r| {
                let definition = json_column(r, 1, Quote::None)?;
                let outcome = json_column(r, 7, Quote::Text)?;
                Ok((r.get(0)?, definition, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, outcome))
            },
        )
        .optional()?
        .ok_or(CoreError::RunNotFound(run_id))?;
    let (job_id, procedure, started_at, started_by, current_step, step_reached_at, finished_at, outcome) = row;
    let results: Vec<StepResult> = tx
        .prepare(
            "SELECT visit, step_id, answer, passed, note, actor, answered_at, seconds
             FROM step_results WHERE run_id = ?1 ORDER BY visit",
        )?
        .query_map([run_id], |r| {
            Ok(StepResult {
                visit: r.get(0)?,
                step_id: r.get(1)?,
                answer: json_column(r, 2, Quote::None)?,
                passed: r.get(3)?,
                note: r.get(4)?,
                actor: r.get(5)?,
                answered_at: r.get(6)?,
                seconds: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(RunState {
        id: run_id,
        job_id,
        procedure,
        started_at,
        started_by,
        current_step,
        step_reached_at,
        finished_at,
        outcome,
        labor_seconds: results.iter().map(|r| r.seconds).sum(),
        results,
    })
}

fn seconds_between(reached_at: &str, now: OffsetDateTime) -> i64 {
    let format = time::format_description::well_known::Rfc3339;
    OffsetDateTime::parse(reached_at, &format).map_or(0, |reached| (now - reached).whole_seconds().max(0))
}
