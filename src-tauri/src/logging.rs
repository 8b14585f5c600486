//! A log in the data folder of every failure the window was shown, with the chain of causes behind
//! it, so "storage failed" on a shop PC leaves a trace a technician can send. One file a day; a
//! week of them is kept.

use std::error::Error;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// The folder the log files are in.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts writing the log for this process; the guard flushes what is pending when it is dropped.
/// `None` when the folder cannot be written or a log is already running: the app works without one.
pub fn start(data_dir: &Path) -> Option<WorkerGuard> {
    let files = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("revive")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir(data_dir))
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(files);
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_target(false).try_init().ok()?;
    Some(guard)
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
