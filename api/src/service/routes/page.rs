//! Keyset pagination for list endpoints: items in id order, `limit` per page (1 to 200, 50 by
//! default), `after` the last id of the previous page; a page that may have more says so in
//! `next` (the `after` of the following page).

use serde::Deserialize;
use utoipa::IntoParams;

use crate::service::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
    /// Start after this id (the `next` of the previous page).
    pub after: Option<String>,
}

impl PageQuery {
    /// The limit, checked.
    pub fn limit(&self) -> ApiResult<usize> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            n @ 1..=MAX_LIMIT => Ok(n as usize),
            n => Err(ApiError::BadRequest(format!(
                "limit {n}: give 1 to {MAX_LIMIT}"
            ))),
        }
    }

    /// The cursor ('' = from the start; every id sorts after it).
    pub fn after(&self) -> &str {
        self.after.as_deref().unwrap_or("")
    }
}

/// Cuts `items` (sorted by id, at most limit + 1 fetched) to a page; returns the page and the
/// cursor of the next one when more items exist.
pub fn cut<T>(
    mut items: Vec<T>,
    limit: usize,
    id: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|t| id(t).to_string());
        (items, next)
    } else {
        (items, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_gives_a_cursor_only_when_more_exist() {
        let (page, next) = cut(vec!["a", "b", "c"], 2, |s| s);
        assert_eq!(page, vec!["a", "b"]);
        assert_eq!(next.as_deref(), Some("b"));
        let (page, next) = cut(vec!["a", "b"], 2, |s| s);
        assert_eq!(page.len(), 2);
        assert!(next.is_none());
    }

    #[test]
    fn limit_is_bounded() {
        let q = |l| PageQuery {
            limit: Some(l),
            after: None,
        };
        assert!(q(0).limit().is_err());
        assert!(q(201).limit().is_err());
        assert_eq!(q(200).limit().unwrap(), 200);
    }
}
