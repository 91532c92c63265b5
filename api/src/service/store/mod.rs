//! The store: every SQL statement the request handlers and the licence registry need, as
//! typed functions over rows and states. Handlers never write SQL; they call a function here
//! with a connection (a pool, a pooled connection or an open transaction) and get structs
//! back, with statuses as enums that read and write exactly the strings the database holds.
//!
//! One module per aggregate: [`seals`] (and their uses), [`certificates`], [`cas`],
//! [`documents`], [`orgs`] (organisations and departments), [`keys`] (API keys),
//! [`settings`], [`licences`] (licences, their versions and presentations),
//! [`licence_types`], [`grants`] (grants and annotated copies), [`batches`], [`log`],
//! [`trust_anchors`] and [`relying_parties`].
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
pub mod relying_parties;
pub mod seals;
pub mod settings;
pub mod trust_anchors;

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
            /// Every variant, for the round-trip tests.
            #[cfg(test)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant reads back from the text it writes, and serialises as that text.
    fn round_trip<T>(all: &[T], as_str: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize,
        T: std::str::FromStr<Err = UnknownValue>,
    {
        for v in all {
            let text = as_str(*v);
            assert_eq!(text.parse::<T>().unwrap(), *v);
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(text));
        }
        assert!("no such state".parse::<T>().is_err());
    }

    #[test]
    fn states_are_the_stored_texts() {
        round_trip(seals::SealStatus::ALL, seals::SealStatus::as_str);
        round_trip(
            trust_anchors::AnchorSource::ALL,
            trust_anchors::AnchorSource::as_str,
        );
        round_trip(seals::KeyStore::ALL, seals::KeyStore::as_str);
        round_trip(
            certificates::CertificateStatus::ALL,
            certificates::CertificateStatus::as_str,
        );
        round_trip(documents::StepStatus::ALL, documents::StepStatus::as_str);
        round_trip(
            documents::DocumentState::ALL,
            documents::DocumentState::as_str,
        );
        round_trip(
            licences::LicenceStatus::ALL,
            licences::LicenceStatus::as_str,
        );
        round_trip(licences::FileStatus::ALL, licences::FileStatus::as_str);
        round_trip(licences::VersionKind::ALL, licences::VersionKind::as_str);
        round_trip(grants::GrantStatus::ALL, grants::GrantStatus::as_str);
        round_trip(batches::BatchStatus::ALL, batches::BatchStatus::as_str);
        round_trip(orgs::Level::ALL, orgs::Level::as_str);
        assert_eq!(seals::SealStatus::Active.as_str(), "active");
        assert_eq!(licences::FileStatus::Current.as_str(), "current");
        assert_eq!(documents::StepStatus::Sealed.as_str(), "sealed");
    }

    #[test]
    fn seal_kinds_keep_the_service_texts() {
        use eseal_signer::ses::SealType;
        let texts: Vec<&str> = SealType::ALL.into_iter().map(seals::kind::as_str).collect();
        assert_eq!(
            texts,
            [
                "official",
                "finance",
                "invoice",
                "contract",
                "legal_representative",
                "department"
            ]
        );
        for t in SealType::ALL {
            assert_eq!(seals::kind::parse(seals::kind::as_str(t)), Some(t));
        }
        assert_eq!(seals::kind::parse("Official"), None);
    }

    #[test]
    fn document_state_follows_the_sealed_steps() {
        use documents::DocumentState::*;
        assert_eq!(documents::DocumentState::of(0, 3), Prepared);
        assert_eq!(documents::DocumentState::of(2, 3), Sealed);
        assert_eq!(documents::DocumentState::of(3, 3), Complete);
    }

    #[test]
    fn an_active_grant_expires_at_its_date() {
        let g = grants::GrantRow {
            id: "g".into(),
            licence_id: "l".into(),
            agency_id: "a".into(),
            agency_name: "A".into(),
            matter: "m".into(),
            until_at: 100,
            status: grants::GrantStatus::Active,
            created_at: 0,
            withdrawn_at: None,
        };
        assert_eq!(g.status_at(99), grants::GrantStatus::Active);
        assert_eq!(g.status_at(100), grants::GrantStatus::Expired);
        let withdrawn = grants::GrantRow {
            status: grants::GrantStatus::Withdrawn,
            ..g
        };
        assert_eq!(withdrawn.status_at(200), grants::GrantStatus::Withdrawn);
    }
}
