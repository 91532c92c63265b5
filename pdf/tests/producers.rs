//! Files written by real producers (testdata/producers, made by its make.sh): each opens with
//! the lean reader, and sealing it appends one revision that reopens with a new signature.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::io::Cursor;

use eseal_certs::testing::TestPki;
use eseal_certs::Algorithm;
use eseal_pdf::reader::PdfReader;
use eseal_pdf::seal::{seal, Sealer};
use eseal_pdf::sign::{SignOptions, SignatureTarget};

const PRODUCERS: [&str; 8] = [
    "pdftex",
    "luatex",
    "libreoffice",
    "reportlab",
    "cairo",
    "ghostscript",
    "qpdf-linearized",
    "qpdf-objstm",
];

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/producers")
        .join(format!("{name}.pdf"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_producer_opens_and_has_a_first_page() {
    for name in PRODUCERS {
        let data = sample(name);
        let mut r = PdfReader::open(Cursor::new(&data)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(r.page_count().unwrap() >= 1, "{name}");
        let page = r.page(0).unwrap();
        assert!(page.media_box[2] > page.media_box[0], "{name}");
        assert!(!r.revisions().is_empty(), "{name}");
    }
}

#[test]
fn every_producer_is_sealed_by_appending_one_revision() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let chain = [pki.intermediate.clone()];
    let sealer = Sealer {
        key: &pki.leaf_key,
        certificate: &pki.leaf,
        chain: &chain,
        reserve: None,
    };
    for name in PRODUCERS {
        let data = sample(name);
        let before = PdfReader::open(Cursor::new(&data))
            .unwrap()
            .revisions()
            .len();
        let mut out = Cursor::new(Vec::new());
        let opts = SignOptions {
            target: SignatureTarget::NewField {
                name: Some("Seal".into()),
                page: 0,
                rect: eseal_pdf::sign::FieldRect::Invisible,
            },
            ..Default::default()
        };
        seal(&mut Cursor::new(&data), &mut out, &opts, &sealer)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let signed = out.into_inner();
        assert_eq!(
            &signed[..data.len()],
            &data[..],
            "{name}: earlier bytes changed"
        );
        let mut r = PdfReader::open(Cursor::new(&signed)).unwrap();
        assert_eq!(r.revisions().len(), before + 1, "{name}");
        let f = r
            .form_field("Seal")
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: no field"));
        assert!(f.is_signature() && f.has_value(), "{name}");
    }
}
