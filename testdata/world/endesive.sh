#!/usr/bin/env bash
# endesive.sh - the endesive producer: a venv of its own under $WORLD_CACHE (pinned: endesive 3.0.1,
# pypdf 5.9.0; made once, kept between runs), then endesive_sign.py in it.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
V="$WORLD_CACHE/endesive-venv"
PINS="endesive==3.0.1 pypdf==5.9.0"
if [ "$(cat "$V/pins" 2>/dev/null)" != "$PINS" ]; then
  rm -rf "$V"
  python3 -m venv "$V"
  # shellcheck disable=SC2086
  "$V/bin/pip" install -q --disable-pip-version-check $PINS
  echo "$PINS" > "$V/pins"
fi
"$V/bin/python" "$HERE/endesive_sign.py"
