//! Licences end to end against the real `eseal serve` (SQLite, and PostgreSQL with
//! DATABASE_URL): issue → file → the QR code decodes (pdftoppm + zbarimg) to the verify URL →
//! the public page says valid → the holder grants the demo agency → the agency's annotated
//! copy verifies (issuer seal and platform seal TOTAL-PASSED) → any other key, withdrawal and
//! expiry are refused (403) and recorded → change (the old version verifies as superseded) →
//! cancel (verification says cancelled). Plus the page in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod service_support;

use std::process::Command;

use serde_json::{json, Value};
use service_support::{Db, Server};

fn agency_key(s: &Server) -> String {
    std::fs::read_to_string(s.data.join("demo-agency.key"))
        .expect("demo-agency.key")
        .trim()
        .to_string()
}

fn artifacts() -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts");
    std::fs::create_dir_all(&d).expect("artifacts dir");
    d
}

fn days_from_now(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

fn issue(s: &Server, holder: &str) -> Value {
    let r = s.post_json(
        "/v1/licences",
        &s.admin,
        &json!({
            "type": "demo-business-licence",
            "holder_name": holder,
            "holder_code": "91350100M000100Y43",
            "fields": {
                "kind": "有限责任公司（自然人投资或控股）",
                "legal_representative": "张三明",
                "capital": "壹佰万元整",
                "established": "2020年05月18日",
                "term": "长期",
                "scope": "软件开发；信息技术咨询服务",
                "address": "福建省福州市鼓楼区示例路1号",
            }
        }),
    );
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap_or_default());
    r.json().expect("json")
}

fn bytes(r: reqwest::blocking::Response, status: u16) -> Vec<u8> {
    let st = r.status().as_u16();
    let b = r.bytes().expect("body").to_vec();
    assert_eq!(st, status, "{}", String::from_utf8_lossy(&b));
    b
}

/// The service's verification report of a file (JSON, with the licence object).
fn verify(s: &Server, pdf: &[u8]) -> Value {
    let r = s.post_pdf("/v1/verify", &s.admin, pdf);
    assert_eq!(r.status().as_u16(), 200);
    r.json().expect("report")
}

fn holder_req(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::blocking::RequestBuilder {
    Server::client()
        .request(method, s.url(path))
        .bearer_auth(token)
}

/// Renders page 1 of a PDF to PNG at `dpi` and returns the PNG's path.
fn render_png(pdf: &[u8], dir: &std::path::Path, name: &str, dpi: u32) -> std::path::PathBuf {
    let input = dir.join(format!("{name}.pdf"));
    std::fs::write(&input, pdf).expect("write pdf");
    let prefix = dir.join(name);
    let st = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
        ])
        .arg(&input)
        .arg(&prefix)
        .status()
        .expect("pdftoppm");
    assert!(st.success(), "pdftoppm failed");
    prefix.with_extension("png")
}

fn contract(s: &Server) {
    let agency = agency_key(s);
    // GET /v1/me names the caller's organisation.
    let me: Value = s.get("/v1/me", Some(&agency)).json().expect("me");
    assert_eq!(me["name"], "Fuzhou Housing Provident Fund Centre");
    let agency_id = me["organization_id"].as_str().expect("org id").to_string();
    let admin_me: Value = s.get("/v1/me", Some(&s.admin)).json().expect("me");
    assert!(admin_me["organization_id"].is_string() && admin_me["name"].is_string());

    // Issue.
    let lic = issue(s, "福州示例科技有限公司");
    let id = lic["id"].as_str().expect("id").to_string();
    let identifier = lic["identifier"].as_str().expect("identifier").to_string();
    let token = lic["holder_token"]
        .as_str()
        .expect("holder_token")
        .to_string();
    assert!(identifier.starts_with("1.2.156.3005.2."), "{identifier}");
    assert!(
        identifier.contains(".91350100M000100Y43."),
        "issuer code: {identifier}"
    );
    assert!(identifier.ends_with(&format!(".001.{}", identifier.chars().last().unwrap())));
    eseal_certs::national_codes::LicenceIdentifier::parse(&identifier)
        .expect("valid check character");
    assert_eq!(lic["status"], "active");
    // Only the issuer's admin key is allowed to issue.
    let r = s.post_json(
        "/v1/licences",
        &agency,
        &json!({"type": "demo-business-licence", "holder_name": "x", "holder_code": "y"}),
    );
    assert_eq!(r.status().as_u16(), 403);
    let r = s.post_json(
        "/v1/licences",
        &s.admin,
        &json!({"type": "no-such-type", "holder_name": "x", "holder_code": "y"}),
    );
    assert_eq!(r.status().as_u16(), 422);

    // The file: issuer admin and holder may read it; the agency may not.
    let pdf = bytes(
        s.get(&format!("/v1/licences/{id}/file"), Some(&s.admin)),
        200,
    );
    let by_holder = bytes(s.get(&format!("/v1/licences/{id}/file"), Some(&token)), 200);
    assert_eq!(pdf, by_holder);
    let r = s.get(&format!("/v1/licences/{id}/file"), Some(&agency));
    assert!(matches!(r.status().as_u16(), 403 | 404));
    let report = verify(s, &pdf);
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 1, "{report:#}");
    assert_eq!(sigs[0]["indication"], "TOTAL-PASSED", "{report:#}");
    assert_eq!(sigs[0]["certification_level"], 2);
    assert_eq!(report["licence"]["status"], "current");
    assert_eq!(report["licence"]["identifier"], identifier.as_str());

    // The QR code decodes to the verify URL.
    let tmp = tempfile::tempdir().expect("tmp");
    let verify_url = lic["verify_url"].as_str().expect("verify_url").to_string();
    assert!(
        verify_url.starts_with(&format!("{}/v/{identifier}?d=", s.base)),
        "{verify_url}"
    );
    if common::tool("pdftoppm") && common::tool("zbarimg") {
        let png = render_png(&pdf, tmp.path(), "licence", 200);
        let out = Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&png)
            .output()
            .expect("zbarimg");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.trim(),
            verify_url,
            "zbarimg: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The public page (no key) says valid, masks the holder, and the digest matches.
    let path = verify_url
        .strip_prefix(&s.base)
        .expect("own URL")
        .to_string();
    let html = s.get(&path, None).text().expect("page");
    assert!(html.contains("data-status=\"current\""), "{html}");
    assert!(html.contains("证照有效") && html.contains("QR code matches"));
    assert!(!html.contains("福州示例科技有限公司") && html.contains("福州示****限公司"));
    assert!(html.contains("9135************43") && html.contains("name=\"viewport\""));
    let page: Value = Server::client()
        .get(s.url(&path))
        .header("accept", "application/json")
        .send()
        .expect("page json")
        .json()
        .expect("json");
    assert_eq!(page["status"], "current");
    assert_eq!(page["valid"], true);
    assert_eq!(page["digest_matches"], true);
    assert_eq!(page["seals"][0]["indication"], "TOTAL-PASSED");
    // A wrong digest is said plainly; an unknown identifier is a 404 page.
    let other: Value = Server::client()
        .get(s.url(&format!("/v/{identifier}?d=AAAA")))
        .header("accept", "application/json")
        .send()
        .expect("page")
        .json()
        .expect("json");
    assert_eq!(other["digest_matches"], false);
    assert_eq!(
        s.get("/v/1.2.156.3005.2.nothing", None).status().as_u16(),
        404
    );

    // Uploading the file one was shown: same, different, not ours.
    let compare = |file: &[u8]| -> Value {
        let form = reqwest::blocking::multipart::Form::new().part(
            "file",
            reqwest::blocking::multipart::Part::bytes(file.to_vec()).file_name("shown.pdf"),
        );
        Server::client()
            .post(s.url(&format!("/v/{identifier}")))
            .header("accept", "application/json")
            .multipart(form)
            .send()
            .expect("compare")
            .json()
            .expect("json")
    };
    assert_eq!(compare(&pdf)["comparison"]["result"], "same");
    assert_eq!(
        compare(&service_support::sample_pdf(2000))["comparison"]["result"],
        "not-ours"
    );
    // A page's errors are pages for a browser and problem documents for a program.
    let wrong_body = |accept: &str| {
        Server::client()
            .post(s.url(&format!("/v/{identifier}")))
            .header("accept", accept)
            .header("content-type", "text/plain")
            .body("not a licence")
            .send()
            .expect("upload")
    };
    let r = wrong_body("text/html,application/xhtml+xml");
    assert_eq!(r.status().as_u16(), 415);
    let ct = r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .to_string();
    let page = r.text().expect("page");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        page.contains("证照核验") && !page.contains("\"detail\""),
        "{page}"
    );
    // The unknown licence too: a page in the browser (it was a problem document with the
    // page inside its detail).
    let r = Server::client()
        .get(s.url("/v/1.2.156.0.unknown"))
        .header("accept", "text/html")
        .send()
        .expect("unknown");
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    let r = wrong_body("application/json");
    assert_eq!(r.status().as_u16(), 415);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("application/problem+json"));
    let html = Server::client()
        .post(s.url(&format!("/v/{identifier}")))
        .multipart(reqwest::blocking::multipart::Form::new().part(
            "file",
            reqwest::blocking::multipart::Part::bytes(pdf.clone()).file_name("shown.pdf"),
        ))
        .send()
        .expect("compare")
        .text()
        .expect("html");
    assert!(html.contains("data-result=\"same\""));

    // 亮证: a presentation code opens the page until it expires, then 410.
    let p: Value = holder_req(
        s,
        reqwest::Method::POST,
        &format!("/v1/licences/{id}/presentations"),
        &token,
    )
    .json(&json!({"minutes": 2}))
    .send()
    .expect("present")
    .json()
    .expect("json");
    let code = p["code"].as_str().expect("code").to_string();
    assert!(p["url"].as_str().unwrap().ends_with(&format!("/p/{code}")));
    let r = s.get(&format!("/p/{code}"), None);
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().unwrap().contains("data-status=\"current\""));
    s.sql(async |pool| {
        sqlx::query("UPDATE licence_presentations SET expires_at = 1")
            .execute(&pool)
            .await
            .expect("expire");
    });
    assert_eq!(s.get(&format!("/p/{code}"), None).status().as_u16(), 410);

    // Holder grants the agency (by name); bad dates are refused.
    let grant = |until: &str, tok: &str| {
        holder_req(s, reqwest::Method::POST, &format!("/v1/licences/{id}/grants"), tok)
            .json(&json!({"agency": "Fuzhou Housing Provident Fund Centre", "matter": "住房公积金贷款审核", "until": until}))
            .send()
            .expect("grant")
    };
    assert!(matches!(
        grant(&days_from_now(-1), &token).status().as_u16(),
        400 | 422
    ));
    assert!(matches!(
        grant(&days_from_now(91), &token).status().as_u16(),
        400 | 422
    ));
    assert_eq!(grant(&days_from_now(30), &s.admin).status().as_u16(), 403);
    let r = grant(&days_from_now(30), &token);
    assert_eq!(r.status().as_u16(), 201);
    let g: Value = r.json().expect("grant json");
    let gid = g["id"].as_str().expect("grant id").to_string();
    assert_eq!(g["agency_id"], agency_id.as_str());
    let list: Value = holder_req(
        s,
        reqwest::Method::GET,
        &format!("/v1/licences/{id}/grants"),
        &token,
    )
    .send()
    .expect("list")
    .json()
    .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // An organisation that takes the agency's name does not receive its copies: grants go to
    // registered relying parties only (by name, the registered one; the impostor, not
    // registered, is refused even by its id).
    let r = s.post_json(
        "/v1/organizations",
        &s.admin,
        &json!({"name": "Fuzhou Housing Provident Fund Centre", "level": "county"}),
    );
    assert_eq!(r.status().as_u16(), 201);
    let impostor: Value = r.json().expect("org");
    let r = grant(&days_from_now(30), &token);
    assert_eq!(r.status().as_u16(), 201);
    let by_name: Value = r.json().expect("grant");
    assert_eq!(by_name["agency_id"], agency_id.as_str());
    let r = holder_req(
        s,
        reqwest::Method::POST,
        &format!("/v1/licences/{id}/grants"),
        &token,
    )
    .json(
        &json!({"agency": impostor["organization_id"], "matter": "住房公积金贷款审核",
                  "until": days_from_now(30)}),
    )
    .send()
    .expect("grant");
    assert_eq!(r.status().as_u16(), 422);
    // By id the grant goes to the agency meant.
    let grant_by_id = |until: &str| {
        holder_req(
            s,
            reqwest::Method::POST,
            &format!("/v1/licences/{id}/grants"),
            &token,
        )
        .json(&json!({"agency": agency_id, "matter": "住房公积金贷款审核", "until": until}))
        .send()
        .expect("grant")
    };

    // The agency's annotated copy: both seals valid, the annotation shown.
    let copy = bytes(s.get(&format!("/v1/grants/{gid}/copy"), Some(&agency)), 200);
    assert!(
        copy.starts_with(&pdf),
        "the copy is an incremental update of the licence"
    );
    let report = verify(s, &copy);
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 2, "{report:#}");
    for sig in sigs {
        assert_eq!(sig["indication"], "TOTAL-PASSED", "{report:#}");
    }
    assert_eq!(report["verdict"]["indication"], "TOTAL-PASSED");
    assert_eq!(report["annotation"]["expired"], false, "{report:#}");
    assert_eq!(report["licence"]["status"], "current");
    assert_eq!(compare(&copy)["comparison"]["result"], "same");
    if common::tool("pdftoppm") {
        let png = render_png(&copy, tmp.path(), "annotated-copy", 110);
        std::fs::copy(&png, artifacts().join("annotated-copy.png")).expect("artifact");
    }
    // A matter other than the grant's is refused (一事一查).
    let r = Server::client()
        .get(s.url(&format!("/v1/grants/{gid}/copy?matter=other")))
        .bearer_auth(&agency)
        .send()
        .expect("copy");
    assert_eq!(r.status().as_u16(), 403);

    // Any other key: 403, recorded.
    assert_eq!(
        s.get(&format!("/v1/grants/{gid}/copy"), Some(&s.admin))
            .status()
            .as_u16(),
        403
    );
    let denied = s.sql(async |pool| {
        use sqlx::Row;
        sqlx::query("SELECT entry FROM audit_log WHERE kind = 'access.denied'")
            .fetch_all(&pool)
            .await
            .expect("audit")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .filter(|e| e.contains(&gid))
            .count()
    });
    assert!(denied >= 2, "refusals are recorded ({denied})");

    // After the date: 403.
    s.sql(async |pool| {
        sqlx::query("UPDATE licence_grants SET until_at = 1")
            .execute(&pool)
            .await
            .expect("expire");
    });
    assert_eq!(
        s.get(&format!("/v1/grants/{gid}/copy"), Some(&agency))
            .status()
            .as_u16(),
        403
    );
    // A second grant, withdrawn: 403.
    let r = grant_by_id(&days_from_now(10));
    assert_eq!(r.status().as_u16(), 201);
    let g2: Value = r.json().expect("grant");
    assert_eq!(g2["agency_id"], agency_id.as_str());
    let g2 = g2["id"].as_str().expect("id").to_string();
    assert_eq!(
        s.get(&format!("/v1/grants/{g2}/copy"), Some(&agency))
            .status()
            .as_u16(),
        200
    );
    let r = holder_req(
        s,
        reqwest::Method::DELETE,
        &format!("/v1/grants/{g2}"),
        &token,
    )
    .send()
    .expect("withdraw");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        s.get(&format!("/v1/grants/{g2}/copy"), Some(&agency))
            .status()
            .as_u16(),
        403
    );

    // Change: version 002; the old file verifies as superseded.
    let r = s.post_json(
        &format!("/v1/licences/{id}/change"),
        &s.admin,
        &json!({"fields": {"address": "福建省福州市台江区新址路8号"}}),
    );
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().expect("json");
    assert_eq!(v["version"], 2);
    let id2 = v["identifier"].as_str().expect("identifier").to_string();
    assert!(id2.contains(".002."), "{id2}");
    let old = verify(s, &pdf);
    assert_eq!(old["licence"]["status"], "superseded", "{old:#}");
    assert_eq!(old["licence"]["version"], 1);
    // The registry's word comes first in the summary, before the seals' verdict.
    let summary = old["verdict"]["summary"].as_str().unwrap();
    assert!(summary.contains("superseded"), "{summary}");
    assert!(
        summary.starts_with(old["licence"]["message"].as_str().unwrap()),
        "{summary}"
    );
    let pdf2 = bytes(
        s.get(&format!("/v1/licences/{id}/file"), Some(&s.admin)),
        200,
    );
    assert_ne!(pdf, pdf2);
    assert_eq!(verify(s, &pdf2)["licence"]["status"], "current");
    let html = s.get(&path, None).text().expect("page");
    assert!(html.contains("data-status=\"superseded\""));

    // Cancel: verification of the file then says cancelled.
    let r = s.post_json(
        &format!("/v1/licences/{id}/cancel"),
        &s.admin,
        &json!({"reason": "business closed"}),
    );
    assert_eq!(r.status().as_u16(), 200);
    let after = verify(s, &pdf2);
    assert_eq!(after["licence"]["status"], "cancelled");
    assert!(after["licence"]["message"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    assert!(after["verdict"]["summary"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    assert_eq!(verify(s, &pdf)["licence"]["status"], "cancelled");
    let html = s.get(&format!("/v/{id2}"), None).text().expect("page");
    assert!(html.contains("data-status=\"cancelled\"") && html.contains("已注销"));
    // Nothing more happens to a cancelled licence.
    let r = s.post_json(&format!("/v1/licences/{id}/cancel"), &s.admin, &json!({}));
    assert_eq!(r.status().as_u16(), 409);
    let r = s.post_json(
        &format!("/v1/licences/{id}/change"),
        &s.admin,
        &json!({"fields": {"address": "x"}}),
    );
    assert_eq!(r.status().as_u16(), 409);

    // Every step is in the audit log.
    let kinds = s.sql(async |pool| {
        use sqlx::Row;
        sqlx::query("SELECT kind FROM audit_log ORDER BY idx")
            .fetch_all(&pool)
            .await
            .expect("audit")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<_>>()
    });
    for k in [
        "licence.issued",
        "licence.grant.created",
        "licence.copy.made",
        "licence.grant.withdrawn",
        "licence.changed",
        "licence.cancelled",
    ] {
        assert!(kinds.iter().any(|x| x == k), "audit has {k}: {kinds:?}");
    }
}

#[test]
fn contract_sqlite() {
    if let Some(s) = Server::start(Db::Sqlite) {
        contract(&s);
    }
}

#[test]
fn contract_postgres() {
    if let Some(s) = Server::start(Db::Postgres) {
        contract(&s);
    }
}

/// Correction and replacement make new versions; a batch issues several licences.
#[test]
fn lifecycle_and_batch() {
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let lic = issue(&s, "张三明");
    let id = lic["id"].as_str().unwrap().to_string();
    let r = s.post_json(
        &format!("/v1/licences/{id}/correct"),
        &s.admin,
        &json!({"fields": {"capital": "贰佰万元整"}, "reason": "typo"}),
    );
    assert_eq!(r.status().as_u16(), 200);
    let r = s.post_json(&format!("/v1/licences/{id}/replace"), &s.admin, &json!({}));
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = s
        .get(&format!("/v1/licences/{id}"), Some(&s.admin))
        .json()
        .unwrap();
    let statuses: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["corrected", "replaced", "current"]);
    // Change without anything to change is refused.
    let r = s.post_json(&format!("/v1/licences/{id}/change"), &s.admin, &json!({}));
    assert_eq!(r.status().as_u16(), 400);

    let lines = [
        json!({"type": "demo-business-licence", "holder_name": "甲公司", "holder_code": "91350100M000100Y43", "fields": {}}).to_string(),
        "not json".to_string(),
        json!({"type": "demo-business-licence", "holder_name": "乙公司", "holder_code": "91350100M000100Y43", "fields": {}}).to_string(),
    ]
    .join("\n");
    let r = Server::client()
        .post(s.url("/v1/licence-batches"))
        .bearer_auth(&s.admin)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let b: Value = r.json().unwrap();
    let bid = b["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let done = loop {
        let b: Value = s
            .get(&format!("/v1/licence-batches/{bid}"), Some(&s.admin))
            .json()
            .unwrap();
        if b["status"] == "done" {
            break b;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "batch did not finish: {b}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(done["total"], 3);
    assert_eq!(done["done"], 2);
    assert_eq!(done["failed"], 1);
    assert_eq!(done["errors"][0]["line"], 2);
    let list: Value = s.get("/v1/licences", Some(&s.admin)).json().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
}

/// The public page in headless Chromium at a phone's size: a screenshot for the note and
/// the page's text from the DOM.
#[test]
fn verify_page_in_chromium() {
    if !common::tool("chromium") {
        return;
    }
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let lic = issue(&s, "张三明");
    let url = lic["verify_url"].as_str().unwrap().to_string();
    let profile = tempfile::tempdir().unwrap();
    let shot = artifacts().join("verify-page.png");
    let _ = std::fs::remove_file(&shot);
    let chromium = |extra: &[&str]| {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--window-size=390,844", "--force-device-scale-factor=2"])
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium")
    };
    let out = chromium(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("证照有效") && dom.contains("Valid licence"),
        "{dom}"
    );
    assert!(dom.contains("张*明") && !dom.contains("张三明"));
    assert!(dom.contains("TOTAL-PASSED") && dom.contains("QR code matches"));
    let out = chromium(&[&format!("--screenshot={}", shot.display())]);
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::File::open(&shot).unwrap();
    let info = png::Decoder::new(std::io::BufReader::new(png))
        .read_info()
        .unwrap();
    assert_eq!(info.info().width, 780, "390 CSS pixels at scale 2");
}

/// The CLI as a client of the service: batch from CSV with the progress bar, then new, grant
/// and copy.
#[test]
fn cli_batch_new_grant_copy() {
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("admin.key"), &s.admin).unwrap();
    std::fs::write(dir.join("agency.key"), agency_key(&s)).unwrap();
    std::fs::write(
        dir.join("in.csv"),
        "holder_name,holder_code,capital,address\n\
         甲科技有限公司,91350100M000100Y43,壹佰万元整,\"福州市鼓楼区1号, 2层\"\n\
         乙科技有限公司,91350100M000100Y43,贰佰万元整,福州市台江区2号\n",
    )
    .unwrap();
    let out = common::eseal(
        dir,
        &[
            "licence",
            "batch",
            "--server",
            &s.base,
            "--key-file",
            "admin.key",
            "--in",
            "in.csv",
            "--out",
            "sealed",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let pdfs: Vec<_> = std::fs::read_dir(dir.join("sealed"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(pdfs.len(), 2, "{pdfs:?}");
    for p in &pdfs {
        let report = verify(&s, &std::fs::read(p).unwrap());
        assert_eq!(report["verdict"]["indication"], "TOTAL-PASSED");
        assert_eq!(report["licence"]["status"], "current");
    }
    // A bad line fails the batch with exit 1 and names the line.
    std::fs::write(
        dir.join("bad.jsonl"),
        "{\"type\": \"demo-business-licence\"}\n",
    )
    .unwrap();
    let out = common::eseal(
        dir,
        &[
            "licence",
            "batch",
            "--server",
            &s.base,
            "--key-file",
            "admin.key",
            "--in",
            "bad.jsonl",
            "--out",
            "bad",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("line 1"));

    let text = common::ok(
        dir,
        &[
            "licence",
            "new",
            "--server",
            &s.base,
            "--key-file",
            "admin.key",
            "--holder-name",
            "丙公司",
            "--holder-code",
            "91350100M000100Y43",
            "--field",
            "capital=叁佰万元整",
            "--out",
            "new.pdf",
        ],
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(dir.join("new.pdf").exists());
    std::fs::write(
        dir.join("holder.token"),
        v["holder_token"].as_str().unwrap(),
    )
    .unwrap();
    let id = v["id"].as_str().unwrap();
    let text = common::ok(
        dir,
        &[
            "licence",
            "grant",
            "--server",
            &s.base,
            "--key-file",
            "holder.token",
            id,
            "--agency",
            "Fuzhou Housing Provident Fund Centre",
            "--matter",
            "开户",
            "--until",
            &days_from_now(5),
        ],
    );
    let g: Value = serde_json::from_str(&text).unwrap();
    let gid = g["id"].as_str().unwrap();
    common::ok(
        dir,
        &[
            "licence",
            "copy",
            "--server",
            &s.base,
            "--key-file",
            "agency.key",
            gid,
            "--out",
            "copy.pdf",
        ],
    );
    let report = verify(&s, &std::fs::read(dir.join("copy.pdf")).unwrap());
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);
    // The admin's key is not the agency's: exit 1 (refused).
    let out = common::eseal(
        dir,
        &[
            "licence",
            "copy",
            "--server",
            &s.base,
            "--key-file",
            "admin.key",
            gid,
            "--out",
            "x.pdf",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = common::ok(
        dir,
        &[
            "licence",
            "cancel",
            "--server",
            &s.base,
            "--key-file",
            "admin.key",
            id,
        ],
    );
    assert!(text.contains("\"cancelled\""));
}

/// The catalogue: an admin adds a licence type with its own template and type code, licences
/// of that type carry its type code in their identifier and its title on the page; bad type
/// codes, server-side background paths, duplicates and non-admins are refused.
#[test]
fn catalogue_adds_a_type_that_issues() {
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let listed: Value = s.get("/v1/licence-types", Some(&s.admin)).json().unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["code"] == "demo-business-licence"));

    let mut template =
        serde_json::to_value(eseal_pdf::licence::Template::demo_business_licence()).unwrap();
    template["title"] = json!("食品经营许可证");
    let new_type = |code: &str, type_code: &str, template: &Value| {
        json!({
            "code": code, "name": "食品经营许可证", "type_code": type_code,
            "authority_name": "Demo Market Regulation Administration", "template": template,
        })
    };
    // The SAMR code of standards.md with 045 for this type: another authority's type, so the
    // platform's operator publishes it.
    let r = s.post_json(
        "/v1/licence-types",
        &s.operator,
        &new_type("food-licence", "11100000000013338W045", &template),
    );
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap_or_default());
    let created: Value = r.json().unwrap();
    assert_eq!(created["authority_code"], "11100000000013338W");

    let r = s.post_json(
        "/v1/licences",
        &s.admin,
        &json!({"type": "food-licence", "holder_name": "福州示例餐饮有限公司",
                "holder_code": "91350100M000100Y43", "fields": {"scope": "热食类食品制售"}}),
    );
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap_or_default());
    let lic: Value = r.json().unwrap();
    let identifier = lic["identifier"].as_str().unwrap();
    assert!(
        identifier.starts_with("1.2.156.3005.2.11100000000013338W045."),
        "{identifier}"
    );
    let pdf = bytes(
        s.get(
            &format!("/v1/licences/{}/file", lic["id"].as_str().unwrap()),
            Some(&s.admin),
        ),
        200,
    );
    let report = verify(&s, &pdf);
    assert_eq!(report["signatures"][0]["indication"], "TOTAL-PASSED");
    if common::tool("pdftotext") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.pdf"), &pdf).unwrap();
        let out = Command::new("pdftotext")
            .args(["l.pdf", "-"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("食品经营许可证"));
    }

    // Refusals.
    let status = |body: &Value, key: &str| {
        s.post_json("/v1/licence-types", key, body)
            .status()
            .as_u16()
    };
    assert_eq!(
        status(
            &new_type("food-licence", "11100000000013338W045", &template),
            &s.operator
        ),
        409,
        "a code is taken once"
    );
    assert_eq!(
        status(
            &new_type("bad-code", "11100000000013338X045", &template),
            &s.operator
        ),
        422,
        "a USCC with a wrong check character"
    );
    let mut with_background = template.clone();
    with_background["background"] = json!("/etc/passwd");
    assert_eq!(
        status(
            &new_type("bg", "11100000000013338W046", &with_background),
            &s.operator
        ),
        422,
        "no server-side paths through the API"
    );
    let mut off_page = template.clone();
    off_page["seal_rect"] = json!([0, 0, 5000, 5000]);
    assert_eq!(
        status(
            &new_type("off-page", "11100000000013338W047", &off_page),
            &s.operator
        ),
        422
    );
    assert_eq!(
        status(
            &new_type("agency-type", "11100000000013338W048", &template),
            &agency_key(&s)
        ),
        403,
        "only admins add types"
    );
}
