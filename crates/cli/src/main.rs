//! `revive`: the same core as the workstation, for rack test servers and scripts. Arguments are in
//! `cli`, each subcommand in `commands`, what it prints in `output`, and its exit status in `exit`.

#[macro_use]
mod output;
mod cli;
mod commands;
mod exit;

use clap::Parser;

fn main() -> std::process::ExitCode {
    commands::run(cli::Cli::parse().command).into()
}
