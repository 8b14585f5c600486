//! The app and the CLI open the same store: the core's one resolver gives the folder Tauri's own
//! `app_data_dir` would, also when `XDG_DATA_HOME` moves it; and they find the same resources. (Its own test binary: it sets the
//! environment, which no other test here may read meanwhile.)

use tauri::test::mock_builder;
use tauri::Manager;

#[test]
fn the_core_resolves_the_data_folder_tauri_would() {
    let xdg = tempfile::tempdir().unwrap();
    std::env::set_var("XDG_DATA_HOME", xdg.path());
    std::env::remove_var("REVIVE_DATA_DIR");
    let app = mock_builder().build(tauri::generate_context!(test = true)).unwrap();
    let tauri_folder = app.path().app_data_dir().unwrap();
    assert_eq!(tauri_folder, xdg.path().join("works.revive.bench"));
    assert_eq!(revive_core::paths::data_dir(), Some(tauri_folder));
    // The CLI finds the installed app's resources in the folder Tauri names after the product.
    assert_eq!(app.package_info().name, revive_core::paths::PRODUCT_NAME);

    std::env::set_var("REVIVE_DATA_DIR", "/srv/维修店");
    assert_eq!(revive_core::paths::data_dir(), Some("/srv/维修店".into()));
}
