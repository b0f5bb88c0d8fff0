#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spatialclaw_evals::fuzz_support::records(data));
