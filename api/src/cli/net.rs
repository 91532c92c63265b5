//! The command line's HTTP client: one POST and one GET with timeouts, a size cap and errors
//! that say which URL failed and why. Used to reach a TSA (RFC 3161), OCSP responders and CRL
//! distribution points. Blocking on purpose: the CLI has no async runtime.
//!
//! http and https. TLS is rustls (ring) with the Mozilla roots compiled in (webpki-roots): the
//! same trust on every machine, no OpenSSL or platform store to depend on; a private PKI's
//! roots are added with [`Http::new`]'s `extra_roots` (`eseal verify --ca-bundle`). CRLs and
//! OCSP answers are signed, so TLS only keeps the question private; RFC 5280 §4.2.1.13 even
//! advises plain http for them.

use std::io::Read;
use std::time::Duration;

/// Whole-request budget; TSAs and OCSP responders answer in well under a second.
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger answers are not timestamps, OCSP responses or CRLs we can use.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{url}: only http:// and https:// URLs are supported")]
    Scheme { url: String },
    #[error("{url}: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the answer is larger than {max} bytes")]
    TooLarge { url: String, max: u64 },
    #[error("TLS roots: {0}")]
    Roots(String),
}

/// A client with its own time and size limits.
#[derive(Clone)]
pub struct Http {
    client: reqwest::blocking::Client,
    max_response: u64,
}

impl Http {
    /// `timeout` for each whole request, answers up to `max_response` bytes, and TLS roots
    /// from the PEM bundles `extra_roots` besides the built-in ones.
    pub fn new(
        timeout: Duration,
        max_response: u64,
        extra_roots: &[Vec<u8>],
    ) -> Result<Http, NetError> {
        let mut builder = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::limited(3));
        for pem in extra_roots {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| NetError::Roots(e.to_string()))?;
            if certs.is_empty() {
                return Err(NetError::Roots("no certificate in the bundle".into()));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder
            .build()
            .map_err(|e| NetError::Roots(e.to_string()))?;
        Ok(Http {
            client,
            max_response,
        })
    }

    /// POST `body` with `content_type` and return the response body (2xx only).
    pub fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, NetError> {
        check_scheme(url)?;
        let resp = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_vec())
            .send()
            .map_err(|e| request_error(url, e))?;
        read_body(url, resp, self.max_response)
    }

    /// GET `url` and return the response body (2xx only).
    pub fn get(&self, url: &str) -> Result<Vec<u8>, NetError> {
        check_scheme(url)?;
        let resp = self
            .client
            .get(url)
            .send()
            .map_err(|e| request_error(url, e))?;
        read_body(url, resp, self.max_response)
    }
}

impl From<NetError> for super::Failure {
    fn from(e: NetError) -> Self {
        super::Failure::input(e)
    }
}

/// POST `body` with `content_type` and return the response body (2xx only).
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, NetError> {
    default_client(url)?.post(url, content_type, body)
}

/// GET `url` and return the response body (2xx only).
pub fn get(url: &str) -> Result<Vec<u8>, NetError> {
    default_client(url)?.get(url)
}

fn default_client(url: &str) -> Result<Http, NetError> {
    check_scheme(url)?;
    Http::new(TIMEOUT, MAX_RESPONSE, &[]).map_err(|e| NetError::Request {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

fn check_scheme(url: &str) -> Result<(), NetError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(NetError::Scheme {
            url: url.to_string(),
        })
    }
}

fn request_error(url: &str, e: reqwest::Error) -> NetError {
    let reason = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        // Its chain of causes, then the message without the URL (we print it ourselves).
        let mut causes = String::new();
        let mut src = std::error::Error::source(&e);
        while let Some(inner) = src {
            causes.push_str(": ");
            causes.push_str(&inner.to_string());
            src = inner.source();
        }
        format!("{}{causes}", e.without_url())
    };
    NetError::Request {
        url: url.to_string(),
        reason,
    }
}

fn read_body(url: &str, resp: reqwest::blocking::Response, max: u64) -> Result<Vec<u8>, NetError> {
    let status = resp.status();
    if !status.is_success() {
        return Err(NetError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let mut out = Vec::new();
    resp.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| NetError::Request {
            url: url.to_string(),
            reason: format!("reading the answer: {e}"),
        })?;
    if out.len() as u64 > max {
        return Err(NetError::TooLarge {
            url: url.to_string(),
            max,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_schemes() {
        assert!(matches!(get("ftp://x/y"), Err(NetError::Scheme { .. })));
        assert!(matches!(
            post("file:///etc/passwd", "a/b", b""),
            Err(NetError::Scheme { .. })
        ));
        // https is a request like any other: here nothing listens.
        assert!(matches!(
            post("https://127.0.0.1:1/tsa", "a/b", b""),
            Err(NetError::Request { .. })
        ));
    }

    #[test]
    fn tls_roots_must_be_certificates() {
        let e = Http::new(TIMEOUT, 10, &[b"not a pem".to_vec()]).err();
        assert!(matches!(e, Some(NetError::Roots(_))), "{e:?}");
    }

    #[test]
    fn https_to_a_plain_http_server_fails_in_the_handshake() {
        use std::io::Write;
        use std::net::TcpListener;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        });
        let e = get(&format!("https://127.0.0.1:{port}/crl")).unwrap_err();
        assert!(matches!(e, NetError::Request { .. }), "{e}");
        srv.join().unwrap();
    }

    #[test]
    fn answers_over_the_limit_are_refused() {
        use std::io::Write;
        use std::net::TcpListener;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let body = [b'x'; 100];
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
            let _ = s.write_all(&body);
        });
        let http = Http::new(TIMEOUT, 64, &[]).unwrap();
        let e = http
            .get(&format!("http://127.0.0.1:{port}/crl"))
            .unwrap_err();
        assert!(matches!(e, NetError::TooLarge { max: 64, .. }), "{e}");
        srv.join().unwrap();
    }

    #[test]
    fn connection_refused_is_an_error() {
        // Port 1 on loopback: nothing listens there.
        let e = get("http://127.0.0.1:1/crl").unwrap_err();
        assert!(matches!(e, NetError::Request { .. }), "{e}");
        assert!(e.to_string().contains("127.0.0.1:1"), "{e}");
    }

    #[test]
    fn non_2xx_and_body_are_reported() {
        use std::io::Write;
        use std::net::TcpListener;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = std::thread::spawn(move || {
            for body_status in ["404 Not Found", "200 OK"] {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut s, &mut buf);
                let body = b"hello";
                write!(
                    s,
                    "HTTP/1.1 {body_status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .unwrap();
                s.write_all(body).unwrap();
            }
        });
        let url = format!("http://127.0.0.1:{port}/x");
        let e = post(&url, "application/timestamp-query", b"q").unwrap_err();
        assert!(matches!(e, NetError::Status { status: 404, .. }), "{e}");
        assert_eq!(get(&url).unwrap(), b"hello");
        srv.join().unwrap();
    }
}
