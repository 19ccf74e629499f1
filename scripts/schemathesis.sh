#!/usr/bin/env bash
# Schemathesis (PyPI) against `eventide-example openapi` on a live server (issue 17, section 2):
# every operation of Sources/EventideExample/openapi.yaml, fetched from the server itself at
# GET /openapi.yaml, with generated valid and invalid requests. Fails (non-zero) on
#   - any 5xx (not_a_server_error),
#   - a response whose status, content type or body the document does not declare,
#   - a 2xx whose background task did not write its log line: after the run the server is
#     stopped with SIGTERM (it drains its tasks, exit 0), and the log must hold one
#     "...: some notification" line per 2xx of POST /send-notification/{email} and the id
#     of every 2xx of POST /notifications, counted from schemathesis's HAR report.
# Usage: scripts/schemathesis.sh [path to eventide-example] (default: the debug build,
# built if missing). SCHEMATHESIS_EXAMPLES sets the examples per operation (default 200).
# Schemathesis leaves out the operation that serves the document it loaded (GET
# /openapi.yaml): the script checks that one itself, byte for byte against the file.
# The virtualenv is .venv-ci/ (git-ignored), made with python3 -m venv (python3-venv from
# apt when Debian's python3 lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-200}
BINARY=${1:-.build/debug/eventide-example}
VENV=.venv-ci

if [ ! -x "$BINARY" ]; then swift build --product eventide-example; fi

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BINARY" openapi --port 0 --workdir "$WORK" --log-level warning 2> "$WORK/server.log" &
SERVER_PID=$!
# --log-level warning keeps the per-request info lines out; the listening line is info, so
# the port is found by asking the kernel which port the process listens on.
PORT=
for _ in $(seq 100); do
    PORT=$(ss -ltnpH 2>/dev/null | awk -v pid="pid=$SERVER_PID," '$0 ~ pid { n = split($4, a, ":"); print a[n]; exit }')
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "schemathesis.sh: the server exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "schemathesis.sh: the server did not listen" >&2; exit 1; }
echo "schemathesis.sh: eventide-example openapi on 127.0.0.1:$PORT, $EXAMPLES examples per operation"

STATUS=0
# Run from the scratch directory: schemathesis keeps a cache (.schemathesis/) in the current one.
(cd "$WORK" && "$OLDPWD/$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.yaml" --url "http://127.0.0.1:$PORT" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "$EXAMPLES" --seed 17 --generation-database none --workers 1 --no-color \
    --report har --report-har-path "$WORK/run.har") || STATUS=$?

python3 - "http://127.0.0.1:$PORT/openapi.yaml" Sources/EventideExample/openapi.yaml <<'PY' || STATUS=1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1]) as response:
    served, kind = response.read(), response.headers["Content-Type"]
if served != open(sys.argv[2], "rb").read() or kind != "application/yaml":
    sys.exit(f"schemathesis.sh: FAIL: GET /openapi.yaml is not {sys.argv[2]} as application/yaml ({kind})")
print("schemathesis.sh: GET /openapi.yaml serves the generator's document byte for byte")
PY

kill -TERM "$SERVER_PID"
SERVER_STATUS=0
wait "$SERVER_PID" || SERVER_STATUS=$?
SERVER_PID=
if [ "$SERVER_STATUS" != 0 ]; then
    cat "$WORK/server.log"
    echo "schemathesis.sh: the server exited with $SERVER_STATUS (unfinished background tasks?)" >&2
    exit 1
fi
if [ "$STATUS" != 0 ]; then
    echo "schemathesis.sh: FAIL (exit $STATUS)" >&2
    exit "$STATUS"
fi

python3 - "$WORK/run.har" "$WORK/log.txt" <<'PY'
import json, sys
from urllib.parse import urlsplit

har, log_path = sys.argv[1], sys.argv[2]
entries = json.load(open(har))["log"]["entries"]
try:
    log = open(log_path, encoding="utf-8", errors="replace").read()
except FileNotFoundError:
    log = ""
sent, ids, statuses = 0, [], {}
for entry in entries:
    method, path = entry["request"]["method"], urlsplit(entry["request"]["url"]).path
    status = entry["response"]["status"]
    statuses[status] = statuses.get(status, 0) + 1
    if method != "POST" or not 200 <= status < 300:
        continue
    if path.startswith("/send-notification/"):
        sent += 1
    elif path == "/notifications":
        ids.append(json.loads(entry["response"]["content"]["text"])["id"])
written = log.count(": some notification\n")
missing = [i for i in ids if log.count(f"notification {i} for ") != 1]
print(f"schemathesis.sh: {len(entries)} requests, statuses {dict(sorted(statuses.items()))}")
print(f"schemathesis.sh: POST /send-notification 2xx: {sent}, lines written: {written}; "
      f"POST /notifications 2xx: {len(ids)}, ids not written exactly once: {len(missing)}")
if sent == 0 or not ids or written != sent or missing:
    sys.exit("schemathesis.sh: FAIL: a 2xx without its background task (or nothing accepted)")
print("schemathesis.sh: PASS: every 2xx ran its task")
PY
