//! This bench's place in a shop: where the shop server is, the bench's name there, and the password
//! to reach it. The link is kept in the store (backups carry it); the password is not: it sits in a
//! file in the data folder only its owner reads, so a backup handed around never holds it.
//! Without a link, Revive is the single-bench app it always was.

use std::path::PathBuf;

use rusqlite::OptionalExtension;
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

/// Where the shop server is and who this bench is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopLink {
    /// A PostgreSQL connection string without the password: `host=shop.lan dbname=revive user=bench1`.
    pub connection: String,
    /// This bench's name in the shop: letters, digits and `-`, unique among the shop's benches.
    pub bench: String,
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
        let stored: Option<String> = self.workshop.store().read(|tx| {
            Ok(tx.query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |row| row.get(0)).optional()?)
        })?;
        let Some(json) = stored else { return Ok(None) };
        let mut link: ShopLink = serde_json::from_str(&json)?;
        link.has_password = self.password_file().is_file();
        Ok(Some(link))
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
        let password = text::optional(&form.password, Field::ShopPassword, MAX_PASSWORD, Lines::Single)?;
        if let Some(password) = &password {
            crate::files::write_atomically(&self.password_file(), password.as_bytes()).map_err(CoreError::FileWrite)?;
        }
        let link = ShopLink { connection, bench, has_password: false };
        self.workshop.store().write(|tx, _| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (KEY, serde_json::to_string(&link)?),
            )?;
            Ok(())
        })?;
        Ok(ShopLink { has_password: self.password_file().is_file(), ..link })
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
