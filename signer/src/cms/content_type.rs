//! Content-type object identifiers: PKCS#7 / RFC 5652 §4 and §5 (`id-data`, `id-signedData`)
//! and their GM/T 0010-2012 §6 (GB/T 35275) counterparts used by Chinese SM2 implementations.

use const_oid::ObjectIdentifier;

/// `id-data` (RFC 5652 §4): 1.2.840.113549.1.7.1.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-signedData` (RFC 5652 §5.1): 1.2.840.113549.1.7.2.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// GM/T 0010 `data`: 1.2.156.10197.6.1.4.2.1.
pub const GMT_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.1");
/// GM/T 0010 `signedData`: 1.2.156.10197.6.1.4.2.2.
pub const GMT_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.2");

/// Which family of content-type identifiers a signature uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ContentTypeFamily {
    /// PKCS#7 / RFC 5652 (`1.2.840.113549.1.7.*`): what PAdES and every PDF reader expect.
    #[default]
    Pkcs7,
    /// GM/T 0010 (`1.2.156.10197.6.1.4.2.*`): what some SM2 verifiers expect.
    GmT0010,
}

impl ContentTypeFamily {
    /// The `data` content type (the signed content's eContentType).
    pub fn data(self) -> ObjectIdentifier {
        match self {
            ContentTypeFamily::Pkcs7 => ID_DATA,
            ContentTypeFamily::GmT0010 => GMT_DATA,
        }
    }

    /// The `signedData` content type (the outer ContentInfo's contentType).
    pub fn signed_data(self) -> ObjectIdentifier {
        match self {
            ContentTypeFamily::Pkcs7 => ID_SIGNED_DATA,
            ContentTypeFamily::GmT0010 => GMT_SIGNED_DATA,
        }
    }

    /// The family whose `signedData` identifier this is.
    pub fn from_signed_data(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            ID_SIGNED_DATA => Some(ContentTypeFamily::Pkcs7),
            GMT_SIGNED_DATA => Some(ContentTypeFamily::GmT0010),
            _ => None,
        }
    }
}
