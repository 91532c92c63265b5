//! Who may speak for whom (issue 14), against the real `eseal serve` on SQLite and
//! PostgreSQL: the operator above organisations, trust anchors per region, relying parties,
//! unique certificate subjects, the scoped licence catalogue, department-scoped reads and
//! identifiers that cannot be counted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
#[macro_use]
mod service_support;

use serde_json::{json, Value};
use service_support::{Db, Server};

fn problem(r: reqwest::blocking::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn created(r: reqwest::blocking::Response) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(got, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// A new organisation below the demo bureau; returns (id, admin key).
fn child(s: &Server, name: &str, uscc: Option<&str>) -> (String, String) {
    let mut body = json!({"name": name, "level": "county"});
    if let Some(u) = uscc {
        body["uscc"] = json!(u);
    }
    let v = created(s.post_json("/v1/organizations", &s.admin, &body));
    (
        v["organization_id"].as_str().unwrap().to_string(),
        v["admin_key"].as_str().unwrap().to_string(),
    )
}

fn verify_indication(s: &Server, key: &str, pdf: &[u8]) -> Value {
    let r = s.post_pdf("/v1/verify", key, pdf);
    assert_eq!(r.status(), 200);
    let report: Value = r.json().unwrap();
    report["signatures"][0].clone()
}

/// The first start writes the operator's key (0600); only it creates roots, mints operator
/// keys or changes trust; an organisation's admin, even the demo bureau's, cannot.
fn operator_above_organisations(s: &Server) {
    let me: Value = s.get("/v1/me", Some(&s.operator)).json().unwrap();
    assert_eq!(me["role"], "operator");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.data.join("demo-operator.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, grandchild) = child(s, "Gulou County Bureau", None);
    for key in [&s.admin, &grandchild] {
        let p = problem(
            s.post_json(
                "/v1/cas",
                key,
                &json!({"name": "福建省人民政府 Root", "region": "CN-FJ"}),
            ),
            403,
        );
        assert!(p["detail"].as_str().unwrap().contains("operators"), "{p}");
        problem(
            s.post_json("/v1/api-keys", key, &json!({"role": "operator"})),
            403,
        );
        problem(
            s.post_json(
                "/v1/trust-anchors",
                key,
                &json!({"certificate": String::from_utf8(s.root_pem()).unwrap(),
                        "label": "x", "region": "y"}),
            ),
            403,
        );
    }
    // The demo root is the platform's anchor, named with its region.
    let anchors: Value = s.get("/v1/trust-anchors", Some(&s.admin)).json().unwrap();
    let anchors = anchors.as_array().unwrap();
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert_eq!(anchors[0]["region"], "CN-FJ");
    assert_eq!(anchors[0]["source"], "platform");
    assert_eq!(anchors[0]["label"], "Fujian Province Root CA");
    // An operator's root for an organisation is anchored as it is made; a root needs a region.
    let org = s.organization_of(&grandchild);
    problem(
        s.post_json(
            "/v1/cas",
            &s.operator,
            &json!({"name": "Gulou Root", "organization_id": org}),
        ),
        422,
    );
    let root = s.root_ca_for(&grandchild, "Gulou Root");
    let anchors: Value = s.get("/v1/trust-anchors", Some(&s.admin)).json().unwrap();
    assert!(anchors
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["ca_id"] == root["id"] && a["label"] == "Gulou Root"));
    // The organisation builds below its root as before.
    created(s.post_json(
        "/v1/cas",
        &grandchild,
        &json!({"name": "Gulou Sub CA", "level": "county", "parent_id": root["id"]}),
    ));
}
both!(operator_above_organisations);

/// A seal made under another region's root verifies only while an operator trusts that root:
/// not before it is imported, TOTAL-PASSED after (the anchor listed with its label and region),
/// and not after it is withdrawn. Imports are checked: one CA certificate, not twice.
fn trust_across_regions(s: &Server) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let signed = common::sealed_with_hierarchy(p, "p256", &[]);
    let root_pem = std::fs::read_to_string(p.join("prov/ca.pem")).unwrap();

    let before = verify_indication(s, &s.admin, &signed);
    assert_ne!(before["indication"], "TOTAL-PASSED", "{before}");

    let anchor = created(s.post_json(
        "/v1/trust-anchors",
        &s.operator,
        &json!({"certificate": root_pem, "label": "Zhejiang Province Root CA", "region": "CN-ZJ"}),
    ));
    assert_eq!(anchor["source"], "pem");
    assert_eq!(anchor["region"], "CN-ZJ");
    let after = verify_indication(s, &s.admin, &signed);
    assert_eq!(after["indication"], "TOTAL-PASSED", "{after}");

    // The same root twice, a leaf certificate, garbage and control characters are refused.
    problem(
        s.post_json(
            "/v1/trust-anchors",
            &s.operator,
            &json!({"certificate": root_pem, "label": "Again", "region": "CN-ZJ"}),
        ),
        409,
    );
    let leaf = std::fs::read_to_string(p.join("seal.pem")).unwrap();
    let p422 = problem(
        s.post_json(
            "/v1/trust-anchors",
            &s.operator,
            &json!({"certificate": leaf, "label": "Leaf", "region": "CN-ZJ"}),
        ),
        422,
    );
    assert!(
        p422["detail"].as_str().unwrap().contains("not a CA"),
        "{p422}"
    );
    problem(
        s.post_json(
            "/v1/trust-anchors",
            &s.operator,
            &json!({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                    "label": "Bad", "region": "CN-ZJ"}),
        ),
        422,
    );
    problem(
        s.post_json(
            "/v1/trust-anchors",
            &s.operator,
            &json!({"certificate": root_pem, "label": "Bad\u{1b}[31m", "region": "CN-ZJ"}),
        ),
        422,
    );

    // Withdrawn: the seal no longer passes; a second withdrawal finds nothing.
    let id = anchor["id"].as_str().unwrap();
    problem(
        Server::client()
            .delete(s.url(&format!("/v1/trust-anchors/{id}")))
            .bearer_auth(&s.admin)
            .send()
            .unwrap(),
        403,
    );
    let r = Server::client()
        .delete(s.url(&format!("/v1/trust-anchors/{id}")))
        .bearer_auth(&s.operator)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let gone = verify_indication(s, &s.admin, &signed);
    assert_ne!(gone["indication"], "TOTAL-PASSED", "{gone}");
    let r = Server::client()
        .delete(s.url(&format!("/v1/trust-anchors/{id}")))
        .bearer_auth(&s.operator)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
}
both!(trust_across_regions);

/// No two organisations hold certificates with the same subject: two organisations without a
/// code and with the same name cannot both get a seal that reads the same.
fn certificate_subjects_are_unique(s: &Server) {
    let (_, first) = child(s, "Minhou Archives", None);
    let (_, second) = child(s, "Minhou Archives", None);
    created(s.post_json(
        "/v1/seals",
        &first,
        &json!({"name": "Minhou Archives Seal"}),
    ));
    let p = problem(
        s.post_json(
            "/v1/seals",
            &second,
            &json!({"name": "Minhou Archives Seal"}),
        ),
        409,
    );
    assert!(p["detail"].as_str().unwrap().contains("subject"), "{p}");
    // The holder of the subject may have another seal certificate with it (a renewal).
    created(s.post_json(
        "/v1/seals",
        &first,
        &json!({"name": "Minhou Archives Seal"}),
    ));
}
both!(certificate_subjects_are_unique);

/// Grants go to registered relying parties only: an organisation that takes the agency's name
/// gets nothing; only operators register; names are unique.
fn grants_reach_registered_relying_parties(s: &Server) {
    let parties: Value = s.get("/v1/relying-parties", Some(&s.admin)).json().unwrap();
    let parties = parties.as_array().unwrap();
    assert_eq!(parties.len(), 1, "{parties:?}");
    let agency = parties[0]["organization_id"].as_str().unwrap().to_string();
    let name = parties[0]["name"].as_str().unwrap().to_string();

    // An impostor with the same name, created before any grant.
    let (impostor, _) = child(s, &name, None);
    let lic = created(s.post_json(
        "/v1/licences",
        &s.admin,
        &json!({"type": "demo-business-licence", "holder_name": "福州示例有限公司",
                "holder_code": "91350100M000100Y43", "fields": {"scope": "软件开发"}}),
    ));
    let id = lic["id"].as_str().unwrap();
    let token = lic["holder_token"].as_str().unwrap();
    let in_30_days = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let grant = |agency: &str| {
        Server::client()
            .post(s.url(&format!("/v1/licences/{id}/grants")))
            .bearer_auth(token)
            .json(&json!({"agency": agency, "matter": "公积金提取", "until": in_30_days}))
            .send()
            .unwrap()
    };
    let g = created(grant(&name));
    assert_eq!(g["agency_id"], agency.as_str());
    // The impostor is not a relying party, by id either.
    problem(grant(&impostor), 422);

    // Only operators register, a name once.
    let body = json!({"organization_id": impostor, "name": name});
    problem(s.post_json("/v1/relying-parties", &s.admin, &body), 403);
    problem(s.post_json("/v1/relying-parties", &s.operator, &body), 409);
    let registered = created(s.post_json(
        "/v1/relying-parties",
        &s.operator,
        &json!({"organization_id": impostor, "name": "Gulou Social Security Office"}),
    ));
    assert_eq!(registered["organization_id"], impostor.as_str());
    let g = created(grant("Gulou Social Security Office"));
    assert_eq!(g["agency_id"], impostor.as_str());
}
both!(grants_reach_registered_relying_parties);

/// The catalogue: an organisation defines types only in its own name and they stay its own
/// (and its children's); another authority's type is the operator's to publish.
fn licence_types_are_scoped(s: &Server) {
    let template =
        serde_json::to_value(eseal_pdf::licence::Template::demo_business_licence()).unwrap();
    let ty = |code: &str, type_code: &str, authority: &str| {
        json!({"code": code, "name": "食品经营许可证", "type_code": type_code,
               "authority_name": authority, "template": template})
    };
    let (_, grandchild) = child(s, "Jin'an Market Bureau", Some("91350111MA2Y3N4K5C"));
    // A grandchild claiming the national administration's name and code.
    let p = problem(
        s.post_json(
            "/v1/licence-types",
            &grandchild,
            &ty(
                "samr-claim",
                "11100000000013338W049",
                "国家市场监督管理总局",
            ),
        ),
        403,
    );
    assert!(p["detail"].as_str().unwrap().contains("own name"), "{p}");
    // Its own type, in its own name: visible to it, not to its parent's siblings' catalogue.
    created(s.post_json(
        "/v1/licence-types",
        &grandchild,
        &ty(
            "jinan-food",
            "91350111MA2Y3N4K5C001",
            "Jin'an Market Bureau",
        ),
    ));
    let codes = |key: &str| -> Vec<String> {
        let v: Value = s.get("/v1/licence-types", Some(key)).json().unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(&grandchild).contains(&"jinan-food".to_string()));
    assert!(!codes(&s.admin).contains(&"jinan-food".to_string()));
    assert!(codes(&s.operator).contains(&"jinan-food".to_string()));
    // The demo bureau cannot issue the grandchild's type.
    let r = s.post_json(
        "/v1/licences",
        &s.admin,
        &json!({"type": "jinan-food", "holder_name": "x", "holder_code": "91350100M000100Y43",
                "fields": {}}),
    );
    problem(r, 422);
    // The operator publishes a national type for everyone.
    created(s.post_json(
        "/v1/licence-types",
        &s.operator,
        &ty(
            "national-food",
            "11100000000013338W049",
            "国家市场监督管理总局",
        ),
    ));
    assert!(codes(&s.admin).contains(&"national-food".to_string()));
    assert!(codes(&grandchild).contains(&"national-food".to_string()));
}
both!(licence_types_are_scoped);

/// Public identifiers cannot be counted: serials are 12 random characters, not 0000001, 0000002.
fn identifiers_are_not_sequential(s: &Server) {
    let serial = |_: usize| -> String {
        let lic = created(s.post_json(
            "/v1/licences",
            &s.admin,
            &json!({"type": "demo-business-licence", "holder_name": "福州示例有限公司",
                    "holder_code": "91350100M000100Y43", "fields": {"scope": "软件开发"}}),
        ));
        let id = lic["identifier"].as_str().unwrap();
        let parts: Vec<&str> = id.split('.').collect();
        parts[parts.len() - 3].to_string()
    };
    let serials: Vec<String> = (0..3).map(serial).collect();
    for s in &serials {
        assert_eq!(s.len(), 12, "{s}");
        assert!(
            s.bytes()
                .all(|b| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&b)),
            "{s}"
        );
    }
    assert!(serials[0] != serials[1] && serials[1] != serials[2]);
}
both!(identifiers_are_not_sequential);

/// A department's auditor reads its own department's sealings and log entries, not another
/// department's or the organisation-wide ones; an organisation's auditor does not read entries
/// that concern no organisation (an operator does).
fn department_auditors_read_their_department(s: &Server) {
    let dept = |name: &str| -> String {
        let v = created(s.post_json("/v1/departments", &s.admin, &json!({"name": name})));
        v["id"].as_str().unwrap().to_string()
    };
    let (a, b) = (dept("Dept A"), dept("Dept B"));
    let key = |role: &str, d: &str| -> String {
        let v = created(s.post_json(
            "/v1/api-keys",
            &s.admin,
            &json!({"role": role, "department_id": d}),
        ));
        v["key"].as_str().unwrap().to_string()
    };
    let (sealer_b, auditor_a) = (key("sealer", &b), key("auditor", &a));
    let seal_b = created(s.post_json(
        "/v1/seals",
        &s.admin,
        &json!({"name": "Dept B Seal", "department_id": b}),
    ));
    let pdf = service_support::sample_pdf(2000);
    let r = s.post_pdf(
        &format!(
            "/v1/seals/{}/sign?page=1&x=400&y=80&w=100&h=100",
            seal_b["id"].as_str().unwrap()
        ),
        &sealer_b,
        &pdf,
    );
    assert_eq!(r.status(), 200);
    let sealing = r.headers()["x-eseal-sealing-id"]
        .to_str()
        .unwrap()
        .to_string();
    let sealing_view: Value = s
        .get(&format!("/v1/sealings/{sealing}"), Some(&s.admin))
        .json()
        .unwrap();
    let index = sealing_view["log_index"].as_i64().unwrap();
    assert_eq!(
        s.get(&format!("/v1/sealings/{sealing}"), Some(&auditor_a))
            .status(),
        404
    );
    assert_eq!(
        s.get(&format!("/v1/log/entries/{index}"), Some(&auditor_a))
            .status(),
        404
    );
    let auditor_b = key("auditor", &b);
    assert_eq!(
        s.get(&format!("/v1/sealings/{sealing}"), Some(&auditor_b))
            .status(),
        200
    );
    assert_eq!(
        s.get(&format!("/v1/log/entries/{index}"), Some(&auditor_b))
            .status(),
        200
    );

    // An entry that concerns no organisation: an operator's import of an anchor.
    let d = tempfile::tempdir().unwrap();
    common::hierarchy(d.path(), "p256");
    let root_pem = std::fs::read_to_string(d.path().join("prov/ca.pem")).unwrap();
    created(s.post_json(
        "/v1/trust-anchors",
        &s.operator,
        &json!({"certificate": root_pem, "label": "Jiangxi Root", "region": "CN-JX"}),
    ));
    let head: Value = s.get("/v1/log/head", None).json().unwrap();
    let last = head["tree_size"].as_i64().unwrap() - 1;
    let org_auditor = {
        let v = created(s.post_json("/v1/api-keys", &s.admin, &json!({"role": "auditor"})));
        v["key"].as_str().unwrap().to_string()
    };
    let entry = |key: &str| s.get(&format!("/v1/log/entries/{last}"), Some(key));
    let e: Value = entry(&s.operator).json().unwrap();
    assert_eq!(e["parsed"]["kind"], "trust_anchor.added", "{e}");
    assert_eq!(entry(&org_auditor).status(), 404);
}
both!(department_auditors_read_their_department);

/// Another province's roots arrive in its ETSI TS 119 612 trusted list (signed by xmlsec1, an
/// independent XMLDSig implementation): an operator imports the CA services of a list whose
/// signature verifies with the pinned signer; the report then names the anchor's label and
/// region. A list signed by another key, or changed after signing, imports nothing.
fn trusted_list_import(s: &Server) {
    if !common::tool("xmlsec1") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let signed = common::sealed_with_hierarchy(p, "p256", &[]);
    let make = |out: &str, signer: &str, services: &[&str]| {
        let mut cmd = std::process::Command::new("python3");
        cmd.current_dir(p)
            .arg(common::testdata("make-trust-list.py"))
            .args(["--out", out, "--territory", "CN-ZJ"])
            .args(["--operator", "Zhejiang Trust List Operator"])
            .args(["--signer-key", &format!("{signer}.key")])
            .args(["--signer-cert", &format!("{signer}.pem")]);
        if !p.join(format!("{signer}.pem")).exists() {
            cmd.args(["--new-signer", "ec"]);
        }
        for svc in services {
            cmd.args(["--service", svc]);
        }
        let run = cmd.output().unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        std::fs::read_to_string(p.join(out)).unwrap()
    };
    let services = [
        "CA/QC|granted|Zhejiang Market Regulation CA|Zhejiang Province Root|prov/ca.pem",
        "CA/QC|withdrawn|Zhejiang Old CA|Old Root|prov/ca.pem",
    ];
    let list = make("zj.xml", "zj-signer", &services);
    let signer = std::fs::read_to_string(p.join("zj-signer.pem")).unwrap();
    let body = |list: &str, signer: &str| json!({"list": list, "signer": signer});

    // The same list signed by someone else, and the genuine list changed after signing.
    let forged = make("forged.xml", "other-signer", &services);
    let p422 = problem(
        s.post_json(
            "/v1/trust-anchors/trusted-list",
            &s.operator,
            &body(&forged, &signer),
        ),
        422,
    );
    assert!(
        p422["detail"]
            .as_str()
            .unwrap()
            .contains("signed by another"),
        "{p422}"
    );
    let changed = list.replace("Zhejiang Province Root", "Zhejiang Province Rooq");
    problem(
        s.post_json(
            "/v1/trust-anchors/trusted-list",
            &s.operator,
            &body(&changed, &signer),
        ),
        422,
    );
    problem(
        s.post_json(
            "/v1/trust-anchors/trusted-list",
            &s.admin,
            &body(&list, &signer),
        ),
        403,
    );
    assert_ne!(
        verify_indication(s, &s.admin, &signed)["indication"],
        "TOTAL-PASSED"
    );

    let imported = created(s.post_json(
        "/v1/trust-anchors/trusted-list",
        &s.operator,
        &body(&list, &signer),
    ));
    assert_eq!(imported["territory"], "CN-ZJ");
    assert_eq!(
        imported["imported"].as_array().unwrap().len(),
        1,
        "{imported}"
    );
    assert_eq!(imported["imported"][0]["source"], "trusted-list");
    assert_eq!(
        imported["skipped"].as_array().unwrap().len(),
        1,
        "{imported}"
    );
    let sig = verify_indication(s, &s.admin, &signed);
    assert_eq!(sig["indication"], "TOTAL-PASSED", "{sig}");
    assert_eq!(sig["trust_anchor"]["region"], "CN-ZJ", "{sig}");
    assert!(
        sig["trust_anchor"]["label"]
            .as_str()
            .unwrap()
            .contains("Zhejiang Market Regulation CA"),
        "{sig}"
    );
    // Importing it again adds nothing.
    let again = created(s.post_json(
        "/v1/trust-anchors/trusted-list",
        &s.operator,
        &body(&list, &signer),
    ));
    assert!(again["imported"].as_array().unwrap().is_empty());
    assert_eq!(again["already_anchored"].as_array().unwrap().len(), 1);
}
both!(trusted_list_import);
