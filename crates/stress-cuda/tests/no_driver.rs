//! Opening the GPU where the NVIDIA driver library is missing (this machine, CI) is a setup error
//! that names the library, never a panic: cudarc panics at the first call into a missing library.

use revive_core::stress::BackendError;

#[test]
fn opening_a_gpu_without_the_driver_library_says_so() {
    // SAFETY: only tries to open the library under the names cudarc would.
    let driver_present = unsafe { cudarc::driver::sys::is_culib_present() };
    let opened = std::panic::catch_unwind(|| revive_stress_cuda::open(0).map(|gpu| gpu.name().to_owned()));
    let opened = opened.expect("opening the GPU panicked");
    if driver_present {
        // On a machine with the driver, opening works or says why in an error: either is fine.
        eprintln!("driver library present; open(0) gave {opened:?}");
        return;
    }
    match opened {
        Err(BackendError::Setup(message)) => {
            assert!(message.contains("libcuda.so.1"), "{message}");
            assert!(message.contains("NVIDIA driver"), "{message}");
        }
        other => panic!("expected a setup error naming the driver library, got {other:?}"),
    }
}
