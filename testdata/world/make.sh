#!/usr/bin/env bash
# make.sh [OUTDIR] - the "world's files": signed PDFs made by other software (pyHanko, endesive,
# @signpdf, openssl cms, PDFBox + BouncyCastle, LibreOffice) driven by the scripts beside this one,
# tampered copies of them, and OUTDIR/expected.jsonl: one line per signature with the producer's
# intent ("expected": valid | invalid | weak) and what pyHanko, pdfsig and PDFBox said of it
# ("reference"). Nothing it makes is committed. OUTDIR defaults to $ESEAL_INTEROP_HOME/world
# (ESEAL_INTEROP_HOME defaults to ~/.cache/eseal-interop); it is wiped and remade.
# Needs the interop kit installed (its venv: pyHanko, reportlab; its PDFBox jars; pdfsig), node/npm,
# a JDK, soffice, and PyPI/npm access the first time (endesive venv, @signpdf packages: pinned, kept
# in $ESEAL_INTEROP_HOME/world-tools). A producer that fails is reported, the others still run and
# the manifest is still written; the exit status is then 1.
#   WORLD_ONLY="pyhanko cms"  run only these producers (pyhanko endesive signpdf cms pdfbox libreoffice)
#   WORLD_NO_REFERENCE=1      skip the reference validators (expected.jsonl then has reference {})
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
EIH="${ESEAL_INTEROP_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/eseal-interop}"
KIT="${ESEAL_INTEROP_DIR:-$HERE/../../../shared/interop}"
OUT="${1:-$EIH/world}"
PY="$EIH/venv/bin/python"
[ -x "$PY" ] || { echo "make.sh: no interop venv at $EIH/venv (run the kit's install.sh)" >&2; exit 2; }
case "$(readlink -m "$OUT")" in /|"$HOME"|"$(readlink -m "$EIH")") echo "refusing to wipe $OUT" >&2; exit 2 ;; esac
T0=$SECONDS
# keep the npm packages and compiled Java between runs (they are slow to fetch/compile)
CACHE="$EIH/world-tools"
mkdir -p "$CACHE"
rm -rf "$OUT"
mkdir -p "$OUT/parts"
OUT="$(cd "$OUT" && pwd)"
export WORLD_OUT="$OUT" WORLD_PKI="$OUT/pki" WORLD_CACHE="$CACHE" PYTHONDONTWRITEBYTECODE=1
want() { [ -z "${WORLD_ONLY:-}" ] || [[ " $WORLD_ONLY " == *" $1 "* ]]; }
FAILED=()
step() { # name command...
  local n="$1" t=$SECONDS; shift
  if "$@" > "$OUT/parts/$n.log" 2>&1; then echo "make.sh: $n done ($((SECONDS - t)) s)"
  else echo "make.sh: $n FAILED ($((SECONDS - t)) s), see $OUT/parts/$n.log:" >&2; tail -5 "$OUT/parts/$n.log" >&2
    FAILED+=("$n"); fi
}

bash "$HERE/pki.sh" "$OUT/pki" > "$OUT/parts/pki.log" 2>&1 || { cat "$OUT/parts/pki.log" >&2; exit 1; }
cp -r "$OUT/pki/roots" "$OUT/roots"
"$PY" "$HERE/base.py" "$OUT/base"
echo "make.sh: PKI and base PDFs ($((SECONDS - T0)) s)"

want pyhanko && step pyhanko "$PY" "$HERE/pyhanko_sign.py"
want endesive && step endesive bash "$HERE/endesive.sh"
want signpdf && step signpdf bash "$HERE/signpdf/run.sh"
want cms && step cms "$PY" "$HERE/cms_place.py"
want pdfbox && step pdfbox bash "$HERE/pdfbox.sh"
want libreoffice && step libreoffice bash "$HERE/libreoffice.sh"
step tamper "$PY" "$HERE/tamper.py"

if [ -z "${WORLD_NO_REFERENCE:-}" ]; then
  "$PY" "$HERE/collect.py" "$OUT" "$KIT" | tee "$OUT/parts/collect.log" | head -60
else
  "$PY" - "$OUT" <<'PYEOF'
import glob, json, os, sys
out = sys.argv[1]
with open(os.path.join(out, "expected.jsonl"), "w") as f:
    for part in sorted(glob.glob(os.path.join(out, "parts", "*.jsonl"))):
        for line in open(part).read().splitlines():
            rec = json.loads(line)
            for i, s in enumerate(rec["signatures"]):
                row = {"file": rec["file"], "index": i, "producer": rec["producer"], "variant": rec["variant"],
                       "how": rec["how"], "reference": {}, **s}
                if "password" in rec:
                    row["password"] = rec["password"]
                f.write(json.dumps(row) + "\n")
PYEOF
fi
echo "make.sh: $(wc -l < "$OUT/expected.jsonl") signatures in $(find "$OUT" -name '*.pdf' -not -path '*/base/*' | wc -l) files, $OUT/expected.jsonl ($((SECONDS - T0)) s)"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "make.sh: producers that failed: ${FAILED[*]}" >&2
  exit 1
fi
