//! Typed failures of the core. Each carries a stable `code()` so the shell can send `{code, message}`
//! over IPC and the UI can translate it; the `Display` text is for logs and the CLI.

use serde::Serialize;

/// Which input a validation failure is about; the UI translates the field name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CustomerName,
    CustomerContact,
    Model,
    BoardSerial,
    GpuUuid,
    BoardPartNumber,
    SymptomObserved,
    SymptomWhen,
    SymptomHow,
    SymptomFrequency,
    SymptomChanges,
    Condition,
    ConditionNote,
    QuoteAmount,
    QuoteCurrency,
    BenchLocation,
    Technician,
    Status,
    Reason,
    ShopName,
    ShopAddress,
    Language,
    SearchText,
    GpuIndex,
    Scenario,
    SampleInterval,
    Run,
    KernelLog,
    Procedure,
    Answer,
    Measurement,
    Photo,
    Note,
    PartNumber,
    PartDescription,
    Quantity,
    UnitCost,
    Part,
    Minutes,
    LaborRate,
    WarrantyDays,
    Certificate,
    DateFrom,
    DateTo,
    Outcome,
    Page,
    Backup,
    UtcOffset,
}

/// What is wrong with the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Problem {
    Empty,
    TooLong {
        max: u64,
    },
    ControlCharacters,
    /// Only invisible characters (zero-width spaces, fillers): nothing a person could read.
    Invisible,
    /// Characters that reorder the text around them (bidi overrides), so it would read differently than it is.
    DirectionControls,
    DisallowedCharacters,
    BadFormat,
    Negative,
    TooLarge {
        max: u64,
    },
    TooManyDecimals,
    Unknown,
    Duplicate,
    OutOfRange {
        min: u64,
        max: u64,
    },
    TooFew {
        min: u64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid {field:?}: {problem:?}")]
    Invalid { field: Field, problem: Problem },

    #[error("job {0} not found")]
    JobNotFound(i64),

    #[error("a job in status {from} cannot move to {to}")]
    IllegalTransition { from: String, to: String },

    #[error("the database was written by a newer Revive (schema {found}, this build knows up to {supported})")]
    StoreTooNew { found: i64, supported: i64 },

    #[error("the shipped rules file {file} is invalid: {reason}")]
    RulesInvalid { file: &'static str, reason: String },

    #[error(transparent)]
    Bench(#[from] crate::bench::Unavailable),

    #[error("procedure run {0} not found")]
    RunNotFound(i64),

    #[error("procedure run {0} is already in progress on this job")]
    RunInProgress(i64),

    #[error("procedure run {0} is finished")]
    RunFinished(i64),

    #[error("procedure run {run} is on step {current}, not that one")]
    StepNotCurrent { run: i64, current: String },

    #[error("the gate waits for a diagnostic run on this job that satisfies {0:?}")]
    GateClosed(crate::procedures::GateCondition),

    #[error("the approver must be someone other than the technician who did the work")]
    ApproverDidTheWork,

    #[error("the shop's signing key cannot be used: {0}")]
    KeyUnusable(String),

    #[error("the job cannot have a certificate yet: {0}")]
    CertificateNotReady(&'static str),

    #[error("storage failed: {0}")]
    Storage(#[from] rusqlite::Error),

    #[error("stored data could not be encoded or decoded: {0}")]
    Encoding(#[from] serde_json::Error),

    #[error("storage migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error("cannot use the data directory: {0}")]
    DataDir(#[from] std::io::Error),

    #[error("the file could not be written: {0}")]
    FileWrite(std::io::Error),

    #[error("the file could not be read: {0}")]
    FileRead(std::io::Error),
}

impl CoreError {
    pub fn invalid(field: Field, problem: Problem) -> Self {
        CoreError::Invalid { field, problem }
    }

    /// Stable machine-readable code; the UI message catalog has a text for each.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Invalid { .. } => "invalid_input",
            CoreError::JobNotFound(_) => "job_not_found",
            CoreError::IllegalTransition { .. } => "illegal_transition",
            CoreError::StoreTooNew { .. } => "store_too_new",
            CoreError::RulesInvalid { .. } => "rules_invalid",
            CoreError::Storage(_) | CoreError::Migration(_) | CoreError::Encoding(_) => "storage_failed",
            CoreError::DataDir(_) => "data_dir_unusable",
            CoreError::FileWrite(_) => "file_write_failed",
            CoreError::FileRead(_) => "file_read_failed",
            CoreError::Bench(unavailable) => unavailable.code(),
            CoreError::RunNotFound(_) => "run_not_found",
            CoreError::RunInProgress(_) => "run_in_progress",
            CoreError::RunFinished(_) => "run_finished",
            CoreError::StepNotCurrent { .. } => "step_not_current",
            CoreError::GateClosed(_) => "gate_closed",
            CoreError::ApproverDidTheWork => "approver_did_the_work",
            CoreError::KeyUnusable(_) => "key_unusable",
            CoreError::CertificateNotReady(_) => "certificate_not_ready",
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
