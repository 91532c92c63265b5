#!/usr/bin/env python3
"""Independent checker for GB/T 38540-2020 seals (SESeal, .esl) and seal signatures
(SES_Signature), version 4, and GM/T 0031-2014 version 1.

Written from the standard's ASN.1 (see ../../shared/design/standards.md, "GB/T 38540"), not
from eseal's Rust code: the DER is walked generically by position with asn1crypto's parser,
SM2 signatures are checked with the pure-Python `gmssl` package using the GM/T 0009 default
ID "1234567812345678" (Z_A computed here), and the check characters of the owner code are
recomputed here (GB 32100, GB 11643).

Usage:
  ses_check.py seal FILE.esl [--at ISO-TIME]
  ses_check.py signature FILE.der [--data-digest HEX]

Prints one JSON line {"tool", "kind", "version", "ok", "checks": {name: true|false|null},
"info": {...}, "errors": [...]} and exits 0 when no check is false, 1 otherwise, 2 on usage
errors. null means "not checked" (e.g. no digest given, no timestamp, no owner extension).
Certificate paths are not checked here.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True

VENV_PY = os.path.join(os.path.expanduser("~"), ".cache", "eseal-interop", "venv", "bin", "python")
if os.path.exists(VENV_PY) and os.path.realpath(sys.prefix) != os.path.realpath(os.path.dirname(os.path.dirname(VENV_PY))):
    os.execv(VENV_PY, [VENV_PY] + sys.argv)

from asn1crypto import core, parser, x509  # noqa: E402

SM2_DEFAULT_ID = b"1234567812345678"
SM2_CURVE = "1.2.156.10197.1.301"
SM2_SIG_OIDS = {"1.2.156.10197.1.501", "1.2.156.10197.1.301.1"}
OWNER_OID = "1.3.6.1.4.1.32473.38540.1"  # eseal's owner-code seal extension (documented private arc)
ORG_ID_OID = "2.5.4.97"

# Universal tags (X.690) seen in the structures.
INTEGER, BIT_STRING, OCTET_STRING, OID, UTF8, PRINTABLE, IA5, UTC, GEN, SEQ = 2, 3, 4, 6, 12, 19, 22, 23, 24, 16


class Bad(Exception):
    pass


# ------------------------------------------------------------------------ generic DER walk

class El:
    """One DER element: class, constructed flag, tag number, whole encoding and contents."""

    def __init__(self, raw):
        cls, method, tag, header, contents, trailer = parser.parse(raw, strict=True)
        if trailer:
            raise Bad("indefinite length")
        self.cls, self.constructed, self.tag = cls, method == 1, tag
        self.raw, self.contents = raw, contents

    def universal(self, tag):
        return self.cls == 0 and self.tag == tag

    def kids(self):
        out, p, data = [], 0, self.contents
        while p < len(data):
            cls, method, tag, header, contents, trailer = parser.parse(data[p:], strict=False)
            n = len(header) + len(contents) + len(trailer)
            out.append(El(data[p:p + n]))
            p += n
        return out


def der_wrap(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + body


def expect(el, tag, what):
    if not el.universal(tag):
        raise Bad(f"{what}: expected universal tag {tag}, found class {el.cls} tag {el.tag}")
    return el


def integer(el, what):
    return core.Integer.load(expect(el, INTEGER, what).raw).native


def text(el, what):
    if el.cls != 0 or el.tag not in (IA5, UTF8, PRINTABLE):
        raise Bad(f"{what}: not a string")
    return el.contents.decode("utf-8")


def octets(el, what):
    return expect(el, OCTET_STRING, what).contents


def bits(el, what):
    expect(el, BIT_STRING, what)
    if not el.contents or el.contents[0] != 0:
        raise Bad(f"{what}: BIT STRING with unused bits")
    return el.contents[1:]


def oid(el, what):
    return core.ObjectIdentifier.load(expect(el, OID, what).raw).dotted


def time(el, what):
    if el.universal(GEN):
        return core.GeneralizedTime.load(el.raw).native
    if el.universal(UTC):
        return core.UTCTime.load(el.raw).native
    raise Bad(f"{what}: not a time")


def time_text(s):
    s = s.strip().rstrip("Zz").split(".")[0].replace("-", "").replace(":", "").replace(" ", "").replace("T", "")
    fmt = {14: "%Y%m%d%H%M%S", 12: "%y%m%d%H%M%S"}.get(len(s))
    if not fmt:
        return None
    return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc)


# --------------------------------------------------------------------------- cryptography

def sm3(data):
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        from gmssl import func, sm3 as gsm3
        return bytes.fromhex(gsm3.sm3_hash(func.bytes_to_list(data)))


def sm2_public_hex(cert):
    spki = cert["tbs_certificate"]["subject_public_key_info"]
    params = spki["algorithm"]["parameters"]
    if spki["algorithm"]["algorithm"].native != "ec" or params.name != "named" or params.chosen.dotted != SM2_CURVE:
        raise Bad("certificate key is not on the SM2 curve")
    point = spki["public_key"].native
    point = point if isinstance(point, bytes) else bytes(point)
    if len(point) != 65 or point[0] != 4:
        raise Bad("SM2 key is not an uncompressed point")
    return point[1:].hex()


def r_s(sig):
    """DER SEQUENCE { r, s } or raw 64-byte r || s."""
    try:
        el = El(sig)
        if el.universal(SEQ) and len(el.raw) == len(sig):
            k = el.kids()
            if len(k) == 2:
                return integer(k[0], "r"), integer(k[1], "s")
    except Exception:  # noqa: BLE001
        pass
    if len(sig) == 64:
        return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    raise Bad("signature value is neither DER SEQUENCE {r, s} nor 64-byte r||s")


def sm2_verify(cert, message, sig):
    from gmssl import sm2
    pub = sm2_public_hex(cert)
    c = sm2.CryptSM2(private_key="", public_key=pub, asn1=False)
    t = c.ecc_table
    n = int(t["n"], 16)
    r, s = r_s(sig)
    if not (0 < r < n and 0 < s < n):
        return False
    entl = (len(SM2_DEFAULT_ID) * 8).to_bytes(2, "big")
    z = sm3(entl + SM2_DEFAULT_ID + bytes.fromhex(t["a"] + t["b"] + t["g"] + pub))
    e = sm3(z + message)
    return bool(c.verify("%064x%064x" % (r, s), e))


# ---------------------------------------------------------------------- check characters

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_ok(code):
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return False
    total = sum(USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def resident_id_ok(num):
    if len(num) != 18 or not num[:17].isdigit():
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(a) * w for a, w in zip(num[:17], weights)) % 11] == num[17].upper()


# ------------------------------------------------------------------------------- the seal

def read_ext_datas(el):
    exts = []
    for e in el.kids():
        k = expect(e, SEQ, "ExtData").kids()
        critical = False
        if len(k) == 3:
            critical = core.Boolean.load(k[1].raw).native
        exts.append({"oid": oid(k[0], "extnID"), "critical": critical, "value": octets(k[-1], "extnValue")})
    return exts


def read_seal(raw):
    top = expect(El(raw), SEQ, "SESeal")
    k = top.kids()
    if len(k) == 4:
        version = 4
        info_el, cert, alg, sig = k[0], octets(k[1], "cert"), oid(k[2], "signAlgID"), bits(k[3], "signedValue")
        signed = info_el.raw
    elif len(k) == 2:
        version = 1
        info_el = k[0]
        si = expect(k[1], SEQ, "SES_SignInfo").kids()
        cert, alg, sig = octets(si[0], "cert"), oid(si[1], "signatureAlgorithm"), bits(si[2], "signData")
        # GM/T 0031: the maker signs SEQUENCE { sealInfo, cert, signatureAlgorithm }.
        body = info_el.raw + si[0].raw + si[1].raw
        signed = der_wrap(0x30, body)
    else:
        raise Bad("SESeal has neither 4 (v4) nor 2 (v1) fields")
    f = expect(info_el, SEQ, "SES_SealInfo").kids()
    header = expect(f[0], SEQ, "SES_Header").kids()
    prop = expect(f[2], SEQ, "SES_ESPropertyInfo").kids()
    pic = expect(f[3], SEQ, "SES_ESPictrueInfo").kids()
    seal = {
        "version": version,
        "header_id": text(header[0], "ID"),
        "header_version": integer(header[1], "version"),
        "vid": text(header[2], "Vid"),
        "es_id": text(f[1], "esID"),
        "type": integer(prop[0], "type"),
        "name": text(prop[1], "name"),
        "cert": cert, "alg": alg, "sig": sig, "signed": signed, "raw": raw,
        "picture": {"type": text(pic[0], "picture type"), "data": octets(pic[1], "picture data"),
                    "width": integer(pic[2], "width"), "height": integer(pic[3], "height")},
        "ext": read_ext_datas(expect(f[4], SEQ, "extDatas")) if len(f) > 4 else [],
    }
    if version == 4:
        seal["cert_list_type"] = integer(prop[2], "certListType")
        lst, dates = prop[3], prop[4:7]
    else:
        seal["cert_list_type"] = None
        lst, dates = prop[2], prop[3:6]
    entries = []
    for e in expect(lst, SEQ, "certList").kids():
        if e.universal(OCTET_STRING):
            entries.append(("cert", e.contents))
        else:
            d = expect(e, SEQ, "certDigest").kids()
            entries.append(("digest", (text(d[0], "digest type"), octets(d[1], "digest value"))))
    seal["cert_list"] = entries
    seal["create"], seal["start"], seal["end"] = (time(d, "date") for d in dates)
    return seal


def listed(seal, cert_der):
    for kind, v in seal["cert_list"]:
        if kind == "cert" and v == cert_der:
            return True
        if kind == "digest" and v[0].upper() == "SM3" and v[1] == sm3(cert_der):
            return True
    return False


def owner_of(seal):
    for e in seal["ext"]:
        if e["oid"] == OWNER_OID:
            k = expect(El(e["value"]), SEQ, "SesOwnerCode").kids()
            return text(k[0], "codeType"), text(k[1], "code")
    return None


def seal_checks(seal, at, errors):
    checks = {}

    def run(name, fn):
        try:
            checks[name] = fn()
        except Exception as ex:  # noqa: BLE001
            checks[name] = False
            errors.append(f"{name}: {type(ex).__name__}: {ex}")
        if checks[name] is False and not any(x.startswith(name + ":") for x in errors):
            errors.append(f"{name}: failed")

    run("header", lambda: seal["header_id"] == "ES" and (
        seal["header_version"] == 4 if seal["version"] == 4 else 1 <= seal["header_version"] <= 3))
    run("maker_signature", lambda: seal["alg"] in SM2_SIG_OIDS and sm2_verify(x509.Certificate.load(seal["cert"]), seal["signed"], seal["sig"]))
    run("validity", lambda: seal["start"] <= at <= seal["end"])

    def cert_list():
        if not seal["cert_list"]:
            return False
        kinds = {k for k, _ in seal["cert_list"]}
        if seal["cert_list_type"] is not None and kinds != {"cert" if seal["cert_list_type"] == 1 else "digest"}:
            return False
        for kind, v in seal["cert_list"]:
            if kind == "cert":
                x509.Certificate.load(v).native  # must parse fully
            elif v[0].upper() != "SM3" or len(v[1]) != 32:
                return False
        return True
    run("cert_list", cert_list)

    def picture():
        p = seal["picture"]
        magic = {"PNG": b"\x89PNG\r\n\x1a\n", "JPG": b"\xff\xd8\xff", "OFD": b"PK\x03\x04"}
        t = p["type"].upper()
        if not p["data"] or p["width"] <= 0 or p["height"] <= 0:
            return False
        if t == "SVG":
            return b"<svg" in p["data"][:4096]
        return t in magic and p["data"].startswith(magic[t])
    run("picture", picture)

    def owner():
        o = owner_of(seal)
        if o is None:
            return None
        kind, code = o
        return uscc_ok(code) if kind == "001" else resident_id_ok(code) if kind == "111" else False
    run("owner_code", owner)
    return checks


def info_of(seal):
    o = owner_of(seal)
    return {"version": seal["version"], "es_id": seal["es_id"], "name": seal["name"], "type": seal["type"],
            "vid": seal["vid"], "cert_list_type": seal["cert_list_type"], "certs_listed": len(seal["cert_list"]),
            "valid_start": seal["start"].isoformat(), "valid_end": seal["end"].isoformat(),
            "picture": f'{seal["picture"]["type"]} {seal["picture"]["width"]}x{seal["picture"]["height"]}mm '
                       f'{len(seal["picture"]["data"])} bytes',
            "owner": None if o is None else {"code_type": o[0], "code": o[1]}}


# ---------------------------------------------------------------------- the seal signature

def read_signature(raw):
    top = expect(El(raw), SEQ, "SES_Signature").kids()
    tbs_el = expect(top[0], SEQ, "TBS_Sign")
    t = tbs_el.kids()
    sig = {"tbs": tbs_el.raw, "tbs_version": integer(t[0], "version"), "seal": read_seal(t[1].raw)}
    if t[2].universal(BIT_STRING):  # GM/T 0031 version 1
        sig["version"] = 1
        sig["time"] = time_text(bits(t[2], "timeInfo").decode("ascii"))
        sig["data_hash"] = bits(t[3], "dataHash")
        sig["property"] = text(t[4], "propertyInfo")
        sig["cert"], sig["alg"] = octets(t[5], "cert"), oid(t[6], "signatureAlgorithm")
        sig["value"], sig["timestamp"] = bits(top[1], "signature"), None
        return sig
    sig["version"] = 4
    sig["time"] = time(t[2], "timeInfo")
    sig["data_hash"] = bits(t[3], "dataHash")
    sig["property"] = text(t[4], "propertyInfo")
    sig["cert"], sig["alg"], sig["value"] = octets(top[1], "cert"), oid(top[2], "signatureAlgID"), bits(top[3], "signature")
    sig["timestamp"] = None
    if len(top) > 4:  # [0] explicit, [0] implicit or untagged BIT STRING
        ts = top[4]
        if ts.cls == 2 and ts.constructed:
            sig["timestamp"] = ts.kids()[0].raw
        elif ts.cls == 2 or ts.universal(BIT_STRING):
            sig["timestamp"] = ts.contents[1:]
        else:
            raise Bad("timeStamp: unexpected tag")
    return sig


def signature_checks(sig, digest, errors):
    checks = {}

    def run(name, fn):
        try:
            checks[name] = fn()
        except Exception as ex:  # noqa: BLE001
            checks[name] = False
            errors.append(f"{name}: {type(ex).__name__}: {ex}")
        if checks[name] is False and not any(x.startswith(name + ":") for x in errors):
            errors.append(f"{name}: failed")

    signer = x509.Certificate.load(sig["cert"])
    run("signature", lambda: sig["alg"] in SM2_SIG_OIDS and sm2_verify(signer, sig["tbs"], sig["value"]))
    run("signer_in_cert_list", lambda: listed(sig["seal"], sig["cert"]))
    sc = seal_checks(sig["seal"], sig["time"], errors) if sig["time"] else None
    for k in ("header", "maker_signature", "validity", "cert_list", "picture", "owner_code"):
        checks["seal_" + k] = sc[k] if sc else False
    checks["timestamp"] = None  # reported in info, not checked
    checks["data_hash"] = None if digest is None else sig["data_hash"] == digest

    def binding():
        o = owner_of(sig["seal"])
        if o is None or o[0] != "001":
            return None
        for rdn in signer.subject.chosen:
            for atv in rdn:
                if atv["type"].dotted == ORG_ID_OID:
                    v = atv["value"].native
                    return (v[6:] if v.startswith("NTRCN-") else v).upper() == o[1].upper()
        return False
    run("owner_binding", binding)
    return checks


def main():
    ap = argparse.ArgumentParser(description="Independent GB/T 38540 seal / seal signature checker")
    ap.add_argument("kind", choices=["seal", "signature"])
    ap.add_argument("file")
    ap.add_argument("--data-digest", help="SM3 of the protected bytes, hex")
    ap.add_argument("--at", help="time for the seal validity check (ISO 8601, default now)")
    a = ap.parse_args()
    data = open(a.file, "rb").read().rstrip(b"\0")
    errors, checks, info = [], {}, {}
    try:
        if a.kind == "seal":
            at = datetime.datetime.fromisoformat(a.at) if a.at else datetime.datetime.now(datetime.timezone.utc)
            seal = read_seal(data)
            checks = seal_checks(seal, at, errors)
            info = info_of(seal)
        else:
            digest = bytes.fromhex(a.data_digest) if a.data_digest else None
            sig = read_signature(data)
            checks = signature_checks(sig, digest, errors)
            info = {"version": sig["version"], "signing_time": sig["time"].isoformat() if sig["time"] else None,
                    "property_info": sig["property"], "timestamp_present": sig["timestamp"] is not None,
                    "signer": x509.Certificate.load(sig["cert"]).subject.human_friendly,
                    "seal": info_of(sig["seal"])}
        checks = {"format": True, **checks}
    except Exception as ex:  # noqa: BLE001
        checks = {"format": False}
        errors.append(f"format: {type(ex).__name__}: {ex}")
    ok = all(v is not False for v in checks.values())
    print(json.dumps({"tool": "ses_check", "kind": a.kind, "ok": ok, "checks": checks, "info": info,
                      "errors": errors}, ensure_ascii=False))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
