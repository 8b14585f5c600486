//! The exit status of every subcommand: one type, so a script reads the same number for the same
//! meaning whichever subcommand it ran, and the help text is written from it.

use std::process::ExitCode;

use revive_core::diagnostics::{Finding, Severity};

/// In order of how bad: a run that meets several reports the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Warnings = 1,
    BadArguments = 2,
    Critical = 3,
    BenchUnavailable = 4,
    Unreadable = 5,
    /// Verify: valid, and from the simulated bench (training, a demo): not a repair certificate.
    Simulated = 6,
    /// Stress: a test did not finish (cancelled or cut short), so it proves nothing either way.
    Incomplete = 7,
    /// Agent, sync: the shop server could not be reached or refused this Revive (another protocol
    /// version, or a request it would not take).
    ShopServer = 8,
}

impl Exit {
    const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Warnings,
        Exit::BadArguments,
        Exit::Critical,
        Exit::BenchUnavailable,
        Exit::Unreadable,
        Exit::Simulated,
        Exit::Incomplete,
        Exit::ShopServer,
    ];

    fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "nothing to report (verify: valid)",
            Exit::Warnings => "warnings (verify: invalid; restore: not a usable backup; procedures: a file is wrong)",
            Exit::BadArguments => "bad arguments",
            Exit::Critical => "critical findings",
            Exit::BenchUnavailable => "the bench cannot be read (no driver, driver not loaded, no permission)",
            Exit::Unreadable => "the input file or the store cannot be read",
            Exit::Simulated => "verify: valid, but from the simulated bench, not a repair certificate",
            Exit::Incomplete => "stress: a test did not finish, so it proves nothing either way",
            Exit::ShopServer => {
                "agent, sync: the shop server could not be reached or refused this Revive (see the message)"
            }
        }
    }

    /// The help's list of exit statuses.
    pub fn help() -> String {
        let lines: Vec<String> =
            Exit::ALL.iter().map(|exit| format!("  {}  {}", *exit as u8, exit.meaning())).collect();
        format!("Exit status:\n{}", lines.join("\n"))
    }

    /// What a bench's findings say: critical, warnings, or nothing above info.
    pub fn of_findings(findings: &[Finding]) -> Exit {
        match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Critical) => Exit::Critical,
            Some(Severity::Warning) => Exit::Warnings,
            _ => Exit::Ok,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}
