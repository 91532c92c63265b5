//! The whole verifier (revisions, signatures, change analysis, reports) over arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| eseal_pdf::verify::verify_for_fuzz(data));
