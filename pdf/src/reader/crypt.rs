//! Decryption of documents encrypted with the standard security handler (ISO 32000-2 §7.6.4):
//! revisions 2-4 (RC4 of 40 to 128 bits, AES-128-CBC as crypt filter /AESV2) and 5-6 (AES-256,
//! /AESV3), with crypt filters (§7.6.6: /CF, /StmF, /StrF, /Identity, /EncryptMetadata).
//!
//! The ciphers and hashes are RustCrypto's; only the key derivation of the standard security
//! handler (algorithms 1, 2, 2.A, 2.B, 4, 5 of §7.6.4) is written here, as no crate provides it.
//!
//! What is not encrypted, and so is never decrypted (§7.6.2): the `/Encrypt` dictionary,
//! cross-reference streams, the `/Contents` of a signature dictionary, strings inside object
//! streams (the object stream itself is encrypted), and with `/EncryptMetadata false` the
//! metadata streams.

use aes::cipher::{block_padding::NoPadding, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};

/// The padding string of algorithm 2 (§7.6.4.3.2), which also is the empty password padded.
const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

/// How strings or streams are encrypted (a crypt filter's /CFM, §7.6.6 Table 25).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// Not encrypted (/Identity, /CFM /None).
    Identity,
    /// RC4 with a per-object key (/V2, and security handlers of /V 1 and 2).
    Rc4,
    /// AES-128-CBC with a per-object key (/AESV2).
    AesV2,
    /// AES-256-CBC with the file key (/AESV3).
    AesV3,
}

/// The file key and crypt filters of an encrypted document.
#[derive(Debug)]
pub(crate) struct Security {
    key: Vec<u8>,
    strings: Method,
    streams: Method,
    encrypt_metadata: bool,
    /// The `/Encrypt` dictionary's object, which is not encrypted.
    encrypt_ref: Option<ObjRef>,
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::Decryption(format!("{what}"))
}

impl Security {
    /// Reads the `/Encrypt` dictionary `encrypt` (object `encrypt_ref` when indirect) and derives
    /// the file key from the user password `password` and the first `/ID` string `id0`. Fails
    /// with [`Error::Decryption`] when the password is wrong or the handler is not supported.
    pub(crate) fn new(
        encrypt: &Dict,
        encrypt_ref: Option<ObjRef>,
        id0: &[u8],
        password: &[u8],
    ) -> Result<Self> {
        match encrypt.get("Filter").and_then(Object::as_name) {
            Some(b"Standard") => {}
            Some(other) => {
                return Err(unsupported(format_args!(
                    "it uses the security handler /{}, and only the standard one (passwords) is \
                     supported",
                    String::from_utf8_lossy(other)
                )))
            }
            None => return Err(unsupported("its /Encrypt dictionary has no /Filter")),
        }
        let int = |key: &str| encrypt.get(key).and_then(Object::as_i64);
        let v = int("V").unwrap_or(0);
        let r = int("R").ok_or_else(|| unsupported("its /Encrypt dictionary has no /R"))?;
        let encrypt_metadata = !matches!(encrypt.get("EncryptMetadata"), Some(Object::Bool(false)));
        let bytes = |key: &'static str| -> Result<&[u8]> {
            encrypt
                .get(key)
                .and_then(Object::as_string)
                .ok_or_else(|| unsupported(format_args!("its /Encrypt dictionary has no /{key}")))
        };
        let (strings, streams) = match v {
            1 | 2 => (Method::Rc4, Method::Rc4),
            4 | 5 => {
                let filter = |key: &str| crypt_filter(encrypt, key);
                (filter("StrF")?, filter("StmF")?)
            }
            _ => {
                return Err(unsupported(format_args!(
                    "its encryption algorithm /V {v} is not supported"
                )))
            }
        };
        let key = match r {
            2..=4 => {
                let length = match int("Length") {
                    _ if v == 1 => 40,
                    Some(l) => l,
                    None if v >= 4 => 128,
                    None => 40,
                };
                // Some writers give the length in bytes.
                let length = if (5..=16).contains(&length) {
                    length * 8
                } else {
                    length
                };
                if !(40..=128).contains(&length) || length % 8 != 0 {
                    return Err(unsupported(format_args!(
                        "its key length /Length {length} is invalid"
                    )));
                }
                let n = if r == 2 { 5 } else { (length / 8) as usize };
                let p = int("P").ok_or_else(|| unsupported("its /Encrypt dictionary has no /P"))?;
                let o = bytes("O")?;
                let u = bytes("U")?;
                if o.len() < 32 || u.len() < 32 {
                    return Err(unsupported("its /O or /U is shorter than 32 bytes"));
                }
                let key = key_r4(password, &o[..32], p, id0, n, r, encrypt_metadata);
                if !user_password_r4(&key, id0, &u[..32], r) {
                    return Err(Error::Decryption(password_problem(password)));
                }
                key
            }
            5 | 6 => {
                let u = bytes("U")?;
                let ue = bytes("UE")?;
                if u.len() < 48 || ue.len() < 32 {
                    return Err(unsupported("its /U or /UE is too short"));
                }
                let password = &password[..password.len().min(127)];
                if hash_r6(password, &u[32..40], &[], r)? != u[..32] {
                    return Err(Error::Decryption(password_problem(password)));
                }
                let intermediate = hash_r6(password, &u[40..48], &[], r)?;
                let mut key = ue[..32].to_vec();
                cbc::Decryptor::<aes::Aes256>::new_from_slices(&intermediate, &[0u8; 16])
                    .map_err(|_| unsupported("its file key cannot be decrypted"))?
                    .decrypt_padded::<NoPadding>(&mut key)
                    .map_err(|_| unsupported("its file key cannot be decrypted"))?;
                key
            }
            _ => {
                return Err(unsupported(format_args!(
                    "its security handler revision /R {r} is not supported"
                )))
            }
        };
        if r >= 5 && [strings, streams].contains(&Method::AesV2) {
            // AESV2 keys are per object, made with MD5 from a key of at most 16 bytes.
            return Err(unsupported("it combines /AESV2 with a 256-bit key"));
        }
        Ok(Security {
            key,
            strings,
            streams,
            encrypt_metadata,
            encrypt_ref,
        })
    }

    /// The `/Encrypt` dictionary's object.
    pub(crate) fn encrypt_ref(&self) -> Option<ObjRef> {
        self.encrypt_ref
    }

    /// Whether the data of stream `r` with dictionary `dict` is encrypted.
    pub(crate) fn encrypts_stream(&self, r: ObjRef, dict: &Dict) -> bool {
        self.streams != Method::Identity
            && Some(r) != self.encrypt_ref
            && !dict.has_name("Type", "XRef")
            && (self.encrypt_metadata || !dict.has_name("Type", "Metadata"))
            && !identity_crypt_filter(dict)
    }

    /// Decrypts the strings of object `r` (an indirect object of the file, not in an object
    /// stream), leaving the `/Contents` of signature dictionaries as they are.
    pub(crate) fn decrypt_strings(&self, r: ObjRef, obj: &mut Object) -> Result<()> {
        if self.strings == Method::Identity || Some(r) == self.encrypt_ref {
            return Ok(());
        }
        // A cross-reference stream is not encrypted at all, its dictionary (/ID) included.
        if matches!(obj, Object::Stream(s) if s.dict.has_name("Type", "XRef")) {
            return Ok(());
        }
        let key = self.object_key(r, self.strings);
        self.walk(r, &key, obj)
    }

    fn walk(&self, r: ObjRef, key: &[u8], obj: &mut Object) -> Result<()> {
        match obj {
            Object::String(s) => {
                *s = decrypt(self.strings, key, s).map_err(|what| {
                    Error::Decryption(format!(
                        "a string of object {r} cannot be decrypted: {what}"
                    ))
                })?;
            }
            Object::Array(items) => {
                for item in items {
                    self.walk(r, key, item)?;
                }
            }
            Object::Dict(d) => self.walk_dict(r, key, d)?,
            Object::Stream(s) => self.walk_dict(r, key, &mut s.dict)?,
            _ => {}
        }
        Ok(())
    }

    fn walk_dict(&self, r: ObjRef, key: &[u8], d: &mut Dict) -> Result<()> {
        // As PDFBox does: a dictionary of type /Sig or /DocTimeStamp, or with a /ByteRange
        // array beside a /Contents string, is a signature dictionary.
        let signature = d.has_name("Type", "Sig")
            || d.has_name("Type", "DocTimeStamp")
            || (matches!(d.get("ByteRange"), Some(Object::Array(_)))
                && matches!(d.get("Contents"), Some(Object::String(_))));
        // The signature's /Contents is not encrypted (§7.6.2): set aside while walking.
        let contents = match d.get_mut("Contents") {
            Some(slot) if signature => Some(std::mem::replace(slot, Object::Null)),
            _ => None,
        };
        for value in d.values_mut() {
            self.walk(r, key, value)?;
        }
        if let (Some(original), Some(slot)) = (contents, d.get_mut("Contents")) {
            *slot = original;
        }
        Ok(())
    }

    /// Decrypts the raw data of stream `r`.
    pub(crate) fn decrypt_stream(&self, r: ObjRef, data: &[u8]) -> Result<Vec<u8>> {
        let key = self.object_key(r, self.streams);
        decrypt(self.streams, &key, data).map_err(|what| {
            Error::Decryption(format!(
                "the data of stream {r} cannot be decrypted: {what}"
            ))
        })
    }

    /// The key of object `r` (algorithm 1, §7.6.3.1); /AESV3 uses the file key itself.
    fn object_key(&self, r: ObjRef, method: Method) -> Vec<u8> {
        if method == Method::AesV3 {
            return self.key.clone();
        }
        let mut h = Md5::new();
        h.update(&self.key);
        h.update(&r.num.to_le_bytes()[..3]);
        h.update(&r.gen.to_le_bytes()[..2]);
        if method == Method::AesV2 {
            h.update(b"sAlT");
        }
        let digest = h.finalize();
        digest[..(self.key.len() + 5).min(16)].to_vec()
    }
}

/// The method of the crypt filter named by `/StmF` or `/StrF` (§7.6.6).
fn crypt_filter(encrypt: &Dict, key: &str) -> Result<Method> {
    let name = match encrypt.get(key) {
        None => return Ok(Method::Identity),
        Some(Object::Name(n)) => n.as_slice(),
        Some(_) => return Err(unsupported(format_args!("its /{key} is not a name"))),
    };
    if name == b"Identity" {
        return Ok(Method::Identity);
    }
    let shown = String::from_utf8_lossy(name);
    let filter = encrypt
        .get("CF")
        .and_then(Object::as_dict)
        .and_then(|cf| {
            cf.iter()
                .find(|(k, _)| *k == name)
                .and_then(|(_, f)| f.as_dict())
        })
        .ok_or_else(|| {
            unsupported(format_args!(
                "its /{key} names the crypt filter /{shown}, which /CF does not define"
            ))
        })?;
    match filter.get("CFM").and_then(Object::as_name) {
        None | Some(b"None") => Ok(Method::Identity),
        Some(b"V2") => Ok(Method::Rc4),
        Some(b"AESV2") => Ok(Method::AesV2),
        Some(b"AESV3") => Ok(Method::AesV3),
        Some(other) => Err(unsupported(format_args!(
            "its crypt filter /{shown} uses the method /{}, which is not supported",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// Whether a stream's own filters start with a /Crypt filter naming /Identity (§7.4.10): its
/// data is not encrypted.
fn identity_crypt_filter(dict: &Dict) -> bool {
    let first = match dict.get("Filter") {
        Some(Object::Name(n)) => Some(n.as_slice()),
        Some(Object::Array(a)) => a.first().and_then(Object::as_name),
        _ => None,
    };
    if first != Some(b"Crypt") {
        return false;
    }
    let parms = match dict.get("DecodeParms") {
        Some(Object::Dict(d)) => Some(d),
        Some(Object::Array(a)) => a.first().and_then(Object::as_dict),
        _ => None,
    };
    // Without /Name the filter is /Identity.
    parms
        .and_then(|p| p.get("Name"))
        .and_then(Object::as_name)
        .is_none_or(|n| n == b"Identity")
}

fn password_problem(password: &[u8]) -> String {
    if password.is_empty() {
        "it is protected by a user password, and cannot be read without it".into()
    } else {
        "the password given is not its user password".into()
    }
}

/// `password` padded or cut to 32 bytes (step a of algorithm 2).
fn padded(password: &[u8]) -> [u8; 32] {
    let mut out = PAD;
    let n = password.len().min(32);
    out[..n].copy_from_slice(&password[..n]);
    out[n..].copy_from_slice(&PAD[..32 - n]);
    out
}

/// The file key of revisions 2-4 (algorithm 2, §7.6.4.3.2).
fn key_r4(
    password: &[u8],
    o: &[u8],
    p: i64,
    id0: &[u8],
    n: usize,
    r: i64,
    encrypt_metadata: bool,
) -> Vec<u8> {
    let mut h = Md5::new();
    h.update(padded(password));
    h.update(o);
    // /P is a 32-bit value, written signed or unsigned.
    h.update((p as u32).to_le_bytes());
    h.update(id0);
    if r >= 4 && !encrypt_metadata {
        h.update([0xFF; 4]);
    }
    let mut digest = h.finalize();
    if r >= 3 {
        for _ in 0..50 {
            digest = Md5::digest(&digest[..n]);
        }
    }
    digest[..n].to_vec()
}

/// Whether `key` comes from the user password: /U computed again (algorithms 4 and 5).
fn user_password_r4(key: &[u8], id0: &[u8], u: &[u8], r: i64) -> bool {
    if r == 2 {
        return rc4(key, &PAD).as_slice() == u;
    }
    let mut h = Md5::new();
    h.update(PAD);
    h.update(id0);
    let mut x = h.finalize().to_vec();
    for i in 0..20u8 {
        let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
        x = rc4(&k, &x);
    }
    x[..16] == u[..16]
}

/// The hash of revision 6 (algorithm 2.B, §7.6.4.3.4), or the plain SHA-256 of revision 5.
fn hash_r6(password: &[u8], salt: &[u8], udata: &[u8], r: i64) -> Result<[u8; 32]> {
    let mut k: Vec<u8> = Sha256::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(udata)
        .finalize()
        .to_vec();
    if r == 6 {
        let mut round = 0u32;
        loop {
            let mut k1 = Vec::with_capacity(64 * (password.len() + k.len() + udata.len()));
            for _ in 0..64 {
                k1.extend_from_slice(password);
                k1.extend_from_slice(&k);
                k1.extend_from_slice(udata);
            }
            let len = k1.len();
            let e = cbc::Encryptor::<aes::Aes128>::new_from_slices(&k[..16], &k[16..32])
                .map_err(|_| unsupported("the revision 6 key derivation failed"))?
                .encrypt_padded::<NoPadding>(&mut k1, len)
                .map_err(|_| unsupported("the revision 6 key derivation failed"))?
                .to_vec();
            // The first 16 bytes as a big number, modulo 3, is the sum of the bytes modulo 3.
            let m = e[..16].iter().map(|b| u32::from(*b)).sum::<u32>() % 3;
            k = match m {
                0 => Sha256::digest(&e).to_vec(),
                1 => Sha384::digest(&e).to_vec(),
                _ => Sha512::digest(&e).to_vec(),
            };
            round += 1;
            let last = e.last().copied().map_or(0, u32::from);
            if round >= 64 && last + 32 <= round {
                break;
            }
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&k[..32]);
    Ok(out)
}

fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    // Keys here are 5 to 16 bytes, which RC4 accepts (1 to 256).
    if let Ok(mut cipher) = Rc4::new_from_slice(key) {
        cipher.apply_keystream(&mut out);
    }
    out
}

/// Decrypts `data` with `method` and the object's `key`; AES data is the IV, then the
/// ciphertext padded as PKCS#7 (§7.6.3.1).
fn decrypt(method: Method, key: &[u8], data: &[u8]) -> std::result::Result<Vec<u8>, &'static str> {
    match method {
        Method::Identity => Ok(data.to_vec()),
        Method::Rc4 => Ok(rc4(key, data)),
        Method::AesV2 | Method::AesV3 => {
            if data.is_empty() {
                return Ok(Vec::new());
            }
            if data.len() < 32 || !data.len().is_multiple_of(16) {
                return Err("AES data is not an IV and whole blocks");
            }
            let (iv, body) = data.split_at(16);
            let mut out = body.to_vec();
            let done = if method == Method::AesV2 {
                cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                    .map_err(|_| "wrong AES key length")?
                    .decrypt_padded::<NoPadding>(&mut out)
                    .map(|_| ())
            } else {
                cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                    .map_err(|_| "wrong AES key length")?
                    .decrypt_padded::<NoPadding>(&mut out)
                    .map(|_| ())
            };
            done.map_err(|_| "AES data is not whole blocks")?;
            let pad = out.last().copied().map_or(0, usize::from);
            if pad == 0
                || pad > 16
                || out[out.len() - pad..]
                    .iter()
                    .any(|b| usize::from(*b) != pad)
            {
                return Err("bad AES padding (wrong key?)");
            }
            out.truncate(out.len() - pad);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_of_the_empty_password_is_the_pad() {
        assert_eq!(padded(b""), PAD);
        assert_eq!(&padded(b"ab")[..4], &[b'a', b'b', 0x28, 0xBF]);
    }

    #[test]
    fn aes_padding_is_checked() {
        let key = [7u8; 16];
        let iv = [1u8; 16];
        let mut buf = b"hello world".to_vec();
        buf.resize(16, 5);
        let n = buf.len();
        let ct = cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded::<NoPadding>(&mut buf, n)
            .unwrap()
            .to_vec();
        let data = [iv.as_slice(), &ct].concat();
        assert_eq!(decrypt(Method::AesV2, &key, &data).unwrap(), b"hello world");
        assert_ne!(
            decrypt(Method::AesV2, &[8u8; 16], &data).ok().as_deref(),
            Some(&b"hello world"[..])
        );
        assert!(decrypt(Method::AesV2, &key, &data[..20]).is_err());
        // A last block that does not end in PKCS#7 padding is refused.
        let mut block = [0u8; 16];
        let ct = cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded::<NoPadding>(&mut block, 16)
            .unwrap()
            .to_vec();
        let data = [iv.as_slice(), &ct].concat();
        assert!(decrypt(Method::AesV2, &key, &data).is_err());
    }
}
