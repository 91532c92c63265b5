#!/usr/bin/env bash
# Compare `eseal verify` with pyHanko, signature by signature, on the interop kit's signed
# samples and tampered copies (../shared/interop; see its README).
#   scripts/verify-vs-pyhanko.sh            # uses the samples in $ESEAL_INTEROP_HOME
#   REGENERATE=1 scripts/verify-vs-pyhanko.sh   # first rebuilds PKI + samples (run-all.sh)
# Environment: ESEAL_INTEROP_HOME (default ~/.cache/eseal-interop), ESEAL_INTEROP_DIR (the kit,
# default ../shared/interop next to the checkout), ESEAL_BIN (default: cargo build --release).
# pyHanko's verdict per signature is its `bottom_line` (signature, trust, revocation and its
# change analysis); ours is indication == TOTAL-PASSED. Prints a table; exit 1 on any
# disagreement that is not listed in KNOWN below, 2 when the kit or samples are missing.
set -euo pipefail
REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
KIT="${ESEAL_INTEROP_DIR:-$REPO/../shared/interop}"
EIH="${ESEAL_INTEROP_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/eseal-interop}"
export ESEAL_INTEROP_HOME="$EIH"
[ -f "$KIT/verify-all.sh" ] || { echo "interop kit not found at $KIT" >&2; exit 2; }
if [ -n "${REGENERATE:-}" ] || [ ! -d "$EIH/signed" ]; then
  SKIP_BENCH=1 bash "$KIT/run-all.sh" >&2 || true
fi
[ -d "$EIH/signed" ] || { echo "no signed samples in $EIH/signed" >&2; exit 2; }
if [ -z "${ESEAL_BIN:-}" ]; then
  (cd "$REPO" && cargo build --release -q -p eseal-api)
  ESEAL_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/eseal"
fi
P="$EIH/pki"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Known, justified differences: "file:signature_index  reason".
KNOWN="$WORK/known"
cat > "$KNOWN" <<'KNOWN_END'
KNOWN_END

for f in "$EIH"/signed/*.pdf "$EIH"/tampered/*.pdf; do
  b="$(basename "$f")"
  bash "$KIT/verify-all.sh" "$f" "$P/root.pem" --crl "$P/crls.pem" --tools pyhanko \
    > "$WORK/$b.pyhanko" 2>/dev/null || true
  "$ESEAL_BIN" verify "$f" --trust "$P/root.pem" --trust "$P/sm2root.pem" \
    --crl "$P/crls.pem" --format json --out "$WORK/$b.eseal" 2>/dev/null || true
done

python3 - "$WORK" "$KNOWN" "$EIH" <<'PY'
import json, os, sys
work, known_path, eih = sys.argv[1:4]
known = {}
for line in open(known_path, encoding="utf-8"):
    if line.strip():
        k, why = line.rstrip("\n").split("\t", 1)
        known[k] = why
files = sorted(f[:-len(".eseal")] for f in os.listdir(work) if f.endswith(".eseal"))
rows, bad, known_hits = [], 0, 0
for b in files:
    try:
        rep = json.load(open(os.path.join(work, b + ".eseal"), encoding="utf-8"))
        ours = {s["index"]: s for s in rep["signatures"]}
    except Exception as e:
        rep, ours = None, {}
    theirs = {}
    try:
        for line in open(os.path.join(work, b + ".pyhanko"), encoding="utf-8"):
            line = line.strip()
            if line.startswith("{"):
                j = json.loads(line)
                if j.get("tool") == "pyhanko":
                    theirs[j.get("signature_index")] = j
    except FileNotFoundError:
        pass
    indices = sorted(i for i in set(ours) | set(theirs) if i is not None) or [None]
    for i in indices:
        s, t = ours.get(i), theirs.get(i)
        e_ok = None if s is None else s["indication"] == "TOTAL-PASSED"
        e_txt = "-" if s is None else s["indication"] + ("/" + s["sub_indication"] if s["sub_indication"] else "")
        p_ok = None if t is None else t.get("bottom_line", t.get("valid"))
        if t is not None and t.get("valid") is None:
            p_ok = None
        p_txt = "-" if t is None else ("n/a (pyHanko cannot judge)" if p_ok is None else str(p_ok))
        key = f"{b}:{i}"
        if p_ok is None:
            verdict = "n/a"
        elif e_ok == p_ok:
            verdict = "agree"
        elif key in known:
            verdict = "known: " + known[key]
            known_hits += 1
        else:
            verdict = "DISAGREE"
            bad += 1
        rows.append((b, "-" if i is None else str(i), e_txt, p_txt, verdict))
w = [max(len(r[c]) for r in rows + [("file", "sig", "eseal", "pyhanko", "verdict")]) for c in range(4)]
print(f"{'file':<{w[0]}}  {'sig':<{w[1]}}  {'eseal':<{w[2]}}  {'pyhanko bottom_line':<{w[3]}}  verdict")
for r in rows:
    print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  {r[4]}")
agree = sum(1 for r in rows if r[4] == "agree")
na = sum(1 for r in rows if r[4] == "n/a")
print(f"\n{len(rows)} signatures: {agree} agree, {known_hits} known differences, {na} not judged by pyHanko, {bad} disagreements")
sys.exit(1 if bad else 0)
PY
