//! Exports of the job history that spreadsheets open safely. Rows stream from the store to the
//! writer one at a time, so memory stays flat however many jobs; the caller writes into an
//! [`AtomicFile`](crate::files::AtomicFile) so the file appears only when complete.

use std::io::Write;

use crate::error::{CoreError, CoreResult};
use crate::history::{HistoryQuery, HistoryRow};
use crate::store::Store;

/// The columns of a job row, in order.
pub const COLUMNS: [&str; 12] = [
    "Ticket",
    "Received",
    "Status",
    "Customer",
    "Model",
    "Board serial",
    "GPU UUID",
    "Received by",
    "Quote",
    "Currency",
    "Last change",
    "Certificate",
];

/// How often progress is reported, in rows.
pub const PROGRESS_EVERY: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte order mark, which Excel needs to read UTF-8.
    pub bom: bool,
}

/// How an export ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exported {
    Complete {
        rows: u64,
    },
    /// The person cancelled after `rows`: nothing should be kept.
    Cancelled {
        rows: u64,
    },
}

/// A spreadsheet would run a cell that starts with these as a formula (OWASP ASVS 1.2.10): such text
/// gets a leading apostrophe, which spreadsheets show as text and do not run.
pub fn neutralized(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The quote as a plain decimal number (minor units over 100), so it stays a number.
fn amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn cells(row: &HistoryRow) -> [String; 12] {
    let text = |value: &str| neutralized(value).into_owned();
    [
        text(&row.ticket),
        row.created_at.clone(),
        row.status.id().to_owned(),
        text(&row.customer),
        text(&row.model_id),
        text(&row.board_serial),
        text(row.gpu_uuid.as_deref().unwrap_or("")),
        text(&row.received_by),
        amount(row.quote.minor),
        row.quote.currency.code().to_owned(),
        row.updated_at.clone(),
        text(row.certificate.as_deref().unwrap_or("")),
    ]
}

/// Writes the jobs `query` selects as RFC 4180 CSV (UTF-8, CRLF, a header row, one row per job).
/// `progress` hears the row count every [`PROGRESS_EVERY`] rows and returns `false` to cancel.
pub fn csv(
    store: &Store,
    query: &HistoryQuery,
    options: CsvOptions,
    out: impl Write,
    mut progress: impl FnMut(u64) -> bool,
) -> CoreResult<Exported> {
    let filter = query.filter()?;
    let mut out = out;
    if options.bom {
        out.write_all("\u{feff}".as_bytes()).map_err(CoreError::FileWrite)?;
    }
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(COLUMNS).map_err(csv_error)?;
    let mut rows = 0;
    let mut cancelled = false;
    store.read(|tx| {
        filter.each(tx, |row| {
            writer.write_record(cells(&row)).map_err(csv_error)?;
            rows += 1;
            if rows % PROGRESS_EVERY == 0 && !progress(rows) {
                cancelled = true;
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    writer.flush().map_err(CoreError::FileWrite)?;
    if cancelled {
        return Ok(Exported::Cancelled { rows });
    }
    progress(rows);
    Ok(Exported::Complete { rows })
}

fn csv_error(error: csv::Error) -> CoreError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => CoreError::FileWrite(error),
        other => CoreError::FileWrite(std::io::Error::other(format!("{other:?}"))),
    }
}
