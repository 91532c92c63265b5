//! The audit log: every state change, every seal use and every denied request is appended as a
//! leaf of an RFC 9162 Merkle tree ([`super::merkle`]). Rows are never updated or deleted
//! (triggers in both databases refuse it).
//!
//! Appends serialise on the single `log_state` row: the transaction first increments
//! `tree_size` (a row lock in PostgreSQL, the write lock in SQLite), so processes sharing one
//! database agree on indices. The entry is canonical JSON (fields in a fixed order, no
//! whitespace); its leaf hash is `SHA-256(0x00 ‖ entry bytes)`.
//!
//! Signed tree head: the log key (P-256, ECDSA with SHA-256, DER signature in base64) signs the
//! 48 bytes `tree_size (u64 big-endian) ‖ timestamp (u64 big-endian, milliseconds since the Unix
//! epoch) ‖ root_hash (32 bytes)`. Hashes are lowercase hex in JSON.

use std::sync::Mutex;

use base64::Engine;
use eseal_certs::{PublicKey, SigningKey, SoftwareKey};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::error::{ApiError, ApiResult};
use super::merkle::{self, Hash};

/// One audit entry, as hashed (field order is the canonical order).
#[derive(Serialize, Deserialize, Clone, Debug, utoipa::ToSchema)]
pub struct Entry {
    pub index: i64,
    /// Unix seconds.
    pub time: i64,
    /// What happened, e.g. `seal.applied`, `seal.suspended`, `access.denied`.
    pub kind: String,
    pub organization_id: Option<String>,
    /// The API key id (never the key), or `anonymous`, or `system`.
    pub actor: String,
    /// The object acted on.
    pub subject: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// What a caller asks to append.
pub struct NewEntry<'a> {
    pub kind: &'a str,
    pub organization_id: Option<&'a str>,
    pub actor: &'a str,
    pub subject: Option<&'a str>,
    pub details: serde_json::Value,
}

/// An entry to append, owned (it may wait in the group committer's queue).
#[derive(Clone, Debug)]
pub struct OwnedEntry {
    pub kind: String,
    pub organization_id: Option<String>,
    pub actor: String,
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

impl From<NewEntry<'_>> for OwnedEntry {
    fn from(e: NewEntry<'_>) -> Self {
        OwnedEntry {
            kind: e.kind.to_string(),
            organization_id: e.organization_id.map(str::to_string),
            actor: e.actor.to_string(),
            subject: e.subject.map(str::to_string),
            details: e.details,
        }
    }
}

/// Appends inside the caller's transaction; returns the leaf index.
pub async fn append(conn: &mut AnyConnection, e: NewEntry<'_>) -> ApiResult<i64> {
    append_batch(conn, &[OwnedEntry::from(e)]).await
}

/// Takes the log's lock (the row every appender updates) for the rest of the caller's
/// transaction, so that what it reads next is ordered against every other append, in any
/// process sharing the database.
pub async fn lock(conn: &mut AnyConnection) -> ApiResult<()> {
    sqlx::query("UPDATE log_state SET tree_size = tree_size WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends `entries` in order inside the caller's transaction with one tree-size update and
/// one multi-row insert; returns the index of the first. The `UPDATE ... RETURNING` both
/// reserves the indices and takes the lock that orders appenders (across processes too).
pub async fn append_batch(conn: &mut AnyConnection, entries: &[OwnedEntry]) -> ApiResult<i64> {
    if entries.is_empty() {
        return Err(ApiError::internal("empty audit batch"));
    }
    let n = entries.len() as i64;
    let size: i64 = sqlx::query(
        "UPDATE log_state SET tree_size = tree_size + $1 WHERE id = 1 RETURNING tree_size",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let first = size - n;
    let time = super::db::now();
    let mut rows = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let entry = Entry {
            index: first + i as i64,
            time,
            kind: e.kind.clone(),
            organization_id: e.organization_id.clone(),
            actor: e.actor.clone(),
            subject: e.subject.clone(),
            details: e.details.clone(),
        };
        let text = serde_json::to_string(&entry).map_err(ApiError::internal)?;
        let leaf = merkle::leaf_hash(text.as_bytes());
        rows.push((entry, text, leaf));
    }
    let sql = format!(
        "INSERT INTO audit_log (idx, created_at, organization_id, kind, entry, leaf_hash) VALUES {}",
        super::db::placeholders(rows.len(), 6)
    );
    let mut q = sqlx::query(&sql);
    for (entry, text, leaf) in rows {
        q = q
            .bind(entry.index)
            .bind(entry.time)
            .bind(entry.organization_id)
            .bind(entry.kind)
            .bind(text)
            .bind(leaf.to_vec());
    }
    q.execute(&mut *conn).await?;
    Ok(first)
}

/// Appends in a transaction of its own.
pub async fn append_now(pool: &AnyPool, e: NewEntry<'_>) -> ApiResult<i64> {
    let mut tx = pool.begin().await?;
    let i = append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(i)
}

/// The committed leaf hashes, cached: the log is append-only, so a prefix once read stays true.
#[derive(Default)]
pub struct LeafCache {
    leaves: Mutex<Vec<Hash>>,
}

impl LeafCache {
    /// The current tree size and the leaves of that tree.
    pub async fn tree(&self, pool: &AnyPool) -> ApiResult<Vec<Hash>> {
        let size: i64 = sqlx::query("SELECT tree_size FROM log_state WHERE id = 1")
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        self.leaves_upto(pool, size).await
    }

    /// The first `size` leaves (which must be committed).
    pub async fn leaves_upto(&self, pool: &AnyPool, size: i64) -> ApiResult<Vec<Hash>> {
        let have = self.lock()?.len() as i64;
        if have < size {
            let rows = sqlx::query(
                "SELECT idx, leaf_hash FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            )
            .bind(have)
            .bind(size)
            .fetch_all(pool)
            .await?;
            let mut cache = self.lock()?;
            for row in rows {
                let idx: i64 = row.try_get(0)?;
                let h: Vec<u8> = row.try_get(1)?;
                if idx == cache.len() as i64 {
                    cache.push(
                        h.try_into()
                            .map_err(|_| ApiError::internal("bad leaf hash"))?,
                    );
                }
            }
        }
        let cache = self.lock()?;
        if (cache.len() as i64) < size {
            return Err(ApiError::internal("audit log has a gap"));
        }
        Ok(cache[..size as usize].to_vec())
    }

    fn lock(&self) -> ApiResult<std::sync::MutexGuard<'_, Vec<Hash>>> {
        self.leaves
            .lock()
            .map_err(|_| ApiError::internal("leaf cache poisoned"))
    }
}

/// A signed tree head.
#[derive(Serialize, Deserialize, Clone, Debug, utoipa::ToSchema)]
pub struct TreeHead {
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// MTH of the tree, lowercase hex.
    pub root_hash: String,
    /// ECDSA P-256 / SHA-256 signature (DER, base64) over the canonical serialisation.
    pub signature: String,
    /// Always `ecdsa-p256-sha256`.
    pub signature_algorithm: String,
}

/// The 48 signed bytes of a tree head.
pub fn tree_head_message(tree_size: u64, timestamp: u64, root: &Hash) -> Vec<u8> {
    let mut m = Vec::with_capacity(48);
    m.extend_from_slice(&tree_size.to_be_bytes());
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.extend_from_slice(root);
    m
}

pub fn sign_tree_head(key: &SoftwareKey, leaves: &[Hash]) -> ApiResult<TreeHead> {
    let root = merkle::root(leaves);
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let msg = tree_head_message(leaves.len() as u64, timestamp, &root);
    let sig = key.sign(&msg)?;
    Ok(TreeHead {
        tree_size: leaves.len() as u64,
        timestamp,
        root_hash: hex::encode(root),
        signature: base64::engine::general_purpose::STANDARD.encode(sig),
        signature_algorithm: "ecdsa-p256-sha256".into(),
    })
}

/// Checks a tree head's signature with the log's public key.
pub fn verify_tree_head(head: &TreeHead, key: &PublicKey) -> Result<Hash, String> {
    let root = parse_hash(&head.root_hash)?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&head.signature)
        .map_err(|e| format!("signature: {e}"))?;
    key.verify(
        &tree_head_message(head.tree_size, head.timestamp, &root),
        &sig,
    )
    .map_err(|e| format!("tree head signature: {e}"))?;
    Ok(root)
}

pub fn parse_hash(s: &str) -> Result<Hash, String> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| format!("'{s}' is not a 32-byte hex hash"))
}
