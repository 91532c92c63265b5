//! ETSI TS 119 612 trusted lists (TrustServiceStatusList, v2 namespace): another region's trust
//! anchors, published by its scheme operator and signed with an enveloped XML signature. The
//! list is read only after its signature verifies with a signer certificate the caller pinned.
//!
//! - `xml`: the list as a namespace-resolved tree, under size, depth and node limits;
//! - `c14n`: Canonical XML 1.0 and Exclusive C14N of the signed subsets;
//! - `dsig`: the XML signature against the pinned certificate;
//! - `error`: why a list was refused.
//!
//! What becomes an anchor: a service of a CA type (`CA/QC`, `CA/PKC`, `NationalRootCA-QC`)
//! whose current status is an active one (`granted`, `recognisedatnationallevel`, and the
//! older `undersupervision`, `supervisionincessation`, `accredited`) and whose certificate is
//! a CA certificate; every other service is reported in [`TrustList::skipped`] with why.
//!
//! Freshness: a list whose NextUpdate has passed (at the time the caller checks at), or that
//! is closed (NextUpdate without a date), is refused, not merely warned about: a stale list
//! may still name a CA its operator has since withdrawn, and the caller can always fetch the
//! current one. The pinned signer must have been valid when the list was issued.

mod c14n;
mod dsig;
mod error;
mod xml;

use std::time::SystemTime;

use der::Decode;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_cert::Certificate;

pub use error::TrustListError;
use xml::Element;

use crate::inspect;

/// Largest list read: national lists run to a few megabytes.
pub const MAX_LIST_BYTES: usize = 8 * 1024 * 1024;

/// The namespace of TS 119 612 (and TS 102 231 v2) trusted lists.
pub const TSL_NS: &str = "http://uri.etsi.org/02231/v2#";

const SVCTYPE: &str = "http://uri.etsi.org/TrstSvc/Svctype/";
/// Service types whose certificates are certification authorities.
const CA_TYPES: [&str; 3] = ["CA/QC", "CA/PKC", "NationalRootCA-QC"];
/// Statuses under which a service is trusted now: TS 119 612 v2 and, for older lists, the
/// TS 102 231 / TS 119 612 v1 ones.
const ACTIVE_STATUSES: [&str; 5] = [
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/recognisedatnationallevel",
    "http://uri.etsi.org/TrstSvc/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/Svcstatus/supervisionincessation",
    "http://uri.etsi.org/TrstSvc/Svcstatus/accredited",
];

/// A verified trusted list: who publishes it, for which territory, and the anchors it lists.
#[derive(Clone, Debug)]
pub struct TrustList {
    /// `SchemeTerritory` (e.g. `CN` or a region code).
    pub territory: String,
    /// `SchemeOperatorName` (its first `Name`).
    pub operator: String,
    /// `TSLSequenceNumber`: a later list of the same scheme has a higher one.
    pub sequence_number: u64,
    /// `ListIssueDateTime`.
    pub issued: SystemTime,
    /// `NextUpdate`: always set on a list [`TrustList::from_xml`] accepts (a closed list,
    /// whose NextUpdate has no date, is refused).
    pub next_update: Option<SystemTime>,
    pub anchors: Vec<ListedAnchor>,
    /// Services that did not become anchors, and why.
    pub skipped: Vec<SkippedService>,
}

/// A CA certificate the list trusts.
#[derive(Clone, Debug)]
pub struct ListedAnchor {
    pub certificate: Certificate,
    /// `TSP name / service name`.
    pub label: String,
    /// The list's territory.
    pub region: String,
    /// `ServiceTypeIdentifier` URI.
    pub service_type: String,
    /// `ServiceStatus` URI.
    pub status: String,
}

/// A listed service that is not an anchor.
#[derive(Clone, Debug)]
pub struct SkippedService {
    /// `TSP name / service name`.
    pub label: String,
    pub service_type: String,
    pub status: String,
    pub reason: String,
}

impl TrustList {
    /// Reads `xml` after checking its signature with `signer`'s key and its freshness now.
    pub fn from_xml(xml: &[u8], signer: &Certificate) -> Result<TrustList, TrustListError> {
        Self::from_xml_at(xml, signer, SystemTime::now())
    }

    /// As [`TrustList::from_xml`], with freshness judged at `at` (e.g. the time a document is
    /// validated at).
    pub fn from_xml_at(
        xml: &[u8],
        signer: &Certificate,
        at: SystemTime,
    ) -> Result<TrustList, TrustListError> {
        if xml.len() > MAX_LIST_BYTES {
            return Err(TrustListError::TooLarge {
                size: xml.len(),
                limit: MAX_LIST_BYTES,
            });
        }
        let doc = xml::parse(xml)?;
        let root = &doc.root;
        if !root.is(TSL_NS, "TrustServiceStatusList") {
            return Err(TrustListError::NotATrustList(format!(
                "the root element is <{}> in namespace '{}'",
                root.qname,
                root.ns.as_deref().unwrap_or("")
            )));
        }
        let signature = dsig::find_signature(root)?.ok_or(TrustListError::Unsigned)?;
        dsig::verify(&doc, signature, signer)?;
        let mut list = scheme_information(root)?;
        check_dates(&list, signer, at)?;
        if let Some(providers) = single(root, "TrustServiceProviderList")? {
            for tsp in providers.children_named(TSL_NS, "TrustServiceProvider") {
                provider(tsp, &mut list)?;
            }
        }
        Ok(list)
    }
}

/// The list's `SchemeInformation`, with no anchors yet.
fn scheme_information(root: &Element) -> Result<TrustList, TrustListError> {
    let scheme =
        single(root, "SchemeInformation")?.ok_or(TrustListError::Missing("SchemeInformation"))?;
    let text = |name: &'static str| -> Result<String, TrustListError> {
        single(scheme, name)?
            .map(|e| e.text().trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(TrustListError::Missing(name))
    };
    let sequence = text("TSLSequenceNumber")?;
    let sequence_number = sequence.parse().map_err(|e| TrustListError::Invalid {
        field: "TSLSequenceNumber",
        value: sequence.clone(),
        detail: format!("{e}"),
    })?;
    let next_update = single(scheme, "NextUpdate")?.ok_or(TrustListError::Missing("NextUpdate"))?;
    let next_update = match next_update.child(TSL_NS, "dateTime") {
        Some(d) if !d.text().trim().is_empty() => Some(parse_time("NextUpdate", &d.text())?),
        _ => None,
    };
    Ok(TrustList {
        territory: text("SchemeTerritory")?,
        operator: first_name(
            single(scheme, "SchemeOperatorName")?
                .ok_or(TrustListError::Missing("SchemeOperatorName"))?,
        )
        .ok_or(TrustListError::Missing("SchemeOperatorName"))?,
        sequence_number,
        issued: parse_time("ListIssueDateTime", &text("ListIssueDateTime")?)?,
        next_update,
        anchors: Vec::new(),
        skipped: Vec::new(),
    })
}

/// The pinned signer was valid when the list was issued; the list is neither closed nor out of
/// date at `at`.
fn check_dates(
    list: &TrustList,
    signer: &Certificate,
    at: SystemTime,
) -> Result<(), TrustListError> {
    let (not_before, not_after) = (inspect::not_before(signer), inspect::not_after(signer));
    if list.issued < not_before || list.issued > not_after {
        return Err(TrustListError::SignerNotValid {
            issued: rfc3339(list.issued),
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
        });
    }
    match list.next_update {
        None => Err(TrustListError::Closed),
        Some(next) if next < at => Err(TrustListError::Expired {
            next_update: rfc3339(next),
            at: rfc3339(at),
        }),
        Some(_) => Ok(()),
    }
}

/// The services of one `TrustServiceProvider`, each an anchor or a skipped service.
fn provider(tsp: &Element, list: &mut TrustList) -> Result<(), TrustListError> {
    let tsp_name = tsp
        .child(TSL_NS, "TSPInformation")
        .and_then(|i| i.child(TSL_NS, "TSPName"))
        .and_then(first_name)
        .unwrap_or_else(|| "(unnamed provider)".into());
    let Some(services) = tsp.child(TSL_NS, "TSPServices") else {
        return Ok(());
    };
    for info in services
        .children_named(TSL_NS, "TSPService")
        .filter_map(|s| s.child(TSL_NS, "ServiceInformation"))
    {
        let label = format!(
            "{tsp_name} / {}",
            info.child(TSL_NS, "ServiceName")
                .and_then(first_name)
                .unwrap_or_else(|| "(unnamed service)".into())
        );
        let field = |name| {
            info.child(TSL_NS, name)
                .map(|e| e.text().trim().to_string())
                .unwrap_or_default()
        };
        let (service_type, status) = (field("ServiceTypeIdentifier"), field("ServiceStatus"));
        let skip = |reason: String| SkippedService {
            label: label.clone(),
            service_type: service_type.clone(),
            status: status.clone(),
            reason,
        };
        if !CA_TYPES
            .iter()
            .any(|t| service_type == format!("{SVCTYPE}{t}"))
        {
            list.skipped
                .push(skip(format!("service type '{service_type}' is not a CA")));
            continue;
        }
        if !ACTIVE_STATUSES.contains(&status.as_str()) {
            list.skipped
                .push(skip(format!("status '{status}' is not an active status")));
            continue;
        }
        let certificates = certificates(info, &label)?;
        if certificates.is_empty() {
            list.skipped.push(skip(
                "its ServiceDigitalIdentity holds no X509Certificate".into(),
            ));
        }
        for certificate in certificates {
            if !inspect::is_ca(&certificate) {
                list.skipped.push(skip(format!(
                    "its certificate '{}' is not a CA certificate",
                    inspect::subject(&certificate)
                )));
                continue;
            }
            list.anchors.push(ListedAnchor {
                certificate,
                label: label.clone(),
                region: list.territory.clone(),
                service_type: service_type.clone(),
                status: status.clone(),
            });
        }
    }
    Ok(())
}

/// The certificates of a service's `ServiceDigitalIdentity`; a malformed one refuses the list.
fn certificates(info: &Element, label: &str) -> Result<Vec<Certificate>, TrustListError> {
    let mut out = Vec::new();
    let ids = info
        .child(TSL_NS, "ServiceDigitalIdentity")
        .into_iter()
        .flat_map(|s| s.children_named(TSL_NS, "DigitalId"));
    for id in ids {
        for c in id.children_named(TSL_NS, "X509Certificate") {
            let bad = |detail: String| TrustListError::BadCertificate {
                service: label.to_string(),
                detail,
            };
            let der = dsig::base64(&c.text())
                .map_err(|e| bad(format!("X509Certificate is not base64: {e}")))?;
            out.push(
                Certificate::from_der(&der)
                    .map_err(|e| bad(format!("X509Certificate is not a certificate: {e}")))?,
            );
        }
    }
    Ok(out)
}

/// The child `tsl:name` of `parent`, refusing a second one.
fn single<'a>(
    parent: &'a Element,
    name: &'static str,
) -> Result<Option<&'a Element>, TrustListError> {
    let mut found = parent.children_named(TSL_NS, name);
    let first = found.next();
    if found.next().is_some() {
        return Err(TrustListError::Invalid {
            field: name,
            value: String::new(),
            detail: "it appears more than once".into(),
        });
    }
    Ok(first)
}

/// The first non-empty `Name` of a multilingual name element (`TSPName`, `ServiceName`, …).
fn first_name(e: &Element) -> Option<String> {
    e.children_named(TSL_NS, "Name")
        .map(|n| n.text().trim().to_string())
        .find(|n| !n.is_empty())
}

/// An xsd:dateTime; lists write UTC (`Z`), one without a zone is taken as UTC.
fn parse_time(field: &'static str, value: &str) -> Result<SystemTime, TrustListError> {
    let v = value.trim();
    OffsetDateTime::parse(v, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{v}Z"), &Rfc3339))
        .map(SystemTime::from)
        .map_err(|e| TrustListError::Invalid {
            field,
            value: v.to_string(),
            detail: e.to_string(),
        })
}

fn rfc3339(t: SystemTime) -> String {
    OffsetDateTime::from(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "(unrepresentable time)".into())
}
