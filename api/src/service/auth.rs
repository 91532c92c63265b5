//! Authentication and authorisation: `Authorization: Bearer KEY`, where the store keeps only
//! SHA-256(KEY) in hex. A key belongs to an organisation (optionally one department) and has
//! one role. Every refusal is logged (tracing and an `access.denied` audit entry); objects of
//! other organisations answer 404, as if they did not exist.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, NewEntry};
use super::error::{ApiError, ApiResult};
use super::store::keys;
use super::Shared;

pub use super::store::keys::Role;

/// The roles that read an organisation's seals, certificates and documents.
pub const READERS: &[Role] = &[Role::Admin, Role::Sealer, Role::Auditor];

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key_id: String,
    pub organization_id: String,
    pub department_id: Option<String>,
    pub role: Role,
}

/// SHA-256 of an API key, hex: what the store keeps.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new API key: `esk_` and 32 random bytes in hex.
pub fn new_key() -> ApiResult<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(ApiError::internal)?;
    Ok(format!("esk_{}", hex::encode(raw)))
}

/// A new API key for `organization` (and `department`): the store keeps its hash; the secret
/// is returned once, with the key's id.
pub async fn insert_api_key(
    conn: &mut sqlx::AnyConnection,
    organization: &str,
    department: Option<&str>,
    role: Role,
    name: &str,
) -> ApiResult<(String, String)> {
    let id = crate::service::db::new_id("key");
    let key = new_key()?;
    keys::insert(
        conn,
        keys::NewKey {
            id: &id,
            key_hash: &key_hash(&key),
            organization_id: organization,
            department_id: department,
            role,
            name,
            created_at: crate::service::db::now(),
        },
    )
    .await?;
    Ok((id, key))
}

/// The `access.denied` audit entry of a refused request; the refusal is traced as it is made.
pub fn denial<'a>(
    organization_id: Option<&'a str>,
    actor: &'a str,
    subject: Option<&'a str>,
    action: &str,
    status: u16,
    reason: &str,
) -> NewEntry<'a> {
    tracing::warn!(actor, action, status, reason, "request denied");
    NewEntry {
        kind: "access.denied",
        organization_id,
        actor,
        subject,
        details: json!({ "action": action, "status": status, "reason": reason }),
    }
}

/// Records a refused request.
pub async fn record_denial(
    state: &Shared,
    caller: Option<&Caller>,
    action: &str,
    status: u16,
    reason: &str,
) {
    let actor = caller.map(|c| c.key_id.as_str()).unwrap_or("anonymous");
    let organization = caller.map(|c| c.organization_id.as_str());
    let entry = denial(organization, actor, None, action, status, reason);
    let r = audit::append_now(&state.db, entry).await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not record a denied request");
    }
}

/// A request refused before anyone was identified: a counter and a log line, never an audit
/// entry each (anonymous traffic must not grow the append-only log without bound).
fn anonymous_denial(state: &Shared, action: &str, reason: &'static str) {
    state.metrics.anonymous_denied(reason);
    tracing::info!(%action, reason, "request denied: no valid API key");
}

impl Caller {
    /// Refuses (403, logged) unless the caller has one of `roles`.
    pub async fn require(&self, state: &Shared, action: &str, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let reason = format!("role {} may not {action}", self.role.as_str());
        record_denial(state, Some(self), action, 403, &reason).await;
        Err(ApiError::Forbidden(reason))
    }

    /// An admin of the whole organisation: the actions that bind it as a whole (CAs and
    /// certificates, licences and their types, departments, child organisations).
    pub async fn require_org_admin(&self, state: &Shared, action: &str) -> ApiResult<()> {
        self.require(state, action, &[Role::Admin]).await?;
        self.require_scope(state, action, None).await
    }

    /// A department-scoped key acts within its department only: on what belongs to that
    /// department (`target`), never on what is organisation-wide (`None`) or another
    /// department's. A key of the whole organisation may act on all of it. Refusals are 403
    /// and logged.
    pub async fn require_scope(
        &self,
        state: &Shared,
        action: &str,
        target: Option<&str>,
    ) -> ApiResult<()> {
        let Some(own) = self.department_id.as_deref() else {
            return Ok(());
        };
        if target == Some(own) {
            return Ok(());
        }
        let reason = match target {
            None => format!("a department's key may not {action} for the whole organisation"),
            Some(_) => format!("a department's key may not {action} for another department"),
        };
        record_denial(state, Some(self), action, 403, &reason).await;
        Err(ApiError::Forbidden(reason))
    }

    /// The platform's operator: the decisions above organisations (root CAs, trust anchors,
    /// relying parties, platform-wide licence types). Refusals are 403 and logged.
    pub async fn require_operator(&self, state: &Shared, action: &str) -> ApiResult<()> {
        if self.role == Role::Operator {
            return Ok(());
        }
        let reason = format!("only the platform's operators may {action}");
        record_denial(state, Some(self), action, 403, &reason).await;
        Err(ApiError::Forbidden(reason))
    }

    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// The 404 for an object of another organisation, logged as a denial.
    pub async fn hidden(&self, state: &Shared, action: &str, what: &str) -> ApiError {
        record_denial(
            state,
            Some(self),
            action,
            404,
            &format!("{what} belongs to another organisation"),
        )
        .await;
        ApiError::NotFound(format!("no such {what}"))
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let action = format!("{} {}", parts.method, parts.uri.path());
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            anonymous_denial(state, &action, "no-key");
            return Err(ApiError::Unauthorized);
        };
        let hash = key_hash(token);
        if let Some(caller) = state.callers.get(&hash) {
            return Ok(caller);
        }
        let Some(row) = keys::live_by_hash(&state.db, &hash).await? else {
            anonymous_denial(state, &action, "unknown-key");
            return Err(ApiError::Unauthorized);
        };
        let caller = Caller {
            key_id: row.id,
            organization_id: row.organization_id,
            department_id: row.department_id,
            role: row.role,
        };
        state.callers.insert(hash, caller.clone());
        Ok(caller)
    }
}
