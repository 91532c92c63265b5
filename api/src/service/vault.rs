//! Keys at rest: every private key in the store is an encrypted PKCS#8 PEM (scrypt +
//! AES-256-CBC, from `eseal-certs`) under one master passphrase.
//!
//! The passphrase comes from `ESEAL_KEY_PASSPHRASE`. When that is unset on the first start, a
//! random one is written to `DATA/master.key` (mode 0600) and used on every later start. The
//! trade-off: the database alone is useless to a thief, but anyone who can read the data folder
//! holds both the keys and their passphrase; production sites set the variable (or use an HSM)
//! and keep `master.key` off the machine.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use eseal_certs::SoftwareKey;
use zeroize::Zeroizing;

pub const PASSPHRASE_VAR: &str = "ESEAL_KEY_PASSPHRASE";
pub const MASTER_FILE: &str = "master.key";

/// The master passphrase (never logged: its Debug is redacted).
#[derive(Clone)]
pub struct Vault {
    passphrase: Arc<Zeroizing<String>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

/// Where the passphrase came from, for the log.
pub enum Source {
    Environment,
    ExistingFile,
    GeneratedFile,
}

impl Vault {
    /// The passphrase from the environment, `DATA/master.key`, or a new random one written
    /// there (only when `may_generate`, i.e. on the first start).
    pub fn open(data: &Path, may_generate: bool) -> Result<(Vault, Source), String> {
        if let Some(p) = std::env::var(PASSPHRASE_VAR).ok().filter(|p| !p.is_empty()) {
            return Ok((Vault::new(p), Source::Environment));
        }
        let file = data.join(MASTER_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let p = text.trim().to_string();
                if p.is_empty() {
                    return Err(format!("{}: empty", file.display()));
                }
                return Ok((Vault::new(p), Source::ExistingFile));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", file.display())),
        }
        if !may_generate {
            return Err(format!(
                "no key passphrase: set {PASSPHRASE_VAR} (the store was created with one) or restore {}",
                file.display()
            ));
        }
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| format!("random: {e}"))?;
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        eseal_certs::authority::write_file(&file, format!("{p}\n").as_bytes(), true)
            .map_err(|e| e.to_string())?;
        Ok((Vault::new(p), Source::GeneratedFile))
    }

    pub fn new(p: String) -> Vault {
        Vault {
            passphrase: Arc::new(Zeroizing::new(p)),
        }
    }

    /// The key as encrypted PKCS#8 PEM.
    pub fn seal_key(&self, key: &SoftwareKey) -> eseal_certs::Result<String> {
        key.to_encrypted_pkcs8_pem(&self.passphrase)
    }

    /// The key back from its encrypted PEM.
    pub fn open_key(&self, pem: &str) -> eseal_certs::Result<SoftwareKey> {
        let p = self.passphrase.clone();
        let bundle = SoftwareKey::load(pem.as_bytes(), &mut || {
            Ok(Zeroizing::new(p.as_str().to_string()))
        })?;
        Ok(bundle.key)
    }
}
