//! OCSP evidence the PDF carries: the responses in the DSS `/OCSPs` (ETSI EN 319 142-1
//! §5.4.2). Everything else about OCSP (responses the caller gives or a CMS carries, fetching
//! from allowed responders) is [`eseal_signer::validation::revocation`].

use std::io::{Read, Seek};

use eseal_certs::ocsp::ParsedResponse;
pub use eseal_signer::validation::revocation::{parse_all, OcspFetch, MAX_RESPONSES};

use crate::object::Object;
use crate::reader::PdfReader;

/// OCSP responses in the catalog's `/DSS /OCSPs`.
pub fn dss_ocsp<R: Read + Seek>(reader: &mut PdfReader<R>) -> Vec<ParsedResponse> {
    let Some(dss) = reader
        .catalog()
        .ok()
        .and_then(|c| c.get("DSS").cloned())
        .and_then(|d| reader.resolve(&d).ok())
        .and_then(|d| d.as_dict().cloned())
    else {
        return Vec::new();
    };
    let Some(Ok(Object::Array(items))) = dss.get("OCSPs").map(|a| reader.resolve(a)) else {
        return Vec::new();
    };
    items
        .iter()
        .take(MAX_RESPONSES)
        .filter_map(|i| match reader.resolve(i) {
            Ok(Object::Stream(s)) => reader.stream_decoded(&s).ok(),
            _ => None,
        })
        .filter_map(|d| ParsedResponse::from_der(&d).ok())
        .collect()
}
