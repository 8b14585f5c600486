//! `revive agent`: this rack server's worker in the shop's test room (see `revive_shop::agent`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use revive_core::bench::Workbench;
use revive_core::stress::supervise::{Launch, StressBench};
use revive_shop::agent::{self, AgentSettings};
use revive_shop::server::ShopServer;
use revive_shop::ShopError;

use super::shop_catalogs;
use crate::cli::StressDriver;
use crate::exit::Exit;
use crate::output::fail;

/// Where the shop server is.
pub struct Connection {
    pub server: String,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

/// Who this agent is and what it drives.
pub struct Station {
    pub name: Option<String>,
    pub driver: StressDriver,
    pub lease: u64,
    pub heartbeat_ms: u64,
}

pub fn run(connection: Connection, station: Station) -> Exit {
    let password = match connection.password_file.as_deref().map(read_password).transpose() {
        Ok(password) => password,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    let server = match ShopServer::new(&connection.server, password.as_deref(), connection.ca_file) {
        Ok(server) => server,
        Err(error) => return fail(Exit::BadArguments, error),
    };
    let mut bench = Workbench::default();
    if let Err(error) = bench.connect_source(&station.driver.driver.source()) {
        return fail(Exit::BenchUnavailable, error);
    }
    let stress_bench = match StressBench::of(&bench) {
        Ok(stress_bench) => stress_bench,
        Err(error) => return fail(Exit::BenchUnavailable, error),
    };
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => return fail(Exit::Unreadable, format!("cannot find this program: {error}")),
    };
    let name = station.name.unwrap_or_else(|| revive_core::jobs::events::Workstation::current().host.clone());
    let settings = AgentSettings {
        name,
        server,
        launch: Launch {
            hang_after: Duration::from_secs(station.driver.hang_after),
            simulated_speed: station.driver.speed,
            ..Launch::new(program)
        },
        lease: Duration::from_secs(station.lease),
        heartbeat: Duration::from_millis(station.heartbeat_ms),
    };
    let error = match agent::run(&settings, &stress_bench, &catalogs, &mut |line| eprintln!("revive agent: {line}")) {
        Ok(()) => return Exit::Ok,
        Err(error) => error,
    };
    match error {
        ShopError::Protocol { .. } | ShopError::Server(_) => fail(Exit::ShopServer, error),
        ShopError::Core(_) => fail(Exit::BenchUnavailable, error),
        _ => fail(Exit::BadArguments, error),
    }
}

/// The first line of a file only its owner can read, as ssh insists for keys.
pub(super) fn read_password(file: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return Err(format!("{} can be read by others: chmod 600 it first", file.display()));
    }
    let text = std::fs::read_to_string(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
