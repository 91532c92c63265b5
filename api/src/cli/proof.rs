//! `eseal log verify-proof`: checks offline that an audit entry is in the log, from files
//! fetched from the service: the entry (`GET /v1/log/entries/{index}`), its inclusion proof
//! (`GET /v1/log/proof/inclusion?index=N`), optionally the signed tree head
//! (`GET /v1/log/head`) and the log's public key (`GET /v1/log/key`).
//!
//! Exit 0 when the proof holds, 1 when it does not, 2 when the files cannot be read.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use super::{CliResult, Failure};
use crate::service::audit::{parse_hash, verify_tree_head, TreeHead};
use crate::service::merkle::{self, InclusionProof};

#[derive(Args, Debug)]
pub struct VerifyProofArgs {
    /// The entry: the JSON answer of GET /v1/log/entries/{index} (its `entry` text is hashed).
    #[arg(long)]
    pub entry: PathBuf,
    /// The JSON answer of GET /v1/log/proof/inclusion.
    #[arg(long)]
    pub proof: PathBuf,
    /// The signed tree head (GET /v1/log/head) the proof must lead to.
    #[arg(long)]
    pub head: Option<PathBuf>,
    /// The log's public key, PEM (GET /v1/log/key); checks the tree head's signature.
    #[arg(long, requires = "head")]
    pub log_key: Option<PathBuf>,
}

#[derive(Deserialize)]
struct EntryFile {
    entry: String,
}

fn read(p: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))
}

fn json<T: for<'de> Deserialize<'de>>(p: &Path) -> Result<T, Failure> {
    serde_json::from_str(&read(p)?).map_err(|e| Failure::input(format!("{}: {e}", p.display())))
}

/// The checks, with a line per fact established.
pub fn check(a: &VerifyProofArgs) -> Result<Vec<String>, Failure> {
    let entry: EntryFile = json(&a.entry)?;
    let proof: InclusionProof = json(&a.proof)?;
    let mut said = Vec::new();
    let leaf = merkle::leaf_hash(entry.entry.as_bytes());
    if hex::encode(leaf) != proof.leaf_hash.to_lowercase() {
        return Err(Failure::invalid(
            "the entry's leaf hash is not the one the proof is for",
        ));
    }
    let root = parse_hash(&proof.root_hash).map_err(Failure::input)?;
    let path = proof
        .audit_path
        .iter()
        .map(|h| parse_hash(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::input)?;
    if !merkle::verify_inclusion(proof.leaf_index, proof.tree_size, &leaf, &path, &root) {
        return Err(Failure::invalid(format!(
            "the inclusion proof of entry {} in the tree of {} does not lead to root {}",
            proof.leaf_index, proof.tree_size, proof.root_hash
        )));
    }
    said.push(format!(
        "entry {} is in the log tree of size {} with root {}",
        proof.leaf_index, proof.tree_size, proof.root_hash
    ));
    if let Some(h) = &a.head {
        let head: TreeHead = json(h)?;
        if head.tree_size != proof.tree_size
            || head.root_hash.to_lowercase() != proof.root_hash.to_lowercase()
        {
            return Err(Failure::invalid(format!(
                "the tree head (size {}, root {}) is not the tree of the proof; ask for the proof at tree_size={}",
                head.tree_size, head.root_hash, head.tree_size
            )));
        }
        if let Some(k) = &a.log_key {
            let pem = read(k)?;
            let key = eseal_certs::inspect::certificates_from_bytes(pem.as_bytes())
                .ok()
                .and_then(|c| {
                    c.first()
                        .and_then(|c| eseal_certs::inspect::public_key(c).ok())
                })
                .or_else(|| spki_from_pem(&pem))
                .ok_or_else(|| Failure::input(format!("{}: no public key", k.display())))?;
            verify_tree_head(&head, &key).map_err(Failure::invalid)?;
            said.push(format!(
                "the tree head of {} is signed by the log key",
                head.timestamp
            ));
        }
    }
    Ok(said)
}

fn spki_from_pem(pem: &str) -> Option<eseal_certs::PublicKey> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()?;
    eseal_certs::PublicKey::from_spki_der(&der).ok()
}

/// Entry point for the CLI: `eseal log verify-proof` (wired in `cli/mod.rs`).
pub fn run(a: VerifyProofArgs) -> CliResult {
    for line in check(&a)? {
        println!("{line}");
    }
    println!("proof verified");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::audit::sign_tree_head;
    use eseal_certs::{Algorithm, SigningKey, SoftwareKey};

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn checks_an_inclusion_proof_and_the_signed_head_offline() {
        let dir = tempfile::tempdir().unwrap();
        let entries: Vec<String> = (0..7).map(|i| format!("{{\"index\":{i}}}")).collect();
        let leaves: Vec<_> = entries
            .iter()
            .map(|e| merkle::leaf_hash(e.as_bytes()))
            .collect();
        let key = SoftwareKey::generate(Algorithm::P256).unwrap();
        let head = sign_tree_head(&key, &leaves).unwrap();
        let proof = InclusionProof {
            leaf_index: 5,
            tree_size: 7,
            leaf_hash: hex::encode(leaves[5]),
            root_hash: hex::encode(merkle::root(&leaves)),
            audit_path: merkle::inclusion_proof(5, &leaves)
                .unwrap()
                .iter()
                .map(hex::encode)
                .collect(),
        };
        use base64::Engine;
        let spki = key.public_key().to_spki_der().unwrap();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(spki)
        );
        let args = VerifyProofArgs {
            entry: write(
                dir.path(),
                "entry.json",
                &serde_json::json!({ "entry": entries[5] }).to_string(),
            ),
            proof: write(
                dir.path(),
                "proof.json",
                &serde_json::to_string(&proof).unwrap(),
            ),
            head: Some(write(
                dir.path(),
                "head.json",
                &serde_json::to_string(&head).unwrap(),
            )),
            log_key: Some(write(dir.path(), "log.pem", &pem)),
        };
        assert_eq!(check(&args).unwrap().len(), 2);
        // Another entry's text: refused with exit code 1.
        let other = VerifyProofArgs {
            entry: write(
                dir.path(),
                "other.json",
                &serde_json::json!({ "entry": entries[4] }).to_string(),
            ),
            ..args
        };
        assert_eq!(check(&other).err().map(|f| f.code), Some(1));
    }
}
