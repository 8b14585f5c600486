//! Where the person's days and months begin, for the history's date filters and its statistics'
//! months. The store keeps UTC; a shop in Shenzhen sees its own midnight, and one in a zone with
//! daylight saving time sees the midnight its clocks show that very day, not today's offset
//! applied to every date.

use rusqlite::functions::FunctionFlags;
use time::{Date, PrimitiveDateTime, Time, UtcOffset};

use super::HistoryQuery;
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::store::timestamp;

/// The SQL function that gives a stored timestamp's month in a named zone.
const MONTH_FUNCTION: &str = "revive_local_month";

#[derive(Debug)]
pub(crate) enum LocalTime {
    /// One offset for every date: given as such, or a zone whose clocks have not moved this century.
    Fixed(UtcOffset),
    /// A zone whose offset changes (daylight saving time): each date by its own.
    Zone { name: String, zone: jiff::tz::TimeZone },
}

impl LocalTime {
    /// The query's zone when it names one, else its fixed offset.
    pub(crate) fn of(query: &HistoryQuery) -> CoreResult<LocalTime> {
        let name = query.time_zone.trim();
        if name.is_empty() {
            // Anywhere on Earth is within 14 hours of UTC.
            return UtcOffset::from_whole_seconds(query.utc_offset_minutes.saturating_mul(60))
                .ok()
                .filter(|_| query.utc_offset_minutes.abs() <= 14 * 60)
                .map(LocalTime::Fixed)
                .ok_or(CoreError::invalid(Field::UtcOffset, Problem::OutOfRange { min: 0, max: 14 * 60 }));
        }
        // An IANA name is letters, digits and `/_+-`; anything else is not one (and never reaches SQL).
        let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
        let zone = jiff::tz::TimeZone::get(name)
            .ok()
            .filter(|_| plain)
            .ok_or(CoreError::invalid(Field::UtcOffset, Problem::Unknown))?;
        // A zone with no change of offset this century (China's, say) is a fixed offset: cheaper in SQL.
        let since = jiff::Timestamp::from_second(946_684_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        if zone.following(since).next().is_none() {
            let seconds = zone.to_offset(jiff::Timestamp::now()).seconds();
            return UtcOffset::from_whole_seconds(seconds)
                .map(LocalTime::Fixed)
                .map_err(|_| CoreError::invalid(Field::UtcOffset, Problem::Unknown));
        }
        Ok(LocalTime::Zone { name: name.to_owned(), zone })
    }

    /// The stored (UTC) timestamp at which `day` starts; timestamps compare as text.
    pub(crate) fn day_start(&self, day: Date) -> CoreResult<String> {
        match self {
            LocalTime::Fixed(offset) => {
                Ok(timestamp(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(*offset)))
            }
            LocalTime::Zone { zone, .. } => {
                let bad = || CoreError::invalid(Field::UtcOffset, Problem::OutOfRange { min: 0, max: 14 * 60 });
                let civil = jiff::civil::date(day.year() as i16, u8::from(day.month()) as i8, day.day() as i8);
                // The day's first instant there (where midnight is skipped, the first that exists).
                let start =
                    civil.to_zoned_datetime(zone.clone()).and_then(|at| at.start_of_day()).map_err(|_| bad())?;
                let at = time::OffsetDateTime::from_unix_timestamp_nanos(start.timestamp().as_nanosecond())
                    .map_err(|_| bad())?;
                Ok(timestamp(at))
            }
        }
    }

    /// The local `YYYY-MM` of the stored timestamp `column`, as SQL.
    /// Where months begin, for a store that finds them itself.
    pub(crate) fn months_in(&self) -> MonthsIn<'_> {
        match self {
            LocalTime::Fixed(offset) => MonthsIn::OffsetMinutes(offset.whole_minutes().into()),
            LocalTime::Zone { name, .. } => MonthsIn::Zone(name),
        }
    }

    pub(crate) fn month_sql(&self, column: &str) -> String {
        match self {
            LocalTime::Fixed(offset) => match offset.whole_minutes() {
                0 => format!("substr({column}, 1, 7)"),
                minutes => format!("strftime('%Y-%m', {column}, '{minutes:+} minutes')"),
            },
            // The name was checked to be plain, so it is safe as a literal.
            LocalTime::Zone { name, .. } => format!("{MONTH_FUNCTION}({column}, '{name}')"),
        }
    }
}

/// Where the person's months begin: a fixed offset from UTC, or a time zone by its IANA name
/// (checked to be one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthsIn<'a> {
    OffsetMinutes(i32),
    Zone(&'a str),
}

/// Teaches a connection [`MONTH_FUNCTION`]: the month of a stored timestamp in a named zone, or
/// NULL for a timestamp or a zone it cannot read.
pub(crate) fn register(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        MONTH_FUNCTION,
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let (stored, zone) = (context.get::<String>(0)?, context.get::<String>(1)?);
            let month =
                stored.parse::<jiff::Timestamp>().ok().zip(jiff::tz::TimeZone::get(&zone).ok()).map(|(at, zone)| {
                    let local = at.to_zoned_datetime(zone);
                    format!("{:04}-{:02}", local.year(), local.month())
                });
            Ok(month)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> CoreResult<LocalTime> {
        LocalTime::of(&HistoryQuery { time_zone: name.into(), ..Default::default() })
    }

    #[test]
    fn a_zone_that_never_moves_its_clocks_is_a_fixed_offset_and_a_wrong_name_is_refused() {
        assert!(matches!(zone("Asia/Shanghai"), Ok(LocalTime::Fixed(offset)) if offset.whole_minutes() == 480));
        assert!(matches!(zone("America/New_York"), Ok(LocalTime::Zone { .. })));
        for wrong in ["Mars/Olympus", "Asia/Shanghai'; DROP TABLE jobs; --", "亚洲/上海"] {
            assert!(matches!(zone(wrong), Err(CoreError::Invalid { field: Field::UtcOffset, .. })), "{wrong}");
        }
    }

    #[test]
    fn each_day_starts_at_its_own_midnight_across_daylight_saving_time() {
        let new_york = zone("America/New_York").unwrap();
        let day = |y, m, d| Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        // Winter: UTC-5; summer: UTC-4.
        assert_eq!(new_york.day_start(day(2026, 1, 15)).unwrap(), "2026-01-15T05:00:00.000Z");
        assert_eq!(new_york.day_start(day(2026, 7, 15)).unwrap(), "2026-07-15T04:00:00.000Z");
        assert_eq!(new_york.day_start(day(2026, 11, 1)).unwrap(), "2026-11-01T04:00:00.000Z");
        assert_eq!(new_york.day_start(day(2026, 11, 2)).unwrap(), "2026-11-02T05:00:00.000Z");
    }

    #[test]
    fn the_sql_month_follows_the_zones_clocks_on_each_date() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let month = |at: &str, zone: &str| -> Option<String> {
            conn.query_row(&format!("SELECT {MONTH_FUNCTION}(?1, ?2)"), [at, zone], |r| r.get(0)).unwrap()
        };
        // 00:30 on 1 November in New York is still summer time (UTC-4): November, not October.
        assert_eq!(month("2026-11-01T04:30:00.000Z", "America/New_York").as_deref(), Some("2026-11"));
        // 23:30 on 31 December there is winter time (UTC-5).
        assert_eq!(month("2027-01-01T04:30:00.000Z", "America/New_York").as_deref(), Some("2026-12"));
        assert_eq!(month("not a time", "America/New_York"), None);
        assert_eq!(month("2026-11-01T04:30:00.000Z", "Nowhere/Else"), None);
    }
}
