#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spatialclaw_agent::fuzz_support::response_parser(data));
