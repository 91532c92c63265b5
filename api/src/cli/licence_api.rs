//! `eseal licence new|show|cancel|grant|copy|batch`: thin clients of the service's licence
//! API (`eseal licence issue` is the offline issuance of `cli/licence.rs`). Keys and holder tokens are read from files, never from the command line
//! (which other users of the machine can see).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use super::{CliResult, Failure};

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Issue a licence through the service: prints id, identifier, holder token (once) and
    /// verify URL.
    New(IssueArgs),
    /// Print a licence's metadata, status and versions.
    Show(ShowArgs),
    /// Cancel a licence (注销).
    Cancel(CancelArgs),
    /// As the holder: let one agency fetch the licence for one matter until a date.
    Grant(GrantArgs),
    /// As the agency: fetch the annotated copy (加注件) of a grant.
    Copy(CopyArgs),
    /// Issue many licences from CSV (header: type, holder_name, holder_code, then fields) or
    /// JSON lines, with a progress bar; writes the sealed PDFs into a folder.
    Batch(BatchArgs),
}

#[derive(Args)]
pub struct Server {
    /// The service's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "ESEAL_SERVER")]
    server: String,
    /// File holding the API key (or, for `grant`, the holder token).
    #[arg(long)]
    key_file: PathBuf,
}

#[derive(Args)]
pub struct IssueArgs {
    #[command(flatten)]
    server: Server,
    /// Licence type code of the catalogue.
    #[arg(long = "type", default_value = "demo-business-licence")]
    kind: String,
    #[arg(long)]
    holder_name: String,
    #[arg(long)]
    holder_code: String,
    /// A template field, KEY=VALUE (repeatable).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// Also write the sealed PDF here.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    server: Server,
    /// Licence id.
    id: String,
}

#[derive(Args)]
pub struct CancelArgs {
    #[command(flatten)]
    server: Server,
    /// Licence id.
    id: String,
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Args)]
pub struct GrantArgs {
    #[command(flatten)]
    server: Server,
    /// Licence id.
    id: String,
    /// The agency's organisation id or name.
    #[arg(long)]
    agency: String,
    #[arg(long)]
    matter: String,
    /// RFC 3339 date-time or YYYY-MM-DD.
    #[arg(long)]
    until: String,
}

#[derive(Args)]
pub struct CopyArgs {
    #[command(flatten)]
    server: Server,
    /// Grant id.
    grant: String,
    /// The matter the copy is for (checked against the grant).
    #[arg(long)]
    matter: Option<String>,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct BatchArgs {
    #[command(flatten)]
    server: Server,
    /// Input: .csv or .jsonl.
    #[arg(long = "in")]
    input: PathBuf,
    /// Folder for the sealed PDFs (created if missing).
    #[arg(long)]
    out: PathBuf,
}

struct Client {
    http: reqwest::blocking::Client,
    base: String,
    key: String,
}

impl Client {
    fn new(s: &Server) -> Result<Client, Failure> {
        let key = std::fs::read_to_string(&s.key_file)
            .map_err(|e| Failure::input(format!("{}: {e}", s.key_file.display())))?
            .trim()
            .to_string();
        if key.is_empty() {
            return Err(Failure::input(format!("{} is empty", s.key_file.display())));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(300))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(Failure::input)?;
        Ok(Client {
            http,
            base: s.server.trim_end_matches('/').to_string(),
            key,
        })
    }

    fn send(
        &self,
        r: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, Failure> {
        let resp = r
            .bearer_auth(&self.key)
            .send()
            .map_err(|e| Failure::input(format!("{}: {e}", self.base)))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body: Value = resp.json().unwrap_or(Value::Null);
        let detail = body["detail"].as_str().unwrap_or("no detail").to_string();
        Err(Failure {
            code: if status.as_u16() == 403 { 1 } else { 2 },
            message: format!("the service answered {status}: {detail}"),
        })
    }

    fn json(&self, r: reqwest::blocking::RequestBuilder) -> Result<Value, Failure> {
        self.send(r)?
            .json()
            .map_err(|e| Failure::input(format!("the answer is not JSON: {e}")))
    }

    fn bytes(&self, path: &str) -> Result<Vec<u8>, Failure> {
        Ok(self
            .send(self.http.get(format!("{}{path}", self.base)))?
            .bytes()
            .map_err(|e| Failure::input(format!("download: {e}")))?
            .to_vec())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn print(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn write(path: &Path, data: &[u8]) -> CliResult {
    std::fs::write(path, data).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

pub fn run(cmd: ServiceCommand) -> CliResult {
    match cmd {
        ServiceCommand::New(a) => issue(a),
        ServiceCommand::Show(a) => {
            let c = Client::new(&a.server)?;
            print(&c.json(c.http.get(c.url(&format!("/v1/licences/{}", a.id))))?);
            Ok(())
        }
        ServiceCommand::Cancel(a) => {
            let c = Client::new(&a.server)?;
            let v = c.json(
                c.http
                    .post(c.url(&format!("/v1/licences/{}/cancel", a.id)))
                    .json(&json!({ "reason": a.reason })),
            )?;
            print(&v);
            Ok(())
        }
        ServiceCommand::Grant(a) => {
            let c = Client::new(&a.server)?;
            let v = c.json(
                c.http
                    .post(c.url(&format!("/v1/licences/{}/grants", a.id)))
                    .json(&json!({ "agency": a.agency, "matter": a.matter, "until": a.until })),
            )?;
            print(&v);
            Ok(())
        }
        ServiceCommand::Copy(a) => {
            let c = Client::new(&a.server)?;
            let mut r = c.http.get(c.url(&format!("/v1/grants/{}/copy", a.grant)));
            if let Some(m) = &a.matter {
                r = r.query(&[("matter", m)]);
            }
            let pdf = c
                .send(r)?
                .bytes()
                .map_err(|e| Failure::input(format!("download: {e}")))?;
            write(&a.out, &pdf)?;
            eprintln!("wrote {} ({} bytes)", a.out.display(), pdf.len());
            Ok(())
        }
        ServiceCommand::Batch(a) => batch(a),
    }
}

fn issue(a: IssueArgs) -> CliResult {
    let mut fields = Map::new();
    for f in &a.fields {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| Failure::input(format!("--field {f}: expected KEY=VALUE")))?;
        fields.insert(k.trim().to_string(), Value::String(v.to_string()));
    }
    let c = Client::new(&a.server)?;
    let v = c.json(c.http.post(c.url("/v1/licences")).json(&json!({
        "type": a.kind, "holder_name": a.holder_name, "holder_code": a.holder_code, "fields": fields,
    })))?;
    if let (Some(out), Some(id)) = (&a.out, v["id"].as_str()) {
        write(out, &c.bytes(&format!("/v1/licences/{id}/file"))?)?;
    }
    print(&v);
    Ok(())
}

/// The input as JSON lines: CSV rows become `{type, holder_name, holder_code, fields}`.
fn batch_lines(path: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Ok(text);
    }
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?
        .iter()
        .map(str::to_string)
        .collect();
    for need in ["holder_name", "holder_code"] {
        if !header.iter().any(|h| h == need) {
            return Err(Failure::input(format!(
                "{}: the header has no column '{need}'",
                path.display()
            )));
        }
    }
    let mut out = String::new();
    for (i, rec) in rd.records().enumerate() {
        let rec =
            rec.map_err(|e| Failure::input(format!("{} row {}: {e}", path.display(), i + 2)))?;
        let mut obj = Map::new();
        let mut fields = Map::new();
        obj.insert("type".into(), json!("demo-business-licence"));
        for (h, v) in header.iter().zip(rec.iter()) {
            match h.as_str() {
                "type" | "holder_name" | "holder_code" => {
                    obj.insert(h.clone(), json!(v));
                }
                _ => {
                    fields.insert(h.clone(), json!(v));
                }
            }
        }
        obj.insert("fields".into(), Value::Object(fields));
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    Ok(out)
}

fn batch(a: BatchArgs) -> CliResult {
    let lines = batch_lines(&a.input)?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure::input(format!("{}: {e}", a.out.display())))?;
    let c = Client::new(&a.server)?;
    let job = c.json(
        c.http
            .post(c.url("/v1/licence-batches"))
            .header("content-type", "application/x-ndjson")
            .body(lines),
    )?;
    let id = job["id"]
        .as_str()
        .ok_or_else(|| Failure::input("the service gave no batch id"))?
        .to_string();
    let total = job["total"].as_u64().unwrap_or(0);
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} licences {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut written = 0usize;
    let status = loop {
        let s = c.json(c.http.get(c.url(&format!("/v1/licence-batches/{id}"))))?;
        // Download what is done so far, so a long batch streams out.
        let results = s["results"].as_array().cloned().unwrap_or_default();
        for r in results.iter().skip(written) {
            let (Some(lid), Some(ident)) = (r["id"].as_str(), r["identifier"].as_str()) else {
                continue;
            };
            let pdf = c.bytes(&format!("/v1/licences/{lid}/file"))?;
            write(&a.out.join(format!("{ident}.pdf")), &pdf)?;
            written += 1;
        }
        let done = s["done"].as_u64().unwrap_or(0) + s["failed"].as_u64().unwrap_or(0);
        bar.set_position(done);
        bar.set_message(format!("{} failed", s["failed"].as_u64().unwrap_or(0)));
        if s["status"] == "done" && written >= results.len() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    bar.finish();
    for e in status["errors"].as_array().into_iter().flatten() {
        eprintln!("line {}: {}", e["line"], e["error"].as_str().unwrap_or(""));
    }
    eprintln!(
        "{} issued, {} failed; PDFs in {} (holder tokens: POST /v1/licences/ID/holder-token)",
        status["done"],
        status["failed"],
        a.out.display()
    );
    if status["failed"].as_u64().unwrap_or(0) > 0 {
        return Err(Failure::invalid("some lines were not issued"));
    }
    Ok(())
}
