//! cargo-fuzz's entry for `revive_fuzz_targets::qr_payload`, where the checks live.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| revive_fuzz_targets::qr_payload(data));
