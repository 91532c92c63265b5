#!/usr/bin/env bash
# Independent judges on licence PDFs (issued licences with their QR code, annotated copies):
#
#   scripts/interop/licence.sh DIR ROOT.pem [--crl CRLS.pem] [--certs EXTRA.pem]
#
# Every DIR/*.pdf goes through ../shared/interop/verify-all.sh; every signature-checking judge
# must say valid, intact and trusted, and pyHanko's bottom line (its change analysis: the QR
# fill and the annotation are form filling and signing, which DocMDP P=2 allows) must pass.
# A copy with one flipped byte in the issuer's signed range must be rejected by all of them.
# `eseal verify` must agree. Results go to DIR/judged/. Exit 1 when a judge disagrees.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
I="${ESEAL_INTEROP_KIT:-$ROOT/../shared/interop}"
EIH="${ESEAL_INTEROP_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/eseal-interop}"
E="${ESEAL_BIN:-$ROOT/target/debug/eseal}"
PY="$EIH/venv/bin/python"
JUDGE="$PY $ROOT/scripts/interop/judge.py"
export PYTHONDONTWRITEBYTECODE=1

[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
DIR="$1"; TRUST="$2"; shift 2
EXTRA=("$@")
CRL=()
while [ $# -gt 0 ]; do
  case "$1" in --crl) CRL=(--crl "$2"); shift 2 ;; *) shift ;; esac
done
[ -x "$PY" ] || { echo "interop kit not installed: bash $I/install.sh" >&2; exit 2; }
mkdir -p "$DIR/judged"
FAILS=0
shopt -s nullglob
files=("$DIR"/*.pdf)
[ ${#files[@]} -gt 0 ] || { echo "no PDFs in $DIR" >&2; exit 2; }
for f in "${files[@]}"; do
  case "$f" in *.TAMPERED.pdf) continue ;; esac
  b=$(basename "$f" .pdf)
  bash "$I/verify-all.sh" "$f" "$TRUST" "${EXTRA[@]}" > "$DIR/judged/$b.jsonl" || true
  if out=$($JUDGE valid "$DIR/judged/$b.jsonl" --tools pyhanko,pdfsig,openssl-cms,pdfbox); then
    echo "- $out"
  else
    echo "FAIL: $out"; FAILS=$((FAILS + 1))
  fi
  if [ -x "$E" ]; then
    rc=0
    "$E" verify "$f" --trust "$TRUST" "${CRL[@]}" --format text > "$DIR/judged/$b.eseal.txt" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then echo "  - eseal verify agrees (exit 0)"; else
      echo "FAIL: eseal verify $b exited $rc: $(tail -5 "$DIR/judged/$b.eseal.txt")"; FAILS=$((FAILS + 1)); fi
  fi
  t="$DIR/judged/$b.TAMPERED.pdf"
  "$PY" "$I/verify/tamper.py" "$f" "$t" --mode comment >/dev/null
  bash "$I/verify-all.sh" "$t" "$TRUST" "${EXTRA[@]}" > "$DIR/judged/$b.TAMPERED.jsonl" || true
  if out=$($JUDGE tampered "$DIR/judged/$b.TAMPERED.jsonl" --tools pyhanko,pdfsig,openssl-cms,pdfbox); then
    echo "- $out"
  else
    echo "FAIL: $out"; FAILS=$((FAILS + 1))
  fi
done
[ "$FAILS" -eq 0 ] || { echo "licence judges: $FAILS failed checks"; exit 1; }
echo "licence judges: all checks passed"
