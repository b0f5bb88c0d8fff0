#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spatialclaw_perception::fuzz_support::wire(data));
