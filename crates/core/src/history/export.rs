//! Exports of the job history that spreadsheets open safely. Rows stream from the store to the
//! writer one at a time (the XLSX sheet in its constant-memory mode), so memory stays flat however
//! many jobs; the caller writes into an [`AtomicFile`](crate::files::AtomicFile) so the file appears
//! only when complete.

use std::io::{BufWriter, Write};
use std::path::Path;

use rusqlite::Transaction;
use serde::Serialize;
use time::OffsetDateTime;

use crate::certificates::{certificates_in, Certificate};
use crate::diagnostics::runs::{runs_in, DiagnosticRun};
use crate::error::{CoreError, CoreResult};
use crate::files::AtomicFile;
use crate::history::{Filter, HistoryRow};
use crate::jobs::costs::{job_currency, parts_in, Part};
use crate::jobs::{Job, Jobs};
use crate::procedures::runs::{self as procedure_runs, StepResult};
use crate::procedures::Outcome;
use crate::store::{timestamp, Store};
use crate::stress::{self, runs::StressRun};
use crate::workshop::Workshop;

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

/// What a person can export the history as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
        }
    }
}

/// How often progress is reported, in rows.
pub const PROGRESS_EVERY: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0' | '＝' | '＋' | '－' | '＠') => format!("'{text}").into(),
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

/// Where an export's jobs come from, in the history's order: this bench's store, or the shop
/// server for the whole shop. `Error` is the source's own, so a remote source keeps its errors.
pub trait ExportRows {
    type Error: From<CoreError>;

    /// Hands each job to `visit`, with its whole record as the JSON export writes it when
    /// `records` is asked, until `visit` returns `false`.
    fn each(
        &mut self,
        records: bool,
        visit: &mut dyn FnMut(HistoryRow, Option<String>) -> Result<bool, Self::Error>,
    ) -> Result<(), Self::Error>;
}

/// The jobs a filter selects in this bench's store, read through a connection of their own.
struct StoreRows<'a> {
    store: &'a Store,
    jobs: Jobs<'a>,
    filter: &'a Filter,
}

impl ExportRows for StoreRows<'_> {
    type Error = CoreError;

    fn each(
        &mut self,
        records: bool,
        visit: &mut dyn FnMut(HistoryRow, Option<String>) -> CoreResult<bool>,
    ) -> CoreResult<()> {
        let (jobs, filter) = (&self.jobs, self.filter);
        self.store.read_alone(|tx| {
            filter.each(tx, |row| {
                let record = if records { Some(job_document(tx, jobs, row.id)?) } else { None };
                visit(row, record)
            })
        })
    }
}

/// Writes the jobs as RFC 4180 CSV (UTF-8, CRLF, a header row, one row per job).
fn csv<R: ExportRows>(
    rows: &mut R,
    options: CsvOptions,
    out: impl Write,
    mut progress: impl FnMut(u64) -> bool,
) -> Result<Exported, R::Error> {
    let mut out = out;
    if options.bom {
        out.write_all("\u{feff}".as_bytes()).map_err(CoreError::FileWrite)?;
    }
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(COLUMNS).map_err(csv_error)?;
    let exported =
        stream(rows, false, &mut progress, |row, _| Ok(writer.write_record(cells(&row)).map_err(csv_error)?))?;
    writer.flush().map_err(CoreError::FileWrite)?;
    Ok(exported)
}

/// The export in `format` of the jobs `filter` selects, into `target`, which appears only complete.
pub(super) fn to_file(
    workshop: &Workshop,
    filter: &Filter,
    format: ExportFormat,
    options: CsvOptions,
    target: &Path,
    progress: impl FnMut(u64) -> bool,
) -> CoreResult<Exported> {
    let mut rows = StoreRows { store: workshop.store(), jobs: workshop.jobs(), filter };
    rows_to_file(&mut rows, format, options, target, progress)
}

/// The export in `format` of the jobs `filter` selects, written to `out`. `progress` hears the row
/// count every [`PROGRESS_EVERY`] rows and returns `false` to cancel.
pub(super) fn write(
    workshop: &Workshop,
    filter: &Filter,
    format: ExportFormat,
    options: CsvOptions,
    out: impl Write + Send,
    progress: impl FnMut(u64) -> bool,
) -> CoreResult<Exported> {
    let mut rows = StoreRows { store: workshop.store(), jobs: workshop.jobs(), filter };
    write_rows(&mut rows, format, options, out, progress)
}

/// The export in `format` of the jobs `rows` gives, into `target`, which appears only complete.
pub fn rows_to_file<R: ExportRows>(
    rows: &mut R,
    format: ExportFormat,
    options: CsvOptions,
    target: &Path,
    progress: impl FnMut(u64) -> bool,
) -> Result<Exported, R::Error> {
    let mut writer = BufWriter::with_capacity(1 << 16, AtomicFile::create(target).map_err(CoreError::FileWrite)?);
    let exported = write_rows(rows, format, options, &mut writer, progress)?;
    if let Exported::Complete { .. } = exported {
        let file = writer.into_inner().map_err(|e| CoreError::FileWrite(e.into_error()))?;
        file.commit().map_err(CoreError::FileWrite)?;
    }
    Ok(exported)
}

/// The export in `format` of the jobs `rows` gives, written to `out`.
pub fn write_rows<R: ExportRows>(
    rows: &mut R,
    format: ExportFormat,
    options: CsvOptions,
    out: impl Write + Send,
    progress: impl FnMut(u64) -> bool,
) -> Result<Exported, R::Error> {
    match format {
        ExportFormat::Csv => csv(rows, options, out, progress),
        ExportFormat::Xlsx => xlsx(rows, out, progress),
        ExportFormat::Json => json(rows, out, progress),
    }
}

/// Hands every job of `rows` to `write` (with its record when `records`), reporting progress every
/// [`PROGRESS_EVERY`] rows; stops when `progress` says cancel. Reports the final count when
/// complete.
fn stream<R: ExportRows>(
    rows: &mut R,
    records: bool,
    progress: &mut impl FnMut(u64) -> bool,
    mut write: impl FnMut(HistoryRow, Option<String>) -> Result<(), R::Error>,
) -> Result<Exported, R::Error> {
    let mut count: u64 = 0;
    let mut cancelled = false;
    rows.each(records, &mut |row, record| {
        write(row, record)?;
        count += 1;
        cancelled = count.is_multiple_of(PROGRESS_EVERY) && !progress(count);
        Ok(!cancelled)
    })?;
    if cancelled {
        return Ok(Exported::Cancelled { rows: count });
    }
    progress(count);
    Ok(Exported::Complete { rows: count })
}

/// Writes the same rows as an Excel workbook: typed columns (dates as dates, the quote as a number,
/// serials and tickets as text), a bold header row frozen in place with a filter. A text cell that a
/// spreadsheet would read as a formula keeps its value and gets Excel's quote prefix, so editing it
/// never turns it into one.
fn xlsx<R: ExportRows>(
    rows: &mut R,
    out: impl Write + Send,
    mut progress: impl FnMut(u64) -> bool,
) -> Result<Exported, R::Error> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
    sheet.set_name("Jobs").map_err(xlsx_error)?;
    let header = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format("#,##0.00");
    let quoted = Format::new().set_quote_prefix();
    for (column, (name, width)) in COLUMNS.iter().zip([16, 17, 12, 30, 16, 16, 42, 14, 12, 9, 17, 16]).enumerate() {
        sheet.set_column_width(column as u16, width).map_err(xlsx_error)?;
        sheet.write_string_with_format(0, column as u16, *name, &header).map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let mut line: u32 = 0;
    let exported = stream(rows, false, &mut progress, |row, _| {
        line =
            line.checked_add(1).ok_or(CoreError::FileWrite(std::io::Error::other("more rows than a sheet holds")))?;
        let mut text = |column: u16, value: &str| {
            if neutralized(value) != value {
                sheet.write_string_with_format(line, column, value, &quoted)
            } else {
                sheet.write_string(line, column, value)
            }
            .map(|_| ())
            .map_err(xlsx_error)
        };
        text(0, &row.ticket)?;
        text(2, row.status.id())?;
        text(3, &row.customer)?;
        text(4, &row.model_id)?;
        text(5, &row.board_serial)?;
        text(6, row.gpu_uuid.as_deref().unwrap_or(""))?;
        text(7, &row.received_by)?;
        text(9, row.quote.currency.code())?;
        text(11, row.certificate.as_deref().unwrap_or(""))?;
        for (column, stamp) in [(1, &row.created_at), (10, &row.updated_at)] {
            let at = ExcelDateTime::parse_from_str(stamp).map_err(xlsx_error)?;
            sheet.write_datetime_with_format(line, column, &at, &date).map_err(xlsx_error)?;
        }
        sheet.write_number_with_format(line, 8, row.quote.minor as f64 / 100.0, &money).map_err(xlsx_error)?;
        Ok(())
    })?;
    if let Exported::Complete { .. } = exported {
        sheet.autofilter(0, 0, line, COLUMNS.len() as u16 - 1).map_err(xlsx_error)?;
        workbook.save_to_writer(out).map_err(xlsx_error)?;
    }
    Ok(exported)
}

/// What the JSON export's envelope says it is; `version` rises when its shape changes.
pub const JSON_FORMAT: &str = "revive.job-history";
pub const JSON_VERSION: u32 = 2;

/// Writes the jobs `filter` selects with their full detail as one JSON document:
/// `{"format", "version", "exportedAt", "jobs": [...], "count"}`. Each job carries its identity,
/// customer, symptoms, condition, quote and event log, its diagnostic runs (driver, reading and
/// findings; not the packed telemetry), procedure runs with every step answer, parts and
/// certificates (the signed document with its hash and signature). Version 2: each record has the
/// shape the app shows it in (version 1 carried the driver as text and parts as bare numbers).
fn json<R: ExportRows>(
    rows: &mut R,
    out: impl Write,
    mut progress: impl FnMut(u64) -> bool,
) -> Result<Exported, R::Error> {
    let mut out = out;
    let head = serde_json::json!({ "format": JSON_FORMAT, "version": JSON_VERSION, "exportedAt": timestamp(OffsetDateTime::now_utc()) });
    let head = serde_json::to_string(&head).map_err(CoreError::from)?;
    // The envelope's fields, then the jobs array streamed into it, then the count.
    write!(out, "{},\"jobs\":[", &head[..head.len() - 1]).map_err(CoreError::FileWrite)?;
    let mut first = true;
    let exported = stream(rows, true, &mut progress, |row, record| {
        let Some(record) = record else { return Err(CoreError::JobNotFound(row.id).into()) };
        if !first {
            out.write_all(b",").map_err(CoreError::FileWrite)?;
        }
        first = false;
        Ok(out.write_all(record.as_bytes()).map_err(CoreError::FileWrite)?)
    })?;
    if let Exported::Complete { rows } = exported {
        write!(out, "],\"count\":{rows}}}").map_err(CoreError::FileWrite)?;
        out.flush().map_err(CoreError::FileWrite)?;
    }
    Ok(exported)
}

/// One job as the JSON export carries it: its record and timeline, and everything recorded about
/// it, each as the type it was written from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedJob {
    #[serde(flatten)]
    job: Job,
    diagnostics: Vec<DiagnosticRun>,
    stress_runs: Vec<StressRun>,
    procedures: Vec<ExportedProcedure>,
    parts: Vec<Part>,
    certificates: Vec<Certificate>,
}

/// A procedure run with its answers; the definition it ran is the shipped or shop's file of that
/// id and version.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedProcedure {
    procedure: String,
    version: u32,
    started_at: String,
    started_by: String,
    finished_at: Option<String>,
    outcome: Option<Outcome>,
    steps: Vec<StepResult>,
}

/// One job as the JSON export writes it, for the shop server's copy.
pub(crate) fn job_document(tx: &Transaction, jobs: &Jobs, id: i64) -> CoreResult<String> {
    Ok(serde_json::to_string(&job_detail(tx, jobs, id)?)?)
}

fn job_detail(tx: &Transaction, jobs: &Jobs, id: i64) -> CoreResult<ExportedJob> {
    let mut job = jobs.load(tx, id)?;
    // Where the job could move next is the screen's business, not the record's.
    job.next.clear();
    let procedures = procedure_runs::for_job_in(tx, id)?
        .into_iter()
        .map(|run| ExportedProcedure {
            procedure: run.procedure.id,
            version: run.procedure.version,
            started_at: run.started_at,
            started_by: run.started_by,
            finished_at: run.finished_at,
            outcome: run.outcome,
            steps: run.results,
        })
        .collect();
    Ok(ExportedJob {
        job,
        diagnostics: runs_in(tx, id, None)?,
        stress_runs: stress::runs::runs_in(tx, id, None)?,
        procedures,
        parts: parts_in(tx, id, job_currency(tx, id)?)?,
        certificates: certificates_in(tx, id)?,
    })
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> CoreError {
    match error {
        rust_xlsxwriter::XlsxError::IoError(error) => CoreError::FileWrite(error),
        other => CoreError::FileWrite(std::io::Error::other(other.to_string())),
    }
}

fn csv_error(error: csv::Error) -> CoreError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => CoreError::FileWrite(error),
        other => CoreError::FileWrite(std::io::Error::other(format!("{other:?}"))),
    }
}
