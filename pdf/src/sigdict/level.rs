//! PAdES baseline levels (ETSI EN 319 142-1 §6): what the signer is asked to produce and what
//! the verifier finds a signature reaches. Ordered: each level includes the ones before it.

use serde::Serialize;

/// A PAdES baseline level; JSON and the command line spell it `b-b`, `b-t`, `b-lt`, `b-lta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    /// B-B: the signature with signed attributes and the signing certificate reference.
    #[serde(rename = "b-b")]
    BB,
    /// B-T: and a trusted time (signature timestamp, or a later document timestamp).
    #[serde(rename = "b-t")]
    BT,
    /// B-LT: and the validation data in the Document Security Store.
    #[serde(rename = "b-lt")]
    BLT,
    /// B-LTA: and a document timestamp over that validation data.
    #[serde(rename = "b-lta")]
    BLTA,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::BB => "b-b",
            Level::BT => "b-t",
            Level::BLT => "b-lt",
            Level::BLTA => "b-lta",
        }
    }

    /// Reads `b-b` … `b-lta`, in any case.
    pub fn parse(s: &str) -> Option<Level> {
        [Level::BB, Level::BT, Level::BLT, Level::BLTA]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn names_round_trip_and_json_uses_them() {
        for l in [Level::BB, Level::BT, Level::BLT, Level::BLTA] {
            assert_eq!(Level::parse(&l.name().to_uppercase()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.name())
            );
        }
        assert_eq!(Level::parse("b-x"), None);
        assert!(Level::BT < Level::BLTA);
    }
}
