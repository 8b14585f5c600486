//! The papers that travel with a job (its ticket label, the customer's intake receipt and
//! hand-over slip): previewed as the printer gets them, saved as a PDF of their paper's size, or
//! printed through the system print dialog on paper of that size. Printing or saving a receipt or
//! slip first writes it into the job's log.

use revive_core::files::write_atomically;
use revive_core::jobs::papers::{PaperKind, PaperOnFile};
use revive_core::CoreError;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use super::AppState;
use crate::dialogs::ask_save_path;
use crate::ipc_error::IpcError;

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PaperPreview {
    on_file: PaperOnFile,
    /// Every page as SVG, one under the other: the same typesetting as the PDF.
    svg: String,
    /// The size of a page, the paper the print dialog gets.
    width_mm: f64,
    height_mm: f64,
}

/// The paper in this PC's time zone, written into the job's log first when `issue` says so.
fn preview(state: &AppState, job_id: i64, kind: PaperKind, issue: bool) -> Result<PaperPreview, IpcError> {
    let shop = state.shop()?;
    let zone = jiff::tz::TimeZone::system();
    let on_file = if issue {
        shop.papers().issue(job_id, kind, &zone, &state.technician()?)?
    } else {
        shop.papers().paper(job_id, kind, &zone)?
    };
    let drawn = state.renderer()?.paper_svg(&on_file.paper)?;
    Ok(PaperPreview { on_file, svg: drawn.svg, width_mm: drawn.width_mm, height_mm: drawn.height_mm })
}

#[tauri::command]
pub async fn paper_preview(state: State<'_, AppState>, job_id: i64, kind: PaperKind) -> Result<PaperPreview, IpcError> {
    preview(&state, job_id, kind, false)
}

/// Before printing: a receipt or slip goes into the job's log as it will print.
#[tauri::command]
pub async fn issue_paper(state: State<'_, AppState>, job_id: i64, kind: PaperKind) -> Result<PaperPreview, IpcError> {
    preview(&state, job_id, kind, true)
}

/// Asks where to save the paper's PDF and writes it there complete; `None` when cancelled. Once a
/// place is chosen, a receipt or slip is written into the job's log, then the file.
#[tauri::command]
pub async fn save_paper_pdf<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    job_id: i64,
    kind: PaperKind,
    title: String,
) -> Result<Option<String>, IpcError> {
    let shop = state.shop()?;
    let ticket = shop.jobs().get(job_id)?.ticket;
    let suffix = serde_json::to_value(kind).ok().and_then(|id| id.as_str().map(|id| id.replace('_', "-")));
    let file_name = format!("{ticket}-{}.pdf", suffix.unwrap_or_default());
    let Some(path) = ask_save_path(&app, &state.data_dir, title, file_name).await? else { return Ok(None) };
    let on_file = shop.papers().issue(job_id, kind, &jiff::tz::TimeZone::system(), &state.technician()?)?;
    let pdf = state.renderer()?.paper_pdf(&on_file.paper)?;
    write_atomically(&path, &pdf).map_err(CoreError::FileWrite)?;
    Ok(Some(path.display().to_string()))
}

/// Opens the system print dialog for the window on paper of this size (a label roll's, A4); the
/// print stylesheet leaves only the paper on the page. `window.print()` cannot choose the paper,
/// and WebKit ignores it in a window a test drives.
#[tauri::command]
pub async fn print_paper<R: Runtime>(window: WebviewWindow<R>, width_mm: f64, height_mm: f64) -> Result<(), IpcError> {
    let paper = |mm: f64| mm.is_finite() && (10.0..=1_000.0).contains(&mm);
    if !paper(width_mm) || !paper(height_mm) {
        return Err(IpcError::unexpected(format!("no paper is {width_mm} × {height_mm} mm")));
    }
    print_on(&window, width_mm, height_mm).map_err(|error| IpcError::unexpected(error.to_string()))
}

#[cfg(target_os = "linux")]
fn print_on<R: Runtime>(window: &WebviewWindow<R>, width_mm: f64, height_mm: f64) -> tauri::Result<()> {
    use gtk::prelude::{Cast, WidgetExt};
    use webkit2gtk::PrintOperationExt;
    window.with_webview(move |webview| {
        let view = webview.inner();
        let parent = view.toplevel().and_then(|top| top.downcast::<gtk::Window>().ok());
        let unit = gtk::Unit::Mm;
        let setup = gtk::PageSetup::new();
        setup.set_paper_size(&gtk::PaperSize::new_custom("revive-paper", "Revive", width_mm, height_mm, unit));
        setup.set_top_margin(0.0, unit);
        setup.set_bottom_margin(0.0, unit);
        setup.set_left_margin(0.0, unit);
        setup.set_right_margin(0.0, unit);
        let operation = webkit2gtk::PrintOperation::new(&view);
        operation.set_page_setup(&setup);
        operation.run_dialog(parent.as_ref());
    })
}

#[cfg(not(target_os = "linux"))]
fn print_on<R: Runtime>(window: &WebviewWindow<R>, _width_mm: f64, _height_mm: f64) -> tauri::Result<()> {
    window.print()
}
