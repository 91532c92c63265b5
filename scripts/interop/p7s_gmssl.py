#!/usr/bin/env python3
"""Judge a detached SM2 CAdES signature (.p7s) over a file with the interop kit's gmssl checks.

The kit's gmssl_sm2.py reads PDFs only; this applies its functions (pure-Python gmssl, GM/T 0009
ID 1234567812345678, its minimal path check) to FILE + SIG.p7s:
  intact  : SM3(FILE) == messageDigest signed attribute
  valid   : SM2 signature over DER(signedAttrs) verifies with the GM/T ID
  trusted : every certificate's SM2 signature verified up to ROOT, validity periods
Prints one JSON line; exit 0 only when intact, valid and trusted.
Usage: p7s_gmssl.py FILE SIG.p7s ROOT.pem   (ESEAL_INTEROP_KIT points at the kit)
"""
import datetime
import json
import os
import sys

sys.dont_write_bytecode = True
KIT = os.environ.get("ESEAL_INTEROP_KIT") or os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "shared", "interop")
sys.path.insert(0, os.path.join(KIT, "verify"))
import gmssl_sm2 as g  # noqa: E402  (also puts the kit's venv on the path)
from asn1crypto import cms  # noqa: E402


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    content, sig_path, root = sys.argv[1:]
    sd = cms.ContentInfo.load(open(sig_path, "rb").read())["content"]
    si = sd["signer_infos"][0]
    certs = [c.chosen for c in sd["certificates"]]
    sid = si["sid"].chosen
    signer = next(c for c in certs if c.serial_number == sid["serial_number"].native and c.issuer == sid["issuer"])
    attrs = si["signed_attrs"]
    md = next(x["values"][0].native for x in attrs if x["type"].native == "message_digest")
    with open(content, "rb") as f:
        intact = g.sm3_hash([f.read()]) == md
    der_attrs = b"\x31" + attrs.dump()[1:]
    valid = g.is_sm2(signer) and g.sm2_verify(g.pub_hex(signer), si["signature"].native, der_attrs, g.GMT_ID)
    now = datetime.datetime.now(datetime.timezone.utc)
    trusted, path = g.path_check(signer, certs, g.load_certs(root), now)
    print(json.dumps({"tool": "gmssl-sm2", "file": content, "intact": intact, "valid": bool(valid),
                      "trusted": trusted, "detail": path}, ensure_ascii=False))
    return 0 if intact and valid and trusted else 1


if __name__ == "__main__":
    sys.exit(main())
