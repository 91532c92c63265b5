#!/usr/bin/env python3
"""Speed and memory of eseal next to the peer (pyHanko) and the floor, in one run.

  bench.py [--runs 3] [--files big_1mb,big_10mb,big_100mb,text_1000p] [--eseal target/release/eseal]

For each file: `eseal sign` (release build), pyHanko's CLI (`pyhanko sign addsig`), pyHanko
in-process (the interop kit's bench_api.py), and the floor (`cp` of the file plus `sha256sum`
of it); with a verifier present also `eseal verify` against `pyhanko sign validate`. Wall time
is the median of the runs, peak RSS from GNU time. Needs the interop kit installed and its
sample PDFs (gen/make-pdfs.py). Writes target/bench/results.md and results.json.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KIT = os.environ.get("ESEAL_INTEROP_KIT", os.path.join(ROOT, "..", "shared", "interop"))
HOME = os.environ.get("ESEAL_INTEROP_HOME",
                      os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "eseal-interop"))
PKI = os.path.join(HOME, "pki")
PDFS = os.path.join(HOME, "pdfs")
PYH = os.path.join(HOME, "venv", "bin", "pyhanko")
PY = os.path.join(HOME, "venv", "bin", "python")
OUT = os.path.join(ROOT, "target", "bench")
GNU_TIME = "/usr/bin/time"


def timed(cmd, env=None):
    """(returncode, wall seconds, peak RSS KiB) of one run under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.run([GNU_TIME, "-v", "-o", tf.name] + cmd, capture_output=True, env=env)
        wall = time.perf_counter() - t0
        txt = open(tf.name).read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
    if p.returncode != 0:
        sys.stderr.write(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[-500:]}\n")
    return p.returncode, wall, int(m.group(1)) if m else None


def series(cmd, runs, env=None, before=None):
    walls, rss = [], []
    for _ in range(runs):
        if before:
            before()
        rc, w, r = timed(cmd, env)
        if rc != 0:
            return None
        walls.append(w)
        rss.append(r)
    return dict(wall=statistics.median(walls), runs=walls, rss_kb=max(x for x in rss if x is not None))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", default="big_1mb,big_10mb,big_100mb,text_1000p")
    ap.add_argument("--eseal", default=os.path.join(ROOT, "target", "release", "eseal"))
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    missing = [f for f in a.files.split(",") if not os.path.exists(os.path.join(PDFS, f + ".pdf"))]
    if missing:
        subprocess.run([PY, os.path.join(KIT, "gen", "make-pdfs.py"), PDFS, "--only",
                        ",".join(m + ".pdf" for m in missing)], check=True)
    env = dict(os.environ, ESEAL_KEY_PASSPHRASE="unused-for-plain-keys")
    has_verify = subprocess.run([a.eseal, "verify", "--help"], capture_output=True).returncode == 0
    rows = []
    for name in a.files.split(","):
        src = os.path.join(PDFS, name + ".pdf")
        size = os.path.getsize(src)
        subprocess.run(["cat", src], stdout=subprocess.DEVNULL)  # warm the page cache for everyone
        ours = os.path.join(OUT, name + ".eseal.pdf")
        theirs = os.path.join(OUT, name + ".pyhanko.pdf")
        copy = os.path.join(OUT, name + ".copy.pdf")
        rm = lambda p: (lambda: os.path.exists(p) and os.remove(p))  # noqa: E731
        row = dict(file=name, bytes=size)
        row["eseal_sign"] = series([a.eseal, "sign", "--in", src, "--out", ours, "--key", os.path.join(PKI, "signer.key"),
                                    "--cert", os.path.join(PKI, "signer.pem"), "--chain", os.path.join(PKI, "int.pem")],
                                   a.runs, env, rm(ours))
        row["pyhanko_cli_sign"] = series([PYH, "sign", "addsig", "--field", "Sig1", "--use-pades", "pemder",
                                          "--key", os.path.join(PKI, "signer.key"), "--cert", os.path.join(PKI, "signer.pem"),
                                          "--chain", os.path.join(PKI, "int.pem"), "--no-pass", src, theirs], a.runs, None, rm(theirs))
        row["floor_cp"] = series(["cp", src, copy], a.runs, None, rm(copy))
        row["floor_sha256sum"] = series(["sha256sum", src], a.runs)
        if has_verify:
            # One signature, and three (two more departments seal the same file in turn).
            three = os.path.join(OUT, name + ".eseal3.pdf")
            mid = os.path.join(OUT, name + ".eseal2.pdf")
            for f in (mid, three):
                if os.path.exists(f):
                    os.remove(f)
            for src_f, dst_f, who in ((ours, mid, "signer2"), (mid, three, "signer")):
                subprocess.run([a.eseal, "sign", "--in", src_f, "--out", dst_f, "--key", os.path.join(PKI, who + ".key"),
                                "--cert", os.path.join(PKI, who + ".pem"), "--chain", os.path.join(PKI, "int.pem")],
                               check=True, capture_output=True, env=env)
            for label, f in (("", ours), ("3", three)):
                row["eseal_verify" + label] = series([a.eseal, "verify", f, "--trust", os.path.join(PKI, "root.pem"),
                                                      "--format", "json", "--out", os.path.join(OUT, "report.json")], a.runs)
                row["pyhanko_cli_validate" + label] = series([PYH, "sign", "validate", "--trust", os.path.join(PKI, "root.pem"),
                                                              "--trust-replace", "--no-revocation-check", f], a.runs)
        rows.append(row)
        print(json.dumps(row), flush=True)
    # pyHanko in-process, from the kit's own script (same files, same key)
    api = subprocess.run([PY, os.path.join(KIT, "bench", "bench_api.py"), "--runs", str(a.runs), "--files", a.files],
                         capture_output=True, text=True)
    api_rows = {}
    for line in api.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            api_rows[r["file"]] = r
    for row in rows:
        r = api_rows.get(row["file"])
        row["pyhanko_api_sign_s"] = r and r["sign_med"]
        row["pyhanko_api_validate_s"] = r and r["validate_med"]
    cpu = subprocess.run(["bash", "-c", "lscpu | grep -E 'Model name|^CPU\\(s\\)'"], capture_output=True, text=True).stdout
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(dict(rows=rows, cpu=cpu), f, indent=1)

    def w(x):
        return f"{x['wall']:.3f}" if x else "n/a"

    def mib(x):
        return f"{x['rss_kb'] / 1024:.0f}" if x else "n/a"

    lines = ["| file | size | eseal sign (s) | eseal peak RSS (MiB) | pyHanko CLI sign (s) | pyHanko in-process sign (s) | floor: cp + sha256sum (s) | CLI speed-up | eseal / floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        floor = (r["floor_cp"]["wall"] + r["floor_sha256sum"]["wall"]) if r["floor_cp"] and r["floor_sha256sum"] else None
        es, pc = r["eseal_sign"], r["pyhanko_cli_sign"]
        speedup = f"{pc['wall'] / es['wall']:.1f}x" if es and pc else "n/a"
        vs_floor = f"{es['wall'] / floor:.2f}" if es and floor else "n/a"
        api_s = f"{r['pyhanko_api_sign_s']:.3f}" if r.get("pyhanko_api_sign_s") else "n/a"
        lines.append(f"| {r['file']} | {r['bytes'] / 1e6:.1f} MB | {w(es)} | {mib(es)} | {w(pc)} | {api_s} | "
                     f"{floor:.3f} | {speedup} | {vs_floor} |" if floor else f"| {r['file']} | ... |")
    if has_verify:
        lines += ["", "| file | signatures | eseal verify (s) | eseal peak RSS (MiB) | pyHanko CLI validate (s) | pyHanko in-process validate, 1 sig (s) | sha256sum (s) | speed-up | eseal / floor |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            for label, n in (("", 1), ("3", 3)):
                ev, pv, fl = r.get("eseal_verify" + label), r.get("pyhanko_cli_validate" + label), r["floor_sha256sum"]
                sp = f"{pv['wall'] / ev['wall']:.1f}x" if ev and pv else "n/a"
                vf = f"{ev['wall'] / fl['wall']:.2f}" if ev and fl else "n/a"
                api_v = f"{r['pyhanko_api_validate_s']:.3f}" if r.get("pyhanko_api_validate_s") and n == 1 else ""
                lines.append(f"| {r['file']} | {n} | {w(ev)} | {mib(ev)} | {w(pv)} | {api_v} | {w(fl)} | {sp} | {vf} |")
    lines += ["", f"median of {a.runs} runs; {cpu.strip()}"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
