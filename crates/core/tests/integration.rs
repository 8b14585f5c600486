//! The core's integration tests, one module a file, in one binary: compiled and linked once
//! rather than once a file. The crash tests, which run their own binary again as the bench they
//! kill, and the simulated bench's tests, which set the process's environment, keep binaries of
//! their own.

mod common;

mod attachments;
mod audit;
mod backup;
mod certificates;
mod costs;
mod diagnostic_runs;
mod export;
mod findings_from_scenarios;
mod golden_certificates;
mod hand_over;
mod history;
mod jobs;
mod labels;
mod module_cycles;
mod outbox;
mod papers;
mod procedure_runs;
mod procedures;
mod shop_link;
mod signing;
mod spreadsheets;
mod statistics;
mod stress_runs;
mod workbench;
mod workshop;
