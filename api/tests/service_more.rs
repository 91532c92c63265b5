//! Integration tests of `eseal serve` for the list endpoints (pagination, per-organisation
//! scope), the group commit of concurrent sealings, and seals whose key lives in a PKCS#11
//! token (SoftHSM2). The real binary on 127.0.0.1, on SQLite and (with DATABASE_URL) on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
#[macro_use]
mod service_support;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_json::{json, Value};
use service_support::{prove_entry, sample_pdf, verify_report, Db, Server};

fn status(r: reqwest::blocking::Response, want: u16) -> Value {
    let got = r.status().as_u16();
    let body = r.text().unwrap_or_default();
    assert_eq!(got, want, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn new_document(s: &Server, key: &str, seal: &str, title: &str) -> String {
    let pdf = base64::engine::general_purpose::STANDARD.encode(sample_pdf(2000));
    let d = status(
        s.post_json(
            "/v1/documents",
            key,
            &json!({"title": title, "steps": [{"seal_id": seal}], "pdf_base64": pdf}),
        ),
        201,
    );
    d["id"].as_str().unwrap().to_string()
}

/// Every page of a list endpoint, following `next`; checks the pages are in id order and
/// never longer than the limit.
fn all_pages(s: &Server, path: &str, key: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("{path}?limit={limit}");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page = status(s.get(&url, Some(key)), 200);
        let items = page["items"].as_array().unwrap().clone();
        assert!(items.len() <= limit);
        out.extend(items);
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    let ids: Vec<&str> = out.iter().map(|v| v["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "items in id order");
    out
}

/// GET /v1/documents, /v1/keys, /v1/orgs: pagination, fields, and that an admin of one
/// organisation sees nothing of another.
fn list_endpoints(s: &Server) {
    let seal = s.demo_seal();
    let mut docs = HashSet::new();
    for i in 0..5 {
        docs.insert(new_document(s, &s.admin, &seal, &format!("licence {i}")));
    }
    let listed = all_pages(s, "/v1/documents", &s.admin, 2);
    assert_eq!(
        listed
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect::<HashSet<_>>(),
        docs
    );
    assert!(listed
        .iter()
        .all(|d| d["state"] == "prepared" && d["total"] == 1 && d["sealed"] == 0));
    // A full page of exactly the rest has no `next`.
    let p = status(s.get("/v1/documents?limit=5", Some(&s.admin)), 200);
    assert_eq!(p["items"].as_array().unwrap().len(), 5);
    assert!(p["next"].is_null());
    for bad in ["limit=0", "limit=201", "limit=abc"] {
        let r = s.get(&format!("/v1/documents?{bad}"), Some(&s.admin));
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }

    // API keys: the admin's and two new ones; never the key or its hash.
    let sealer = status(
        s.post_json(
            "/v1/api-keys",
            &s.admin,
            &json!({"role": "sealer", "name": "front desk"}),
        ),
        201,
    );
    status(
        s.post_json("/v1/api-keys", &s.admin, &json!({"role": "auditor"})),
        201,
    );
    let keys = all_pages(s, "/v1/keys", &s.admin, 1);
    assert_eq!(keys.len(), 3);
    let text = serde_json::to_string(&keys).unwrap();
    assert!(!text.contains(sealer["key"].as_str().unwrap()));
    assert!(!text.contains(&s.admin));
    assert!(!text.contains("hash"));
    let fd = keys.iter().find(|k| k["id"] == sealer["id"]).unwrap();
    assert_eq!(fd["role"], "sealer");
    assert_eq!(fd["name"], "front desk");
    assert!(fd["created_at"].is_string() && fd["revoked_at"].is_null());
    // Only admins list keys.
    status(
        s.get("/v1/keys", Some(sealer["key"].as_str().unwrap())),
        403,
    );

    // Organisations: a child below the demo organisation, and a grandchild below that.
    let child = status(
        s.post_json(
            "/v1/organizations",
            &s.admin,
            &json!({"name": "Gulou District Bureau", "level": "county"}),
        ),
        201,
    );
    let child_admin = child["admin_key"].as_str().unwrap().to_string();
    let grandchild = status(
        s.post_json(
            "/v1/organizations",
            &child_admin,
            &json!({"name": "Gulou Licensing Office", "level": "department"}),
        ),
        201,
    );
    let me: Value = s.get("/v1/me", Some(&s.admin)).json().unwrap();
    let demo_org = me["organization_id"].as_str().unwrap().to_string();
    let orgs = all_pages(s, "/v1/orgs", &s.admin, 1);
    let ids: HashSet<String> = orgs
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let want: HashSet<String> = [
        demo_org.clone(),
        child["organization_id"].as_str().unwrap().to_string(),
        grandchild["organization_id"].as_str().unwrap().to_string(),
    ]
    .into();
    assert_eq!(ids, want);
    // The child's admin sees its own organisation and the one below, never its parent.
    let orgs = all_pages(s, "/v1/orgs", &child_admin, 50);
    assert_eq!(orgs.len(), 2);
    assert!(orgs.iter().all(|o| o["id"] != demo_org.as_str()));
    // A sealer sees its own organisation only.
    let orgs = all_pages(s, "/v1/orgs", sealer["key"].as_str().unwrap(), 50);
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["id"], demo_org.as_str());
    // Nothing of the parent's documents or keys, even with its ids as cursors.
    assert!(all_pages(s, "/v1/documents", &child_admin, 50).is_empty());
    let ck = all_pages(s, "/v1/keys", &child_admin, 50);
    assert_eq!(ck.len(), 1);
    assert!(!serde_json::to_string(&ck)
        .unwrap()
        .contains(sealer["id"].as_str().unwrap()));
    let p = status(s.get("/v1/documents?after=", Some(&child_admin)), 200);
    assert_eq!(p["items"], json!([]));

    // In the OpenAPI document.
    let spec: Value = s.get("/openapi.json", None).json().unwrap();
    for p in ["/v1/documents", "/v1/keys", "/v1/orgs"] {
        assert!(spec["paths"][p]["get"].is_object(), "{p}");
    }
}
both!(list_endpoints);

/// Concurrent sealings go through the group committer: every one acknowledged has its own
/// log index, its row in `sealings` with the log index the response named, and a provable
/// log entry with the same file hash.
fn concurrent_sealings_commit_in_groups(s: &Server) {
    let seal = s.demo_seal();
    let pdf = sample_pdf(20_000);
    let url = s.url(&format!("/v1/seals/{seal}/sign"));
    let mut hs = Vec::new();
    for _ in 0..8 {
        let (url, key, pdf) = (url.clone(), s.admin.clone(), pdf.clone());
        hs.push(std::thread::spawn(move || {
            let c = Server::client();
            let mut got = Vec::new();
            for _ in 0..6 {
                let r = c
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/pdf")
                    .body(pdf.clone())
                    .send()
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200);
                let id = r.headers()["x-eseal-sealing-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let idx: i64 = r.headers()["x-eseal-log-index"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                let body = r.bytes().unwrap().to_vec();
                got.push((id, idx, body));
            }
            got
        }));
    }
    let all: Vec<(String, i64, Vec<u8>)> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert_eq!(all.len(), 48);
    let idx: HashSet<i64> = all.iter().map(|a| a.1).collect();
    assert_eq!(idx.len(), 48, "distinct log indices");
    for (id, index, body) in all.iter().step_by(7) {
        let row = status(s.get(&format!("/v1/sealings/{id}"), Some(&s.admin)), 200);
        assert_eq!(row["log_index"], *index);
        let out_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
        assert_eq!(row["output_sha256"], out_hash.as_str());
        let entry = prove_entry(s, *index);
        assert_eq!(entry["kind"], "seal.applied");
        assert_eq!(entry["details"]["sealing_id"], id.as_str());
        assert_eq!(entry["details"]["output_sha256"], out_hash.as_str());
    }
    let report = verify_report(&all[0].2, &s.root_pem());
    assert_eq!(report.verdict.indication.as_str(), "TOTAL-PASSED");
    // The log is contiguous: as many leaves as rows, indices 0..size.
    let (rows, size, max) = s.sql(async |p| {
        use sqlx::Row;
        let rows: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&p)
            .await
            .unwrap()
            .get(0);
        let size: i64 = sqlx::query("SELECT tree_size FROM log_state WHERE id = 1")
            .fetch_one(&p)
            .await
            .unwrap()
            .get(0);
        let max: i64 = sqlx::query("SELECT MAX(idx) FROM audit_log")
            .fetch_one(&p)
            .await
            .unwrap()
            .get(0);
        (rows, size, max)
    });
    assert_eq!(rows, size);
    assert_eq!(max, size - 1);
}
both!(concurrent_sealings_commit_in_groups);

fn count_sealings(s: &Server) -> i64 {
    s.sql(async |db| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sealings")
            .fetch_one(&db)
            .await
            .unwrap()
    })
}

fn store(s: &Server, sql: &str, id: &str) {
    let (sql, id) = (sql.to_string(), id.to_string());
    s.sql(async move |db| {
        let done = sqlx::query(&sql).bind(id).execute(&db).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "{sql}");
    });
}

/// Requests read API keys and seals through short-lived caches; a sealing must still never be
/// recorded for a seal suspended, a key revoked or a seal certificate expired behind this
/// process's back (as another process sharing the database would do it), nor for a seal whose
/// certificate was revoked: the commit checks them again.
fn store_changes_behind_the_caches(s: &Server) {
    let seal = s.demo_seal();
    let pdf = sample_pdf(20_000);
    let sealer = status(
        s.post_json("/v1/api-keys", &s.admin, &json!({"role": "sealer"})),
        201,
    );
    let (key_id, key) = (
        sealer["id"].as_str().unwrap().to_string(),
        sealer["key"].as_str().unwrap().to_string(),
    );
    let sign = format!("/v1/seals/{seal}/sign");
    // Fills the caches with the active seal and the valid key.
    assert_eq!(s.post_pdf(&sign, &key, &pdf).status(), 200);
    let before = count_sealings(s);

    store(
        s,
        "UPDATE seals SET status = 'suspended' WHERE id = $1",
        &seal,
    );
    status(s.post_pdf(&sign, &key, &pdf), 409);
    assert_eq!(count_sealings(s), before, "no sealing of a suspended seal");
    let head: Value = s.get("/v1/log/head", None).json().unwrap();
    let last = prove_entry(s, head["tree_size"].as_i64().unwrap() - 1);
    assert!(
        last.to_string().contains("access.denied"),
        "the refusal is logged: {last}"
    );
    store(s, "UPDATE seals SET status = 'active' WHERE id = $1", &seal);
    assert_eq!(s.post_pdf(&sign, &key, &pdf).status(), 200);

    store(
        s,
        "UPDATE api_keys SET revoked_at = 1 WHERE id = $1",
        &key_id,
    );
    status(s.post_pdf(&sign, &key, &pdf), 401);
    assert_eq!(count_sealings(s), before + 1, "no sealing by a revoked key");

    // The seal's certificate expired, then revoked (through the API, which does not touch
    // the seal itself).
    let seal_view = status(s.get(&format!("/v1/seals/{seal}"), Some(&s.admin)), 200);
    let cert = seal_view["certificate"]["id"].as_str().unwrap().to_string();
    let not_after: i64 = s.sql(async |db| {
        sqlx::query_scalar("SELECT not_after FROM certificates WHERE id = $1")
            .bind(cert.clone())
            .fetch_one(&db)
            .await
            .unwrap()
    });
    store(
        s,
        "UPDATE certificates SET not_after = 1 WHERE id = $1",
        &cert,
    );
    status(s.post_pdf(&sign, &s.admin, &pdf), 409);
    let restore = format!("UPDATE certificates SET not_after = {not_after} WHERE id = $1");
    store(s, &restore, &cert);
    assert_eq!(s.post_pdf(&sign, &s.admin, &pdf).status(), 200);
    status(
        s.post_json(
            &format!("/v1/certificates/{cert}/revoke"),
            &s.admin,
            &json!({}),
        ),
        200,
    );
    status(s.post_pdf(&sign, &s.admin, &pdf), 409);
    assert_eq!(
        count_sealings(s),
        before + 2,
        "no sealing with an expired or revoked certificate"
    );
}
both!(store_changes_behind_the_caches);

/// POST /v1/keys/{id}/revoke: an admin revokes a key of its organisation; the key stops
/// working at once, the revocation is listed and logged; other organisations' keys are not
/// found, and only admins revoke.
fn api_keys_are_revoked(s: &Server) {
    let seal = s.demo_seal();
    let pdf = sample_pdf(20_000);
    let sealer = status(
        s.post_json(
            "/v1/api-keys",
            &s.admin,
            &json!({"role": "sealer", "name": "clerk"}),
        ),
        201,
    );
    let (id, key) = (
        sealer["id"].as_str().unwrap(),
        sealer["key"].as_str().unwrap(),
    );
    assert_eq!(
        s.post_pdf(&format!("/v1/seals/{seal}/sign"), key, &pdf)
            .status(),
        200
    );
    status(
        s.post_json(&format!("/v1/keys/{id}/revoke"), key, &json!({})),
        403,
    );

    let child = status(
        s.post_json(
            "/v1/organizations",
            &s.admin,
            &json!({"name": "Jin'an District Bureau", "level": "county"}),
        ),
        201,
    );
    let child_admin = child["admin_key"].as_str().unwrap();
    status(
        s.post_json(&format!("/v1/keys/{id}/revoke"), child_admin, &json!({})),
        404,
    );
    status(
        s.post_json("/v1/keys/key_nope/revoke", &s.admin, &json!({})),
        404,
    );
    let me: Value = s.get("/v1/me", Some(&s.admin)).json().unwrap();
    let own = me["key_id"].as_str().expect("key_id in /v1/me");
    status(
        s.post_json(&format!("/v1/keys/{own}/revoke"), &s.admin, &json!({})),
        409,
    );

    let size = |s: &Server| -> i64 {
        s.get("/v1/log/head", None).json::<Value>().unwrap()["tree_size"]
            .as_i64()
            .unwrap()
    };
    let before = size(s);
    let revoked = status(
        s.post_json(&format!("/v1/keys/{id}/revoke"), &s.admin, &json!({})),
        200,
    );
    assert_eq!(revoked["id"], id);
    assert_eq!(revoked["name"], "clerk");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    assert_eq!(size(s), before + 1, "the revocation is logged");
    let entry = prove_entry(s, before);
    assert!(entry.to_string().contains("api_key.revoked"), "{entry}");

    status(
        s.post_pdf(&format!("/v1/seals/{seal}/sign"), key, &pdf),
        401,
    );
    status(s.get("/v1/seals", Some(key)), 401);
    status(
        s.post_json(&format!("/v1/keys/{id}/revoke"), &s.admin, &json!({})),
        409,
    );
    let keys = all_pages(s, "/v1/keys", &s.admin, 50);
    let listed = keys.iter().find(|k| k["id"] == id).unwrap();
    assert_eq!(listed["revoked_at"], revoked["revoked_at"]);
}
both!(api_keys_are_revoked);

const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// A PIN no log line can contain by chance (a digit run like 1234 turns up in timestamps).
const TOKEN_PIN: &str = "pin-Qx7vK2";

/// A fresh SoftHSM2 token "eseal" (user PIN [`TOKEN_PIN`]) in `dir`; returns SOFTHSM2_CONF, or None
/// (skipped outside CI) without SoftHSM2.
fn softhsm_token(dir: &Path) -> Option<String> {
    let module = std::env::var("SOFTHSM2_MODULE").unwrap_or_else(|_| SOFTHSM_MODULE.to_string());
    if !common::tool("softhsm2-util") {
        return None;
    }
    assert!(Path::new(&module).exists(), "{module} missing");
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.display()
        ),
    )
    .unwrap();
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "eseal",
            "--pin",
            TOKEN_PIN,
            "--so-pin",
            "5678",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(conf.display().to_string())
}

/// A seal whose key is generated in the token: the store keeps only its label, sealing signs
/// in the token, the sealed PDF verifies TOTAL-PASSED; a service without a token refuses.
fn token_seal(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(conf) = softhsm_token(dir.path()) else {
        return;
    };
    let module = std::env::var("SOFTHSM2_MODULE").unwrap_or_else(|_| SOFTHSM_MODULE.to_string());
    let env = vec![
        ("SOFTHSM2_CONF".to_string(), conf),
        ("ESEAL_PKCS11_MODULE".to_string(), module),
        ("ESEAL_PKCS11_TOKEN".to_string(), "eseal".to_string()),
        ("ESEAL_PKCS11_PIN".to_string(), TOKEN_PIN.to_string()),
    ];
    let Some(s) = Server::start_with(db, env) else {
        return;
    };
    assert!(s.log().contains("PKCS#11 token open"));
    assert!(!s.log().contains(TOKEN_PIN), "the PIN is never logged");
    let seal = status(
        s.post_json(
            "/v1/seals",
            &s.admin,
            &json!({"name": "Token Seal", "key_store": "pkcs11"}),
        ),
        201,
    );
    assert_eq!(seal["key_store"], "pkcs11");
    let id = seal["id"].as_str().unwrap().to_string();
    let (pem, label) = s.sql(async |p| {
        use sqlx::Row;
        let r = sqlx::query("SELECT key_pem, key_label FROM seals WHERE id = $1")
            .bind(&id)
            .fetch_one(&p)
            .await
            .unwrap();
        (r.get::<String, _>(0), r.get::<Option<String>, _>(1))
    });
    assert_eq!(pem, "", "no key material in the store");
    assert_eq!(label.as_deref(), Some(id.as_str()));
    let pdf = sample_pdf(30_000);
    let r = s.post_pdf(&format!("/v1/seals/{id}/sign"), &s.admin, &pdf);
    assert_eq!(r.status().as_u16(), 200);
    let sealed = r.bytes().unwrap().to_vec();
    let report = verify_report(&sealed, &s.root_pem());
    assert_eq!(report.verdict.indication.as_str(), "TOTAL-PASSED");
    // The service's own verifier agrees.
    let v: Value = s.post_pdf("/v1/verify", &s.admin, &sealed).json().unwrap();
    assert!(v.to_string().contains("TOTAL-PASSED"));
    // Unknown key stores are refused.
    status(
        s.post_json(
            "/v1/seals",
            &s.admin,
            &json!({"name": "x", "key_store": "floppy"}),
        ),
        400,
    );
}

#[test]
fn token_seal_sqlite() {
    token_seal(Db::Sqlite);
}

#[test]
fn token_seal_postgres() {
    token_seal(Db::Postgres);
}

/// Without a configured token, a token seal is a clear 409, not a server error.
#[test]
fn token_seal_without_token_is_refused() {
    let s = Server::start(Db::Sqlite).unwrap();
    status(
        s.post_json(
            "/v1/seals",
            &s.admin,
            &json!({"name": "Token Seal", "key_store": "pkcs11"}),
        ),
        409,
    );
}

/// A database that cannot be reached answers 503 with Retry-After, a state to retry, not 500
/// (PostgreSQL: the database is dropped under the running service). The health check says so.
#[test]
fn database_outage_answers_503() {
    let Some(s) = Server::start(Db::Postgres) else {
        return;
    };
    assert_eq!(s.get("/v1/seals", Some(&s.admin)).status().as_u16(), 200);
    s.drop_database();
    // Past the 1-second caches of keys and seals, so the request needs the store.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let r = s.get("/v1/seals", Some(&s.admin));
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let detail = r.json::<Value>().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("cannot be reached"), "{detail}");
    let health = s.get("/healthz", None);
    assert_eq!(health.status().as_u16(), 503);
    assert_eq!(health.json::<Value>().unwrap()["database"], "unreachable");
}
