//! Group commit of seal uses. Every sealing must be in the store and in the audit log before
//! its client hears of it; committing each alone costs a transaction (and, on SQLite with
//! `synchronous=FULL`, an fsync) per request. Instead, handlers hand their record to one
//! committer task per process, which takes whatever has queued up (up to [`MAX_BATCH`]) and
//! writes it in ONE transaction: one tree-size update, one multi-row insert into the log, one
//! into `sealings`. Each handler is answered only after that commit succeeded, so the crash
//! guarantee holds: an acknowledged sealing is durable. Under no load a batch has one record
//! and the latency is that of a plain commit.

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::audit::{self, OwnedEntry};
use super::db::{now, placeholders};
use super::error::{ApiError, ApiResult};

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

/// Writes `records` inside the caller's transaction; returns the log index of the first (the
/// others follow in order).
pub async fn write(conn: &mut AnyConnection, records: &[&SealingRecord]) -> ApiResult<i64> {
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
    reply: oneshot::Sender<Result<i64, String>>,
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
                let result = commit_batch(&pool, &jobs).await.map_err(|e| {
                    tracing::error!(error = %e, records = jobs.len(), "group commit failed");
                    e.to_string()
                });
                for (i, job) in jobs.drain(..).enumerate() {
                    // A dropped receiver is a client gone before its answer: the record
                    // stays (committed, never acknowledged), which the crash test allows.
                    let _ = job.reply.send(result.clone().map(|first| first + i as i64));
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
            .map_err(ApiError::Internal)
    }
}

async fn commit_batch(pool: &AnyPool, jobs: &[Job]) -> ApiResult<i64> {
    let records: Vec<&SealingRecord> = jobs.iter().map(|j| &j.record).collect();
    let mut tx = pool.begin().await?;
    let first = write(&mut tx, &records).await?;
    tx.commit().await?;
    Ok(first)
}
