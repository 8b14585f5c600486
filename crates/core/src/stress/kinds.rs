//! The words a stress run is filed under, apart from the machinery that produces them, so the
//! job's event log can name them without depending on the stress engine.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// Cancelled, cut short or never started: says nothing either way.
    Incomplete,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Incomplete => "incomplete",
        }
    }
}

/// Who ran the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StressSource {
    Revive,
    Dcgmi,
    GpuBurn,
}

impl StressSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StressSource::Revive => "revive",
            StressSource::Dcgmi => "dcgmi",
            StressSource::GpuBurn => "gpu_burn",
        }
    }
}
