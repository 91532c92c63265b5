//! Test documents built by hand, so that every offset is known, and a dummy content signer.
#![allow(dead_code)]

use std::io::Write;
use std::process::Command;

use eseal_pdf::sign::ContentSigner;

/// Object bodies (without `N 0 obj` / `endobj`) of a small document with `pages` pages.
pub fn basic_objects(pages: usize) -> Vec<(u32, Vec<u8>)> {
    let mut objs = vec![(1, b"<< /Type /Catalog /Pages 2 0 R >>".to_vec())];
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    objs.push((
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} /MediaBox [0 0 595 842] >>",
            kids.join(" ")
        )
        .into_bytes(),
    ));
    for i in 0..pages {
        let page = 3 + 2 * i as u32;
        objs.push((
            page,
            format!(
                "<< /Type /Page /Parent 2 0 R /Contents {} 0 R /Resources << >> >>",
                page + 1
            )
            .into_bytes(),
        ));
        let content = format!("BT /F1 12 Tf 72 720 Td (Page {}) Tj ET", i + 1);
        objs.push((page + 1, stream_body("", content.as_bytes())));
    }
    objs
}

pub fn stream_body(extra: &str, data: &[u8]) -> Vec<u8> {
    let mut b = format!("<< /Length {}{extra} >>\nstream\n", data.len()).into_bytes();
    b.extend_from_slice(data);
    b.extend_from_slice(b"\nendstream");
    b
}

/// Writes objects and returns their offsets.
fn write_objects(out: &mut Vec<u8>, objs: &[(u32, Vec<u8>)]) -> Vec<(u32, u64)> {
    objs.iter()
        .map(|(n, body)| {
            let off = out.len() as u64;
            out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
            (*n, off)
        })
        .collect()
}

fn table(offsets: &[(u32, u64)], with_zero: bool) -> Vec<u8> {
    let mut sorted = offsets.to_vec();
    sorted.sort();
    let mut out = b"xref\n".to_vec();
    if with_zero {
        out.extend_from_slice(b"0 1\n0000000000 65535 f\r\n");
    }
    for (n, off) in sorted {
        out.extend_from_slice(format!("{n} 1\n{off:010} 00000 n\r\n").as_bytes());
    }
    out
}

/// A complete classic-xref PDF.
pub fn classic_pdf(objs: &[(u32, Vec<u8>)], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let offsets = write_objects(&mut out, objs);
    let size = objs.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
    let xref = out.len();
    out.extend_from_slice(&table(&offsets, true));
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R{trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

/// Offset of the last `startxref` value.
pub fn last_startxref(pdf: &[u8]) -> u64 {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let s = std::str::from_utf8(&pdf[at + 9..]).unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}

/// Appends a classic incremental update with `objs`.
pub fn append_update(pdf: &mut Vec<u8>, objs: &[(u32, Vec<u8>)], size: u32) {
    let prev = last_startxref(pdf);
    let offsets = write_objects(pdf, objs);
    let xref = pdf.len();
    pdf.extend_from_slice(&table(&offsets, false));
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An object stream holding `objs`, as a stream body.
pub fn object_stream(objs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut header = String::new();
    let mut data = Vec::new();
    for (n, body) in objs {
        header.push_str(&format!("{n} {} ", data.len()));
        data.extend_from_slice(body);
        data.push(b' ');
    }
    let first = header.len();
    let mut all = header.into_bytes();
    all.extend_from_slice(&data);
    stream_body(
        &format!(
            " /Type /ObjStm /N {} /First {first} /Filter /FlateDecode",
            objs.len()
        ),
        &zlib(&all),
    )
}

/// Xref stream rows (type, field2, field3) with /W [1 2 1], PNG Up predictor, as a stream body.
pub fn xref_stream_body(rows: &[(u8, u16, u8)], index: &str, size: u32, extra: &str) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut prev = [0u8; 4];
    for (t, f2, f3) in rows {
        let row = [*t, (f2 >> 8) as u8, *f2 as u8, *f3];
        raw.push(2u8); // PNG Up
        for i in 0..4 {
            raw.push(row[i].wrapping_sub(prev[i]));
        }
        prev = row;
    }
    stream_body(
        &format!(
            " /Type /XRef /Size {size} /Index [{index}] /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>{extra}"
        ),
        &zlib(&raw),
    )
}

/// A PDF 1.5 file with an xref stream; catalog, page tree and pages live in an object stream.
pub fn xref_stream_pdf() -> Vec<u8> {
    xref_stream_pdf_with("")
}

/// As [`xref_stream_pdf`], with `catalog_extra` added to the catalog's dictionary.
pub fn xref_stream_pdf_with(catalog_extra: &str) -> Vec<u8> {
    let mut objs = basic_objects(2);
    let catalog = String::from_utf8(objs[0].1.clone()).unwrap();
    let open = catalog.trim_end().strip_suffix(">>").unwrap();
    objs[0].1 = format!("{open}{catalog_extra} >>").into_bytes();
    // 1,2,3,5 (dicts) go into object stream 7; 4 and 6 (content streams) stay direct.
    let in_stm: Vec<(u32, Vec<u8>)> = objs
        .iter()
        .filter(|(n, _)| [1, 2, 3, 5].contains(n))
        .cloned()
        .collect();
    let direct: Vec<(u32, Vec<u8>)> = objs
        .iter()
        .filter(|(n, _)| [4, 6].contains(n))
        .cloned()
        .collect();
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = write_objects(&mut out, &direct);
    offsets.extend(write_objects(&mut out, &[(7, object_stream(&in_stm))]));
    let xref_at = out.len() as u64;
    let off = |n: u32| offsets.iter().find(|(m, _)| *m == n).unwrap().1 as u16;
    let rows = vec![
        (0, 0, 255),
        (2, 7, 0),
        (2, 7, 1),
        (2, 7, 2),
        (1, off(4), 0),
        (2, 7, 3),
        (1, off(6), 0),
        (1, off(7), 0),
        (1, xref_at as u16, 0),
    ];
    write_objects(
        &mut out,
        &[(8, xref_stream_body(&rows, "0 9", 9, " /Root 1 0 R"))],
    );
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// A hybrid-reference file: the table lists the direct objects, `/XRefStm` the compressed ones.
pub fn hybrid_pdf() -> Vec<u8> {
    let objs = basic_objects(1);
    let in_stm: Vec<(u32, Vec<u8>)> = objs
        .iter()
        .filter(|(n, _)| [2, 3].contains(n))
        .cloned()
        .collect();
    let direct: Vec<(u32, Vec<u8>)> = objs
        .iter()
        .filter(|(n, _)| [1, 4].contains(n))
        .cloned()
        .collect();
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = write_objects(&mut out, &direct);
    offsets.extend(write_objects(&mut out, &[(5, object_stream(&in_stm))]));
    let stm_at = out.len() as u64;
    let rows = vec![(2, 5, 0), (2, 5, 1)];
    write_objects(&mut out, &[(6, xref_stream_body(&rows, "2 2", 7, ""))]);
    offsets.push((6, stm_at));
    let xref = out.len();
    out.extend_from_slice(&table(&offsets, true));
    out.extend_from_slice(
        format!("trailer\n<< /Size 7 /Root 1 0 R /XRefStm {stm_at} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

pub fn qpdf() -> Option<&'static str> {
    let ok = Command::new("qpdf")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some("qpdf")
    } else {
        eprintln!("note: qpdf is not on PATH; skipping the qpdf part of this test");
        None
    }
}

/// Runs qpdf with `args` on `input` and returns the output file's bytes.
pub fn qpdf_transform(input: &[u8], args: &[&str]) -> Option<Vec<u8>> {
    let q = qpdf()?;
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in.pdf");
    let out = dir.path().join("out.pdf");
    std::fs::write(&inp, input).unwrap();
    let st = Command::new(q)
        .args(args)
        .arg(&inp)
        .arg(&out)
        .status()
        .unwrap();
    // qpdf exits 3 for warnings.
    assert!(
        st.code() == Some(0) || st.code() == Some(3),
        "qpdf {args:?} failed"
    );
    Some(std::fs::read(out).unwrap())
}

/// `qpdf --check` on `pdf`; true if qpdf is absent.
pub fn qpdf_check(pdf: &[u8]) -> bool {
    let Some(q) = qpdf() else { return true };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.pdf");
    std::fs::write(&p, pdf).unwrap();
    let o = Command::new(q).arg("--check").arg(&p).output().unwrap();
    if !o.status.success() {
        eprintln!(
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    o.status.success()
}

/// A content signer that records everything fed to it and returns a fixed-size "container".
pub struct RecordingSigner {
    pub reserved: usize,
    pub fed: Vec<u8>,
    pub keep: bool,
    pub fed_len: u64,
    pub hasher: sha2::Sha256,
    pub result_len: usize,
}

impl RecordingSigner {
    pub fn new(reserved: usize) -> Self {
        RecordingSigner {
            reserved,
            fed: Vec::new(),
            keep: true,
            fed_len: 0,
            hasher: Default::default(),
            result_len: 32,
        }
    }
}

impl ContentSigner for RecordingSigner {
    fn reserved_len(&self) -> usize {
        self.reserved
    }

    fn update(&mut self, chunk: &[u8]) {
        use sha2::Digest;
        if self.keep {
            self.fed.extend_from_slice(chunk);
        }
        self.fed_len += chunk.len() as u64;
        self.hasher.update(chunk);
    }

    fn finish(&mut self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        use sha2::Digest;
        let digest = self.hasher.clone().finalize().to_vec();
        // DER OCTET STRING wrapping the digest, padded to result_len.
        let mut out = vec![0x04, digest.len() as u8];
        out.extend_from_slice(&digest);
        out.resize(self.result_len.max(out.len()), 0);
        Ok(out)
    }
}
