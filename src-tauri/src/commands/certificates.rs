//! Certificate commands: issue, preview, save as PDF, verify, and the shop's public key. Files are
//! chosen in dialogs opened here, in Rust; the webview never gets a path or file permission.

use std::sync::Arc;

use revive_certificate_pdf::CertificateRenderer;
use revive_core::certificates::{
    self, public_key_file, public_key_in, verify_payload, Certificate, CertificateLanguage, RevocationReason, ShopKey,
    SignedDocument, StatusList, Verification,
};
use revive_core::files::write_atomically;
use revive_core::{CoreError, Field, Problem};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use super::AppState;
use crate::dialogs::{ask_open_path, ask_save_path};
use crate::ipc_error::IpcError;

impl AppState {
    /// The renderer of every paper (certificate, label), loaded with its fonts on first use and kept.
    pub(crate) fn renderer(&self) -> Result<Arc<CertificateRenderer>, IpcError> {
        let mut loaded = self.renderer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(renderer) = loaded.as_ref() {
            return Ok(renderer.clone());
        }
        let renderer = Arc::new(CertificateRenderer::load(&self.fonts)?);
        *loaded = Some(renderer.clone());
        Ok(renderer)
    }

    fn shop_key(&self) -> Result<ShopKey, IpcError> {
        Ok(self.shop()?.certificates().key()?)
    }

    /// Checks with the key given, else as this shop's own certificate (its key, or the key stored
    /// with the certificate), adding what the store knows of it and what the shop's signed status
    /// list says, when one was loaded (it must be signed by the same key).
    fn verify_with(
        &self,
        public_key: &str,
        status: Option<&SignedDocument>,
        check: impl Fn(&str) -> Verification,
    ) -> Result<Verification, IpcError> {
        let shop = self.shop()?;
        let verification = match public_key_in(public_key) {
            "" => shop.certificates().verify_own(check)?,
            given => check(given).with_local_status(shop)?,
        };
        let Some(status) = status else { return Ok(verification) };
        let key = match public_key_in(public_key) {
            "" => shop.certificates().key()?.public_key(),
            given => given.to_owned(),
        };
        let list =
            StatusList::verified(status, &key).ok_or(CoreError::invalid(Field::StatusList, Problem::Mismatch))?;
        Ok(verification.with_status_list(&list))
    }
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopKeyView {
    public_key: String,
    fingerprint: String,
    /// The key file was readable by other users of this PC (it is private now).
    exposed: bool,
}

#[tauri::command]
pub async fn shop_key(state: State<'_, AppState>) -> Result<ShopKeyView, IpcError> {
    let key = state.shop_key()?;
    Ok(ShopKeyView { public_key: key.public_key(), fingerprint: key.fingerprint(), exposed: key.was_exposed() })
}

#[tauri::command]
pub async fn issue_certificate(
    state: State<'_, AppState>,
    job_id: i64,
    warranty_days: String,
    language: CertificateLanguage,
) -> Result<Certificate, IpcError> {
    let days = certificates::warranty_days(&warranty_days)?;
    // Typeset before it is stored: a certificate whose page cannot be made is never issued.
    let renderer = state.renderer()?;
    let typeset = |certificate: &Certificate| renderer.svg(certificate).map(drop).map_err(IpcError::from);
    state.shop()?.certificates().issue_checked(job_id, days, language, &state.technician()?, typeset)
}

#[tauri::command]
pub async fn job_certificates(state: State<'_, AppState>, job_id: i64) -> Result<Vec<Certificate>, IpcError> {
    Ok(state.shop()?.certificates().for_job(job_id)?)
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CertificatePreview {
    certificate: Certificate,
    /// The printed page as SVG: the same typesetting as the PDF.
    svg: String,
    /// The page's size (A4), the paper the print dialog gets.
    width_mm: f64,
    height_mm: f64,
}

#[tauri::command]
pub async fn certificate_preview(state: State<'_, AppState>, number: String) -> Result<CertificatePreview, IpcError> {
    let certificate = state.shop()?.certificates().get(&number)?;
    let drawn = state.renderer()?.svg(&certificate)?;
    Ok(CertificatePreview { certificate, svg: drawn.svg, width_mm: drawn.width_mm, height_mm: drawn.height_mm })
}

/// Asks where to save the certificate's PDF and writes it there complete; `None` when cancelled.
#[tauri::command]
pub async fn save_certificate_pdf<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    number: String,
    title: String,
) -> Result<Option<String>, IpcError> {
    let certificate = state.shop()?.certificates().get(&number)?;
    let pdf = state.renderer()?.pdf(&certificate, &state.shop_key()?)?;
    save_as(&app, &state, title, format!("{number}.pdf"), &pdf).await
}

/// Asks where to save the shop's public key file; `None` when cancelled.
#[tauri::command]
pub async fn export_public_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    title: String,
) -> Result<Option<String>, IpcError> {
    let key = state.shop_key()?;
    let shop = state.shop()?.settings()?.shop_name;
    let file = public_key_file(&shop, &key.public_key());
    save_as(&app, &state, title, format!("revive-shop-key-{}.pub", key.fingerprint()), file.as_bytes()).await
}

/// Withdraws a certificate (it stays on record), logged under the technician at the bench.
#[tauri::command]
pub async fn revoke_certificate(
    state: State<'_, AppState>,
    number: String,
    reason: RevocationReason,
    note: String,
) -> Result<Certificate, IpcError> {
    Ok(state.shop()?.certificates().revoke(&number, reason, &note, &state.technician()?)?)
}

/// Asks where to save the shop's signed status list (superseded and revoked certificates) for
/// buyers; `None` when cancelled.
#[tauri::command]
pub async fn export_status_list<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    title: String,
) -> Result<Option<String>, IpcError> {
    let signed = state.shop()?.certificates().status_list()?;
    let text = serde_json::to_vec_pretty(&signed).map_err(CoreError::from)?;
    save_as(&app, &state, title, "revive-certificate-status.json".into(), &text).await
}

/// Asks in a save dialog where `bytes` go (suggesting `file_name`) and writes them there complete;
/// the path, or `None` when the person cancelled.
async fn save_as<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    title: String,
    file_name: String,
    bytes: &[u8],
) -> Result<Option<String>, IpcError> {
    let Some(path) = ask_save_path(app, &state.data_dir, title, file_name).await? else { return Ok(None) };
    write_atomically(&path, bytes).map_err(CoreError::FileWrite)?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn verify_certificate_payload(
    state: State<'_, AppState>,
    payload: String,
    public_key: String,
    status: Option<SignedDocument>,
) -> Result<Verification, IpcError> {
    state.verify_with(&public_key, status.as_ref(), |key| verify_payload(&payload, key))
}

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileVerification {
    file: String,
    verification: Verification,
}

/// Asks for a certificate PDF (or signed JSON) and checks it; `None` when cancelled.
#[tauri::command]
pub async fn verify_certificate_file<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    public_key: String,
    title: String,
    status: Option<SignedDocument>,
) -> Result<Option<FileVerification>, IpcError> {
    let Some(path) = ask_open_path(&app, title, &[("PDF", &["pdf"]), ("JSON", &["json"])]).await? else {
        return Ok(None);
    };
    let bytes = revive_certificate_pdf::read_bounded(&path)?;
    let verification =
        state.verify_with(&public_key, status.as_ref(), |key| revive_certificate_pdf::verify_file(&bytes, key))?;
    Ok(Some(FileVerification { file: path.display().to_string(), verification }))
}

/// A shop's signed status list, as a buyer loads it to check certificates against.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LoadedStatusList {
    file: String,
    signed: SignedDocument,
}

/// Asks for a status list file; `None` when cancelled. It is checked against the key at each verify.
#[tauri::command]
pub async fn load_status_list<R: Runtime>(
    app: AppHandle<R>,
    title: String,
) -> Result<Option<LoadedStatusList>, IpcError> {
    let Some(path) = ask_open_path(&app, title, &[("JSON", &["json"])]).await? else { return Ok(None) };
    let bytes = revive_certificate_pdf::read_bounded(&path)?;
    let signed: SignedDocument =
        serde_json::from_slice(&bytes).map_err(|_| CoreError::invalid(Field::StatusList, Problem::BadFormat))?;
    Ok(Some(LoadedStatusList { file: path.display().to_string(), signed }))
}
