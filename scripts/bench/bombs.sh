#!/usr/bin/env bash
# What the bombs of testdata/make-bombs.py cost eseal (release build): for each, the exit code,
# seconds and peak RSS of `eseal verify` (the bar of issue 14: under 5 s and 256 MB each).
#
# With --service it also starts `eseal serve` on 127.0.0.1 (a free port, a temporary data
# folder), issues a demo licence, and posts each bomb (made from that licence) anonymously to
# the licence's compare route `POST /v/{identifier}` twice in parallel while probing
# GET /healthz every 20 ms: the worst /healthz latency, the answers, and the server's peak RSS
# (sampled VmRSS during the bomb; VmHWM over the whole run at the end). Stops only the server
# it started.
#
#   scripts/bench/bombs.sh             # the CLI
#   scripts/bench/bombs.sh --service   # the CLI, then the service
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICE=0
case "${1:-}" in
    --service) SERVICE=1 ;;
    "") ;;
    *) echo "usage: $0 [--service]" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || { echo "bombs: needs python3" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bombs: needs GNU time (/usr/bin/time)" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p eseal-api --bin eseal
ESEAL="$CARGO_TARGET_DIR/release/eseal"
WORK="$(mktemp -d)"
PID=""
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export ESEAL_KEY_PASSPHRASE=bench-passphrase

# A sealed one-page document, made as the CLI tests make theirs.
(
    cd "$WORK"
    "$ESEAL" ca init --dir prov --name "Bench Province Root CA" --alg p256 >/dev/null
    "$ESEAL" ca sub --dir county --parent prov --name "Bench County CA" >/dev/null
    "$ESEAL" cert issue --ca county --name "Bench County Market Regulation" \
        --uscc 91350100M000100Y43 --out seal >/dev/null
    python3 - <<'EOF'
objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    b"<< /Length 44 >>\nstream\nBT /Helvetica 24 Tf 72 760 Td (bench) Tj ET\nendstream",
]
out = bytearray(b"%PDF-1.7\n")
offsets = []
for num, body in enumerate(objects, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
at = len(out)
out += b"xref\n0 5\n0000000000 65535 f\r\n" + b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % at
open("in.pdf", "wb").write(out)
EOF
    "$ESEAL" sign --in in.pdf --out signed.pdf --key seal.key --cert seal.pem \
        --chain seal.chain.pem --name bench >/dev/null 2>&1
)
python3 testdata/make-bombs.py "$WORK/bombs" --signed "$WORK/signed.pdf" >/dev/null

echo "eseal verify (release), each bomb appended to a sealed file"
printf '%-24s %8s %5s %8s %9s  %s\n' bomb "size KB" exit seconds "peak MB" "refused because"
for f in "$WORK"/bombs/*.pdf; do
    set +e
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$ESEAL" verify "$f" --trust "$WORK/prov/ca.pem" \
        >/dev/null 2>"$WORK/err"
    code=$?
    set -e
    read -r secs kb < <(tail -1 "$WORK/time")
    why="$(grep -o 'too costly to read: [^;]*' "$WORK/err" | sed 's/too costly to read: //' || true)"
    printf '%-24s %8d %5d %8.2f %9.1f  %s\n' "$(basename "$f")" $(($(stat -c %s "$f") / 1024)) \
        "$code" "$secs" "$(echo "$kb / 1024" | bc -l)" "${why:-$(tail -1 "$WORK/err")}"
done

[ "$SERVICE" = 1 ] || exit 0

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
"$ESEAL" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
    curl -sf "$URL/healthz" >/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
    sleep 0.2
done
"$ESEAL" licence new --server "$URL" --key-file "$WORK/data/demo-admin.key" \
    --holder-name 福州示例科技有限公司 --holder-code 91350100M000100Y43 \
    --out "$WORK/licence.pdf" >/dev/null
IDENT="$("$ESEAL" licence info "$WORK/licence.pdf" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["identifier"])')"
python3 testdata/make-bombs.py "$WORK/licence-bombs" --signed "$WORK/licence.pdf" >/dev/null

echo
echo "eseal serve (release): each bomb appended to licence $IDENT, posted twice at once to"
echo "POST /v/$IDENT while GET /healthz is probed every 20 ms"
python3 - "$URL" "$IDENT" "$PID" "$WORK"/licence-bombs/*.pdf <<'EOF'
import sys, threading, time, urllib.error, urllib.request

url, ident, pid, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def status_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0

def post(body, out):
    req = urllib.request.Request(f"{url}/v/{ident}", data=body, method="POST",
                                 headers={"Content-Type": "application/pdf",
                                          "Accept": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            out.append((r.status, time.monotonic() - t0))
    except urllib.error.HTTPError as e:
        out.append((e.code, time.monotonic() - t0))
    except Exception as e:  # a dropped connection is an answer too
        out.append((type(e).__name__, time.monotonic() - t0))

print(f"{'bomb':<24} {'answers':<12} {'seconds':>8} {'worst /healthz ms':>18} {'peak MB':>8}")
for path in files:
    body = open(path, "rb").read()
    answers = []
    workers = [threading.Thread(target=post, args=(body, answers)) for _ in range(2)]
    worst, peak = 0.0, 0
    t0 = time.monotonic()
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        p0 = time.monotonic()
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=60).read()
        except Exception:
            pass
        worst = max(worst, time.monotonic() - p0)
        peak = max(peak, status_kb("VmRSS"))
        time.sleep(0.02)
    for w in workers:
        w.join()
    name = path.rsplit("/", 1)[-1]
    codes = ",".join(str(a[0]) for a in answers)
    print(f"{name:<24} {codes:<12} {time.monotonic() - t0:8.2f} {worst * 1000:18.1f} {peak / 1024:8.1f}")
print(f"server peak RSS over the run (VmHWM): {status_kb('VmHWM') / 1024:.1f} MB")
EOF
