"""Shared helpers for the corpus producers (stdlib only; imported by the Python producers).

A producer writes its PDFs under OUT/<producer>/ and one JSON line per file into
OUT/parts/<producer>.jsonl:
  {"file": "pyhanko/x.pdf", "producer": "pyhanko", "variant": "clean", "how": "...",
   "signatures": [{"algorithm": "RSA-2048/SHA-256", "expected": "valid"}, ...]}
collect.py then asks the reference validators and writes expected.jsonl (one line per signature).
"""
import json
import os
import re
import shutil

OUT = os.environ.get("WORLD_OUT", "")
PKI = os.environ.get("WORLD_PKI", "")


def out_path(producer, name):
    d = os.path.join(OUT, producer)
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, name)


def record(producer, path, variant, how, sigs, tamper=False, password=None):
    """Append one manifest line. sigs: list of (algorithm, expected, signer key name), in signing
    order; the signer's root is roots/<root_of(key)>.pem. tamper: tamper.py derives a
    byte-flipped copy and a copy with an incremental update changing the page."""
    os.makedirs(os.path.join(OUT, "parts"), exist_ok=True)
    rec = {"file": os.path.relpath(path, OUT), "producer": producer, "variant": variant, "how": how,
           "signatures": [{"algorithm": a, "expected": e, "signer": k, "root": "roots/" + root_of(k) + ".pem"}
                          for a, e, k in sigs]}
    if tamper:
        rec["tamper"] = True
    if password is not None:
        rec["password"] = password
    with open(os.path.join(OUT, "parts", producer + ".jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")


def root_of(key):
    """The root a corpus key's certificate chains to (pki.sh)."""
    return {"rsa2048b": "rsa2048", "tsa": "rsa2048"}.get(key, key)


def signed_ranges(data):
    return [tuple(int(x) for x in m.groups())
            for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)]


def flip_offset(data):
    """An offset inside the first signed range of every signature, whose change keeps the file
    parseable: the binary comment on line 2, else a letter of /Producer or /Creator, else the
    middle of the first stream."""
    limit = min(r[1] for r in signed_ranges(data))
    nl = data.find(b"\n")
    if 0 < nl < limit and data[nl + 1:nl + 2] == b"%":
        for k in range(nl + 2, min(nl + 12, limit)):
            if data[k] >= 0x80:
                return k
    m = re.search(rb"/(Producer|Creator|Title)\s*\(([A-Za-z])", data[:limit])
    if m:
        return m.start(2)
    m = re.search(rb"stream\r?\n", data[:limit])
    e = data.find(b"endstream", m.end()) if m else -1
    if m and m.end() < e < limit:
        return (m.end() + e) // 2
    raise ValueError("no byte to flip inside the signed range")


def flip(src, dst):
    data = bytearray(open(src, "rb").read())
    k = flip_offset(bytes(data))
    data[k] ^= 0x01 if data[k] >= 0x80 or not chr(data[k]).isalpha() else 0x20
    open(dst, "wb").write(bytes(data))
    return k


def copy(src, dst):
    shutil.copyfile(src, dst)
