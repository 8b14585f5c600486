//! Why a shop withdraws a certificate: a word of the log and of the status list, kept apart so
//! the job log can name it without the certificates importing the log back.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// The card came back faulty.
    ReturnedFaulty,
    IssuedInError,
    /// The warranty was voided (opened, misused).
    WarrantyVoid,
}

impl RevocationReason {
    /// The id stored in the database.
    pub fn id(self) -> &'static str {
        match self {
            RevocationReason::ReturnedFaulty => "returned_faulty",
            RevocationReason::IssuedInError => "issued_in_error",
            RevocationReason::WarrantyVoid => "warranty_void",
        }
    }
}
