//! The shop's history as the screens and the CLI use it: a page of jobs, the exact count, the
//! statistics and the exports of one query, and the store's backups.

use std::io::Write;
use std::path::Path;

use super::backup::{self, BackupReport, RestoreReport};
use super::export::{self, CsvOptions, ExportFormat, Exported};
use super::statistics::{self, Statistics};
use super::{HistoryPage, HistoryQuery, PageRows, COUNT_AHEAD, COUNT_BUDGET};
use crate::error::CoreResult;
use crate::workshop::Workshop;

pub struct History<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn history(&self) -> History<'_> {
        History { workshop: self }
    }
}

impl History<'_> {
    /// How many jobs `query` selects, exactly: asked once a page with a lower-bound count is on
    /// screen, so the table's scrollbar can span every match. Reads through a connection of its
    /// own, so a long count never holds up the bench.
    pub fn count(&self, query: &HistoryQuery) -> CoreResult<u64> {
        let filter = query.filter(self.workshop.catalogs())?;
        self.workshop.store().read_alone(|tx| filter.count_all(tx))
    }

    /// A page of the jobs `query` selects, read through a connection of its own within
    /// [`super::PAGE_BUDGET`]: a slow filter never holds up recording, answers or anything else.
    pub fn page(&self, query: &HistoryQuery, offset: u64, limit: u32) -> CoreResult<HistoryPage> {
        let filter = query.filter(self.workshop.catalogs())?;
        self.workshop.store().read_alone(|tx| {
            let PageRows { rows, matched } = filter.page(tx, offset, limit)?;
            let seen = offset + rows.len() as u64;
            if !rows.is_empty() && rows.len() < limit as usize {
                // The last page: nothing to count.
                return Ok(HistoryPage { total: seen, exact: true, offset, rows });
            }
            if let Some(total) = matched {
                return Ok(HistoryPage { total, exact: true, offset, rows });
            }
            let up_to = seen + COUNT_AHEAD;
            let (total, exact) = match filter.count(tx, up_to, COUNT_BUDGET)? {
                Some(total) => (total, total < up_to),
                None => (seen, false),
            };
            Ok(HistoryPage { total, exact, offset, rows })
        })
    }

    /// The statistics of the jobs `query` selects.
    pub fn statistics(&self, query: &HistoryQuery) -> CoreResult<Statistics> {
        let catalogs = self.workshop.catalogs();
        statistics::of(self.workshop.store(), &query.filter(catalogs)?, &catalogs.flow)
    }

    /// Exports the jobs `query` selects into `target`, which appears only complete: a cancel or an
    /// error leaves no file behind (and an existing file there untouched). `progress` hears the row
    /// count every [`export::PROGRESS_EVERY`] rows and returns `false` to cancel.
    pub fn export(
        &self,
        query: &HistoryQuery,
        format: ExportFormat,
        options: CsvOptions,
        target: &Path,
        progress: impl FnMut(u64) -> bool,
    ) -> CoreResult<Exported> {
        let filter = query.filter(self.workshop.catalogs())?;
        export::to_file(self.workshop, &filter, format, options, target, progress)
    }

    /// Writes the export of `query` to `out` rather than to a file.
    pub fn export_to(
        &self,
        query: &HistoryQuery,
        format: ExportFormat,
        options: CsvOptions,
        out: impl Write + Send,
        progress: impl FnMut(u64) -> bool,
    ) -> CoreResult<Exported> {
        let filter = query.filter(self.workshop.catalogs())?;
        export::write(self.workshop, &filter, format, options, out, progress)
    }

    /// Writes the whole bench to `target` in one file: the store, the photos and, if
    /// `key_passphrase` is given, the shop's key encrypted with it.
    pub fn back_up(&self, target: &Path, key_passphrase: Option<&str>) -> CoreResult<BackupReport> {
        let sealed_key = match key_passphrase {
            Some(passphrase) => Some(self.workshop.certificates().key()?.sealed(passphrase)?),
            None => None,
        };
        backup::back_up(self.workshop, target, sealed_key)
    }

    /// Replaces the bench with the backup in `file` (its key too, if it holds one and
    /// `key_passphrase` opens it); a backup from before the log was chained has its events linked.
    pub fn restore(&self, file: &Path, key_passphrase: Option<&str>) -> CoreResult<RestoreReport> {
        backup::restore(self.workshop, file, key_passphrase)
    }
}
