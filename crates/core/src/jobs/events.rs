//! The job's event log as one typed value per entry. Every module that changes a job writes an
//! [`Event`]; the log stores its kind and detail exactly as they were always stored (the detail's
//! keys sorted, absent values as `null`), so old rows read back into the same values and the
//! timeline, exports and statistics see one shape.

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

use crate::certificates::RevocationReason;
use crate::error::CoreResult;
use crate::jobs::status::Status;
use crate::procedures::model::Outcome;

/// What happened. The detail's field names are the stored ones (snake_case), not the wire's
/// camelCase: they are the record itself, byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Event {
    Created {
        ticket: String,
        /// Jobs made by early history generators did not say; every job starts at intake.
        #[serde(default = "initial_status")]
        status: Status,
    },
    StatusChanged {
        from: Status,
        to: Status,
        #[serde(default)]
        reason: Option<String>,
        /// The procedure run whose finished work implied the move; none when a person moved it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "bindings", ts(optional))]
        run: Option<i64>,
    },
    PartAdded {
        part_number: String,
        quantity: u64,
        unit_cost_minor: i64,
    },
    PartRemoved {
        part_number: String,
    },
    LaborAdjusted {
        minutes: i64,
        reason: String,
    },
    DiagnosticRecorded {
        run: i64,
        gpu_index: u32,
        simulated: bool,
        /// The codes of the findings the reading raised.
        findings: Vec<String>,
        /// Why a card with another serial than the job's was recorded to it anyway.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "bindings", ts(optional))]
        card_mismatch_reason: Option<String>,
    },
    StressRecorded {
        run: i64,
        gpu_index: u32,
        source: crate::stress::kinds::StressSource,
        simulated: bool,
        verdict: crate::stress::kinds::Verdict,
        findings: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "bindings", ts(optional))]
        card_mismatch_reason: Option<String>,
    },
    ProcedureStarted {
        run: i64,
        procedure: String,
        version: u32,
    },
    ProcedureFinished {
        run: i64,
        procedure: String,
        outcome: Outcome,
    },
    /// The outcome implied a move the status flow does not allow from where the job was.
    ProcedureStatusNotMoved {
        run: i64,
        wanted: Status,
        from: Status,
    },
    CertificateIssued {
        number: String,
        supersedes: Option<String>,
        sha256: String,
    },
    CertificateRevoked {
        number: String,
        reason: RevocationReason,
    },
    /// The job came to this bench from bench `from`: its record there, whose log ended at the link
    /// `chain_head` after `events` events, goes on here.
    HandedOver {
        from: String,
        events: u64,
        chain_head: Option<String>,
    },
    /// The customer's intake receipt, exactly as it was first printed or saved.
    IntakeReceiptIssued {
        receipt: crate::jobs::customer_papers::IntakeReceipt,
    },
    /// The hand-over slip the card went back with, exactly as it was first printed or saved.
    HandOverSlipIssued {
        slip: crate::jobs::customer_papers::HandOverSlip,
    },
    /// An approver let a certificate name the card of diagnostic run `run` despite its identity findings.
    IdentityApproved {
        run: i64,
        findings: Vec<String>,
        reason: String,
    },
}

fn initial_status() -> Status {
    Status::Intake
}

impl Event {
    /// The stored `kind` and `detail` columns.
    pub fn to_columns(&self) -> CoreResult<(String, String)> {
        let mut tagged = serde_json::to_value(self)?;
        let kind = tagged["kind"].as_str().unwrap_or_default().to_owned();
        Ok((kind, tagged["detail"].take().to_string()))
    }

    /// The event a stored row holds; a row this build cannot read is a storage error, not a guess.
    pub fn from_columns(kind: &str, detail: &str) -> CoreResult<Event> {
        let detail: serde_json::Value = serde_json::from_str(detail)?;
        Ok(serde_json::from_value(serde_json::json!({ "kind": kind, "detail": detail }))?)
    }
}

/// Appends to the job's log inside the caller's transaction, with the account and computer this
/// process runs as.
pub(crate) fn append(tx: &Transaction, job_id: i64, at: &str, actor: &str, event: &Event) -> CoreResult<()> {
    let (kind, detail) = event.to_columns()?;
    let Workstation { os_user, host } = Workstation::current();
    tx.execute(
        "INSERT INTO job_events (job_id, at, actor, kind, detail, os_user, host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![job_id, at, actor, kind, detail, os_user, host],
    )?;
    super::audit::link(tx, tx.last_insert_rowid())
}

/// The operating-system account and the computer an event was written on: what the machine says,
/// beside the technician's name the person chose in Revive (security review M8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Workstation {
    pub os_user: String,
    pub host: String,
}

impl Workstation {
    /// This process's, read once: the account by the process's user id (its name from the system's
    /// user database, else `uid N`), the computer by its host name.
    pub fn current() -> &'static Workstation {
        static CURRENT: std::sync::OnceLock<Workstation> = std::sync::OnceLock::new();
        CURRENT.get_or_init(|| {
            let uid = nix::unistd::geteuid();
            let os_user = match nix::unistd::User::from_uid(uid) {
                Ok(Some(user)) => user.name,
                _ => format!("uid {uid}"),
            };
            let host = nix::unistd::gethostname()
                .ok()
                .and_then(|name| name.into_string().ok())
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "unknown".to_owned());
            Workstation { os_user, host }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as Revive wrote them with `json!` before the log was typed: each reads back into its
    /// event and writes out to the very same text.
    #[test]
    fn stored_rows_keep_their_exact_text() {
        let rows = [
            ("created", r#"{"status":"intake","ticket":"RV-2026-000001"}"#),
            ("status_changed", r#"{"from":"intake","reason":null,"to":"diagnosing"}"#),
            ("status_changed", r#"{"from":"on_hold","reason":"客户确认报价","to":"repairing"}"#),
            ("part_added", r#"{"part_number":"TDA21490","quantity":2,"unit_cost_minor":8550}"#),
            ("part_removed", r#"{"part_number":"TDA21490"}"#),
            ("labor_adjusted", r#"{"minutes":-30,"reason":"Untimed rework"}"#),
            (
                "diagnostic_recorded",
                r#"{"findings":["remap_pending","xid_63"],"gpu_index":0,"run":3,"simulated":true}"#,
            ),
            ("procedure_started", r#"{"procedure":"hbm-triage","run":1,"version":1}"#),
            ("procedure_finished", r#"{"outcome":"needs_rma","procedure":"hbm-triage","run":1}"#),
            ("procedure_status_not_moved", r#"{"from":"on_hold","run":1,"wanted":"rma"}"#),
            ("certificate_issued", r#"{"number":"RC-2026-000001","sha256":"ab","supersedes":null}"#),
        ];
        for (kind, detail) in rows {
            let event = Event::from_columns(kind, detail).unwrap();
            assert_eq!(event.to_columns().unwrap(), (kind.to_owned(), detail.to_owned()));
        }
        let implied = Event::StatusChanged {
            from: Status::Qc,
            to: Status::Ready,
            reason: Some("final-qa-burn-in: repaired".into()),
            run: Some(7),
        };
        let (_, detail) = implied.to_columns().unwrap();
        assert_eq!(detail, r#"{"from":"qc","reason":"final-qa-burn-in: repaired","run":7,"to":"ready"}"#);
        // What early history generators wrote still reads.
        let generated = Event::from_columns("created", r#"{"ticket":"RV-2021-000001"}"#).unwrap();
        assert_eq!(generated, Event::Created { ticket: "RV-2021-000001".into(), status: Status::Intake });
    }

    #[test]
    fn a_row_this_build_cannot_read_is_an_error() {
        assert!(Event::from_columns("teleported", "{}").is_err());
        assert!(Event::from_columns("part_removed", r#"{"part":"x"}"#).is_err());
        assert!(Event::from_columns("part_removed", "not json").is_err());
    }
}
