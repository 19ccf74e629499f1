#!/usr/bin/env bash
# Soak: moderate mixed load for SECONDS (default 300); the server's RSS must not grow.
#
#   Benchmarks/faults/soak.sh [SECONDS=300]
#
# wrk -t1 -c8 with mix.lua (15/16 GET /plaintext, 1/16 POST /send-notification/<email>).
# VmRSS is sampled every 10 s; the reference is the sample after a 30 s warm-up. Pass: final
# RSS <= 1.10 x warm-up RSS, no non-2xx response, and the server exits 0 on SIGTERM (all
# background tasks drained). log.txt's line count is reported.
set -uo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
binary=${EVENTIDE_BINARY:-$root/.build-faults/release/eventide-example}
seconds=${1:-300}
warmup=30
[ "$seconds" -gt "$warmup" ] || { echo "SECONDS must exceed the $warmup s warm-up" >&2; exit 2; }
[ -x "$binary" ] || { echo "$binary missing: swift build -c release --product eventide-example --scratch-path .build-faults" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }

workdir=$(mktemp -d /tmp/eventide-soak.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$binary" bench --host 127.0.0.1 --port "$port" --workdir "$workdir" --log-level warning 2>"$workdir/server.stderr" &
server=$!
for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$server/status"; }
echo "idle RSS: $(rss) KiB"

wrk -t1 -c8 -d"${seconds}s" --timeout 5s -s mix.lua "http://127.0.0.1:$port" >"$workdir/wrk.out" 2>&1 &
wrk_pid=$!
start=$(date +%s)
warm=""
samples=""
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 10
    elapsed=$(( $(date +%s) - start ))
    r=$(rss)
    samples="$samples $elapsed:$r"
    if [ -z "$warm" ] && [ "$elapsed" -ge "$warmup" ]; then warm=$r; echo "warm-up RSS (${elapsed} s): $warm KiB"; fi
done
wait "$wrk_pid"
final=$(rss)
kill -TERM "$server"
wait "$server"
status=$?
lines=$(wc -l <"$workdir/log.txt" 2>/dev/null || echo 0)
echo "RSS samples (s:KiB):$samples"
echo "final RSS: $final KiB, warm-up RSS: $warm KiB, ratio $(python3 -c "print(f'{$final/$warm:.3f}')")"
echo "wrk: $(grep -E 'requests in' "$workdir/wrk.out" | xargs); $(grep -E 'Requests/sec' "$workdir/wrk.out" | xargs)"
echo "wrk: $(grep -E 'Socket errors|Non-2xx' "$workdir/wrk.out" | xargs)"
echo "log.txt lines: $lines; server exit status: $status"
if [ "$status" -eq 0 ] && [ "$final" -le $(( warm * 110 / 100 )) ] && ! grep -q "Non-2xx" "$workdir/wrk.out"; then
    echo "PASS"
    rm -rf "$workdir"
    exit 0
fi
echo "FAIL (workdir kept: $workdir)"
exit 1
