#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchscale_fuzz::snapshot(data));
