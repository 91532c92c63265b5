#!/usr/bin/env bash
# run.sh - the @signpdf producer: installs the pinned packages (package-lock.json, npm ci) into
# $WORLD_CACHE/signpdf once, then signs the corpus's plain page with RSA keys. node-forge writes
# the signed attributes in the order it is given them: contentType, signingTime, messageDigest.
# With these three that happens to be DER SET OF order (the encodings' lengths differ: 0x18, 0x1c,
# 0x2f), so @signpdf 3.3.0 files are not an unsorted-attributes case; cms_place.py makes one.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
D="$WORLD_CACHE/signpdf"
mkdir -p "$D"
if ! cmp -s "$HERE/package-lock.json" "$D/package-lock.json" || [ ! -d "$D/node_modules/@signpdf/signpdf" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$D/"
  (cd "$D" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
O="$WORLD_OUT/signpdf"
mkdir -p "$O"
P="$WORLD_PKI"
# node-forge reads only the legacy PKCS#12 encryption (3DES/RC2), not OpenSSL 3's AES default
for k in rsa2048 rsa4096; do
  openssl pkcs12 -export -legacy -inkey "$P/$k.key" -in "$P/$k.pem" -passout pass:test -out "$D/$k-legacy.p12" 2>/dev/null \
    || openssl pkcs12 -export -inkey "$P/$k.key" -in "$P/$k.pem" -passout pass:test -out "$D/$k-legacy.p12"
done
emit() { # file variant how algorithm key
  python3 - "$@" <<'PY'
import json, os, sys
f, variant, how, alg, key = sys.argv[1:6]
out = os.environ["WORLD_OUT"]
rec = {"file": os.path.relpath(f, out), "producer": "signpdf", "variant": variant, "how": how,
       "signatures": [{"algorithm": alg, "expected": "valid", "signer": key, "root": f"roots/{key}.pem"}], "tamper": True}
open(os.path.join(out, "parts", "signpdf.jsonl"), "a").write(json.dumps(rec) + "\n")
PY
}
export NODE_PATH="$D/node_modules"
node "$HERE/sign.js" "$WORLD_OUT/base/plain.pdf" "$D/rsa2048-legacy.p12" "$O/rsa2048-pkcs7.pdf"
emit "$O/rsa2048-pkcs7.pdf" clean "@signpdf 3.3.0 placeholder-plain + signer-p12, /adbe.pkcs7.detached, RSA-2048, SHA-256" RSA-2048/SHA-256 rsa2048
node "$HERE/sign.js" "$WORLD_OUT/base/plain.pdf" "$D/rsa4096-legacy.p12" "$O/rsa4096-cades.pdf" cades
emit "$O/rsa4096-cades.pdf" clean "@signpdf 3.3.0 placeholder-plain + signer-p12, /ETSI.CAdES.detached, RSA-4096, SHA-256" RSA-4096/SHA-256 rsa4096
