#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spatialclaw_kernel::fuzz_support::protocol(data));
