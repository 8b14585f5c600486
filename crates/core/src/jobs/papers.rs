//! The papers that travel with a job: the ticket label on the card's bag, the intake receipt the
//! customer signs when the card comes in, and the hand-over slip they sign when it goes back. A
//! receipt or slip is written into the job's log the first time it is printed or saved, exactly as
//! printed, so every later copy (on any bench the job moves to) is the same paper; until then it
//! is a draft of what would print. A slip for a card that then did not go back after all (held,
//! sent back to repair) no longer stands: the next one is drawn anew.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::diagnostics::Text;
use crate::error::{CoreError, CoreResult};
use crate::jobs::customer_papers::{
    CardOnPaper, CustomerOnPaper, HandOverSlip, IntakeReceipt, PartOnPaper, ShopOnPaper, WorkDone,
};
use crate::jobs::events::{self, Event};
use crate::jobs::label::{label_code, local_day, local_minute, TicketLabel};
use crate::jobs::Job;
use crate::settings::{Settings, Technician};
use crate::store::timestamp;
use crate::workshop::Workshop;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PaperKind {
    Label,
    IntakeReceipt,
    HandOverSlip,
}

/// One paper as the printer gets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Paper {
    Label(TicketLabel),
    IntakeReceipt(IntakeReceipt),
    HandOverSlip(HandOverSlip),
}

impl Paper {
    /// The event that keeps this paper in the job's log; none for a label.
    fn kept(self) -> Option<Event> {
        match self {
            Paper::Label(_) => None,
            Paper::IntakeReceipt(receipt) => Some(Event::IntakeReceiptIssued { receipt }),
            Paper::HandOverSlip(slip) => Some(Event::HandOverSlipIssued { slip }),
        }
    }
}

/// When and by whom a receipt or slip went into the job's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PaperOnFile {
    pub paper: Paper,
    /// None for a draft, and for a label (it prints the job as it is; nothing to keep).
    pub issued: Option<Issued>,
}

/// The papers of the shop's jobs.
pub struct Papers<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn papers(&self) -> Papers<'_> {
        Papers { workshop: self }
    }
}

impl Papers<'_> {
    /// The paper as it prints now: a receipt or slip from the job's log once issued, else a draft
    /// dated now, in the name of the technician at the bench; times in `zone`.
    pub fn paper(&self, job_id: i64, kind: PaperKind, zone: &jiff::tz::TimeZone) -> CoreResult<PaperOnFile> {
        let job = self.workshop.jobs().get(job_id)?;
        if let Some(on_file) = self.on_file(&job, kind) {
            return Ok(on_file);
        }
        let settings = self.workshop.settings()?;
        let now = self.workshop.store().now();
        let seated = settings.current_technician.clone().unwrap_or_default();
        Ok(PaperOnFile { paper: self.draft(&job, kind, &settings, zone, now, &seated)?, issued: None })
    }

    /// Writes the receipt or slip into the job's log when none stands, as [`Papers::paper`] drafts
    /// it at this moment; otherwise (and for a label) the paper as it is on file.
    pub fn issue(
        &self,
        job_id: i64,
        kind: PaperKind,
        zone: &jiff::tz::TimeZone,
        by: &Technician,
    ) -> CoreResult<PaperOnFile> {
        let job = self.workshop.jobs().get(job_id)?;
        if self.on_file(&job, kind).is_none() {
            // Drawn before the write: drawing reads the store, which a write holds.
            let settings = self.workshop.settings()?;
            let draft = self.draft(&job, kind, &settings, zone, self.workshop.store().now(), by.name())?;
            if let Some(event) = draft.kept() {
                let kind_column = event.to_columns()?.0;
                let seen = job
                    .events
                    .iter()
                    .filter(|logged| {
                        matches!(
                            (&logged.event, kind),
                            (Event::IntakeReceiptIssued { .. }, PaperKind::IntakeReceipt)
                                | (Event::HandOverSlipIssued { .. }, PaperKind::HandOverSlip)
                        )
                    })
                    .count();
                self.workshop.store().write(|tx, now| {
                    let actor = Settings::technician_for(tx, by)?;
                    // Two windows printing at once: the first one's paper is the one on file.
                    let logged: i64 = tx.query_row(
                        "SELECT count(*) FROM job_events WHERE job_id = ?1 AND kind = ?2",
                        rusqlite::params![job_id, kind_column],
                        |row| row.get(0),
                    )?;
                    if logged as usize == seen {
                        events::append(tx, job_id, &timestamp(now), &actor, &event)?;
                    }
                    Ok(())
                })?;
            }
        }
        self.paper(job_id, kind, zone)
    }

    fn draft(
        &self,
        job: &Job,
        kind: PaperKind,
        settings: &Settings,
        zone: &jiff::tz::TimeZone,
        now: OffsetDateTime,
        by: &str,
    ) -> CoreResult<Paper> {
        let catalogs = self.workshop.catalogs();
        let shop = ShopOnPaper { name: settings.shop_name.clone(), address: settings.shop_address.clone() };
        let customer = CustomerOnPaper { name: job.customer_name.clone(), contact: job.customer_contact.clone() };
        let card = CardOnPaper {
            model: catalogs.models.name_of(&job.model_id),
            serial: job.board_serial.clone(),
            gpu_uuid: job.gpu_uuid.clone(),
            part_number: job.board_part_number.clone(),
        };
        let code = label_code(&job.ticket, &job.board_serial);
        Ok(match kind {
            PaperKind::Label => Paper::Label(self.workshop.jobs().label(job.id, settings, zone)?),
            PaperKind::IntakeReceipt => Paper::IntakeReceipt(IntakeReceipt {
                shop,
                ticket: job.ticket.clone(),
                code,
                received_at: local_minute(&job.created_at, zone),
                received_by: job.received_by.clone(),
                customer,
                card,
                conditions: job.conditions.clone(),
                condition_note: job.condition_note.clone(),
                symptoms: job.symptoms.clone(),
                quote: job.quote.printed(),
                terms: catalogs.terms.intake_receipt.clone(),
            }),
            PaperKind::HandOverSlip => {
                if !catalogs.flow.allows_hand_over(job.status) {
                    return Err(CoreError::HandOverNotDue(job.status.id().to_owned()));
                }
                let costs = self.workshop.costs().for_job(job.id)?;
                let certificates = self.workshop.certificates().for_job(job.id)?;
                let in_force = certificates.iter().rev().find(|c| c.superseded_by.is_none() && c.revoked.is_none());
                Paper::HandOverSlip(HandOverSlip {
                    shop,
                    ticket: job.ticket.clone(),
                    code,
                    received_on: local_day(&job.created_at, zone),
                    handed_over_at: local_minute(&timestamp(now), zone),
                    handed_over_by: by.to_owned(),
                    customer,
                    card,
                    status: job.status,
                    reason: job
                        .events
                        .iter()
                        .rev()
                        .find_map(|logged| match &logged.event {
                            // A person's word on the move here (why it was scrapped), not a procedure's.
                            Event::StatusChanged { to, reason, run, .. } if *to == job.status => {
                                Some(reason.clone().filter(|_| run.is_none()))
                            }
                            _ => None,
                        })
                        .flatten(),
                    work: job
                        .events
                        .iter()
                        .filter_map(|logged| match &logged.event {
                            Event::ProcedureFinished { procedure, outcome, .. } => Some(WorkDone {
                                procedure: catalogs
                                    .procedure(procedure)
                                    .map(|p| p.title.clone())
                                    .unwrap_or(Text { en: procedure.clone(), zh_cn: procedure.clone() }),
                                outcome: *outcome,
                            }),
                            _ => None,
                        })
                        .collect(),
                    parts: costs
                        .parts
                        .iter()
                        .map(|part| PartOnPaper {
                            part_number: part.part_number.clone(),
                            description: part.description.clone(),
                            quantity: part.quantity,
                        })
                        .collect(),
                    certificate: in_force.map(|c| c.number.clone()),
                    quote: costs.quote.printed(),
                    parts_total: costs.parts_total.printed(),
                    labor: costs.labor_total.map(|labor| labor.printed()),
                    total: costs.total.printed(),
                    terms: catalogs.terms.hand_over_slip.clone(),
                })
            }
        })
    }
}

impl Papers<'_> {
    /// The receipt or slip that stands in the job's log, with when and by whom it was issued: the
    /// latest one, unless the job left the statuses a card goes back from after it.
    fn on_file(&self, job: &Job, kind: PaperKind) -> Option<PaperOnFile> {
        let flow = &self.workshop.catalogs().flow;
        let mut standing = None;
        for logged in &job.events {
            let paper = match (&logged.event, kind) {
                (Event::IntakeReceiptIssued { receipt }, PaperKind::IntakeReceipt) => {
                    Paper::IntakeReceipt(receipt.clone())
                }
                (Event::HandOverSlipIssued { slip }, PaperKind::HandOverSlip) => Paper::HandOverSlip(slip.clone()),
                (Event::StatusChanged { to, .. }, PaperKind::HandOverSlip) if !flow.allows_hand_over(*to) => {
                    standing = None;
                    continue;
                }
                _ => continue,
            };
            standing =
                Some(PaperOnFile { paper, issued: Some(Issued { at: logged.at.clone(), by: logged.actor.clone() }) });
        }
        standing
    }
}
