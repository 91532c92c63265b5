#!/usr/bin/env bash
# libreoffice.sh - the LibreOffice producer (Debian libreoffice-writer-nogui, soffice --headless):
# a text document exported to PDF with a signature, through the PDF export filter's JSON options
# SignPDF=true and SignCertificateSubjectName. LibreOffice finds the key in an NSS database named
# by MOZILLA_CERTIFICATE_FOLDER (made here with pk12util from the corpus PKI's .p12) and uses a
# private profile (-env:UserInstallation), so nothing outside the work folder is touched.
set -euo pipefail
command -v soffice >/dev/null || { echo "soffice not installed (apt-get install libreoffice-writer-nogui)" >&2; exit 1; }
O="$WORLD_OUT/libreoffice"; P="$WORLD_PKI"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
mkdir -p "$O" "$W/nss" "$W/profile"
certutil -N -d "sql:$W/nss" --empty-password
printf 'Exported from LibreOffice Writer and signed on export.\nThe eseal world corpus, testdata/world.\n' > "$W/doc.txt"
sign() { # key label
  pk12util -i "$P/$1.p12" -d "sql:$W/nss" -W test >/dev/null
  local subj="CN=World signer $1,O=eseal world corpus,C=DE"
  (cd "$W" && MOZILLA_CERTIFICATE_FOLDER="sql:$W/nss" timeout 180 soffice --headless \
     "-env:UserInstallation=file://$W/profile" \
     --convert-to "pdf:writer_pdf_Export:{\"SignPDF\":{\"type\":\"boolean\",\"value\":\"true\"},\"SignCertificateSubjectName\":{\"type\":\"string\",\"value\":\"$subj\"}}" \
     --outdir "$W/out-$1" doc.txt)
  grep -aq ByteRange "$W/out-$1/doc.pdf" || { echo "LibreOffice wrote no signature with $1" >&2; return 1; }
  mv "$W/out-$1/doc.pdf" "$O/writer-$1.pdf"
  python3 - "$O/writer-$1.pdf" "$1" "$2" <<'PY'
import json, os, sys
f, key, label = sys.argv[1:4]
out = os.environ["WORLD_OUT"]
rec = {"file": os.path.relpath(f, out), "producer": "libreoffice", "variant": "clean",
       "how": f"soffice --headless --convert-to pdf:writer_pdf_Export with SignPDF and SignCertificateSubjectName "
              f"(LibreOffice {os.environ.get('LO_VERSION', '')}, NSS database from the corpus's {key}.p12)",
       "signatures": [{"algorithm": label, "expected": "valid", "signer": key, "root": f"roots/{key}.pem"}], "tamper": True}
open(os.path.join(out, "parts", "libreoffice.jsonl"), "a").write(json.dumps(rec) + "\n")
PY
}
LO_VERSION="$(soffice --version 2>/dev/null | awk '{print $2; exit}')"
export LO_VERSION
sign rsa2048 RSA-2048/SHA-256
sign p384 ECDSA-P384/SHA-256 || echo "LibreOffice: no P-384 signature (see above)" >&2
