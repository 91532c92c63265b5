//! Encrypted documents (standard security handler, ISO 32000-2 §7.6.4) as qpdf encrypts them
//! and pyHanko signs them: read decrypted, signatures judged over the encrypted bytes, the change
//! analysis comparing decrypted content, and a user password reported as such.
//!
//! qpdf and pyHanko (the interop kit's venv) make the files; without them the tests say so and
//! skip, except in CI, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use der::pem::LineEnding;
use der::EncodePem;
use eseal_certs::testing::TestPki;
use eseal_pdf::reader::Budget;
use eseal_pdf::verify::{verify_bytes, Indication, SubIndication, VerifyError};
use eseal_pdf::{Error, Object, PdfReader};

use verify_common::{assert_all_passed, assert_sig, base_pdf, disallowed_mentions, options, pki};

/// The page content of [`base_pdf`].
const CONTENT: &[u8] = b"BT /F1 12 Tf 72 720 Td (Licence: granted) Tj ET";

/// The encryptions of the standard security handler, as qpdf's `--encrypt` arguments after the
/// passwords: RC4 40 (R2), RC4 128 (R3), AES-128 (R4, crypt filters), AES-256 (R6).
const KINDS: [(&str, &[&str]); 4] = [
    ("rc4-40", &["40", "--allow-weak-crypto"]),
    ("rc4-128", &["128", "--use-aes=n", "--allow-weak-crypto"]),
    ("aes-128", &["128", "--use-aes=y"]),
    ("aes-256", &["256"]),
];

/// Signs with pyHanko (`sign KEY CERT CHAIN IN OUT FIELD`) or rewrites the first page's
/// content stream in an incremental update (`restream IN OUT same|changed`), opening encrypted
/// files with the empty user password.
const PYHANKO: &str = r#"
import sys
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

def writer(f):
    w = IncrementalPdfFileWriter(f)
    if w.prev.encrypted:
        w.encrypt("")
    return w

if sys.argv[1] == "sign":
    from pyhanko.sign import signers
    key, cert, chain, inp, out, field = sys.argv[2:8]
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
    with open(inp, "rb") as f, open(out, "wb") as o:
        signers.sign_pdf(writer(f), signers.PdfSignatureMetadata(field_name=field),
                         signer=signer, output=o)
else:
    inp, out, how = sys.argv[2:5]
    with open(inp, "rb") as f:
        w = writer(f)
        page = w.root["/Pages"]["/Kids"][0]
        ref = page.raw_get("/Contents")
        stream = ref.get_object()
        data = stream.data
        if how == "changed":
            data = data.replace(b"granted", b"REVOKED")
        stream._encoded_data = None
        stream._data = data
        w.mark_update(ref)
        with open(out, "wb") as o:
            w.write(o)
"#;

/// A tool is missing: skip locally, fail in CI.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is required in CI (the interop kit installs it)"
    );
    eprintln!("note: {what} is not installed; skipping this test");
}

fn qpdf_ok() -> bool {
    let ok = Command::new("qpdf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing("qpdf");
    }
    ok
}

/// The interop kit's Python, when it has pyHanko.
fn pyhanko() -> Option<PathBuf> {
    let home = std::env::var_os("ESEAL_INTEROP_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|c| Path::new(&c).join("eseal-interop")))
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/eseal-interop")))?;
    let python = home.join("venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import pyhanko.sign"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        missing("pyHanko (the interop kit's venv)");
        None
    }
}

/// qpdf `--encrypt USER owner ARGS --` on `pdf`, plus `extra` options.
fn encrypt(pdf: &[u8], user: &str, args: &[&str], extra: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&inp, pdf).unwrap();
    // --allow-weak-crypto (for RC4) is a general option of qpdf, before --encrypt.
    let (general, encryption): (Vec<&str>, Vec<&str>) =
        args.iter().partition(|a| **a == "--allow-weak-crypto");
    let st = Command::new("qpdf")
        .args(extra)
        .args(general)
        .args(["--encrypt", user, "owner"])
        .args(encryption)
        .arg("--")
        .arg(&inp)
        .arg(&out)
        .status()
        .unwrap();
    assert!(matches!(st.code(), Some(0 | 3)), "qpdf {args:?} failed");
    std::fs::read(out).unwrap()
}

/// Runs the pyHanko script with `args`, where `IN` is `pdf`; returns the output file.
fn run_pyhanko(python: &Path, dir: &Path, pdf: &[u8], args: &[&str]) -> Vec<u8> {
    let script = dir.join("pyhanko_do.py");
    std::fs::write(&script, PYHANKO).unwrap();
    let (inp, out) = (dir.join("in.pdf"), dir.join("out.pdf"));
    std::fs::write(&inp, pdf).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| match *a {
            "IN" => inp.display().to_string(),
            "OUT" => out.display().to_string(),
            a => a.to_string(),
        })
        .collect();
    let o = Command::new(python)
        .arg(&script)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pyHanko {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(out).unwrap()
}

/// Writes the PKI's leaf key, leaf and intermediate as PEM files into `dir`.
fn pem_files(pki: &TestPki, dir: &Path) -> [String; 3] {
    let key = dir.join("leaf.key");
    let cert = dir.join("leaf.pem");
    let chain = dir.join("int.pem");
    std::fs::write(&key, pki.leaf_key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(&cert, pki.leaf.to_pem(LineEnding::LF).unwrap()).unwrap();
    std::fs::write(&chain, pki.intermediate.to_pem(LineEnding::LF).unwrap()).unwrap();
    [key, cert, chain].map(|p| p.display().to_string())
}

fn sign(python: &Path, dir: &Path, pems: &[String; 3], pdf: &[u8], field: &str) -> Vec<u8> {
    let [key, cert, chain] = pems;
    run_pyhanko(
        python,
        dir,
        pdf,
        &["sign", key, cert, chain, "IN", "OUT", field],
    )
}

/// The length of the first range of the (only) `/ByteRange` of `pdf`.
fn first_range_len(pdf: &[u8]) -> usize {
    let at = pdf
        .windows(12)
        .position(|w| w == b"/ByteRange [")
        .expect("a /ByteRange")
        + 12;
    let text = String::from_utf8_lossy(&pdf[at..at + 40]);
    let numbers: Vec<usize> = text
        .split_whitespace()
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(numbers[0], 0);
    numbers[1]
}

/// The decoded content of the first page and the `/V` of the field `Name`.
fn read_decrypted(pdf: &[u8], password: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut r = PdfReader::open_decrypting(Cursor::new(pdf), Budget::default(), password)
        .unwrap_or_else(|e| panic!("opens decrypted: {e}"));
    assert!(r.is_decrypting());
    let page = r.page(0).unwrap();
    let Object::Stream(content) = r.resolve(page.dict.get("Contents").unwrap()).unwrap() else {
        panic!("page content is a stream");
    };
    let data = r.stream_decoded(&content).unwrap().to_vec();
    let fields = r.form_fields().unwrap();
    let name = fields.iter().find(|f| f.full_name == "Name").unwrap();
    let value = r.resolve(name.value.as_ref().unwrap()).unwrap();
    (data, value.as_string().unwrap().to_vec())
}

#[test]
fn qpdf_encrypted_documents_are_read_decrypted() {
    if !qpdf_ok() {
        return;
    }
    let plain = base_pdf();
    for (name, args) in KINDS {
        // Objects in object streams (their strings are not encrypted one by one) and in the
        // file; the metadata left in clear or not.
        for extra in [
            &["--object-streams=generate"][..],
            &["--object-streams=disable"],
        ] {
            let pdf = encrypt(&plain, "", args, extra);
            let (content, value) = read_decrypted(&pdf, b"");
            assert_eq!(content, CONTENT, "{name} {extra:?}");
            assert_eq!(value, b"Alice", "{name} {extra:?}");
            // Sealing still refuses encrypted documents.
            assert!(
                matches!(PdfReader::open(Cursor::new(&pdf)), Err(Error::Encrypted)),
                "{name}"
            );
            // Without decryption the page content is not the plain text.
            assert!(
                !pdf.windows(CONTENT.len()).any(|w| w == CONTENT),
                "{name}: qpdf left the content in clear"
            );
        }
    }
    // Revision 5 (AES-256 with the plain SHA-256 key check of Adobe's extension level 3).
    let pdf = encrypt(&plain, "", &["256", "--force-R5"], &[]);
    assert_eq!(read_decrypted(&pdf, b"").0, CONTENT, "R5");

    // /EncryptMetadata false: the metadata stream is in clear and read as it is.
    let with_metadata = {
        let objs = vec![
            (
                1,
                b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>".to_vec(),
            ),
            (
                2,
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
            ),
            (3, b"<< /Type /Page /Parent 2 0 R >>".to_vec()),
            (
                4,
                common::stream_body(
                    " /Type /Metadata /Subtype /XML",
                    b"<x:xmpmeta>clear</x:xmpmeta>",
                ),
            ),
        ];
        common::classic_pdf(&objs, "")
    };
    for (name, args) in &KINDS[2..] {
        let args = [*args, &["--cleartext-metadata"]].concat();
        let pdf = encrypt(&with_metadata, "", &args, &[]);
        let mut r = PdfReader::open_decrypting(Cursor::new(&pdf), Budget::default(), b"").unwrap();
        let catalog = r.catalog().unwrap();
        let Object::Stream(m) = r.resolve(catalog.get("Metadata").unwrap()).unwrap() else {
            panic!("metadata stream");
        };
        let data = r.stream_decoded(&m).unwrap();
        assert_eq!(data.as_slice(), b"<x:xmpmeta>clear</x:xmpmeta>", "{name}");
    }
}

#[test]
fn a_user_password_is_needed_and_named() {
    if !qpdf_ok() {
        return;
    }
    let pki = pki();
    for (name, args) in [KINDS[1], KINDS[3]] {
        let pdf = encrypt(&base_pdf(), "secret", args, &[]);
        match verify_bytes(&pdf, &options(&pki)) {
            Err(e @ VerifyError::Encrypted(_)) => {
                assert!(e.to_string().contains("user password"), "{name}: {e}")
            }
            other => panic!("{name}: expected a refusal naming the password, got {other:?}"),
        }
        // With the password, the reader reads it.
        let (content, _) = read_decrypted(&pdf, b"secret");
        assert_eq!(content, CONTENT, "{name}");
        assert!(matches!(
            PdfReader::open_decrypting(Cursor::new(&pdf), Budget::default(), b"wrong"),
            Err(Error::Decryption(_))
        ));
    }
}

#[test]
fn pyhanko_signed_encrypted_documents_verify() {
    let Some(python) = pyhanko() else { return };
    if !qpdf_ok() {
        return;
    }
    let pki = pki();
    let opts = options(&pki);
    let dir = tempfile::tempdir().unwrap();
    let pems = pem_files(&pki, dir.path());
    let cases = KINDS
        .iter()
        .map(|(name, args)| (*name, *args, &[][..]))
        .chain([(
            "aes-256 in object streams",
            KINDS[3].1,
            &["--object-streams=generate"][..],
        )]);
    for (name, args, extra) in cases {
        let pdf = encrypt(&base_pdf(), "", args, extra);
        let signed = sign(&python, dir.path(), &pems, &pdf, "Sig1");
        let r = verify_bytes(&signed, &opts).unwrap();
        assert_all_passed(&r);
        assert_eq!(r.signatures.len(), 1, "{name}");
        // The signature dictionary's strings are read decrypted (its /Contents never is).
        let time = r.signatures[0].signing_time.as_ref().unwrap();
        assert!(time.time.starts_with("20"), "{name}: signing time {time:?}");

        // The signature covers the encrypted bytes: a changed byte breaks it.
        let mut tampered = signed.clone();
        let at = first_range_len(&signed) / 2;
        tampered[at] ^= 0x01;
        let passed = verify_bytes(&tampered, &opts).is_ok_and(|r| r.passed());
        assert!(!passed, "{name}: a tampered copy passed");

        // A second signature in a later revision: the /Encrypt dictionary is unchanged.
        let twice = sign(&python, dir.path(), &pems, &signed, "Sig2");
        let r = verify_bytes(&twice, &opts).unwrap();
        assert_eq!(r.signatures.len(), 2, "{name}");
        assert_all_passed(&r);
    }
}

#[test]
fn later_changes_to_encrypted_content_are_judged_decrypted() {
    let Some(python) = pyhanko() else { return };
    if !qpdf_ok() {
        return;
    }
    let pki = pki();
    let opts = options(&pki);
    let dir = tempfile::tempdir().unwrap();
    let pems = pem_files(&pki, dir.path());
    for (name, args) in KINDS {
        let pdf = encrypt(&base_pdf(), "", args, &[]);
        let signed = sign(&python, dir.path(), &pems, &pdf, "Sig1");

        // The page content rewritten with other text: a disallowed change.
        let changed = run_pyhanko(
            &python,
            dir.path(),
            &signed,
            &["restream", "IN", "OUT", "changed"],
        );
        let (content, _) = read_decrypted(&changed, b"");
        assert_eq!(
            content, b"BT /F1 12 Tf 72 720 Td (Licence: REVOKED) Tj ET",
            "{name}"
        );
        let r = verify_bytes(&changed, &opts).unwrap();
        assert_sig(
            &r,
            0,
            Indication::TotalFailed,
            SubIndication::DisallowedChange,
        );
        assert!(
            disallowed_mentions(&r, 0, "page content"),
            "{name}:\n{}",
            r.to_text()
        );

        // The same text encrypted again (AES draws a new IV, so the stored bytes differ):
        // decrypted, nothing changed.
        let same = run_pyhanko(
            &python,
            dir.path(),
            &signed,
            &["restream", "IN", "OUT", "same"],
        );
        let r = verify_bytes(&same, &opts).unwrap();
        assert_all_passed(&r);
    }
}

#[test]
fn removing_the_encryption_after_signing_is_disallowed() {
    let Some(python) = pyhanko() else { return };
    if !qpdf_ok() {
        return;
    }
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let pems = pem_files(&pki, dir.path());
    let pdf = encrypt(&base_pdf(), "", KINDS[2].1, &["--object-streams=disable"]);
    let mut signed = sign(&python, dir.path(), &pems, &pdf, "Sig1");
    // An update whose trailer has no /Encrypt: readers would take the encrypted objects as
    // they are stored.
    let size = PdfReader::open_decrypting(Cursor::new(&signed), Budget::default(), b"")
        .unwrap()
        .size();
    common::append_update(&mut signed, &[], size);
    let r = verify_bytes(&signed, &options(&pki)).unwrap();
    assert_sig(
        &r,
        0,
        Indication::TotalFailed,
        SubIndication::DisallowedChange,
    );
    assert!(disallowed_mentions(&r, 0, "/Encrypt"), "{}", r.to_text());
}
