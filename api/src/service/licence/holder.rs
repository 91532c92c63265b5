//! The holder's credential: a random token shown once at issuance (`lht_` and 32 random bytes
//! in hex), stored as its SHA-256 like API keys. A request to a holder route carries it as
//! `Authorization: Bearer lht_…`; routes that also serve the issuer accept an API key there.
//! Also the masking of holder data on public pages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::service::auth::{key_hash, record_denial, Caller};
use crate::service::error::{ApiError, ApiResult};
use crate::service::store::licences;
use crate::service::Shared;

pub const TOKEN_PREFIX: &str = "lht_";

pub fn new_token() -> ApiResult<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(ApiError::internal)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(raw)))
}

pub fn token_hash(token: &str) -> String {
    key_hash(token)
}

/// Who is asking: a holder (by token hash) or an API key.
pub enum Credential {
    Holder(String),
    Key(Caller),
}

impl FromRequestParts<Shared> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match token {
            Some(t) if t.starts_with(TOKEN_PREFIX) => Ok(Credential::Holder(token_hash(t))),
            _ => Ok(Credential::Key(
                Caller::from_request_parts(parts, state).await?,
            )),
        }
    }
}

impl Credential {
    /// Whether this is the holder of licence `id`; a wrong token is a logged 403.
    pub async fn holder_of(&self, state: &Shared, id: &str, action: &str) -> ApiResult<()> {
        let Credential::Holder(hash) = self else {
            if let Credential::Key(c) = self {
                record_denial(state, Some(c), action, 403, "not the licence's holder").await;
            }
            return Err(ApiError::Forbidden(format!(
                "only the licence's holder may {action} (Authorization: Bearer HOLDER_TOKEN)"
            )));
        };
        let Some(stored) = licences::holder_token_hash(&state.db, id).await? else {
            return Err(ApiError::NotFound(format!("no such licence '{id}'")));
        };
        // Both sides are hashes of secrets; comparing them leaks nothing useful.
        if &stored != hash {
            record_denial(state, None, action, 403, "holder token of another licence").await;
            return Err(ApiError::Forbidden(
                "this holder token is not for this licence".into(),
            ));
        }
        Ok(())
    }
}

/// A name with its middle hidden: 张*明, 李*, 福州***公司.
pub fn mask_name(name: &str) -> String {
    let c: Vec<char> = name.trim().chars().collect();
    match c.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", c[0]),
        n => {
            let keep = n.div_ceil(4).max(1);
            let head: String = c[..keep].iter().collect();
            let tail: String = c[n - keep..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - 2 * keep))
        }
    }
}

/// A code with all but its first four and last two characters hidden: 9135************43.
pub fn mask_code(code: &str) -> String {
    let c: Vec<char> = code.trim().chars().collect();
    let n = c.len();
    if n <= 6 {
        return "*".repeat(n);
    }
    let head: String = c[..4].iter().collect();
    let tail: String = c[n - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("福州示例科技有限公司"), "福州示****限公司");
        assert_eq!(mask_code("91350100M000100Y43"), "9135************43");
        assert_eq!(mask_code("12345"), "*****");
    }

    #[test]
    fn tokens_differ_and_hash_stably() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 68);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
