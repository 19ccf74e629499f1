#!/usr/bin/env bash
# One round of in-process /send-notification against durable /durable-notification
# (SQLite, synchronous=FULL, the server's own workers): requests/s, p99, server CPU per
# request (utime+stime from /proc over completed requests) and how many tasks were written
# 2.5 s after the load. Server on core 0, wrk on core 1, as Benchmarks/run.py pins them.
#
#   BIN=.build/release/eventide-example bash Benchmarks/durable_vs_inprocess.sh
#
# A first look, not the issue's benchmark: run it several times and take medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/eventide-example}
PORT=${PORT:-18200}
for route in /send-notification/ /durable-notification/; do
    workdir=$(mktemp -d)
    taskset -c 0 "$BIN" bench --port "$PORT" --workdir "$workdir" --task-store tasks.db --log-level warning > "$workdir/server.log" 2>&1 &
    pid=$!
    sleep 1
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    out=$(taskset -c 1 wrk -t1 -c64 -d5s --latency -s Benchmarks/wrk/notify.lua "http://127.0.0.1:$PORT" -- "$route" 2>&1)
    read -r u2 s2 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    requests=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p99=$(echo "$out" | awk '/ 99%/{print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
    sleep 2.5
    lines=$(wc -l < "$workdir/log.txt")
    kill -TERM "$pid"
    wait "$pid" || true
    ticks=$(( (u2 + s2) - (u1 + s1) ))
    cpu=$(python3 -c "print(round($ticks * 1e6 / $(getconf CLK_TCK) / $requests, 2))")
    echo "$route rps=$rps p99=$p99 requests=$requests non2xx=${non2xx:-0} cpu_us_per_request=$cpu tasks_written_2.5s_after=$lines"
    rm -rf "$workdir"
done
