//! One shop as every front end opens it: the store in its data folder, what ships with Revive, the
//! rules and procedures it works by (loaded and checked once) and the clock. The app, the CLI and
//! the rack agent to come build it the same way, and every service hangs off it in one style:
//! `workshop.jobs().intake(…)`, `workshop.certificates().issue(…)`.

mod catalogs;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub use catalogs::{Catalogs, SHOP_PROCEDURES_FOLDER, SHOP_RULES_FOLDER};

use crate::error::CoreResult;
use crate::jobs::audit::{self, AuditReport};
use crate::paths::Shipped;
use crate::pins::Pins;
use crate::settings::{Settings, SettingsForm, Technician};
use crate::store::{Clock, Store, DATABASE_FILE};

pub struct Workshop {
    store: Store,
    data_dir: PathBuf,
    shipped: Shipped,
    /// Shared so a stress run judging hours later on a thread of its own uses the same rules.
    catalogs: std::sync::Arc<Catalogs>,
}

impl Workshop {
    /// Opens the shop in `data_dir` (creating its store on first use) with the wall clock.
    pub fn open(data_dir: &Path, shipped: Shipped) -> CoreResult<Workshop> {
        Workshop::open_with_clock(data_dir, shipped, OffsetDateTime::now_utc)
    }

    /// Opens the shop with another clock (tests cross a year boundary with it). The rules are
    /// checked before the store is touched, so a bad rules file changes nothing.
    pub fn open_with_clock(data_dir: &Path, shipped: Shipped, clock: Clock) -> CoreResult<Workshop> {
        std::fs::create_dir_all(data_dir)?;
        let catalogs = Catalogs::load(Some(data_dir), &shipped.procedures)?;
        let store = Store::open(&data_dir.join(DATABASE_FILE), clock)?;
        // Events logged before the log was chained are linked now, once.
        store.write(|tx, _| audit::link_unlinked(tx))?;
        Ok(Workshop { store, data_dir: data_dir.to_path_buf(), shipped, catalogs: catalogs.into() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    /// The same catalogs, for work that outlives a borrow of the workshop.
    pub fn shared_catalogs(&self) -> std::sync::Arc<Catalogs> {
        self.catalogs.clone()
    }

    /// The shop's data folder: the store, its photos, its signing key, its own rules.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn shipped(&self) -> &Shipped {
        &self.shipped
    }

    pub fn settings(&self) -> CoreResult<Settings> {
        Settings::load(&self.store)
    }

    pub fn save_settings(&self, form: &SettingsForm) -> CoreResult<Settings> {
        Settings::save(&self.store, form)
    }

    /// The technicians' PINs: who signs off and approves.
    pub fn pins(&self) -> Pins<'_> {
        Pins::new(&self.store)
    }

    /// Checks every link of the job log's hash chain.
    pub fn audit(&self) -> CoreResult<AuditReport> {
        self.store.read_alone(audit::audit_in)
    }

    /// The technician seated at this bench in Settings: who the next action is logged under.
    pub fn technician(&self) -> CoreResult<Technician> {
        Settings::acting_technician(&self.store, None)
    }

    /// The seated technician, or on a bench where nobody is enrolled yet, `first` (enrolled by the
    /// action it takes).
    pub fn technician_or_first(&self, first: &str) -> CoreResult<Technician> {
        Settings::acting_technician(&self.store, Some(first))
    }
}
