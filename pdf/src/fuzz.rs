//! An entry point for fuzzers: runs the reader over arbitrary bytes. It must never panic,
//! loop forever or allocate without bound, whatever the input.

use std::io::Cursor;

use crate::object::{ObjRef, Object};
use crate::reader::{PdfReader, XrefEntry};

/// Opens `data` as a PDF and walks what the signing path reads: revisions, catalog, pages,
/// form fields and a bounded number of objects and streams. Errors are expected and ignored.
pub fn parse_for_fuzz(data: &[u8]) {
    if let Ok(reader) = PdfReader::open(Cursor::new(data)) {
        walk(reader);
    }
    if let Ok(reader) = crate::repair::open_repaired(Cursor::new(data)) {
        walk(reader);
    }
}

fn walk(mut reader: PdfReader<Cursor<&[u8]>>) {
    let _ = reader.catalog();
    if let Ok(count) = reader.page_count() {
        for i in 0..count.min(20) {
            let _ = reader.page(i);
        }
    }
    let _ = reader.page_refs();
    let _ = reader.form_fields();
    let refs: Vec<ObjRef> = reader
        .object_numbers()
        .filter_map(|(num, e)| match e {
            XrefEntry::InFile { gen, .. } => Some(ObjRef::new(num, gen)),
            XrefEntry::InObjectStream { .. } => Some(ObjRef::new(num, 0)),
            XrefEntry::Free { .. } => None,
        })
        .take(500)
        .collect();
    for r in refs {
        if let Ok(Object::Stream(s)) = reader.get(r) {
            let _ = reader.stream_decoded(&s);
        }
    }
}
