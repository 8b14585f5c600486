//! The papers that travel with a job: its ticket label, previewed as the printer gets it and saved
//! as a PDF of the label's size, or printed through the system print dialog on paper of its size.

use revive_core::jobs::label::TicketLabel;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use super::certificates::save_as;
use super::AppState;
use crate::ipc_error::IpcError;

#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LabelPreview {
    label: TicketLabel,
    /// The label as SVG: the same typesetting as the PDF.
    svg: String,
    /// The label's size, the page the print dialog gets.
    width_mm: f64,
    height_mm: f64,
}

/// The job's label in the shop's language and label size, dated in this PC's time zone.
fn label_of(state: &AppState, job_id: i64) -> Result<TicketLabel, IpcError> {
    let shop = state.shop()?;
    Ok(shop.jobs().label(job_id, &shop.settings()?, &jiff::tz::TimeZone::system())?)
}

#[tauri::command]
pub async fn ticket_label(state: State<'_, AppState>, job_id: i64) -> Result<LabelPreview, IpcError> {
    let label = label_of(&state, job_id)?;
    let drawn = state.renderer()?.label_svg(&label)?;
    Ok(LabelPreview { label, svg: drawn.svg, width_mm: drawn.width_mm, height_mm: drawn.height_mm })
}

/// Asks where to save the label's PDF and writes it there complete; `None` when cancelled.
#[tauri::command]
pub async fn save_label_pdf<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    job_id: i64,
    title: String,
) -> Result<Option<String>, IpcError> {
    let label = label_of(&state, job_id)?;
    let pdf = state.renderer()?.label_pdf(&label)?;
    save_as(&app, &state, title, format!("{}-label.pdf", label.ticket), &pdf).await
}

/// Opens the system print dialog for the window on paper of this size (a label roll's); the print
/// stylesheet leaves only the paper on the page. `window.print()` cannot choose the paper, and
/// WebKit ignores it in a window a test drives.
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
        for set_margin in [gtk::PageSetup::set_top_margin, gtk::PageSetup::set_bottom_margin] {
            set_margin(&setup, 0.0, unit);
        }
        for set_margin in [gtk::PageSetup::set_left_margin, gtk::PageSetup::set_right_margin] {
            set_margin(&setup, 0.0, unit);
        }
        let operation = webkit2gtk::PrintOperation::new(&view);
        operation.set_page_setup(&setup);
        operation.run_dialog(parent.as_ref());
    })
}

#[cfg(not(target_os = "linux"))]
fn print_on<R: Runtime>(window: &WebviewWindow<R>, _width_mm: f64, _height_mm: f64) -> tauri::Result<()> {
    window.print()
}
