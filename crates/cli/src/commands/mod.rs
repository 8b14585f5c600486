//! One module per subcommand, each returning its exit status; `run` picks the one asked for.

mod agent;
mod audit;
mod backup;
mod diagnose;
mod export;
mod generate;
mod procedures;
mod stress;
mod sync;
mod verify;
mod xid_import;

use std::path::PathBuf;

use revive_core::paths::{self, Shipped};
use revive_core::store;
use revive_core::workshop::{Catalogs, Workshop};

use crate::cli::{Command, ProceduresAction};
use crate::exit::Exit;

pub fn run(command: Command) -> Exit {
    match command {
        Command::Diagnose { json, driver, lang } => diagnose::run(json, &driver, lang),
        Command::XidImport { file, json, lang } => xid_import::run(&file, json, lang),
        Command::Verify { file, public_key, data_dir, status } => verify::run(&file, public_key, data_dir, status),
        Command::StatusList { out, data_dir } => verify::status_list(&out, data_dir),
        Command::Export { format, out, bom, data_dir, filters } => {
            export::run(format, &out, bom, data_dir, filters.query())
        }
        Command::Audit { data_dir } => audit::run(data_dir),
        Command::Backup { out, key_passphrase_file, data_dir } => {
            backup::back_up(&out, key_passphrase_file.as_deref(), data_dir)
        }
        Command::Generate { jobs, seed, data_dir } => generate::run(jobs, seed, &data_dir),
        Command::Restore { file, key_passphrase_file, data_dir } => {
            backup::restore(&file, key_passphrase_file.as_deref(), data_dir)
        }
        Command::Stress { burn_in, memtest, passes, bit_fade, gpus, json, driver, lang } => {
            stress::run(stress::Plan { burn_in, memtest, passes, bit_fade, gpus }, &driver, json, lang)
        }
        Command::StressWorker { job } => stress::worker(&job),
        Command::Agent { server, password_file, ca_file, name, driver, lease, heartbeat_ms } => {
            let connection = agent::Connection { server, password_file, ca_file };
            agent::run(connection, agent::Station { name, driver, lease, heartbeat_ms })
        }
        Command::Sync { data_dir } => sync::run(data_dir),
        Command::Take { ticket, by, data_dir } => sync::take(&ticket, by.as_deref(), data_dir),
        Command::Link { server, bench, code, password_file, data_dir } => {
            sync::link(sync::Link { server, bench, code, password_file }, data_dir)
        }
        Command::Procedures { action: ProceduresAction::List { dir } } => procedures::list(dir),
        Command::Procedures { action: ProceduresAction::Check { files } } => procedures::check(&files),
    }
}

/// The shop in `data_dir`, else `$REVIVE_DATA_DIR`, else the workstation's data folder, opened as
/// the app opens it; never a new empty one.
fn open_workshop(data_dir: Option<PathBuf>) -> Result<Workshop, String> {
    let data_dir = data_dir.or_else(paths::data_dir).ok_or("no data folder: pass --data-dir")?;
    let database = data_dir.join(store::DATABASE_FILE);
    if !database.is_file() {
        return Err(format!("no Revive database at {}", database.display()));
    }
    Workshop::open(&data_dir, Shipped::resolve(None))
        .map_err(|error| format!("cannot open {}: {error}", data_dir.display()))
}

/// The rules and procedures this workstation's shop works by (its data folder's own files over
/// the shipped ones, as the app loads them), for commands that judge without opening the store.
fn shop_catalogs() -> Result<Catalogs, String> {
    Catalogs::load(paths::data_dir().as_deref(), &Shipped::resolve(None).procedures).map_err(|error| error.to_string())
}
