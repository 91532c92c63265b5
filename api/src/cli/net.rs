//! The command line's HTTP client: one POST and one GET with timeouts, a size cap and errors
//! that say which URL failed and why. Used to reach a TSA (RFC 3161), OCSP responders and CRL
//! distribution points. Blocking on purpose: the CLI has no async runtime.
//!
//! reqwest is built without TLS (no system crypto to pin); `https://` URLs are refused with a
//! clear error rather than failing deep inside the client.

use std::io::Read;
use std::time::Duration;

/// Whole-request budget; TSAs and OCSP responders answer in well under a second.
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger answers are not timestamps, OCSP responses or CRLs we can use.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{url}: only http:// URLs are supported")]
    Scheme { url: String },
    #[error("{url}: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the answer is larger than {MAX_RESPONSE} bytes")]
    TooLarge { url: String },
}

impl From<NetError> for super::Failure {
    fn from(e: NetError) -> Self {
        super::Failure::input(e)
    }
}

/// POST `body` with `content_type` and return the response body (2xx only).
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, NetError> {
    let client = client(url)?;
    let resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body.to_vec())
        .send()
        .map_err(|e| request_error(url, e))?;
    read_body(url, resp)
}

/// GET `url` and return the response body (2xx only).
pub fn get(url: &str) -> Result<Vec<u8>, NetError> {
    let client = client(url)?;
    let resp = client.get(url).send().map_err(|e| request_error(url, e))?;
    read_body(url, resp)
}

fn client(url: &str) -> Result<reqwest::blocking::Client, NetError> {
    if !url.starts_with("http://") {
        return Err(NetError::Scheme {
            url: url.to_string(),
        });
    }
    reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| request_error(url, e))
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

fn read_body(url: &str, resp: reqwest::blocking::Response) -> Result<Vec<u8>, NetError> {
    let status = resp.status();
    if !status.is_success() {
        return Err(NetError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let mut out = Vec::new();
    resp.take(MAX_RESPONSE + 1)
        .read_to_end(&mut out)
        .map_err(|e| NetError::Request {
            url: url.to_string(),
            reason: format!("reading the answer: {e}"),
        })?;
    if out.len() as u64 > MAX_RESPONSE {
        return Err(NetError::TooLarge {
            url: url.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_schemes() {
        assert!(matches!(
            post("https://127.0.0.1:1/tsa", "a/b", b""),
            Err(NetError::Scheme { .. })
        ));
        assert!(matches!(get("ftp://x/y"), Err(NetError::Scheme { .. })));
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
