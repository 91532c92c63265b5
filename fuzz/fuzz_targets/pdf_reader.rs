//! The lean PDF reader over arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| eseal_pdf::parse_for_fuzz(data));
