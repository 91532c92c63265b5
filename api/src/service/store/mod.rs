//! The store: every SQL statement the request handlers and the licence registry need, as
//! typed functions over rows and states. Handlers never write SQL; they call a function here
//! with a connection (a pool, a pooled connection or an open transaction) and get structs
//! back, with statuses as enums that read and write exactly the strings the database holds.
//!
//! One module per aggregate: [`seals`] (and their uses), [`certificates`], [`cas`],
//! [`documents`], [`orgs`] (organisations and departments), [`keys`] (API keys),
//! [`settings`], [`licences`] (licences, their versions, serials and presentations),
//! [`licence_types`], [`grants`] (grants and annotated copies), [`batches`] and [`log`].
//!
//! Transactions stay with the caller: a function that must run inside one takes
//! `&mut AnyConnection` (pass `&mut tx`); a single statement takes any [`Db`].
//! Left outside on purpose, as store modules of their own: the audit log's writer with its
//! lock ([`super::audit`]), the group commit of seal uses, which checks seals and keys again
//! under that lock ([`super::commit`]), the TSA's serial counter ([`super::tsa`]) and the
//! pool's set-up ([`super::db`]).

pub mod batches;
pub mod cas;
pub mod certificates;
pub mod documents;
pub mod grants;
pub mod keys;
pub mod licence_types;
pub mod licences;
pub mod log;
pub mod orgs;
pub mod seals;
pub mod settings;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::error::{ApiError, ApiResult};

/// Anything one statement runs on: `&AnyPool`, `&mut AnyConnection`, `&mut *tx`.
pub trait Db<'e>: sqlx::Executor<'e, Database = sqlx::Any> {}

impl<'e, T: sqlx::Executor<'e, Database = sqlx::Any>> Db<'e> for T {}

/// A status column held a value no enum variant names: the store is newer or damaged.
#[derive(Debug)]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} '{}' in the store", self.what, self.value)
    }
}

/// A state kept as text: the variants, each with the exact string the database holds.
/// Serialises as that string, so JSON shows what it always showed.
macro_rules! text_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// The text the database holds.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::service::store::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::service::store::UnknownValue {
                        what: stringify!($name),
                        value: s.to_string(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

/// A text column read as one of the store's enums; an unknown value is an internal error.
pub(crate) fn state<T>(row: &AnyRow, col: &str) -> ApiResult<T>
where
    T: std::str::FromStr<Err = UnknownValue>,
{
    row.try_get::<String, _>(col)?
        .parse()
        .map_err(ApiError::internal)
}

/// Whether the database answers.
pub async fn ping<'e>(db: impl Db<'e>) -> bool {
    sqlx::query("SELECT 1").fetch_one(db).await.is_ok()
}
