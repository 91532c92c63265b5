#!/usr/bin/env python3
"""Independent SM2 CMS check for eseal-signer's tests, after /work/shared/interop/verify/gmssl_sm2.py:
asn1crypto parses the DER, gmssl (pure Python) verifies SM2 with the GM/T 0009 default ID.

Usage: gmssl_cms.py SIG.der CONTENT.bin
Prints one line per check; exit 0 when the signature is valid over the content, 1 otherwise.
"""
import hashlib
import sys

from asn1crypto import cms, tsp
from gmssl import func, sm2, sm3

GMT_ID = b"1234567812345678"
GMT_SIGNED = bytes.fromhex("060a2a811ccf550601040202")  # 1.2.156.10197.6.1.4.2.2
PKCS7_SIGNED = bytes.fromhex("06092a864886f70d010702")   # 1.2.840.113549.1.7.2


def sm3_hash(data):
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def to_pkcs7_oids(der):
    """asn1crypto knows only the PKCS#7 signedData OID: map the GM/T 0010 one onto it."""
    if GMT_SIGNED not in der[:32]:
        return der, False
    hdr = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    body = der[hdr:].replace(GMT_SIGNED, PKCS7_SIGNED, 1)
    return b"\x30" + der_len(len(body)) + body, True


def sm2_verify(pubhex, der_sig, msg, uid):
    c = sm2.CryptSM2(private_key="", public_key=pubhex, asn1=True)
    t = c.ecc_table
    entl = (len(uid) * 8).to_bytes(2, "big")
    z = sm3_hash(entl + uid + bytes.fromhex(t["a"] + t["b"] + t["g"] + pubhex))
    e = sm3_hash(z + msg)
    try:
        return bool(c.verify(der_sig.hex(), e))
    except Exception:  # noqa: BLE001
        return False


def main():
    der, gmt = to_pkcs7_oids(open(sys.argv[1], "rb").read())
    content = open(sys.argv[2], "rb").read()
    sd = cms.ContentInfo.load(der)["content"]
    si = sd["signer_infos"][0]
    sid = si["sid"].chosen
    certs = [c.chosen for c in sd["certificates"]]
    signer = next(c for c in certs if c.serial_number == sid["serial_number"].native
                  and c.issuer == sid["issuer"])
    pub = signer.public_key["public_key"].native[1:].hex()
    attrs = si["signed_attrs"]
    md = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
    tbs = b"\x31" + attrs.dump()[1:]
    sig = si["signature"].native
    ess = next((a["values"][0] for a in attrs if a["type"].dotted == "1.2.840.113549.1.9.16.2.47"), None)
    if ess is not None:
        ess = tsp.SigningCertificateV2.load(ess.dump())
        ess_alg = ess["certs"][0]["hash_algorithm"]["algorithm"].dotted
    ess_ok = ess is not None and ess_alg == "1.2.156.10197.1.401" and \
        ess["certs"][0]["cert_hash"].native == sm3_hash(signer.dump())
    checks = {
        "gmt0010_oids": gmt,
        "digest_alg": si["digest_algorithm"]["algorithm"].dotted,
        "signature_alg": si["signature_algorithm"]["algorithm"].dotted,
        "intact": sm3_hash(content) == md,
        "valid_default_id": sm2_verify(pub, sig, tbs, GMT_ID),
        "valid_empty_id": sm2_verify(pub, sig, tbs, b""),
        "ess_v2_sm3_matches_signer": ess_ok,
    }
    for k, v in checks.items():
        print(f"{k}={v}")
    ok = checks["intact"] and checks["valid_default_id"] and ess_ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
