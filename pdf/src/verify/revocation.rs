//! The validation data the PDF carries in its Document Security Store (ETSI EN 319 142-1
//! §5.4.2): certificates, CRLs and OCSP responses, read from the catalog's `/DSS`. Everything
//! else about revocation (responses the caller gives or a CMS carries, fetching from allowed
//! responders) is [`eseal_signer::validation::revocation`].

use std::collections::HashSet;
use std::io::{Read, Seek};

use der::Decode;
use eseal_certs::crl::Crl;
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::Certificate;
pub use eseal_signer::validation::revocation::{
    parse_all, Fetched, OcspFetch, OnlineFetch, MAX_RESPONSES,
};

use crate::object::{Dict, Object};
use crate::reader::PdfReader;

/// Most certificates or CRLs read from a DSS.
const MAX_DSS_ITEMS: usize = 1000;

/// What the DSS holds.
#[derive(Default)]
pub struct DssMaterial {
    pub certificates: Vec<Certificate>,
    pub crls: Vec<Crl>,
    pub ocsp: Vec<ParsedResponse>,
}

/// The catalog's `/DSS`, read item by item; what cannot be read is left out (a signature
/// that needed it then lacks evidence, and says so).
pub fn dss_material<R: Read + Seek>(reader: &mut PdfReader<R>) -> DssMaterial {
    let Some(dss) = reader
        .catalog()
        .ok()
        .and_then(|c| c.get("DSS").cloned())
        .and_then(|d| reader.resolve(&d).ok())
        .and_then(|d| d.as_dict().cloned())
    else {
        return DssMaterial::default();
    };
    DssMaterial {
        certificates: decoded(reader, &dss, "Certs", MAX_DSS_ITEMS, |d| {
            Certificate::from_der(d).ok()
        }),
        crls: decoded(reader, &dss, "CRLs", MAX_DSS_ITEMS, |d| {
            Crl::from_der(d).ok()
        }),
        ocsp: decoded(reader, &dss, "OCSPs", MAX_RESPONSES, |d| {
            ParsedResponse::from_der(d).ok()
        }),
    }
}

/// The streams of the DSS array `key` (at most `max`), decoded and parsed by `parse`; a stream
/// named more than once is read once.
fn decoded<R: Read + Seek, T>(
    reader: &mut PdfReader<R>,
    dss: &Dict,
    key: &str,
    max: usize,
    parse: impl Fn(&[u8]) -> Option<T>,
) -> Vec<T> {
    let Some(Ok(Object::Array(items))) = dss.get(key).map(|a| reader.resolve(a)) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    items
        .iter()
        .take(max)
        .filter(|i| i.as_reference().is_none_or(|r| seen.insert(r)))
        .filter_map(|i| match reader.resolve(i) {
            Ok(Object::Stream(s)) => reader.stream_decoded(&s).ok(),
            _ => None,
        })
        .filter_map(|d| parse(&d))
        .collect()
}
