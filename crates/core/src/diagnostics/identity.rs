//! A card whose release reading names another serial or UUID than the one taken in gets no
//! certificate, unless an approver (with their own PIN, not the technician who recorded it) says
//! why it is the same repair: a die moved to a new board, a label replaced. The reason is logged
//! and signed into the certificate, so whoever checks it reads it too.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{Finding, Severity};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::events::{self, Event};
use crate::pins::Signer;
use crate::settings::Settings;
use crate::store::{json_column, timestamp, Quote, Store};
use crate::text::{self, Lines};

/// The findings that say the reading is of another card than the one taken in.
pub const IDENTITY_FINDINGS: [&str; 3] = ["serial_changed", "uuid_changed", "identity_mismatch"];
const MAX_REASON: usize = 1_000;

/// An approver's word that the card read at release is the job's card after all, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IdentityApproval {
    /// The identity findings of the release reading it answers.
    pub findings: Vec<String>,
    pub reason: String,
    pub approved_by: String,
}

/// The latest reading of a job that is not of the card taken in: what it found, and the
/// approver's word for it if there is one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheck {
    pub run: i64,
    pub findings: Vec<String>,
    pub approval: Option<IdentityApproval>,
}

/// Approves the identity findings of the job's latest reading, for `reason`.
pub(super) fn approve(store: &Store, job_id: i64, reason: &str, approver: &Signer) -> CoreResult<IdentityApproval> {
    let reason = text::required(reason, Field::Reason, MAX_REASON, Lines::Multi)?;
    store.write(|tx, now| {
        let actor = Settings::technician_for(tx, approver.technician())?;
        let (run, recorded_by, findings) = tx
            .query_row(
                "SELECT id, recorded_by, findings FROM diagnostic_runs WHERE job_id = ?1 ORDER BY id DESC LIMIT 1",
                [job_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, json_column::<Vec<Finding>>(r, 2, Quote::None)?)),
            )
            .optional()?
            .ok_or(CoreError::invalid(Field::Run, Problem::NotNeeded))?;
        let findings = identity_codes(&findings);
        if findings.is_empty() {
            return Err(CoreError::invalid(Field::Run, Problem::NotNeeded));
        }
        if recorded_by == actor {
            return Err(CoreError::ApproverDidTheWork);
        }
        let approved = Event::IdentityApproved { run, findings: findings.clone(), reason: reason.clone() };
        events::append(tx, job_id, &timestamp(now), &actor, &approved)?;
        Ok(IdentityApproval { findings, reason, approved_by: actor })
    })
}

/// Each identity finding's code once, in the order of [`IDENTITY_FINDINGS`].
fn identity_codes(findings: &[Finding]) -> Vec<String> {
    IDENTITY_FINDINGS
        .iter()
        .filter(|code| findings.iter().any(|f| f.severity == Severity::Critical && f.code == **code))
        .map(|code| (*code).to_owned())
        .collect()
}

/// The approval given for every identity finding diagnostic run `run` raised, if any.
pub(crate) fn approval_of(
    tx: &Transaction,
    job_id: i64,
    run: i64,
    findings: &[Finding],
) -> CoreResult<Option<IdentityApproval>> {
    let needed = identity_codes(findings);
    if needed.is_empty() {
        return Ok(None);
    }
    let stored: Vec<(String, String)> = tx
        .prepare(
            "SELECT actor, detail FROM job_events WHERE job_id = ?1 AND kind = 'identity_approved' ORDER BY id DESC",
        )?
        .query_map(params![job_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (approved_by, detail) in stored {
        if let Event::IdentityApproved { run: approved_run, findings, reason } =
            Event::from_columns("identity_approved", &detail)?
        {
            if approved_run == run && findings == needed {
                return Ok(Some(IdentityApproval { findings, reason, approved_by }));
            }
        }
    }
    Ok(None)
}

/// The identity findings of run `run` and their approval, if it raised any.
pub(super) fn check(store: &Store, job_id: i64, run: i64, findings: &[Finding]) -> CoreResult<Option<IdentityCheck>> {
    let codes = identity_codes(findings);
    if codes.is_empty() {
        return Ok(None);
    }
    let approval = store.read(|tx| approval_of(tx, job_id, run, findings))?;
    Ok(Some(IdentityCheck { run, findings: codes, approval }))
}

/// Whether a critical finding stands after `approval`: identity findings an approver answered
/// for do not; every other critical one does.
pub(crate) fn critical_remains(findings: &[Finding], approval: Option<&IdentityApproval>) -> bool {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .any(|f| !approval.is_some_and(|a| a.findings.contains(&f.code)))
}
