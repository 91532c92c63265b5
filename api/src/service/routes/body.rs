//! Request bodies that carry a PDF: raw (`application/pdf`, `application/octet-stream`) or
//! `multipart/form-data` with a field `file`. Hashed while read; kept in memory up to
//! [`MEMORY_LIMIT`] (a 100 KB licence never touches the disk) and spooled to an anonymous
//! temporary file beyond, so memory per request stays bounded whatever the upload.

use std::fs::File;
use std::io::Write;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::Response;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

pub use crate::service::engine::Spooled;
use crate::service::error::{ApiError, ApiResult};

/// Bodies up to this size stay in memory; larger ones go to a temporary file.
pub const MEMORY_LIMIT: usize = 4 * 1024 * 1024;

/// A read upload.
pub struct Upload {
    pub data: Spooled,
    pub sha256: String,
    pub len: u64,
    /// The hash state after the whole body: an incremental update starts with the input's
    /// bytes, so the output's hash continues from here instead of re-reading them.
    pub hasher: Sha256,
}

fn too_large(e: impl std::fmt::Display) -> ApiError {
    let s = e.to_string();
    if s.contains("length limit") || s.contains("too large") {
        ApiError::TooLarge(format!("the body exceeds the size limit: {s}"))
    } else {
        ApiError::BadRequest(format!("the body could not be read: {s}"))
    }
}

struct Spool {
    mem: Vec<u8>,
    file: Option<File>,
    hash: Sha256,
    len: u64,
}

impl Spool {
    /// A spool for a body announced as `expected` bytes (if it said), sized once for it.
    fn new(expected: Option<usize>) -> Self {
        Spool {
            mem: Vec::with_capacity(expected.unwrap_or(0).min(MEMORY_LIMIT)),
            file: None,
            hash: Sha256::new(),
            len: 0,
        }
    }

    /// Appends a chunk. The file writes are small and hit the page cache; they are not worth
    /// a trip to the blocking pool.
    fn push(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.hash.update(chunk);
        self.len += chunk.len() as u64;
        if self.file.is_none() && self.mem.len() + chunk.len() > MEMORY_LIMIT {
            let mut f = tempfile::tempfile().map_err(ApiError::internal)?;
            f.write_all(&self.mem).map_err(ApiError::internal)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match self.file.as_mut() {
            Some(f) => f.write_all(chunk).map_err(ApiError::internal),
            None => {
                self.mem.extend_from_slice(chunk);
                Ok(())
            }
        }
    }

    fn finish(self) -> ApiResult<Upload> {
        use std::io::Seek;
        if self.len == 0 {
            return Err(ApiError::BadRequest("the body is empty: send a PDF".into()));
        }
        let data = match self.file {
            Some(mut f) => {
                f.rewind().map_err(ApiError::internal)?;
                Spooled::File(f)
            }
            None => Spooled::Memory(self.mem),
        };
        Ok(Upload {
            data,
            sha256: hex::encode(self.hash.clone().finalize()),
            len: self.len,
            hasher: self.hash,
        })
    }
}

/// Reads the PDF of a request.
pub async fn pdf_upload<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Upload> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/pdf")
        .to_ascii_lowercase();
    let expected = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut spool = Spool::new(expected);
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("multipart body: {e}")))?;
        let mut found = false;
        while let Some(mut field) = mp.next_field().await.map_err(too_large)? {
            if field.name() != Some("file") {
                continue;
            }
            found = true;
            while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                spool.push(&chunk)?;
            }
            break;
        }
        if !found {
            return Err(ApiError::BadRequest(
                "the multipart body has no field 'file'".into(),
            ));
        }
    } else if ctype.starts_with("application/pdf") || ctype.starts_with("application/octet-stream")
    {
        let mut stream = req.into_body().into_data_stream();
        while let Some(chunk) = stream.next().await {
            spool.push(&chunk.map_err(too_large)?)?;
        }
    } else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the PDF as application/pdf or multipart/form-data (field 'file'), not {ctype}"
        )));
    }
    spool.finish()
}

/// A response with the PDF: a memory buffer as one body, a file streamed from its current
/// position.
pub fn pdf_response(
    data: Spooled,
    len: u64,
    extra: &[(&'static str, String)],
) -> ApiResult<Response> {
    let mut b = Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::CONTENT_LENGTH, len);
    for (k, v) in extra {
        b = b.header(*k, v);
    }
    let body = match data {
        Spooled::Memory(v) => Body::from(v),
        Spooled::File(f) => Body::from_stream(tokio_util::io::ReaderStream::new(
            tokio::fs::File::from_std(f),
        )),
    };
    b.body(body).map_err(ApiError::internal)
}

/// A PDF file, as the OpenAPI document describes request and response bodies (binary).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct PdfBody(Vec<u8>);
