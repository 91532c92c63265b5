//! Object identifiers of the PKIX profile that several modules share: extended key usages
//! (RFC 5280 §4.2.1.12, RFC 9336), OCSP (RFC 6960) and the authority information access
//! method naming a responder. Algorithm identifiers live with [`crate::algorithm`].

use der::asn1::ObjectIdentifier;

/// id-kp-documentSigning (RFC 9336).
pub const OID_KP_DOCUMENT_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");
/// id-kp-emailProtection: poppler/NSS want it on document signers.
pub const OID_KP_EMAIL_PROTECTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
/// id-kp-timeStamping (RFC 3161 §2.3).
pub const OID_KP_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
pub const OID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

/// id-pkix-ocsp-basic: the only response type there is.
pub const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce (RFC 8954).
pub const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-nocheck: a delegated responder's own status is not checked (§4.2.2.2.1).
pub const OID_OCSP_NOCHECK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// id-ad-ocsp: the AIA access method naming a responder URL.
pub const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
/// SHA-1: RFC 5019 requires it for OCSP CertIDs; never for signatures.
pub const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
