//! What the customer's papers say, as the job's log keeps them: the intake receipt they sign when
//! the card comes in and the hand-over slip they sign when it goes back. Field names are the log's
//! (snake_case), like every event's detail.

use serde::{Deserialize, Serialize};

use crate::diagnostics::Text;
use crate::jobs::intake::{Condition, Symptoms};
use crate::jobs::status::Status;
use crate::procedures::model::Outcome;

/// The shop as its papers name it, as Settings said when the paper was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ShopOnPaper {
    pub name: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CustomerOnPaper {
    pub name: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CardOnPaper {
    pub model: String,
    pub serial: String,
    pub gpu_uuid: Option<String>,
    pub part_number: Option<String>,
}

/// What the customer signs when the card comes in: what was received, in what condition, what they
/// say is wrong with it, the quote and the terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct IntakeReceipt {
    pub shop: ShopOnPaper,
    pub ticket: String,
    /// The label code, for the receipt's QR.
    pub code: String,
    /// Local time at the bench, `YYYY-MM-DD HH:MM`.
    pub received_at: String,
    pub received_by: String,
    pub customer: CustomerOnPaper,
    pub card: CardOnPaper,
    pub conditions: Vec<Condition>,
    pub condition_note: Option<String>,
    pub symptoms: Symptoms,
    /// As printed: `12,000.00 CNY`.
    pub quote: String,
    pub terms: Vec<Text>,
}

/// A procedure finished on the card, for the slip's list of work done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct WorkDone {
    pub procedure: Text,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PartOnPaper {
    pub part_number: String,
    pub description: String,
    pub quantity: u32,
}

/// What the customer signs when the card goes back: the card, what became of it, the work and
/// parts, the certificate that carries its warranty, what it cost, and the terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HandOverSlip {
    pub shop: ShopOnPaper,
    pub ticket: String,
    pub code: String,
    /// The day the card came in, `YYYY-MM-DD`.
    pub received_on: String,
    /// Local time at the bench, `YYYY-MM-DD HH:MM`.
    pub handed_over_at: String,
    pub handed_over_by: String,
    pub customer: CustomerOnPaper,
    pub card: CardOnPaper,
    /// Ready or returned: repaired; scrapped: going back as it is, for `reason`.
    pub status: Status,
    pub reason: Option<String>,
    pub work: Vec<WorkDone>,
    pub parts: Vec<PartOnPaper>,
    /// The certificate in force (neither superseded nor revoked), which carries the warranty.
    pub certificate: Option<String>,
    pub quote: String,
    pub parts_total: String,
    /// None where the shop's labour rate is not in the job's currency: labour is not priced.
    pub labor: Option<String>,
    pub total: String,
    pub terms: Vec<Text>,
}
