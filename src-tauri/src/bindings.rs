//! The TypeScript types of every shape that crosses IPC, written from these Rust types into
//! `ui/src/lib/bindings/`, so the window cannot drift from the core: a renamed field or a new error
//! code fails `npm run check`, and `make test` fails when the committed files are stale.

use std::path::Path;

use revive_core::bench::Sample;
use revive_core::bench::{BenchView, KernelLogImport, ScenarioInfo};
use revive_core::certificates::{Certificate, CertificateDocument, CertificateLanguage, Verification};
use revive_core::diagnostics::runs::{DiagnosticRun, JobDiagnostics};
use revive_core::history::backup::{BackupReport, RestoreReport};
use revive_core::history::export::ExportFormat;
use revive_core::history::statistics::Statistics;
use revive_core::history::{HistoryPage, HistoryQuery};
use revive_core::jobs::costs::{JobCosts, LaborAdjustmentForm, PartForm};
use revive_core::jobs::intake::{Condition, IntakeForm};
use revive_core::jobs::papers::PaperKind;
use revive_core::jobs::status::Status;
use revive_core::jobs::{Job, JobQuery, JobSummary, StatusChange};
use revive_core::models::GpuModel;
use revive_core::money::Currency;
use revive_core::pins::{PinState, Signature};
use revive_core::procedures::runs::{Answer, RunState};
use revive_core::procedures::ProcedureChoices;
use revive_core::settings::{Settings, SettingsForm};
use revive_core::shop::holding::Away;
use revive_core::shop::link::{ShopLink, ShopLinkForm};
use revive_core::stress::form::StressForm;
use revive_core::stress::runs::StressRun;
use ts_rs::{Config, ExportError, TS};

use crate::commands::certificates::{CertificatePreview, FileVerification, LoadedStatusList, ShopKeyView};
use crate::commands::history::ExportResult;
use crate::commands::papers::PaperPreview;
use crate::commands::shop::TestRoomUpdate;
use crate::commands::stress::StressEvent;
use crate::commands::AppInfo;
use crate::ipc_error::IpcError;
use revive_shop::benches::ShopBench;
use revive_shop::conflicts::{Keep, ShopConflict};
use revive_shop::sync::SyncStatus;

/// Writes one `.ts` file per type into `dir`: every argument and result of the commands, and what
/// they refer to. Integers are `number` (no count or id Revive keeps comes near 2^53).
pub fn export(dir: &Path) -> Result<(), ExportError> {
    let config = Config::new().with_large_int("number").with_out_dir(dir);
    AppInfo::export_all(&config)?;
    PaperPreview::export_all(&config)?;
    PaperKind::export_all(&config)?;
    IpcError::export_all(&config)?;
    GpuModel::export_all(&config)?;
    Settings::export_all(&config)?;
    SettingsForm::export_all(&config)?;
    PinState::export_all(&config)?;
    BackupReport::export_all(&config)?;
    RestoreReport::export_all(&config)?;
    Signature::export_all(&config)?;
    IntakeForm::export_all(&config)?;
    Condition::export_all(&config)?;
    Currency::export_all(&config)?;
    Status::export_all(&config)?;
    Job::export_all(&config)?;
    JobSummary::export_all(&config)?;
    JobQuery::export_all(&config)?;
    StatusChange::export_all(&config)?;
    BenchView::export_all(&config)?;
    ScenarioInfo::export_all(&config)?;
    KernelLogImport::export_all(&config)?;
    Sample::export_all(&config)?;
    DiagnosticRun::export_all(&config)?;
    JobDiagnostics::export_all(&config)?;
    StressForm::export_all(&config)?;
    StressEvent::export_all(&config)?;
    StressRun::export_all(&config)?;
    ShopLink::export_all(&config)?;
    ShopLinkForm::export_all(&config)?;
    TestRoomUpdate::export_all(&config)?;
    SyncStatus::export_all(&config)?;
    ShopBench::export_all(&config)?;
    ShopConflict::export_all(&config)?;
    Keep::export_all(&config)?;
    Away::export_all(&config)?;
    ProcedureChoices::export_all(&config)?;
    RunState::export_all(&config)?;
    Answer::export_all(&config)?;
    JobCosts::export_all(&config)?;
    PartForm::export_all(&config)?;
    LaborAdjustmentForm::export_all(&config)?;
    ShopKeyView::export_all(&config)?;
    LoadedStatusList::export_all(&config)?;
    Certificate::export_all(&config)?;
    CertificateLanguage::export_all(&config)?;
    CertificatePreview::export_all(&config)?;
    CertificateDocument::export_all(&config)?;
    Verification::export_all(&config)?;
    FileVerification::export_all(&config)?;
    HistoryQuery::export_all(&config)?;
    HistoryPage::export_all(&config)?;
    Statistics::export_all(&config)?;
    ExportFormat::export_all(&config)?;
    ExportResult::export_all(&config)?;
    Ok(())
}
