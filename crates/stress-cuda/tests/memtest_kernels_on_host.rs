//! memtest.cu's kernels, run on CPU threads through a small CUDA stand-in (tests/emulate), write
//! and count exactly what the patterns say at every alignment of range and pointer: the index
//! arithmetic a GPU run could otherwise only show wrong on a card. Needs no GPU; needs a C++20
//! compiler (`c++`, or `CXX`).

use std::path::Path;
use std::process::Command;

#[test]
fn the_memory_test_kernels_write_and_count_what_the_patterns_say() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = Path::new(env!("CARGO_TARGET_TMPDIR")).join("memtest_on_host");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let status = Command::new(&cxx)
        .args(["-std=c++20", "-pthread", "-O1", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Werror"])
        // The kernels' `#pragma unroll` means nothing to a host compiler.
        .arg("-Wno-unknown-pragmas")
        .arg("-include")
        .arg(crate_dir.join("tests/emulate/cuda_shim.h"))
        .arg("-I")
        .arg(crate_dir.join("kernels"))
        .arg("-o")
        .arg(&binary)
        .arg(crate_dir.join("tests/emulate/memtest_on_host.cpp"))
        .status()
        .unwrap_or_else(|e| panic!("running the C++ compiler {cxx}: {e}"));
    assert!(status.success(), "memtest.cu does not build on the host with {cxx}");
    let output = Command::new(&binary).output().expect("running the kernels on the host");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{}", String::from_utf8_lossy(&output.stdout));
}
