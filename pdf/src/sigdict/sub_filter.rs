//! `/SubFilter` (ISO 32000-2 §12.8.3, ETSI EN 319 142-1 §5.1, §5.4.3): how the signature value
//! in `/Contents` is encoded. The signer writes the first three; the verifier checks these
//! and the two legacy ones (`verify::crypto` dispatches on them; SHA-1 makes those weak), and
//! names unknown ones instead of misreading them.

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SubFilter {
    /// `/ETSI.CAdES.detached` (PAdES).
    #[default]
    CadesDetached,
    /// `/adbe.pkcs7.detached` (for older readers).
    Pkcs7Detached,
    /// `/ETSI.RFC3161`: a document timestamp (`/Type /DocTimeStamp`, PAdES B-LTA).
    Rfc3161,
    /// `/adbe.pkcs7.sha1`: legacy, the SHA-1 digest of the range signed as CMS content.
    Pkcs7Sha1,
    /// `/adbe.x509.rsa_sha1`: legacy, a bare PKCS#1 signature.
    X509RsaSha1,
    /// Any other name, as read.
    Other(String),
}

impl SubFilter {
    pub fn pdf_name(&self) -> &str {
        match self {
            SubFilter::CadesDetached => "ETSI.CAdES.detached",
            SubFilter::Pkcs7Detached => "adbe.pkcs7.detached",
            SubFilter::Rfc3161 => "ETSI.RFC3161",
            SubFilter::Pkcs7Sha1 => "adbe.pkcs7.sha1",
            SubFilter::X509RsaSha1 => "adbe.x509.rsa_sha1",
            SubFilter::Other(name) => name,
        }
    }

    /// The sub-filter a `/SubFilter` name (without the slash) stands for.
    pub fn from_name(name: &[u8]) -> SubFilter {
        let known = [
            SubFilter::CadesDetached,
            SubFilter::Pkcs7Detached,
            SubFilter::Rfc3161,
            SubFilter::Pkcs7Sha1,
            SubFilter::X509RsaSha1,
        ];
        known
            .into_iter()
            .find(|k| k.pdf_name().as_bytes() == name)
            .unwrap_or_else(|| SubFilter::Other(String::from_utf8_lossy(name).into_owned()))
    }
}

/// Whether a signature dictionary is a document timestamp: `/Type /DocTimeStamp`, or the
/// `/ETSI.RFC3161` sub-filter whatever `/Type` says (producers write `/Sig` or nothing there).
pub fn is_document_timestamp(sig: &crate::object::Dict) -> bool {
    sig.has_name("Type", "DocTimeStamp") || sig.has_name("SubFilter", SubFilter::Rfc3161.pdf_name())
}

/// Reports give the name as written in the PDF.
impl Serialize for SubFilter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.pdf_name())
    }
}

#[cfg(test)]
mod tests {
    use super::SubFilter;

    #[test]
    fn names_round_trip() {
        for n in [
            "ETSI.CAdES.detached",
            "adbe.pkcs7.detached",
            "ETSI.RFC3161",
            "x.y",
        ] {
            let sf = SubFilter::from_name(n.as_bytes());
            assert_eq!(sf.pdf_name(), n);
            assert_eq!(serde_json::to_string(&sf).unwrap(), format!("\"{n}\""));
        }
        assert_eq!(
            SubFilter::from_name(b"adbe.pkcs7.sha1"),
            SubFilter::Pkcs7Sha1
        );
        assert_eq!(
            SubFilter::from_name(b"nope"),
            SubFilter::Other("nope".into())
        );
    }
}
