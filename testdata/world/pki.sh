#!/usr/bin/env bash
# pki.sh OUTDIR - the corpus's own test PKI, made with openssl (nothing fetched, nothing shared).
# One self-signed root and one signer per algorithm, each root -> leaf directly:
#   rsa1024 (root and leaf certificates signed with SHA-1: the weak cases), rsa2048, rsa2048b
#   (a second RSA signer, for two-signature files: NSS rejects one certificate signing twice),
#   rsa3072, rsa4096, p384, p521, ed25519, and a TSA (RSA-2048, EKU timeStamping) under rsa2048.
# Each leaf: NAME.key (PKCS#8 PEM, no password), NAME.pem, NAME.p12 (password "test"),
# NAME-chain.pem (leaf + root). Roots: roots/NAME.pem, all in roots/all.pem; empty CRLs
# roots/NAME.crl, all in roots/crls.pem. Leaves carry EKU emailProtection and a
# CRL URL on 127.0.0.1 (pdfsig needs both; nothing is ever fetched), no OCSP URL.
set -euo pipefail
OUT="${1:?usage: pki.sh OUTDIR}"
mkdir -p "$OUT/roots"
cd "$OUT"
DAYS=3650
export WROOT=none   # ext.cnf names $ENV::WROOT; leaf() sets it
cat > ext.cnf <<'CNF'
[ root_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
# never fetched by anyone; NSS (pdfsig -no-ocsp) says "Unknown issue with Certificate" for a leaf
# without a CRL distribution point, even when the issuer's CRL is loaded
crlDistributionPoints = URI:http://127.0.0.1:8091/world-$ENV::WROOT.crl
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF

genkey() { # name algo
  case "$2" in
    rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$1.key" 2>/dev/null ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
  esac
}
mdopt() { case "$1" in ed25519) ;; *) echo "-$2" ;; esac; }

root() { # name algo md
  genkey "root-$1" "$2"
  # shellcheck disable=SC2046
  openssl req -new -x509 -key "root-$1.key" $(mdopt "$2" "$3") -days $DAYS -set_serial "0x$(openssl rand -hex 8)" \
    -subj "/C=DE/O=eseal world corpus/CN=World Root $1" -extensions root_ext -config <(cat ext.cnf; printf '[req]\ndistinguished_name=dn\n[dn]\n') \
    -out "roots/$1.pem"
  # an empty CRL, so a verifier that wants revocation evidence for the leaves has it
  mkdir -p "db-$1"; : > "db-$1/index.txt"; echo 1000 > "db-$1/crlnumber"
  printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db-%s/index.txt\ncrlnumber=db-%s/crlnumber\ndefault_md=%s\ndefault_crl_days=365\ncrl_extensions=crl_ext\n[crl_ext]\nauthorityKeyIdentifier=keyid:always\n' \
    "$1" "$1" "${3:-sha256}" > "ca-$1.cnf"
  # shellcheck disable=SC2046
  openssl ca -gencrl -config "ca-$1.cnf" -keyfile "root-$1.key" -cert "roots/$1.pem" $([ "$2" = ed25519 ] && echo -md null) \
    -out "roots/$1.crl" 2>/dev/null
}

leaf() { # name algo md rootname [ext]
  genkey "$1" "$2"
  openssl req -new -key "$1.key" -subj "/C=DE/O=eseal world corpus/CN=World signer $1" -out "$1.csr" 2>/dev/null
  # shellcheck disable=SC2046
  WROOT="$4" openssl x509 -req -in "$1.csr" -CA "roots/$4.pem" -CAkey "root-$4.key" $(mdopt "$2" "$3") -days $((DAYS - 10)) \
    -set_serial "0x$(openssl rand -hex 8)" -extfile ext.cnf -extensions "${5:-leaf_ext}" -out "$1.pem" 2>/dev/null
  cat "$1.pem" "roots/$4.pem" > "$1-chain.pem"
  openssl pkcs12 -export -inkey "$1.key" -in "$1.pem" -certfile "roots/$4.pem" -passout pass:test \
    -name "$1" -out "$1.p12" 2>/dev/null
}

root rsa1024 rsa1024 sha1
root rsa2048 rsa2048 sha256
root rsa3072 rsa3072 sha256
root rsa4096 rsa4096 sha512
root p384 p384 sha384
root p521 p521 sha512
root ed25519 ed25519 ""
leaf rsa1024 rsa1024 sha1 rsa1024
leaf rsa2048 rsa2048 sha256 rsa2048
leaf rsa2048b rsa2048 sha256 rsa2048
leaf rsa3072 rsa3072 sha256 rsa3072
leaf rsa4096 rsa4096 sha512 rsa4096
leaf p384 p384 sha384 p384
leaf p521 p521 sha512 p521
leaf ed25519 ed25519 "" ed25519
leaf tsa rsa2048 sha256 rsa2048 tsa_ext
cat roots/*.pem > roots/all.pem.tmp && mv roots/all.pem.tmp roots/all.pem
cat roots/*.crl > roots/crls.pem
rm -f ./*.csr
