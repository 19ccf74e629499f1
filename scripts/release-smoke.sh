#!/usr/bin/env bash
# Builds the release example exactly as `make run` does (`make build`: release, with the
# static Swift standard library; see the Makefile) and checks that the binary serves:
# GET /plaintext, POST /send-notification/{email} with its background task's line in
# log.txt, and a clean exit 0 on SIGTERM. The test suite runs debug builds, so without this
# CI would not notice a release build (optimizer, release-only code paths, the static link)
# that broke.
#
#   scripts/release-smoke.sh
#
# Bash only (its /dev/tcp), no curl. Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."

make build
binary=.build/release/eventide-example
workdir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT

"$binary" bench --host 127.0.0.1 --port 0 --workdir "$workdir" 2>"$workdir/server.log" &
server=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*address=127\.0\.0\.1:\([0-9]*\).*listening.*/\1/p' "$workdir/server.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "release smoke: the server did not start"; cat "$workdir/server.log"; exit 1; }

# Sends one request with Connection: close and prints the whole response.
request() {
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' "$1" "$2" >&3
    cat <&3
    exec 3<&-
}

fail() { echo "release smoke: $*"; cat "$workdir/server.log"; exit 1; }

plaintext=$(request GET /plaintext)
[[ $plaintext == "HTTP/1.1 200 OK"* && $plaintext == *"Hello, World!" ]] || fail "GET /plaintext answered: $plaintext"

notification=$(request POST /send-notification/smoke@example.com)
[[ $notification == "HTTP/1.1 200 OK"* ]] || fail "POST /send-notification answered: $notification"
for _ in $(seq 50); do
    grep -q "notification for smoke@example.com" "$workdir/log.txt" 2>/dev/null && break
    sleep 0.1
done
grep -q "notification for smoke@example.com" "$workdir/log.txt" || fail "the background task wrote no line"

kill -TERM "$server"
status=0
wait "$server" || status=$?
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
echo "release smoke: passed (port $port: /plaintext 200, notification 200 and its log line, exit 0 on SIGTERM)"
