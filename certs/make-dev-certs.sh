#!/usr/bin/env bash
# Makes a local development certificate authority and a certificate for localhost signed by it.
# Private keys are generated here and never committed (see .gitignore). Production uses any
# certificate and key files instead (see docs/configuration.md).
#
# Usage: certs/make-dev-certs.sh [OUTDIR]      (default: certs/out)
# Writes: OUTDIR/ca.pem ca.key localhost.pem localhost.key. Existing valid files are kept.
set -euo pipefail
out=${1:-"$(cd "$(dirname "$0")" && pwd)/out"}
mkdir -p "$out"
cd "$out"

if [[ -s ca.pem && -s localhost.pem && -s localhost.key ]] &&
    openssl x509 -checkend 86400 -noout -in localhost.pem >/dev/null 2>&1 &&
    openssl verify -CAfile ca.pem localhost.pem >/dev/null 2>&1; then
    echo "certs: $out already holds a valid development CA and localhost certificate"
    exit 0
fi

umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/O=ativa development/CN=ativa development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/O=ativa development/CN=localhost" -keyout localhost.key -out localhost.csr 2>/dev/null
cat >localhost.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
    -extfile localhost.ext -out localhost.pem 2>/dev/null
rm -f localhost.csr localhost.ext ca.srl
chmod 644 ca.pem localhost.pem
echo "certs: wrote development CA and localhost certificate to $out"
