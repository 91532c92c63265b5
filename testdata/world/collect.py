#!/usr/bin/env python3
"""collect.py - ask the reference validators about every corpus file and write expected.jsonl,
one line per signature:
  {file, index, producer, algorithm, variant, expected, how, signer, root,
   reference: {pyhanko, pdfsig, pdfbox}, reference_detail: {...}, disagree: [tools], pyhanko_s}
Reference values: "valid" (signature intact, value verifies, chain to the root; for pyHanko its
bottom_line, which includes its change analysis), "invalid" (digest or value fails, or pyHanko's
change analysis rejects), "partial" (pdfsig/PDFBox: the last signature verifies but an
unsigned update follows it, which these tools do not analyse), "untrusted" (intact and verifies but no accepted path: pyHanko says this
of SHA-1/RSA-1024 chains), "n/a" (the tool cannot tell: unsupported algorithm, not found, error).
pyHanko runs in this process (its validate time per file is pyhanko_s; trust = the file's roots,
no revocation fetching, soft-fail); pdfsig and PDFBox run through the interop kit's
verify-all.sh (--tools pdfsig,pdfbox), two files at a time.
Usage: collect.py OUT KIT (kit venv python; WORLD_JOBS = parallel files, default 2)"""
import glob
import hashlib
import json
import os
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from pyhanko.keys import load_certs_from_pemder  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402


def verdict(valid, intact, trusted, bottom=None):
    if valid is None and intact is None:
        return "n/a"
    if intact is False or valid is False:
        return "invalid"
    if trusted is False:
        return "untrusted"
    if bottom is False:
        return "invalid"
    if valid and intact and trusted:
        return "valid"
    return "n/a"


def pyhanko_judge(path, roots, password):
    """[(byte_range, verdict, detail)] in /Contents order, and the validate time in seconds."""
    t0 = time.perf_counter()
    res = []
    try:
        f = open(path, "rb")
        r = PdfFileReader(f, strict=False)
        if r.encrypted:
            r.decrypt(password or "")
        sigs = list(r.embedded_signatures)
    except Exception as e:  # noqa: BLE001
        # pyHanko refuses the file as a whole (e.g. two SignerInfos): it cannot judge it
        return [(None, "n/a", f"cannot read: {type(e).__name__}: {e}"[:200])], time.perf_counter() - t0

    def vc():
        return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")

    def key(s):
        try:
            return int(s.sig_object["/ByteRange"][1])
        except Exception:  # noqa: BLE001
            return 0

    for s in sorted(sigs, key=key):
        try:
            br = [int(x) for x in s.sig_object["/ByteRange"]]
        except Exception:  # noqa: BLE001
            br = None
        try:
            if s.sig_object_type == "/DocTimeStamp":
                st = validate_pdf_timestamp(s, validation_context=vc())
            else:
                st = validate_pdf_signature(s, signer_validation_context=vc(), ts_validation_context=vc())
            bottom = getattr(st, "bottom_line", None)
            v = verdict(bool(st.valid), bool(st.intact), bool(st.trusted), bottom)
            det = (f"bottom_line={bottom}; intact={st.intact}; valid={st.valid}; trusted={st.trusted}; "
                   f"coverage={getattr(getattr(st, 'coverage', None), 'name', None)}; "
                   f"modification_level={getattr(getattr(st, 'modification_level', None), 'name', None)}; "
                   f"docmdp_ok={getattr(st, 'docmdp_ok', None)}")
            res.append((br, v, det))
        except Exception as e:  # noqa: BLE001
            res.append((br, "n/a", f"error: {type(e).__name__}: {str(e)[:160]}"))
    f.close()
    return res, time.perf_counter() - t0


def kit_judge(kit, path, rootfile):
    p = subprocess.run(["bash", os.path.join(kit, "verify-all.sh"), path, rootfile, "--tools", "pdfsig,pdfbox",
                        "--jobs", "2", "--timeout", "120"], capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        if not line.startswith("{"):
            continue
        j = json.loads(line)
        out.setdefault(j["tool"], []).append(j)
    return out


def agrees(expected, ref):
    if ref in ("n/a", "partial"):
        return None
    if expected == "valid":
        return ref == "valid"
    return ref != "valid"  # invalid and weak: anything but a pass agrees


def main():
    out, kit = sys.argv[1], sys.argv[2]
    recs = []
    for part in sorted(glob.glob(os.path.join(out, "parts", "*.jsonl"))):
        recs += [json.loads(x) for x in open(part, encoding="utf-8").read().splitlines() if x.strip()]
    bundles = os.path.join(out, "roots", "bundles")
    os.makedirs(bundles, exist_ok=True)

    def bundle(rec):
        names = sorted({s["root"] for s in rec["signatures"]})
        data = b"".join(open(os.path.join(out, n), "rb").read() for n in names)
        p = os.path.join(bundles, hashlib.sha256(data).hexdigest()[:16] + ".pem")
        if not os.path.exists(p):
            open(p, "wb").write(data)
        return p

    with ThreadPoolExecutor(max_workers=int(os.environ.get("WORLD_JOBS", "2"))) as ex:
        kit_futs = [ex.submit(kit_judge, kit, os.path.join(out, r["file"]), bundle(r)) for r in recs]
        lines = []
        for rec, fut in zip(recs, kit_futs):
            path = os.path.join(out, rec["file"])
            roots = list(load_certs_from_pemder([bundle(rec)]))
            ph, secs = pyhanko_judge(path, roots, rec.get("password"))
            kj = fut.result()
            for i, s in enumerate(rec["signatures"]):
                ref, det = {}, {}
                if len(ph) == 1 and ph[0][0] is None:
                    ref["pyhanko"], det["pyhanko"] = ph[0][1], ph[0][2]
                elif i < len(ph):
                    ref["pyhanko"], det["pyhanko"] = ph[i][1], ph[i][2]
                else:
                    ref["pyhanko"], det["pyhanko"] = "n/a", "signature not found by pyHanko"
                for tool in ("pdfsig", "pdfbox"):
                    rows = kj.get(tool, [])
                    row = next((r for r in rows if r.get("signature_index") == i), None)
                    if row is None and rows and rows[0].get("signature_index") is None:
                        row = rows[0]
                    if row is None:
                        ref[tool], det[tool] = "n/a", "no answer for this signature"
                    else:
                        ref[tool] = verdict(row.get("valid"), row.get("intact"), row.get("trusted"))
                        det[tool] = (row.get("detail") or "")[:200]
                        # these tools do no change analysis: an unsigned update after the last
                        # signature only shows as "does not cover the file"
                        if ref[tool] == "valid" and row.get("covers_file") is False \
                                and i == len(rec["signatures"]) - 1:
                            ref[tool] = "partial"
                line = {"file": rec["file"], "index": i, "producer": rec["producer"], "algorithm": s["algorithm"],
                        "variant": rec["variant"], "expected": s["expected"], "how": rec["how"],
                        "signer": s["signer"], "root": s["root"], "reference": ref, "reference_detail": det,
                        "disagree": sorted(t for t, v in ref.items() if agrees(s["expected"], v) is False),
                        "pyhanko_s": round(secs, 4)}
                if rec.get("password") is not None:
                    line["password"] = rec["password"]
                lines.append(line)
    with open(os.path.join(out, "expected.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    n = len(lines)
    dis = [x for x in lines if x["disagree"]]
    print(f"collect: {len(recs)} files, {n} signatures; references disagree with the producer's intent on {len(dis)}:")
    for x in dis:
        print(f"  {x['file']}#{x['index']} expected {x['expected']}: " +
              ", ".join(f"{t} says {x['reference'][t]}" for t in x["disagree"]))


if __name__ == "__main__":
    main()
