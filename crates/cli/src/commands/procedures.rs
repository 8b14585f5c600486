//! `revive procedures`: the procedures on offer, and checking a shop's own files.

use std::path::PathBuf;

use revive_core::procedures;

use crate::exit::Exit;
use crate::output::emit;

pub fn list(dir: Option<PathBuf>) -> Exit {
    let dir = dir.unwrap_or_else(|| revive_core::paths::Shipped::resolve(None).procedures);
    let (loaded, failed) = procedures::load_dir(&dir);
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
    let mut worst = Exit::Ok;
    let mut out = String::new();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => match procedures::parse(&name, &text) {
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
