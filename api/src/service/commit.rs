//! Group commit of seal uses. Every sealing must be in the store and in the audit log before
//! its client hears of it; committing each alone costs a transaction (and, on SQLite with
//! `synchronous=FULL`, an fsync) per request. Instead, handlers hand their record to one
//! committer task per process, which takes whatever has queued up (up to [`MAX_BATCH`]) and
//! writes it in ONE transaction: one tree-size update, one multi-row insert into the log, one
//! into `sealings`. Each handler is answered only after that commit succeeded, so the crash
//! guarantee holds: an acknowledged sealing is durable. Under no load a batch has one record
//! and the latency is that of a plain commit.
//!
//! The same transaction is where a sealing is finally allowed: requests reach it through
//! short-lived caches of keys and seals, so [`write`] checks seal, certificate and key again
//! under the log's lock and refuses (and logs) what the store no longer allows.

use std::collections::{BTreeSet, HashSet};

use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::audit::{self, OwnedEntry};
use super::auth;
use super::db::{now, placeholders};
use super::error::{ApiError, ApiResult};
use super::store::certificates::CertificateStatus;
use super::store::seals::SealStatus;

/// At most this many sealings per transaction (bounds the statement's parameters: 640).
pub const MAX_BATCH: usize = 64;

/// A seal use to record: its `sealings` row and its audit entry.
pub struct SealingRecord {
    pub id: String,
    pub seal_id: String,
    pub organization_id: String,
    pub api_key_id: String,
    pub document_id: Option<String>,
    pub input_sha256: String,
    pub output_sha256: String,
    pub output_len: i64,
    pub entry: OwnedEntry,
}

/// Records what may still be recorded of `records` inside the caller's transaction: a
/// record whose seal is no longer active or whose seal certificate was revoked or has expired,
/// or whose API key was revoked, is refused (its error in the result); the others are written
/// and get their log index, in order.
///
/// The caches that let a request reach the commit without reading the database may be up to
/// [`crate::service::CACHE_TTL`] old, and another process sharing the database may have
/// suspended the seal meanwhile. So the check is made here, after the log is locked: a
/// suspension or revocation committed anywhere comes either before it (and the sealing is
/// refused) or after the sealing in the log.
pub async fn write(
    conn: &mut AnyConnection,
    records: &[&SealingRecord],
) -> ApiResult<Vec<ApiResult<i64>>> {
    audit::lock(conn).await?;
    let (active, valid) = still_usable(conn, records).await?;
    let verdicts: Vec<Option<ApiError>> = records
        .iter()
        .map(|r| {
            if !active.contains(&r.seal_id) {
                Some(ApiError::Conflict(format!(
                    "the seal {} cannot be applied: it is no longer active, or its certificate \
                     was revoked or has expired",
                    r.seal_id
                )))
            } else if !valid.contains(&r.api_key_id) {
                Some(ApiError::Unauthorized)
            } else {
                None
            }
        })
        .collect();
    let allowed: Vec<&SealingRecord> = records
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| v.is_none())
        .map(|(r, _)| *r)
        .collect();
    let mut next = if allowed.is_empty() {
        0
    } else {
        insert(conn, &allowed).await?
    };
    // Refusals are logged like every denied request, in the same transaction.
    let denials: Vec<OwnedEntry> = records
        .iter()
        .zip(&verdicts)
        .filter_map(|(r, v)| v.as_ref().map(|e| denial(r, e)))
        .collect();
    if !denials.is_empty() {
        audit::append_batch(conn, &denials).await?;
    }
    Ok(verdicts
        .into_iter()
        .map(|v| match v {
            Some(refused) => Err(refused),
            None => {
                next += 1;
                Ok(next - 1)
            }
        })
        .collect())
}

fn denial(r: &SealingRecord, refused: &ApiError) -> OwnedEntry {
    let reason = match refused {
        ApiError::Unauthorized => "the API key was revoked".to_string(),
        e => e.to_string(),
    };
    OwnedEntry::from(auth::denial(
        Some(&r.organization_id),
        &r.api_key_id,
        Some(&r.seal_id),
        "apply seal",
        refused.status().as_u16(),
        &reason,
    ))
}

/// Of the seals and keys of `records`: the seals still active with a valid, unexpired
/// certificate, and the keys not revoked.
async fn still_usable(
    conn: &mut AnyConnection,
    records: &[&SealingRecord],
) -> ApiResult<(HashSet<String>, HashSet<String>)> {
    let seals: BTreeSet<&str> = records.iter().map(|r| r.seal_id.as_str()).collect();
    let keys: BTreeSet<&str> = records.iter().map(|r| r.api_key_id.as_str()).collect();
    let list = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "SELECT 's' AS what, s.id FROM seals s JOIN certificates c ON c.id = s.certificate_id \
         WHERE s.status = '{active}' AND c.status = '{valid}' AND c.not_after > $1 AND s.id IN ({}) \
         UNION ALL SELECT 'k' AS what, id FROM api_keys WHERE revoked_at IS NULL AND id IN ({})",
        list(2, seals.len()),
        list(2 + seals.len(), keys.len()),
        active = SealStatus::Active,
        valid = CertificateStatus::Valid,
    );
    let mut q = sqlx::query(&sql).bind(now());
    for id in seals.iter().chain(keys.iter()) {
        q = q.bind(*id);
    }
    let (mut active, mut valid) = (HashSet::new(), HashSet::new());
    for row in q.fetch_all(&mut *conn).await? {
        let what: String = row.try_get("what")?;
        let id: String = row.try_get("id")?;
        if what == "s" {
            active.insert(id);
        } else {
            valid.insert(id);
        }
    }
    Ok((active, valid))
}

/// Writes `records` and their log entries; returns the log index of the first.
async fn insert(conn: &mut AnyConnection, records: &[&SealingRecord]) -> ApiResult<i64> {
    let entries: Vec<OwnedEntry> = records.iter().map(|r| r.entry.clone()).collect();
    let first = audit::append_batch(conn, &entries).await?;
    let sql = format!(
        "INSERT INTO sealings (id, seal_id, organization_id, api_key_id, document_id, input_sha256, output_sha256, output_len, log_index, created_at) VALUES {}",
        placeholders(records.len(), 10)
    );
    let mut q = sqlx::query(&sql);
    let t = now();
    for (i, r) in records.iter().enumerate() {
        q = q
            .bind(&r.id)
            .bind(&r.seal_id)
            .bind(&r.organization_id)
            .bind(&r.api_key_id)
            .bind(r.document_id.clone())
            .bind(&r.input_sha256)
            .bind(&r.output_sha256)
            .bind(r.output_len)
            .bind(first + i as i64)
            .bind(t);
    }
    q.execute(&mut *conn).await?;
    Ok(first)
}

struct Job {
    record: SealingRecord,
    reply: oneshot::Sender<ApiResult<i64>>,
}

/// The handle handlers send their records to.
pub struct Committer {
    queue: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer task on the current runtime.
    pub fn start(pool: AnyPool) -> Committer {
        let (queue, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
                let results = match commit_batch(&pool, &jobs).await {
                    Ok(results) => results,
                    Err(e) => {
                        tracing::error!(error = %e, records = jobs.len(), "group commit failed");
                        jobs.iter()
                            .map(|_| Err(ApiError::Internal(e.to_string())))
                            .collect()
                    }
                };
                for (job, result) in jobs.drain(..).zip(results) {
                    // A dropped receiver is a client gone before its answer: the record
                    // stays (committed, never acknowledged), which the crash test allows.
                    let _ = job.reply.send(result);
                }
            }
        });
        Committer { queue }
    }

    /// Records a sealing; returns its log index once it is committed.
    pub async fn record(&self, record: SealingRecord) -> ApiResult<i64> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { record, reply })
            .await
            .map_err(|_| ApiError::internal("the committer has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the committer has stopped"))?
    }
}

async fn commit_batch(pool: &AnyPool, jobs: &[Job]) -> ApiResult<Vec<ApiResult<i64>>> {
    let records: Vec<&SealingRecord> = jobs.iter().map(|j| &j.record).collect();
    let mut tx = pool.begin().await?;
    let results = write(&mut tx, &records).await?;
    tx.commit().await?;
    Ok(results)
}
