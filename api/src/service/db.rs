//! Storage: one sqlx `Any` pool over SQLite (the default, `DATA/eseal.db` in WAL mode) or
//! PostgreSQL, with one schema kept as two migration folders (`migrations/sqlite`,
//! `migrations/postgres`) because triggers and types differ. Queries use `$N` placeholders,
//! which both drivers accept. Times are Unix seconds; ids are random text.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects and brings the schema up to date.
pub async fn connect(url: &str) -> Result<(AnyPool, Dialect), String> {
    sqlx::any::install_default_drivers();
    let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Dialect::Postgres
    } else if url.starts_with("sqlite:") {
        owner_only_sqlite_files(url)?;
        Dialect::Sqlite
    } else {
        return Err("the database URL must start with sqlite: or postgres:".into());
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if dialect == Dialect::Sqlite { 8 } else { 16 })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    sqlx::query("PRAGMA busy_timeout = 30000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    // FULL: every commit survives a power cut. NORMAL (ESEAL_SQLITE_SYNCHRONOUS=
                    // normal) survives a crash or SIGKILL of the process, not of the machine,
                    // and lets WAL commits skip the fsync.
                    let normal = std::env::var("ESEAL_SQLITE_SYNCHRONOUS")
                        .is_ok_and(|v| v.eq_ignore_ascii_case("normal"));
                    let sync = if normal { "NORMAL" } else { "FULL" };
                    sqlx::query(&format!("PRAGMA synchronous = {sync}"))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    if dialect == Dialect::Sqlite {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await
            .map_err(|e| format!("cannot switch SQLite to WAL: {e}"))?;
    }
    let migrator = match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    };
    migrator
        .run(&pool)
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    Ok((pool, dialect))
}

/// The SQLite file holds names, identity numbers and licences: it is created readable by the
/// service's user only (SQLite gives its WAL and shared-memory files the database file's
/// mode), and an existing one is made so.
fn owner_only_sqlite_files(url: &str) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let db = std::path::Path::new(path);
    let err = |e: std::io::Error| format!("{}: {e}", db.display());
    if !db.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(db)
            .map_err(err)?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{path}{suffix}"));
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        }
    }
    Ok(())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A new random id with a readable prefix, e.g. `seal_3f9a…`.
pub fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 12];
    // getrandom only fails when the OS has no entropy source; the time then still differs.
    if getrandom::fill(&mut raw).is_err() {
        raw[..8].copy_from_slice(
            &SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                .to_be_bytes(),
        );
    }
    format!("{prefix}_{}", hex::encode(raw))
}

/// RFC 3339 UTC text for Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Optional text column.
pub fn opt_text(row: &AnyRow, col: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(col).ok().flatten()
}

/// `($1, .., $cols), ($cols+1, ..), ..` for a multi-row INSERT of `rows` rows.
pub fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * cols + c + 1));
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(super::placeholders(1, 2), "($1, $2)");
        assert_eq!(super::placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
