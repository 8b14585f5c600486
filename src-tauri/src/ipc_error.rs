//! The one shape every command failure takes over IPC: `{code, message}` plus, for bad input, the
//! field and problem, so the UI can say in the technician's language exactly what to fix.

use revive_core::{CoreError, ErrorCode, Field, NotReady, Problem, StressBlocker};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub field: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub problem: Option<Problem>,
    /// Which precondition is missing, where the code has several (a certificate not ready yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub reason: Option<NotReady>,
    /// Why a GPU cannot take a stress test now, and which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub blocker: Option<GpuBlocker>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GpuBlocker {
    pub gpu: u32,
    pub blocker: StressBlocker,
}

impl IpcError {
    /// A failure the UI has no text of its own for: it shows the message.
    pub fn unexpected(message: String) -> IpcError {
        tracing::error!(code = ?ErrorCode::Unexpected, "{message}");
        IpcError { code: ErrorCode::Unexpected, message, field: None, problem: None, reason: None, blocker: None }
    }
}

impl From<CoreError> for IpcError {
    fn from(error: CoreError) -> Self {
        crate::logging::record(error.code(), &error);
        let (field, problem) = match &error {
            CoreError::Invalid { field, problem } => (Some(*field), Some(*problem)),
            _ => (None, None),
        };
        let reason = match &error {
            CoreError::CertificateNotReady(reason) => Some(*reason),
            _ => None,
        };
        let blocker = match &error {
            CoreError::NotReadyForStress { gpu, blocker } => Some(GpuBlocker { gpu: *gpu, blocker: *blocker }),
            _ => None,
        };
        IpcError { code: error.code(), message: error.to_string(), field, problem, reason, blocker }
    }
}

impl IpcError {
    /// A failure known by its code alone (no field, no detail), logged with its causes.
    fn coded(code: ErrorCode, error: &dyn std::error::Error) -> IpcError {
        crate::logging::record(code, error);
        IpcError { code, message: error.to_string(), field: None, problem: None, reason: None, blocker: None }
    }
}

impl From<revive_certificate_pdf::PdfError> for IpcError {
    fn from(error: revive_certificate_pdf::PdfError) -> Self {
        match error {
            revive_certificate_pdf::PdfError::Core(core) => core.into(),
            other => IpcError::coded(other.code(), &other),
        }
    }
}

impl From<revive_shop::ShopError> for IpcError {
    fn from(error: revive_shop::ShopError) -> Self {
        match error {
            revive_shop::ShopError::Core(core) => core.into(),
            other => IpcError::coded(other.code(), &other),
        }
    }
}
