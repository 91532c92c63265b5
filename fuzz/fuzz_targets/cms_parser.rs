//! The CMS SignedData parser over arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| eseal_signer::cms::parse_for_fuzz(data));
