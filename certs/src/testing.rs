//! A ready-made three-level PKI for tests in every crate (feature `testing`):
//! root → intermediate (pathLen 0) → seal certificate, in either suite.

use std::time::{Duration, SystemTime};

use x509_cert::Certificate;

use crate::crl::{create_crl, Crl, Revocation};
use crate::issue::{create_root, issue, CertKind, CertRequest, Issuer};
use crate::name::SubjectName;
use crate::{Algorithm, Result, SigningKey, SoftwareKey};

/// A USCC with a valid check character, for test subjects.
pub const TEST_USCC: &str = "91350100M000100Y43";

pub struct TestPki {
    pub algorithm: Algorithm,
    pub root: Certificate,
    pub root_key: SoftwareKey,
    pub intermediate: Certificate,
    pub intermediate_key: SoftwareKey,
    pub leaf: Certificate,
    pub leaf_key: SoftwareKey,
}

impl TestPki {
    pub fn new(algorithm: Algorithm) -> Result<Self> {
        let root_key = SoftwareKey::generate(algorithm)?;
        let root = create_root(
            &root_key,
            &CertRequest::new(
                SubjectName::common(&format!("Test Province Root CA ({algorithm})")).to_name()?,
                root_key.public_key().clone(),
                CertKind::Root { path_len: None },
                3650,
            ),
        )?;
        let intermediate_key = SoftwareKey::generate(algorithm)?;
        let mut req = CertRequest::new(
            SubjectName::common(&format!("Test City CA ({algorithm})")).to_name()?,
            intermediate_key.public_key().clone(),
            CertKind::SubCa { path_len: Some(0) },
            1825,
        );
        req.crl_url = Some("http://127.0.0.1:8080/crl/root.crl".into());
        let intermediate = issue(
            &Issuer {
                certificate: &root,
                key: &root_key,
            },
            &req,
        )?;
        let leaf_key = SoftwareKey::generate(algorithm)?;
        let subject = SubjectName {
            organization: Some("测试市市场监督管理局".into()),
            uscc: Some(TEST_USCC.into()),
            ..SubjectName::common("测试市市场监督管理局 电子印章")
        };
        let mut req = CertRequest::new(
            subject.to_name()?,
            leaf_key.public_key().clone(),
            CertKind::Seal,
            365,
        );
        req.crl_url = Some("http://127.0.0.1:8080/crl/city.crl".into());
        let leaf = issue(
            &Issuer {
                certificate: &intermediate,
                key: &intermediate_key,
            },
            &req,
        )?;
        Ok(TestPki {
            algorithm,
            root,
            root_key,
            intermediate,
            intermediate_key,
            leaf,
            leaf_key,
        })
    }

    /// Chain for embedding: leaf, then intermediate.
    pub fn chain(&self) -> Vec<Certificate> {
        vec![self.leaf.clone(), self.intermediate.clone()]
    }

    /// A CRL from the intermediate listing the given revocations.
    pub fn intermediate_crl(&self, revoked: &[Revocation]) -> Result<Crl> {
        let now = SystemTime::now();
        create_crl(
            &Issuer {
                certificate: &self.intermediate,
                key: &self.intermediate_key,
            },
            1,
            now - Duration::from_secs(60),
            now + Duration::from_secs(7 * 86_400),
            revoked,
        )
    }
}
