//! Where Revive keeps a shop's data and finds what ships with it. One resolver for every front end
//! (the app, the CLI and the rack agent to come), so they always open the same store and the same
//! procedures whatever the platform or `XDG_DATA_HOME` says.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, CoreResult};

/// The app's identifier (`tauri.conf.json`): the data folder's name under the platform data folder.
pub const APP_IDENTIFIER: &str = "works.revive.bench";
/// The app's product name (`tauri.conf.json`): its resource folder's name when installed.
pub const PRODUCT_NAME: &str = "Revive";
/// Overrides where the store lives (tests give every run its own folder).
pub const DATA_DIR_VARIABLE: &str = "REVIVE_DATA_DIR";

/// Override where each shipped folder is (tests, a shop's own procedures).
pub const FAKE_NVML_VARIABLE: &str = "REVIVE_FAKE_NVML";
pub const SCENARIOS_VARIABLE: &str = "REVIVE_SCENARIOS";
pub const PROCEDURES_VARIABLE: &str = "REVIVE_PROCEDURES";
pub const FONTS_VARIABLE: &str = "REVIVE_FONTS";
pub const STRESS_WORKER_VARIABLE: &str = "REVIVE_STRESS_WORKER";

/// What ships with Revive: the simulated bench's driver and scenarios, the repair procedures, the
/// certificate's fonts, and the `revive` program whose `stress-worker` runs each GPU's stress test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipped {
    pub fake_nvml: PathBuf,
    pub scenarios: PathBuf,
    pub procedures: PathBuf,
    pub fonts: PathBuf,
    pub stress_worker: PathBuf,
}

impl Shipped {
    /// Each from its variable, else from `resources` (the app's bundle, or for a program installed
    /// beside the app, where its package put them), else the folder of that name beside the running
    /// program, else the source checkout this build came from. The `revive` program sits beside the
    /// app; the fake driver is a resource when installed, else built beside the program.
    pub fn resolve(resources: Option<&Path>) -> Shipped {
        let program_dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
        let resources =
            resources.map(Path::to_path_buf).or_else(|| program_dir.as_deref().and_then(installed_resources));
        let folder = |variable: &str, name: &str| {
            variable_path(variable)
                .or_else(|| resources.as_ref().map(|dir| dir.join(name)).filter(|dir| dir.is_dir()))
                .or_else(|| program_dir.as_ref().map(|dir| dir.join(name)).filter(|dir| dir.is_dir()))
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name))
        };
        let library = format!("{}nvidia_ml_fake{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
        Shipped {
            fake_nvml: variable_path(FAKE_NVML_VARIABLE)
                .or_else(|| resources.as_ref().map(|dir| dir.join(&library)).filter(|file| file.is_file()))
                .or_else(|| program_dir.as_ref().map(|dir| dir.join(&library)))
                .unwrap_or_else(|| PathBuf::from(&library)),
            scenarios: folder(SCENARIOS_VARIABLE, "scenarios"),
            procedures: folder(PROCEDURES_VARIABLE, "procedures"),
            fonts: folder(FONTS_VARIABLE, "fonts"),
            stress_worker: variable_path(STRESS_WORKER_VARIABLE)
                .or_else(|| program_dir.as_ref().map(|dir| dir.join("revive")))
                .unwrap_or_else(|| PathBuf::from("revive")),
        }
    }
}

/// Where the package puts the app's resources for a program in `bin/`: `../lib/Revive`, as Tauri's
/// resource folder is for the app (`/usr/lib/Revive` for `/usr/bin`, the same inside an AppImage).
fn installed_resources(program_dir: &Path) -> Option<PathBuf> {
    Some(program_dir.parent()?.join("lib").join(PRODUCT_NAME)).filter(|dir| dir.is_dir())
}

/// Refuses a place to save a file inside the shop's data folder: a backup, an export or a PDF
/// written over the live store, its journal or the signing key would destroy them.
pub fn outside_data_dir(target: &Path, data_dir: &Path) -> CoreResult<()> {
    let folder = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let parent = target.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let place = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    if place.starts_with(&folder) {
        return Err(CoreError::TargetInDataDir(target.display().to_string()));
    }
    Ok(())
}

fn variable_path(variable: &str) -> Option<PathBuf> {
    std::env::var_os(variable).filter(|value| !value.is_empty()).map(PathBuf::from)
}

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
    fn nothing_is_saved_inside_the_data_folder() {
        let shop = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(shop.path().join("attachments")).unwrap();
        for inside in ["revive.sqlite3", "revive.sqlite3-wal", "shop-signing-key.ed25519", "attachments/x.pdf"] {
            let target = shop.path().join(inside);
            assert!(matches!(outside_data_dir(&target, shop.path()), Err(CoreError::TargetInDataDir(_))), "{inside}");
        }
        // Through another spelling of the same folder.
        let sideways = shop.path().join("attachments").join("..").join("备份.sqlite3");
        assert!(outside_data_dir(&sideways, shop.path()).is_err());
        assert!(outside_data_dir(&elsewhere.path().join("备份 2026-12-01.sqlite3"), shop.path()).is_ok());
    }

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

    #[test]
    fn shipped_folders_come_from_the_bundle_else_the_checkout() {
        let bundle = tempfile::tempdir().unwrap();
        std::fs::create_dir(bundle.path().join("procedures")).unwrap();
        let shipped = Shipped::resolve(Some(bundle.path()));
        assert_eq!(shipped.procedures, bundle.path().join("procedures"));
        // The bundle has no scenarios: the checkout's are used, and they are there.
        assert!(shipped.scenarios.join("h100-healthy.json").is_file(), "{:?}", shipped.scenarios);
        assert!(Shipped::resolve(None).fonts.is_dir());
    }
}
