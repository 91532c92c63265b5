//! First start: on an empty store, a demo CA hierarchy (P-256: province root → city CA), a
//! demo organisation with a valid USCC, its seal (certificate from the city CA), an admin API
//! key and the audit log's signing key. Writes `DATA/demo-admin.key` (the key, one line),
//! `DATA/demo-root.pem` (the trust anchor) and `DATA/log-key.pem` (the log's public key).
//!
//! Several processes may start against one PostgreSQL at once: the whole bootstrap is one
//! transaction that first inserts the `bootstrap` setting, so the losers wait and then skip.

use std::path::Path;

use eseal_certs::{Algorithm, SigningKey, SoftwareKey};
use serde_json::json;
use sqlx::{AnyPool, Row};

use super::audit::{self, NewEntry};
use super::auth::insert_api_key;
use super::db::{new_id, now};
use super::error::{ApiError, ApiResult};
use super::pki::{self, SealSubject};
use super::vault::Vault;

pub const DEMO_USCC: &str = "91350100M000100Y43";
pub const DEMO_ORG: &str = "Fuzhou Market Regulation Bureau";

/// What the first start created, for the usage note.
pub struct Demo {
    pub seal_id: String,
    pub organization_id: String,
}

pub async fn is_initialised(pool: &AnyPool) -> ApiResult<bool> {
    Ok(
        sqlx::query("SELECT value FROM settings WHERE name = 'bootstrap'")
            .fetch_optional(pool)
            .await?
            .is_some(),
    )
}

async fn insert_org(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    uscc: Option<&str>,
    level: &str,
    parent: Option<&str>,
) -> ApiResult<String> {
    let id = new_id("org");
    sqlx::query(
        "INSERT INTO organizations (id, name, uscc, level, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(uscc)
    .bind(level)
    .bind(parent)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// An active organisation-wide official seal for `org`: certificate from `ca`, key encrypted by
/// the vault. Returns the seal's id.
async fn official_seal(
    conn: &mut sqlx::AnyConnection,
    vault: &Vault,
    ca: &pki::CaRecord,
    org: &str,
    subject: &SealSubject<'_>,
    crl_base: &str,
) -> ApiResult<String> {
    let (key, cert_id, _) =
        pki::issue_seal_certificate(&mut *conn, vault, ca, org, subject, crl_base).await?;
    let seal_id = new_id("seal");
    sqlx::query(
        "INSERT INTO seals (id, organization_id, department_id, name, kind, status, certificate_id, key_pem, image, created_at, updated_at) \
         VALUES ($1, $2, NULL, $3, 'official', 'active', $4, $5, NULL, $6, $6)",
    )
    .bind(&seal_id)
    .bind(org)
    .bind(subject.seal_name)
    .bind(&cert_id)
    .bind(vault.seal_key(&key)?)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(seal_id)
}

/// Creates the demo store when empty; `None` when it was there already.
pub async fn ensure(
    pool: &AnyPool,
    vault: &Vault,
    data: &Path,
    crl_base: &str,
) -> ApiResult<Option<Demo>> {
    if is_initialised(pool).await? {
        return Ok(None);
    }
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query("INSERT INTO settings (name, value) VALUES ('bootstrap', $1)")
        .bind(now().to_string())
        .execute(&mut *tx)
        .await;
    if claimed.is_err() {
        // Another process bootstrapped concurrently.
        let _ = tx.rollback().await;
        return Ok(None);
    }
    let province = insert_org(
        &mut tx,
        "Fujian Province Data Administration",
        None,
        "province",
        None,
    )
    .await?;
    let city = insert_org(
        &mut tx,
        "Fuzhou City Data Administration",
        None,
        "city",
        Some(&province),
    )
    .await?;
    let org = insert_org(&mut tx, DEMO_ORG, Some(DEMO_USCC), "city", Some(&city)).await?;
    for (name, level) in [
        ("Licensing Division", "city"),
        ("Legal Affairs Division", "city"),
    ] {
        sqlx::query("INSERT INTO departments (id, organization_id, name, level, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id("dept"))
            .bind(&org)
            .bind(name)
            .bind(level)
            .bind(now())
            .execute(&mut *tx)
            .await?;
    }
    let root_id = pki::create_ca(
        &mut tx,
        vault,
        &province,
        "Fujian Province Root CA",
        "province",
        None,
        crl_base,
    )
    .await?;
    let root = pki::load_ca(&mut tx, &root_id)
        .await?
        .ok_or_else(|| ApiError::internal("root CA vanished"))?;
    let city_ca_id = pki::create_ca(
        &mut tx,
        vault,
        &city,
        "Fuzhou City CA",
        "city",
        Some(&root),
        crl_base,
    )
    .await?;
    let city_ca = pki::load_ca(&mut tx, &city_ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("city CA vanished"))?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('default_ca', $1)")
        .bind(&city_ca_id)
        .execute(&mut *tx)
        .await?;
    let seal_name = format!("{DEMO_ORG} Official Seal");
    let seal_id = official_seal(
        &mut tx,
        vault,
        &city_ca,
        &org,
        &SealSubject {
            seal_name: &seal_name,
            organization: DEMO_ORG,
            unit: None,
            uscc: Some(DEMO_USCC),
        },
        crl_base,
    )
    .await?;
    let (key_id, admin_key) = insert_api_key(&mut tx, &org, None, "admin", "demo admin").await?;
    let log_key = SoftwareKey::generate(Algorithm::P256)?;
    let log_pub = log_key.public_key().to_spki_der()?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('log_key', $1)")
        .bind(vault.seal_key(&log_key)?)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "service.initialised",
            organization_id: Some(&org),
            actor: "system",
            subject: Some(&seal_id),
            details: json!({
                "root_ca": root_id, "city_ca": city_ca_id, "seal": seal_id,
                "admin_key": key_id, "log_key_spki_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&log_pub)),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    let write = |name: &str, text: &str, secret: bool| {
        eseal_certs::authority::write_file(&data.join(name), text.as_bytes(), secret)
    };
    write("demo-admin.key", &format!("{admin_key}\n"), true)?;
    write("demo-root.pem", &pki::cert_pem(&root.certificate)?, false)?;
    Ok(Some(Demo {
        seal_id,
        organization_id: org,
    }))
}

/// The audit log's signing key; also (re)writes `DATA/log-key.pem` elsewhere via the API.
pub async fn log_key(pool: &AnyPool, vault: &Vault) -> ApiResult<SoftwareKey> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'log_key'")
        .fetch_one(pool)
        .await?;
    let pem: String = row.try_get(0)?;
    Ok(vault.open_key(&pem)?)
}

/// Tells the operator how to use the demo (the key file's path, never the key itself).
pub fn print_usage(data: &Path, addr: &str, demo: &Demo) {
    let d = data.display();
    tracing::info!(organization = %demo.organization_id, seal = %demo.seal_id, "first start: demo CA hierarchy, organisation, seal and admin API key created");
    eprintln!(
        "\nFirst start: created a demo CA hierarchy (Fujian Province Root CA -> Fuzhou City CA),\n\
         the organisation '{DEMO_ORG}' (USCC {DEMO_USCC}) with seal {seal}, and an admin API key.\n\
         \n  admin API key:  {d}/demo-admin.key\n  trust anchor:   {d}/demo-root.pem\n\n\
         Try:\n  KEY=$(cat {d}/demo-admin.key)\n  \
         curl -s -H \"Authorization: Bearer $KEY\" http://{addr}/v1/seals\n  \
         curl -s -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/pdf' --data-binary @in.pdf \\\n      \
         'http://{addr}/v1/seals/{seal}/sign?page=1&x=400&y=80&w=113&h=113' -o sealed.pdf\n  \
         curl -s -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/pdf' --data-binary @sealed.pdf http://{addr}/v1/verify\n  \
         eseal verify sealed.pdf --trust {d}/demo-root.pem\n  \
         curl -s http://{addr}/v1/log/head\n\
         API documentation: http://{addr}/docs (OpenAPI: /openapi.json)\n",
        seal = demo.seal_id,
    );
}

pub const DEMO_LICENCE_TYPE: &str = "demo-business-licence";
pub const PLATFORM_ORG: &str = "Fujian Government Service Platform";
pub const DEMO_AGENCY: &str = "Fuzhou Housing Provident Fund Centre";

/// The licence demo (issue 7), once per store, also for stores made before it existed: the
/// licence type `demo-business-licence`, the platform organisation and its seal for annotated
/// copies (setting `platform_seal`), and a relying agency whose verifier key is written to
/// `DATA/demo-agency.key`. One transaction claimed by the `licence_demo` setting.
pub async fn ensure_licence_demo(
    pool: &AnyPool,
    vault: &Vault,
    data: &Path,
    crl_base: &str,
) -> ApiResult<()> {
    let done = sqlx::query("SELECT value FROM settings WHERE name = 'licence_demo'")
        .fetch_optional(pool)
        .await?
        .is_some();
    if done {
        return Ok(());
    }
    let ty = super::licence::pdf::demo_type()?;
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query("INSERT INTO settings (name, value) VALUES ('licence_demo', $1)")
        .bind(now().to_string())
        .execute(&mut *tx)
        .await;
    if claimed.is_err() {
        let _ = tx.rollback().await;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO licence_types (code, name, type_code, authority_name, authority_code, template, metadata_fields, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(DEMO_LICENCE_TYPE)
    .bind(&ty.name)
    .bind(&ty.type_code)
    .bind(&ty.authority_name)
    .bind(&ty.authority_code)
    .bind(&ty.template)
    .bind(serde_json::to_string(&ty.fields).map_err(ApiError::internal)?)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let ca_id: String = sqlx::query("SELECT value FROM settings WHERE name = 'default_ca'")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let ca = pki::load_ca(&mut tx, &ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("default CA vanished"))?;
    let platform = insert_org(&mut tx, PLATFORM_ORG, None, "province", None).await?;
    let seal_name = format!("{PLATFORM_ORG} Annotation Seal");
    let seal_id = official_seal(
        &mut tx,
        vault,
        &ca,
        &platform,
        &SealSubject {
            seal_name: &seal_name,
            organization: PLATFORM_ORG,
            unit: None,
            uscc: None,
        },
        crl_base,
    )
    .await?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('platform_seal', $1)")
        .bind(&seal_id)
        .execute(&mut *tx)
        .await?;
    let agency = insert_org(&mut tx, DEMO_AGENCY, None, "city", None).await?;
    let (key_id, agency_key) =
        insert_api_key(&mut tx, &agency, None, "verifier", "demo relying agency").await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.demo.created",
            organization_id: None,
            actor: "system",
            subject: Some(DEMO_LICENCE_TYPE),
            details: json!({ "licence_type": DEMO_LICENCE_TYPE, "type_code": ty.type_code,
                "platform_organization": platform, "platform_seal": seal_id,
                "agency_organization": agency, "agency_key": key_id }),
        },
    )
    .await?;
    tx.commit().await?;
    eseal_certs::authority::write_file(
        &data.join("demo-agency.key"),
        format!("{agency_key}\n").as_bytes(),
        true,
    )?;
    tracing::info!(file = %data.join("demo-agency.key").display(), agency = %agency,
        "licence demo: type {DEMO_LICENCE_TYPE}, platform seal and a relying agency key created");
    Ok(())
}
