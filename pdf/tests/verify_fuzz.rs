//! A stable-Rust stand-in for the cargo-fuzz `verifier` target: the verifier runs on thousands
//! of mutated copies of signed and attacked documents (byte flips, digit changes, cuts,
//! duplicated slices, keyword swaps) and must never panic nor take long on any of them.
//! `ESEAL_FUZZ_ITERATIONS` sets the number of mutants (default 3000).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::time::{Duration, Instant};

use eseal_pdf::sigdict::FieldLock;
use eseal_pdf::sign::{PreparedField, SignOptions, SignatureTarget};
use eseal_pdf::verify::verify_for_fuzz;
use verify_common::*;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: [&[u8]; 10] = [
    b"obj",
    b"endobj",
    b"R",
    b"/ByteRange",
    b"/Contents",
    b"%%EOF",
    b"xref",
    b"/Prev",
    b"<<",
    b"]",
];

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut d = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = d.len().max(1);
        let at = rng.below(len);
        match rng.below(6) {
            0 => {
                if let Some(b) = d.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                // Change a digit: offsets, lengths, byte ranges, object numbers.
                if let Some(p) = d[at..].iter().position(u8::is_ascii_digit) {
                    d[at + p] = b'0' + rng.below(10) as u8;
                }
            }
            2 => d.truncate(at),
            3 => {
                let end = (at + rng.below(256)).min(d.len());
                let slice = d[at..end].to_vec();
                let to = rng.below(d.len().max(1));
                d.splice(to..to, slice);
            }
            4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                d.splice(at.min(d.len())..at.min(d.len()), t.iter().copied());
            }
            _ => {
                let end = (at + rng.below(64)).min(d.len());
                d.drain(at..end);
            }
        }
    }
    d
}

fn seeds() -> Vec<Vec<u8>> {
    let pki = pki();
    let one = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let certified = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(2),
            prepare_fields: vec![PreparedField {
                name: "P".into(),
                page: 0,
                rect: eseal_pdf::sign::FieldRect::User([10.0, 10.0, 50.0, 50.0]),
            }],
            lock_fields: Some(FieldLock::All),
            ..Default::default()
        },
    );
    let filled = seal_with(
        &pki,
        &certified,
        &SignOptions {
            target: SignatureTarget::ExistingField("P".into()),
            ..Default::default()
        },
    );
    let attacked = append(&one, &[(4, common::stream_body("", b"BT (x) Tj ET"))]);
    vec![
        base_pdf(),
        one,
        filled,
        attacked,
        common::xref_stream_pdf(),
        common::hybrid_pdf(),
    ]
}

#[test]
fn mutated_documents_never_panic_or_hang() {
    let n: usize = std::env::var("ESEAL_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seeds = seeds();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..n {
        let seed = &seeds[i % seeds.len()];
        let m = mutate(&mut rng, seed);
        let t = Instant::now();
        verify_for_fuzz(&m);
        eseal_pdf::parse_for_fuzz(&m);
        let took = t.elapsed();
        if took > slowest {
            slowest = took;
        }
        assert!(took < Duration::from_secs(5), "mutant {i} took {took:?}");
    }
    eprintln!(
        "{n} mutants in {:?}, slowest {slowest:?}",
        started.elapsed()
    );
}
