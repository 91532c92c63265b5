//! Request bodies that carry a PDF: raw (`application/pdf`, `application/octet-stream`) or
//! `multipart/form-data` with a field `file`. Spooled to an anonymous temporary file while
//! hashed, so memory does not grow with the upload. Responses stream files back the same way.

use std::fs::File;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::Response;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::service::error::{ApiError, ApiResult};

/// A spooled upload.
pub struct Upload {
    pub file: File,
    pub sha256: String,
    pub len: u64,
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
    file: tokio::fs::File,
    hash: Sha256,
    len: u64,
}

impl Spool {
    fn new() -> ApiResult<Self> {
        let f = tempfile::tempfile().map_err(ApiError::internal)?;
        Ok(Spool {
            file: tokio::fs::File::from_std(f),
            hash: Sha256::new(),
            len: 0,
        })
    }

    async fn push(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.hash.update(chunk);
        self.len += chunk.len() as u64;
        self.file.write_all(chunk).await.map_err(ApiError::internal)
    }

    async fn finish(mut self) -> ApiResult<Upload> {
        use std::io::Seek;
        self.file.flush().await.map_err(ApiError::internal)?;
        let mut file = self.file.into_std().await;
        file.rewind().map_err(ApiError::internal)?;
        if self.len == 0 {
            return Err(ApiError::BadRequest("the body is empty: send a PDF".into()));
        }
        Ok(Upload {
            file,
            sha256: hex::encode(self.hash.finalize()),
            len: self.len,
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
    let mut spool = Spool::new()?;
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
                spool.push(&chunk).await?;
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
            spool.push(&chunk.map_err(too_large)?).await?;
        }
    } else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the PDF as application/pdf or multipart/form-data (field 'file'), not {ctype}"
        )));
    }
    spool.finish().await
}

/// A response streaming a file (from its current position).
pub fn pdf_response(file: File, len: u64, extra: &[(&'static str, String)]) -> ApiResult<Response> {
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut b = Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::CONTENT_LENGTH, len);
    for (k, v) in extra {
        b = b.header(*k, v);
    }
    b.body(Body::from_stream(stream))
        .map_err(ApiError::internal)
}

/// A PDF file, as the OpenAPI document describes request and response bodies (binary).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct PdfBody(Vec<u8>);
