#!/usr/bin/env python3
"""endesive producer: endesive.pdf.cms.sign, run in a venv of its own (endesive.sh: endesive 3.0.1
with pypdf 5.9.0; the interop kit's venv has pypdf 7, with which endesive 3.0.1's PDF writer fails:
"DictionaryObject.write_to_stream() takes 2 positional arguments"). Its PDF signer writes
/adbe.pkcs7.detached (or /ETSI.RFC3161 document timestamps from a TSA URL) and has no
adbe.x509.rsa_sha1 or adbe.pkcs7.sha1 option. Its ECDSA output names rsaEncryption as the signature algorithm (all
three references reject it: recorded as expected "invalid" for P-384; P-521 is the same and not
made again); attrs=False fails with a TypeError and is not made.
Environment: WORLD_OUT, WORLD_PKI."""
import os
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import world  # noqa: E402
from world import PKI, out_path, record, root_of  # noqa: E402

warnings.filterwarnings("ignore")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import load_pem_private_key  # noqa: E402

# oscrypto 1.3.0 (under endesive) cannot parse two-digit OpenSSL patch versions ("3.0.19") and
# raises "Error detecting the version of libcrypto"; widen its regex while importing (as the
# interop kit's endesive_check.py does).
_search = re.search


def _patched(pat, string, *args, **kw):
    if pat == "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b":
        pat = "\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b"
    return _search(pat, string, *args, **kw)


re.search = _patched
from endesive.pdf import cms  # noqa: E402

re.search = _search

P = "endesive"
CASES = [  # name, key, digest, udct extras, algorithm, expected
    ("rsa2048-sha256", "rsa2048", "sha256", {}, "RSA-2048/SHA-256", "valid"),
    ("rsapss2048-sha256", "rsa2048", "sha256", {"pss": True}, "RSASSA-PSS/SHA-256", "valid"),
    ("rsa4096-sha512", "rsa4096", "sha512", {}, "RSA-4096/SHA-512", "valid"),
    # endesive 3.0.1 writes rsaEncryption as the SignerInfo's signatureAlgorithm of an ECDSA
    # signature; pyHanko, pdfsig and PDFBox all reject that, so the intent we record is "invalid"
    ("p384-sha384", "p384", "sha384", {}, "ECDSA-P384/SHA-384", "invalid"),
    ("rsa2048-sha1", "rsa2048", "sha1", {}, "RSA-2048/SHA-1", "weak"),
]


def main():
    src = open(os.path.join(world.OUT, "base", "plain.pdf"), "rb").read()
    for name, key, md, extra, label, exp in CASES:
        k = load_pem_private_key(open(os.path.join(PKI, key + ".key"), "rb").read(), None)
        c = x509.load_pem_x509_certificate(open(os.path.join(PKI, key + ".pem"), "rb").read())
        r = x509.load_pem_x509_certificate(open(os.path.join(PKI, "roots", root_of(key) + ".pem"), "rb").read())
        udct = {"sigflags": 3, "contact": "world@example.org", "location": "Lab", "reason": "world corpus",
                "signingdate": "D:20261201120000+00'00'", "sigfield": "Signature1", **extra}
        out = out_path(P, name + ".pdf")
        try:
            sig = cms.sign(src, udct, k, c, [r], md)
        except Exception as e:  # noqa: BLE001
            print(f"endesive: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        with open(out, "wb") as f:
            f.write(src + sig)
        how = f"endesive {name}: cms.sign, /adbe.pkcs7.detached, md={md}" + \
            "".join(f", {a}={v}" for a, v in extra.items()) + \
            (" (endesive names rsaEncryption as the signatureAlgorithm of this ECDSA signature)" if key.startswith("p") else "")
        record(P, out, "clean", how,
               [(label, exp, key)], tamper=True)


if __name__ == "__main__":
    main()
