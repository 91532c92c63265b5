#!/usr/bin/env bash
# Property-based API test with schemathesis (PyPI) against /openapi.json: starts `eseal serve`
# on 127.0.0.1 with a temporary data folder, authenticates with the demo admin key, and fails
# on any server error (5xx). The venv lives under target/. Stops only the server it started.
#
#   scripts/schemathesis.sh              # ESEAL_ST_EXAMPLES (default 25) examples per operation
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
VENV="$CARGO_TARGET_DIR/schemathesis-venv"
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q schemathesis
fi
cargo build -q -p eseal-api --bin eseal
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ESEAL_KEY_PASSPHRASE= "$CARGO_TARGET_DIR/debug/eseal" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    >"$DATA/serve.log" 2>&1 &
PID=$!
cleanup() {
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$DATA/serve.log"; exit 1; }
    sleep 0.2
done
KEY="$(cat "$DATA/demo-admin.key")"
status=0
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts" \
    "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
    --header "Authorization: Bearer $KEY" \
    --checks not_a_server_error \
    --max-examples "${ESEAL_ST_EXAMPLES:-25}" \
    --request-timeout 60 || status=$?
if grep -q ' 500 \|panicked' "$DATA/serve.log"; then
    echo "server log shows errors:"; grep -n 'ERROR\|panicked' "$DATA/serve.log" | head -20
fi
exit $status
