//! `revive export`: the jobs the filters select, to CSV, XLSX or JSON.

use std::path::{Path, PathBuf};

use revive_core::history::export::{self, CsvOptions, Exported};
use revive_core::history::HistoryQuery;

use super::open_workshop;
use crate::cli::ExportFormat;
use crate::exit::Exit;
use crate::output::{emit, fail};

/// 0 written, 2 bad filters, 5 the store or the file cannot be used.
pub fn run(format: ExportFormat, out: &Path, bom: bool, data_dir: Option<PathBuf>, query: HistoryQuery) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    if let Err(error) = query.filter(shop.catalogs()) {
        return fail(Exit::BadArguments, format!("invalid filter: {error}"));
    }
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = |rows: u64| {
        if interactive {
            eprint!("\rexported {rows} jobs");
        }
        true
    };
    let format = match format {
        ExportFormat::Csv => export::ExportFormat::Csv,
        ExportFormat::Xlsx => export::ExportFormat::Xlsx,
        ExportFormat::Json => export::ExportFormat::Json,
    };
    let committed = shop.history().export(&query, format, CsvOptions { bom }, out, report);
    match committed {
        Ok(Exported::Complete { rows }) => {
            if interactive {
                eprintln!();
            }
            emit(&format!("{rows} jobs written to {}\n", out.display()));
            Exit::Ok
        }
        Ok(Exported::Cancelled { rows }) => {
            fail(Exit::Unreadable, format!("export cancelled after {rows} jobs, nothing written"))
        }
        Err(error) => fail(Exit::Unreadable, format!("export failed, nothing written: {error}")),
    }
}
