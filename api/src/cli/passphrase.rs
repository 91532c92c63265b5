//! Where key passphrases come from: an environment variable (ESEAL_KEY_PASSPHRASE by
//! default), else the terminal. Never from the command line, where `ps` would show it.

use eseal_certs::{Error, Result};
use zeroize::Zeroizing;

pub const DEFAULT_VAR: &str = "ESEAL_KEY_PASSPHRASE";

/// The passphrase to decrypt an existing key.
pub fn for_existing(var: &str, what: &str) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var(var) {
        return Ok(Zeroizing::new(p));
    }
    prompt(&format!("Passphrase for {what}: ")).map_err(|_| no_terminal(var))
}

/// The passphrase to encrypt a new key: asked twice on a terminal.
pub fn for_new(var: &str, what: &str) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var(var) {
        return Ok(Zeroizing::new(p));
    }
    let first = prompt(&format!("New passphrase for {what}: ")).map_err(|_| no_terminal(var))?;
    let second = prompt("Again: ").map_err(|_| no_terminal(var))?;
    if *first != *second {
        return Err(Error::InvalidInput {
            what: "passphrase",
            value: String::new(),
            detail: "the two entries differ".into(),
        });
    }
    Ok(first)
}

fn prompt(text: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(text).map(Zeroizing::new)
}

fn no_terminal(var: &str) -> Error {
    Error::InvalidInput {
        what: "passphrase",
        value: String::new(),
        detail: format!("no terminal to ask on; set {var}"),
    }
}
