//! The eseal HTTP service (`eseal serve`): axum on tokio over SQLite or PostgreSQL.
//!
//! - [`config`]: flags, environment, `DATA/eseal.toml`.
//! - [`db`]: the pool and migrations; [`vault`]: keys encrypted at rest.
//! - [`bootstrap`]: the demo CA hierarchy, organisation, seal and admin key of a first start.
//! - [`auth`]: API keys and roles; [`audit`] and [`merkle`]: the RFC 9162 audit log.
//! - [`pki`] and [`engine`]: CAs, certificates, CRLs and sealing; [`routes`]: the HTTP API
//!   (OpenAPI at `/openapi.json`, a browsable page at `/docs`).
//! - [`licence`]: the licence registry: issuance, lifecycle, grants, annotated copies and
//!   the public scan-to-verify page.
//! - [`tsa`]: the RFC 3161 time-stamping authority at `POST /tsa`.
//! - Hostile load: [`connections`] (timeouts and a cap on connections), [`parse_pool`] (every
//!   parse of request bytes bounded in concurrency and time), [`rate_limit`] (per-client
//!   limits on the anonymous routes).

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod commit;
pub mod config;
pub mod connections;
pub mod db;
pub mod engine;
pub mod error;
pub mod licence;
pub mod merkle;
pub mod metrics;
pub mod parse_pool;
pub mod pki;
pub mod rate_limit;
pub mod routes;
pub mod store;
pub mod trust;
pub mod tsa;
pub mod vault;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use eseal_certs::{Pkcs11Token, SoftwareKey};
use sqlx::AnyPool;

pub use config::Config;
use pki::SealMaterial;
use vault::Vault;

/// Everything a request handler shares. Nothing here must be unique across processes: the
/// caches only hold what the database says and may be rebuilt at any time.
pub struct AppState {
    pub db: AnyPool,
    pub vault: Vault,
    pub metrics: metrics::Metrics,
    pub log_key: SoftwareKey,
    pub leaves: audit::LeafCache,
    pub seal_cache: Mutex<HashMap<String, Arc<SealMaterial>>>,
    /// CA keys decrypted for the OCSP responder, by CA id (scrypt per request is too slow).
    pub ca_key_cache: Mutex<HashMap<String, Arc<SoftwareKey>>>,
    pub committer: commit::Committer,
    /// The PKCS#11 token seals may keep their keys in, when configured.
    pub token: Option<Arc<Pkcs11Token>>,
    pub config: Config,
    /// The RFC 3161 TSA (`POST /tsa`).
    pub tsa: Arc<tsa::Authority>,
    /// Callers by the hash of their API key, and seals by id, as read for the last requests:
    /// most requests would otherwise pay two database round trips before their real work.
    /// Entries live [`CACHE_TTL`]; this process drops them at once when it changes them, and
    /// another process sharing the database sees a change within the TTL. Sealing never
    /// relies on them alone: the commit that records a seal use checks the seal and the key
    /// again (see [`commit`]).
    pub callers: moka::sync::Cache<String, auth::Caller>,
    pub seals: moka::sync::Cache<String, routes::seals::SealView>,
}

/// How long a cached caller or seal is believed.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

fn ttl_cache<V: Clone + Send + Sync + 'static>() -> moka::sync::Cache<String, V> {
    moka::sync::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(CACHE_TTL)
        .build()
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// The signing material of a seal, decrypted once per process.
    pub async fn seal_material(&self, seal_id: &str) -> error::ApiResult<Arc<SealMaterial>> {
        if let Some(m) = self
            .seal_cache
            .lock()
            .ok()
            .and_then(|c| c.get(seal_id).cloned())
        {
            return Ok(m);
        }
        let mut conn = self.db.acquire().await?;
        let vault = self.vault.clone();
        let m = pki::load_seal_material(&mut conn, &vault, self.token.as_ref(), seal_id).await?;
        if let Ok(mut c) = self.seal_cache.lock() {
            c.insert(seal_id.to_string(), m.clone());
        }
        Ok(m)
    }

    /// Drops a seal's cached material (after a suspension or revocation). Another process
    /// sharing the database keeps its copy, but every sealing checks the seal's status in the
    /// database first, so a suspended seal is refused everywhere.
    pub fn forget_seal(&self, seal_id: &str) {
        if let Ok(mut c) = self.seal_cache.lock() {
            c.remove(seal_id);
        }
        self.seals.invalidate(seal_id);
    }
}

/// The variable holding the PKCS#11 token's user PIN (never a file or a flag).
pub const PKCS11_PIN_VAR: &str = "ESEAL_PKCS11_PIN";

/// Runs the service until SIGTERM or ctrl-c.
pub fn run(config: Config) -> Result<(), String> {
    init_tracing(&config.log);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(serve(config))
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(config: Config) -> Result<(), String> {
    parse_pool::install(config.parse.clone())?;
    std::fs::create_dir_all(&config.data).map_err(|e| format!("{}: {e}", config.data.display()))?;
    tracing::info!(data = %config.data.display(), database = %config.database_for_log(), "starting");
    let (pool, _dialect) = db::connect(&config.database_url).await?;
    let ready = bootstrap::is_initialised(&pool)
        .await
        .map_err(|e| e.to_string())?;
    let (vault, source) = Vault::open(&config.data, !ready)?;
    log_passphrase_source(&config, source);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let demo = bootstrap::ensure(&pool, &vault, &config.data, &config.public_base())
        .await
        .map_err(|e| e.to_string())?;
    bootstrap::ensure_licence_demo(&pool, &vault, &config.data, &config.public_base())
        .await
        .map_err(|e| e.to_string())?;
    bootstrap::ensure_operator(&pool, &config.data)
        .await
        .map_err(|e| e.to_string())?;
    let log_key = bootstrap::log_key(&pool, &vault)
        .await
        .map_err(|e| e.to_string())?;
    let tsa = Arc::new(tsa::Authority::new(
        tsa::ensure(&pool, &vault, &config.public_base())
            .await
            .map_err(|e| e.to_string())?,
    ));
    tsa::spawn_accounting(pool.clone(), tsa.clone(), config.tsa_audit_period);
    if let Some(demo) = demo {
        bootstrap::print_usage(&config.data, &addr.to_string(), &demo);
    }
    let token = open_token(&config)?;
    let state = Arc::new(AppState {
        db: pool.clone(),
        vault,
        metrics: metrics::Metrics::default(),
        log_key,
        leaves: audit::LeafCache::default(),
        seal_cache: Mutex::new(HashMap::new()),
        ca_key_cache: Mutex::new(HashMap::new()),
        committer: commit::Committer::start(pool.clone()),
        callers: ttl_cache(),
        seals: ttl_cache(),
        token,
        config: config.clone(),
        tsa,
    });
    let app = routes::router(state.clone());
    tracing::info!(%addr, "listening");
    connections::serve(
        listener,
        app,
        config.connections.clone(),
        state.clone(),
        shutdown_signal(),
    )
    .await;
    // The tokens of the last period get their audit entry before the store closes.
    if let Err(e) = tsa::write_tally(&pool, &state.tsa).await {
        tracing::warn!(error = %e, "the TSA's last audit entry could not be written");
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Says where the key passphrase came from, and warns when it was generated into a file.
fn log_passphrase_source(config: &Config, source: vault::Source) {
    match source {
        vault::Source::Environment => tracing::info!("key passphrase from ESEAL_KEY_PASSPHRASE"),
        vault::Source::ExistingFile => {
            tracing::info!(file = %config.data.join(vault::MASTER_FILE).display(), "key passphrase from the master key file")
        }
        vault::Source::GeneratedFile => tracing::warn!(
            file = %config.data.join(vault::MASTER_FILE).display(),
            "ESEAL_KEY_PASSPHRASE is unset: generated a random master passphrase into this file (mode 0600). \
             Keys in the database are encrypted with it; whoever reads the data folder can decrypt them. \
             Set ESEAL_KEY_PASSPHRASE and move the file off the machine for production."
        ),
    }
}

/// The configured PKCS#11 token, opened with the PIN from [`PKCS11_PIN_VAR`].
fn open_token(config: &Config) -> Result<Option<Arc<Pkcs11Token>>, String> {
    let token = match &config.pkcs11 {
        None => None,
        Some((module, label)) => {
            let pin = zeroize::Zeroizing::new(std::env::var(PKCS11_PIN_VAR).map_err(|_| {
                format!("{PKCS11_PIN_VAR} must hold the user PIN of PKCS#11 token '{label}'")
            })?);
            let t = Pkcs11Token::open(module, label, &pin)
                .map_err(|e| format!("PKCS#11 token '{label}' in {}: {e}", module.display()))?;
            tracing::info!(module = %module.display(), token = %label, "PKCS#11 token open");
            Some(t)
        }
    };
    Ok(token)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
