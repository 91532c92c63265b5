//! Holder authorisation (授权用证, 一事一查) and annotated copies (加注件).
//!
//! A grant lets one relying agency fetch one licence for one named matter until a date (at
//! most `licence_copy_max_days` ahead, 90 by default; a date in the past is refused). The
//! agency's fetch returns an annotated copy: the issuer's sealed file with one incremental
//! update in which the platform seal fills the prepared `licence-annotation` field, its
//! appearance stating purpose, agency, expiry and copy number. Filling a prepared signature
//! field is allowed by the issuer's DocMDP P=2, so the issuer's seal stays valid. Every
//! refusal is recorded in the audit log.

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::pdf;
use crate::service::audit::{self, NewEntry};
use crate::service::auth::{record_denial, Caller};
use crate::service::db::{new_id, now, rfc3339};
use crate::service::engine;
use crate::service::error::{ApiError, ApiResult};
use crate::service::store::grants::{self, GrantRow, GrantStatus};
use crate::service::store::licences::{self, LicenceStatus};
use crate::service::store::{relying_parties, settings};
use crate::service::Shared;

#[derive(Deserialize, ToSchema)]
pub struct NewGrant {
    /// The relying agency: its organisation id or its exact name.
    pub agency: String,
    /// The one matter the licence is used for (at most 200 characters).
    pub matter: String,
    /// RFC 3339 date-time, or a date (the end of that day, UTC).
    pub until: String,
}

#[derive(Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub licence_id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub matter: String,
    pub until: String,
    /// active, expired or withdrawn.
    #[schema(value_type = String)]
    pub status: GrantStatus,
    pub created_at: String,
    pub withdrawn_at: Option<String>,
    /// Where the agency fetches the annotated copy (with its own API key).
    pub copy_url: String,
}

/// Parses `until`: a date-time, or a date meaning the end of that day (UTC).
pub fn parse_until(s: &str) -> ApiResult<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .map(|d| {
            d.with_hms(23, 59, 59)
                .map(|t| t.assume_utc().unix_timestamp())
        })
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "until: '{s}' is not an RFC 3339 date-time or a date (YYYY-MM-DD)"
            ))
        })
}

fn grant_view(state: &Shared, g: GrantRow) -> GrantView {
    GrantView {
        copy_url: format!("{}/v1/grants/{}/copy", state.config.public_base(), g.id),
        status: g.status_at(now()),
        until: rfc3339(g.until_at),
        id: g.id,
        licence_id: g.licence_id,
        agency_id: g.agency_id,
        agency_name: g.agency_name,
        matter: g.matter,
        created_at: rfc3339(g.created_at),
        withdrawn_at: g.withdrawn_at.map(rfc3339),
    }
}

async fn find_grant(state: &Shared, id: &str) -> ApiResult<GrantRow> {
    grants::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such grant '{id}'")))
}

pub async fn load_grant(state: &Shared, id: &str) -> ApiResult<GrantView> {
    Ok(grant_view(state, find_grant(state, id).await?))
}

/// The matter of a grant: 1 to 200 characters, no control characters.
fn check_matter(matter: &str) -> ApiResult<&str> {
    let matter = matter.trim();
    if matter.is_empty() || matter.chars().count() > 200 || matter.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "matter: 1 to 200 characters, no control characters".into(),
        ));
    }
    Ok(matter)
}

/// The end of a grant: in the future, at most `licence_copy_max_days` ahead.
fn check_until(state: &Shared, until: &str, t: i64) -> ApiResult<i64> {
    let until = parse_until(until)?;
    if until <= t {
        return Err(ApiError::Unprocessable(format!(
            "until: {} is in the past; a grant must end in the future",
            rfc3339(until)
        )));
    }
    let max = state.config.licence_copy_max_days as i64;
    if until > t + max * 86_400 {
        return Err(ApiError::Unprocessable(format!(
            "until: a grant runs at most {max} days (until {} at the latest)",
            rfc3339(t + max * 86_400)
        )));
    }
    Ok(until)
}

/// The holder grants an agency (the caller checked the holder token).
pub async fn create_grant(
    state: &Shared,
    licence_id: &str,
    req: &NewGrant,
) -> ApiResult<GrantView> {
    let matter = check_matter(&req.matter)?;
    let t = now();
    let until = check_until(state, &req.until, t)?;
    let agency = req.agency.trim();
    let org = agency_named(state, agency).await?;
    let licence = licences::get(&state.db, licence_id).await?;
    if licence.status != LicenceStatus::Active {
        return Err(ApiError::Conflict(format!(
            "the licence is {}",
            licence.status
        )));
    }
    let id = new_id("grant");
    let mut tx = state.db.begin().await?;
    grants::insert(
        &mut *tx,
        grants::NewGrant {
            id: &id,
            licence_id,
            agency_id: &org,
            matter,
            until_at: until,
            created_at: t,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.grant.created",
            organization_id: Some(&licence.organization_id),
            actor: "holder",
            subject: Some(&id),
            details: json!({ "licence_id": licence_id, "agency_id": org, "matter": matter, "until": rfc3339(until) }),
        },
    )
    .await?;
    tx.commit().await?;
    load_grant(state, &id).await
}

pub async fn list_grants(state: &Shared, licence_id: &str) -> ApiResult<Vec<GrantView>> {
    let rows = grants::of_licence(&state.db, licence_id).await?;
    Ok(rows.into_iter().map(|g| grant_view(state, g)).collect())
}

/// The holder withdraws a grant; later fetches are refused.
pub async fn withdraw(state: &Shared, grant: &GrantView) -> ApiResult<GrantView> {
    // The entry belongs to the issuer's log, which its auditors read, and no one else's.
    let issuer = licences::issuer_of(&state.db, &grant.licence_id).await?;
    let mut tx = state.db.begin().await?;
    if !grants::withdraw(&mut *tx, &grant.id, now()).await? {
        tx.rollback().await?;
        return Err(ApiError::Conflict("the grant is withdrawn already".into()));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.grant.withdrawn",
            organization_id: issuer.as_deref(),
            actor: "holder",
            subject: Some(&grant.id),
            details: json!({ "licence_id": grant.licence_id }),
        },
    )
    .await?;
    tx.commit().await?;
    load_grant(state, &grant.id).await
}

async fn refuse(state: &Shared, caller: &Caller, grant: &str, reason: String) -> ApiError {
    record_denial(
        state,
        Some(caller),
        &format!("GET /v1/grants/{grant}/copy"),
        403,
        &reason,
    )
    .await;
    ApiError::Forbidden(reason)
}

/// An annotated copy for the agency named in the grant, for its matter, before its date.
pub async fn annotated_copy(
    state: &Shared,
    caller: &Caller,
    grant_id: &str,
    matter: Option<&str>,
) -> ApiResult<(Vec<u8>, i64)> {
    let grant = match copyable_grant(state, caller, grant_id, matter).await? {
        Ok(g) => g,
        Err(reason) => return Err(refuse(state, caller, grant_id, reason).await),
    };
    let (version, content) = super::current_file(state, &grant.licence_id).await?;
    // The copy number is reserved first, so two concurrent copies never share one.
    let copy_id = new_id("copy");
    let mut tx = state.db.begin().await?;
    let number = grants::reserve_copy(
        &mut tx,
        grants::NewCopy {
            id: &copy_id,
            grant_id: &grant.id,
            licence_id: &grant.licence_id,
            version,
            expires_at: grant.until_at,
            created_at: now(),
        },
    )
    .await?;
    tx.commit().await?;
    let (out, seal_id) = annotate(state, &grant, content, number).await?;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&out));
    let mut tx = state.db.begin().await?;
    grants::set_copy_sha256(&mut *tx, &copy_id, &sha).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.copy.made",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&grant.licence_id),
            details: json!({ "grant_id": grant.id, "copy_number": number, "version": version,
                "matter": grant.matter, "until": rfc3339(grant.until_at), "platform_seal": seal_id, "file_sha256": sha }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((out, number))
}

/// The grant if the caller may have a copy under it now, else why not (to refuse and log):
/// the grant exists, is for the caller's agency, is active, for this matter (when named),
/// and its licence is active.
async fn copyable_grant(
    state: &Shared,
    caller: &Caller,
    grant_id: &str,
    matter: Option<&str>,
) -> ApiResult<Result<GrantRow, String>> {
    let Some(grant) = grants::find(&state.db, grant_id).await? else {
        return Ok(Err(format!("no such grant '{grant_id}'")));
    };
    if grant.agency_id != caller.organization_id {
        return Ok(Err("this grant is for another agency".into()));
    }
    match grant.status_at(now()) {
        GrantStatus::Active => {}
        GrantStatus::Withdrawn => return Ok(Err("the holder withdrew this grant".into())),
        GrantStatus::Expired => {
            let until = rfc3339(grant.until_at);
            return Ok(Err(format!("this grant expired on {until}")));
        }
    }
    if matter.is_some_and(|m| m.trim() != grant.matter) {
        return Ok(Err("this grant is for another matter (一事一查)".into()));
    }
    let status = licences::get(&state.db, &grant.licence_id).await?.status;
    if status != LicenceStatus::Active {
        return Ok(Err(format!("the licence is {status}")));
    }
    Ok(Ok(grant))
}

/// The copy: the platform seal fills the prepared annotation field, its appearance stating
/// purpose, agency, expiry and copy number. Returns it with the platform seal's id.
async fn annotate(
    state: &Shared,
    grant: &GrantRow,
    content: Vec<u8>,
    number: i64,
) -> ApiResult<(Vec<u8>, String)> {
    let seal_id = settings::get(&state.db, settings::PLATFORM_SEAL)
        .await?
        .ok_or_else(|| ApiError::internal("no platform seal in the store"))?;
    let material = state.seal_material(&seal_id).await?;
    let max_days = state.config.licence_copy_max_days as u32;
    let opts = pdf::annotation_options(
        &pdf::Stamp {
            purpose: &grant.matter,
            agency: &grant.agency_name,
            until: grant.until_at,
            copy_number: u32::try_from(number).map_err(ApiError::internal)?,
        },
        max_days,
    )?;
    let out = crate::service::parse_pool::run(move || -> ApiResult<Vec<u8>> {
        let mut out = Cursor::new(Vec::with_capacity(content.len() + 64 * 1024));
        engine::seal_with(&mut Cursor::new(&content), &mut out, &material, opts)?;
        Ok(out.into_inner())
    })
    .await?;
    Ok((out, seal_id))
}

/// The relying party a holder names: by its organisation id, or by its registered name (names
/// are unique), so the copy never goes to an organisation the holder did not mean, nor to one
/// the operator has not registered.
async fn agency_named(state: &Shared, agency: &str) -> ApiResult<String> {
    relying_parties::by_id_or_name(&state.db, agency)
        .await?
        .map(|p| p.organization_id)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "agency: no registered relying party '{agency}' (GET /v1/relying-parties lists them)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::parse_until;

    #[test]
    fn until_is_a_date_time_or_the_end_of_a_day() {
        assert_eq!(parse_until("2026-12-31T00:00:00Z").unwrap(), 1_798_675_200);
        assert_eq!(parse_until("2026-12-31").unwrap(), 1_798_675_200 + 86_399);
        assert_eq!(
            parse_until("2026-12-31T08:00:00+08:00").unwrap(),
            1_798_675_200
        );
        for bad in ["", "tomorrow", "2026-13-01", "31/12/2026"] {
            assert!(parse_until(bad).is_err(), "{bad}");
        }
    }
}
