//! Diagnostic runs recorded to a job: one GPU's reading and its findings, judged against the GPU
//! the job took in, kept as evidence. Comparing the first and latest run shows what a repair changed.

use std::collections::BTreeSet;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::bench::telemetry;
use crate::bench::Sample;
use crate::bench::{BenchSnapshot, DriverInfo, GpuReading, Health, Identity};
use crate::diagnostics::findings::LIFETIME_REGRESSION;
use crate::diagnostics::identity::{self, IdentityApproval, IdentityCheck};
use crate::diagnostics::{evaluate, lifetime_regression, Finding, RecordedGpu};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::events::{self, Event};
use crate::pins::Signer;
use crate::settings::{Settings, Technician};
use crate::store::{json_column, timestamp, Quote, Store};
use crate::text::{self, Lines};
use crate::workshop::{Catalogs, Workshop};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticRun {
    pub id: i64,
    pub job_id: i64,
    pub gpu_index: u32,
    pub recorded_at: String,
    pub recorded_by: String,
    pub simulated: bool,
    pub scenario: Option<String>,
    pub driver: DriverInfo,
    pub reading: GpuReading,
    pub findings: Vec<Finding>,
    /// Telemetry samples stored with the run.
    pub telemetry_samples: u32,
}

/// What changed between the job's first run and its latest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub first_run: i64,
    pub latest_run: i64,
    pub cleared: Vec<String>,
    pub persisting: Vec<String>,
    pub new: Vec<String>,
    /// Key readings whose value differs between the two runs.
    pub changes: Vec<ReadingChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadingChange {
    pub reading: &'static str,
    pub before: Option<ReadingValue>,
    pub after: Option<ReadingValue>,
}

/// One reading's value as a comparison shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum ReadingValue {
    Flag(bool),
    Number(f64),
    Text(String),
}

/// The readings a repair is judged by, by name (the UI's `reading.*` texts), read from a reading.
fn compared(reading: &GpuReading) -> [(&'static str, Option<ReadingValue>); 17] {
    use ReadingValue::{Flag, Number, Text};
    let number = |value: Option<u64>| value.map(|v| Number(v as f64));
    let (identity, health) = match reading {
        GpuReading::Present { identity, health, .. } => (identity.as_ref().clone(), health.as_ref().clone()),
        GpuReading::Lost { .. } => (Identity::default(), Health::default()),
    };
    let state = match reading {
        GpuReading::Present { .. } => "present",
        GpuReading::Lost { .. } => "lost",
    };
    let ecc = health.ecc.as_ref();
    let rows = health.remapped_rows.as_ref();
    [
        ("state", Some(Text(state.into()))),
        ("serial", identity.serial.map(Text)),
        ("uuid", identity.uuid.map(Text)),
        ("vbios_version", identity.vbios_version.map(Text)),
        ("inforom_valid", identity.inforom_valid.map(Flag)),
        ("ecc_volatile_uncorrected", number(ecc.map(|e| e.volatile_uncorrected))),
        ("ecc_aggregate_uncorrected", number(ecc.map(|e| e.aggregate_uncorrected))),
        ("remapped_rows_uncorrectable", number(rows.map(|r| u64::from(r.uncorrectable)))),
        ("remap_pending", rows.map(|r| Flag(r.pending))),
        ("remap_failure", rows.map(|r| Flag(r.failure))),
        ("pcie_generation", number(health.pcie.generation.map(u64::from))),
        ("pcie_width", number(health.pcie.width.map(u64::from))),
        ("pcie_replays", number(health.pcie.replays.map(u64::from))),
        ("temperature_c", number(health.temperature_c.map(u64::from))),
        ("memory_temperature_c", number(health.memory_temperature_c.map(u64::from))),
        ("power_w", health.power_w.map(Number)),
        ("enforced_power_limit_w", health.enforced_power_limit_w.map(Number)),
    ]
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobDiagnostics {
    pub runs: Vec<DiagnosticRun>,
    pub comparison: Option<Comparison>,
    /// The latest reading is of another card than the one taken in.
    pub identity: Option<IdentityCheck>,
}

/// What a run keeps of the bench: one GPU of a snapshot, its recent telemetry and the Xids the
/// driver reported for it.
pub struct RunEvidence<'a> {
    pub snapshot: &'a BenchSnapshot,
    pub gpu_index: u32,
    /// The simulated bench's scenario; ignored for a real reading.
    pub scenario: Option<&'a str>,
    pub telemetry: &'a [Sample],
    pub xid_findings: Vec<Finding>,
}

/// The diagnostic runs recorded to the shop's jobs.
pub struct DiagnosticRuns<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn diagnostics(&self) -> DiagnosticRuns<'_> {
        DiagnosticRuns { workshop: self }
    }
}

impl DiagnosticRuns<'_> {
    /// Records the evidence to job `job_id`, judged by the shop's rules against the GPU the job took
    /// in. A card whose serial is not the job's is refused (on an eight-GPU bench the wrong job is
    /// one click away) unless `mismatch_reason` says why, and the log keeps that reason.
    pub fn record(
        &self,
        job_id: i64,
        evidence: &RunEvidence,
        mismatch_reason: Option<&str>,
        by: &Technician,
    ) -> CoreResult<DiagnosticRun> {
        let mismatch_reason = mismatch_reason
            .map(|reason| text::required(reason, Field::Reason, MAX_MISMATCH_REASON, Lines::Multi))
            .transpose()?;
        let RunEvidence { snapshot, gpu_index, scenario, telemetry, .. } = *evidence;
        let reading = snapshot
            .gpus
            .iter()
            .find(|gpu| gpu_index_of(gpu) == gpu_index)
            .ok_or(CoreError::invalid(Field::GpuIndex, Problem::Unknown))?;
        let Catalogs { rules, models, .. } = self.workshop.catalogs();
        let store = self.workshop.store();
        let id = store.write(|tx, now| {
        let actor = Settings::technician_for(tx, by)?;
        let (model_id, serial, uuid) = job_gpu(tx, job_id)?;
        let bench_serial = match reading {
            GpuReading::Present { identity, .. } => identity.serial.clone(),
            GpuReading::Lost { .. } => None,
        };
        let other_card = bench_serial.as_deref().filter(|bench| !bench.eq_ignore_ascii_case(&serial));
        if let (Some(bench), None) = (other_card, &mismatch_reason) {
            return Err(CoreError::CardMismatch { job: serial.clone(), bench: bench.to_owned() });
        }
        let recorded = RecordedGpu { model: models.get(&model_id).ok(), serial: Some(&serial), uuid: uuid.as_deref() };
        let mut findings = evaluate(rules, reading, &recorded);
        findings.extend(lifetime_regression(rules, &earlier_readings(tx, job_id)?, reading));
        findings.extend(evidence.xid_findings.iter().filter(|f| f.gpu_index == Some(gpu_index)).cloned());
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let at = timestamp(now);
        let scenario = if snapshot.simulated { scenario } else { None };
        tx.execute(
            "INSERT INTO diagnostic_runs (job_id, gpu_index, recorded_at, recorded_by, simulated, scenario, driver, reading, findings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                job_id,
                gpu_index,
                at,
                actor,
                snapshot.simulated,
                scenario,
                serde_json::to_string(&snapshot.driver)?,
                serde_json::to_string(reading)?,
                serde_json::to_string(&findings)?,
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO run_telemetry (run_id, samples, packed) VALUES (?1, ?2, ?3)",
            params![run_id, telemetry.len() as i64, telemetry::pack(telemetry)],
        )?;
        let recorded = Event::DiagnosticRecorded {
            run: run_id,
            gpu_index,
            simulated: snapshot.simulated,
            findings: findings.iter().map(|f| f.code.clone()).collect(),
            card_mismatch_reason: other_card.and(mismatch_reason.clone()),
        };
        events::append(tx, job_id, &at, &actor, &recorded)?;
        tx.execute("UPDATE jobs SET updated_at = ?1 WHERE id = ?2", params![at, job_id])?;
        Ok(run_id)
    })?;
        load_runs(store, job_id, Some(id))?.pop().ok_or(CoreError::JobNotFound(job_id))
    }

    /// Every run recorded to a job, oldest first, and how the latest compares with the first.
    pub fn for_job(&self, job_id: i64) -> CoreResult<JobDiagnostics> {
        let runs = load_runs(self.workshop.store(), job_id, None)?;
        let comparison = match (runs.first(), runs.last()) {
            (Some(first), Some(latest)) if first.id != latest.id => Some(compare(first, latest)),
            _ => None,
        };
        let identity = match runs.last() {
            Some(latest) => identity::check(self.workshop.store(), job_id, latest.id, &latest.findings)?,
            None => None,
        };
        Ok(JobDiagnostics { runs, comparison, identity })
    }

    /// An approver's word, with `reason`, that the job's latest reading is of its card after all
    /// (see [`identity`]).
    pub fn approve_identity(&self, job_id: i64, reason: &str, approver: &Signer) -> CoreResult<IdentityApproval> {
        identity::approve(self.workshop.store(), job_id, reason, approver)
    }

    /// The telemetry stored with a run, oldest sample first.
    pub fn telemetry(&self, run_id: i64) -> CoreResult<Vec<Sample>> {
        self.workshop.store().read(|tx| {
            telemetry::load_packed(
                tx,
                "SELECT r.gpu_index, t.packed FROM diagnostic_runs r JOIN run_telemetry t ON t.run_id = r.id WHERE r.id = ?1",
                run_id,
            )
        })
    }
}

/// Every reading recorded to the job before: one job is one card, whichever slot it sat in.
fn earlier_readings(tx: &Transaction, job_id: i64) -> CoreResult<Vec<GpuReading>> {
    let mut statement = tx.prepare("SELECT reading FROM diagnostic_runs WHERE job_id = ?1 ORDER BY id")?;
    let readings = statement.query_map([job_id], |row| json_column(row, 0, Quote::None))?;
    Ok(readings.collect::<Result<_, _>>()?)
}

const MAX_MISMATCH_REASON: usize = 1_000;

/// The finding codes in a stored findings list (a diagnostic run's `findings` column).
pub(crate) fn finding_codes(findings: &str) -> CoreResult<Vec<String>> {
    let findings: Vec<Finding> = serde_json::from_str(findings)?;
    Ok(findings.into_iter().map(|f| f.code).collect())
}

fn compare(first: &DiagnosticRun, latest: &DiagnosticRun) -> Comparison {
    let codes = |run: &DiagnosticRun| -> BTreeSet<String> { run.findings.iter().map(|f| f.code.clone()).collect() };
    let (before, after) = (codes(first), codes(latest));
    let changes = compared(&first.reading)
        .into_iter()
        .zip(compared(&latest.reading))
        .map(|((reading, before), (_, after))| ReadingChange { reading, before, after })
        .filter(|change| change.before != change.after)
        .collect();
    Comparison {
        changes,
        first_run: first.id,
        latest_run: latest.id,
        // A lifetime counter that went down: a wiped InfoROM or another card, so nothing is fixed.
        cleared: if after.contains(LIFETIME_REGRESSION) {
            Vec::new()
        } else {
            before.difference(&after).cloned().collect()
        },
        persisting: before.intersection(&after).cloned().collect(),
        new: after.difference(&before).cloned().collect(),
    }
}

fn gpu_index_of(gpu: &GpuReading) -> u32 {
    match gpu {
        GpuReading::Present { index, .. } | GpuReading::Lost { index } => *index,
    }
}

fn job_gpu(tx: &Transaction, job_id: i64) -> CoreResult<(String, String, Option<String>)> {
    tx.query_row("SELECT model_id, board_serial, gpu_uuid FROM jobs WHERE id = ?1", [job_id], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })
    .optional()?
    .ok_or(CoreError::JobNotFound(job_id))
}

/// The job's runs, oldest first; just the one run when `only` names it.
fn load_runs(store: &Store, job_id: i64, only: Option<i64>) -> CoreResult<Vec<DiagnosticRun>> {
    store.read(|tx| runs_in(tx, job_id, only))
}

pub(crate) fn runs_in(tx: &Transaction, job_id: i64, only: Option<i64>) -> CoreResult<Vec<DiagnosticRun>> {
    job_gpu(tx, job_id)?;
    let mut statement = tx.prepare(
        "SELECT r.id, r.gpu_index, r.recorded_at, r.recorded_by, r.simulated, r.scenario, r.driver, r.reading,
                    r.findings, coalesce(t.samples, 0)
             FROM diagnostic_runs r LEFT JOIN run_telemetry t ON t.run_id = r.id
             WHERE r.job_id = ?1 AND (?2 IS NULL OR r.id = ?2) ORDER BY r.id",
    )?;
    let rows = statement.query_map(params![job_id, only], |row| {
        Ok(DiagnosticRun {
            id: row.get(0)?,
            job_id,
            gpu_index: row.get(1)?,
            recorded_at: row.get(2)?,
            recorded_by: row.get(3)?,
            simulated: row.get(4)?,
            scenario: row.get(5)?,
            driver: json_column(row, 6, Quote::None)?,
            reading: json_column(row, 7, Quote::None)?,
            findings: json_column(row, 8, Quote::None)?,
            telemetry_samples: row.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
