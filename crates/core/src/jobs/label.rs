//! The ticket label that travels with a card on its anti-static bag from intake to hand-over, and
//! the code in its QR that a USB scanner types back into any search to open the job.

use serde::Serialize;

use crate::error::{CoreError, CoreResult};
use crate::settings::{LabelSize, Language, Settings};
use crate::text;

use super::Jobs;

/// What one ticket label prints, in the shop's language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TicketLabel {
    pub ticket: String,
    /// What the QR holds (see [`label_code`]).
    pub code: String,
    pub model: String,
    pub serial: String,
    /// The customer's name, cut to what fits a label line.
    pub customer: String,
    /// The day the card was taken in, in the bench's time zone (`YYYY-MM-DD`).
    pub received: String,
    pub language: Language,
    pub size: LabelSize,
}

/// Starts every label code: no ticket, serial or search text does, so a scan is told from typing.
const CODE_PREFIX: &str = "REVIVE:";
/// How much of a customer's name a label line holds, in the width of Latin letters (a Chinese
/// character takes two).
const CUSTOMER_WIDTH: usize = 16;

/// The QR's text: the prefix, the ticket and the board serial (`REVIVE:RV-2026-A-000123:1654922012345`).
pub fn label_code(ticket: &str, serial: &str) -> String {
    format!("{CODE_PREFIX}{ticket}:{serial}")
}

/// The ticket and serial of a scanned label code; `None` for anything else. A scanner typing
/// through a Chinese keyboard in full-width mode gives `ＲＥＶＩＶＥ：…`, which reads the same.
pub fn read_label_code(scanned: &str) -> Option<(String, String)> {
    let plain = text::half_width(scanned);
    let plain = plain.trim();
    let rest = plain
        .get(..CODE_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(CODE_PREFIX))
        .map(|_| &plain[CODE_PREFIX.len()..])?;
    let (ticket, serial) = rest.rsplit_once(':')?;
    let well_formed =
        |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    (well_formed(ticket) && well_formed(serial)).then(|| (ticket.to_ascii_uppercase(), serial.to_owned()))
}

/// A stored timestamp as the bench's calendar showed it (`2026-12-03`).
pub(super) fn local_day(stored: &str, zone: &jiff::tz::TimeZone) -> String {
    local_time(stored, zone, "%Y-%m-%d", 10)
}

/// A stored timestamp as the bench's clock showed it, to the minute (`2026-12-03 14:05`).
pub(super) fn local_minute(stored: &str, zone: &jiff::tz::TimeZone) -> String {
    local_time(stored, zone, "%Y-%m-%d %H:%M", 16)
}

/// `stored` in `zone` as `format` writes it; a stamp that does not parse, cut to `width`.
fn local_time(stored: &str, zone: &jiff::tz::TimeZone, format: &str, width: usize) -> String {
    match stored.parse::<jiff::Timestamp>() {
        Ok(at) => zone.to_datetime(at).strftime(format).to_string(),
        Err(_) => stored.chars().take(width).collect::<String>().replace('T', " "),
    }
}

/// `name` cut to [`CUSTOMER_WIDTH`], with an ellipsis where it was cut.
fn short_name(name: &str) -> String {
    let width = |c: char| if c.is_ascii() { 1 } else { 2 };
    if name.chars().map(width).sum::<usize>() <= CUSTOMER_WIDTH {
        return name.to_owned();
    }
    let mut used = 0;
    let mut kept: String = name
        .chars()
        .take_while(|c| {
            used += width(*c);
            used < CUSTOMER_WIDTH
        })
        .collect();
    // A Latin name is cut between words where it can be.
    if !name[kept.len()..].starts_with(' ') {
        if let Some(space) = kept.rfind(' ') {
            kept.truncate(space);
        }
    }
    format!("{}…", kept.trim_end())
}

impl Jobs<'_> {
    /// The label for job `id` in the shop's language and label size, dated in `zone`.
    pub fn label(&self, id: i64, settings: &Settings, zone: &jiff::tz::TimeZone) -> CoreResult<TicketLabel> {
        let job = self.get(id)?;
        let model = self.models.name_of(&job.model_id);
        let received = local_day(&job.created_at, zone);
        Ok(TicketLabel {
            code: label_code(&job.ticket, &job.board_serial),
            ticket: job.ticket,
            model,
            serial: job.board_serial,
            customer: short_name(&job.customer_name),
            received,
            language: settings.language,
            size: settings.label_size,
        })
    }

    /// The job a scanned label names; `None` when the text is not a label code (a search goes on).
    /// A label whose ticket is not in this store, or whose serial is not its job's, is refused:
    /// it belongs to another shop or another card.
    pub fn for_label(&self, scanned: &str) -> CoreResult<Option<i64>> {
        let Some((ticket, serial)) = read_label_code(scanned) else { return Ok(None) };
        let found: Option<(i64, String)> = self.store.read(|tx| {
            Ok(rusqlite::OptionalExtension::optional(tx.query_row(
                "SELECT id, board_serial FROM jobs WHERE ticket = ?1",
                [&ticket],
                |row| Ok((row.get(0)?, row.get(1)?)),
            ))?)
        })?;
        match found {
            None => Err(CoreError::LabelNotHere(ticket)),
            Some((_, job_serial)) if !job_serial.eq_ignore_ascii_case(&serial) => {
                Err(CoreError::LabelForAnotherCard { ticket, label: serial, job: job_serial })
            }
            Some((id, _)) => Ok(Some(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_code_reads_back_however_the_scanner_typed_it() {
        let code = label_code("RV-2026-A-000123", "1654922012345");
        assert_eq!(code, "REVIVE:RV-2026-A-000123:1654922012345");
        let expected = Some(("RV-2026-A-000123".to_owned(), "1654922012345".to_owned()));
        assert_eq!(read_label_code(&code), expected);
        assert_eq!(read_label_code(&format!("  {code}\t")), expected);
        assert_eq!(
            read_label_code("ＲＥＶＩＶＥ：ＲＶ－２０２６－Ａ－０００１２３：１６５４９２２０１２３４５"),
            expected
        );
        assert_eq!(
            read_label_code("revive:rv-2026-a-000123:1654922012345"),
            Some(("RV-2026-A-000123".into(), "1654922012345".into()))
        );
        for not_a_label in [
            "",
            "1654922012345",
            "RV-2026-A-000123",
            "REVIVE:",
            "REVIVE::123",
            "REVIVE:RV-1:",
            "REVIVE:RV 1:2",
            "王芳",
            "REVIVE:工单:1",
        ] {
            assert_eq!(read_label_code(not_a_label), None, "{not_a_label}");
        }
    }

    #[test]
    fn a_long_customer_name_is_cut_to_a_label_line() {
        assert_eq!(short_name("José Müller"), "José Müller");
        assert_eq!(short_name("王芳"), "王芳");
        assert_eq!(short_name("深圳市南山区算力科技有限公司华南维修中心"), "深圳市南山区算…");
        assert_eq!(short_name("Shenzhen Deep Compute Technology Co., Ltd."), "Shenzhen Deep…");
    }

    #[test]
    fn every_label_size_has_an_id_that_reads_back() {
        for size in LabelSize::ALL {
            let id = serde_json::to_value(size).unwrap();
            assert_eq!(LabelSize::parse(id.as_str().unwrap()), Some(size));
        }
        assert_eq!(LabelSize::parse("a4"), None);
    }
}
