//! Declares the app's own commands so each gets an ACL permission that capabilities must grant.

include!("src/command_list.rs");

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build configuration is valid");
}
