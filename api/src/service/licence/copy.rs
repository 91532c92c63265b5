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
use sqlx::Row;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::pdf;
use crate::service::audit::{self, NewEntry};
use crate::service::auth::{record_denial, Caller};
use crate::service::db::{new_id, now, rfc3339};
use crate::service::engine;
use crate::service::error::{ApiError, ApiResult};
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
    pub status: String,
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

fn grant_view(state: &Shared, r: &sqlx::any::AnyRow) -> ApiResult<GrantView> {
    let id: String = r.try_get("id")?;
    let until: i64 = r.try_get("until_at")?;
    let status: String = r.try_get("status")?;
    let status = if status == "active" && until <= now() {
        "expired".to_string()
    } else {
        status
    };
    Ok(GrantView {
        copy_url: format!("{}/v1/grants/{id}/copy", state.config.public_base()),
        id,
        licence_id: r.try_get("licence_id")?,
        agency_id: r.try_get("agency_id")?,
        agency_name: r.try_get("agency_name")?,
        matter: r.try_get("matter")?,
        until: rfc3339(until),
        status,
        created_at: rfc3339(r.try_get("created_at")?),
        withdrawn_at: r.try_get::<Option<i64>, _>("withdrawn_at")?.map(rfc3339),
    })
}

const GRANT_SELECT: &str = "SELECT g.id, g.licence_id, g.agency_id, o.name AS agency_name, g.matter, g.until_at, g.status, g.created_at, g.withdrawn_at \
     FROM licence_grants g JOIN organizations o ON o.id = g.agency_id";

pub async fn load_grant(state: &Shared, id: &str) -> ApiResult<GrantView> {
    let r = sqlx::query(&format!("{GRANT_SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such grant '{id}'")))?;
    grant_view(state, &r)
}

/// The holder grants an agency (the caller checked the holder token).
pub async fn create_grant(
    state: &Shared,
    licence_id: &str,
    req: &NewGrant,
) -> ApiResult<GrantView> {
    let matter = req.matter.trim();
    if matter.is_empty() || matter.chars().count() > 200 || matter.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "matter: 1 to 200 characters, no control characters".into(),
        ));
    }
    let until = parse_until(&req.until)?;
    let t = now();
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
    let agency = req.agency.trim();
    let org: Option<String> =
        sqlx::query("SELECT id FROM organizations WHERE id = $1 OR name = $1 ORDER BY id LIMIT 1")
            .bind(agency)
            .fetch_optional(&state.db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    let org =
        org.ok_or_else(|| ApiError::Unprocessable(format!("agency: no organisation '{agency}'")))?;
    let r = sqlx::query("SELECT status, organization_id FROM licences WHERE id = $1")
        .bind(licence_id)
        .fetch_one(&state.db)
        .await?;
    let status: String = r.try_get(0)?;
    if status != "active" {
        return Err(ApiError::Conflict(format!("the licence is {status}")));
    }
    let issuer: String = r.try_get(1)?;
    let id = new_id("grant");
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO licence_grants (id, licence_id, agency_id, matter, until_at, status, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)",
    )
    .bind(&id)
    .bind(licence_id)
    .bind(&org)
    .bind(matter)
    .bind(until)
    .bind(t)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.grant.created",
            organization_id: Some(&issuer),
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
    let rows = sqlx::query(&format!(
        "{GRANT_SELECT} WHERE g.licence_id = $1 ORDER BY g.created_at, g.id"
    ))
    .bind(licence_id)
    .fetch_all(&state.db)
    .await?;
    rows.iter().map(|r| grant_view(state, r)).collect()
}

/// The holder withdraws a grant; later fetches are refused.
pub async fn withdraw(state: &Shared, grant: &GrantView) -> ApiResult<GrantView> {
    let t = now();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE licence_grants SET status = 'withdrawn', withdrawn_at = $1 WHERE id = $2 AND status = 'active'",
    )
    .bind(t)
    .bind(&grant.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Err(ApiError::Conflict("the grant is withdrawn already".into()));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.grant.withdrawn",
            organization_id: None,
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
    let grant = match load_grant(state, grant_id).await {
        Ok(g) => g,
        Err(ApiError::NotFound(m)) => return Err(refuse(state, caller, grant_id, m).await),
        Err(e) => return Err(e),
    };
    if grant.agency_id != caller.organization_id {
        return Err(refuse(
            state,
            caller,
            grant_id,
            "this grant is for another agency".into(),
        )
        .await);
    }
    match grant.status.as_str() {
        "active" => {}
        "withdrawn" => {
            return Err(refuse(
                state,
                caller,
                grant_id,
                "the holder withdrew this grant".into(),
            )
            .await)
        }
        _ => {
            return Err(refuse(
                state,
                caller,
                grant_id,
                format!("this grant expired on {}", grant.until),
            )
            .await)
        }
    }
    if let Some(m) = matter {
        if m.trim() != grant.matter {
            return Err(refuse(
                state,
                caller,
                grant_id,
                "this grant is for another matter (一事一查)".into(),
            )
            .await);
        }
    }
    let status: String = sqlx::query("SELECT status FROM licences WHERE id = $1")
        .bind(&grant.licence_id)
        .fetch_one(&state.db)
        .await?
        .try_get(0)?;
    if status != "active" {
        return Err(refuse(state, caller, grant_id, format!("the licence is {status}")).await);
    }
    let (version, content) = super::current_file(state, &grant.licence_id).await?;
    let until = parse_until(&grant.until)?;
    // The copy number is reserved first, so two concurrent copies never share one.
    let copy_id = new_id("copy");
    let mut tx = state.db.begin().await?;
    let number: i64 = sqlx::query(
        "SELECT COALESCE(MAX(copy_number), 0) + 1 FROM licence_copies WHERE licence_id = $1",
    )
    .bind(&grant.licence_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    sqlx::query(
        "INSERT INTO licence_copies (id, grant_id, licence_id, version, copy_number, expires_at, file_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7)",
    )
    .bind(&copy_id)
    .bind(&grant.id)
    .bind(&grant.licence_id)
    .bind(version)
    .bind(number)
    .bind(until)
    .bind(now())
    .execute(&mut *tx)
    .await
    .map_err(|_| ApiError::Conflict("another copy was made at the same moment; try again".into()))?;
    tx.commit().await?;
    let seal_id: String = sqlx::query("SELECT value FROM settings WHERE name = 'platform_seal'")
        .fetch_optional(&state.db)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| ApiError::internal("no platform seal in the store"))?;
    let material = state.seal_material(&seal_id).await?;
    let max_days = state.config.licence_copy_max_days as u32;
    let opts = pdf::annotation_options(
        &pdf::Stamp {
            purpose: &grant.matter,
            agency: &grant.agency_name,
            until,
            copy_number: u32::try_from(number).map_err(ApiError::internal)?,
        },
        max_days,
    )?;
    let out = tokio::task::spawn_blocking(move || -> ApiResult<Vec<u8>> {
        let mut out = Cursor::new(Vec::with_capacity(content.len() + 64 * 1024));
        engine::seal_with(&mut Cursor::new(&content), &mut out, &material, opts)?;
        Ok(out.into_inner())
    })
    .await
    .map_err(ApiError::internal)??;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&out));
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE licence_copies SET file_sha256 = $1 WHERE id = $2")
        .bind(&sha)
        .bind(&copy_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.copy.made",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&grant.licence_id),
            details: json!({ "grant_id": grant.id, "copy_number": number, "version": version,
                "matter": grant.matter, "until": grant.until, "platform_seal": seal_id, "file_sha256": sha }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((out, number))
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
