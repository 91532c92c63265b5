//! What the platform trusts (跨区域互认): the operator-managed anchors that `/v1/verify` and the
//! public pages judge seals against. A root CA made on this platform becomes an anchor only when
//! an operator made it; a root an organisation brings is trusted only once an operator imports
//! it, with a label and a region that the reports name.

use eseal_certs::{inspect, Certificate};
use eseal_signer::validation::TrustAnchor;
use sqlx::AnyConnection;

use super::db::{new_id, now};
use super::error::{ApiError, ApiResult};
use super::pki::{cert_der, cert_from_der};
use super::store::trust_anchors::{self, AnchorSource};

/// Longest label or region.
const MAX_TEXT: usize = 200;

/// A label or region: trimmed, 1 to 200 characters, no control characters (they would reach
/// reports and HTML pages).
pub fn check_text<'a>(what: &str, text: &'a str) -> ApiResult<&'a str> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT || t.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(format!(
            "{what}: 1 to {MAX_TEXT} characters without control characters"
        )));
    }
    Ok(t)
}

/// A certificate fit to anchor trust: a CA certificate (basicConstraints cA), not expired.
pub fn check_anchor_certificate(cert: &Certificate) -> ApiResult<()> {
    if !inspect::is_ca(cert) {
        return Err(ApiError::Unprocessable(format!(
            "'{}' is not a CA certificate (basicConstraints cA is not set); only CA certificates \
             anchor trust",
            inspect::subject(cert)
        )));
    }
    if inspect::not_after(cert) < std::time::SystemTime::now() {
        return Err(ApiError::Unprocessable(format!(
            "'{}' expired; an expired root anchors nothing",
            inspect::subject(cert)
        )));
    }
    Ok(())
}

/// An anchor to add.
pub struct Anchor<'a> {
    pub certificate: &'a Certificate,
    pub label: &'a str,
    pub region: &'a str,
    pub source: AnchorSource,
    /// The platform CA it is the certificate of, if any.
    pub ca_id: Option<&'a str>,
}

/// Adds an anchor in force; a certificate anchored already is a conflict naming it.
pub async fn add(conn: &mut AnyConnection, a: Anchor<'_>) -> ApiResult<String> {
    let sha256 = inspect::fingerprint_sha256(a.certificate)?;
    if let Some(same) = trust_anchors::in_force_with(&mut *conn, &sha256).await? {
        return Err(ApiError::Conflict(format!(
            "this certificate is anchored already, as '{}' ({}; anchor {})",
            same.label, same.region, same.id
        )));
    }
    let id = new_id("anchor");
    let der = cert_der(a.certificate)?;
    trust_anchors::insert(
        &mut *conn,
        trust_anchors::NewAnchor {
            id: &id,
            label: a.label,
            region: a.region,
            source: a.source,
            certificate: &der,
            sha256: &sha256,
            ca_id: a.ca_id,
            created_at: now(),
        },
    )
    .await?;
    Ok(id)
}

/// Makes the platform's root CA `ca_id` a trust anchor, labelled and in `region`; returns the
/// anchor's id.
pub async fn anchor_root(
    conn: &mut AnyConnection,
    ca_id: &str,
    label: &str,
    region: &str,
) -> ApiResult<String> {
    let ca = super::pki::load_ca(conn, ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("the new CA vanished"))?;
    add(
        conn,
        Anchor {
            certificate: &ca.certificate,
            label,
            region,
            source: AnchorSource::Platform,
            ca_id: Some(ca_id),
        },
    )
    .await
}

/// The anchors in force, each with the label and region reports name it by.
pub async fn anchors(conn: &mut AnyConnection) -> ApiResult<Vec<TrustAnchor>> {
    trust_anchors::active(&mut *conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok(TrustAnchor {
                certificate: cert_from_der(&row.certificate)?,
                label: Some(row.label),
                region: Some(row.region),
            })
        })
        .collect()
}
