//! Typed failures of the core. Each carries a stable `code()` so the shell can send `{code, message}`
//! over IPC and the UI can translate it; the `Display` text is for logs and the CLI. This module is
//! the floor every other one stands on: it imports none of them.

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
    /// A ticket number given to find a job (a label scanned, a test-room task).
    Ticket,
    /// The shop server's connection settings.
    ShopServer,
    /// This bench's name in the shop.
    BenchName,
    BenchCode,
    ShopPassword,
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
    LabelSize,
    WarrantyDays,
    Certificate,
    DateFrom,
    DateTo,
    Outcome,
    Page,
    Backup,
    UtcOffset,
    Pin,
    CurrentPin,
    Passphrase,
    KeyFile,
    StatusList,
    StressTest,
    BurnInDuration,
    MemoryPasses,
    MemoryPatterns,
    StressImport,
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
    TooShort {
        min: u64,
    },
    /// No PIN yet: the technician sets one in Settings first.
    NotSet,
    Wrong {
        tries_left: u64,
    },
    /// Too many wrong tries: none counts for this long.
    Paused {
        seconds: u64,
    },
    /// Must be another person than the one acting.
    NotSomeoneElse,
    /// Nothing here needs it.
    NotNeeded,
    /// Does not match (a passphrase that does not open the file).
    Mismatch,
}

/// Every code a failure reaches the window with. The UI's catalogs are typed against it, so a new
/// code without an English and a Chinese text fails `npm run check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    JobNotFound,
    IllegalTransition,
    JobClosed,
    TargetInDataDir,
    CardMismatch,
    LabelNotHere,
    LabelForAnotherCard,
    HandOverNotDue,
    StoreTooNew,
    RulesInvalid,
    StorageFailed,
    DataDirUnusable,
    FileWriteFailed,
    FileReadFailed,
    NoDriver,
    DriverNotLoaded,
    DriverPermissionDenied,
    DriverFailed,
    RunNotFound,
    RunInProgress,
    RunFinished,
    StepNotCurrent,
    GateClosed,
    ApproverDidTheWork,
    KeyUnusable,
    KeyMissing,
    KeyInUse,
    QueryTooSlow,
    CertificateNotReady,
    CertificateFontsMissing,
    CertificateTypesetFailed,
    StressNotReady,
    StressFailed,
    JobHeldElsewhere,
    RecordDiverged,
    TicketTaken,
    ShopNotLinked,
    ShopSettings,
    ShopTlsRequired,
    ShopUnreachable,
    ShopRefused,
    ShopProtocol,
    ShopUnreadable,
    ShopBenchCodeTaken,
    JobNotInShop,
    ShopJobNotTakeable,
    ShopConflictSettled,
    ShopTicketOnSeveralBenches,
    NotInTestRoom,
    /// A failure the UI has no words of its own for: it shows the message.
    Unexpected,
}

/// Which precondition of a certificate is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NotReady {
    /// No finished, repaired final QA with an approver's sign-off.
    FinalQaMissing,
    /// Final QA passed, but the job has since been sent back or put on hold.
    StatusNotReady,
    ReleaseReadingMissing,
    ReleaseHasCriticalFindings,
    /// The burn-in took less time than the final-QA procedure asks for.
    BurnInTooShort,
    /// Its page could not be typeset (the typesetting error says why).
    DoesNotTypeset,
}

/// Why a GPU cannot take a stress test now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind", rename_all_fields = "camelCase")]
pub enum StressBlocker {
    GpuLost,
    /// Other programs compute on it: the results would be theirs as much as the card's.
    OtherProcesses {
        count: u32,
    },
    /// MIG splits the GPU (and row-remap queries fail with MIG instances).
    MigEnabled,
    /// Too little free memory for a memory test that covers the card.
    MemoryInUse {
        free_mib: u64,
        total_mib: u64,
    },
}

/// Why the bench cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Unavailable {
    #[error("no NVIDIA driver library is installed")]
    NoDriver,
    #[error("the NVIDIA kernel driver is not loaded")]
    DriverNotLoaded,
    #[error("no permission to talk to the NVIDIA driver")]
    PermissionDenied,
    #[error("the NVIDIA driver failed: {0}")]
    Failed(String),
}

impl Unavailable {
    /// The error code the UI translates.
    pub fn code(&self) -> ErrorCode {
        match self {
            Unavailable::NoDriver => ErrorCode::NoDriver,
            Unavailable::DriverNotLoaded => ErrorCode::DriverNotLoaded,
            Unavailable::PermissionDenied => ErrorCode::DriverPermissionDenied,
            Unavailable::Failed(_) => ErrorCode::DriverFailed,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid {field:?}: {problem:?}")]
    Invalid { field: Field, problem: Problem },

    #[error("job {0} not found")]
    JobNotFound(i64),

    #[error("a job in status {from} cannot move to {to}")]
    IllegalTransition { from: String, to: String },

    #[error("job {0} is closed or certified: its parts and labour no longer change")]
    JobClosed(i64),

    #[error("{0} is inside Revive's data folder: save it somewhere else")]
    TargetInDataDir(String),

    #[error("the card on the bench (serial {bench}) is not the job's (serial {job}): say why to record it anyway")]
    CardMismatch { job: String, bench: String },

    #[error("the scanned label's ticket {0} is not in this store")]
    LabelNotHere(String),

    #[error("the scanned label of ticket {ticket} is for serial {label}, but the job's card is {job}")]
    LabelForAnotherCard { ticket: String, label: String, job: String },

    #[error("the card does not go back to its customer while the job is {0}")]
    HandOverNotDue(String),

    #[error("the database was written by a newer Revive (schema {found}, this build knows up to {supported})")]
    StoreTooNew { found: i64, supported: i64 },

    #[error("the rules file {file} is invalid: {reason}")]
    RulesInvalid { file: String, reason: String },

    #[error(transparent)]
    Bench(#[from] Unavailable),

    #[error("procedure run {0} not found")]
    RunNotFound(i64),

    #[error("procedure run {0} is already in progress on this job")]
    RunInProgress(i64),

    #[error("procedure run {0} is finished")]
    RunFinished(i64),

    #[error("procedure run {run} is on step {current}, not that one")]
    StepNotCurrent { run: i64, current: String },

    #[error("the gate of step {step} waits for a diagnostic run on this job that satisfies it")]
    GateClosed { step: String },

    #[error("the approver must be someone other than the technician who did the work")]
    ApproverDidTheWork,

    #[error("the shop's signing key cannot be used: {0}")]
    KeyUnusable(String),

    #[error("the shop's signing key is missing but certificates were issued with it: restore it from its backup")]
    KeyMissing,

    #[error("the shop's present key has signed certificates here: it is not replaced by another")]
    KeyInUse,

    #[error("the history filter took too long: narrow it")]
    QueryTooSlow,

    #[error("the job cannot have a certificate yet: {0:?}")]
    CertificateNotReady(NotReady),

    #[error("GPU {gpu} cannot take a stress test now: {blocker:?}")]
    NotReadyForStress { gpu: u32, blocker: StressBlocker },

    #[error("the stress test could not start: {0}")]
    StressFailed(String),

    #[error("another bench holds this job now: take it over on this bench first")]
    JobHeldElsewhere,

    #[error("this job's record here and the shop server's went apart: {0}")]
    RecordDiverged(String),

    #[error("a job numbered {0} is already on this bench")]
    TicketTaken(String),

    #[error("storage failed: {0}")]
    Storage(rusqlite::Error),

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
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Invalid { .. } => ErrorCode::InvalidInput,
            CoreError::JobNotFound(_) => ErrorCode::JobNotFound,
            CoreError::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            CoreError::JobClosed(_) => ErrorCode::JobClosed,
            CoreError::TargetInDataDir(_) => ErrorCode::TargetInDataDir,
            CoreError::CardMismatch { .. } => ErrorCode::CardMismatch,
            CoreError::LabelNotHere(_) => ErrorCode::LabelNotHere,
            CoreError::LabelForAnotherCard { .. } => ErrorCode::LabelForAnotherCard,
            CoreError::HandOverNotDue(_) => ErrorCode::HandOverNotDue,
            CoreError::StoreTooNew { .. } => ErrorCode::StoreTooNew,
            CoreError::RulesInvalid { .. } => ErrorCode::RulesInvalid,
            CoreError::Storage(_) | CoreError::Migration(_) | CoreError::Encoding(_) => ErrorCode::StorageFailed,
            CoreError::DataDir(_) => ErrorCode::DataDirUnusable,
            CoreError::FileWrite(_) => ErrorCode::FileWriteFailed,
            CoreError::FileRead(_) => ErrorCode::FileReadFailed,
            CoreError::Bench(unavailable) => unavailable.code(),
            CoreError::RunNotFound(_) => ErrorCode::RunNotFound,
            CoreError::RunInProgress(_) => ErrorCode::RunInProgress,
            CoreError::RunFinished(_) => ErrorCode::RunFinished,
            CoreError::StepNotCurrent { .. } => ErrorCode::StepNotCurrent,
            CoreError::GateClosed { .. } => ErrorCode::GateClosed,
            CoreError::ApproverDidTheWork => ErrorCode::ApproverDidTheWork,
            CoreError::KeyUnusable(_) => ErrorCode::KeyUnusable,
            CoreError::KeyMissing => ErrorCode::KeyMissing,
            CoreError::KeyInUse => ErrorCode::KeyInUse,
            CoreError::QueryTooSlow => ErrorCode::QueryTooSlow,
            CoreError::CertificateNotReady(_) => ErrorCode::CertificateNotReady,
            CoreError::NotReadyForStress { .. } => ErrorCode::StressNotReady,
            CoreError::StressFailed(_) => ErrorCode::StressFailed,
            CoreError::JobHeldElsewhere => ErrorCode::JobHeldElsewhere,
            CoreError::RecordDiverged(_) => ErrorCode::RecordDiverged,
            CoreError::TicketTaken(_) => ErrorCode::TicketTaken,
        }
    }
}

/// The message schema 17's triggers raise on a change to a job this bench no longer holds.
pub(crate) const HELD_ELSEWHERE: &str = "revive: job held elsewhere";

impl From<rusqlite::Error> for CoreError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::SqliteFailure(_, Some(message)) if message == HELD_ELSEWHERE => {
                CoreError::JobHeldElsewhere
            }
            _ => CoreError::Storage(error),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
