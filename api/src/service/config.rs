//! Configuration: command line over environment variables over `DATA/eseal.toml` over
//! defaults.
//!
//! | setting | flag | variable | file key | default |
//! |---|---|---|---|---|
//! | listen address | `--listen` | `ESEAL_LISTEN` | `listen` | `127.0.0.1:8080` |
//! | database URL | `--database` | `ESEAL_DATABASE_URL` | `database_url` | `sqlite://DATA/eseal.db` |
//! | body limit (MB) | | `ESEAL_BODY_LIMIT_MB` | `body_limit_mb` | 64 |
//! | request timeout (s) | | `ESEAL_REQUEST_TIMEOUT_SECS` | `request_timeout_secs` | 120 |
//! | log filter | | `ESEAL_LOG` | `log` | `info` |
//! | longest annotated-copy validity (days) | | `ESEAL_LICENCE_COPY_MAX_DAYS` | `licence_copy_max_days` | 90 |
//! | PKCS#11 module | | `ESEAL_PKCS11_MODULE` | `pkcs11_module` | none |
//! | PKCS#11 token label | | `ESEAL_PKCS11_TOKEN` | `pkcs11_token` | none |
//! | parses at once | | `ESEAL_PARSE_WORKERS` | `parse_workers` | the machine's cores |
//! | parses waiting beyond them (then 503) | | `ESEAL_PARSE_QUEUE` | `parse_queue` | 32 |
//! | time limit of one parse (s; then 422) | | `ESEAL_PARSE_TIMEOUT_SECS` | `parse_timeout_secs` | 10 |
//! | decoded stream bytes one verification may produce (MiB; then 422) | | `ESEAL_PARSE_DECODED_MIB` | `parse_decoded_mib` | 64 |
//! | public pages (`/v`, `/p`): requests per minute per client | | `ESEAL_PAGE_RATE_PER_MINUTE` | `page_rate_per_minute` | 60 |
//! | public pages: burst per client | | `ESEAL_PAGE_BURST` | `page_burst` | 20 |
//! | `POST /tsa`: requests per minute per client | | `ESEAL_TSA_RATE_PER_MINUTE` | `tsa_rate_per_minute` | 600 |
//! | `POST /tsa`: burst per client | | `ESEAL_TSA_BURST` | `tsa_burst` | 100 |
//! | period of the TSA's audit entry (s) | | `ESEAL_TSA_AUDIT_PERIOD_SECS` | `tsa_audit_period_secs` | 60 |
//! | time to send a request head (s) | | `ESEAL_HEADER_READ_TIMEOUT_SECS` | `header_read_timeout_secs` | 10 |
//! | idle keep-alive connection kept (s) | | `ESEAL_IDLE_TIMEOUT_SECS` | `idle_timeout_secs` | 60 |
//! | open connections at most | | `ESEAL_MAX_CONNECTIONS` | `max_connections` | 1024 |
//!
//! A rate of 0 per minute turns that limit off (behind a reverse proxy every client has the
//! proxy's address; limit there instead). What happens at each limit: [`super::parse_pool`],
//! [`super::rate_limit`], [`super::connections`], [`super::tsa`].
//!
//! The key passphrase is never read from the file: only `ESEAL_KEY_PASSPHRASE`, or the
//! generated `DATA/master.key`. Likewise the token's user PIN: only `ESEAL_PKCS11_PIN`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use super::connections::ConnectionSettings;
pub use super::parse_pool::ParseSettings;
pub use super::rate_limit::RateSettings;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    body_limit_mb: Option<usize>,
    request_timeout_secs: Option<u64>,
    log: Option<String>,
    licence_copy_max_days: Option<u64>,
    pkcs11_module: Option<PathBuf>,
    pkcs11_token: Option<String>,
    parse_workers: Option<u64>,
    parse_queue: Option<u64>,
    parse_timeout_secs: Option<u64>,
    parse_decoded_mib: Option<u64>,
    page_rate_per_minute: Option<u64>,
    page_burst: Option<u64>,
    tsa_rate_per_minute: Option<u64>,
    tsa_burst: Option<u64>,
    tsa_audit_period_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_connections: Option<u64>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub listen: String,
    pub database_url: String,
    pub body_limit: usize,
    pub request_timeout: std::time::Duration,
    pub log: String,
    /// The longest a holder's grant (and so an annotated copy) may run.
    pub licence_copy_max_days: u64,
    /// The PKCS#11 module and token label seals may keep their keys in (both or neither).
    pub pkcs11: Option<(PathBuf, String)>,
    /// Where and how long request bytes are parsed.
    pub parse: ParseSettings,
    /// Per-client limits of the anonymous routes.
    pub page_rate: RateSettings,
    pub tsa_rate: RateSettings,
    /// How often the TSA writes its one audit entry for the tokens issued since the last.
    pub tsa_audit_period: Duration,
    pub connections: ConnectionSettings,
}

impl Config {
    /// The base URL relying parties reach this service at (for CRL distribution points).
    pub fn public_base(&self) -> String {
        format!("http://{}", self.listen)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `ESEAL_TEST_PARSE_DELAY_MS`: every parse job first sleeps this long, so that tests can hold
/// the parse pool busy with ordinary documents. Honoured by debug builds only (the ones the
/// tests run); a release build never reads it.
fn test_parse_delay() -> Result<Option<Duration>, String> {
    if !cfg!(debug_assertions) {
        return Ok(None);
    }
    const VAR: &str = "ESEAL_TEST_PARSE_DELAY_MS";
    env(VAR)
        .map(|v| {
            v.parse()
                .map(Duration::from_millis)
                .map_err(|_| format!("{VAR}: expected a number, got '{v}'"))
        })
        .transpose()
}

impl Config {
    pub fn load(
        data: &Path,
        listen: Option<String>,
        database: Option<String>,
    ) -> Result<Self, String> {
        let file = data.join("eseal.toml");
        let fc: FileConfig = match std::fs::read_to_string(&file) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let num = |var: &str, file: Option<u64>, default: u64| -> Result<u64, String> {
            match env(var) {
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("{var}: expected a number, got '{v}'")),
                None => Ok(file.unwrap_or(default)),
            }
        };
        // Settings where 0 would mean "never serve anything".
        let positive = |var: &str, file: Option<u64>, default: u64| -> Result<u64, String> {
            match num(var, file, default)? {
                0 => Err(format!("{var}: must be at least 1")),
                n => Ok(n),
            }
        };
        let secs = |var: &str, file: Option<u64>, default: u64| -> Result<Duration, String> {
            positive(var, file, default).map(Duration::from_secs)
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u64);
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let rate = |(var_rate, file_rate, default_rate): (&str, Option<u64>, u64),
                    (var_burst, file_burst, default_burst): (&str, Option<u64>, u64)|
         -> Result<RateSettings, String> {
            Ok(RateSettings {
                per_minute: u32::try_from(num(var_rate, file_rate, default_rate)?)
                    .map_err(|_| format!("{var_rate}: too large"))?,
                burst: u32::try_from(positive(var_burst, file_burst, default_burst)?)
                    .map_err(|_| format!("{var_burst}: too large"))?,
            })
        };
        let parse = ParseSettings {
            workers: count(positive("ESEAL_PARSE_WORKERS", fc.parse_workers, cores)?),
            queue: count(num("ESEAL_PARSE_QUEUE", fc.parse_queue, 32)?),
            timeout: secs("ESEAL_PARSE_TIMEOUT_SECS", fc.parse_timeout_secs, 10)?,
            decoded_bytes: positive(
                "ESEAL_PARSE_DECODED_MIB",
                fc.parse_decoded_mib,
                crate::service::parse_pool::DEFAULT_DECODED_MIB,
            )?
            .saturating_mul(1024 * 1024),
            delay_for_tests: test_parse_delay()?,
        };
        let connections = ConnectionSettings {
            header_read_timeout: secs(
                "ESEAL_HEADER_READ_TIMEOUT_SECS",
                fc.header_read_timeout_secs,
                10,
            )?,
            idle_timeout: secs("ESEAL_IDLE_TIMEOUT_SECS", fc.idle_timeout_secs, 60)?,
            max_connections: count(positive("ESEAL_MAX_CONNECTIONS", fc.max_connections, 1024)?),
        };
        let page_rate = rate(
            ("ESEAL_PAGE_RATE_PER_MINUTE", fc.page_rate_per_minute, 60),
            ("ESEAL_PAGE_BURST", fc.page_burst, 20),
        )?;
        let tsa_rate = rate(
            ("ESEAL_TSA_RATE_PER_MINUTE", fc.tsa_rate_per_minute, 600),
            ("ESEAL_TSA_BURST", fc.tsa_burst, 100),
        )?;
        let tsa_audit_period = secs("ESEAL_TSA_AUDIT_PERIOD_SECS", fc.tsa_audit_period_secs, 60)?;
        let db_default = format!("sqlite://{}?mode=rwc", data.join("eseal.db").display());
        Ok(Config {
            parse,
            page_rate,
            tsa_rate,
            tsa_audit_period,
            connections,
            data: data.to_path_buf(),
            listen: listen
                .or_else(|| env("ESEAL_LISTEN"))
                .or(fc.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: database
                .or_else(|| env("ESEAL_DATABASE_URL"))
                .or(fc.database_url)
                .unwrap_or(db_default),
            body_limit: num(
                "ESEAL_BODY_LIMIT_MB",
                fc.body_limit_mb.map(|v| v as u64),
                64,
            )? as usize
                * 1024
                * 1024,
            request_timeout: std::time::Duration::from_secs(num(
                "ESEAL_REQUEST_TIMEOUT_SECS",
                fc.request_timeout_secs,
                120,
            )?),
            log: env("ESEAL_LOG").or(fc.log).unwrap_or_else(|| "info".into()),
            licence_copy_max_days: num(
                "ESEAL_LICENCE_COPY_MAX_DAYS",
                fc.licence_copy_max_days,
                90,
            )?
            .clamp(1, 3650),
            pkcs11: match (
                env("ESEAL_PKCS11_MODULE")
                    .map(PathBuf::from)
                    .or(fc.pkcs11_module),
                env("ESEAL_PKCS11_TOKEN").or(fc.pkcs11_token),
            ) {
                (Some(m), Some(t)) => Some((m, t)),
                (None, None) => None,
                _ => {
                    return Err(
                        "give both the PKCS#11 module (ESEAL_PKCS11_MODULE) and the token label (ESEAL_PKCS11_TOKEN), or neither"
                            .into(),
                    )
                }
            },
        })
    }

    /// The database URL without its password, for the log.
    pub fn database_for_log(&self) -> String {
        match self.database_url.split_once('@') {
            Some((head, tail)) => match head.rsplit_once(':') {
                Some((user, _)) if user.contains("//") => format!("{user}:***@{tail}"),
                _ => format!("{head}@{tail}"),
            },
            None => self.database_url.clone(),
        }
    }
}
