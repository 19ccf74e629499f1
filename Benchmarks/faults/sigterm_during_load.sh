#!/usr/bin/env bash
# SIGTERM during load: every request answered 2xx must have its background task's line
# written, and the server must exit 0 (drain complete).
#
#   Benchmarks/faults/sigterm_during_load.sh [DURATION=10] [SIGNAL_AFTER=5]
#
# Starts `eventide-example bench` with a fresh workdir, runs
#   wrk -t1 -c64 -d10s -s notify.lua   (POST /send-notification/<distinct email>)
# and sends SIGTERM to the server 5 s in. Reports wrk's 2xx count (counted in Lua's
# response() hook), the server's exit status and `wc -l log.txt`. Pass: exit status 0 and
# log lines >= 2xx responses (lines may exceed it by the requests answered but whose response
# wrk never read; never fewer). Bounded: the server's --shutdown-timeout is 20 s.
set -uo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
binary=${EVENTIDE_BINARY:-$root/.build-faults/release/eventide-example}
duration=${1:-10}
signal_after=${2:-5}
[ -x "$binary" ] || { echo "$binary missing: swift build -c release --product eventide-example --scratch-path .build-faults" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }

workdir=$(mktemp -d /tmp/eventide-sigterm.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$binary" bench --host 127.0.0.1 --port "$port" --workdir "$workdir" --log-level warning \
    --shutdown-timeout 20 2>"$workdir/server.stderr" &
server=$!
for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

wrk -t1 -c64 -d"${duration}s" -s notify.lua "http://127.0.0.1:$port" >"$workdir/wrk.out" 2>&1 &
wrk_pid=$!
sleep "$signal_after"
term_at=$(date +%s.%N)
kill -TERM "$server"
wait "$server"
status=$?
exit_at=$(date +%s.%N)
wait "$wrk_pid"

ok=$(grep -oE "wrk_2xx=[0-9]+" "$workdir/wrk.out" | cut -d= -f2)
bad=$(grep -oE "wrk_non2xx=[0-9]+" "$workdir/wrk.out" | cut -d= -f2)
lines=$(wc -l <"$workdir/log.txt" 2>/dev/null || echo 0)
distinct=$(sort -u "$workdir/log.txt" 2>/dev/null | wc -l)
echo "wrk: $(grep -E 'requests in' "$workdir/wrk.out" | xargs)"
echo "wrk: $(grep -E 'Socket errors' "$workdir/wrk.out" | xargs) (expected after the listener closes)"
echo "2xx responses counted by wrk:  ${ok:-?}   non-2xx: ${bad:-?}"
echo "log.txt lines (distinct):      $lines ($distinct)"
echo "server exit status:            $status ($(python3 -c "print(f'{$exit_at-$term_at:.2f}')") s after SIGTERM)"
grep -iE "error|unfinished|cancel" "$workdir/server.stderr" | head -5
if [ "$status" -eq 0 ] && [ -n "${ok:-}" ] && [ "$lines" -ge "$ok" ] && [ "$distinct" -eq "$lines" ] && [ "$ok" -gt 0 ]; then
    echo "PASS (log lines - 2xx = $((lines - ok)) answered but unread by wrk)"
    rm -rf "$workdir"
    exit 0
fi
echo "FAIL (workdir kept: $workdir)"
exit 1
