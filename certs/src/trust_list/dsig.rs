//! The enveloped XML signature (W3C XMLDSig 1.0, as ETSI TS 119 612 §5.7 uses it) of a trusted
//! list, checked against a pinned signer certificate: the SignatureValue over the canonical
//! SignedInfo first, with the pinned key, then every Reference's digest; one Reference must
//! cover the whole list (URI "" or the root's Id, with the enveloped-signature transform).
//!
//! Written by hand, narrowly: of the pure-Rust crates, `xml-sec` 0.4 verifies such lists but
//! pins exact versions of common crates (hashbrown, zeroize, miniz_oxide) and a pre-release
//! ed448, and brings 150 crates for one check; `bergshamra` builds on der 0.7 / x509-cert 0.2;
//! the `xmlsec` bindings need libxmlsec1. What is supported: Canonical XML 1.0 and Exclusive
//! C14N (with or without comments), the enveloped-signature transform, SHA-256/384/512
//! digests, RSA PKCS#1 v1.5 with SHA-256/384/512 and ECDSA P-256 with SHA-256. Anything else
//! (XPath transforms, C14N 1.1, external URIs, SHA-1) is refused with its name. The tests
//! check it against lists signed by xmlsec1 (`testdata/make-trust-list.py`).

use base64::Engine;
use der::{Decode, Encode};
use rsa::signature::Verifier;
use sha2::Digest;
use x509_cert::Certificate;

use super::c14n::{canonicalize, Apex, Method, Subset};
use super::xml::{Document, Element, Node};
use super::TrustListError;
use crate::{inspect, PublicKey};

pub(super) const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// rsaEncryption (RFC 8017).
const OID_RSA: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// More references or transforms than any list signature uses are refused, so a hostile
/// signature cannot make us canonicalize the list many times over.
const MAX_REFERENCES: usize = 4;
const MAX_TRANSFORMS: usize = 4;

#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The DigestMethod named by `uri`.
    fn from_digest_uri(uri: &str) -> Result<Hash, TrustListError> {
        match uri {
            "http://www.w3.org/2001/04/xmlenc#sha256" => Ok(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Ok(Hash::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Ok(Hash::Sha512),
            other => Err(unsupported("digest method", other)),
        }
    }
}

/// The SignatureMethods accepted: (RSA or ECDSA, hash).
fn signature_method(uri: &str) -> Result<(bool, Hash), TrustListError> {
    match uri {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Ok((true, Hash::Sha256)),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Ok((true, Hash::Sha384)),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Ok((true, Hash::Sha512)),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Ok((false, Hash::Sha256)),
        other => Err(unsupported("signature method", other)),
    }
}

fn unsupported(what: &str, uri: &str) -> TrustListError {
    let why = if uri.contains("sha1") || uri.ends_with("#md5") {
        " (SHA-1 and MD5 are refused)"
    } else {
        ""
    };
    TrustListError::UnsupportedSignature(format!("{what} '{uri}'{why}"))
}

fn malformed(what: impl Into<String>) -> TrustListError {
    TrustListError::BadSignature(format!("malformed signature: {}", what.into()))
}

/// Checks the enveloped `signature` (a child of the root of `doc`) with the key of `signer`.
pub(super) fn verify(
    doc: &Document,
    signature: &Element,
    signer: &Certificate,
) -> Result<(), TrustListError> {
    let signed_info = signature
        .child(DSIG, "SignedInfo")
        .ok_or_else(|| malformed("no ds:SignedInfo"))?;
    let c14n = method_of(
        signed_info
            .child(DSIG, "CanonicalizationMethod")
            .ok_or_else(|| malformed("no ds:CanonicalizationMethod"))?,
    )?;
    let (rsa, hash) = signature_method(
        signed_info
            .child(DSIG, "SignatureMethod")
            .and_then(|m| m.attribute("Algorithm"))
            .ok_or_else(|| malformed("no ds:SignatureMethod Algorithm"))?,
    )?;
    let value = base64(
        &signature
            .child(DSIG, "SignatureValue")
            .ok_or_else(|| malformed("no ds:SignatureValue"))?
            .text(),
    )
    .map_err(|e| malformed(format!("ds:SignatureValue is not base64: {e}")))?;
    // SignedInfo with the comments the method keeps, nothing excluded.
    let canonical = canonicalize(
        doc,
        Subset {
            apex: Apex::Element(signed_info),
            excluded: None,
            comments: true,
        },
        &c14n,
    );
    if !check_value(signer, rsa, hash, &canonical, &value)? {
        return Err(match key_info_certificate(signature) {
            Some(other) if &other != signer => TrustListError::SignedByAnotherCertificate {
                signer: named(&other),
                pinned: named(signer),
            },
            _ => TrustListError::BadSignature(
                "the signature value does not verify with the pinned signer's key".into(),
            ),
        });
    }
    check_references(doc, signature, signed_info)
}

/// Every Reference's digest, and that one of them covers the whole list.
fn check_references(
    doc: &Document,
    signature: &Element,
    signed_info: &Element,
) -> Result<(), TrustListError> {
    let references: Vec<&Element> = signed_info.children_named(DSIG, "Reference").collect();
    if references.is_empty() {
        return Err(malformed("no ds:Reference"));
    }
    if references.len() > MAX_REFERENCES {
        return Err(malformed(format!(
            "{} references, more than the {MAX_REFERENCES} accepted",
            references.len()
        )));
    }
    let mut covers_list = false;
    for reference in references {
        let uri = reference
            .attribute("URI")
            .ok_or_else(|| malformed("a ds:Reference without URI"))?;
        let target = dereference(doc, uri)?;
        let (method, enveloped) = transforms(reference)?;
        let hash = Hash::from_digest_uri(
            reference
                .child(DSIG, "DigestMethod")
                .and_then(|m| m.attribute("Algorithm"))
                .ok_or_else(|| malformed("a ds:Reference without DigestMethod"))?,
        )?;
        let expected = base64(
            &reference
                .child(DSIG, "DigestValue")
                .ok_or_else(|| malformed("a ds:Reference without DigestValue"))?
                .text(),
        )
        .map_err(|e| malformed(format!("ds:DigestValue is not base64: {e}")))?;
        let subset = Subset {
            apex: target,
            excluded: enveloped.then_some(signature),
            // Same-document references drop comments (XMLDSig §4.3.3.3).
            comments: false,
        };
        if hash.digest(&canonicalize(doc, subset, &method)) != expected {
            return Err(TrustListError::BadSignature(format!(
                "the list was changed after it was signed (the digest of reference URI \
                 \"{uri}\" does not match)"
            )));
        }
        let whole = match target {
            Apex::Document => true,
            Apex::Element(e) => std::ptr::eq(e, &doc.root),
        };
        covers_list |= whole && enveloped;
    }
    if !covers_list {
        return Err(TrustListError::BadSignature(
            "no reference of the signature covers the whole list (URI \"\" with the \
             enveloped-signature transform)"
                .into(),
        ));
    }
    Ok(())
}

/// The node set a same-document URI names: `""` the document, `#id` the one element whose
/// Id (or ID, id) attribute is `id`.
fn dereference<'a>(doc: &'a Document, uri: &str) -> Result<Apex<'a>, TrustListError> {
    if uri.is_empty() {
        return Ok(Apex::Document);
    }
    let Some(id) = uri
        .strip_prefix('#')
        .filter(|i| !i.starts_with("xpointer("))
    else {
        return Err(TrustListError::UnsupportedSignature(format!(
            "reference URI \"{uri}\" (only \"\" and \"#id\" within the list are followed)"
        )));
    };
    let mut found = Vec::new();
    find_id(&doc.root, id, &mut found);
    match found.as_slice() {
        [one] => Ok(Apex::Element(one)),
        [] => Err(malformed(format!(
            "reference URI \"{uri}\" names no element"
        ))),
        _ => Err(malformed(format!(
            "reference URI \"{uri}\" names several elements"
        ))),
    }
}

fn find_id<'a>(e: &'a Element, id: &str, found: &mut Vec<&'a Element>) {
    if ["Id", "ID", "id"]
        .iter()
        .any(|name| e.attribute(name) == Some(id))
    {
        found.push(e);
    }
    for child in e.elements() {
        find_id(child, id, found);
    }
}

/// The Transforms of a Reference: the canonicalization its octets come from (C14N 1.0 when
/// none is named) and whether the enveloped-signature transform applies.
fn transforms(reference: &Element) -> Result<(Method, bool), TrustListError> {
    let list: Vec<&Element> = reference
        .child(DSIG, "Transforms")
        .map(|t| t.children_named(DSIG, "Transform").collect())
        .unwrap_or_default();
    if list.len() > MAX_TRANSFORMS {
        return Err(malformed(format!(
            "{} transforms, more than the {MAX_TRANSFORMS} accepted",
            list.len()
        )));
    }
    let mut enveloped = false;
    let mut method = None;
    for t in list {
        let uri = t
            .attribute("Algorithm")
            .ok_or_else(|| malformed("a ds:Transform without Algorithm"))?;
        if method.is_some() {
            return Err(TrustListError::UnsupportedSignature(format!(
                "transform '{uri}' after the canonicalization"
            )));
        }
        if uri == ENVELOPED {
            enveloped = true;
        } else {
            method = Some(method_of(t)?);
        }
    }
    Ok((
        method.unwrap_or(Method::Inclusive { comments: false }),
        enveloped,
    ))
}

/// The canonicalization an element with an `Algorithm` attribute (and, for exclusive C14N,
/// an InclusiveNamespaces child) names.
fn method_of(e: &Element) -> Result<Method, TrustListError> {
    let uri = e
        .attribute("Algorithm")
        .ok_or_else(|| malformed(format!("ds:{} without Algorithm", e.local)))?;
    let prefixes = e
        .child(EXC_C14N_NS, "InclusiveNamespaces")
        .and_then(|i| i.attribute("PrefixList"));
    Method::from_uri(uri, prefixes).ok_or_else(|| unsupported("transform", uri))
}

/// Whether `value` is a valid signature over `data` by the pinned certificate's key.
fn check_value(
    signer: &Certificate,
    rsa: bool,
    hash: Hash,
    data: &[u8],
    value: &[u8],
) -> Result<bool, TrustListError> {
    let spki = signer.tbs_certificate().subject_public_key_info();
    if rsa != (spki.algorithm.oid == OID_RSA) {
        // An RSA signature cannot be the pinned EC key's, nor the reverse: made by another.
        return Ok(false);
    }
    let der = spki
        .to_der()
        .map_err(|e| TrustListError::UnsupportedSignerKey(e.to_string()))?;
    if rsa {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::PublicKey::from_public_key_der(&der)
            .map_err(|e| TrustListError::UnsupportedSignerKey(e.to_string()))?;
        if key.size() < 256 {
            return Err(TrustListError::UnsupportedSignerKey(format!(
                "an RSA key of {} bits is too weak (2048 at least)",
                key.size() * 8
            )));
        }
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(value) else {
            return Ok(false);
        };
        let ok = match hash {
            Hash::Sha256 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                .verify(data, &sig)
                .is_ok(),
            Hash::Sha384 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key)
                .verify(data, &sig)
                .is_ok(),
            Hash::Sha512 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key)
                .verify(data, &sig)
                .is_ok(),
        };
        return Ok(ok);
    }
    match PublicKey::from_spki_der(&der) {
        Ok(key @ PublicKey::P256(_)) => Ok(key.verify_digest(&hash.digest(data), value).is_ok()),
        Ok(PublicKey::Sm2(_)) => Err(TrustListError::UnsupportedSignerKey(
            "SM2 XML signatures are not supported".into(),
        )),
        Err(e) => Err(TrustListError::UnsupportedSignerKey(e.to_string())),
    }
}

/// A certificate's subject and the start of its SHA-256: signers' subjects often look alike.
fn named(cert: &Certificate) -> String {
    let sha = inspect::fingerprint_sha256(cert).unwrap_or_default();
    format!(
        "{}, SHA-256 {}…",
        inspect::subject(cert),
        &sha[..sha.len().min(16)]
    )
}

/// The first certificate in the signature's KeyInfo, if one is there and readable.
fn key_info_certificate(signature: &Element) -> Option<Certificate> {
    let data = signature.child(DSIG, "KeyInfo")?.child(DSIG, "X509Data")?;
    let b64 = data.child(DSIG, "X509Certificate")?.text();
    Certificate::from_der(&base64(&b64).ok()?).ok()
}

/// Base64 with the white space XML signatures wrap it in.
pub(super) fn base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

/// The list's enveloped signature: the one `ds:Signature` child of the root.
pub(super) fn find_signature(root: &Element) -> Result<Option<&Element>, TrustListError> {
    let mut found = root.children.iter().filter_map(|n| match n {
        Node::Element(e) if e.is(DSIG, "Signature") => Some(e),
        _ => None,
    });
    let first = found.next();
    if found.next().is_some() {
        return Err(malformed("the list carries more than one ds:Signature"));
    }
    Ok(first)
}
