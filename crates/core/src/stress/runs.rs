//! Stress runs recorded to a job: a burn-in or memory test Revive ran, or a dcgmi or gpu-burn
//! result imported, each with its verdict, evidence and telemetry. As with a diagnostic run, a card
//! whose serial is not the job's is refused unless someone says why.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::burn_in::BurnInReport;
use super::import::{ImportProblem, ImportedRun, ImportedTool};
pub use super::kinds::StressSource;
use super::memtest::MemoryTestReport;
use super::supervise::GpuStressOutcome;
use super::verdict::{judge_imported, Judgement, Verdict, WorkerEnd};
use crate::bench::{telemetry, GpuReading, Sample};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::events::{self, Event};
use crate::settings::{Settings, Technician};
use crate::store::{json_column, timestamp, Quote, Store};
use crate::text::{self, Lines};
use crate::workshop::Workshop;

/// What a run found, as stored with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StressResult {
    pub memory: Option<MemoryTestReport>,
    pub burn_in: Option<BurnInReport>,
    /// An imported tool's own results for this GPU.
    pub imported: Option<ImportedResult>,
    pub worker: Option<WorkerEnd>,
    pub judgement: Judgement,
    /// The card as the driver read it before and after Revive's run.
    pub before: Option<GpuReading>,
    pub after: Option<GpuReading>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportedResult {
    pub tool: ImportedTool,
    pub gpu: super::import::ImportedGpu,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StressRun {
    pub id: i64,
    pub job_id: i64,
    pub gpu_index: u32,
    pub source: StressSource,
    pub simulated: bool,
    pub verdict: Verdict,
    pub started_at: String,
    pub recorded_at: String,
    pub recorded_by: String,
    /// How long the burn-in ran; none when the run had no burn-in.
    pub burn_in_seconds: Option<u64>,
    pub memory_tested: bool,
    pub result: StressResult,
    pub telemetry_samples: u32,
    /// Where in the shop's test room it ran; none for a run at a bench or an import.
    pub test_room: Option<TestRoomPlace>,
}

/// A rack server's GPU slot in the shop's test room, and the task the run answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TestRoomPlace {
    pub task: String,
    pub server: String,
    pub slot: u32,
}

/// The stress runs recorded to the shop's jobs.
pub struct StressRuns<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn stress(&self) -> StressRuns<'_> {
        StressRuns { workshop: self }
    }
}

const MAX_MISMATCH_REASON: usize = 1_000;

/// A run about to be stored.
struct NewRun<'a> {
    gpu_index: u32,
    source: StressSource,
    simulated: bool,
    /// When the work began; an import's is when it was imported.
    started_at: Option<String>,
    /// The serial the run read off the card, when it could.
    serial: Option<&'a str>,
    result: StressResult,
    telemetry: &'a [Sample],
    test_room: Option<&'a TestRoomPlace>,
}

impl StressRuns<'_> {
    /// Records one GPU's run to job `job_id`.
    pub fn record(
        &self,
        job_id: i64,
        outcome: &GpuStressOutcome,
        mismatch_reason: Option<&str>,
        by: &Technician,
    ) -> CoreResult<StressRun> {
        self.store(job_id, revive_run(outcome, None)?, mismatch_reason, by)
    }

    /// Records a run the test room made for the job with ticket `ticket`, once: a task already
    /// recorded answers `None`. A card that is not the job's is refused (the agent checked it too).
    pub fn record_from_test_room(
        &self,
        ticket: &str,
        outcome: &GpuStressOutcome,
        place: &TestRoomPlace,
        by: &Technician,
    ) -> CoreResult<Option<StressRun>> {
        let (job_id, recorded) = self.workshop.store().read(|tx| {
            let job_id: Option<i64> =
                tx.query_row("SELECT id FROM jobs WHERE ticket = ?1", [ticket], |r| r.get(0)).optional()?;
            let recorded: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM stress_runs WHERE room_task = ?1)", [&place.task], |r| {
                    r.get(0)
                })?;
            Ok((job_id, recorded))
        })?;
        let job_id = job_id.ok_or_else(|| CoreError::invalid(Field::Ticket, Problem::Unknown))?;
        if recorded {
            return Ok(None);
        }
        self.store(job_id, revive_run(outcome, Some(place))?, None, by).map(Some)
    }

    /// Records GPU `gpu_index` of an imported dcgmi or gpu-burn result to job `job_id`, judged by
    /// the same rules.
    pub fn import(
        &self,
        job_id: i64,
        run: &ImportedRun,
        gpu_index: u32,
        mismatch_reason: Option<&str>,
        by: &Technician,
    ) -> CoreResult<StressRun> {
        let gpu = run
            .gpus
            .iter()
            .find(|g| g.gpu_index == gpu_index)
            .ok_or(CoreError::invalid(Field::GpuIndex, Problem::Unknown))?;
        let judgement = judge_imported(&self.workshop.catalogs().rules, &run.tool, gpu);
        let (source, burn_in) = match run.tool {
            ImportedTool::Dcgmi { .. } => (StressSource::Dcgmi, None),
            ImportedTool::GpuBurn { seconds, .. } => {
                let errors = gpu.tests.iter().filter_map(|t| t.errors).sum();
                let gflops = gpu.tests.iter().filter_map(|t| t.gflops).next();
                let completed = judgement.verdict != Verdict::Incomplete;
                let burn_in = seconds.map(|seconds| BurnInReport {
                    duration_seconds: seconds,
                    seconds: if completed { seconds } else { 0 },
                    iterations: 0,
                    compute_errors: errors,
                    tflops: gflops.map_or(0.0, |g| g / 1000.0),
                    completed,
                });
                (StressSource::GpuBurn, burn_in)
            }
        };
        self.store(
            job_id,
            NewRun {
                gpu_index,
                source,
                simulated: false,
                started_at: None,
                serial: gpu.serial.as_deref(),
                result: StressResult {
                    memory: None,
                    burn_in,
                    imported: Some(ImportedResult { tool: run.tool.clone(), gpu: gpu.clone() }),
                    worker: None,
                    judgement,
                    before: None,
                    after: None,
                },
                telemetry: &[],
                test_room: None,
            },
            mismatch_reason,
            by,
        )
    }

    /// Records GPU `gpu_index` of a dcgmi (JSON) or gpu-burn (text) result a person picked.
    pub fn import_text(
        &self,
        job_id: i64,
        text: &str,
        gpu_index: u32,
        mismatch_reason: Option<&str>,
        by: &Technician,
    ) -> CoreResult<StressRun> {
        let run = super::import::parse_any(text).map_err(|problem| {
            CoreError::invalid(
                Field::StressImport,
                match problem {
                    ImportProblem::TooLarge { max } => Problem::TooLarge { max: max as u64 },
                    ImportProblem::Empty => Problem::Empty,
                    _ => Problem::BadFormat,
                },
            )
        })?;
        self.import(job_id, &run, gpu_index, mismatch_reason, by)
    }

    fn store(&self, job_id: i64, run: NewRun, mismatch_reason: Option<&str>, by: &Technician) -> CoreResult<StressRun> {
        let mismatch_reason = mismatch_reason
            .map(|reason| text::required(reason, Field::Reason, MAX_MISMATCH_REASON, Lines::Multi))
            .transpose()?;
        let result = &run.result;
        let burn_in_seconds = result.burn_in.as_ref().map(|b| b.seconds);
        let memory_tested = result.memory.is_some() || imported_memory_test(result);
        let store = self.workshop.store();
        let id = store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let job_serial: String = tx
                .query_row("SELECT board_serial FROM jobs WHERE id = ?1", [job_id], |r| r.get(0))
                .optional()?
                .ok_or(CoreError::JobNotFound(job_id))?;
            let other_card = run.serial.filter(|serial| !serial.eq_ignore_ascii_case(&job_serial));
            if let (Some(card), None) = (other_card, &mismatch_reason) {
                return Err(CoreError::CardMismatch { job: job_serial, bench: card.to_owned() });
            }
            let at = timestamp(now);
            tx.execute(
                "INSERT INTO stress_runs (job_id, gpu_index, source, simulated, verdict, burn_in_seconds, memory_tested,
                                          started_at, recorded_at, recorded_by, result, room_task, room_server, room_slot)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    job_id,
                    run.gpu_index,
                    run.source.as_str(),
                    run.simulated,
                    result.judgement.verdict.as_str(),
                    burn_in_seconds.map(|s| s as i64),
                    memory_tested,
                    run.started_at.as_deref().unwrap_or(&at),
                    at,
                    actor,
                    serde_json::to_string(result)?,
                    run.test_room.map(|place| &place.task),
                    run.test_room.map(|place| &place.server),
                    run.test_room.map(|place| place.slot),
                ],
            )?;
            let run_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO stress_telemetry (run_id, samples, packed) VALUES (?1, ?2, ?3)",
                params![run_id, run.telemetry.len() as i64, telemetry::pack(run.telemetry)],
            )?;
            let recorded = Event::StressRecorded {
                run: run_id,
                gpu_index: run.gpu_index,
                source: run.source,
                simulated: run.simulated,
                verdict: result.judgement.verdict,
                findings: result.judgement.findings.iter().map(|f| f.code.clone()).collect(),
                card_mismatch_reason: other_card.and(mismatch_reason.clone()),
            };
            events::append(tx, job_id, &at, &actor, &recorded)?;
            tx.execute("UPDATE jobs SET updated_at = ?1 WHERE id = ?2", params![at, job_id])?;
            Ok(run_id)
        })?;
        load(store, job_id, Some(id))?.pop().ok_or(CoreError::JobNotFound(job_id))
    }

    /// Every stress run of a job, oldest first.
    pub fn for_job(&self, job_id: i64) -> CoreResult<Vec<StressRun>> {
        load(self.workshop.store(), job_id, None)
    }

    /// The telemetry sampled during a run, oldest first.
    pub fn telemetry(&self, run_id: i64) -> CoreResult<Vec<Sample>> {
        self.workshop.store().read(|tx| {
            telemetry::load_packed(
                tx,
                "SELECT r.gpu_index, t.packed FROM stress_runs r JOIN stress_telemetry t ON t.run_id = r.id WHERE r.id = ?1",
                run_id,
            )
        })
    }
}

/// A run of Revive's own stress engine, as it is stored.
fn revive_run<'a>(outcome: &'a GpuStressOutcome, test_room: Option<&'a TestRoomPlace>) -> CoreResult<NewRun<'a>> {
    let serial = match &outcome.before {
        GpuReading::Present { identity, .. } => identity.serial.as_deref(),
        GpuReading::Lost { .. } => None,
    };
    let started = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(outcome.started_at_ms) * 1_000_000)
        .map_err(|_| CoreError::invalid(Field::Run, Problem::BadFormat))?;
    Ok(NewRun {
        gpu_index: outcome.gpu,
        source: StressSource::Revive,
        simulated: outcome.simulated,
        started_at: Some(timestamp(started)),
        serial,
        result: StressResult {
            memory: outcome.memory.clone(),
            burn_in: outcome.burn_in.clone(),
            imported: None,
            worker: Some(outcome.worker.clone()),
            judgement: outcome.judgement.clone(),
            before: Some(outcome.before.clone()),
            after: Some(outcome.after.clone()),
        },
        telemetry: &outcome.samples,
        test_room,
    })
}

/// dcgmi's memory tests (`Memtest` at level 4, `GPU Memory` from level 2) count as a memory test.
fn imported_memory_test(result: &StressResult) -> bool {
    result.imported.as_ref().is_some_and(|imported| {
        imported.gpu.tests.iter().any(|test| {
            let name = test.name.to_lowercase();
            name.contains("memtest") || name.contains("memory") && !name.contains("bandwidth")
        })
    })
}

fn load(store: &Store, job_id: i64, only: Option<i64>) -> CoreResult<Vec<StressRun>> {
    store.read(|tx| runs_in(tx, job_id, only))
}

/// The job's stress runs, oldest first; just the one when `only` names it.
pub(crate) fn runs_in(tx: &Transaction, job_id: i64, only: Option<i64>) -> CoreResult<Vec<StressRun>> {
    let mut statement = tx.prepare(
        "SELECT r.id, r.gpu_index, r.source, r.simulated, r.verdict, r.started_at, r.recorded_at, r.recorded_by,
                r.burn_in_seconds, r.memory_tested, r.result, coalesce(t.samples, 0),
                r.room_task, r.room_server, r.room_slot
         FROM stress_runs r LEFT JOIN stress_telemetry t ON t.run_id = r.id
         WHERE r.job_id = ?1 AND (?2 IS NULL OR r.id = ?2) ORDER BY r.id",
    )?;
    let rows = statement.query_map(params![job_id, only], |row| {
        Ok(StressRun {
            id: row.get(0)?,
            job_id,
            gpu_index: row.get(1)?,
            source: json_column(row, 2, Quote::Text)?,
            simulated: row.get(3)?,
            verdict: json_column(row, 4, Quote::Text)?,
            started_at: row.get(5)?,
            recorded_at: row.get(6)?,
            recorded_by: row.get(7)?,
            burn_in_seconds: row.get::<_, Option<i64>>(8)?.map(|s| s.max(0) as u64),
            memory_tested: row.get(9)?,
            result: json_column(row, 10, Quote::None)?,
            telemetry_samples: row.get(11)?,
            test_room: match (row.get(12)?, row.get(13)?, row.get(14)?) {
                (Some(task), Some(server), Some(slot)) => Some(TestRoomPlace { task, server, slot }),
                _ => None,
            },
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
