//! Verifying a detached CAdES signature (`.p7s`, ETSI EN 319 122-1) over any file with the
//! same checks and report (schema `eseal-verify/1`) as a PDF signature: digest, CMS, ESS
//! signing-certificate-v2, certificate path, CRLs and OCSP. The report has one signature and
//! no PDF facts (no byte range, no revisions, no changes).

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use der::Decode;
use eseal_signer::cms::SignedCms;

use super::crypto::{self, ContentsFormat, CryptoOutcome, TrustContext};
use super::report::{Coverage, Indication, Report, SignatureKind, SignatureReport, SigningTime};
use super::time::rfc3339;
use super::{revocation, VerifyError, VerifyOptions};
use crate::sigdict::Level;

/// id-signingTime (RFC 5652 §11.3).
const ID_SIGNING_TIME: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// Verifies `signature` (DER ContentInfo) as a detached signature over `content`. `Err` only
/// when the content cannot be read; a bad signature gives a report that says so.
pub fn verify_detached<R: Read + Seek>(
    content: &mut R,
    signature: &[u8],
    opts: &VerifyOptions,
) -> Result<Report, VerifyError> {
    let now = SystemTime::now();
    let at = opts.at.unwrap_or(now);
    let length = content.seek(SeekFrom::End(0))?;
    let mut report = Report::new(opts.file_name.clone(), length, now, at);
    let claimed = claimed_signing_time(signature);
    let ocsp = revocation::parse_all(&opts.ocsp_responses);
    let ctx = TrustContext {
        anchors: &opts.trust_anchors,
        extra_certificates: &opts.intermediates,
        crls: &opts.crls,
        // A detached signature has no DSS: only what the CMS carries counts as its own.
        dss_crls: &[],
        ocsp: &ocsp,
        dss_ocsp: &[],
        ocsp_fetch: opts.ocsp_fetch.as_ref(),
        at,
    };
    let mut digest_of = |alg: eseal_certs::DigestAlgorithm| -> std::io::Result<Vec<u8>> {
        content.seek(SeekFrom::Start(0))?;
        let mut hasher = alg.hasher();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hasher.finish())
    };
    let out = match crypto::sniff(signature) {
        ContentsFormat::Cms => crypto::check_cms_digest(
            signature,
            &mut digest_of,
            false,
            claimed,
            &ctx,
            None,
            CryptoOutcome::default(),
        ),
        _ => CryptoOutcome {
            failure: Some((
                super::SubIndication::FormatFailure,
                "the signature file is not a DER CMS SignedData".into(),
            )),
            ..CryptoOutcome::default()
        },
    };
    let proven = out.proven_time.is_some();
    let mut r = SignatureReport {
        index: 0,
        field: "signature".into(),
        kind: SignatureKind::Approval,
        certification_level: None,
        sub_filter: None,
        indication: Indication::TotalPassed,
        sub_indication: None,
        reasons: Vec::new(),
        warnings: out.warnings,
        signer: out.signer,
        seal_name: String::new(),
        signing_time: claimed.map(|t| SigningTime {
            time: rfc3339(t),
            source: "claimed signing-time attribute".into(),
        }),
        chain: out.chain,
        coverage: Coverage {
            byte_range: None,
            revision: None,
            covers_whole_file: true,
            bytes_after: 0,
        },
        digest_algorithm: out.digest_algorithm,
        signature_algorithm: out.signature_algorithm,
        timestamps: out.timestamps,
        level: None,
        allowed_changes: Vec::new(),
        disallowed_changes: Vec::new(),
        seal: None,
    };
    r.seal_name = r
        .signer
        .as_ref()
        .and_then(|s| s.common_name.clone())
        .unwrap_or_default();
    if let Some((sub, why)) = out.failure {
        r.indication = sub.indication();
        r.sub_indication = Some(sub);
        r.reasons.push(why);
    } else {
        // CAdES baseline (ETSI EN 319 122-1): B-T once a valid signature timestamp proves time.
        r.level = Some(if proven { Level::BT } else { Level::BB });
    }
    report.signatures.push(r);
    super::finish(&mut report);
    Ok(report)
}

/// The signing-time signed attribute, a claim of the signer (not proof).
fn claimed_signing_time(signature: &[u8]) -> Option<SystemTime> {
    let cms = SignedCms::parse(signature).ok()?;
    let attrs = cms.signer().ok()?.signed_attributes()?;
    let attr = attrs.iter().find(|a| a.oid == ID_SIGNING_TIME)?;
    let value = attr.values.iter().next()?;
    let der = der::Encode::to_der(value).ok()?;
    x509_cert::time::Time::from_der(&der)
        .ok()
        .map(|t| t.to_system_time())
}
