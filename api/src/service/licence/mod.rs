//! The licence registry (issue 7): issuing a licence from a catalogue template, its sealed
//! versions and their lifecycle (change, correction, replacement, cancellation), and what a
//! version's status means in plain words.
//!
//! - [`pdf`]: the calls into the licence PDF code (render, QR, digest, annotation stamp).
//! - [`holder`]: holder tokens and the credential of a request (API key or holder token).
//! - [`copy`]: grants and annotated copies; [`page`]: the public scan-to-verify page.
//!
//! A licence keeps one id for life; each version has its own GB/T 36904 identifier (the
//! version is part of it), its own sealed file and a status: `current`, `superseded` (by a
//! change), `corrected`, `replaced` or `cancelled` (the whole licence).

pub mod copy;
pub mod holder;
pub mod page;
pub mod pdf;
pub mod status_check;

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::audit::{self, NewEntry};
use super::auth::Caller;
use super::db::{new_id, now, rfc3339};
use super::engine;
use super::error::{ApiError, ApiResult};
use super::routes::seals::SealView;
use super::store::licence_types::{self, TypeRow};
use super::store::licences::{
    self, FileStatus, LicenceRow, LicenceStatus, VersionData, VersionFacts, VersionKind,
};
use super::store::{orgs, seals};
use super::Shared;

/// The request to issue a licence.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct NewLicence {
    /// A licence type code of the catalogue, e.g. `demo-business-licence`.
    #[serde(rename = "type")]
    pub kind: String,
    pub holder_name: String,
    /// The holder's code: a USCC for an organisation, a resident ID number for a person.
    pub holder_code: String,
    /// The template's data fields (text values).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// A new version: change (new fields), correction (fixed fields) or replacement (same data,
/// a new file). Absent values keep the current ones.
#[derive(Deserialize, ToSchema, Default)]
pub struct NewVersion {
    pub holder_name: Option<String>,
    pub holder_code: Option<String>,
    /// Fields to set (merged over the current ones).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    /// Why, for the record.
    pub reason: Option<String>,
}

/// What a lifecycle step makes of the old version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Change,
    Correct,
    Replace,
}

impl Step {
    /// The kind of the version the step makes.
    pub fn kind(self) -> VersionKind {
        match self {
            Step::Change => VersionKind::Changed,
            Step::Correct => VersionKind::Corrected,
            Step::Replace => VersionKind::Replaced,
        }
    }

    /// The old version's status after the step.
    pub fn old_status(self) -> FileStatus {
        match self {
            Step::Change => FileStatus::Superseded,
            Step::Correct => FileStatus::Corrected,
            Step::Replace => FileStatus::Replaced,
        }
    }

    /// The audit entry recording the step.
    fn audit_kind(self) -> &'static str {
        match self {
            Step::Change => "licence.changed",
            Step::Correct => "licence.corrected",
            Step::Replace => "licence.replaced",
        }
    }
}

/// A licence as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct LicenceView {
    pub id: String,
    /// The current version's identifier.
    pub identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub organization_id: String,
    pub holder_name: String,
    pub holder_code: String,
    #[schema(value_type = Object)]
    pub fields: Value,
    /// active or cancelled.
    #[schema(value_type = String)]
    pub status: LicenceStatus,
    pub version: i64,
    pub verify_url: String,
    pub cancelled_at: Option<String>,
    pub versions: Vec<VersionView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub identifier: String,
    /// issued, changed, corrected or replaced.
    #[schema(value_type = String)]
    pub kind: VersionKind,
    /// current, superseded, corrected, replaced or cancelled.
    #[schema(value_type = String)]
    pub status: FileStatus,
    pub sealed_digest: String,
    pub file_sha256: String,
    pub created_at: String,
}

/// The answer to issuing: the holder token is shown here once and stored hashed.
#[derive(Serialize, ToSchema)]
pub struct Issued {
    pub id: String,
    pub identifier: String,
    pub holder_token: String,
    #[schema(value_type = String)]
    pub status: LicenceStatus,
    pub version: i64,
    pub verify_url: String,
}

/// Where the QR code points: the public page of the identifier, with the sealed digest.
pub fn verify_url(base: &str, identifier: &str, digest: &str) -> String {
    format!("{base}/v/{identifier}?d={digest}")
}

pub(crate) fn check_text(what: &str, v: &str, max: usize) -> ApiResult<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{what}: 1 to {max} characters, no control characters"
        )));
    }
    Ok(t.to_string())
}

fn check_fields(fields: &Map<String, Value>) -> ApiResult<()> {
    if fields.len() > 64 {
        return Err(ApiError::BadRequest("fields: at most 64".into()));
    }
    for (k, v) in fields {
        check_text("a field name", k, 64)?;
        match v {
            Value::String(s) if s.chars().count() <= 2000 => {}
            Value::String(_) => {
                return Err(ApiError::BadRequest(format!(
                    "fields.{k}: at most 2000 characters"
                )))
            }
            _ => return Err(ApiError::BadRequest(format!("fields.{k}: values are text"))),
        }
    }
    Ok(())
}

/// Whether a type owned by `owner` (none: platform-wide) is in the catalogue of a caller whose
/// organisation and those above it are `lineage`. Operators see every type.
pub fn type_visible(caller: &Caller, lineage: &[String], owner: Option<&str>) -> bool {
    caller.is_operator() || owner.is_none_or(|o| lineage.iter().any(|l| l == o))
}

/// A type in the caller's catalogue (platform-wide, its organisation's own or one above it);
/// another organisation's type reads as absent.
async fn load_type(state: &Shared, caller: &Caller, code: &str) -> ApiResult<TypeRow> {
    let mut conn = state.db.acquire().await?;
    let lineage = orgs::lineage(&mut conn, &caller.organization_id).await?;
    licence_types::find(&mut *conn, code)
        .await?
        .filter(|t| type_visible(caller, &lineage, t.organization_id.as_deref()))
        .ok_or_else(|| ApiError::Unprocessable(format!("type: no licence type '{code}'")))
}

/// The issuer: its name, USCC and the seal it certifies licences with (its first active
/// organisation-wide official seal).
struct Issuer {
    name: String,
    uscc: String,
    seal: SealView,
}

async fn issuer(state: &Shared, caller: &Caller) -> ApiResult<Issuer> {
    let org = orgs::get(&state.db, &caller.organization_id).await?;
    let uscc = org.uscc.ok_or_else(|| {
        ApiError::Conflict("the issuing organisation has no unified social credit code".into())
    })?;
    let seal_id = seals::first_active_official(&state.db, &caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::Conflict("the issuing organisation has no active seal".into()))?;
    let seal = super::routes::seals::usable_seal(state, caller, &seal_id).await?;
    Ok(Issuer {
        name: org.name,
        uscc,
        seal,
    })
}

/// `len` characters of an alphabet without look-alikes (no 0/O, 1/I/L), from the OS's random
/// source: presentation codes and licence serials.
pub fn random_code(len: usize) -> ApiResult<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    // 256 is not a multiple of 31: bytes from 248 up are drawn again, so every character is
    // equally likely and the entropy is what the length says.
    const LIMIT: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(ApiError::internal)?;
        for b in raw.into_iter().filter(|b| *b < LIMIT) {
            if out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// A new serial for a licence: 12 random characters (about 59 bits), so public identifiers
/// cannot be enumerated by counting (`/v/...` answers for every identifier that exists).
/// A collision is caught by the identifiers' unique index.
fn new_serial() -> ApiResult<String> {
    random_code(SERIAL_LEN)
}

const SERIAL_LEN: usize = 12;

/// A sealed version, ready to store.
struct Made {
    identifier: String,
    content: Vec<u8>,
    digest: String,
    sha256: String,
}

/// What a version shows: who holds the licence, and its data.
struct Holding<'a> {
    holder_name: &'a str,
    holder_code: &'a str,
    fields: &'a Map<String, Value>,
}

/// Renders, certifies with the issuer's seal, fills the QR code; the seal use is recorded.
async fn make_file(
    state: &Shared,
    caller: &Caller,
    (ty, iss): (&TypeRow, &Issuer),
    serial: &str,
    version: u32,
    h: &Holding<'_>,
) -> ApiResult<Made> {
    let identifier = pdf::identifier(&ty.type_code, &iss.uscc, serial, version)?;
    let material = state.seal_material(&iss.seal.id).await?;
    let base = state.config.public_base();
    let reason = format!("{} {identifier}", ty.name);
    let (template, id2) = (ty.template.clone(), identifier.clone());
    let (type_code, type_name, issuer_name, issuer_code) = (
        ty.type_code.clone(),
        ty.name.clone(),
        iss.name.clone(),
        iss.uscc.clone(),
    );
    let (holder_name, holder_code, fields) = (
        h.holder_name.to_string(),
        h.holder_code.to_string(),
        h.fields.clone(),
    );
    let (content, digest, in_hash) = super::parse_pool::run(move || -> ApiResult<_> {
        let rendered = pdf::render(
            &template,
            &pdf::Content {
                identifier: &id2,
                type_code: &type_code,
                type_name: &type_name,
                issuer_name: &issuer_name,
                issuer_code: &issuer_code,
                holder_name: &holder_name,
                holder_code: &holder_code,
                fields: &fields,
            },
        )?;
        let in_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&rendered.pdf));
        let opts = pdf::issuer_options(&rendered.template, material.appearance.clone(), reason);
        let mut out = Cursor::new(Vec::with_capacity(rendered.pdf.len() + 64 * 1024));
        engine::seal_with(&mut Cursor::new(&rendered.pdf), &mut out, &material, opts)?;
        let sealed = out.into_inner();
        let digest = pdf::sealed_digest(&sealed)?;
        let full = pdf::fill_qr(&sealed, &verify_url(&base, &id2, &digest))?;
        Ok((full, digest, in_hash))
    })
    .await?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content));
    let record = super::routes::seals::sealing_record(
        caller,
        &iss.seal,
        None,
        &in_hash,
        &sha256,
        content.len() as u64,
    );
    state.committer.record(record).await?;
    state.metrics.seal_applied();
    Ok(Made {
        identifier,
        content,
        digest,
        sha256,
    })
}

impl Made {
    /// Its `licence_files` row.
    fn file<'a>(
        &'a self,
        licence_id: &'a str,
        (version, kind, supersedes): (i64, VersionKind, Option<i64>),
        data: &'a VersionData<'a>,
        reason: Option<&'a str>,
    ) -> licences::NewFile<'a> {
        licences::NewFile {
            licence_id,
            version,
            kind,
            supersedes,
            data,
            sealed_digest: &self.digest,
            file_sha256: &self.sha256,
            content: &self.content,
            reason,
            created_at: now(),
        }
    }
}

/// Issues a licence: identifier, rendering, the issuer's certification seal, the QR code,
/// storage and the audit record.
pub async fn issue(state: &Shared, caller: &Caller, req: &NewLicence) -> ApiResult<Issued> {
    let holder_name = check_text("holder_name", &req.holder_name, 200)?;
    let holder_code = check_text("holder_code", &req.holder_code, 64)?;
    check_fields(&req.fields)?;
    let ty = load_type(state, caller, req.kind.trim()).await?;
    let iss = issuer(state, caller).await?;
    let serial = new_serial()?;
    let holding = Holding {
        holder_name: &holder_name,
        holder_code: &holder_code,
        fields: &req.fields,
    };
    let made = make_file(state, caller, (&ty, &iss), &serial, 1, &holding).await?;
    let id = new_id("lic");
    let token = holder::new_token()?;
    let fields = Value::Object(req.fields.clone()).to_string();
    let data = VersionData {
        identifier: &made.identifier,
        holder_name: &holder_name,
        holder_code: &holder_code,
        fields: &fields,
    };
    let mut tx = state.db.begin().await?;
    licences::insert(
        &mut *tx,
        licences::NewLicence {
            id: &id,
            kind: &ty.code,
            organization_id: &caller.organization_id,
            serial: &serial,
            data: &data,
            holder_token_hash: &holder::token_hash(&token),
            created_at: now(),
        },
    )
    .await?;
    let file = made.file(&id, (1, VersionKind::Issued, None), &data, None);
    licences::insert_file(&mut *tx, file).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.issued",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "identifier": made.identifier, "type": ty.code, "version": 1,
                "sealed_digest": made.digest, "file_sha256": made.sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Issued {
        id,
        verify_url: verify_url(&state.config.public_base(), &made.identifier, &made.digest),
        identifier: made.identifier,
        holder_token: token,
        status: LicenceStatus::Active,
        version: 1,
    })
}

/// The licence row, if the caller's organisation issued it (others: a logged 404).
pub async fn owned(state: &Shared, caller: &Caller, id: &str, action: &str) -> ApiResult<()> {
    match licences::issuer_of(&state.db, id).await? {
        None => Err(ApiError::NotFound(format!("no such licence '{id}'"))),
        Some(o) if o != caller.organization_id => {
            Err(caller.hidden(state, action, "licence").await)
        }
        Some(_) => Ok(()),
    }
}

/// What the new version holds: the request's values over the current ones.
struct NextVersion {
    holder_name: String,
    holder_code: String,
    fields: Map<String, Value>,
    reason: Option<String>,
}

/// Checks a lifecycle request against the licence: it must be active with fewer than 999
/// versions; a replacement keeps the fields, a change or correction must alter something.
fn next_version(r: &LicenceRow, step: Step, req: &NewVersion) -> ApiResult<NextVersion> {
    if r.status != LicenceStatus::Active {
        return Err(ApiError::Conflict(format!("the licence is {}", r.status)));
    }
    if r.version >= 999 {
        return Err(ApiError::Conflict("the licence has 999 versions".into()));
    }
    let holder_name = match &req.holder_name {
        Some(n) => check_text("holder_name", n, 200)?,
        None => r.holder_name.clone(),
    };
    let holder_code = match &req.holder_code {
        Some(c) => check_text("holder_code", c, 64)?,
        None => r.holder_code.clone(),
    };
    let mut fields: Map<String, Value> =
        serde_json::from_str(&r.fields).map_err(ApiError::internal)?;
    if let Some(f) = &req.fields {
        check_fields(f)?;
        if step == Step::Replace {
            return Err(ApiError::BadRequest(
                "a replacement keeps the data; use change or correct to alter fields".into(),
            ));
        }
        for (k, v) in f {
            fields.insert(k.clone(), v.clone());
        }
    } else if step != Step::Replace && req.holder_name.is_none() && req.holder_code.is_none() {
        return Err(ApiError::BadRequest(
            "give the new fields (or holder_name, holder_code)".into(),
        ));
    }
    let reason = match &req.reason {
        Some(x) => Some(check_text("reason", x, 500)?),
        None => None,
    };
    Ok(NextVersion {
        holder_name,
        holder_code,
        fields,
        reason,
    })
}

/// A new sealed version (change, correction, replacement); the old one gets its status.
pub async fn new_version(
    state: &Shared,
    caller: &Caller,
    id: &str,
    step: Step,
    req: &NewVersion,
) -> ApiResult<LicenceView> {
    owned(state, caller, id, step.kind().as_str()).await?;
    let r = licences::get(&state.db, id).await?;
    let next = next_version(&r, step, req)?;
    let ty = licence_types::find(&state.db, &r.kind)
        .await?
        .ok_or_else(|| ApiError::internal(format!("licence type '{}' vanished", r.kind)))?;
    let iss = issuer(state, caller).await?;
    let holding = Holding {
        holder_name: &next.holder_name,
        holder_code: &next.holder_code,
        fields: &next.fields,
    };
    let version = r.version + 1;
    let made = make_file(
        state,
        caller,
        (&ty, &iss),
        &r.serial,
        version as u32,
        &holding,
    )
    .await?;
    store_version(state, caller, (id, r.version), step, &next, &made).await?;
    view(state, id).await
}

/// One transaction: the licence moves to the new version (unless someone changed it since
/// `old`), the old file gets its status, the new file is stored and the step logged.
async fn store_version(
    state: &Shared,
    caller: &Caller,
    (id, old): (&str, i64),
    step: Step,
    next: &NextVersion,
    made: &Made,
) -> ApiResult<()> {
    let fields = Value::Object(next.fields.clone()).to_string();
    let data = VersionData {
        identifier: &made.identifier,
        holder_name: &next.holder_name,
        holder_code: &next.holder_code,
        fields: &fields,
    };
    let (version, t) = (old + 1, now());
    let mut tx = state.db.begin().await?;
    if !licences::advance(&mut *tx, id, old, &data, t).await? {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the licence changed meanwhile; try again".into(),
        ));
    }
    licences::set_file_status(&mut *tx, id, old, step.old_status(), t).await?;
    let file = made.file(
        id,
        (version, step.kind(), Some(old)),
        &data,
        next.reason.as_deref(),
    );
    licences::insert_file(&mut *tx, file).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: step.audit_kind(),
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(id),
            details: json!({ "identifier": made.identifier, "version": version, "supersedes": old,
                "reason": next.reason, "sealed_digest": made.digest, "file_sha256": made.sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels a licence (注销): every version then verifies as cancelled.
pub async fn cancel(
    state: &Shared,
    caller: &Caller,
    id: &str,
    reason: Option<String>,
) -> ApiResult<LicenceView> {
    owned(state, caller, id, "cancel licence").await?;
    let reason = match reason {
        Some(x) => Some(check_text("reason", &x, 500)?),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    if !licences::cancel(&mut tx, id, reason.as_deref(), now()).await? {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the licence is cancelled already".into(),
        ));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.cancelled",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(id),
            details: json!({ "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    view(state, id).await
}

/// The licence and its versions (no access check: callers check first).
pub async fn view(state: &Shared, id: &str) -> ApiResult<LicenceView> {
    let r = licences::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such licence '{id}'")))?;
    let versions: Vec<VersionView> = licences::versions(&state.db, id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            identifier: v.identifier,
            kind: v.kind,
            status: v.status,
            sealed_digest: v.sealed_digest,
            file_sha256: v.file_sha256,
            created_at: rfc3339(v.created_at),
        })
        .collect();
    let digest = versions
        .iter()
        .find(|v| v.identifier == r.identifier)
        .map(|v| v.sealed_digest.clone())
        .unwrap_or_default();
    Ok(LicenceView {
        verify_url: verify_url(&state.config.public_base(), &r.identifier, &digest),
        id: r.id,
        identifier: r.identifier,
        kind: r.kind,
        organization_id: r.organization_id,
        holder_name: r.holder_name,
        holder_code: r.holder_code,
        fields: serde_json::from_str(&r.fields).unwrap_or(Value::Null),
        status: r.status,
        version: r.version,
        cancelled_at: r.cancelled_at.map(rfc3339),
        versions,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    })
}

/// The current file of a licence and its version.
pub async fn current_file(state: &Shared, id: &str) -> ApiResult<(i64, Vec<u8>)> {
    licences::current_file(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such licence '{id}'")))
}

/// What a version's status means, for the verify report and the public page.
#[derive(Serialize, Clone, Debug, ToSchema)]
pub struct VersionStatus {
    pub licence_id: String,
    pub identifier: String,
    pub version: i64,
    pub current_version: i64,
    /// current, superseded, corrected, replaced or cancelled.
    #[schema(value_type = String)]
    pub status: FileStatus,
    /// The status in plain words.
    pub message: String,
    #[serde(skip)]
    pub type_name: String,
    #[serde(skip)]
    pub issuer_name: String,
    #[serde(skip)]
    pub issuer_code: Option<String>,
    #[serde(skip)]
    pub holder_name: String,
    #[serde(skip)]
    pub holder_code: String,
    #[serde(skip)]
    pub sealed_digest: String,
    #[serde(skip)]
    pub issued_at: i64,
}

fn day(t: i64) -> String {
    rfc3339(t).get(..10).unwrap_or_default().to_string()
}

/// The status of the version with this identifier, or `None` when there is none.
pub async fn version_status(state: &Shared, identifier: &str) -> ApiResult<Option<VersionStatus>> {
    let Some(f) = licences::version_facts(&state.db, identifier).await? else {
        return Ok(None);
    };
    let (status, message) = status_in_words(&f);
    Ok(Some(VersionStatus {
        licence_id: f.licence_id,
        identifier: f.identifier,
        version: f.version,
        current_version: f.current_version,
        status,
        message,
        type_name: f.type_name,
        issuer_name: f.issuer_name,
        issuer_code: f.issuer_code,
        holder_name: f.holder_name,
        holder_code: f.holder_code,
        sealed_digest: f.sealed_digest,
        issued_at: f.created_at,
    }))
}

/// What a version's status means: a cancelled licence cancels every version.
fn status_in_words(f: &VersionFacts) -> (FileStatus, String) {
    let (version, current) = (f.version, f.current_version);
    let changed = f.status_changed_at.unwrap_or(0);
    if f.licence_status == LicenceStatus::Cancelled {
        let at = f.cancelled_at.unwrap_or(changed);
        let tail = if version == current {
            String::new()
        } else {
            format!(" This file is version {version:03}; the last version was {current:03}.")
        };
        let message = format!(
            "This licence was cancelled on {}; it is no longer valid.{tail}",
            day(at)
        );
        return (FileStatus::Cancelled, message);
    }
    let message = match f.status {
        FileStatus::Current => format!("This licence is valid: version {version:03} is its current version."),
        FileStatus::Superseded => format!(
            "This version ({version:03}) was superseded by a change on {}; the current version is {current:03}.",
            day(changed)
        ),
        FileStatus::Corrected => format!(
            "This version ({version:03}) was corrected on {}; the current version is {current:03}.",
            day(changed)
        ),
        FileStatus::Replaced => format!(
            "This version ({version:03}) was replaced by a new licence file on {}; the current version is {current:03}.",
            day(changed)
        ),
        other => format!("This version's status is {other}."),
    };
    (f.status, message)
}

/// The licence version whose issuer-sealed revision has this digest.
pub async fn status_of_digest(state: &Shared, digest: &str) -> ApiResult<Option<VersionStatus>> {
    match licences::identifier_by_digest(&state.db, digest).await? {
        Some(id) => version_status(state, &id).await,
        None => Ok(None),
    }
}
