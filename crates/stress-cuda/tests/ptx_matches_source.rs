//! The committed PTX is exactly what the kernel sources compile to with the pinned NVRTC, so what
//! ships is what was reviewed. Needs no GPU; needs NVRTC from scripts/python-tools.sh.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_ptx_is_what_the_sources_compile_to() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.parent().and_then(Path::parent).expect("the crate sits at crates/stress-cuda");
    let python = root.join("target/python-tools/bin/python");
    assert!(
        python.exists(),
        "NVRTC is not installed: run scripts/python-tools.sh (it creates {} with the pinned nvidia-cuda-nvrtc-cu12)",
        python.display()
    );
    let script = crate_dir.join("kernels/build-ptx.py");
    let output = Command::new(&python).arg(&script).arg("--check").output().expect("running build-ptx.py");
    assert!(
        output.status.success(),
        "build-ptx.py --check failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
