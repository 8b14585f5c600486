//! A log in the data folder of every failure the window was shown, with the chain of causes behind
//! it, so "storage failed" on a shop PC leaves a trace a technician can send. One file a day; a
//! week of them is kept.

use std::error::Error;
use std::path::{Path, PathBuf};

use revive_core::ErrorCode;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// The folder the log files are in.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts writing the log for this process. Each line is written as it happens (failures are
/// rare; nothing waits in a buffer for an exit that may never flush it). False when the folder
/// cannot be written or a log is already running: the app works without one.
pub fn start(data_dir: &Path) -> bool {
    let files = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("revive")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir(data_dir));
    let Ok(files) = files else { return false };
    tracing_subscriber::fmt().with_writer(files).with_ansi(false).with_target(false).try_init().is_ok()
}

/// Codes that mean something is broken (storage, files, the driver, the fonts), as opposed to the
/// app saying "not yet" or "not like that" (a gate still closed, no driver on this PC, bad input).
pub fn is_failure(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::StorageFailed
            | ErrorCode::StoreTooNew
            | ErrorCode::RulesInvalid
            | ErrorCode::DataDirUnusable
            | ErrorCode::FileWriteFailed
            | ErrorCode::FileReadFailed
            | ErrorCode::DriverFailed
            | ErrorCode::DriverPermissionDenied
            | ErrorCode::KeyUnusable
            | ErrorCode::CertificateFontsMissing
            | ErrorCode::CertificateTypesetFailed
            | ErrorCode::Unexpected
    )
}

/// Logs what the window is told: failures as errors with their causes, the rest as information.
pub fn record(code: ErrorCode, error: &dyn Error) {
    if is_failure(code) {
        tracing::error!(code = ?code, "{}", cause_chain(error));
    } else {
        tracing::info!(code = ?code, "{error}");
    }
}

/// The error and each cause under it that its own text does not already say.
pub fn cause_chain(error: &dyn Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.contains(&text) {
            chain.push_str(" ← ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}
