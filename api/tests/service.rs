//! Integration tests of `eseal serve`: the real binary on 127.0.0.1, over HTTP, on SQLite and
//! (with DATABASE_URL) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

#[macro_use]
mod service_support;

use serde_json::{json, Value};
use service_support::{prove_entry, sample_pdf, verify_report, Db, Server};

fn problem(r: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let v: Value = r.json().expect("problem json");
    assert_eq!(v["status"], status);
    assert!(v["type"].is_string() && v["title"].is_string() && v["detail"].is_string());
    v
}

/// First start: the demo files, /healthz, /metrics, /openapi.json, /v1/me.
fn first_start(s: &Server) {
    assert!(s.data.join("demo-admin.key").exists());
    let root = String::from_utf8(s.root_pem()).unwrap();
    assert!(root.contains("BEGIN CERTIFICATE"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.data.join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "master.key must be private");
        // The SQLite store holds names, identity numbers and licences (PostgreSQL runs keep
        // no file here).
        for f in ["eseal.db", "eseal.db-wal", "eseal.db-shm"] {
            if let Ok(m) = std::fs::metadata(s.data.join(f)) {
                assert_eq!(m.permissions().mode() & 0o077, 0, "{f} must be private");
            }
        }
    }
    assert!(s.admin.starts_with("esk_") && s.admin.len() == 68);
    assert!(s.get("/healthz", None).status().is_success());
    let spec: Value = s.get("/openapi.json", None).json().unwrap();
    assert!(spec["paths"]["/v1/seals/{id}/sign"].is_object());
    assert!(s
        .get("/docs", None)
        .text()
        .unwrap()
        .contains("openapi.json"));
    let me: Value = s.get("/v1/me", Some(&s.admin)).json().unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["uscc"], "91350100M000100Y43");
    let seals: Value = s.get("/v1/seals", Some(&s.admin)).json().unwrap();
    assert_eq!(seals.as_array().unwrap().len(), 1);
    assert_eq!(seals[0]["status"], "active");
    let metrics = s.get("/metrics", None).text().unwrap();
    assert!(metrics
        .contains("eseal_http_requests_total{method=\"GET\",route=\"/v1/seals\",status=\"200\"}"));
    // The log never holds the key itself.
    assert!(!s.log().contains(&s.admin));
    let dump = s.sql(async |p| {
        use sqlx::Row;
        let rows = sqlx::query("SELECT entry FROM audit_log")
            .fetch_all(&p)
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<_>>()
            .join("\n")
    });
    assert!(!dump.contains(&s.admin));
}
both!(first_start);

/// No key 401 (counted, not logged one by one: anonymous traffic must not grow the audit
/// log); wrong role 403 and another organisation's seal 404, logged as denials.
fn access_control(s: &Server) {
    let seal = s.demo_seal();
    problem(s.get("/v1/seals", None), 401);
    problem(s.get("/v1/seals", Some("esk_wrong")), 401);
    // A verifier key of the demo organisation: may verify, may not seal.
    let v: Value = s
        .post_json("/v1/api-keys", &s.admin, &json!({"role": "verifier"}))
        .json()
        .unwrap();
    let verifier = v["key"].as_str().unwrap().to_string();
    problem(
        s.post_pdf(
            &format!("/v1/seals/{seal}/sign"),
            &verifier,
            &sample_pdf(2000),
        ),
        403,
    );
    problem(
        s.post_json("/v1/seals", &verifier, &json!({"name": "x"})),
        403,
    );
    // Another organisation (a county bureau under the demo one) and its admin.
    let o: Value = s
        .post_json(
            "/v1/organizations",
            &s.admin,
            &json!({"name": "Gulou District Bureau", "level": "county"}),
        )
        .json()
        .unwrap();
    let other = o["admin_key"].as_str().unwrap().to_string();
    let me: Value = s.get("/v1/me", Some(&other)).json().unwrap();
    assert_eq!(me["organization_id"], o["organization_id"]);
    assert_eq!(
        s.get("/v1/seals", Some(&other)).json::<Value>().unwrap(),
        json!([])
    );
    problem(s.get(&format!("/v1/seals/{seal}"), Some(&other)), 404);
    problem(
        s.post_pdf(&format!("/v1/seals/{seal}/sign"), &other, &sample_pdf(2000)),
        404,
    );
    problem(
        s.post_json(&format!("/v1/seals/{seal}/suspend"), &other, &json!({})),
        404,
    );
    // Denials are in the audit log.
    let kinds = s.sql(async |p| {
        use sqlx::Row;
        let rows = sqlx::query("SELECT entry FROM audit_log WHERE kind = 'access.denied'")
            .fetch_all(&p)
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<_>>()
    });
    assert!(!kinds.iter().any(|e| e.contains("\"status\":401")));
    let metrics = s.get("/metrics", None).text().unwrap();
    assert!(
        metrics.contains("eseal_anonymous_denials_total{reason=\"no-key\"} 1")
            && metrics.contains("eseal_anonymous_denials_total{reason=\"unknown-key\"} 1"),
        "{metrics}"
    );
    assert!(kinds.iter().any(|e| e.contains("\"status\":403")));
    assert!(
        kinds
            .iter()
            .filter(|e| e.contains("\"status\":404"))
            .count()
            >= 3
    );
    assert!(s.log().contains("request denied"));
}
both!(access_control);

/// Raw and multipart sealing; the result verifies TOTAL-PASSED against demo-root.pem, through
/// the library and through POST /v1/verify (JSON and HTML); suspended seals are refused.
fn sealing_round_trip(s: &Server) {
    let seal = s.demo_seal();
    let pdf = sample_pdf(100 * 1024);
    let r = s.post_pdf(
        &format!("/v1/seals/{seal}/sign?page=1&x=400&y=80&w=113&h=113"),
        &s.admin,
        &pdf,
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let sealing = r.headers()["x-eseal-sealing-id"]
        .to_str()
        .unwrap()
        .to_string();
    let index: i64 = r.headers()["x-eseal-log-index"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sealed = r.bytes().unwrap().to_vec();
    assert_eq!(
        &sealed[..pdf.len()],
        &pdf[..],
        "incremental update keeps the original bytes"
    );
    let report = verify_report(&sealed, &s.root_pem());
    assert!(report.passed(), "{}", report.to_text());
    // Multipart.
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(pdf.clone()).file_name("licence.pdf"),
    );
    let r = Server::client()
        .post(s.url(&format!("/v1/seals/{seal}/sign")))
        .bearer_auth(&s.admin)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(verify_report(&r.bytes().unwrap(), &s.root_pem()).passed());
    // The service's verifier.
    let rep: Value = s.post_pdf("/v1/verify", &s.admin, &sealed).json().unwrap();
    assert_eq!(rep["schema"], "eseal-verify/1");
    assert_eq!(rep["verdict"]["indication"], "TOTAL-PASSED", "{rep}");
    let html = Server::client()
        .post(s.url("/v1/verify"))
        .bearer_auth(&s.admin)
        .header("accept", "text/html")
        .header("content-type", "application/pdf")
        .body(sealed.clone())
        .send()
        .unwrap();
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // Recorded in the store and the log.
    let rec: Value = s
        .get(&format!("/v1/sealings/{sealing}"), Some(&s.admin))
        .json()
        .unwrap();
    assert_eq!(rec["log_index"], index);
    let entry = prove_entry(s, index);
    assert_eq!(entry["kind"], "seal.applied");
    assert_eq!(entry["details"]["sealing_id"], sealing.as_str());
    let metrics = s.get("/metrics", None).text().unwrap();
    assert!(metrics.contains("eseal_seals_applied_total 2"));
    assert!(
        metrics.contains("eseal_verifications_total{indication=\"TOTAL-PASSED\"} 2"),
        "{metrics}"
    );
    // Suspended seals are refused; revoked ones fail verification through the CRL.
    let created: Value = s
        .post_json(
            "/v1/seals",
            &s.admin,
            &json!({"name": "Contract Seal", "kind": "contract"}),
        )
        .json()
        .unwrap();
    let id2 = created["id"].as_str().unwrap();
    let r = s.post_pdf(&format!("/v1/seals/{id2}/sign"), &s.admin, &pdf);
    assert_eq!(r.status(), 200);
    let sealed2 = r.bytes().unwrap();
    let v: Value = s
        .post_json(&format!("/v1/seals/{id2}/suspend"), &s.admin, &json!({}))
        .json()
        .unwrap();
    assert_eq!(v["status"], "suspended");
    problem(
        s.post_pdf(&format!("/v1/seals/{id2}/sign"), &s.admin, &pdf),
        409,
    );
    let v: Value = s
        .post_json(&format!("/v1/seals/{id2}/revoke"), &s.admin, &json!({}))
        .json()
        .unwrap();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["certificate"]["status"], "revoked");
    let rep: Value = s.post_pdf("/v1/verify", &s.admin, &sealed2).json().unwrap();
    assert_ne!(
        rep["verdict"]["indication"], "TOTAL-PASSED",
        "a revoked seal must not pass: {rep}"
    );
}
both!(sealing_round_trip);

/// Bad bodies and unknown objects give problem documents.
fn problems(s: &Server) {
    let seal = s.demo_seal();
    // Names end up in certificate subjects and terminals: no NUL, no escape sequences.
    for name in ["Bureau\u{0}", "Bureau \u{1b}[31mred", "Two\nlines"] {
        problem(
            s.post_json(
                "/v1/organizations",
                &s.admin,
                &json!({"name": name, "level": "county"}),
            ),
            400,
        );
        problem(
            s.post_json("/v1/seals", &s.admin, &json!({ "name": name })),
            400,
        );
    }
    problem(
        s.post_pdf(
            &format!("/v1/seals/{seal}/sign"),
            &s.admin,
            b"this is not a PDF",
        ),
        422,
    );
    problem(
        s.post_pdf(&format!("/v1/seals/{seal}/sign"), &s.admin, b""),
        400,
    );
    problem(
        s.post_pdf("/v1/seals/seal_unknown/sign", &s.admin, &sample_pdf(2000)),
        404,
    );
    problem(
        s.post_pdf(
            &format!("/v1/seals/{seal}/sign?page=7"),
            &s.admin,
            &sample_pdf(2000),
        ),
        422,
    );
    problem(
        s.post_pdf(
            &format!("/v1/seals/{seal}/sign?x=1"),
            &s.admin,
            &sample_pdf(2000),
        ),
        400,
    );
    problem(s.post_pdf("/v1/verify", &s.admin, b"%PDX garbage"), 422);
    let r = Server::client()
        .post(s.url("/v1/verify"))
        .bearer_auth(&s.admin)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    problem(r, 415);
    let r = Server::client()
        .post(s.url("/v1/seals"))
        .bearer_auth(&s.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert!(r.status().is_client_error());
    problem(r, 400);
    problem(s.get("/v1/nothing-here", None), 404);
    problem(s.get("/v1/log/proof/inclusion?index=100000", None), 400);
}
both!(problems);

/// Three departments seal one document in order, a fourth from the level below; every seal
/// TOTAL-PASSED at the end, with explicit states along the way.
fn multi_department_document(s: &Server) {
    let mut seals = Vec::new();
    let mut keys = Vec::new();
    for name in [
        "Licensing Division",
        "Legal Affairs Division",
        "Archives Division",
    ] {
        let d: Value = s
            .post_json("/v1/departments", &s.admin, &json!({"name": name}))
            .json()
            .unwrap();
        let dept = d["id"].as_str().unwrap().to_string();
        let seal: Value = s
            .post_json("/v1/seals", &s.admin, &json!({"name": format!("{name} Seal"), "kind": "department", "department_id": dept}))
            .json()
            .unwrap();
        seals.push(seal["id"].as_str().unwrap().to_string());
        let k: Value = s
            .post_json(
                "/v1/api-keys",
                &s.admin,
                &json!({"role": "sealer", "department_id": dept}),
            )
            .json()
            .unwrap();
        keys.push(k["key"].as_str().unwrap().to_string());
    }
    // Cross-level: a county organisation below the demo bureau, with its own seal and sealer.
    let o: Value = s
        .post_json("/v1/organizations", &s.admin, &json!({"name": "Gulou District Market Bureau", "level": "county", "uscc": "91350102M000200A1R"}))
        .json()
        .unwrap();
    let county_admin = o["admin_key"].as_str().unwrap().to_string();
    let cs: Value = s
        .post_json(
            "/v1/seals",
            &county_admin,
            &json!({"name": "Gulou District Seal"}),
        )
        .json()
        .unwrap();
    seals.push(cs["id"].as_str().unwrap().to_string());
    keys.push(county_admin.clone());

    use base64::Engine;
    let pdf = base64::engine::general_purpose::STANDARD.encode(sample_pdf(20_000));
    let steps: Vec<Value> = seals.iter().map(|id| json!({"seal_id": id})).collect();
    let r = s.post_json(
        "/v1/documents",
        &s.admin,
        &json!({"title": "Joint approval", "steps": steps, "pdf_base64": pdf}),
    );
    assert_eq!(r.status(), 201);
    let doc: Value = r.json().unwrap();
    let id = doc["id"].as_str().unwrap().to_string();
    assert_eq!(doc["state"], "prepared");
    assert_eq!(doc["next"], json!([1]));
    // Out of turn: refused.
    problem(
        s.post_json(
            &format!("/v1/documents/{id}/steps/2/seal"),
            &keys[1],
            &json!({}),
        ),
        409,
    );
    // Another department's key cannot seal step 1 (its seal is hidden from it).
    problem(
        s.post_json(
            &format!("/v1/documents/{id}/steps/1/seal"),
            &keys[1],
            &json!({}),
        ),
        404,
    );
    for (i, key) in keys.iter().enumerate() {
        let n = i + 1;
        let r = s.post_json(
            &format!("/v1/documents/{id}/steps/{n}/seal"),
            key,
            &json!({}),
        );
        assert_eq!(
            r.status(),
            200,
            "step {n}: {}",
            r.text().unwrap_or_default()
        );
        let d: Value = s
            .get(&format!("/v1/documents/{id}"), Some(&s.admin))
            .json()
            .unwrap();
        assert_eq!(d["sealed"], n);
        let want = if n == keys.len() {
            "complete"
        } else {
            "sealed"
        };
        assert_eq!(d["state"], want);
        if n < keys.len() {
            assert_eq!(d["next"], json!([n + 1]));
        }
    }
    let file = s
        .get(&format!("/v1/documents/{id}/file"), Some(&s.admin))
        .bytes()
        .unwrap();
    let report = verify_report(&file, &s.root_pem());
    assert_eq!(report.signatures.len(), 4, "{}", report.to_text());
    for sig in &report.signatures {
        assert_eq!(
            sig.indication.as_str(),
            "TOTAL-PASSED",
            "{}",
            report.to_text()
        );
    }
    assert!(report.passed());
    assert_eq!(
        report.signatures[0].certification_level,
        Some(eseal_pdf::sigdict::DocMdpPermission::FormFillingAndSigning)
    );
}
both!(multi_department_document);

/// Several appends; every entry's inclusion proof and consistency proofs between heads verify.
fn audit_log_proofs(s: &Server) {
    let h1: Value = s.get("/v1/log/head", None).json().unwrap();
    for i in 0..5 {
        let _ = s.post_json(
            "/v1/departments",
            &s.admin,
            &json!({"name": format!("Dept {i}")}),
        );
    }
    let h2: Value = s.get("/v1/log/head", None).json().unwrap();
    let (m, n) = (
        h1["tree_size"].as_u64().unwrap(),
        h2["tree_size"].as_u64().unwrap(),
    );
    assert!(n >= m + 5);
    for i in 0..n as i64 {
        prove_entry(s, i);
    }
    let c: Value = s
        .get(
            &format!("/v1/log/proof/consistency?first={m}&second={n}"),
            None,
        )
        .json()
        .unwrap();
    assert_eq!(c["first_root"], h1["root_hash"]);
    assert_eq!(c["second_root"], h2["root_hash"]);
    assert!(!c["consistency_path"].as_array().unwrap().is_empty());
}
both!(audit_log_proofs);

/// UPDATE and DELETE on the audit log are refused by the database itself.
fn append_only(s: &Server) {
    let (upd, del) = s.sql(async |p| {
        let u = sqlx::query("UPDATE audit_log SET kind = 'x' WHERE idx = 0")
            .execute(&p)
            .await;
        let d = sqlx::query("DELETE FROM audit_log").execute(&p).await;
        (
            u.map(|_| ()).map_err(|e| e.to_string()),
            d.map(|_| ()).map_err(|e| e.to_string()),
        )
    });
    assert!(upd.unwrap_err().contains("append-only"));
    assert!(del.unwrap_err().contains("append-only"));
}
both!(append_only);

/// A department's admin key acts within its department: it makes keys and seals for that
/// department only, and nothing that binds the whole organisation (org-wide keys and seals,
/// child organisations, CAs, suspending the official seal). A suspended seal is reactivated
/// by an admin of its scope.
fn department_scope(s: &Server) {
    let dept = |name: &str| -> String {
        let d: Value = s
            .post_json("/v1/departments", &s.admin, &json!({ "name": name }))
            .json()
            .unwrap();
        d["id"].as_str().unwrap().to_string()
    };
    let (a, b) = (dept("Licensing Section"), dept("Inspection Section"));
    let official = s.demo_seal();
    let key: Value = s
        .post_json(
            "/v1/api-keys",
            &s.admin,
            &json!({"role": "admin", "department_id": a}),
        )
        .json()
        .unwrap();
    let dept_admin = key["key"].as_str().unwrap().to_string();
    for (path, body) in [
        ("/v1/api-keys", json!({"role": "admin"})),
        (
            "/v1/api-keys",
            json!({"role": "sealer", "department_id": b}),
        ),
        ("/v1/seals", json!({"name": "Org-wide Seal"})),
        ("/v1/seals", json!({"name": "B Seal", "department_id": b})),
        (
            "/v1/organizations",
            json!({"name": "Child", "level": "county"}),
        ),
        ("/v1/cas", json!({"name": "Dept CA"})),
        ("/v1/departments", json!({"name": "Another"})),
    ] {
        problem(s.post_json(path, &dept_admin, &body), 403);
    }
    let r = s.post_json(
        "/v1/api-keys",
        &dept_admin,
        &json!({"role": "sealer", "department_id": a}),
    );
    assert_eq!(r.status(), 201);
    let r = s.post_json(
        "/v1/seals",
        &dept_admin,
        &json!({"name": "Licensing Seal", "department_id": a}),
    );
    assert_eq!(r.status(), 201);
    let own: Value = r.json().unwrap();
    let own = own["id"].as_str().unwrap().to_string();
    // The official seal is the organisation's: not the department's to suspend.
    problem(
        s.post_json(
            &format!("/v1/seals/{official}/suspend"),
            &dept_admin,
            &json!({}),
        ),
        403,
    );
    // Its own seal: suspended, suspended again (409), reactivated.
    let suspend = format!("/v1/seals/{own}/suspend");
    let activate = format!("/v1/seals/{own}/activate");
    assert_eq!(s.post_json(&suspend, &dept_admin, &json!({})).status(), 200);
    problem(s.post_json(&suspend, &dept_admin, &json!({})), 409);
    let v: Value = s
        .post_json(&activate, &dept_admin, &json!({}))
        .json()
        .unwrap();
    assert_eq!(v["status"], "active");
    problem(s.post_json(&activate, &s.admin, &json!({})), 409);
}
both!(department_scope);

/// A unified social credit code identifies one organisation: no admin, however high, can
/// create a second organisation with a code already on the platform (the way to obtain seal
/// certificates in another's name), in any case of letters.
fn uscc_names_one_organisation(s: &Server) {
    let taken = [
        "91350100M000100Y43", // the demo bureau's
        "91350100m000100y43",
    ];
    for uscc in taken {
        let r = s.post_json(
            "/v1/organizations",
            &s.admin,
            &json!({"name": "Fuzhou Market Regulation Bureau", "level": "county", "uscc": uscc}),
        );
        let p = problem(r, 409);
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("one code names one organisation"),
            "{p}"
        );
    }
    let r = s.post_json(
        "/v1/organizations",
        &s.admin,
        &json!({"name": "Cangshan Bureau", "level": "county", "uscc": "91350103m000300b24"}),
    );
    assert_eq!(r.status(), 201);
    let child: Value = r.json().unwrap();
    // Stored upper case: the child cannot be given the same code in the other case either.
    let r = s.post_json(
        "/v1/organizations",
        child["admin_key"].as_str().unwrap(),
        &json!({"name": "Cangshan Sub-bureau", "level": "county", "uscc": "91350103M000300B24"}),
    );
    problem(r, 409);
    let bad = s.post_json(
        "/v1/organizations",
        &s.admin,
        &json!({"name": "Typo Bureau", "level": "county", "uscc": "91350103M000300B25"}),
    );
    problem(bad, 400);
}
both!(uscc_names_one_organisation);

/// CAs: create a sub-CA, issue and revoke a certificate; public certificate and CRL downloads.
fn cas_and_certificates(s: &Server) {
    let root = s.root_ca_for(&s.admin, "Bureau Root CA");
    let root_id = root["id"].as_str().unwrap();
    let sub: Value = s
        .post_json(
            "/v1/cas",
            &s.admin,
            &json!({"name": "Bureau Sub CA", "level": "county", "parent_id": root_id}),
        )
        .json()
        .unwrap();
    let sub_id = sub["id"].as_str().unwrap();
    let list: Value = s.get("/v1/cas", Some(&s.admin)).json().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let pem = s
        .get(&format!("/v1/cas/{sub_id}/certificate"), None)
        .text()
        .unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    // Nobody obtains a certificate in another's name or code, even from their own CA.
    for other in [
        json!({"common_name": "Seal", "organization": "福建省人民政府"}),
        json!({"common_name": "Seal", "uscc": "91350102M000200A1R"}),
    ] {
        problem(
            s.post_json(&format!("/v1/cas/{sub_id}/certificates"), &s.admin, &other),
            422,
        );
    }
    let issued: Value = s
        .post_json(
            &format!("/v1/cas/{sub_id}/certificates"),
            &s.admin,
            &json!({"common_name": "Invoice Seal", "uscc": "91350100m000100y43"}),
        )
        .json()
        .unwrap();
    // The subject names the organisation as recorded.
    let subject = issued["subject"].as_str().unwrap();
    assert!(
        subject.contains("91350100M000100Y43") && !subject.contains("O=Invoice Seal"),
        "{subject}"
    );
    let cert_id = issued["id"].as_str().unwrap();
    assert!(issued["key_pem"]
        .as_str()
        .unwrap()
        .contains("ENCRYPTED PRIVATE KEY"));
    let serial = issued["serial"].as_str().unwrap().to_string();
    let r: Value = s
        .post_json(
            &format!("/v1/certificates/{cert_id}/revoke"),
            &s.admin,
            &json!({"reason": "keyCompromise"}),
        )
        .json()
        .unwrap();
    assert_eq!(r["status"], "revoked");
    let crl = s.get(&format!("/v1/cas/{sub_id}/crl"), None);
    assert_eq!(crl.headers()["content-type"], "application/pkix-crl");
    let crls = eseal_certs::crl::crls_from_bytes(&crl.bytes().unwrap()).unwrap();
    let serial_bytes = hex::decode(&serial).unwrap();
    assert!(eseal_certs::crl::lookup(&crls[0], &serial_bytes).is_some());
    // Another organisation cannot issue from this CA.
    let o: Value = s
        .post_json(
            "/v1/organizations",
            &s.admin,
            &json!({"name": "Other", "level": "county"}),
        )
        .json()
        .unwrap();
    let other = o["admin_key"].as_str().unwrap();
    problem(
        s.post_json(
            &format!("/v1/cas/{sub_id}/certificates"),
            other,
            &json!({"common_name": "x"}),
        ),
        404,
    );
}
both!(cas_and_certificates);

/// Graceful shutdown on SIGTERM, and a restart keeps the state (no new demo).
#[test]
fn restart_keeps_state() {
    let mut s = Server::start(Db::Sqlite).unwrap();
    let seal = s.demo_seal();
    let status = s.terminate();
    assert!(status.success(), "exit on SIGTERM: {status}");
    s.spawn();
    assert_eq!(s.demo_seal(), seal);
    assert!(s.log().contains("shutting down"));
}
