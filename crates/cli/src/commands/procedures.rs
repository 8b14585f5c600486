//! `revive procedures`: the procedures on offer, and checking a shop's own files.

use std::path::PathBuf;

use revive_core::procedures;

use super::shop_catalogs;
use crate::exit::Exit;
use crate::output::{emit, fail};

/// The shop's procedures (shipped, and its own from its data folder), or those in `dir`.
pub fn list(dir: Option<PathBuf>) -> Exit {
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let (loaded, failed) = match dir {
        Some(dir) => procedures::load_dir(&dir, &catalogs.models, &catalogs.rules),
        None => (catalogs.procedures, catalogs.procedure_errors),
    };
    let mut out = String::new();
    for procedure in &loaded {
        say!(
            out,
            "{:<26} v{:<3} {:>2} steps  {}",
            procedure.id,
            procedure.version,
            procedure.steps.len(),
            procedure.title.en
        );
    }
    emit(&out);
    failed.iter().for_each(|error| eprintln!("{error}"));
    if failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Warnings
    }
}

/// 0 when every file is valid, 1 when one is not, 5 when one cannot be read.
pub fn check(files: &[PathBuf]) -> Exit {
    let catalogs = match shop_catalogs() {
        Ok(catalogs) => catalogs,
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let mut worst = Exit::Ok;
    let mut out = String::new();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => match procedures::parse(&name, &text, &catalogs.models, &catalogs.rules) {
                Ok(procedure) => {
                    say!(out, "{name}: ok ({} v{}, {} steps)", procedure.id, procedure.version, procedure.steps.len())
                }
                Err(error) => {
                    eprintln!("{error}");
                    worst = worst.max(Exit::Warnings);
                }
            },
            Err(error) => {
                eprintln!("{name}: cannot read: {error}");
                worst = Exit::Unreadable;
            }
        }
    }
    emit(&out);
    worst
}
