#!/usr/bin/env bash
# pdfbox.sh - the PDFBox producer: compiles PdfboxSign.java against Debian's PDFBox 2.0 and
# BouncyCastle jars (the ones the interop kit's validator uses) into $WORLD_CACHE/pdfbox-sign
# (skipped while the source is unchanged) and signs the corpus's plain page.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
J="${JAVA_JARS:-/usr/share/java}"
CP="$J/pdfbox2.jar:$J/fontbox2.jar:$J/commons-logging.jar:$J/bcprov.jar:$J/bcpkix.jar:$J/bcutil.jar"
C="$WORLD_CACHE/pdfbox-sign"
KEY="$(sha256sum < "$HERE/PdfboxSign.java" | cut -c1-64) $CP"
if [ "$(cat "$C/stamp" 2>/dev/null)" != "$KEY" ]; then
  rm -rf "$C"; mkdir -p "$C"
  javac -J-XX:-UsePerfData -nowarn -d "$C" -cp "$CP" "$HERE/PdfboxSign.java"
  echo "$KEY" > "$C/stamp"
fi
O="$WORLD_OUT/pdfbox"; P="$WORLD_PKI"
mkdir -p "$O"
run() { # name key root alg subfilter algorithm-label expected
  java -XX:+UseSerialGC -XX:-UsePerfData -Djava.awt.headless=true \
    -Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog -cp "$CP:$C" PdfboxSign \
    "$WORLD_OUT/base/plain.pdf" "$O/$1.pdf" "$P/$2.key" "$P/$2.pem" "$P/roots/$3.pem" "$4" "$5"
  python3 - "$O/$1.pdf" "$5" "$4" "$6" "$7" "$2" "$3" <<'PY'
import json, os, sys
f, sub, alg, label, exp, key, root = sys.argv[1:8]
out = os.environ["WORLD_OUT"]
rec = {"file": os.path.relpath(f, out), "producer": "pdfbox", "variant": "clean" if sub != "adbe.pkcs7.sha1" else "adbe.pkcs7.sha1",
       "how": f"PdfboxSign.java: PDFBox 2.0.27 addSignature + saveIncremental, BouncyCastle 1.72 CMSSignedDataGenerator, {alg}, /{sub}",
       "signatures": [{"algorithm": label, "expected": exp, "signer": key, "root": f"roots/{root}.pem"}], "tamper": True}
open(os.path.join(out, "parts", "pdfbox.jsonl"), "a").write(json.dumps(rec) + "\n")
PY
}
run rsa2048-sha256 rsa2048 rsa2048 SHA256withRSA adbe.pkcs7.detached RSA-2048/SHA-256 valid
run p384-sha384 p384 p384 SHA384withECDSA ETSI.CAdES.detached ECDSA-P384/SHA-384 valid
run rsa3072-pss-sha256 rsa3072 rsa3072 SHA256withRSAandMGF1 ETSI.CAdES.detached RSASSA-PSS/SHA-256 valid
run rsa2048-pkcs7-sha1 rsa2048 rsa2048 SHA1withRSA adbe.pkcs7.sha1 RSA-2048/SHA-1 weak
