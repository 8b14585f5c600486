//! The shop's history as the screens and the CLI use it: a page of jobs, the exact count, the
//! statistics and the exports of one query, and the store's backups.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::export::{self, CsvOptions, ExportFormat, Exported};
use super::statistics::{self, Statistics};
use super::{backup, HistoryPage, HistoryQuery, COUNT_AHEAD, COUNT_BUDGET};
use crate::error::CoreResult;
use crate::jobs::audit;
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

    pub fn page(&self, query: &HistoryQuery, offset: u64, limit: u32) -> CoreResult<HistoryPage> {
        let filter = query.filter(self.workshop.catalogs())?;
        self.workshop.store().read(|tx| {
            let rows = filter.page(tx, offset, limit)?;
            let seen = offset + rows.len() as u64;
            if !rows.is_empty() && rows.len() < limit as usize {
                // The last page: nothing to count.
                return Ok(HistoryPage { total: seen, exact: true, offset, rows });
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

    /// Copies the whole store to `target`.
    pub fn back_up(&self, target: &Path) -> CoreResult<()> {
        backup::back_up(self.workshop.store(), target)
    }

    /// Replaces the store's content with the backup in `file`; a backup from before the log was
    /// chained has its events linked. Returns where the database it replaced was kept.
    pub fn restore(&self, file: &Path) -> CoreResult<PathBuf> {
        let kept = backup::restore(self.workshop.store(), file)?;
        self.workshop.store().write(|tx, _| audit::link_unlinked(tx))?;
        Ok(kept)
    }
}
