//! The service's RFC 3161 time-stamping authority (`POST /tsa`).
//!
//! Its key and certificate (critical EKU timeStamping, issued by the default CA) are made at
//! the first start that finds none, in one transaction that claims the `tsa` setting, so
//! processes starting together against one PostgreSQL end up with one TSA.
//!
//! Serial numbers come from a counter row (`tsa_state`, migration 0002) advanced with
//! `UPDATE ... RETURNING` inside the transaction that also appends the token to the audit
//! log. The database serialises the update, so two processes can never get the same number,
//! and a restart continues where the last one stopped. (A 128-bit random serial would need no
//! table, but "never repeats" would then rest on probability, and the audit log would not
//! show gaps; the counter makes both exact.)

use std::sync::Arc;
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use eseal_certs::issue::{self, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::{Algorithm, Certificate, SigningKey, SoftwareKey};
use eseal_signer::tsp::{Accuracy, Tsa};
use serde_json::json;
use sqlx::{AnyPool, Row};

use super::audit::{self, NewEntry};
use super::error::{ApiError, ApiResult};
use super::pki;
use super::store::{certificates, settings};
use super::vault::Vault;

/// The TSA's policy (TSTInfo.policy). 1.3.6.1.4.1.32473 is the enterprise number RFC 5612
/// reserves for examples: an operator publishing a real TSA policy replaces it with its own.
pub const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.3161.1");

/// The accuracy stated in every token: genTime is truncated to the second.
pub const ACCURACY: Accuracy = Accuracy {
    seconds: Some(1),
    millis: None,
    micros: None,
};

/// The TSA's key, certificate and the chain embedded in its tokens.
pub struct TsaMaterial {
    pub key: SoftwareKey,
    pub certificate: Certificate,
    pub chain: Vec<Certificate>,
}

/// Loads the TSA, creating it on the first start that finds none.
pub async fn ensure(pool: &AnyPool, vault: &Vault, crl_base: &str) -> ApiResult<Arc<TsaMaterial>> {
    if let Some(m) = load(pool, vault).await? {
        return Ok(m);
    }
    let mut tx = pool.begin().await?;
    let ca_id = settings::require(&mut *tx, settings::DEFAULT_CA).await?;
    let ca = pki::load_ca(&mut tx, &ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("the default CA is missing"))?;
    let ca_key = vault.open_key(&ca.key_pem)?;
    let key = SoftwareKey::generate(Algorithm::P256)?;
    let subject = SubjectName {
        country: Some("CN".into()),
        organization: Some("eseal".into()),
        ..SubjectName::common("eseal Time-Stamping Authority")
    }
    .to_name()
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut req = CertRequest::new(
        subject,
        key.public_key().clone(),
        CertKind::TimeStamping,
        1825,
    );
    req.crl_url = Some(pki::crl_url(crl_base, &ca.id));
    let cert = issue::issue(
        &Issuer {
            certificate: &ca.certificate,
            key: &ca_key,
        },
        &req,
    )?;
    let cert_id =
        pki::record_certificate(&mut tx, &ca.id, &ca.organization_id, &cert, "tsa").await?;
    let value =
        json!({ "certificate_id": cert_id, "ca_id": ca.id, "key_pem": vault.seal_key(&key)? });
    if !settings::claim(&mut *tx, settings::TSA, &value.to_string()).await {
        // Another process made the TSA first: use its.
        let _ = tx.rollback().await;
        return load(pool, vault)
            .await?
            .ok_or_else(|| ApiError::internal("the TSA vanished"));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "tsa.created",
            // A service-wide fact, readable by every organisation's auditors like the tokens.
            organization_id: None,
            actor: "system",
            subject: Some(&cert_id),
            details: json!({ "ca_id": ca.id, "serial": eseal_certs::inspect::serial_hex(&cert), "policy": TSA_POLICY.to_string() }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(certificate = %cert_id, "time-stamping authority created");
    load(pool, vault)
        .await?
        .ok_or_else(|| ApiError::internal("the TSA vanished"))
}

async fn load(pool: &AnyPool, vault: &Vault) -> ApiResult<Option<Arc<TsaMaterial>>> {
    let Some(text) = settings::get(pool, settings::TSA).await? else {
        return Ok(None);
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("tsa setting: {e}")))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| ApiError::internal(format!("tsa setting: no {k}")))
    };
    let (cert_id, ca_id, key_pem) = (field("certificate_id")?, field("ca_id")?, field("key_pem")?);
    let der = certificates::der(pool, &cert_id).await?;
    let mut conn = pool.acquire().await?;
    let chain = pki::ca_chain(&mut conn, &ca_id).await?;
    Ok(Some(Arc::new(TsaMaterial {
        key: vault.open_key(&key_pem)?,
        certificate: pki::cert_from_der(&der)?,
        chain,
    })))
}

/// Answer one DER TimeStampReq: a serial number from the counter, the token, and an audit
/// entry for it, in one transaction. Rejections (bad requests) take a serial but issue and
/// log nothing.
pub async fn respond(pool: &AnyPool, tsa: &TsaMaterial, request: &[u8]) -> ApiResult<Vec<u8>> {
    let mut tx = pool.begin().await?;
    let serial: i64 = sqlx::query(
        "UPDATE tsa_state SET last_serial = last_serial + 1 WHERE id = 1 RETURNING last_serial",
    )
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let serial =
        u64::try_from(serial).map_err(|_| ApiError::internal("TSA serial out of range"))?;
    let authority = Tsa {
        key: &tsa.key,
        certificate: &tsa.certificate,
        chain: &tsa.chain,
        policy: TSA_POLICY,
        accuracy: ACCURACY,
    };
    let answer = authority
        .respond(request, &serial.to_be_bytes(), SystemTime::now())
        .map_err(|e| ApiError::internal(format!("TSA: {e}")))?;
    if let Some(tst) = &answer.issued {
        use sha2::Digest;
        audit::append(
            &mut tx,
            NewEntry {
                kind: "tsa.token",
                organization_id: None,
                actor: "tsa",
                subject: Some(&serial.to_string()),
                details: json!({
                    "serial": serial,
                    "gen_time_unix": tst.gen_time.to_unix_duration().as_secs(),
                    "policy": TSA_POLICY.to_string(),
                    "imprint_algorithm": tst.message_imprint.hash_algorithm.oid.to_string(),
                    "imprint": hex::encode(tst.message_imprint.hashed_message.as_bytes()),
                    "response_sha256": hex::encode(sha2::Sha256::digest(&answer.der)),
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(answer.der)
}
