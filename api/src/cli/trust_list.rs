//! `--trust-list FILE --trust-list-signer PEM` for `eseal verify` and `verify-file`: another
//! region's anchors from its ETSI TS 119 612 trusted list, read only when the list's signature
//! verifies with the signer certificate pinned for it (the n-th signer for the n-th list).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use eseal_certs::authority::read_certs;
use eseal_certs::trust_list::{TrustList, MAX_LIST_BYTES};
use eseal_pdf::verify::TrustAnchor;

use super::Failure;

/// The anchors of every list, labelled `TSP / service` in the list's territory; a list that
/// does not verify, or is out of date at `at`, stops the command (exit 2) naming the problem.
pub(super) fn listed_anchors(
    lists: &[PathBuf],
    signers: &[PathBuf],
    at: SystemTime,
) -> Result<Vec<TrustAnchor>, Failure> {
    if lists.len() != signers.len() {
        return Err(Failure::input(format!(
            "each --trust-list needs its own --trust-list-signer, in the same order \
             ({} lists, {} signers)",
            lists.len(),
            signers.len()
        )));
    }
    let mut anchors = Vec::new();
    for (list, signer) in lists.iter().zip(signers) {
        let read = read_list(list, signer, at)?;
        if read.anchors.is_empty() {
            eprintln!(
                "eseal: warning: {}: the trusted list names no active CA service ({} skipped)",
                list.display(),
                read.skipped.len()
            );
        }
        anchors.extend(read.anchors.into_iter().map(TrustAnchor::from));
    }
    Ok(anchors)
}

fn read_list(list: &Path, signer: &Path, at: SystemTime) -> Result<TrustList, Failure> {
    let signer_cert = match read_certs(signer)
        .map_err(|e| e.in_file(signer))?
        .as_slice()
    {
        [one] => one.clone(),
        certs => {
            return Err(Failure::input(format!(
                "{}: a --trust-list-signer file holds exactly one certificate, not {}",
                signer.display(),
                certs.len()
            )))
        }
    };
    let io = |e: std::io::Error| Failure::input(format!("{}: {e}", list.display()));
    // One byte past the limit is enough for the reader to refuse an oversized list.
    let mut xml = Vec::new();
    std::fs::File::open(list)
        .map_err(io)?
        .take(MAX_LIST_BYTES as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(io)?;
    TrustList::from_xml_at(&xml, &signer_cert, at)
        .map_err(|e| Failure::input(format!("{}: {e}", list.display())))
}
