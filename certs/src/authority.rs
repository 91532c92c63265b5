//! A certificate authority kept in a folder, as the `eseal ca` and `eseal cert` commands use
//! it: `ca.pem` (its certificate), `ca.key` (its key, encrypted PKCS#8), `chain.pem` (its
//! certificate and those above it, up to the root) and `ca.json` (what it issued and revoked,
//! the next CRL number). The service keeps the same facts in its database instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use x509_cert::Certificate;

use crate::crl::{create_crl, parse_reason, reason_name, Crl, Revocation};
use crate::issue::{create_root, issue, CertKind, CertRequest, Issuer};
use crate::name::SubjectName;
use crate::{inspect, Algorithm, Error, Result, SigningKey, SoftwareKey};

pub const CERT_FILE: &str = "ca.pem";
pub const KEY_FILE: &str = "ca.key";
pub const CHAIN_FILE: &str = "chain.pem";
pub const STATE_FILE: &str = "ca.json";

/// What a CA folder remembers besides its certificate and key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaState {
    pub name: String,
    pub algorithm: String,
    /// URL written into the CRL distribution point of certificates this CA issues.
    pub crl_url: Option<String>,
    pub next_crl_number: u64,
    pub issued: Vec<IssuedRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssuedRecord {
    pub serial: String,
    pub subject: String,
    pub kind: String,
    /// Seconds since the Unix epoch.
    pub not_after: u64,
    pub revoked: Option<RevokedRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevokedRecord {
    pub at: u64,
    pub reason: String,
}

/// A CA loaded from its folder; the key is decrypted only when something must be signed.
pub struct CaFolder {
    pub dir: PathBuf,
    pub certificate: Certificate,
    /// This CA's certificate followed by its issuers up to the root.
    pub chain: Vec<Certificate>,
    pub state: CaState,
}

/// Options shared by `ca init` and `ca sub`.
pub struct NewCa<'a> {
    pub name: &'a str,
    pub days: u32,
    pub path_len: Option<u8>,
    pub crl_url: Option<String>,
}

impl CaFolder {
    /// Create a root CA in an empty (or new) folder.
    pub fn init_root(
        dir: &Path,
        alg: Algorithm,
        opts: &NewCa<'_>,
        passphrase: &str,
    ) -> Result<Self> {
        prepare_empty_dir(dir)?;
        let key = SoftwareKey::generate(alg)?;
        let request = CertRequest::new(
            SubjectName::common(opts.name).to_name()?,
            key.public_key().clone(),
            CertKind::Root {
                path_len: opts.path_len,
            },
            opts.days,
        );
        let cert = create_root(&key, &request)?;
        Self::write_new(dir, cert.clone(), vec![cert], &key, alg, opts, passphrase)
    }

    /// Create a subordinate CA signed by `parent`; its algorithm is the parent's. Without an
    /// explicit `path_len` it takes one less than the parent's, or 1 under an unconstrained
    /// root (city level, so that a county or department level can follow).
    pub fn init_sub(
        dir: &Path,
        parent: &mut CaFolder,
        parent_key: &dyn SigningKey,
        opts: &NewCa<'_>,
        passphrase: &str,
    ) -> Result<Self> {
        let parent_len =
            inspect::basic_constraints(&parent.certificate)?.and_then(|b| b.path_len_constraint);
        let path_len = match (opts.path_len, parent_len) {
            (Some(n), _) => Some(n),
            (None, Some(0)) => {
                return Err(Error::InvalidInput {
                    what: "parent CA",
                    value: parent.state.name.clone(),
                    detail: "its pathLenConstraint is 0: it may not have subordinate CAs".into(),
                })
            }
            (None, Some(p)) => Some(p - 1),
            (None, None) => Some(1),
        };
        prepare_empty_dir(dir)?;
        let alg = parent_key.algorithm();
        let key = SoftwareKey::generate(alg)?;
        let mut request = CertRequest::new(
            SubjectName::common(opts.name).to_name()?,
            key.public_key().clone(),
            CertKind::SubCa { path_len },
            opts.days,
        );
        request.crl_url = parent.state.crl_url.clone();
        let cert = parent.issue(parent_key, &request)?;
        let mut chain = vec![cert.clone()];
        chain.extend(parent.chain.iter().cloned());
        let opts = NewCa {
            path_len,
            crl_url: opts.crl_url.clone(),
            ..*opts
        };
        Self::write_new(dir, cert, chain, &key, alg, &opts, passphrase)
    }

    fn write_new(
        dir: &Path,
        cert: Certificate,
        chain: Vec<Certificate>,
        key: &SoftwareKey,
        alg: Algorithm,
        opts: &NewCa<'_>,
        passphrase: &str,
    ) -> Result<Self> {
        let ski = inspect::subject_key_identifier(&cert).unwrap_or_default();
        let state = CaState {
            name: opts.name.to_string(),
            algorithm: alg.name().to_string(),
            crl_url: Some(
                opts.crl_url
                    .clone()
                    .unwrap_or_else(|| default_crl_url(&ski)),
            ),
            next_crl_number: 1,
            issued: Vec::new(),
        };
        write_file(
            &dir.join(KEY_FILE),
            key.to_encrypted_pkcs8_pem(passphrase)?.as_bytes(),
            true,
        )?;
        write_file(
            &dir.join(CERT_FILE),
            inspect::certificates_to_pem(std::slice::from_ref(&cert))?.as_bytes(),
            false,
        )?;
        write_file(
            &dir.join(CHAIN_FILE),
            inspect::certificates_to_pem(&chain)?.as_bytes(),
            false,
        )?;
        let folder = CaFolder {
            dir: dir.to_path_buf(),
            certificate: cert,
            chain,
            state,
        };
        folder.save_state()?;
        Ok(folder)
    }

    /// Open a CA folder (the key stays on disk until [`Self::load_key`]).
    pub fn open(dir: &Path) -> Result<Self> {
        let cert_path = dir.join(CERT_FILE);
        let certificate = read_certs(&cert_path)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::malformed("CA certificate", "empty").in_file(&cert_path))?;
        let chain_path = dir.join(CHAIN_FILE);
        let chain = if chain_path.exists() {
            read_certs(&chain_path)?
        } else {
            vec![certificate.clone()]
        };
        let state_path = dir.join(STATE_FILE);
        let text = fs::read_to_string(&state_path).map_err(|source| Error::Io {
            path: state_path.clone(),
            source,
        })?;
        let state: CaState = serde_json::from_str(&text)
            .map_err(|e| Error::malformed("CA state", e).in_file(&state_path))?;
        Ok(CaFolder {
            dir: dir.to_path_buf(),
            certificate,
            chain,
            state,
        })
    }

    /// Decrypt the CA key.
    pub fn load_key(&self, passphrase: crate::Passphrase<'_>) -> Result<SoftwareKey> {
        let path = self.dir.join(KEY_FILE);
        let data = fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let key = SoftwareKey::load(&data, passphrase)
            .map_err(|e| e.in_file(&path))?
            .key;
        if key.public_key() != &inspect::public_key(&self.certificate)? {
            return Err(Error::malformed("CA key", "does not match ca.pem").in_file(&path));
        }
        Ok(key)
    }

    /// Issue a certificate and record it.
    pub fn issue(&mut self, key: &dyn SigningKey, request: &CertRequest) -> Result<Certificate> {
        let mut request = request.clone();
        if request.crl_url.is_none() {
            request.crl_url = self.state.crl_url.clone();
        }
        // A certificate must not outlive its issuer (RFC 5280 does not forbid it, but every
        // relying party would reject the tail end).
        let ca_end = inspect::not_after(&self.certificate);
        if request.not_after > ca_end {
            request.not_after = ca_end;
        }
        let cert = issue(
            &Issuer {
                certificate: &self.certificate,
                key,
            },
            &request,
        )?;
        self.state.issued.push(IssuedRecord {
            serial: inspect::serial_hex(&cert),
            subject: inspect::subject(&cert),
            kind: format!("{:?}", request.kind),
            not_after: unix(inspect::not_after(&cert)),
            revoked: None,
        });
        self.save_state()?;
        Ok(cert)
    }

    /// Mark a certificate this CA issued as revoked.
    pub fn revoke(&mut self, serial_hex: &str, reason: &str, at: SystemTime) -> Result<()> {
        let reason = parse_reason(reason)?;
        let wanted = crate::inspect::normalize_serial(
            &hex::decode(serial_hex.trim_start_matches("0x")).map_err(|e| Error::InvalidInput {
                what: "serial number",
                value: serial_hex.into(),
                detail: format!("not hexadecimal: {e}"),
            })?,
        );
        let record = self
            .state
            .issued
            .iter_mut()
            .find(|r| r.serial == wanted)
            .ok_or_else(|| Error::UnknownSerial(wanted.clone()))?;
        if let Some(prev) = &record.revoked {
            return Err(Error::InvalidInput {
                what: "serial number",
                value: wanted,
                detail: format!("already revoked ({})", prev.reason),
            });
        }
        record.revoked = Some(RevokedRecord {
            at: unix(at),
            reason: reason_name(reason).to_string(),
        });
        self.save_state()
    }

    /// Sign a fresh CRL listing every revocation; the CRL number goes up by one each time.
    pub fn crl(&mut self, key: &dyn SigningKey, valid_for: Duration) -> Result<Crl> {
        let mut revoked = Vec::new();
        for r in &self.state.issued {
            if let Some(rev) = &r.revoked {
                revoked.push(Revocation {
                    serial_hex: r.serial.clone(),
                    revoked_at: UNIX_EPOCH + Duration::from_secs(rev.at),
                    reason: parse_reason(&rev.reason)?,
                });
            }
        }
        let now = SystemTime::now();
        let crl = create_crl(
            &Issuer {
                certificate: &self.certificate,
                key,
            },
            self.state.next_crl_number,
            now - Duration::from_secs(60),
            now + valid_for,
            &revoked,
        )?;
        self.state.next_crl_number += 1;
        self.save_state()?;
        Ok(crl)
    }

    fn save_state(&self) -> Result<()> {
        let json = serde_json::to_string_pretty(&self.state)
            .map_err(|e| Error::malformed("CA state", e))?;
        // Write then rename, so a crash never leaves half a state file.
        let path = self.dir.join(STATE_FILE);
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        write_file(&tmp, json.as_bytes(), false)?;
        fs::rename(&tmp, &path).map_err(|source| Error::Io { path, source })
    }
}

fn default_crl_url(ski: &[u8]) -> String {
    format!("http://127.0.0.1:8080/v1/crl/{}.crl", hex::encode(ski))
}

fn prepare_empty_dir(dir: &Path) -> Result<()> {
    if dir.join(CERT_FILE).exists() || dir.join(KEY_FILE).exists() {
        return Err(Error::InvalidInput {
            what: "CA folder",
            value: dir.display().to_string(),
            detail: "already holds a CA; refusing to overwrite it".into(),
        });
    }
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Read certificates from a file, naming the file in any error.
pub fn read_certs(path: &Path) -> Result<Vec<Certificate>> {
    let data = fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    inspect::certificates_from_bytes(&data).map_err(|e| e.in_file(path))
}

/// Write a file; secrets get mode 0600 and never replace an existing file.
pub fn write_file(path: &Path, data: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut opts = fs::OpenOptions::new();
    opts.write(true);
    if secret {
        opts.create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
    } else {
        opts.create(true).truncate(true);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.sync_all().map_err(io)
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
