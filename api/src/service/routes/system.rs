//! Health, metrics, the OpenAPI document and its page, and `GET /v1/me`.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::service::auth::{Caller, Role};
use crate::service::error::ApiResult;
use crate::service::store::orgs::Level;
use crate::service::{store, Shared};

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

#[utoipa::path(get, path = "/healthz", tag = "eseal", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<Shared>) -> Response {
    let ok = store::ping(&state.db).await;
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        database: if ok { "ok" } else { "unreachable" }.into(),
    };
    let code = if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

#[utoipa::path(get, path = "/metrics", tag = "eseal", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn openapi() -> Response {
    let doc = super::ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}

/// A self-contained page that lists the API from `/openapi.json` (no external scripts).
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

const DOCS_PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>eseal API</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}h2{margin-top:1.5em}
.op{border:1px solid #ccc;border-radius:4px;margin:.5em 0;padding:.5em}.m{display:inline-block;width:4em;font-weight:bold}
.get{color:#17692c}.post{color:#0b4f9c}pre{background:#f6f6f6;padding:.5em;overflow:auto}</style></head>
<body><h1>eseal API</h1><p id="d"></p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>.
Authenticate with <code>Authorization: Bearer KEY</code>.</p><div id="ops">loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(spec=>{
 document.getElementById('d').textContent=spec.info.description||'';
 const ops=document.getElementById('ops');ops.textContent='';
 for(const [path,item] of Object.entries(spec.paths)){for(const [m,op] of Object.entries(item)){
  const div=document.createElement('div');div.className='op';
  const h=document.createElement('div');const s=document.createElement('span');s.className='m '+m;s.textContent=m.toUpperCase();
  h.appendChild(s);h.appendChild(document.createTextNode(' '+path));div.appendChild(h);
  if(op.description||op.summary){const p=document.createElement('p');p.textContent=op.summary||op.description;div.appendChild(p);}
  const d=document.createElement('details');const sm=document.createElement('summary');sm.textContent='details';d.appendChild(sm);
  const pre=document.createElement('pre');pre.textContent=JSON.stringify(op,null,1);d.appendChild(pre);div.appendChild(d);
  ops.appendChild(div);}}
});
</script></body></html>"#;

/// The caller's organisation and role.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub organization_id: String,
    pub name: String,
    pub uscc: Option<String>,
    #[schema(value_type = String)]
    pub level: Level,
    pub department_id: Option<String>,
    pub role: Role,
    pub key_id: String,
}

#[utoipa::path(get, path = "/v1/me", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::service::error::Problem)))]
pub async fn me(State(state): State<Shared>, caller: Caller) -> ApiResult<Json<Me>> {
    let org = store::orgs::get(&state.db, &caller.organization_id).await?;
    Ok(Json(Me {
        organization_id: caller.organization_id.clone(),
        name: org.name,
        uscc: org.uscc,
        level: org.level,
        department_id: caller.department_id.clone(),
        role: caller.role,
        key_id: caller.key_id.clone(),
    }))
}
