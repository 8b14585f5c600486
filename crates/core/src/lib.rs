//! Revive's core: the domain, the store and validation. It never depends on Tauri, so the CLI and
//! every test run without a display.

// The features, each a folder: what a technician works with.
pub mod bench;
pub mod certificates;
pub mod diagnostics;
pub mod history;
pub mod jobs;
pub mod procedures;
pub mod shop;
pub mod stress;
// The one shop every front end opens, with its services.
pub mod workshop;

// The foundation every feature stands on; none of it imports a feature.
pub mod error;
pub mod files;
pub mod models;
pub mod money;
pub mod paths;
pub mod pins;
mod rules_file;
pub mod settings;
pub mod store;
pub mod text;
mod worker;

pub use error::{CoreError, CoreResult, ErrorCode, Field, NotReady, Problem, StressBlocker};
