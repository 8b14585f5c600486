//! Revive's core: the domain, the store and validation. It never depends on Tauri, so the CLI and
//! every test run without a display.

pub mod attachments;
pub mod backup;
pub mod bench;
pub mod certificates;
pub mod costs;
pub mod diagnostics;
pub mod error;
pub mod events;
pub mod export;
pub mod files;
pub mod history;
pub mod intake;
pub mod jobs;
pub mod models;
pub mod money;
pub mod paths;
pub mod procedures;
mod rules_file;
pub mod runs;
pub mod settings;
pub mod statistics;
pub mod status;
pub mod store;
pub mod telemetry;
mod text;
mod worker;

pub use error::{CoreError, CoreResult, ErrorCode, Field, NotReady, Problem};
