//! Checking what `/Contents` holds (ETSI EN 319 142-1 §5, EN 319 122-1 for CMS; RFC 5280 and
//! ETSI EN 319 102-1 §5.2.6 for the certificate path; RFC 3161 for timestamps).
//!
//! The format is sniffed first: a DER ContentInfo (CMS SignedData, either OID family) or a
//! GB/T 38540 `SES_Signature`. **Dispatch point:** [`check_contents`] matches on
//! [`ContentsFormat`]; GB/T 38540 verification plugs in at the `SesSignature` arm.
//!
//! Time: without a verified timestamp there is no proof of existence, so the signing
//! certificate's path is validated at the time given with `--at`, else at the time of
//! verification (ETSI EN 319 102-1 §5.2.6: the current time when no POE exists). The `/M` entry
//! is reported as a claim only; it is used for one thing: a signer certificate revoked *before*
//! the signer's own claimed time is TOTAL-FAILED/REVOKED, otherwise a revoked signer is
//! INDETERMINATE/REVOKED_NO_POE.

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use der::{Any, Decode};
use eseal_certs::crl::{self, Crl};
use eseal_certs::validate::{validate, PathFailure, Purpose, RevocationStatus, Validation};
use eseal_certs::{inspect, name, Certificate, DigestAlgorithm};
use eseal_signer::cms::{CmsError, EssBinding, SignedCms};

use super::report::{CertificateFacts, SealFacts, Signer, SubIndication, TimestampFacts};
use super::signature::{ByteRange, FoundSignature};
use super::time::rfc3339;

/// What the verifier trusts and knows, shared by every signature of one document.
pub struct TrustContext<'a> {
    pub anchors: &'a [Certificate],
    /// Extra certificates for path building (from the DSS).
    pub extra_certificates: &'a [Certificate],
    /// CRLs given by the caller and found in the DSS.
    pub crls: &'a [Crl],
    /// The time paths are validated at.
    pub at: SystemTime,
}

/// The result of checking one signature's contents.
#[derive(Default)]
pub struct CryptoOutcome {
    /// The first failure found; `None` when the signature and its path are good.
    pub failure: Option<(SubIndication, String)>,
    pub signer: Option<Signer>,
    pub chain: Vec<CertificateFacts>,
    pub digest_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
    pub timestamps: Vec<TimestampFacts>,
    pub warnings: Vec<String>,
    /// The electronic seal of a GB/T 38540 signature.
    pub seal: Option<SealFacts>,
}

impl CryptoOutcome {
    fn fail(mut self, sub: SubIndication, why: impl Into<String>) -> Self {
        self.failure.get_or_insert((sub, why.into()));
        self
    }
}

/// What `/Contents` holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentsFormat {
    /// DER ContentInfo: SEQUENCE { OBJECT IDENTIFIER, [0] ... }.
    Cms,
    /// GB/T 38540 SES_Signature: SEQUENCE { TBS_Sign SEQUENCE, ... }.
    SesSignature,
    Unknown,
}

/// Sniffs the container format from its outer DER header.
pub fn sniff(contents: &[u8]) -> ContentsFormat {
    if contents.first() != Some(&0x30) {
        return ContentsFormat::Unknown;
    }
    let header = match contents.get(1) {
        Some(l) if *l < 0x80 => 2,
        Some(l) if (0x81..=0x84).contains(l) => 2 + usize::from(l - 0x80),
        _ => return ContentsFormat::Unknown,
    };
    match contents.get(header) {
        Some(0x06) => ContentsFormat::Cms,
        Some(0x30) => ContentsFormat::SesSignature,
        _ => ContentsFormat::Unknown,
    }
}

/// Checks the container of a structurally sound signature.
pub fn check_contents<R: Read + Seek + Clone>(
    input: &R,
    sig: &FoundSignature,
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
) -> CryptoOutcome {
    let out = CryptoOutcome::default();
    let Some(contents) = sig.contents.as_deref() else {
        return out.fail(SubIndication::FormatFailure, "/Contents is missing");
    };
    match sniff(contents) {
        ContentsFormat::Cms if sig.is_doc_timestamp() => {
            check_doc_timestamp(input, contents, br, out)
        }
        ContentsFormat::Cms => check_cms(input, contents, sig, br, claimed_time, ctx, out),
        ContentsFormat::SesSignature => check_ses(input, contents, br, claimed_time, ctx, out),
        ContentsFormat::Unknown => out.fail(
            SubIndication::FormatFailure,
            "/Contents holds neither a CMS signature nor a GB/T 38540 seal signature",
        ),
    }
}

fn check_cms<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    sig: &FoundSignature,
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let cms = match SignedCms::parse(contents) {
        Ok(c) => c,
        Err(e) => return out.fail(SubIndication::FormatFailure, e.to_string()),
    };
    let signer_info = match cms.signer() {
        Ok(s) => s,
        Err(e) => return out.fail(SubIndication::FormatFailure, e.to_string()),
    };
    let digest_alg = match signer_info.digest_algorithm() {
        Ok(d) => d,
        Err(e) => return out.fail(SubIndication::CryptoConstraintsFailure, e.to_string()),
    };
    out.digest_algorithm = Some(digest_alg.name().to_string());
    let digest = match digest_ranges(input, br, digest_alg) {
        Ok(d) => d,
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("cannot read the signed bytes: {e}"),
            )
        }
    };
    let verdict = match cms.verify_detached_with(&digest, ctx.extra_certificates) {
        Ok(v) => v,
        Err(e) => {
            let sub = cms_failure(&e);
            return out.fail(sub, e.to_string());
        }
    };
    out.signature_algorithm = Some(verdict.algorithm.to_string());
    let cert = verdict.signer_certificate.clone();
    out.signer = Some(signer_facts(&cert));
    for token in &verdict.timestamp_tokens {
        out.timestamps.push(TimestampFacts {
            kind: "signature-timestamp".into(),
            claimed_time: token_gen_time(token),
            status: "not checked (RFC 3161 verification comes with the timestamp issue); \
                     the signing time is not proven by it"
                .into(),
        });
    }
    let pades = sig.name_entry("SubFilter").as_deref() == Some("ETSI.CAdES.detached");
    match verdict.ess {
        EssBinding::SigningCertificateV2 => {}
        EssBinding::SigningCertificateV1 if !pades => out.warnings.push(
            "the signer certificate is bound only by ESS signing-certificate (v1, SHA-1)".into(),
        ),
        EssBinding::SigningCertificateV1 | EssBinding::Absent => {
            out = out.fail(
                SubIndication::NoSigningCertificateFound,
                "not a PAdES baseline signature: the signed attributes do not bind the signer \
                 certificate (ESS signing-certificate-v2 is missing)",
            );
        }
    }
    if verdict.signing_time.is_some() && pades {
        out.warnings
            .push("the CMS carries a signing-time attribute, which PAdES baseline forbids".into());
    }
    let mut intermediates: Vec<Certificate> = cms
        .certificates()
        .iter()
        .map(|c| c.certificate.clone())
        .collect();
    intermediates.extend(ctx.extra_certificates.iter().cloned());
    let mut crls: Vec<Crl> = ctx.crls.to_vec();
    crls.extend(embedded_crls(&cms));
    check_path(&cert, &intermediates, &crls, claimed_time, ctx, out)
}

/// A GB/T 38540 seal signature (§9): the steps in the standard's order from `signer::ses`,
/// then the certificate paths of the signer and of the seal maker, which only the verifier
/// can check because it holds the trust anchors.
fn check_ses<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    use eseal_signer::ses::{self, Check};
    let parsed = match ses::SealSignature::parse(contents) {
        Ok(p) => p,
        Err(e) => return out.fail(SubIndication::FormatFailure, format!("GB/T 38540: {e}")),
    };
    // dataHash is SM3 of the protected bytes (GB/T 38540 §8.1).
    out.digest_algorithm = Some(DigestAlgorithm::Sm3.name().to_string());
    out.signature_algorithm = Some("SM2 (GB/T 38540 seal signature)".to_string());
    let digest = match digest_ranges(input, br, DigestAlgorithm::Sm3) {
        Ok(d) => d,
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("cannot read the signed bytes: {e}"),
            )
        }
    };
    let v = ses::verify_parsed(&parsed, Some(&digest));
    let seal = &parsed.seal;
    out.seal = Some(SealFacts {
        name: seal.name.clone(),
        seal_type: match seal.seal_type() {
            Some(t) => format!("{:02} {}", t.code(), t.name()),
            None => format!("{} (unknown type)", seal.type_code),
        },
        id: seal.es_id.clone(),
        version: match seal.version {
            ses::SesVersion::V1 => 1,
            _ => 4,
        },
        owner: match seal.owner() {
            Ok(Some(o)) => Some(format!("{} {}", o.code.kind(), o.code.code())),
            Ok(None) => None,
            Err(e) => Some(format!("invalid owner binding: {e}")),
        },
        valid_from: rfc3339(seal.valid_start),
        valid_until: rfc3339(seal.valid_end),
        maker: seal.maker_certificate().ok().map(|c| inspect::subject(&c)),
        checks: v
            .steps()
            .iter()
            .map(|(step, c)| {
                let text = match c {
                    // The paths are the verifier's part: see the chain in the report.
                    Check::NotChecked(_) if *step == "certificate path" => {
                        "checked by the verifier (see the chain)".to_string()
                    }
                    Check::Passed => "passed".to_string(),
                    Check::Failed(e) => format!("FAILED: {e}"),
                    Check::NotChecked(why) => format!("not checked: {why}"),
                };
                (step.to_string(), text)
            })
            .collect(),
    });
    for (step, check) in v.steps() {
        if let Check::Failed(e) = check {
            let sub = match step {
                "data hash" => SubIndication::HashFailure,
                "signature" => SubIndication::SigCryptoFailure,
                "format" => SubIndication::FormatFailure,
                // The seal does not belong to this signer, is not genuine, or is out of date.
                _ => SubIndication::SigConstraintsFailure,
            };
            out = out.fail(sub, format!("GB/T 38540 {step}: {e}"));
        }
    }
    if let Check::NotChecked(why) = &v.timestamp {
        if !why.is_empty() && parsed.time_stamp.is_some() {
            out.warnings
                .push(format!("seal signature timestamp not checked: {why}"));
        }
    }
    let Some(signer) = v.signer_certificate.clone() else {
        return out.fail(
            SubIndication::NoSigningCertificateFound,
            "the seal signature carries no readable signer certificate",
        );
    };
    out.signer = Some(signer_facts(&signer));
    let mut intermediates: Vec<Certificate> = ctx.extra_certificates.to_vec();
    if let Some(maker) = v.maker_certificate.clone() {
        // The seal maker's certificate must chain to a trust anchor too (§9 step 4).
        let validation = Validation {
            anchors: ctx.anchors,
            intermediates: ctx.extra_certificates,
            crls: ctx.crls,
            ocsp: &[],
            at: ctx.at,
            purpose: Purpose::Any,
        };
        if let Err(e) = validate(&maker, &validation) {
            out = out.fail(
                SubIndication::SigConstraintsFailure,
                format!("the seal maker's certificate path: {e}"),
            );
        }
        intermediates.push(maker);
    }
    check_path(&signer, &intermediates, ctx.crls, claimed_time, ctx, out)
}

fn check_path(
    cert: &Certificate,
    intermediates: &[Certificate],
    crls: &[Crl],
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let validation = Validation {
        anchors: ctx.anchors,
        intermediates,
        crls,
        ocsp: &[],
        at: ctx.at,
        purpose: Purpose::DocumentSigning,
    };
    match validate(cert, &validation) {
        Ok(path) => {
            let n = path.certificates.len();
            for (i, c) in path.certificates.iter().enumerate() {
                let revocation = match path.revocation.get(i) {
                    Some(RevocationStatus::GoodPerCrl { this_update }) => {
                        format!("good per CRL of {}", rfc3339(*this_update))
                    }
                    Some(RevocationStatus::NotChecked) => {
                        out.warnings.push(format!(
                            "revocation of '{}' not checked: no CRL from its issuer was given \
                             or embedded",
                            inspect::subject(c)
                        ));
                        "not checked".to_string()
                    }
                    None if i + 1 == n => "trust anchor".to_string(),
                    None => "not checked".to_string(),
                };
                out.chain.push(cert_facts(c, revocation));
            }
            out
        }
        Err(e) => {
            out.chain.push(cert_facts(cert, "unknown".into()));
            let sub = match &e.reason {
                PathFailure::NoPathToAnchor(_) => SubIndication::NoCertificateChainFound,
                PathFailure::Revoked { .. } => revoked_sub(cert, crls, e.depth, claimed_time),
                PathFailure::Expired(_) | PathFailure::NotYetValid(_) => {
                    SubIndication::OutOfBoundsNoPoe
                }
                PathFailure::KeyUsageForbidsSigning | PathFailure::ExtendedKeyUsageForbids(_) => {
                    SubIndication::ChainConstraintsFailure
                }
                PathFailure::UnsupportedSignature(_) => SubIndication::CryptoConstraintsFailure,
                _ => SubIndication::CertificateChainGeneralFailure,
            };
            out.fail(sub, format!("certificate path: {e}"))
        }
    }
}

/// REVOKED when the signer's own claimed time is after the revocation, else REVOKED_NO_POE.
fn revoked_sub(
    cert: &Certificate,
    crls: &[Crl],
    depth: usize,
    claimed_time: Option<SystemTime>,
) -> SubIndication {
    if depth != 0 {
        return SubIndication::RevokedNoPoe;
    }
    let issuer = cert.tbs_certificate().issuer();
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    let revoked_at = crls
        .iter()
        .filter(|c| name::same_name(&c.tbs_cert_list.issuer, issuer))
        .filter_map(|c| crl::lookup(c, serial))
        .map(|(t, _)| t)
        .min();
    match (revoked_at, claimed_time) {
        (Some(r), Some(m)) if r <= m => SubIndication::Revoked,
        _ => SubIndication::RevokedNoPoe,
    }
}

/// ETSI sub-indication for a CMS failure.
fn cms_failure(e: &CmsError) -> SubIndication {
    match e {
        CmsError::DigestMismatch => SubIndication::HashFailure,
        CmsError::BadSignature
        | CmsError::KeyAlgorithmMismatch { .. }
        | CmsError::AlgorithmMismatch { .. }
        | CmsError::AlgorithmProtectionMismatch => SubIndication::SigCryptoFailure,
        CmsError::SignerNotFound
        | CmsError::EssV1CertMismatch
        | CmsError::EssV2CertMismatch
        | CmsError::EssIssuerSerialMismatch
        | CmsError::EssEmpty => SubIndication::NoSigningCertificateFound,
        CmsError::UnsupportedDigestAlgorithm(_) | CmsError::UnsupportedSignatureAlgorithm(_) => {
            SubIndication::CryptoConstraintsFailure
        }
        _ => SubIndication::FormatFailure,
    }
}

/// A document timestamp (ETSI EN 319 142-1 §5.4): the message imprint of its TSTInfo must be
/// the digest of the signed bytes; the TSA's signature is not verified yet (INDETERMINATE).
fn check_doc_timestamp<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    br: ByteRange,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let cms = match SignedCms::parse(contents) {
        Ok(c) => c,
        Err(e) => return out.fail(SubIndication::FormatFailure, e.to_string()),
    };
    let Some(tst) = tst_info(&cms) else {
        return out.fail(
            SubIndication::FormatFailure,
            "the document timestamp holds no readable TSTInfo",
        );
    };
    let Some(alg) = DigestAlgorithm::from_oid(&tst.imprint_algorithm) else {
        return out.fail(
            SubIndication::CryptoConstraintsFailure,
            format!(
                "unsupported message imprint algorithm {}",
                tst.imprint_algorithm
            ),
        );
    };
    out.digest_algorithm = Some(alg.name().to_string());
    if let Some(c) = cms.certificates().first() {
        out.signer = Some(signer_facts(&c.certificate));
    }
    out.timestamps.push(TimestampFacts {
        kind: "document-timestamp".into(),
        claimed_time: tst.gen_time.clone(),
        status: "message imprint checked; the TSA signature is not checked yet".into(),
    });
    match digest_ranges(input, br, alg) {
        Ok(d) if d == tst.imprint => out.fail(
            SubIndication::UnsupportedFormat,
            "document timestamp: the message imprint matches the signed bytes, but the TSA's \
             signature is not verified yet (RFC 3161 verification comes with the timestamp issue)",
        ),
        Ok(_) => out.fail(
            SubIndication::HashFailure,
            "the document timestamp's message imprint does not match the signed bytes",
        ),
        Err(e) => out.fail(
            SubIndication::FormatFailure,
            format!("cannot read the signed bytes: {e}"),
        ),
    }
}

struct TstInfo {
    imprint_algorithm: der::asn1::ObjectIdentifier,
    imprint: Vec<u8>,
    gen_time: Option<String>,
}

/// Reads TSTInfo (RFC 3161 §2.4.2) from the encapsulated content: messageImprint and genTime.
fn tst_info(cms: &SignedCms) -> Option<TstInfo> {
    let econtent = cms.signed_data().encap_content_info.econtent.as_ref()?;
    let octets: der::asn1::OctetString = econtent.decode_as().ok()?;
    let fields: Vec<Any> = Vec::<Any>::from_der(octets.as_bytes()).ok()?;
    let imprint: Vec<Any> = fields.get(2)?.decode_as().ok()?;
    let alg: Vec<Any> = imprint.first()?.decode_as().ok()?;
    let imprint_algorithm = alg.first()?.decode_as().ok()?;
    let hashed: der::asn1::OctetString = imprint.get(1)?.decode_as().ok()?;
    let gen_time = fields
        .get(4)
        .and_then(|t| t.decode_as::<der::asn1::GeneralizedTime>().ok())
        .map(|t| rfc3339(t.to_system_time()));
    Some(TstInfo {
        imprint_algorithm,
        imprint: hashed.as_bytes().to_vec(),
        gen_time,
    })
}

/// genTime of a timestamp token, unverified.
fn token_gen_time(token: &[u8]) -> Option<String> {
    tst_info(&SignedCms::parse(token).ok()?)?.gen_time
}

fn embedded_crls(cms: &SignedCms) -> Vec<Crl> {
    use cms::revocation::RevocationInfoChoice;
    cms.signed_data()
        .crls
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    RevocationInfoChoice::Crl(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Streams the two signed ranges through `alg`.
pub fn digest_ranges<R: Read + Seek + Clone>(
    input: &R,
    br: ByteRange,
    alg: DigestAlgorithm,
) -> std::io::Result<Vec<u8>> {
    let mut hasher = alg.hasher();
    let mut r = input.clone();
    let mut buf = vec![0u8; 256 * 1024];
    for (offset, len) in br.spans() {
        r.seek(SeekFrom::Start(offset))?;
        let mut left = len;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = r.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(hasher.finish())
}

fn signer_facts(cert: &Certificate) -> Signer {
    let subject = cert.tbs_certificate().subject();
    Signer {
        common_name: name::common_name(subject),
        organization: name::organization(subject),
        uscc: name::uscc(subject),
        subject: inspect::subject(cert),
        serial: inspect::serial_hex(cert),
    }
}

fn cert_facts(c: &Certificate, revocation: String) -> CertificateFacts {
    CertificateFacts {
        subject: inspect::subject(c),
        issuer: inspect::issuer(c),
        serial: inspect::serial_hex(c),
        not_before: rfc3339(inspect::not_before(c)),
        not_after: rfc3339(inspect::not_after(c)),
        revocation,
    }
}
