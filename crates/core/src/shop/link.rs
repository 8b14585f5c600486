//! This bench's place in a shop: where the shop server is, the bench's name there, and the password
//! to reach it. The link is kept in the store (backups carry it); the password is not: it sits in a
//! file in the data folder only its owner reads, so a backup handed around never holds it.
//! Without a link, Revive is the single-bench app it always was.
//!
//! Numbers stay unique across the shop with benches offline because each bench puts its own code
//! in the ticket and certificate numbers it gives (`RV-2026-B3-000123`): a bench numbers alone, for
//! days if it must, and two benches can never give the same number. The server hands out each code
//! once and never again (a bench that changes its code keeps the old one too), so a number given
//! under a code stays that bench's for good. Blocks reserved from the server would need the server
//! to be up when a bench runs out, and numbers from blocks would say nothing to the person reading
//! them; a code also tells the shop at a glance which bench took a card in. A bench uses its code
//! only once the server has confirmed it as its own; before that (and on a bench that works alone)
//! numbers carry no code, as they always did.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::text::{self, half_width, Lines};
use crate::workshop::Workshop;

const KEY: &str = "shop_server";
/// The password's file in the data folder.
pub const PASSWORD_FILE: &str = "shop-server.password";
const MAX_CONNECTION: usize = 1_000;
const MAX_BENCH: usize = 32;
const MAX_PASSWORD: usize = 200;
/// A bench code is short: it is printed in every number the bench gives.
const MAX_CODE: usize = 4;

/// Where the shop server is and who this bench is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopLink {
    /// A PostgreSQL connection string without the password: `host=shop.lan dbname=revive user=bench1`.
    pub connection: String,
    /// This bench's name in the shop: letters, digits and `-`, unique among the shop's benches.
    pub bench: String,
    /// The bench's code in the numbers it gives: a capital letter, then up to three more or digits.
    #[serde(default)]
    pub code: String,
    /// Whether the shop server has confirmed `code` as this bench's; numbers carry it only then.
    #[serde(default)]
    pub code_confirmed: bool,
    /// Whether a password is kept for it (the password itself never leaves the core).
    #[serde(default)]
    pub has_password: bool,
}

/// The Settings form's "Shop server" part as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct ShopLinkForm {
    pub connection: String,
    pub bench: String,
    pub code: String,
    /// A new password; empty keeps the one kept.
    pub password: String,
}

/// The link of this bench.
pub struct ShopLinks<'w> {
    workshop: &'w Workshop,
}

impl Workshop {
    pub fn shop_link(&self) -> ShopLinks<'_> {
        ShopLinks { workshop: self }
    }
}

impl ShopLinks<'_> {
    /// The link, or none when this bench works alone.
    pub fn get(&self) -> CoreResult<Option<ShopLink>> {
        let link = self.workshop.store().read(stored)?;
        Ok(link.map(|link| ShopLink { has_password: self.password_file().is_file(), ..link }))
    }

    /// Checks and keeps the link; the password, when one is typed, goes to its private file first.
    pub fn save(&self, form: &ShopLinkForm) -> CoreResult<ShopLink> {
        let connection = text::required(&form.connection, Field::ShopServer, MAX_CONNECTION, Lines::Single)?;
        if connection.to_lowercase().contains("password") {
            // The password has its own field and file; in the connection string it would be stored.
            return Err(CoreError::invalid(Field::ShopServer, Problem::BadFormat));
        }
        let bench = half_width(&form.bench);
        let bench = text::required(&bench, Field::BenchName, MAX_BENCH, Lines::Single)?;
        if !bench.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CoreError::invalid(Field::BenchName, Problem::BadFormat));
        }
        let code = half_width(&form.code).trim().to_ascii_uppercase();
        let code = text::required(&code, Field::BenchCode, MAX_CODE, Lines::Single)?;
        // Beginning with a letter, the code never reads as part of the number after it.
        if !code.starts_with(|c: char| c.is_ascii_alphabetic()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CoreError::invalid(Field::BenchCode, Problem::BadFormat));
        }
        let password = text::optional(&form.password, Field::ShopPassword, MAX_PASSWORD, Lines::Single)?;
        if let Some(password) = &password {
            crate::files::write_atomically(&self.password_file(), password.as_bytes()).map_err(CoreError::FileWrite)?;
        }
        let link = self.workshop.store().write(|tx, _| {
            // The same code on the same server stays confirmed; anything else is asked again.
            let kept = stored(tx)?.filter(|kept| kept.code == code && kept.connection == connection);
            let link = ShopLink {
                connection,
                bench,
                code,
                code_confirmed: kept.is_some_and(|kept| kept.code_confirmed),
                has_password: false,
            };
            keep(tx, &link)?;
            Ok(link)
        })?;
        Ok(ShopLink { has_password: self.password_file().is_file(), ..link })
    }

    /// Notes that the shop server confirmed `code` as this bench's: the numbers it gives from now
    /// on carry it. A code the link no longer names is left unconfirmed.
    pub fn confirm_code(&self, code: &str) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| match stored(tx)? {
            Some(link) if link.code == code && !link.code_confirmed => {
                keep(tx, &ShopLink { code_confirmed: true, ..link })
            }
            _ => Ok(()),
        })
    }

    /// Forgets the link and its password: the bench works alone again.
    pub fn forget(&self) -> CoreResult<()> {
        self.workshop.store().write(|tx, _| {
            tx.execute("DELETE FROM settings WHERE key = ?1", [KEY])?;
            Ok(())
        })?;
        match std::fs::remove_file(self.password_file()) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(CoreError::FileWrite(error)),
            _ => Ok(()),
        }
    }

    /// The kept password, for connecting; none when there is none.
    pub fn password(&self) -> CoreResult<Option<String>> {
        match std::fs::read_to_string(self.password_file()) {
            Ok(password) => Ok(Some(password)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(CoreError::FileRead(error)),
        }
    }

    fn password_file(&self) -> PathBuf {
        self.workshop.data_dir().join(PASSWORD_FILE)
    }
}

fn stored(tx: &Transaction) -> CoreResult<Option<ShopLink>> {
    let json: Option<String> =
        tx.query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |row| row.get(0)).optional()?;
    Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
}

fn keep(tx: &Transaction, link: &ShopLink) -> CoreResult<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEY, serde_json::to_string(link)?),
    )?;
    Ok(())
}

/// `<prefix>-<year>-<6 digits>`, or `<prefix>-<year>-<code>-<6 digits>` on a bench whose shop code
/// is confirmed, counted in `counters` (`ticket_counters`, `certificate_counters`): one count a
/// year, which only ever grows.
pub(crate) fn next_number(tx: &Transaction, counters: &str, prefix: &str, year: i32) -> CoreResult<String> {
    let number: i64 = tx.query_row(
        &format!(
            "INSERT INTO {counters} (year, last) VALUES (?1, 1)
             ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last"
        ),
        [year],
        |row| row.get(0),
    )?;
    Ok(match stored(tx)?.filter(|link| link.code_confirmed) {
        Some(link) => format!("{prefix}-{year}-{}-{number:06}", link.code),
        None => format!("{prefix}-{year}-{number:06}"),
    })
}

/// How the shop server knows a job: the bench that first pushed it and its number there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopKey {
    pub bench: String,
    pub job_id: i64,
}
