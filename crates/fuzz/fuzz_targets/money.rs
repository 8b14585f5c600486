//! cargo-fuzz's entry for `revive_fuzz_targets::money`, where the checks live.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| revive_fuzz_targets::money(data));
