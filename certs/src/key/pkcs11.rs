//! Keys in a PKCS#11 token (an HSM; SoftHSM2 in tests): P-256 only, signing with the raw
//! `CKM_ECDSA` mechanism on the 32-byte digest we computed (tokens such as SoftHSM 2.6 offer no
//! `CKM_ECDSA_SHA256`, and the document never leaves the process anyway). The token returns
//! `r ‖ s`; [`SigningKey::sign_digest`] gives DER like every other backend.
//!
//! Private keys are generated in the token as sensitive and not extractable: they never exist
//! outside it. A key is found again by its label. The PIN is held in a zeroizing secret and
//! never printed.
//!
//! PKCS#11 sessions are single-threaded; a [`Pkcs11Token`] keeps a pool of logged-in sessions
//! and lends one to each signature, so concurrent sealings with token keys do not serialise
//! on one session. The pool is never emptied while the token is open, which keeps the login
//! (a login belongs to the application, and ends when its last session closes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use super::{PublicKey, SigningKey};
use crate::{Algorithm, Error, Result};

/// DER of the named curve prime256v1 (1.2.840.10045.3.1.7), for `CKA_EC_PARAMS`.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

fn ck(what: &'static str) -> impl Fn(CkError) -> Error {
    move |e| Error::Signing(format!("PKCS#11 {what}: {e}"))
}

/// One initialised context per module and process: a second `C_Initialize` of the same
/// library fails, and finalising one context would end the other's sessions.
fn context(module: &Path) -> Result<Pkcs11> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut map = CONTEXTS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| Error::Signing("PKCS#11 context registry poisoned".into()))?;
    if let Some(c) = map.get(module) {
        return Ok(c.clone());
    }
    let ctx = Pkcs11::new(module).map_err(|e| Error::Io {
        path: module.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    match ctx.initialize(CInitializeArgs::OsThreads) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck("initialise")(e)),
    }
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// An open token: the module, the slot holding the token of a given label, and the user PIN.
pub struct Pkcs11Token {
    ctx: Pkcs11,
    slot: Slot,
    label: String,
    pin: AuthPin,
    sessions: Mutex<Vec<Session>>,
}

impl std::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Token({:?}, PIN redacted)", self.label)
    }
}

impl Pkcs11Token {
    /// Opens the token labelled `token_label` in `module` and logs in as the user.
    pub fn open(module: &Path, token_label: &str, pin: &str) -> Result<Arc<Pkcs11Token>> {
        let ctx = context(module)?;
        let mut found = None;
        for slot in ctx.get_slots_with_token().map_err(ck("list slots"))? {
            let info = ctx.get_token_info(slot).map_err(ck("token info"))?;
            if info.label().trim_end() == token_label {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| Error::InvalidInput {
            what: "PKCS#11 token label",
            value: token_label.to_string(),
            detail: format!("no token with this label in {}", module.display()),
        })?;
        let token = Arc::new(Pkcs11Token {
            ctx,
            slot,
            label: token_label.to_string(),
            pin: AuthPin::new(pin.to_string()),
            sessions: Mutex::new(Vec::new()),
        });
        // Log in now, so a wrong PIN shows at start and not at the first sealing.
        let s = token.session()?;
        token.give_back(s);
        Ok(token)
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn session(&self) -> Result<Session> {
        if let Some(s) = self.sessions.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(s);
        }
        let s = self
            .ctx
            .open_rw_session(self.slot)
            .map_err(ck("open session"))?;
        match s.login(UserType::User, Some(&self.pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(s),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(Error::WrongPassphrase),
            Err(e) => Err(ck("login")(e)),
        }
    }

    fn give_back(&self, s: Session) {
        if let Ok(mut p) = self.sessions.lock() {
            p.push(s);
        }
    }

    /// Runs `f` with a session lent from the pool.
    fn with_session<T>(&self, f: impl FnOnce(&Session) -> Result<T>) -> Result<T> {
        let s = self.session()?;
        let out = f(&s);
        self.give_back(s);
        out
    }

    /// Generates a P-256 key pair in the token under `label` (which must be new).
    pub fn generate_p256(self: &Arc<Self>, label: &str) -> Result<Pkcs11Key> {
        if label.is_empty() || label.len() > 64 {
            return Err(Error::InvalidInput {
                what: "PKCS#11 key label",
                value: label.to_string(),
                detail: "1 to 64 bytes".into(),
            });
        }
        let handle = self.with_session(|s| {
            if !find(s, ObjectClass::PRIVATE_KEY, label)?.is_empty() {
                return Err(Error::InvalidInput {
                    what: "PKCS#11 key label",
                    value: label.to_string(),
                    detail: "a key with this label exists in the token".into(),
                });
            }
            let id = label.as_bytes().to_vec();
            let public = [
                Attribute::Token(true),
                Attribute::Verify(true),
                Attribute::EcParams(P256_PARAMS.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.clone()),
            ];
            let private = [
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Sign(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id),
            ];
            let (_, handle) = s
                .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
                .map_err(ck("generate key pair"))?;
            Ok(handle)
        })?;
        let _ = handle;
        self.key(label)
    }

    /// The key labelled `label`: its private key object and its public key.
    pub fn key(self: &Arc<Self>, label: &str) -> Result<Pkcs11Key> {
        let (handle, point) = self.with_session(|s| {
            let private = find(s, ObjectClass::PRIVATE_KEY, label)?;
            let handle = match private.as_slice() {
                [h] => *h,
                [] => return Err(Error::NoKey("the PKCS#11 token (no key with this label)")),
                _ => {
                    return Err(Error::InvalidInput {
                        what: "PKCS#11 key label",
                        value: label.to_string(),
                        detail: "several private keys carry this label".into(),
                    })
                }
            };
            let kt = s
                .get_attributes(handle, &[AttributeType::KeyType])
                .map_err(ck("read key type"))?;
            if !matches!(kt.first(), Some(Attribute::KeyType(t)) if *t == KeyType::EC) {
                return Err(Error::unsupported(
                    "PKCS#11 key type",
                    "only EC (P-256) keys",
                ));
            }
            let public = find(s, ObjectClass::PUBLIC_KEY, label)?;
            let pubh = *public.first().ok_or(Error::NoKey(
                "the PKCS#11 token (no public key with this label)",
            ))?;
            let attrs = s
                .get_attributes(pubh, &[AttributeType::EcParams, AttributeType::EcPoint])
                .map_err(ck("read public key"))?;
            let mut params = None;
            let mut point = None;
            for a in attrs {
                match a {
                    Attribute::EcParams(p) => params = Some(p),
                    Attribute::EcPoint(p) => point = Some(p),
                    _ => {}
                }
            }
            if params.as_deref() != Some(&P256_PARAMS[..]) {
                return Err(Error::unsupported("PKCS#11 key curve", "only P-256"));
            }
            let point =
                point.ok_or_else(|| Error::malformed("PKCS#11 public key", "no CKA_EC_POINT"))?;
            Ok((handle, point))
        })?;
        let public = PublicKey::from_sec1(Algorithm::P256, unwrap_point(&point))?;
        Ok(Pkcs11Key {
            token: self.clone(),
            handle,
            label: label.to_string(),
            public,
        })
    }
}

fn find(s: &Session, class: ObjectClass, label: &str) -> Result<Vec<ObjectHandle>> {
    s.find_objects(&[
        Attribute::Class(class),
        Attribute::Label(label.as_bytes().to_vec()),
    ])
    .map_err(ck("find objects"))
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the point (PKCS#11 2.40); some tokens give the
/// bare point.
fn unwrap_point(p: &[u8]) -> &[u8] {
    match p {
        [0x04, 0x41, rest @ ..] if rest.len() == 0x41 => rest,
        _ => p,
    }
}

/// A P-256 private key that stays in a PKCS#11 token.
pub struct Pkcs11Key {
    token: Arc<Pkcs11Token>,
    handle: ObjectHandle,
    label: String,
    public: PublicKey,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Key({:?} in {:?})", self.label, self.token.label)
    }
}

impl Pkcs11Key {
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl SigningKey for Pkcs11Key {
    fn algorithm(&self) -> Algorithm {
        Algorithm::P256
    }

    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        if digest.len() != 32 {
            return Err(Error::Signing(format!(
                "a P-256 signing digest has 32 bytes, not {}",
                digest.len()
            )));
        }
        let raw = self.token.with_session(|s| {
            s.sign(&Mechanism::Ecdsa, self.handle, digest)
                .map_err(ck("sign"))
        })?;
        let sig = p256::ecdsa::Signature::from_slice(&raw)
            .map_err(|e| Error::Signing(format!("the token's signature is not r||s: {e}")))?;
        let der = sig.to_der().as_bytes().to_vec();
        // A token answers for a handle we chose by label: check it signed with the key we
        // certified before anything carries its signature.
        self.public.verify_digest(digest, &der).map_err(|_| {
            Error::Signing("the token's signature does not verify with the key's public key".into())
        })?;
        Ok(der)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ec_point_unwrapped_from_its_octet_string() {
        let mut raw = vec![0x04];
        raw.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 0x41];
        wrapped.extend(&raw);
        assert_eq!(super::unwrap_point(&wrapped), &raw[..]);
        assert_eq!(super::unwrap_point(&raw), &raw[..]);
    }
}
