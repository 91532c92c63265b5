#!/usr/bin/env bash
# Crash test of `eseal serve`: a sealing load from 4 clients, SIGKILL of the server by its PID
# in the middle of it, a restart on the same data, then proof that every sealing the client saw
# acknowledged is in the database (GET /v1/sealings/{id}, same file hash) and in the audit log
# (inclusion proof against a signed tree head, consistency proof from the head before the
# crash). The driver is api/tests/service_crash.rs; it only kills the server it started.
#
#   scripts/crash-test.sh                     # SQLite
#   ESEAL_CRASH_DB=postgres DATABASE_URL=postgres://127.0.0.1:5432/test scripts/crash-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p eseal-api --bin eseal
ESEAL_BIN="$CARGO_TARGET_DIR/release/eseal" \
    cargo test --release -q -p eseal-api --test service_crash -- --ignored --nocapture 2>&1 \
    | grep -v '^running\|^$'
