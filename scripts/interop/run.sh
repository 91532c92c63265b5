#!/usr/bin/env bash
# Independent judges on what eseal makes (called by .ci/run after the tests).
#
# 1. A PKI made by `eseal ca` / `eseal cert` (P-256 and SM2): openssl verify on every chain
#    (with CRLs for P-256, with the GM/T default SM2 ID for SM2).
# 2. `eseal sign` on inputs of many producers and in every sealing mode; each output goes
#    through ../shared/interop/verify-all.sh and must be valid, intact and trusted for every
#    judge that checks signatures; a copy with one flipped byte must be rejected by all of them.
# 5. PAdES B-T / B-LT / B-LTA and `eseal archive` with the TSA of `eseal serve`: pyHanko's AdES
#    validation and level, PDFBox, openssl cms, pdfsig; `openssl ts -verify` on a /tsa token.
# 6. `eseal sign-file` .p7s (openssl cms for P-256, gmssl for SM2) and the service's OCSP
#    responder (openssl ocsp: good, then revoked).
#
# 7. Licences made by `eseal licence issue` / `annotate` (scripts/interop/licence.sh).
#
# Needs ../shared/interop/install.sh and its sample PDFs (make-pdfs.py). Writes target/interop/.
# Exit 1 when a judge disagrees; results in target/interop/summary.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
I="${ESEAL_INTEROP_KIT:-$ROOT/../shared/interop}"
EIH="${ESEAL_INTEROP_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/eseal-interop}"
E="${ESEAL_BIN:-$ROOT/target/debug/eseal}"
PY="$EIH/venv/bin/python"
W="$ROOT/target/interop"
JUDGE="$PY $ROOT/scripts/interop/judge.py"
export ESEAL_KEY_PASSPHRASE="interop-only-passphrase"
export PYTHONDONTWRITEBYTECODE=1

[ -x "$E" ] || { echo "no eseal binary at $E (cargo build first)" >&2; exit 2; }
[ -x "$PY" ] || { echo "interop kit not installed: bash $I/install.sh" >&2; exit 2; }
rm -rf "$W"; mkdir -p "$W/pki" "$W/in" "$W/out" "$W/judged"
SUMMARY="$W/summary.md"
FAILS=0
note() { echo "$*" | tee -a "$SUMMARY"; }
fail() { note "FAIL: $*"; FAILS=$((FAILS + 1)); }

note "# eseal interop run $(date -u +%FT%TZ)"
note ""
note "## 1. PKI made by eseal, judged by $(openssl version | cut -d' ' -f1-2)"
cd "$W/pki"
for alg in p256 sm2; do
  "$E" ca init --dir "$alg-prov" --name "Interop Province Root ($alg)" --alg "$alg" >/dev/null
  "$E" ca sub --dir "$alg-city" --parent "$alg-prov" --name "Interop City CA ($alg)" >/dev/null
  "$E" ca sub --dir "$alg-county" --parent "$alg-city" --name "Interop County CA ($alg)" >/dev/null
  for who in seal seal2 seal3; do
    "$E" cert issue --ca "$alg-county" --name "互操作测试局 $who" --uscc 91350100M000100Y43 --out "$alg-$who" >/dev/null
  done
  "$E" cert issue --ca "$alg-county" --name "Revoked Org" --uscc 91350100M000100Y43 --out "$alg-revoked" >/dev/null
  serial=$("$E" cert show "$alg-revoked.pem" | awk '/^serial:/ {print $2}')
  "$E" cert revoke --ca "$alg-county" --serial "$serial" --reason keyCompromise >/dev/null
  for lvl in county city prov; do "$E" crl --ca "$alg-$lvl" --out "$alg-$lvl.crl.pem" >/dev/null; done
  cat "$alg-county.crl.pem" "$alg-city.crl.pem" "$alg-prov.crl.pem" > "$alg-crls.pem"
done
for who in seal seal2 seal3; do
  out=$(openssl verify -crl_check_all -CAfile p256-prov/ca.pem -untrusted "p256-$who.chain.pem" -CRLfile p256-crls.pem "p256-$who.pem" 2>&1) \
    && note "- openssl verify -crl_check_all p256-$who: $out" || fail "openssl rejects p256-$who: $out"
done
if out=$(openssl verify -crl_check_all -CAfile p256-prov/ca.pem -untrusted p256-revoked.chain.pem -CRLfile p256-crls.pem p256-revoked.pem 2>&1); then
  fail "openssl accepts the revoked certificate: $out"
else
  note "- openssl verify -crl_check_all p256-revoked: rejected ($(echo "$out" | grep -o 'certificate revoked' | head -1))"
fi
for pair in "sm2-seal.pem sm2-county/ca.pem" "sm2-county/ca.pem sm2-city/ca.pem" "sm2-city/ca.pem sm2-prov/ca.pem"; do
  set -- $pair
  out=$(openssl verify -vfyopt distid:1234567812345678 -partial_chain -CAfile "$2" "$1" 2>&1) \
    && note "- openssl verify -vfyopt distid:1234567812345678 $1 (issuer $2): $out" || fail "openssl rejects SM2 $1: $out"
done

note ""
note "## 2. Sealed PDFs, judged by pyHanko, pdfsig, openssl cms, PDFBox, qpdf (P-256) and PDFBox, gmssl, qpdf (SM2)"
cd "$W/in"
PDFS="$EIH/pdfs"
[ -f "$PDFS/license_cn.pdf" ] || "$PY" "$I/gen/make-pdfs.py" "$PDFS" --only license_cn.pdf,big_1mb.pdf,text_1000p.pdf
cp "$PDFS/license_cn.pdf" reportlab.pdf
cp "$PDFS/big_1mb.pdf" big_1mb.pdf
cp "$PDFS/text_1000p.pdf" text_1000p.pdf
qpdf --linearize reportlab.pdf qpdf_linearized.pdf
qpdf --object-streams=generate reportlab.pdf qpdf_objstm.pdf
pdftocairo -pdf reportlab.pdf cairo.pdf
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile=ghostscript.pdf reportlab.pdf
# pdfTeX, LuaTeX and LibreOffice files (and the others again) from testdata/producers.
for f in pdftex luatex libreoffice; do cp "$ROOT/testdata/producers/$f.pdf" "$f.pdf"; done
# A file that already carries someone else's signature and an incremental update (pyHanko).
KIT_SIGNED="$EIH/signed/license_invisible.pdf"
[ -f "$KIT_SIGNED" ] && cp "$KIT_SIGNED" pyhanko_signed.pdf

cd "$W/out"
SEAL_PNG="$ROOT/testdata/seal-red.png"
P="$W/pki"
sign() { # sign ALG WHO IN OUT [extra args]
  local alg=$1 who=$2 in=$3 out=$4; shift 4
  "$E" sign --in "$in" --out "$out" --key "$P/$alg-$who.key" --cert "$P/$alg-$who.pem" --chain "$P/$alg-$who.chain.pem" "$@" 2>>"$W/sign.log"
}
judge() { # judge EXPECT FILE ALG SIGS
  local expect=$1 f=$2 alg=$3 sigs=$4 b
  b=$(basename "$f" .pdf)
  if [ "$alg" = sm2 ]; then
    bash "$I/verify-all.sh" "$f" "$P/sm2-prov/ca.pem" --tools pdfbox,gmssl,qpdf > "$W/judged/$b.jsonl" || true
    tools="pdfbox,gmssl-sm2"
  else
    bash "$I/verify-all.sh" "$f" "$P/p256-prov/ca.pem" --crl "$P/p256-crls.pem" > "$W/judged/$b.jsonl" || true
    tools="pyhanko,pdfsig,openssl-cms,pdfbox"
  fi
  if out=$($JUDGE "$expect" "$W/judged/$b.jsonl" --signatures "$sigs" --tools "$tools"); then
    note "- $out"
  else
    fail "$out"
  fi
  # Our own verifier must agree: no false alarm on what we sign, every attack caught.
  local root="$P/$alg-prov/ca.pem" want=1 rc=0
  [ "$expect" = valid ] && want=0
  "$E" verify "$f" --trust "$root" --crl "$P/$alg-crls.pem" --format text > "$W/judged/$b.eseal.txt" 2>&1 || rc=$?
  if [ "$rc" = "$want" ]; then
    note "  - eseal verify agrees (exit $rc)"
  else
    fail "eseal verify $b exited $rc, expected $want: $(tail -5 "$W/judged/$b.eseal.txt")"
  fi
}
tampered() { # flip one byte in the first signed range; every judge must notice
  local f=$1 alg=$2 t
  t="${f%.pdf}.TAMPERED.pdf"
  "$PY" "$I/verify/tamper.py" "$f" "$t" --mode comment >/dev/null
  judge tampered "$t" "$alg" 1
}

for alg in p256 sm2; do
  sign $alg seal "$W/in/reportlab.pdf" $alg-invisible.pdf
  judge valid $alg-invisible.pdf $alg 1
  tampered $alg-invisible.pdf $alg
  sign $alg seal "$W/in/reportlab.pdf" $alg-visible.pdf --image "$SEAL_PNG" --page 1 --rect 380,80,113,113
  judge valid $alg-visible.pdf $alg 1
  sign $alg seal2 $alg-visible.pdf $alg-two.pdf --image "$SEAL_PNG" --rect 250,80,113,113 --field dept2
  judge valid $alg-two.pdf $alg 2
  sign $alg seal3 $alg-two.pdf $alg-three.pdf --image "$SEAL_PNG" --rect 120,80,113,113 --field dept3
  judge valid $alg-three.pdf $alg 3
  tampered $alg-three.pdf $alg
  sign $alg seal "$W/in/reportlab.pdf" $alg-certified.pdf --certify 2 --image "$SEAL_PNG" --rect 380,80,113,113 \
    --prepare-fields "city@1:250,80,113,113,province@1:120,80,113,113"
  sign $alg seal2 $alg-certified.pdf $alg-certified-2.pdf --field city --image "$SEAL_PNG"
  sign $alg seal3 $alg-certified-2.pdf $alg-certified-3.pdf --field province --image "$SEAL_PNG" --lock-fields all
  judge valid $alg-certified.pdf $alg 1
  judge valid $alg-certified-3.pdf $alg 3
  if [ $alg = p256 ]; then
    # Adding a new signature field after a P=2 certification is a change DocMDP forbids:
    # pyHanko must fail the certification while the cryptography stays intact.
    sign $alg seal2 $alg-certified.pdf $alg-certified-newfield.pdf --field intruder --image "$SEAL_PNG" --rect 20,20,80,80
    judge certification-broken $alg-certified-newfield.pdf $alg 2
  fi
  sign $alg seal "$W/in/reportlab.pdf" $alg-pkcs7.pdf --subfilter pkcs7
  judge valid $alg-pkcs7.pdf $alg 1
done
for kind in big_1mb text_1000p qpdf_linearized qpdf_objstm cairo ghostscript pdftex luatex libreoffice; do
  sign p256 seal "$W/in/$kind.pdf" "input-$kind.pdf" --image "$SEAL_PNG" --rect 380,80,113,113
  judge valid "input-$kind.pdf" p256 1
done
if [ -f "$W/in/pyhanko_signed.pdf" ]; then
  # Signed by the kit's own PKI first, then by ours: judge each signature against its root.
  sign p256 seal "$W/in/pyhanko_signed.pdf" input-pyhanko_signed.pdf
  cat "$EIH/pki/root.pem" "$P/p256-prov/ca.pem" > "$W/two-roots.pem"
  bash "$I/verify-all.sh" input-pyhanko_signed.pdf "$W/two-roots.pem" --tools pdfsig,openssl,pdfbox > "$W/judged/input-pyhanko_signed.jsonl" || true
  if out=$($JUDGE valid "$W/judged/input-pyhanko_signed.jsonl" --signatures 2 --tools pdfsig,openssl-cms,pdfbox); then note "- $out"; else fail "$out"; fi
fi
# The revoked certificate's seal must be refused as untrusted by every judge that has the CRL.
sign p256 revoked "$W/in/reportlab.pdf" p256-revoked.pdf
bash "$I/verify-all.sh" p256-revoked.pdf "$P/p256-prov/ca.pem" --crl "$P/p256-crls.pem" --tools pyhanko,pdfsig,openssl,pdfbox > "$W/judged/p256-revoked.jsonl" || true
if "$PY" - "$W/judged/p256-revoked.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = [r["tool"] for r in rows if r.get("signature_index") is not None and r.get("trusted") is not False]
print("revoked signer flagged untrusted by:", sorted({r["tool"] for r in rows if r.get("trusted") is False}))
sys.exit(1 if bad or not rows else 0)
PYEOF
then note "- ok: p256-revoked.pdf flagged untrusted by every judge"; else fail "a judge trusts the revoked signer ($W/judged/p256-revoked.jsonl)"; fi

note ""
note "## 3. GB/T 38540 seals and seal signatures, checked by scripts/ses_check.py (asn1crypto + gmssl)"
cd "$W/pki"
"$E" cert issue --ca sm2-county --name "电子印章制作中心" --uscc 91350100M000100Y43 --out sm2-maker >/dev/null
for spec in "04 round contract" "03 oval invoice" "01 round legal"; do
  set -- $spec
  "$E" seal create --maker-key sm2-maker.key --maker-cert sm2-maker.pem --cert sm2-seal.pem --name "互操作测试局 $3" \
    --type "$1" --owner-code 91350100M000100Y43 --draw "$2" --out "$3.esl" >/dev/null
  if out=$("$PY" "$ROOT/scripts/ses_check.py" seal "$3.esl"); then note "- ok: seal $3.esl ($1, drawn $2)"; else fail "ses_check seal $3.esl: $out"; fi
done
cd "$W/out"
sign sm2 seal "$W/in/reportlab.pdf" sm2-ses.pdf --seal "$P/contract.esl" --format ses
digest=$("$PY" "$ROOT/scripts/interop/ses_pdf.py" sm2-ses.pdf sm2-ses.der)
if out=$("$PY" "$ROOT/scripts/ses_check.py" signature sm2-ses.der --data-digest "$digest"); then
  note "- ok: SES_Signature in sm2-ses.pdf: $(echo "$out" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print({k: v for k, v in r["checks"].items()})')"
else
  fail "ses_check signature sm2-ses.pdf: $out"
fi
"$PY" "$I/verify/tamper.py" sm2-ses.pdf sm2-ses.TAMPERED.pdf --mode comment >/dev/null
digest=$("$PY" "$ROOT/scripts/interop/ses_pdf.py" sm2-ses.TAMPERED.pdf sm2-ses.TAMPERED.der)
if "$PY" "$ROOT/scripts/ses_check.py" signature sm2-ses.TAMPERED.der --data-digest "$digest" >/dev/null; then
  fail "ses_check accepts a tampered SES-sealed PDF"
else
  note "- ok: tampered SES-sealed PDF rejected (data hash)"
fi
for f in sm2-ses.pdf sm2-ses.TAMPERED.pdf; do
  want=0; case $f in *TAMPERED*) want=1 ;; esac
  rc=0; "$E" verify "$f" --trust "$P/sm2-prov/ca.pem" --chain "$P/sm2-seal.chain.pem" --crl "$P/sm2-crls.pem" > "$W/judged/$f.eseal.txt" 2>&1 || rc=$?
  if [ "$rc" = "$want" ]; then note "  - eseal verify $f agrees (exit $rc)"; else fail "eseal verify $f exited $rc, expected $want"; fi
done
sign sm2 seal "$W/in/reportlab.pdf" sm2-cms-with-seal-picture.pdf --seal "$P/contract.esl"
judge valid sm2-cms-with-seal-picture.pdf sm2 1

note ""
note "## 4. Sealed by the HTTP service (eseal serve on 127.0.0.1), judged the same way"
SRV="$W/service"; mkdir -p "$SRV"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ESEAL_KEY_PASSPHRASE= "$E" serve --data "$SRV/data" --listen "127.0.0.1:$PORT" > "$SRV/serve.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
KEY="$(cat "$SRV/data/demo-admin.key")"
SEAL_ID="$(curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/seals" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
for kind in reportlab pdftex; do
  if curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/pdf' --data-binary @"$W/in/$kind.pdf" \
      "http://127.0.0.1:$PORT/v1/seals/$SEAL_ID/sign?page=1&x=380&y=80&w=113&h=113" -o "$SRV/api-$kind.pdf"; then
    bash "$I/verify-all.sh" "$SRV/api-$kind.pdf" "$SRV/data/demo-root.pem" > "$W/judged/api-$kind.jsonl" || true
    if out=$($JUDGE valid "$W/judged/api-$kind.jsonl" --signatures 1 --tools pyhanko,pdfsig,openssl-cms,pdfbox); then note "- $out"; else fail "$out"; fi
  else
    fail "the service did not seal $kind.pdf ($(tail -3 "$SRV/serve.log"))"
  fi
done
kill -TERM "$SRV_PID" 2>/dev/null || true
wait "$SRV_PID" 2>/dev/null || true

# ---- 5. timestamps (issue 8: RFC 3161, PAdES B-T / B-LT / B-LTA, eseal archive) ----
note ""
note "## 5. Timestamps: B-T, B-LT, B-LTA and archive with the TSA of eseal serve; openssl ts on a /tsa token"
TS="$W/timestamps"; mkdir -p "$TS"
PORT5="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ESEAL_KEY_PASSPHRASE= "$E" serve --data "$TS/data" --listen "127.0.0.1:$PORT5" > "$TS/serve.log" 2>&1 &
TS_PID=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT5/healthz" >/dev/null && break; sleep 0.2; done
TSA="http://127.0.0.1:$PORT5/tsa"
# The service's CAs issued the TSA certificate: their CRLs go into the DSS (fetched by URL) and
# to the judges, who must check the TSA's revocation status offline too.
CA_IDS="$(python3 -c 'import sqlite3,sys; print(" ".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM cas")))' "$TS/data/eseal.db")"
CRL_ARGS=(--crl "$P/p256-county.crl.pem" --crl "$P/p256-city.crl.pem" --crl "$P/p256-prov.crl.pem")
cp "$P/p256-crls.pem" "$TS/all-crls.pem"
for id in $CA_IDS; do
  CRL_ARGS+=(--crl "http://127.0.0.1:$PORT5/v1/cas/$id/crl")
  curl -sf "http://127.0.0.1:$PORT5/v1/cas/$id/crl" | openssl crl -inform DER >> "$TS/all-crls.pem"
done
cat "$P/p256-prov/ca.pem" "$TS/data/demo-root.pem" > "$TS/roots.pem"
cd "$TS"
sign p256 seal "$W/in/reportlab.pdf" ts-b-t.pdf --level b-t --tsa "$TSA"
sign p256 seal "$W/in/reportlab.pdf" ts-b-lt.pdf --level b-lt --tsa "$TSA" "${CRL_ARGS[@]}"
sign p256 seal "$W/in/reportlab.pdf" ts-b-lta.pdf --level b-lta --tsa "$TSA" --image "$SEAL_PNG" --rect 380,80,113,113 "${CRL_ARGS[@]}"
"$E" archive ts-b-lta.pdf ts-archived.pdf --tsa "$TSA" "${CRL_ARGS[@]}" 2>>"$W/sign.log"
for spec in "ts-b-t B-T 1" "ts-b-lt B-LT 1" "ts-b-lta B-LTA 2" "ts-archived B-LTA 3"; do
  set -- $spec
  f="$1.pdf" level=$2 sigs=$3
  bash "$I/verify-all.sh" "$f" "$TS/roots.pem" --crl "$TS/all-crls.pem" > "$W/judged/$1.jsonl" || true
  # pdfsig cannot check document timestamps (null): it must accept the seal and say false to nothing.
  # openssl cms sees only the seal (a document timestamp is no CMS signature of the document).
  count=(); [ "$sigs" = 1 ] && count=(--signatures 1)
  if out=$($JUDGE valid "$W/judged/$1.jsonl" "${count[@]}" --tools pyhanko,openssl-cms,pdfbox); then note "- $out"; else fail "$out"; fi
  n=$(grep -c '"tool": "pyhanko", "signature_index": [0-9]' "$W/judged/$1.jsonl" || true)
  [ "$n" = "$sigs" ] || fail "pyHanko saw $n signatures in $f, expected $sigs"
  if "$PY" - "$W/judged/$1.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
p = [r for r in rows if r["tool"] == "pdfsig" and r.get("signature_index") is not None]
first = [r for r in p if r["signature_index"] == 0]
sys.exit(0 if first and all(first[0].get(k) is True for k in ("valid", "intact", "trusted"))
         and not any(r.get("valid") is False for r in p) else 1)
PYEOF
  then note "  - pdfsig accepts the seal of $f"; else fail "pdfsig does not accept $f"; fi
  # pyHanko's AdES validation (revocation data required, nothing fetched) and the level it shows.
  # B-T carries no revocation data: give pyHanko the CRLs; B-LT and B-LTA must carry their own.
  crl=(); [ "$level" = B-T ] && crl=(--crl "$TS/all-crls.pem")
  if out=$("$PY" "$ROOT/scripts/interop/pades_level.py" "$f" "$P/p256-prov/ca.pem" "$TS/data/demo-root.pem" "${crl[@]}" 2>&1); then
    got=$(echo "$out" | head -1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["level"])')
    if [ "$got" = "$level" ]; then note "  - pyHanko AdES validation passes, level $got"; else fail "pyHanko level of $f is $got, expected $level: $out"; fi
  else
    fail "pyHanko AdES validation of $f: $out"
  fi
  rc=0; "$E" verify "$f" --trust "$P/p256-prov/ca.pem" --trust "$TS/data/demo-root.pem" --format json > "$W/judged/$1.eseal.json" 2>&1 || rc=$?
  ours=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["signatures"][0]["level"])' "$W/judged/$1.eseal.json" 2>/dev/null || echo none)
  if [ "$rc" = 0 ] && [ "$ours" = "$(echo "$level" | tr A-Z a-z)" ]; then note "  - eseal verify agrees (exit 0, level $ours)"; else fail "eseal verify $f: exit $rc, level $ours"; fi
done
# openssl ts -verify on a token straight from /tsa (OpenSSL's own request).
echo "licence 2026-001" > tsdata.txt
openssl ts -query -data tsdata.txt -sha256 -cert -out q.tsq 2>/dev/null
curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq "$TSA" -o r.tsr
if out=$(openssl ts -verify -data tsdata.txt -in r.tsr -CAfile "$TS/data/demo-root.pem" 2>&1 | grep -v "^Using configuration"); then
  note "- openssl ts -verify on a /tsa token: $out"
else
  fail "openssl ts -verify rejects a /tsa token: $out"
fi
echo "licence 2026-002" > tsother.txt
if openssl ts -verify -data tsother.txt -in r.tsr -CAfile "$TS/data/demo-root.pem" >/dev/null 2>&1; then
  fail "openssl ts -verify accepts a /tsa token for other data"
else
  note "- openssl ts -verify rejects the token for other data"
fi
kill -TERM "$TS_PID" 2>/dev/null || true
wait "$TS_PID" 2>/dev/null || true
# ---- end of 5. timestamps ----
# ---- 6. OCSP and trusted files (issue 8, helper B) -------------------------------------------
note ""
note "## 6. OCSP and trusted files: .p7s / ASiC-S by eseal sign-file, the service's OCSP responder"
F="$W/files"; mkdir -p "$F"; cd "$F"
P="$W/pki"
printf '<licence><holder>91350100M000100Y43</holder></licence>\n' > licence.xml
printf '<licence><holder>91350100M000100Y44</holder></licence>\n' > changed.xml
for alg in p256 sm2; do
  "$E" sign-file --in licence.xml --out "$alg.p7s" --key "$P/$alg-seal.key" --cert "$P/$alg-seal.pem" \
    --chain "$P/$alg-seal.chain.pem" --asic "$alg.asics" 2>/dev/null
  for args in "licence.xml $alg.p7s" "$alg.asics"; do
    rc=0; "$E" verify-file $args --trust "$P/$alg-prov/ca.pem" > "$W/judged/files-$alg.txt" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then note "- ok: eseal verify-file $args: TOTAL-PASSED"; else fail "eseal verify-file $args exited $rc"; fi
  done
  rc=0; "$E" verify-file changed.xml "$alg.p7s" --trust "$P/$alg-prov/ca.pem" >/dev/null 2>&1 || rc=$?
  if [ "$rc" = 1 ]; then note "- ok: eseal verify-file rejects changed content ($alg)"; else fail "eseal verify-file changed.xml $alg.p7s exited $rc"; fi
done
if out=$(openssl cms -verify -binary -content licence.xml -inform DER -in p256.p7s -CAfile "$P/p256-prov/ca.pem" -out /dev/null 2>&1); then
  note "- ok: openssl cms -verify accepts p256.p7s ($out)"
else
  fail "openssl cms -verify rejects p256.p7s: $out"
fi
if openssl cms -verify -binary -content changed.xml -inform DER -in p256.p7s -CAfile "$P/p256-prov/ca.pem" -out /dev/null >/dev/null 2>&1; then
  fail "openssl cms -verify accepts p256.p7s over changed content"
else
  note "- ok: openssl cms -verify rejects p256.p7s over changed content"
fi
if out=$(ESEAL_INTEROP_KIT="$I" "$PY" "$ROOT/scripts/interop/p7s_gmssl.py" licence.xml sm2.p7s "$P/sm2-prov/ca.pem"); then
  note "- ok: gmssl accepts sm2.p7s: $out"
else
  fail "gmssl rejects sm2.p7s: $out"
fi
if ESEAL_INTEROP_KIT="$I" "$PY" "$ROOT/scripts/interop/p7s_gmssl.py" changed.xml sm2.p7s "$P/sm2-prov/ca.pem" >/dev/null 2>&1; then
  fail "gmssl accepts sm2.p7s over changed content"
else
  note "- ok: gmssl rejects sm2.p7s over changed content"
fi
# The service's OCSP responder, asked by openssl ocsp: good, then revoked after the API revokes.
OS="$W/ocsp-service"; mkdir -p "$OS"
OPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
OBASE="http://127.0.0.1:$OPORT"
ESEAL_KEY_PASSPHRASE= "$E" serve --data "$OS/data" --listen "127.0.0.1:$OPORT" > "$OS/serve.log" 2>&1 &
OCSP_SRV_PID=$!
for _ in $(seq 1 150); do curl -sf "$OBASE/healthz" >/dev/null && break; sleep 0.2; done
OKEY="$(cat "$OS/data/demo-admin.key")"
api() { curl -sf -H "Authorization: Bearer $OKEY" -H 'Content-Type: application/json' "$@"; }
jget() { "$PY" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
# Only the platform's operator creates roots: it makes one for the demo organisation.
OPKEY="$(cat "$OS/data/demo-operator.key")"
OORG=$(api "$OBASE/v1/me" | jget organization_id)
ROOT_CA=$(curl -sf -H "Authorization: Bearer $OPKEY" -H 'Content-Type: application/json' \
  -d "{\"name\":\"Interop OCSP Root\",\"region\":\"CN-FJ\",\"organization_id\":\"$OORG\"}" \
  "$OBASE/v1/cas" | jget id)
SUB_CA=$(api -d "{\"name\":\"Interop OCSP Sub\",\"level\":\"county\",\"parent_id\":\"$ROOT_CA\"}" "$OBASE/v1/cas" | jget id)
curl -sf "$OBASE/v1/cas/$ROOT_CA/certificate" > "$OS/root.pem"
curl -sf "$OBASE/v1/cas/$SUB_CA/certificate" > "$OS/sub.pem"
api -d '{"common_name":"Interop OCSP Seal"}' "$OBASE/v1/cas/$SUB_CA/certificates" > "$OS/issued.json"
jget certificate_pem < "$OS/issued.json" > "$OS/cert.pem"
CERT_ID=$(jget id < "$OS/issued.json")
ocsp_check() {
  openssl ocsp -issuer "$OS/sub.pem" -cert "$OS/cert.pem" -CAfile "$OS/root.pem" -url "$OBASE/v1/cas/$SUB_CA/ocsp" 2>&1
}
out=$(ocsp_check || true)
if echo "$out" | grep -q "Response verify OK" && echo "$out" | grep -q ": good"; then
  note "- ok: openssl ocsp: good, response verified ($OBASE/v1/cas/…/ocsp)"
else
  fail "openssl ocsp (good): $out"
fi
api -d '{"reason":"keyCompromise"}' "$OBASE/v1/certificates/$CERT_ID/revoke" >/dev/null
out=$(ocsp_check || true)
if echo "$out" | grep -q "Response verify OK" && echo "$out" | grep -q ": revoked"; then
  note "- ok: openssl ocsp after revocation: revoked ($(echo "$out" | grep -o 'Reason: .*' | head -1))"
else
  fail "openssl ocsp (revoked): $out"
fi
kill -TERM "$OCSP_SRV_PID" 2>/dev/null || true
wait "$OCSP_SRV_PID" 2>/dev/null || true
# ---- end of section 6 ------------------------------------------------------------------------

# ---- 7. licences (issue 7, render part) ----
note ""
note "## 7. Licences: rendered, certified (DocMDP P=2), QR filled, annotated copy (eseal licence), judged"
LIC="$W/licences"; mkdir -p "$LIC"
KP="$W/pki"   # section 1's P-256 hierarchy: both seals chain to one root, as pyHanko needs
cat > "$LIC/data.json" <<'JSON'
{"identifier": "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
 "type_code": "11100000000013338W032", "type_name": "营业执照",
 "issuer_name": "福州市市场监督管理局", "issuer_code": "11220000013544541J",
 "holder_name": "福州电子印章科技有限公司", "holder_code": "91350100M000100Y43",
 "issued_on": "2026-11-30",
 "fields": {"kind": "有限责任公司", "legal_representative": "张三", "scope": "软件开发；电子认证服务",
            "capital": "壹仟万元整", "established": "2020年05月18日", "term": "长期",
            "address": "福建省福州市鼓楼区软件大道89号"}}
JSON
if "$E" licence issue --data "$LIC/data.json" \
     --key "$KP/p256-seal.key" --cert "$KP/p256-seal.pem" --chain "$KP/p256-seal.chain.pem" \
     --seal-image "$ROOT/testdata/seal-red.png" --verify-url 'https://verify.invalid/l/{identifier}?d={digest}' \
     --out "$LIC/licence.pdf" > "$LIC/url.txt" 2>>"$W/sign.log" \
   && "$E" licence annotate --in "$LIC/licence.pdf" --out "$LIC/licence-annotated.pdf" \
     --key "$KP/p256-seal2.key" --cert "$KP/p256-seal2.pem" --chain "$KP/p256-seal2.chain.pem" \
     --purpose "办理银行开户" --agency "某某银行" --expires "$(date -u -d '+30 days' +%F)" --copy 1 \
     2>>"$W/sign.log"; then
  if out=$(bash "$ROOT/scripts/interop/licence.sh" "$LIC" "$KP/p256-prov/ca.pem" --crl "$KP/p256-crls.pem" 2>&1); then
    while IFS= read -r l; do note "$l"; done <<< "$out"
  else
    while IFS= read -r l; do note "$l"; done <<< "$out"; fail "licence judges (see above)"
  fi
  pdftoppm -r 200 -png -singlefile "$LIC/licence.pdf" "$LIC/licence" \
    && got=$(zbarimg --raw -q "$LIC/licence.png") && [ "$got" = "$(cat "$LIC/url.txt")" ] \
    && note "- ok: zbarimg decodes the QR code to the verify URL" || fail "QR code does not decode to $(cat "$LIC/url.txt")"
else
  fail "eseal licence issue/annotate failed ($(tail -3 "$W/sign.log"))"
fi
# ---- end 7. licences ----
# ---- licences (issue 7, helper C2) ----------------------------------------------------------
note ""
note "## 8. Licences issued by the service (eseal serve) and the agency's annotated copy, judged the same way"
LIC="$W/licences-service"; mkdir -p "$LIC"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ESEAL_KEY_PASSPHRASE= "$E" serve --data "$LIC/data" --listen "127.0.0.1:$PORT" > "$LIC/serve.log" 2>&1 &
LIC_PID=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
B="http://127.0.0.1:$PORT"
KEY="$(cat "$LIC/data/demo-admin.key")"; AGENCY="$(cat "$LIC/data/demo-agency.key")"
jget() { "$PY" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
if ISSUED="$(curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$B/v1/licences" \
    -d '{"type":"demo-business-licence","holder_name":"福州示例科技有限公司","holder_code":"91350100M000100Y43","fields":{"legal_representative":"张三明","capital":"壹佰万元整","address":"福建省福州市鼓楼区示例路1号"}}')"; then
  LID="$(echo "$ISSUED" | jget id)"; TOKEN="$(echo "$ISSUED" | jget holder_token)"; URL="$(echo "$ISSUED" | jget verify_url)"
  curl -sf -H "Authorization: Bearer $KEY" "$B/v1/licences/$LID/file" -o "$LIC/licence.pdf"
  UNTIL="$(date -u -d '+30 days' +%FT%TZ)"
  GID="$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$B/v1/licences/$LID/grants" \
    -d "{\"agency\":\"Fuzhou Housing Provident Fund Centre\",\"matter\":\"住房公积金贷款审核\",\"until\":\"$UNTIL\"}" | jget id)"
  curl -sf -H "Authorization: Bearer $AGENCY" "$B/v1/grants/$GID/copy" -o "$LIC/annotated-copy.pdf"
  for pair in "licence 1" "annotated-copy 2"; do
    set -- $pair
    bash "$I/verify-all.sh" "$LIC/$1.pdf" "$LIC/data/demo-root.pem" > "$W/judged/licence-$1.jsonl" || true
    if out=$($JUDGE valid "$W/judged/licence-$1.jsonl" --signatures "$2" --tools pyhanko,pdfsig,openssl-cms,pdfbox); then note "- $out"; else fail "$out"; fi
  done
  pdftoppm -r 200 -png -singlefile "$LIC/licence.pdf" "$LIC/licence"
  if [ "$(zbarimg --raw -q "$LIC/licence.png" 2>/dev/null)" = "$URL" ]; then
    note "- ok: zbarimg decodes the licence's QR code to its verify URL"
  else
    fail "zbarimg does not decode the QR code to $URL"
  fi
else
  fail "the service did not issue a licence ($(tail -3 "$LIC/serve.log"))"
fi
kill -TERM "$LIC_PID" 2>/dev/null || true
wait "$LIC_PID" 2>/dev/null || true
# ---- end licences ---------------------------------------------------------------------------

note ""
if [ "$FAILS" -gt 0 ]; then
  note "interop: $FAILS failed checks"
  exit 1
fi
note "interop: all checks passed"
