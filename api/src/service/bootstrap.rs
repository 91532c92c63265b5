//! First start: on an empty store, a demo CA hierarchy (P-256: province root → city CA), a
//! demo organisation with a valid USCC, its seal (certificate from the city CA), an admin API
//! key and the audit log's signing key. Writes `DATA/demo-admin.key` (the key, one line),
//! `DATA/demo-root.pem` (the trust anchor) and `DATA/log-key.pem` (the log's public key).
//!
//! Several processes may start against one PostgreSQL at once: the whole bootstrap is one
//! transaction that first inserts the `bootstrap` setting, so the losers wait and then skip.

use std::path::Path;

use eseal_certs::{Algorithm, SigningKey, SoftwareKey};
use eseal_signer::ses::SealType;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::audit::{self, NewEntry};
use super::auth::{insert_api_key, Role};
use super::db::{new_id, now};
use super::error::{ApiError, ApiResult};
use super::pki::{self, SealSubject};
use super::store::orgs::{self, Level};
use super::store::seals::{self, KeyStore};
use super::store::{licence_types, relying_parties, settings};
use super::vault::Vault;

pub const DEMO_USCC: &str = "91350100M000100Y43";
pub const DEMO_ORG: &str = "Fuzhou Market Regulation Bureau";

/// What the first start created, for the usage note.
pub struct Demo {
    pub seal_id: String,
    pub organization_id: String,
}

pub async fn is_initialised(pool: &AnyPool) -> ApiResult<bool> {
    Ok(settings::get(pool, settings::BOOTSTRAP).await?.is_some())
}

async fn insert_org(
    conn: &mut AnyConnection,
    name: &str,
    uscc: Option<&str>,
    level: Level,
    parent: Option<&str>,
) -> ApiResult<String> {
    let id = new_id("org");
    orgs::insert(
        conn,
        orgs::NewOrg {
            id: &id,
            name,
            uscc,
            level,
            parent_id: parent,
            created_at: now(),
        },
    )
    .await?;
    Ok(id)
}

/// An active organisation-wide official seal for `org`: certificate from `ca`, key encrypted by
/// the vault. Returns the seal's id.
async fn official_seal(
    conn: &mut AnyConnection,
    vault: &Vault,
    ca: &pki::CaRecord,
    org: &str,
    subject: &SealSubject<'_>,
    crl_base: &str,
) -> ApiResult<String> {
    let (key, cert_id, _) =
        pki::issue_seal_certificate(&mut *conn, vault, ca, org, subject, crl_base).await?;
    let seal_id = new_id("seal");
    seals::insert(
        conn,
        seals::NewSeal {
            id: &seal_id,
            organization_id: org,
            department_id: None,
            name: subject.seal_name,
            kind: SealType::LegalName,
            certificate_id: &cert_id,
            key_pem: vault.seal_key(&key)?,
            image: None,
            key_store: KeyStore::Software,
            key_label: None,
            created_at: now(),
        },
    )
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
    if !settings::claim(&mut *tx, settings::BOOTSTRAP, &now().to_string()).await {
        // Another process bootstrapped concurrently.
        let _ = tx.rollback().await;
        return Ok(None);
    }
    let tree = demo_organisations(&mut tx).await?;
    let (root, city_ca) = demo_cas(&mut tx, vault, &tree, crl_base).await?;
    settings::insert(&mut *tx, settings::DEFAULT_CA, &city_ca.id).await?;
    let seal_name = format!("{DEMO_ORG} Official Seal");
    let subject = SealSubject {
        seal_name: &seal_name,
        organization: DEMO_ORG,
        unit: None,
        uscc: Some(DEMO_USCC),
    };
    let org = tree.demo;
    let seal_id = official_seal(&mut tx, vault, &city_ca, &org, &subject, crl_base).await?;
    let (key_id, admin_key) =
        insert_api_key(&mut tx, &org, None, Role::Admin, "demo admin").await?;
    let log_pub_sha256 = new_log_key(&mut tx, vault).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "service.initialised",
            organization_id: Some(&org),
            actor: "system",
            subject: Some(&seal_id),
            details: json!({
                "root_ca": root.id, "city_ca": city_ca.id, "seal": seal_id,
                "admin_key": key_id, "log_key_spki_sha256": log_pub_sha256,
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

/// The demo organisations: a province, a city below it and the demo organisation below
/// that, with two departments.
struct DemoTree {
    province: String,
    city: String,
    demo: String,
}

async fn demo_organisations(conn: &mut AnyConnection) -> ApiResult<DemoTree> {
    let province = "Fujian Province Data Administration";
    let province = insert_org(conn, province, None, Level::Province, None).await?;
    let city = "Fuzhou City Data Administration";
    let city = insert_org(conn, city, None, Level::City, Some(&province)).await?;
    let demo = insert_org(conn, DEMO_ORG, Some(DEMO_USCC), Level::City, Some(&city)).await?;
    for name in ["Licensing Division", "Legal Affairs Division"] {
        let department = orgs::NewDepartment {
            id: &new_id("dept"),
            organization_id: &demo,
            name,
            level: Level::City,
            created_at: now(),
        };
        orgs::insert_department(&mut *conn, department).await?;
    }
    Ok(DemoTree {
        province,
        city,
        demo,
    })
}

/// The demo CA hierarchy: the province's root CA and the city's CA below it.
async fn demo_cas(
    conn: &mut AnyConnection,
    vault: &Vault,
    tree: &DemoTree,
    crl_base: &str,
) -> ApiResult<(pki::CaRecord, pki::CaRecord)> {
    let root = (
        tree.province.as_str(),
        "Fujian Province Root CA",
        "province",
    );
    let root = new_ca(conn, vault, root, None, crl_base).await?;
    let city = (tree.city.as_str(), "Fuzhou City CA", "city");
    let city = new_ca(conn, vault, city, Some(&root), crl_base).await?;
    Ok((root, city))
}

/// A new CA of `org`, named `name` at `level`, as stored.
async fn new_ca(
    conn: &mut AnyConnection,
    vault: &Vault,
    (org, name, level): (&str, &str, &str),
    parent: Option<&pki::CaRecord>,
    crl_base: &str,
) -> ApiResult<pki::CaRecord> {
    let id = pki::create_ca(conn, vault, org, name, level, parent, crl_base).await?;
    pki::load_ca(conn, &id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("{name} vanished")))
}

/// A new signing key for the audit log, stored vault-encrypted; returns the SHA-256 of its
/// public key (hex) for the record.
async fn new_log_key(conn: &mut AnyConnection, vault: &Vault) -> ApiResult<String> {
    let log_key = SoftwareKey::generate(Algorithm::P256)?;
    let log_pub = log_key.public_key().to_spki_der()?;
    settings::insert(&mut *conn, settings::LOG_KEY, &vault.seal_key(&log_key)?).await?;
    Ok(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        &log_pub,
    )))
}

/// The platform organisation and its seal for annotated copies (certificate from the default
/// CA), recorded as the `platform_seal` setting; returns both ids.
async fn platform_seal(
    conn: &mut AnyConnection,
    vault: &Vault,
    crl_base: &str,
) -> ApiResult<(String, String)> {
    let ca_id = settings::require(&mut *conn, settings::DEFAULT_CA).await?;
    let ca = pki::load_ca(conn, &ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("default CA vanished"))?;
    let platform = insert_org(conn, PLATFORM_ORG, None, Level::Province, None).await?;
    let seal_name = format!("{PLATFORM_ORG} Annotation Seal");
    let subject = SealSubject {
        seal_name: &seal_name,
        organization: PLATFORM_ORG,
        unit: None,
        uscc: None,
    };
    let seal_id = official_seal(conn, vault, &ca, &platform, &subject, crl_base).await?;
    settings::insert(&mut *conn, settings::PLATFORM_SEAL, &seal_id).await?;
    Ok((platform, seal_id))
}

/// The audit log's signing key; also (re)writes `DATA/log-key.pem` elsewhere via the API.
pub async fn log_key(pool: &AnyPool, vault: &Vault) -> ApiResult<SoftwareKey> {
    let pem = settings::require(pool, settings::LOG_KEY).await?;
    Ok(vault.open_key(&pem)?)
}

/// Tells the operator how to use the demo (the key file's path, never the key itself).
pub fn print_usage(data: &Path, addr: &str, demo: &Demo) {
    let d = data.display();
    tracing::info!(organization = %demo.organization_id, seal = %demo.seal_id, "first start: demo CA hierarchy, organisation, seal and admin API key created");
    eprintln!(
        "\nFirst start: created a demo CA hierarchy (Fujian Province Root CA -> Fuzhou City CA),\n\
         the organisation '{DEMO_ORG}' (USCC {DEMO_USCC}) with seal {seal}, and an admin API key.\n\
         \n  admin API key:  {d}/demo-admin.key\n  operator key:   {d}/demo-operator.key (root CAs, trust anchors, relying parties)\n  trust anchor:   {d}/demo-root.pem\n\n\
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
    if settings::get(pool, settings::LICENCE_DEMO).await?.is_some() {
        return Ok(());
    }
    let ty = super::licence::pdf::demo_type()?;
    let mut tx = pool.begin().await?;
    if !settings::claim(&mut *tx, settings::LICENCE_DEMO, &now().to_string()).await {
        let _ = tx.rollback().await;
        return Ok(());
    }
    let demo_type = licence_types::NewType {
        code: DEMO_LICENCE_TYPE,
        name: &ty.name,
        type_code: &ty.type_code,
        authority_name: &ty.authority_name,
        authority_code: &ty.authority_code,
        template: &ty.template,
        metadata_fields: &ty.fields,
        organization_id: None,
        created_at: now(),
    };
    licence_types::insert(&mut *tx, demo_type).await?;
    let (platform, seal_id) = platform_seal(&mut tx, vault, crl_base).await?;
    let agency = insert_org(&mut tx, DEMO_AGENCY, None, Level::City, None).await?;
    let (key_id, agency_key) = insert_api_key(
        &mut tx,
        &agency,
        None,
        Role::Verifier,
        "demo relying agency",
    )
    .await?;
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

/// The region of the demo's root.
pub const DEMO_REGION: &str = "CN-FJ";

/// The operator's set-up (issue 14), once per store, also for stores made before it existed:
/// an operator API key for the platform organisation, written to `DATA/demo-operator.key`;
/// the first start's root CA as the platform's trust anchor (a root an organisation made
/// stays untrusted until an operator adds it); and the demo agency as a registered relying
/// party. One transaction claimed by the `operator_demo` setting.
pub async fn ensure_operator(pool: &AnyPool, data: &Path) -> ApiResult<()> {
    if settings::get(pool, settings::OPERATOR_DEMO)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if !settings::claim(&mut *tx, settings::OPERATOR_DEMO, &now().to_string()).await {
        let _ = tx.rollback().await;
        return Ok(());
    }
    let platform_seal = settings::require(&mut *tx, settings::PLATFORM_SEAL).await?;
    let platform = seals::organization_of(&mut *tx, &platform_seal)
        .await?
        .ok_or_else(|| ApiError::internal("the platform seal is missing"))?;
    let (key_id, operator_key) =
        insert_api_key(&mut tx, &platform, None, Role::Operator, "demo operator").await?;
    let root = demo_root(&mut tx).await?;
    let anchor = super::trust::anchor_root(&mut tx, &root.id, &root.name, DEMO_REGION).await?;
    let agency = orgs::named(&mut *tx, DEMO_AGENCY).await?;
    if let Some(agency) = &agency {
        relying_parties::insert(&mut *tx, agency, DEMO_AGENCY, now()).await?;
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "operator.demo.created",
            organization_id: None,
            actor: "system",
            subject: Some(&key_id),
            details: json!({ "operator_key": key_id, "platform_organization": platform,
                "trust_anchor": anchor, "root_ca": root.id, "region": DEMO_REGION,
                "relying_party": agency }),
        },
    )
    .await?;
    tx.commit().await?;
    eseal_certs::authority::write_file(
        &data.join("demo-operator.key"),
        format!("{operator_key}\n").as_bytes(),
        true,
    )?;
    tracing::info!(file = %data.join("demo-operator.key").display(),
        "operator key created; the first start's root is the platform's trust anchor");
    Ok(())
}

/// The root of the default CA's chain: the root the first start made.
async fn demo_root(conn: &mut AnyConnection) -> ApiResult<pki::CaRecord> {
    let mut id = settings::require(&mut *conn, settings::DEFAULT_CA).await?;
    loop {
        let ca = pki::load_ca(conn, &id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("CA {id} vanished")))?;
        match ca.parent_id.clone() {
            Some(parent) => id = parent,
            None => return Ok(ca),
        }
    }
}
