#!/usr/bin/env python3
"""Read verify-all.sh JSON lines and decide whether the judges agree with what we expect.

  judge.py EXPECT FILE.jsonl [--signatures N] [--tools a,b]

EXPECT is one of:
  valid     every signature-checking judge says valid, intact and trusted for every signature
            (qpdf, a structure-only judge, must say valid); no judge says false
  tampered  every signature-checking judge says the first signature is not valid
  certification-broken
            every signature is cryptographically valid, but pyHanko's change analysis fails
            the first (certifying) signature: what a new field after P=2 must look like
Prints one line per judge and exits 1 when the expectation fails.
"""
import json
import sys

SIGNATURE_JUDGES_P256 = ["pyhanko", "pdfsig", "openssl-cms", "pdfbox"]
SIGNATURE_JUDGES_SM2 = ["pdfbox", "gmssl-sm2"]


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    expect, path = args[0], args[1]
    want_sigs = None
    judges = None
    i = 2
    while i < len(args):
        if args[i] == "--signatures":
            want_sigs = int(args[i + 1])
            i += 2
        elif args[i] == "--tools":
            judges = args[i + 1].split(",")
            i += 2
        else:
            print(f"unknown option {args[i]}", file=sys.stderr)
            sys.exit(2)
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip().startswith("{")]
    sm2 = judges is not None and "gmssl-sm2" in judges
    judges = judges or SIGNATURE_JUDGES_P256
    problems = []
    by_tool = {}
    for r in rows:
        by_tool.setdefault(r["tool"], []).append(r)
    for tool in judges:
        got = [r for r in by_tool.get(tool, []) if r.get("signature_index") is not None]
        if not got:
            problems.append(f"{tool}: no verdict ({[r.get('detail') for r in by_tool.get(tool, [])]})")
            continue
        if expect == "valid":
            if want_sigs is not None and len(got) != want_sigs:
                problems.append(f"{tool}: saw {len(got)} signatures, expected {want_sigs}")
            for r in got:
                fields = ["valid", "intact"] + ([] if (sm2 and tool == "gmssl-sm2") else ["trusted"])
                bad = [f for f in fields if r.get(f) is not True]
                if bad:
                    problems.append(f"{tool} sig {r['signature_index']}: {bad} not true: {r.get('detail')}")
        elif expect == "certification-broken":
            for r in got:
                if r.get("valid") is not True or r.get("intact") is not True:
                    problems.append(f"{tool} sig {r['signature_index']}: not intact/valid: {r.get('detail')}")
        elif expect == "tampered":
            first = min(got, key=lambda r: r["signature_index"])
            if first.get("valid") is not False:
                problems.append(f"{tool}: did not notice the tampering: {first.get('detail')}")
        else:
            print(f"unknown expectation {expect}", file=sys.stderr)
            sys.exit(2)
    for r in rows:
        if expect == "valid" and r["tool"] not in judges and r.get("valid") is False and r["tool"] != "endesive":
            problems.append(f"{r['tool']}: says false: {r.get('detail')}")
    if expect == "valid" and "pyhanko" in judges:
        # pyHanko's bottom line includes its analysis of changes made after each signature.
        for r in by_tool.get("pyhanko", []):
            if r.get("signature_index") is not None and r.get("bottom_line") is not True:
                problems.append(f"pyhanko sig {r['signature_index']}: bottom line not PASS: {r.get('detail')}")
    if expect == "certification-broken":
        first = [r for r in by_tool.get("pyhanko", []) if r.get("signature_index") == 0]
        if not first or first[0].get("bottom_line") is not False:
            problems.append(f"pyhanko did not fail the certification: {first and first[0].get('detail')}")
    status = "ok" if not problems else "FAIL"
    print(f"{status}: {path} ({expect})")
    for p in problems:
        print(f"  - {p}")
    sys.exit(0 if not problems else 1)


if __name__ == "__main__":
    main()
