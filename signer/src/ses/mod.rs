//! Electronic seals and seal signatures of GB/T 38540-2020 《信息安全技术 电子签章密码技术规范》
//! (version 4) and GM/T 0031-2014 《安全电子签章密码技术规范》 (version 1), DER encoded.
//!
//! - `seal` (§7 印章数据): `SESeal` and its parts, both versions, ASN.1 mirrored, no logic;
//! - `signature` (§8 签章数据): `SES_Signature` and `TBS_Sign`, both versions;
//! - `binding`: seal type codes and the owner-code extension (issue 5, point 4), with the
//!   private OID arc it uses;
//! - `make_seal`, `make_signature`: writing version 4 (SM2/SM3, default ID) through
//!   [`eseal_certs::SigningKey`];
//! - `read`: reading both versions tolerantly (structure decides the version; `[0]` fields
//!   explicit, implicit or untagged; PDF zero padding) while keeping the signed bytes;
//! - `check` (§9 验证流程): the verification steps in the standard's order, each reported.
//!
//! Certificate path validation is not done here: the verifier holds the trust anchors and
//! calls `eseal_certs::validate::validate` on [`SesVerification::signer_certificate`] and
//! [`SesVerification::maker_certificate`].

mod binding;
mod check;
mod error;
mod make_seal;
mod make_signature;
mod oid;
mod read;
pub mod seal;
pub mod signature;

pub use binding::{
    Owner, OwnerCode, SealType, CODE_TYPE_RESIDENT_ID, CODE_TYPE_USCC, OID_SES_OWNER_CODE,
};
pub use check::{
    cert_listed, check_owner_binding, check_seal, digest_algorithm, verify_parsed,
    verify_signature, Check, SealCheck, SesVerification,
};
pub use error::SesError;
pub use make_seal::{
    make_seal, seal_info, sign_seal_info, CertListForm, SealRequest, ESEAL_VENDOR_ID,
};
pub use make_signature::{make_signature, sign_tbs, SignatureRequest, PDF_PROPERTY_INFO};
pub use oid::RawOid;
pub use read::{
    looks_like_ses_signature, parse_for_fuzz, Picture, Seal, SealSignature, SesVersion, Tagging,
};
