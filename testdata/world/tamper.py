#!/usr/bin/env python3
"""tamper.py - for every manifest record marked "tamper", derive two copies (kit venv, pyHanko):
  NAME-flip.pdf    one byte changed inside the first signed range of every signature
                   (the binary comment on line 2, else a letter of /Producer, else stream data);
  NAME-update.pdf  an unsigned incremental update (pyHanko's writer) that adds a content stream
                   drawing "VOID" to page 1, after the last signature.
Both are expected "invalid" for every signature. Environment: WORLD_OUT."""
import glob
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import world  # noqa: E402

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from pyhanko.pdf_utils import generic  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402


def overlay_void(src, dst, password=None):
    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf, strict=False)
        if w.prev.encrypted:
            w.encrypt(password or "")
        page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
        page = page_ref.get_object()
        sref = w.add_object(generic.StreamObject(
            stream_data=b"q 1 0 0 rg BT /FVoid 96 Tf 1 0 0 1 150 400 Tm (VOID) Tj ET Q"))
        contents = page["/Contents"]
        arr = generic.ArrayObject(list(contents) if isinstance(contents, generic.ArrayObject)
                                  else [page.raw_get("/Contents")])
        arr.append(sref)
        page[generic.NameObject("/Contents")] = arr
        res = page["/Resources"]
        new_res = generic.DictionaryObject({k: res.raw_get(k) for k in res.keys()})
        fonts = generic.DictionaryObject()
        if "/Font" in res:
            for k in res["/Font"].keys():
                fonts[k] = res["/Font"].raw_get(k)
        fonts[generic.NameObject("/FVoid")] = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
        new_res[generic.NameObject("/Font")] = fonts
        page[generic.NameObject("/Resources")] = new_res
        w.update_container(page)
        with open(dst, "wb") as outf:
            w.write(outf)


def main():
    out = world.OUT
    for part in sorted(glob.glob(os.path.join(out, "parts", "*.jsonl"))):
        for line in open(part, encoding="utf-8").read().splitlines():
            rec = json.loads(line)
            if not rec.get("tamper"):
                continue
            src = os.path.join(out, rec["file"])
            stem = src[:-4]
            sigs = [(s["algorithm"], "invalid", s["signer"]) for s in rec["signatures"]]
            try:
                k = world.flip(src, stem + "-flip.pdf")
                world.record(rec["producer"], stem + "-flip.pdf", "tampered-byte",
                             f"{rec['file']} with byte {k} (inside every signed range) changed", sigs,
                             password=rec.get("password"))
            except Exception as e:  # noqa: BLE001
                print(f"tamper: {rec['file']}: no flip copy: {e}", file=sys.stderr)
            try:
                overlay_void(src, stem + "-update.pdf", rec.get("password"))
                world.record(rec["producer"], stem + "-update.pdf", "tampered-update",
                             f"{rec['file']} plus an unsigned incremental update drawing VOID on page 1 (pyHanko writer)",
                             sigs, password=rec.get("password"))
            except Exception as e:  # noqa: BLE001
                print(f"tamper: {rec['file']}: no update copy: {type(e).__name__}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
