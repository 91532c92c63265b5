#!/usr/bin/env python3
"""pyHanko's AdES validation (ETSI EN 319 102-1, as `pyhanko sign adesverify`) of every
signature in a PDF, and the PAdES level pyHanko's own results show.

Usage: pades_level.py PDF ROOT.pem [ROOT.pem ...] [--crl CRLS.pem] [--at ISO8601]
Revocation information is required and nothing is fetched: it must be in the file (DSS), or,
for B-B/B-T files, given with --crl. Prints one JSON line per signature:
  {"field", "bottom_line", "level", "signature_timestamp", "evidence_timestamp", "detail"}
Level: B-LTA when pyHanko validated a document-timestamp chain after the signature (and the
DSS), B-LT when it validated with revocation data from the DSS only, B-T with a valid signature
timestamp, else B-B. Exit 0 when every signature's bottom line is true.
"""
import argparse
import asyncio
import json
import sys
import warnings
from dataclasses import replace

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from pyhanko.cli._trust import build_cert_validation_policy_and_extract_extra_certs  # noqa: E402
from pyhanko.pdf_utils.misc import isoparse  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY  # noqa: E402
from pyhanko.sign.validation.ades import ades_lta_validation  # noqa: E402
from pyhanko.sign.validation.policy_decl import (  # noqa: E402
    LocalKnowledge, PdfSignatureValidationSpec, SignatureValidationSpec)
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo  # noqa: E402
from pyhanko_certvalidator.policy_decl import (  # noqa: E402
    REQUIRE_REVINFO, CertRevTrustPolicy, FreshnessReqType)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pdf")
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--at")
    ap.add_argument("--crl")
    a = ap.parse_args()
    crls = []
    if a.crl:
        from asn1crypto import crl as asn1_crl, pem
        from pyhanko_certvalidator.revinfo.archival import CRLContainer
        data = open(a.crl, "rb").read()
        ders = [d for _, _, d in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        crls = [CRLContainer(asn1_crl.CertificateList.load(d)) for d in ders]
    cert_policy, _ = build_cert_validation_policy_and_extract_extra_certs(
        cli_config=None, validation_context=None, trust=a.roots, trust_replace=True,
        eutl_all=False, eutl_force_redownload=False, eutl_territories=None, other_certs=[],
        revocation_policy=None)
    cert_policy = replace(cert_policy, revinfo_policy=CertRevTrustPolicy(
        REQUIRE_REVINFO, freshness=None,
        freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION))
    spec = PdfSignatureValidationSpec(
        signature_validation_spec=SignatureValidationSpec(
            cert_validation_policy=cert_policy,
            local_knowledge=LocalKnowledge(known_certs=[], known_crls=crls)),
        diff_policy=DEFAULT_DIFF_POLICY)
    if a.at:
        t = isoparse(a.at)
        timing = ValidationTimingInfo(t, t, point_in_time_validation=True)
    else:
        timing = ValidationTimingInfo.now()
    ok = True
    with open(a.pdf, "rb") as f:
        r = PdfFileReader(f, strict=False)
        has_dss = "/DSS" in r.root
        for s in r.embedded_regular_signatures:
            row = {"field": s.field_name}
            try:
                res = asyncio.run(ades_lta_validation(s, spec, timing_info=timing))
                st = res.api_status
                sts = res.signature_timestamp_status
                tss = sts.api_status if sts is not None else None
                ts_ok = bool(tss is not None and tss.intact and tss.valid and tss.trusted)
                evidence = res.oldest_evidence_record_timestamp
                level = "B-B"
                if ts_ok or evidence is not None:
                    level = "B-T"
                if st.bottom_line and has_dss and level == "B-T":
                    level = "B-LT"
                    if evidence is not None:
                        level = "B-LTA"
                row.update(bottom_line=bool(st.bottom_line), level=level,
                           signature_timestamp=ts_ok,
                           evidence_timestamp=str(evidence) if evidence else None,
                           detail=f"{res.ades_subindic}" if getattr(res, "ades_subindic", None) else "")
            except Exception as e:  # noqa: BLE001
                row.update(bottom_line=False, level=None, detail=f"{type(e).__name__}: {str(e)[:300]}")
            ok &= row["bottom_line"]
            print(json.dumps(row))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
