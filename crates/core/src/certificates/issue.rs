//! Issuing a certificate for a job: only after final QA with an approver's sign-off and a clean
//! release reading; the content comes from the job's own records, is signed with the shop's key,
//! and is stored unchangeable. Re-issuing makes a new number and marks the old one superseded.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Revocation, SignedDocument, FACTS_SCHEMA};
use crate::bench::{GpuReading, Health, Identity};
use crate::diagnostics::identity::{self, IdentityApproval};
use crate::diagnostics::{Finding, Text};
use crate::error::{CoreError, CoreResult, Field, NotReady, Problem};
use crate::jobs::events::{self, Event};
use crate::jobs::status::Status;
use crate::procedures::{GateCondition, Outcome, Role, StepKind};
use crate::settings::{Settings, Technician};
use crate::store::{json_column, timestamp, Quote};
use crate::workshop::{Catalogs, Workshop};

pub const MAX_WARRANTY_DAYS: u32 = 3 * 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CertificateLanguage {
    En,
    ZhCn,
    Both,
}

/// Everything the certificate states; its canonical JSON is what is signed. Parts of it that early
/// builds did not write yet read as empty (`default`), so every certificate ever issued still loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CertificateDocument {
    pub schema: u32,
    pub number: String,
    pub issued_at: String,
    pub supersedes: Option<String>,
    pub language: CertificateLanguage,
    pub shop: ShopIdentity,
    pub ticket: String,
    pub customer: String,
    pub gpu: CertifiedGpu,
    /// Serial and UUID at release equal those at intake.
    pub identity_matches_intake: bool,
    pub symptoms: String,
    pub findings_at_intake: Vec<NamedFinding>,
    pub findings_at_release: Vec<NamedFinding>,
    pub findings_cleared: Vec<NamedFinding>,
    pub procedures: Vec<ProcedureDone>,
    pub parts: Vec<PartLine>,
    pub release_evidence: ReleaseEvidence,
    pub technician: String,
    pub approver: String,
    pub warranty_days: u32,
    /// Any reading came from the simulated bench: the certificate says so and proves nothing real.
    pub simulated: bool,
    /// Why an approver let the certificate name a card whose identity differs from intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub identity_approval: Option<IdentityApproval>,
}

/// The shop that issued the certificate, as its settings named it then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default)]
pub struct ShopIdentity {
    pub name: String,
    pub address: String,
}

/// The card the certificate is for: the model taken in and what it said of itself at release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CertifiedGpu {
    pub model: String,
    pub model_name: String,
    pub serial: String,
    pub uuid: Option<String>,
    pub board_part_number: Option<String>,
    pub vbios: Option<String>,
    pub inforom: Option<String>,
}

/// A part fitted during the repair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct PartLine {
    pub part_number: String,
    pub description: String,
    pub quantity: i64,
}

/// What the card showed when it left: the release reading and the burn-in before it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct ReleaseEvidence {
    pub recorded_at: String,
    /// The time the procedure's burn-in step took.
    pub burn_in_seconds: Option<i64>,
    pub telemetry_samples: usize,
    pub max_temperature_c: Option<f64>,
    pub max_memory_temperature_c: Option<f64>,
    pub max_power_w: Option<f64>,
    /// Change from the intake reading to the release reading.
    pub ecc_aggregate_uncorrected_delta: Option<i64>,
    pub remapped_rows_delta: Option<i64>,
    pub xid_count: usize,
    /// The memory test and burn-in recorded since final QA began, as the certificate states them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub load_tests: Option<LoadTests>,
}

/// The stress runs behind a certificate: the latest burn-in and memory test since final QA began.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct LoadTests {
    pub burn_in: Option<BurnInEvidence>,
    pub memory: Option<MemoryEvidence>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct BurnInEvidence {
    pub source: String,
    pub verdict: String,
    pub seconds: u64,
    pub compute_errors: u64,
    /// Average power after warm-up as a share of the enforced limit (the sustained load).
    pub power_fraction: Option<f64>,
    pub average_power_w: Option<f64>,
    pub average_sm_clock_mhz: Option<f64>,
    pub tflops: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct MemoryEvidence {
    pub source: String,
    pub verdict: String,
    /// Tested as a share of what the driver could give, in percent (Revive's own test).
    pub coverage_percent: Option<f64>,
    pub bytes_tested: Option<u64>,
    pub passes: Option<u32>,
    pub mismatches: Option<u64>,
}

/// A finding as the certificate names it: its code and its title in both languages, so the page
/// states in words exactly what was signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct NamedFinding {
    pub code: String,
    pub title: Text,
}

/// A procedure finished on the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ProcedureDone {
    pub id: String,
    pub version: u32,
    pub title: Text,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub number: String,
    pub job_id: i64,
    pub issued_at: String,
    pub issued_by: String,
    pub signed: SignedDocument,
    pub public_key: String,
    pub superseded_by: Option<String>,
    /// The shop withdrew it, and why.
    pub revoked: Option<Revocation>,
}

/// Reads a warranty period as a person typed it, in whole days.
pub fn warranty_days(text: &str) -> CoreResult<u32> {
    let text = crate::text::half_width(text);
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::invalid(Field::WarrantyDays, Problem::Empty));
    }
    let days: u32 = text.parse().map_err(|_| CoreError::invalid(Field::WarrantyDays, Problem::BadFormat))?;
    check_warranty(days)?;
    Ok(days)
}

fn check_warranty(days: u32) -> CoreResult<()> {
    if (1..=MAX_WARRANTY_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(CoreError::invalid(Field::WarrantyDays, Problem::OutOfRange { min: 1, max: u64::from(MAX_WARRANTY_DAYS) }))
    }
}

/// The certificates the shop issues for its jobs.
pub struct Certificates<'w> {
    pub(super) workshop: &'w Workshop,
}

impl Workshop {
    pub fn certificates(&self) -> Certificates<'_> {
        Certificates { workshop: self }
    }
}

impl Certificates<'_> {
    /// Issues the job's certificate (or a new one superseding the current), signed with the shop's key.
    pub fn issue(
        &self,
        job_id: i64,
        warranty_days: u32,
        language: CertificateLanguage,
        by: &Technician,
    ) -> CoreResult<Certificate> {
        self.issue_checked(job_id, warranty_days, language, by, |_| Ok(()))
    }

    /// As [`Certificates::issue`], with `check` run on the signed certificate before it is stored
    /// (the app typesets its page there): a certificate that cannot be printed is never issued.
    pub fn issue_checked<E>(
        &self,
        job_id: i64,
        warranty_days: u32,
        language: CertificateLanguage,
        by: &Technician,
        check: impl FnOnce(&Certificate) -> Result<(), E>,
    ) -> Result<Certificate, E>
    where
        E: From<CoreError>,
    {
        check_warranty(warranty_days)?;
        let key = self.key()?;
        let catalogs = self.workshop.catalogs();
        let mut check = Some(check);
        let mut refused = None;
        let number = self.workshop.store().write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let (document, previous) = assemble(tx, catalogs, job_id, now, warranty_days, language)?;
            let signed = key.sign(&document)?;
            let at = timestamp(now);
            let certificate = Certificate {
                number: document.number.clone(),
                job_id,
                issued_at: at.clone(),
                issued_by: actor.clone(),
                signed: signed.clone(),
                public_key: key.public_key(),
                superseded_by: None,
                revoked: None,
            };
            if let Some(Err(error)) = check.take().map(|check| check(&certificate)) {
                refused = Some(error);
                return Err(CoreError::CertificateNotReady(NotReady::DoesNotTypeset));
            }
            tx.execute(
                "INSERT INTO certificates (number, job_id, issued_at, issued_by, document, sha256, signature, public_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    document.number,
                    job_id,
                    at,
                    actor,
                    signed.document,
                    signed.sha256,
                    signed.signature,
                    certificate.public_key
                ],
            )?;
            if let Some(previous) = &previous {
                tx.execute(
                    "UPDATE certificates SET superseded_by = ?1 WHERE number = ?2",
                    params![document.number, previous],
                )?;
            }
            let issued = Event::CertificateIssued {
                number: document.number.clone(),
                supersedes: previous.clone(),
                sha256: signed.sha256.clone(),
            };
            events::append(tx, job_id, &at, &actor, &issued)?;
            Ok(document.number)
        });
        match (number, refused) {
            (_, Some(error)) => Err(error),
            (Ok(number), None) => Ok(self.get(&number)?),
            (Err(error), None) => Err(error.into()),
        }
    }

    pub fn get(&self, number: &str) -> CoreResult<Certificate> {
        self.workshop.store().read(|tx| certificate_in(tx, number))
    }

    /// The job's certificates, oldest first.
    pub fn for_job(&self, job_id: i64) -> CoreResult<Vec<Certificate>> {
        self.workshop.store().read(|tx| certificates_in(tx, job_id))
    }
}

pub(super) fn certificate_in(tx: &Transaction, number: &str) -> CoreResult<Certificate> {
    tx.query_row(
        "SELECT c.number, c.job_id, c.issued_at, c.issued_by, c.document, c.sha256, c.signature, c.public_key,
                c.superseded_by, r.revoked_at, r.revoked_by, r.reason, r.note
         FROM certificates c LEFT JOIN certificate_revocations r ON r.number = c.number WHERE c.number = ?1",
        [number],
        |r| {
            let revoked_at: Option<String> = r.get(9)?;
            let revoked = match revoked_at {
                Some(revoked_at) => Some(Revocation {
                    revoked_at,
                    revoked_by: r.get(10)?,
                    reason: json_column(r, 11, Quote::Text)?,
                    note: r.get(12)?,
                }),
                None => None,
            };
            Ok(Certificate {
                number: r.get(0)?,
                job_id: r.get(1)?,
                issued_at: r.get(2)?,
                issued_by: r.get(3)?,
                signed: SignedDocument { document: r.get(4)?, sha256: r.get(5)?, signature: r.get(6)? },
                public_key: r.get(7)?,
                superseded_by: r.get(8)?,
                revoked,
            })
        },
    )
    .optional()?
    .ok_or(CoreError::invalid(Field::Certificate, Problem::Unknown))
}

/// The job's certificates as `tx` sees them, oldest first.
pub(crate) fn certificates_in(tx: &Transaction, job_id: i64) -> CoreResult<Vec<Certificate>> {
    let numbers: Vec<String> = tx
        .prepare("SELECT number FROM certificates WHERE job_id = ?1 ORDER BY issued_at, number")?
        .query_map([job_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    numbers.iter().map(|number| certificate_in(tx, number)).collect()
}

fn not_ready(reason: NotReady) -> CoreError {
    CoreError::CertificateNotReady(reason)
}

fn assemble(
    tx: &Transaction,
    catalogs: &Catalogs,
    job_id: i64,
    now: OffsetDateTime,
    warranty_days: u32,
    language: CertificateLanguage,
) -> CoreResult<(CertificateDocument, Option<String>)> {
    type JobRow = (String, String, String, String, Option<String>, Option<String>, String, String);
    let (ticket, customer, model_id, serial, uuid, part_number, symptoms, status): JobRow = tx
        .query_row(
            "SELECT j.ticket, c.name, j.model_id, j.board_serial, j.gpu_uuid, j.board_part_number, j.symptom_observed,
                    j.status
             FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .optional()?
        .ok_or(CoreError::JobNotFound(job_id))?;

    // Final QA: the latest finished run of a procedure with an approver's sign-off, and it passed.
    // A later QA that failed (burn-in faults) outranks an earlier pass.
    let runs = crate::procedures::runs::for_job_in(tx, job_id)?;
    let qa = runs
        .iter()
        .rev()
        .find(|run| {
            run.outcome.is_some()
                && run.procedure.steps.iter().any(|s| s.kind == StepKind::SignOff { role: Role::Approver })
        })
        .filter(|run| run.outcome == Some(Outcome::Repaired))
        .ok_or(not_ready(NotReady::FinalQaMissing))?;
    let signer = |role: Role| {
        qa.procedure
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::SignOff { role })
            .find_map(|s| qa.results.iter().rev().find(|r| r.step_id == s.id).map(|r| r.actor.clone()))
    };
    let approver = signer(Role::Approver).ok_or(not_ready(NotReady::FinalQaMissing))?;
    // A revoked certificate is answered by new work: only a final QA finished after the
    // revocation can carry another certificate.
    let last_revoked: Option<String> = tx.query_row(
        "SELECT max(r.revoked_at) FROM certificate_revocations r JOIN certificates c ON c.number = r.number
         WHERE c.job_id = ?1",
        [job_id],
        |r| r.get(0),
    )?;
    if last_revoked.is_some_and(|revoked| qa.finished_at.as_deref().is_none_or(|finished| finished <= revoked.as_str()))
    {
        return Err(not_ready(NotReady::FinalQaMissing));
    }
    // Final QA passed, but the job has since been sent back (to repair, on hold): its status says not yet.
    if !catalogs.flow.allows_certificate(Status::parse(&status)?) {
        return Err(not_ready(NotReady::StatusNotReady));
    }
    let technician = signer(Role::Technician).unwrap_or_else(|| qa.started_by.clone());

    // Diagnostic runs: the first is the intake evidence, the latest the release reading.
    let diagnostics: Vec<StoredRun> = tx
        .prepare(
            "SELECT id, recorded_at, reading, simulated, findings FROM diagnostic_runs WHERE job_id = ?1 ORDER BY id",
        )?
        .query_map([job_id], |r| {
            Ok(StoredRun {
                id: r.get(0)?,
                recorded_at: r.get(1)?,
                reading: json_column(r, 2, Quote::None)?,
                simulated: r.get(3)?,
                findings: json_column(r, 4, Quote::None)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let (first, release) = match (diagnostics.first(), diagnostics.last()) {
        (Some(first), Some(release)) if release.recorded_at >= qa.started_at => (first, release),
        _ => return Err(not_ready(NotReady::ReleaseReadingMissing)),
    };
    let identity_approval = identity::approval_of(tx, job_id, release.id, &release.findings)?;
    if identity::critical_remains(&release.findings, identity_approval.as_ref()) {
        return Err(not_ready(NotReady::ReleaseHasCriticalFindings));
    }
    if identity_approval.as_ref().is_some_and(|approval| approval.approved_by == technician) {
        return Err(CoreError::ApproverDidTheWork);
    }
    let release_findings = named_findings(&release.findings);
    let intake_findings = named_findings(&first.findings);
    let cleared: Vec<NamedFinding> = intake_findings
        .iter()
        .filter(|finding| !release_findings.iter().any(|r| r.code == finding.code))
        .cloned()
        .collect();
    let (identity, health) = release.identity_and_health();
    let identity_matches_intake = identity.serial.as_deref() == Some(serial.as_str())
        && uuid.as_deref().is_none_or(|u| identity.uuid.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(u)));
    let change = |count: fn(&Health) -> Option<u64>| {
        let (before, after) = (count(&first.identity_and_health().1)?, count(&health)?);
        Some(after as i64 - before as i64)
    };
    let peaks = telemetry_peaks(tx, job_id, &qa.started_at)?;
    let xid_count: usize =
        diagnostics.iter().map(|run| run.findings.iter().filter(|f| f.code.starts_with("xid_")).count()).sum();
    let load_tests = load_tests(tx, job_id, &qa.started_at)?;
    // The burn-in a stress run recorded; procedures from before Revive burnt cards in itself timed a step.
    let burn_in_seconds = match load_tests.as_ref().and_then(|tests| tests.burn_in.as_ref()) {
        Some(burn_in) => Some(burn_in.seconds as i64),
        None => qa
            .procedure
            .burn_in_step
            .as_ref()
            .and_then(|step| qa.results.iter().rev().find(|result| &result.step_id == step))
            .map(|result| result.seconds),
    };
    let release_evidence = ReleaseEvidence {
        recorded_at: release.recorded_at.clone(),
        burn_in_seconds,
        telemetry_samples: peaks.samples,
        max_temperature_c: max_of(peaks.temperature, health.temperature_c.map(f64::from)),
        max_memory_temperature_c: max_of(peaks.memory_temperature, health.memory_temperature_c.map(f64::from)),
        max_power_w: max_of(peaks.power, health.power_w),
        ecc_aggregate_uncorrected_delta: change(|h| Some(h.ecc.as_ref()?.aggregate_uncorrected)),
        remapped_rows_delta: change(|h| Some(u64::from(h.remapped_rows.as_ref()?.uncorrectable))),
        xid_count,
        load_tests,
    };
    let simulated = diagnostics.iter().any(|d| d.simulated) || stress_simulated(tx, job_id)?;
    // A real card's certificate states a burn-in at least as long as the procedure asks (its
    // minimum, or its burn-in gate's).
    let gate_minutes = qa.procedure.steps.iter().find_map(|step| match &step.kind {
        StepKind::Gate { requires: GateCondition::BurnInPassed { minutes } } => Some(*minutes),
        _ => None,
    });
    let minimum = qa.procedure.burn_in_minimum_minutes.or(gate_minutes).map(|minutes| i64::from(minutes) * 60);
    if !simulated && minimum.is_some_and(|minimum| burn_in_seconds.unwrap_or(0) < minimum) {
        return Err(not_ready(NotReady::BurnInTooShort));
    }

    let settings = Settings::load_in(tx)?;
    let model_name = catalogs.models.name_of(&model_id);
    let gpu = CertifiedGpu {
        model: model_id,
        model_name,
        serial,
        uuid: identity.uuid,
        board_part_number: identity.board_part_number.or(part_number),
        vbios: identity.vbios_version,
        inforom: identity.inforom_image_version,
    };
    let procedures = runs
        .iter()
        .filter_map(|r| {
            Some(ProcedureDone {
                id: r.procedure.id.clone(),
                version: r.procedure.version,
                title: r.procedure.title.clone(),
                outcome: r.outcome?,
            })
        })
        .collect();
    let parts = tx
        .prepare("SELECT part_number, description, quantity FROM job_parts WHERE job_id = ?1 ORDER BY id")?
        .query_map([job_id], |r| Ok(PartLine { part_number: r.get(0)?, description: r.get(1)?, quantity: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    let previous: Option<String> = tx
        .query_row("SELECT number FROM certificates WHERE job_id = ?1 AND superseded_by IS NULL", [job_id], |r| {
            r.get(0)
        })
        .optional()?;
    let document = CertificateDocument {
        schema: FACTS_SCHEMA as u32,
        number: next_number(tx, now)?,
        issued_at: timestamp(now),
        supersedes: previous.clone(),
        language,
        shop: ShopIdentity { name: settings.shop_name, address: settings.shop_address },
        ticket,
        customer,
        gpu,
        identity_matches_intake,
        symptoms,
        findings_at_intake: unique(intake_findings),
        findings_at_release: unique(release_findings),
        findings_cleared: unique(cleared),
        procedures,
        parts,
        release_evidence,
        technician,
        approver,
        warranty_days,
        simulated,
        identity_approval,
    };
    Ok((document, previous))
}

/// The highest readings in the telemetry stored with the job's runs since final QA started: what
/// the card reached under burn-in, not only at the moment of the release reading.
#[derive(Default)]
struct Peaks {
    samples: usize,
    temperature: Option<f64>,
    memory_temperature: Option<f64>,
    power: Option<f64>,
}

fn telemetry_peaks(tx: &Transaction, job_id: i64, since: &str) -> CoreResult<Peaks> {
    let stored: Vec<(u32, Vec<u8>)> = tx
        .prepare(
            "SELECT r.gpu_index, t.packed FROM diagnostic_runs r JOIN run_telemetry t ON t.run_id = r.id
             WHERE r.job_id = ?1 AND r.recorded_at >= ?2",
        )?
        .query_map(params![job_id, since], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut peaks = Peaks::default();
    for (gpu, packed) in stored {
        for sample in crate::bench::telemetry::unpack(&packed, gpu)?.into_iter().filter(|s| !s.lost) {
            peaks.samples += 1;
            peaks.temperature = max_of(peaks.temperature, sample.temperature_c.map(f64::from));
            peaks.memory_temperature = max_of(peaks.memory_temperature, sample.memory_temperature_c.map(f64::from));
            peaks.power = max_of(peaks.power, sample.power_w);
        }
    }
    Ok(peaks)
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A diagnostic run as the certificate reads it back from the store.
struct StoredRun {
    id: i64,
    recorded_at: String,
    reading: GpuReading,
    simulated: bool,
    findings: Vec<Finding>,
}

impl StoredRun {
    /// What the GPU said of itself; nothing for a GPU that had fallen off the bus.
    fn identity_and_health(&self) -> (Identity, Health) {
        match &self.reading {
            GpuReading::Present { identity, health, .. } => (identity.as_ref().clone(), health.as_ref().clone()),
            GpuReading::Lost { .. } => (Identity::default(), Health::default()),
        }
    }
}

/// Findings by code and title, as the certificate names them.
fn named_findings(findings: &[Finding]) -> Vec<NamedFinding> {
    findings.iter().map(|f| NamedFinding { code: f.code.clone(), title: f.title.clone() }).collect()
}

/// Each code once (a finding reported for several GPUs or runs), ordered by code.
fn unique(findings: Vec<NamedFinding>) -> Vec<NamedFinding> {
    let by_code: BTreeMap<String, NamedFinding> = findings.into_iter().map(|f| (f.code.clone(), f)).collect();
    by_code.into_values().collect()
}

/// `RC-<year>[-<bench code>]-<6 digits>`, sequential per year, never reused.
fn next_number(tx: &Transaction, now: OffsetDateTime) -> CoreResult<String> {
    crate::shop::link::next_number(tx, "certificate_counters", "RC", now.year())
}

/// The newest burn-in and memory test recorded to the job since final QA began.
fn load_tests(tx: &Transaction, job_id: i64, since: &str) -> CoreResult<Option<LoadTests>> {
    let runs = crate::stress::runs::runs_in(tx, job_id, None)?;
    let recent = || runs.iter().rev().filter(|run| run.recorded_at.as_str() >= since);
    let burn_in = recent().find(|run| run.burn_in_seconds.is_some()).map(|run| {
        let load = &run.result.judgement.load;
        let report = run.result.burn_in.as_ref();
        BurnInEvidence {
            source: run.source.as_str().to_owned(),
            verdict: run.verdict.as_str().to_owned(),
            seconds: run.burn_in_seconds.unwrap_or(0),
            compute_errors: report.map_or(0, |b| b.compute_errors),
            power_fraction: load.power_fraction.map(|f| (f * 1000.0).round() / 1000.0),
            average_power_w: load.average_power_w.map(f64::round),
            average_sm_clock_mhz: load.average_sm_clock_mhz.map(f64::round),
            tflops: report.map(|b| (b.tflops * 10.0).round() / 10.0).filter(|t| *t > 0.0),
        }
    });
    let memory = recent().find(|run| run.memory_tested).map(|run| {
        let report = run.result.memory.as_ref();
        MemoryEvidence {
            source: run.source.as_str().to_owned(),
            verdict: run.verdict.as_str().to_owned(),
            coverage_percent: report.map(|m| (m.coverage_percent * 10.0).round() / 10.0),
            bytes_tested: report.map(|m| m.bytes_tested),
            passes: report.map(|m| m.passes_completed),
            mismatches: report.map(|m| m.mismatches.total),
        }
    });
    Ok((burn_in.is_some() || memory.is_some()).then_some(LoadTests { burn_in, memory }))
}

/// Whether a stress run on the job came from the simulated bench.
fn stress_simulated(tx: &Transaction, job_id: i64) -> CoreResult<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM stress_runs WHERE job_id = ?1 AND simulated = 1)",
        [job_id],
        |r| r.get(0),
    )?)
}
