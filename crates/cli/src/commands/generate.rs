//! `revive generate`: a realistic made-up history in a new data folder.

use std::path::Path;

use revive_core::store;

use crate::exit::Exit;
use crate::output::{emit, fail};

/// 0 written, 5 the folder cannot be used or already has a store.
pub fn run(jobs: u64, seed: u64, data_dir: &Path) -> Exit {
    let database = data_dir.join(store::DATABASE_FILE);
    if database.exists() {
        return fail(Exit::Unreadable, format!("{} already exists; generate into a new folder", database.display()));
    }
    let generated = std::fs::create_dir_all(data_dir)
        .map_err(|error| error.to_string())
        .and_then(|()| revive_history_generator::generate(&database, jobs, seed).map_err(|error| error.to_string()));
    match generated {
        Ok(()) => {
            emit(&format!("{jobs} jobs generated in {}\n", database.display()));
            Exit::Ok
        }
        Err(error) => fail(Exit::Unreadable, format!("cannot generate into {}: {error}", data_dir.display())),
    }
}
