//! The service's PKI on top of `eseal-certs`: CAs whose keys live encrypted in the store, seal
//! certificates, revocation and CRLs (RFC 5280 §5), and the signing material of a seal.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::{Decode, Encode};
use eseal_certs::crl::{self, Revocation};
use eseal_certs::issue::{self, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::{inspect, Algorithm, Certificate, Pkcs11Token, SigningKey, SoftwareKey};
use eseal_pdf::sign::{image_xobject, Appearance, AppearanceContent, SealImage};
use eseal_pdf::{Dict, Object};
use sqlx::AnyConnection;

use super::db::{new_id, now};
use super::error::{ApiError, ApiResult};
use super::store::seals::{self, KeyStore};
use super::store::{cas, certificates};
use super::vault::Vault;

pub fn cert_der(c: &Certificate) -> ApiResult<Vec<u8>> {
    c.to_der().map_err(ApiError::internal)
}

pub fn cert_from_der(d: &[u8]) -> ApiResult<Certificate> {
    Certificate::from_der(d).map_err(ApiError::internal)
}

pub fn cert_pem(c: &Certificate) -> ApiResult<String> {
    Ok(inspect::certificates_to_pem(std::slice::from_ref(c))?)
}

/// A CA as stored.
pub struct CaRecord {
    pub id: String,
    pub organization_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub certificate: Certificate,
    pub key_pem: String,
}

pub async fn load_ca(conn: &mut AnyConnection, id: &str) -> ApiResult<Option<CaRecord>> {
    let Some(row) = cas::find_with_key(conn, id).await? else {
        return Ok(None);
    };
    Ok(Some(CaRecord {
        certificate: cert_from_der(&row.certificate)?,
        id: row.id,
        organization_id: row.organization_id,
        parent_id: row.parent_id,
        name: row.name,
        key_pem: row.key_pem,
    }))
}

/// The CA certificates from `ca_id` up to its root.
pub async fn ca_chain(conn: &mut AnyConnection, ca_id: &str) -> ApiResult<Vec<Certificate>> {
    let mut out = Vec::new();
    let mut next = Some(ca_id.to_string());
    while let Some(id) = next {
        let ca = load_ca(conn, &id)
            .await?
            .ok_or_else(|| ApiError::internal("CA chain broken"))?;
        out.push(ca.certificate);
        next = ca.parent_id;
        if out.len() > 8 {
            return Err(ApiError::internal("CA chain too long"));
        }
    }
    Ok(out)
}

/// Where relying parties fetch the CRL of CA `ca_id` from this service. Certificates name it
/// in their CRL distribution point (NSS, and so poppler's pdfsig, will not trust a chain whose
/// certificates give no revocation source).
pub fn crl_url(base: &str, ca_id: &str) -> String {
    format!("{}/v1/cas/{ca_id}/crl", base.trim_end_matches('/'))
}

/// Where relying parties ask CA `ca_id`'s OCSP responder (AIA id-ad-ocsp).
pub fn ocsp_url(base: &str, ca_id: &str) -> String {
    format!("{}/v1/cas/{ca_id}/ocsp", base.trim_end_matches('/'))
}

/// Creates a root (no parent) or subordinate P-256 CA owned by `organization_id`.
pub async fn create_ca(
    conn: &mut AnyConnection,
    vault: &Vault,
    organization_id: &str,
    name: &str,
    level: &str,
    parent: Option<&CaRecord>,
    crl_base: &str,
) -> ApiResult<String> {
    let key = SoftwareKey::generate(Algorithm::P256)?;
    let subject = SubjectName::common(name).to_name()?;
    let cert = match parent {
        None => {
            let req = CertRequest::new(
                subject,
                key.public_key().clone(),
                CertKind::Root { path_len: None },
                3650,
            );
            issue::create_root(&key, &req)?
        }
        Some(p) => {
            let parent_len =
                inspect::basic_constraints(&p.certificate)?.and_then(|b| b.path_len_constraint);
            let path_len = match parent_len {
                Some(0) => {
                    return Err(ApiError::Conflict(format!(
                        "CA '{}' may not have subordinate CAs (pathLenConstraint 0)",
                        p.name
                    )))
                }
                Some(n) => n - 1,
                None => 1,
            };
            let req = CertRequest::new(
                subject,
                key.public_key().clone(),
                CertKind::SubCa {
                    path_len: Some(path_len),
                },
                3650,
            );
            let (_, cert) =
                issue_by(conn, vault, p, &p.organization_id, req, "ca", crl_base).await?;
            cert
        }
    };
    let id = new_id("ca");
    let ca = cas::NewCa {
        id: &id,
        organization_id,
        parent_id: parent.map(|p| p.id.as_str()),
        name,
        level,
        algorithm: "P-256",
        certificate: cert_der(&cert)?,
        key_pem: vault.seal_key(&key)?,
        created_at: now(),
    };
    cas::insert(conn, ca).await?;
    Ok(id)
}

/// Stores an issued certificate; returns its id.
pub async fn record_certificate(
    conn: &mut AnyConnection,
    ca_id: &str,
    organization_id: &str,
    cert: &Certificate,
    kind: &str,
) -> ApiResult<String> {
    let subject = inspect::subject(cert);
    claim_subject(conn, &subject, organization_id).await?;
    let id = new_id("cert");
    let not_after = inspect::not_after(cert)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let row = certificates::NewCertificate {
        id: &id,
        ca_id,
        organization_id,
        serial_hex: &inspect::serial_hex(cert),
        subject: &subject,
        kind,
        der: cert_der(cert)?,
        not_after,
        created_at: now(),
    };
    certificates::insert(conn, row).await?;
    Ok(id)
}

/// A certificate's subject names one organisation on the platform: the first to hold it keeps
/// it, so no one can obtain a certificate that reads exactly like another organisation's.
async fn claim_subject(conn: &mut AnyConnection, subject: &str, org: &str) -> ApiResult<()> {
    match certificates::subject_holder(&mut *conn, subject).await? {
        Some(holder) if holder == org => Ok(()),
        Some(_) => Err(ApiError::Conflict(format!(
            "another organisation already holds certificates with the subject '{subject}'; \
             a subject names one organisation"
        ))),
        None => certificates::claim_subject(&mut *conn, subject, org).await,
    }
}

/// Who a seal certificate names.
pub struct SealSubject<'a> {
    pub seal_name: &'a str,
    pub organization: &'a str,
    pub unit: Option<&'a str>,
    pub uscc: Option<&'a str>,
}

/// Issues a seal certificate for a new software key; returns (key, certificate id,
/// certificate).
pub async fn issue_seal_certificate(
    conn: &mut AnyConnection,
    vault: &Vault,
    ca: &CaRecord,
    owner_org: &str,
    s: &SealSubject<'_>,
    crl_base: &str,
) -> ApiResult<(SoftwareKey, String, Certificate)> {
    let key = SoftwareKey::generate(Algorithm::P256)?;
    let (id, cert) =
        certify_seal_key(conn, vault, ca, owner_org, s, crl_base, key.public_key()).await?;
    Ok((key, id, cert))
}

/// Issues a seal certificate for `public` (a key held anywhere, e.g. in a PKCS#11 token);
/// returns (certificate id, certificate).
pub async fn certify_seal_key(
    conn: &mut AnyConnection,
    vault: &Vault,
    ca: &CaRecord,
    owner_org: &str,
    s: &SealSubject<'_>,
    crl_base: &str,
    public: &eseal_certs::PublicKey,
) -> ApiResult<(String, Certificate)> {
    let subject = SubjectName {
        country: Some("CN".into()),
        organization: Some(s.organization.to_string()),
        unit: s.unit.map(str::to_string),
        uscc: s.uscc.map(str::to_string),
        common_name: s.seal_name.to_string(),
        ..Default::default()
    }
    .to_name()
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let req = CertRequest::new(subject, public.clone(), CertKind::Seal, 730);
    issue_by(conn, vault, ca, owner_org, req, "seal", crl_base).await
}

/// Signs `req` with the key of `ca`, naming its CRL and OCSP responder, and stores the
/// certificate for `owner_org`; returns (certificate id, certificate).
async fn issue_by(
    conn: &mut AnyConnection,
    vault: &Vault,
    ca: &CaRecord,
    owner_org: &str,
    mut req: CertRequest,
    kind: &str,
    crl_base: &str,
) -> ApiResult<(String, Certificate)> {
    let ca_key = vault.open_key(&ca.key_pem)?;
    req.crl_url = Some(crl_url(crl_base, &ca.id));
    req.ocsp_url = Some(ocsp_url(crl_base, &ca.id));
    let cert = issue::issue(
        &Issuer {
            certificate: &ca.certificate,
            key: &ca_key,
        },
        &req,
    )?;
    let id = record_certificate(conn, &ca.id, owner_org, &cert, kind).await?;
    Ok((id, cert))
}

/// Marks a certificate revoked and re-signs its CA's CRL.
pub async fn revoke_certificate(
    conn: &mut AnyConnection,
    vault: &Vault,
    cert_id: &str,
    reason: &str,
) -> ApiResult<()> {
    crl::parse_reason(reason).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ca_id = certificates::revoke(conn, cert_id, reason, now()).await?;
    issue_crl(conn, vault, &ca_id).await?;
    Ok(())
}

/// Signs a new CRL for the CA (valid 7 days) and stores it; returns its DER.
pub async fn issue_crl(conn: &mut AnyConnection, vault: &Vault, ca_id: &str) -> ApiResult<Vec<u8>> {
    // Take the CRL number first (a write: serialises concurrent CRL issuers).
    let number = cas::take_crl_number(conn, ca_id).await?;
    let ca = load_ca(conn, ca_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such CA".into()))?;
    let mut revoked = Vec::new();
    for r in certificates::revoked_by(&mut *conn, ca_id).await? {
        let at = r.revoked_at.unwrap_or(0);
        let reason = r.reason.unwrap_or_else(|| "unspecified".into());
        revoked.push(Revocation {
            serial_hex: r.serial_hex,
            revoked_at: SystemTime::UNIX_EPOCH + Duration::from_secs(at.max(0) as u64),
            reason: crl::parse_reason(&reason)?,
        });
    }
    let key = vault.open_key(&ca.key_pem)?;
    let now_t = SystemTime::now();
    let list = crl::create_crl(
        &Issuer {
            certificate: &ca.certificate,
            key: &key,
        },
        number as u64,
        now_t - Duration::from_secs(60),
        now_t + Duration::from_secs(7 * 86_400),
        &revoked,
    )?;
    let der = crl::crl_to_der(&list)?;
    cas::save_crl(&mut *conn, ca_id, &der, now()).await?;
    Ok(der)
}

/// What signing with one seal needs, decrypted once and kept in memory; the picture is
/// decoded once into a ready appearance (image XObject and soft mask), not on every sealing.
pub struct SealMaterial {
    /// Software keys are decrypted once and zeroized when the last holder drops them.
    pub key: Box<dyn SigningKey>,
    pub certificate: Certificate,
    pub chain: Vec<Certificate>,
    pub appearance: Appearance,
    /// The `/Contents` room its seals need ([`eseal_pdf::seal::reserve_for`]).
    pub reserve: usize,
}

/// The seal picture as appearance content: the image drawn in its own pixel-sized box.
pub fn seal_appearance(picture: &[u8]) -> ApiResult<Appearance> {
    let x = image_xobject(&SealImage::new(picture.to_vec()))
        .map_err(|e| ApiError::Unprocessable(format!("the seal picture: {e}")))?;
    let mut image = x.image;
    if let Some(mask) = x.soft_mask {
        image.dict.set("SMask", Object::Stream(mask));
    }
    let (w, h) = (f64::from(x.width), f64::from(x.height));
    Ok(Appearance::Content(AppearanceContent {
        content: format!("q {} 0 0 {} 0 0 cm /Seal Do Q", x.width, x.height).into_bytes(),
        resources: Dict::new().with("XObject", Dict::new().with("Seal", Object::Stream(image))),
        width: w,
        height: h,
    }))
}

/// The picture used for seals created without one: a red round seal (testdata/seal-red.png).
pub const DEFAULT_SEAL_PNG: &[u8] = include_bytes!("../../../testdata/seal-red.png");

pub async fn load_seal_material(
    conn: &mut AnyConnection,
    vault: &Vault,
    token: Option<&Arc<Pkcs11Token>>,
    seal_id: &str,
) -> ApiResult<Arc<SealMaterial>> {
    let row = seals::key(&mut *conn, seal_id).await?;
    let key: Box<dyn SigningKey> = match row.key_store {
        KeyStore::Software => Box::new(vault.open_key(&row.key_pem)?),
        KeyStore::Pkcs11 => {
            let label = row
                .key_label
                .ok_or_else(|| ApiError::internal("a token seal without a key label"))?;
            let token = token.ok_or_else(|| {
                ApiError::Conflict(
                    "the seal's key is in a PKCS#11 token, and this service has none configured"
                        .into(),
                )
            })?;
            Box::new(token.key(&label)?)
        }
    };
    let chain = ca_chain(conn, &row.ca_id).await?;
    let certificate = cert_from_der(&row.certificate_der)?;
    let reserve = eseal_pdf::seal::reserve_for(key.as_ref(), &certificate, &chain)
        .map_err(ApiError::internal)?;
    Ok(Arc::new(SealMaterial {
        key,
        certificate,
        chain,
        appearance: seal_appearance(row.image.as_deref().unwrap_or(DEFAULT_SEAL_PNG))?,
        reserve,
    }))
}

/// The certificates of the anchors in force: what `POST /v1/verify` and the public pages
/// trust (see [`super::trust`]).
pub async fn trust_anchors(
    conn: &mut AnyConnection,
) -> ApiResult<Vec<eseal_signer::validation::TrustAnchor>> {
    super::trust::anchors(conn).await
}

/// The latest CRL of every CA that has issued one.
pub async fn current_crls(conn: &mut AnyConnection) -> ApiResult<Vec<crl::Crl>> {
    let mut out = Vec::new();
    for der in cas::last_crls(&mut *conn).await? {
        out.extend(crl::crls_from_bytes(&der)?);
    }
    Ok(out)
}
