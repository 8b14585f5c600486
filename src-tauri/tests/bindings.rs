//! Regenerates the UI's TypeScript types from the Rust ones (`make test` then fails if git sees a
//! difference: the committed bindings were stale). Built only with the `bindings` feature.
#![cfg(feature = "bindings")]

use std::path::Path;

#[test]
fn the_ui_types_are_written_from_the_rust_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
    // A type Rust no longer has must not linger as a file: the folder is written anew, whole.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    revive_app::bindings::export(&dir).unwrap();
    assert!(dir.join("IpcError.ts").is_file() && dir.join("Job.ts").is_file());
}
