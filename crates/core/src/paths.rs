//! Where Revive keeps a shop's data. One resolver for every front end (the app, the CLI and the rack
//! agent to come), so they always open the same store whatever the platform or `XDG_DATA_HOME` says.

use std::ffi::OsString;
use std::path::PathBuf;

/// The app's identifier (`tauri.conf.json`): the data folder's name under the platform data folder.
pub const APP_IDENTIFIER: &str = "works.revive.bench";
/// Overrides where the store lives (tests give every run its own folder).
pub const DATA_DIR_VARIABLE: &str = "REVIVE_DATA_DIR";

/// `$REVIVE_DATA_DIR` when set, else the identifier's folder in the platform data folder
/// (`$XDG_DATA_HOME` or `~/.local/share` on Linux, as Tauri's `app_data_dir`); `None` when the
/// platform has no data folder (no home).
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(std::env::var_os(DATA_DIR_VARIABLE), dirs::data_dir())
}

fn data_dir_from(explicit: Option<OsString>, platform: Option<PathBuf>) -> Option<PathBuf> {
    match explicit {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => platform.map(|folder| folder.join(APP_IDENTIFIER)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_and_an_empty_one_is_not_a_folder() {
        let platform = Some(PathBuf::from("/home/wang/.local/share"));
        assert_eq!(data_dir_from(Some("/srv/店".into()), platform.clone()), Some(PathBuf::from("/srv/店")));
        assert_eq!(
            data_dir_from(Some("".into()), platform.clone()),
            Some(PathBuf::from("/home/wang/.local/share/works.revive.bench"))
        );
        assert_eq!(data_dir_from(None, None), None);
    }
}
