//! The CMS SignedData parser over arbitrary bytes, as they are and inside a BER
//! indefinite-length SEQUENCE (so the BER normaliser's paths are reached from every input).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    eseal_signer::cms::parse_for_fuzz(data);
    let mut ber = Vec::with_capacity(data.len() + 4);
    ber.extend_from_slice(&[0x30, 0x80]);
    ber.extend_from_slice(data);
    ber.extend_from_slice(&[0, 0]);
    eseal_signer::cms::parse_for_fuzz(&ber);
});
