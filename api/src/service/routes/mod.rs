//! The HTTP API: routes, the OpenAPI document (utoipa) and the middleware stack (metrics,
//! request body limit, timeout, request logging without headers or bodies, per-client rate
//! limits on the anonymous routes).

mod batches;
mod body;
mod cas;
mod documents;
mod licence_types;
mod licences;
mod log;
mod ocsp;
mod orgs;
mod page;
mod public;
mod relying_parties;
pub(crate) mod seals;
mod system;
mod trust_anchors;
mod tsa;
mod verify;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

use super::error::problem_response;
use super::rate_limit::{Answer, RateLimit};
use super::Shared;

pub(crate) use public::refusal_page;

#[derive(OpenApi)]
#[openapi(
    info(title = "eseal", description = "Electronic seals: CAs, seals, sealing, multi-department documents, verification and a tamper-evident audit log. Authenticate with `Authorization: Bearer KEY`. Hashes in the log API are lowercase hex; signatures are base64 DER."),
    paths(
        system::healthz, system::metrics, system::me,
        seals::list_seals, seals::create_seal, seals::get_seal, seals::suspend_seal, seals::activate_seal, seals::revoke_seal, seals::sign, seals::get_sealing,
        verify::verify,
        cas::list_cas, cas::create_ca, cas::ca_certificate, cas::ca_crl, cas::issue_certificate, cas::get_certificate, cas::revoke_certificate,
        ocsp::ocsp_post, ocsp::ocsp_get,
        orgs::create_organization, orgs::create_department, orgs::create_api_key, orgs::list_api_keys, orgs::revoke_api_key, orgs::list_organizations,
        documents::list_documents, documents::create_document, documents::get_document, documents::seal_step, documents::document_file,
        log::head, log::key, log::inclusion, log::consistency, log::entry,
        licence_types::list, licence_types::create,
        licences::issue, licences::list, licences::show, licences::file, licences::version_file,
        licences::change, licences::correct, licences::replace, licences::cancel, licences::reset_holder_token,
        licences::create_grant, licences::list_grants, licences::withdraw_grant, licences::grant_copy, licences::present,
        batches::create, batches::show,
        tsa::timestamp,
        trust_anchors::list, trust_anchors::add, trust_anchors::remove, trust_anchors::import_trusted_list,
        relying_parties::list, relying_parties::register, relying_parties::remove,
    ),
    modifiers(&BearerAuth),
    tags((name = "eseal"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router(state: Shared) -> Router {
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(system::openapi))
        .route("/docs", get(system::docs))
        .route("/v1/me", get(system::me))
        .route("/v1/seals", get(seals::list_seals).post(seals::create_seal))
        .route("/v1/seals/{id}", get(seals::get_seal))
        .route("/v1/seals/{id}/suspend", post(seals::suspend_seal))
        .route("/v1/seals/{id}/activate", post(seals::activate_seal))
        .route("/v1/seals/{id}/revoke", post(seals::revoke_seal))
        .route("/v1/seals/{id}/sign", post(seals::sign))
        .route("/v1/sealings/{id}", get(seals::get_sealing))
        .route("/v1/verify", post(verify::verify))
        .route("/v1/cas", get(cas::list_cas).post(cas::create_ca))
        .route("/v1/cas/{id}/certificate", get(cas::ca_certificate))
        .route("/v1/cas/{id}/crl", get(cas::ca_crl))
        .route("/v1/cas/{id}/ocsp", post(ocsp::ocsp_post))
        .route("/v1/cas/{id}/ocsp/{*request}", get(ocsp::ocsp_get))
        .route("/v1/cas/{id}/certificates", post(cas::issue_certificate))
        .route("/v1/certificates/{id}", get(cas::get_certificate))
        .route(
            "/v1/certificates/{id}/revoke",
            post(cas::revoke_certificate),
        )
        .route("/v1/organizations", post(orgs::create_organization))
        .route("/v1/departments", post(orgs::create_department))
        .route("/v1/api-keys", post(orgs::create_api_key))
        .route("/v1/keys", get(orgs::list_api_keys))
        .route("/v1/keys/{id}/revoke", post(orgs::revoke_api_key))
        .route("/v1/orgs", get(orgs::list_organizations))
        .route(
            "/v1/documents",
            get(documents::list_documents).post(documents::create_document),
        )
        .route("/v1/documents/{id}", get(documents::get_document))
        .route(
            "/v1/documents/{id}/steps/{n}/seal",
            post(documents::seal_step),
        )
        .route("/v1/documents/{id}/file", get(documents::document_file))
        .route(
            "/v1/licence-types",
            get(licence_types::list).post(licence_types::create),
        )
        .route("/v1/licences", get(licences::list).post(licences::issue))
        .route("/v1/licences/{id}", get(licences::show))
        .route("/v1/licences/{id}/file", get(licences::file))
        .route(
            "/v1/licences/{id}/versions/{version}/file",
            get(licences::version_file),
        )
        .route("/v1/licences/{id}/change", post(licences::change))
        .route("/v1/licences/{id}/correct", post(licences::correct))
        .route("/v1/licences/{id}/replace", post(licences::replace))
        .route("/v1/licences/{id}/cancel", post(licences::cancel))
        .route(
            "/v1/licences/{id}/holder-token",
            post(licences::reset_holder_token),
        )
        .route(
            "/v1/licences/{id}/grants",
            get(licences::list_grants).post(licences::create_grant),
        )
        .route("/v1/licences/{id}/presentations", post(licences::present))
        .route("/v1/grants/{id}", delete(licences::withdraw_grant))
        .route("/v1/grants/{id}/copy", get(licences::grant_copy))
        .route("/v1/licence-batches", post(batches::create))
        .route("/v1/licence-batches/{id}", get(batches::show))
        .route("/v1/log/head", get(log::head))
        .route("/v1/log/key", get(log::key))
        .route("/v1/log/proof/inclusion", get(log::inclusion))
        .route("/v1/log/proof/consistency", get(log::consistency))
        .route("/v1/log/entries/{index}", get(log::entry))
        .route(
            "/v1/trust-anchors",
            get(trust_anchors::list).post(trust_anchors::add),
        )
        .route("/v1/trust-anchors/{id}", delete(trust_anchors::remove))
        .route(
            "/v1/trust-anchors/trusted-list",
            post(trust_anchors::import_trusted_list),
        )
        .route(
            "/v1/relying-parties",
            get(relying_parties::list).post(relying_parties::register),
        )
        .route("/v1/relying-parties/{id}", delete(relying_parties::remove))
        .merge(public_pages(&state))
        .merge(
            Router::new()
                .route("/tsa", post(tsa::timestamp))
                .route_layer(axum::middleware::from_fn_with_state(
                    RateLimit::new(state.clone(), state.config.tsa_rate, Answer::Problem),
                    RateLimit::layer,
                )),
        )
        .fallback(|| async {
            problem_response(
                StatusCode::NOT_FOUND,
                "not-found",
                "no such endpoint".into(),
            )
        })
        .method_not_allowed_fallback(|| async {
            problem_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "method not allowed here".into(),
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::from_fn(problem_for_layers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::metrics::track,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                // Method and path only: never headers (API keys) or bodies.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
        .with_state(state)
}

/// The pages anyone may open (scan-to-verify, presentation codes), behind one per-client rate
/// limit; a public verify page joins them here.
fn public_pages(state: &Shared) -> Router<Shared> {
    Router::new()
        .route(
            "/v/{identifier}",
            get(public::verify_page).post(public::compare_upload),
        )
        .route("/p/{code}", get(public::presentation_page))
        .route_layer(axum::middleware::from_fn_with_state(
            RateLimit::new(state.clone(), state.config.page_rate, Answer::Page),
            RateLimit::layer,
        ))
}

/// Turns the bare errors of the tower layers (413 from the body limit, 408 from the timeout)
/// and axum's extractor rejections into problem documents.
async fn problem_for_layers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let resp = next.run(req).await;
    let status = resp.status();
    // Only bare bodies (the layers' and axum's rejections: no type, or plain text) are turned
    // into problems; a problem document, an HTML error page or a JSON answer such as the
    // health check's is an answer already.
    let bare = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if (status.is_client_error() || status.is_server_error()) && bare {
        let (parts, body) = resp.into_parts();
        let detail = axum::body::to_bytes(body, 4096)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
        let mut r = problem_response(status, "request", detail);
        for (k, v) in parts.headers.iter() {
            if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
                r.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return r.into_response();
    }
    resp
}
