#!/usr/bin/env bash
# Load test of `eseal serve`: starts the release build on 127.0.0.1 (a free port) with a
# temporary data folder, drives concurrent sealing (100 KB licence) and then verification
# requests for a bounded time with wrk (the driver is api/tests/service_load.rs, the
# request script scripts/load/post-pdf.lua), prints throughput and latency percentiles and,
# measured in the same run, the raw limit (SHA-256 of the document plus one P-256 signature,
# on every core at once). Stops only the server it started.
#
#   scripts/load-test.sh            # 20 s of sealing, 10 s of verification, 32 connections
#   ESEAL_LOAD_SECS=60 ESEAL_LOAD_CONNECTIONS=64 scripts/load-test.sh
#   ESEAL_LOAD_POSTGRES=postgres://postgres@127.0.0.1:5432 scripts/load-test.sh   # a fresh database there
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "load-test: needs wrk (apt-get install wrk)" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p eseal-api --bin eseal
cargo test --release -q -p eseal-api --test service_load --no-run
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
STORE=(); DBNAME=""
if [ -n "${ESEAL_LOAD_POSTGRES:-}" ]; then
    DBNAME="eseal_load_$$"
    psql "$ESEAL_LOAD_POSTGRES/postgres" -qc "CREATE DATABASE $DBNAME"
    STORE=(--database "$ESEAL_LOAD_POSTGRES/$DBNAME")
fi
echo "store: ${STORE[*]:-SQLite in $DATA}"
ESEAL_KEY_PASSPHRASE= "$CARGO_TARGET_DIR/release/eseal" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    "${STORE[@]}" >"$DATA/serve.log" 2>&1 &
PID=$!
cleanup() {
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -rf "$DATA"
    [ -z "$DBNAME" ] || psql "$ESEAL_LOAD_POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$DATA/serve.log"; exit 1; }
    sleep 0.2
done
ESEAL_URL="http://127.0.0.1:$PORT" ESEAL_KEY="$(cat "$DATA/demo-admin.key")" \
    cargo test --release -q -p eseal-api --test service_load -- --ignored --nocapture 2>&1 \
    | grep -v '^running\|^test \|^$\|test result'
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^eseal_(seals_applied|verifications)_total'
