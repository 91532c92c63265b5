//! `eseal verify --online`: fetches revocation evidence from the URLs the certificates name
//! (CRL distribution points, AIA OCSP responders) over http or https, each request with a
//! time limit and a size limit, and keeps the answers in an on-disk cache until their
//! nextUpdate. The verifier (eseal-signer) decides what to ask and checks every answer; this
//! module only moves bytes.
//!
//! Cache: `$XDG_CACHE_HOME/eseal/revocation/` (else `$HOME/.cache/eseal/revocation/`), one
//! file per question named by the SHA-256 of the URL (and, for OCSP, of the certificate asked
//! about), kept while now is before the answer's nextUpdate. Answers without nextUpdate are
//! not kept. A corrupt or stale entry is a miss and is replaced.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::Encode;
use eseal_certs::ocsp::{OcspRequest, ParsedResponse};
use eseal_certs::Certificate;
use eseal_pdf::verify::{Fetched, OnlineFetch};
use eseal_signer::validation::revocation::{check_fetched_crl, check_fetched_ocsp};
use sha2::{Digest, Sha256};

use super::net::Http;

/// A CRL larger than this is refused (the largest public CAs' are a few MiB).
pub const MAX_CRL: u64 = 10 * 1024 * 1024;
/// An OCSP answer larger than this is refused (a few KiB in practice).
pub const MAX_OCSP: u64 = 64 * 1024;

/// Where fetched answers are kept, when they are.
#[derive(Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The user's cache directory, or `None` when neither XDG_CACHE_HOME nor HOME is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| Path::new(&h).join(".cache"))
            })?;
        Some(base.join("eseal").join("revocation"))
    }

    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    fn path(&self, kind: &str, key: &[&[u8]]) -> PathBuf {
        let mut h = Sha256::new();
        h.update(kind.as_bytes());
        for part in key {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        self.dir
            .join(format!("{kind}-{}.der", hex::encode(h.finalize())))
    }

    /// The kept answer, if it is still before its nextUpdate.
    fn read(
        &self,
        path: &Path,
        fresh_until: impl Fn(&[u8]) -> Option<SystemTime>,
    ) -> Option<Vec<u8>> {
        let body = std::fs::read(path).ok()?;
        match fresh_until(&body) {
            Some(t) if SystemTime::now() < t => Some(body),
            _ => {
                let _ = std::fs::remove_file(path);
                None
            }
        }
    }

    /// Keeps `body` when it has a nextUpdate in the future; failures to write only cost a
    /// later fetch.
    fn write(&self, path: &Path, body: &[u8], fresh_until: Option<SystemTime>) {
        if fresh_until.is_none_or(|t| SystemTime::now() >= t) {
            return;
        }
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&self.dir) else {
            return;
        };
        if std::io::Write::write_all(&mut tmp, body).is_ok() {
            let _ = tmp.persist(path);
        }
    }
}

/// When a CRL (PEM or DER) stops being current.
fn crl_next_update(body: &[u8]) -> Option<SystemTime> {
    let crls = eseal_certs::crl::crls_from_bytes(body).ok()?;
    let crl = crls.first()?;
    crl.tbs_cert_list.next_update.map(|t| t.to_system_time())
}

/// When an OCSP answer stops being current: its earliest nextUpdate.
fn ocsp_next_update(body: &[u8]) -> Option<SystemTime> {
    let r = ParsedResponse::from_der(body).ok()?;
    let mut times = r
        .data()
        .responses
        .iter()
        .map(|s| s.next_update.map(|t| t.to_unix_duration()));
    let first = times.next()??;
    let min = times.try_fold(first, |m, t| t.map(|t| m.min(t)))?;
    Some(SystemTime::UNIX_EPOCH + min)
}

/// The fetcher `--online` gives the verifier: `http` for the network, `cache` when kept.
pub fn online(
    timeout: Duration,
    extra_roots: &[Vec<u8>],
    cache: Option<Cache>,
) -> Result<OnlineFetch, super::net::NetError> {
    let crl_http = Http::new(timeout, MAX_CRL, extra_roots)?;
    let ocsp_http = Http::new(timeout, MAX_OCSP, extra_roots)?;
    let crl_cache = cache.clone();
    let crl = move |url: &str, issuer: &Certificate| -> Result<Fetched, String> {
        let path = crl_cache
            .as_ref()
            .map(|c| (c, c.path("crl", &[url.as_bytes()])));
        if let Some((c, p)) = &path {
            if let Some(body) = c.read(p, crl_next_update) {
                return Ok(Fetched { body, cached: true });
            }
        }
        let body = crl_http
            .get(url)
            .map_err(|e| without_url(e.to_string(), url))?;
        // Only what the verifier will accept is kept.
        if let Some((c, p)) = &path {
            if check_fetched_crl(&body, issuer, SystemTime::now()).is_ok() {
                c.write(p, &body, crl_next_update(&body));
            }
        }
        Ok(Fetched {
            body,
            cached: false,
        })
    };
    let ocsp = move |url: &str,
                     request: &[u8],
                     cert: &Certificate,
                     issuer: &Certificate|
          -> Result<Fetched, String> {
        // The question without its nonce: the certificates asked about.
        let asked: Vec<u8> = OcspRequest::from_der(request)
            .ok()
            .map(|r| {
                r.cert_ids()
                    .filter_map(|id| id.to_der().ok())
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        let path = cache
            .as_ref()
            .filter(|_| !asked.is_empty())
            .map(|c| (c, c.path("ocsp", &[url.as_bytes(), &asked])));
        if let Some((c, p)) = &path {
            if let Some(body) = c.read(p, ocsp_next_update) {
                return Ok(Fetched { body, cached: true });
            }
        }
        let body = ocsp_http
            .post(url, "application/ocsp-request", request)
            .map_err(|e| without_url(e.to_string(), url))?;
        if let Some((c, p)) = &path {
            if check_fetched_ocsp(&body, cert, issuer, SystemTime::now()).is_ok() {
                c.write(p, &body, ocsp_next_update(&body));
            }
        }
        Ok(Fetched {
            body,
            cached: false,
        })
    };
    Ok(OnlineFetch {
        crl: Arc::new(crl),
        ocsp: Arc::new(ocsp),
    })
}

/// The verifier names the URL itself.
fn without_url(message: String, url: &str) -> String {
    message
        .strip_prefix(url)
        .and_then(|m| m.strip_prefix(": "))
        .map_or(message.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_differ_by_kind_url_and_question() {
        let c = Cache::new(PathBuf::from("/x"));
        let a = c.path("crl", &[b"http://a/"]);
        assert_ne!(a, c.path("ocsp", &[b"http://a/"]));
        assert_ne!(a, c.path("crl", &[b"http://b/"]));
        assert_ne!(
            c.path("ocsp", &[b"http://a/", b"1"]),
            c.path("ocsp", &[b"http://a/", b"2"])
        );
        assert_eq!(a, c.path("crl", &[b"http://a/"]));
    }

    #[test]
    fn entries_are_kept_until_next_update_only() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path().join("rev"));
        let p = c.path("crl", &[b"u"]);
        let later = SystemTime::now() + Duration::from_secs(60);
        let past = SystemTime::now() - Duration::from_secs(60);
        // Without a nextUpdate, or with one passed, nothing is kept.
        c.write(&p, b"x", None);
        c.write(&p, b"x", Some(past));
        assert!(!p.exists());
        c.write(&p, b"x", Some(later));
        assert_eq!(c.read(&p, |_| Some(later)).as_deref(), Some(&b"x"[..]));
        // Stale or unreadable: a miss, and the entry goes.
        assert_eq!(c.read(&p, |_| Some(past)), None);
        assert!(!p.exists());
    }

    #[test]
    fn junk_has_no_next_update() {
        assert_eq!(crl_next_update(b"<html>error</html>"), None);
        assert_eq!(ocsp_next_update(b"<html>error</html>"), None);
    }
}
