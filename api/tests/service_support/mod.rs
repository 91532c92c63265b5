//! Test harness for the service: starts the real `eseal serve` on 127.0.0.1 (a free port) with
//! a temporary data folder, on SQLite or on a fresh PostgreSQL database (`DATABASE_URL`,
//! database `eseal_test_<random>`, dropped at the end), and talks HTTP to it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// `both!(name)` runs the test function `name(&Server)` twice: on SQLite and on PostgreSQL
/// (skipped without `DATABASE_URL`). The test file imports `Db` and `Server`.
#[allow(unused_macros)]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                if let Some(s) = super::Server::start(super::Db::Sqlite) {
                    super::$name(&s);
                }
            }
            #[test]
            fn postgres() {
                if let Some(s) = super::Server::start(super::Db::Postgres) {
                    super::$name(&s);
                }
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct Server {
    pub child: Option<Child>,
    pub base: String,
    pub data: PathBuf,
    _tmp: tempfile::TempDir,
    pub admin: String,
    /// The platform operator's key (`DATA/demo-operator.key`).
    pub operator: String,
    pub database: Option<String>,
    admin_url: Option<String>,
    port: u16,
    /// Extra environment of the server process (e.g. a PKCS#11 token).
    env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A fresh PostgreSQL database, or None (skip) when DATABASE_URL is unset outside CI.
fn postgres_database() -> Option<(String, String)> {
    let Ok(admin) = std::env::var("DATABASE_URL") else {
        if std::env::var("CI").is_ok() {
            panic!("DATABASE_URL must be set in CI for the PostgreSQL service tests");
        }
        eprintln!("note: DATABASE_URL unset; skipping the PostgreSQL variant");
        return None;
    };
    let mut raw = [0u8; 6];
    getrandom::fill(&mut raw).expect("random");
    let name = format!("eseal_test_{}", hex::encode(raw));
    rt().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .expect("create database");
    });
    let base = match admin.rfind('/') {
        Some(i)
            if admin[..i].contains("//")
                && admin[..i].len() > admin.find("//").unwrap_or(0) + 2 =>
        {
            admin[..i].to_string()
        }
        _ => admin.trim_end_matches('/').to_string(),
    };
    Some((admin.clone(), format!("{base}/{name}")))
}

impl Server {
    /// Starts a server; None when the PostgreSQL variant is skipped.
    pub fn start(db: Db) -> Option<Server> {
        Self::start_with(db, Vec::new())
    }

    /// Starts a server with extra environment variables.
    pub fn start_with(db: Db, env: Vec<(String, String)>) -> Option<Server> {
        let (admin_url, database) = match db {
            Db::Sqlite => (None, None),
            Db::Postgres => {
                let (a, d) = postgres_database()?;
                (Some(a), Some(d))
            }
        };
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("data");
        let port = free_port();
        let mut s = Server {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            data,
            _tmp: tmp,
            admin: String::new(),
            operator: String::new(),
            database,
            admin_url,
            port,
            env,
        };
        s.spawn();
        let key = |name: &str| {
            std::fs::read_to_string(s.data.join(name))
                .expect(name)
                .trim()
                .to_string()
        };
        s.admin = key("demo-admin.key");
        s.operator = key("demo-operator.key");
        Some(s)
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self._tmp.path().join("serve.log"))
            .expect("log file");
        let bin =
            std::env::var("ESEAL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_eseal").to_string());
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--data")
            .arg(&self.data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .env_remove("ESEAL_KEY_PASSPHRASE")
            .env_remove("ESEAL_DATABASE_URL")
            .env_remove("ESEAL_LISTEN")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(d) = &self.database {
            cmd.arg("--database").arg(d);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("start eseal serve"));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = reqwest::blocking::get(format!("{}/healthz", self.base)) {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("eseal serve exited: {status}\n{}", self.log());
            }
            if Instant::now() > deadline {
                panic!("eseal serve did not come up\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._tmp.path().join("serve.log")).unwrap_or_default()
    }

    /// SIGKILL (Child::kill on Unix).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait: the graceful path.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
        c.wait().expect("wait")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("client")
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> reqwest::blocking::Response {
        let mut r = Self::client().get(self.url(path));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r.send().expect("request")
    }

    pub fn post_json(
        &self,
        path: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> reqwest::blocking::Response {
        Self::client()
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .expect("request")
    }

    pub fn post_pdf(&self, path: &str, key: &str, pdf: &[u8]) -> reqwest::blocking::Response {
        Self::client()
            .post(self.url(path))
            .bearer_auth(key)
            .header("content-type", "application/pdf")
            .body(pdf.to_vec())
            .send()
            .expect("request")
    }

    pub fn demo_seal(&self) -> String {
        let seals: serde_json::Value = self
            .get("/v1/seals", Some(&self.admin))
            .json()
            .expect("json");
        seals[0]["id"].as_str().expect("a seal").to_string()
    }

    /// The organisation of an API key (`GET /v1/me`).
    pub fn organization_of(&self, key: &str) -> String {
        let me: serde_json::Value = self.get("/v1/me", Some(key)).json().expect("json");
        me["organization_id"]
            .as_str()
            .expect("an organisation")
            .to_string()
    }

    /// A new root CA run by the organisation of `key`: only operators create roots, so the
    /// operator makes it for that organisation (and the platform trusts it).
    pub fn root_ca_for(&self, key: &str, name: &str) -> serde_json::Value {
        let org = self.organization_of(key);
        let r = self.post_json(
            "/v1/cas",
            &self.operator,
            &serde_json::json!({"name": name, "region": "CN-FJ", "organization_id": org}),
        );
        assert_eq!(r.status(), 201, "root CA");
        r.json().expect("json")
    }

    pub fn root_pem(&self) -> Vec<u8> {
        std::fs::read(self.data.join("demo-root.pem")).expect("demo-root.pem")
    }

    /// Runs `f` against the store directly (sqlx Any).
    pub fn sql<T>(&self, f: impl AsyncFnOnce(sqlx::AnyPool) -> T) -> T {
        let url = self
            .database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("eseal.db").display()));
        rt().block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.expect("connect store");
            let out = f(pool.clone()).await;
            pool.close().await;
            out
        })
    }
}

impl Server {
    /// Drops the PostgreSQL database under the running service (a database outage); nothing
    /// for SQLite.
    pub fn drop_database(&self) {
        if let (Some(admin), Some(db)) = (&self.admin_url, &self.database) {
            let name = db.rsplit('/').next().unwrap_or_default().to_string();
            let admin = admin.clone();
            rt().block_on(async move {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&admin).await.expect("connect");
                sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await
                    .expect("drop database");
            });
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let (Some(admin), Some(db)) = (&self.admin_url, &self.database) {
            let name = db.rsplit('/').next().unwrap_or_default().to_string();
            let admin = admin.clone();
            rt().block_on(async move {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        }
    }
}

/// A one-page A4 PDF of about `size` bytes: a licence-like page of text.
pub fn sample_pdf(size: usize) -> Vec<u8> {
    let mut content = String::from("BT /F1 18 Tf 72 770 Td (Business Licence - demo) Tj ET\n");
    let mut i = 0;
    while content.len() < size.saturating_sub(900) {
        let y = 740 - (i % 60) * 11;
        content.push_str(&format!("BT /F1 9 Tf 72 {y} Td (Line {i}: Unified social credit code 91350100M000100Y43, registered capital, scope of business.) Tj ET\n"));
        i += 1;
    }
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", content.len() + 1, content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (n, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", n + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The verifier's report for a PDF against the demo root.
pub fn verify_report(pdf: &[u8], root_pem: &[u8]) -> eseal_pdf::verify::Report {
    let anchors = eseal_certs::inspect::certificates_from_bytes(root_pem).expect("root");
    let opts = eseal_pdf::verify::VerifyOptions {
        trust_anchors: anchors.into_iter().map(Into::into).collect(),
        ..Default::default()
    };
    eseal_pdf::verify::verify_bytes(pdf, &opts).expect("verifiable")
}

// An independent RFC 9162 §2.1.3.2 inclusion check (not the service's code).
fn node(l: &[u8], r: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().to_vec()
}

pub fn leaf(entry: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().to_vec()
}

pub fn check_inclusion(index: u64, size: u64, leaf: &[u8], path: &[Vec<u8>], root: &[u8]) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf.to_vec();
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == root
}

/// Fetches entry `index` (as the operator, who reads every entry) and its inclusion proof at
/// the current head, and checks both, and the head's signature with the log key.
pub fn prove_entry(s: &Server, index: i64) -> serde_json::Value {
    let head: serde_json::Value = s.get("/v1/log/head", None).json().expect("head");
    let size = head["tree_size"].as_u64().expect("tree_size");
    let proof: serde_json::Value = s
        .get(
            &format!("/v1/log/proof/inclusion?index={index}&tree_size={size}"),
            None,
        )
        .json()
        .expect("proof");
    let entry: serde_json::Value = s
        .get(&format!("/v1/log/entries/{index}"), Some(&s.operator))
        .json()
        .expect("entry");
    let text = entry["entry"].as_str().expect("entry text");
    let l = leaf(text.as_bytes());
    assert_eq!(
        hex::encode(&l),
        proof["leaf_hash"].as_str().expect("leaf_hash")
    );
    let path: Vec<Vec<u8>> = proof["audit_path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|h| hex::decode(h.as_str().expect("hex")).expect("hex"))
        .collect();
    let root = hex::decode(head["root_hash"].as_str().expect("root")).expect("hex");
    assert!(
        check_inclusion(index as u64, size, &l, &path, &root),
        "inclusion of {index} in {size}"
    );
    // The head's signature over tree_size ‖ timestamp ‖ root_hash.
    let pem = s.get("/v1/log/key", None).text().expect("key");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    let spki = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("b64");
    let key = eseal_certs::PublicKey::from_spki_der(&spki).expect("spki");
    let mut msg = size.to_be_bytes().to_vec();
    msg.extend_from_slice(&head["timestamp"].as_u64().expect("timestamp").to_be_bytes());
    msg.extend_from_slice(&root);
    let sig = base64::engine::general_purpose::STANDARD
        .decode(head["signature"].as_str().expect("sig"))
        .expect("b64");
    key.verify(&msg, &sig).expect("tree head signature");
    entry["parsed"].clone()
}
