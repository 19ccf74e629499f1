#!/usr/bin/env python3
"""Retention under steady load: completed durable tasks are deleted once they are older than
`--keep-completed`, so the store's row count and its files (tasks.db + tasks.db-wal) stop
growing (issue 15, rule 10).

    python3 Benchmarks/faults/durable_retention.py [--minutes 4] [--keep 20] [--connections 16]

The server runs with `--task-store tasks.db --keep-completed KEEP` (synchronous=FULL, 100
local workers; retention is checked once a minute by the workers). The load is back-to-back
rounds of `wrk -t1 -cN -d10s -s Benchmarks/wrk/notify.lua URL -- /durable-notification/rK-`
(distinct emails: the round number is in the prefix) for the whole duration. After each
round (every ~10 s) a sample: sizes of tasks.db and tasks.db-wal, rows by state, the highest
id stored so far (sqlite_sequence), page_count / freelist_count, the age of the oldest
completed row (all read-only: Python's sqlite3 with `?mode=ro`, one short query each), and
the 2xx answered so far.

Pass when, for every sample after the warm-up (default 120 s = keep + one cleanup interval +
~40 s):
  - rows <= the tasks stored in the last (keep + 60 + slack) seconds (interpolated from the
    samples' highest id; slack 10 s: sampling and the 1 s poll). A completed row may live at
    most keep + 60 s (deleted at the first cleanup after it is keep old), so nothing older
    may remain;
  - the files plateau: max(db + wal) over the last third of the run <= 1.15 x max over the
    middle third. Each third (80 s at 4 min) spans more than one 60 s cleanup cycle, so each
    holds a cycle's peak; a store that kept its deleted rows' pages (or one with no
    retention) grows with the tasks stored, which makes that ratio ~1.5 at a steady rate.
    The files hold the most rows the store ever held (SQLite reuses freed pages but does not
    give them back) plus a WAL as large as its largest transaction (a cleanup's delete), so
    when the rate, and with it the peak row count, rose on a shared machine, the same ratio
    of bytes per peak row counts instead (it would rise, too, if freed pages were not reused);
    the load is paced (`--delay-ms`, notify_paced.lua) to keep the rate steady;
and no non-2xx and no socket errors from wrk, and after the load every 2xx task ran
(log.txt lines >= 2xx answered, once nothing is pending).
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

import common
import durable

NOTIFY_LUA = os.path.join(common.ROOT, "Benchmarks", "wrk", "notify.lua")
PACED_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notify_paced.lua")
CLEANUP_INTERVAL = 60  # seconds: QueueRunner.cleanUpIfDue


def wrk_round(port, connections, seconds, prefix, delay_ms):
    """One wrk run; returns its WRK_JSON summary (from Benchmarks/wrk/report.lua)."""
    script, extra = (PACED_LUA, [str(delay_ms)]) if delay_ms > 0 else (NOTIFY_LUA, [])
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script,
         f"http://127.0.0.1:{port}", "--", prefix, *extra],
        capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"^WRK_JSON (\{.*\})$", out.stdout, re.M)
    if not m:
        sys.exit(f"wrk printed no WRK_JSON (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(m.group(1))


def sample(db):
    """One read-only look at the store: a short transaction per query."""
    size = lambda p: os.path.getsize(p) if os.path.exists(p) else 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        states = dict(con.execute(f"SELECT {durable.STATE_NAME}, count(*) FROM eventide_tasks GROUP BY state").fetchall())
        seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'eventide_tasks'").fetchone()
        oldest = con.execute(
            "SELECT min(finished_at) FROM eventide_tasks WHERE state = ? AND finished_at IS NOT NULL",
            (durable.STATE_CODES["completed"],)).fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    now_ms = time.time() * 1000
    return {
        "db": size(db), "wal": size(db + "-wal"), "states": states, "rows": sum(states.values()),
        "stored": seq[0] if seq else 0, "oldest_age": (now_ms - oldest) / 1000 if oldest else None,
        "pages": pages, "free": free, "page_size": page_size,
    }


def stored_at(samples, t):
    """Highest id stored at time t, interpolated between samples (0 before the load)."""
    if t <= 0:
        return 0
    previous = (0.0, 0)
    for s in samples:
        if s["t"] >= t:
            t0, n0 = previous
            if s["t"] == t0:
                return s["stored"]
            return n0 + (s["stored"] - n0) * (t - t0) / (s["t"] - t0)
        previous = (s["t"], s["stored"])
    return previous[1]


def mib(n):
    return n / (1024 * 1024)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--keep", type=int, default=20, help="--keep-completed seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--interval", type=int, default=10, help="seconds per wrk round = sampling period")
    parser.add_argument("--delay-ms", type=int, default=4,
                        help="pause before each request on each connection (notify_paced.lua); 0: unpaced notify.lua")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds before the row bound is checked")
    parser.add_argument("--slack", type=float, default=10.0, help="seconds added to keep + 60 for the row bound")
    parser.add_argument("--plateau", type=float, default=1.15, help="last third's max / middle third's max")
    args = parser.parse_args()

    duration = args.minutes * 60
    window = args.keep + CLEANUP_INTERVAL + args.slack
    server = common.Server(args.binary, extra=["--task-store", "tasks.db", "--keep-completed", str(args.keep)])
    db = os.path.join(server.workdir, "tasks.db")
    print(f"server pid {server.pid} port {server.port} workdir {server.workdir}; --keep-completed {args.keep}; "
          f"load: wrk -t1 -c{args.connections} -d{args.interval}s rounds for {duration:.0f} s, "
          f"{args.delay_ms} ms pause before each request")
    ok = True
    try:
        samples = []
        ok2xx = non2xx = socket_errors = timeouts = 0
        start = time.monotonic()
        round_no = 0
        header = (f"{'t s':>6} {'2xx':>9} {'req/s':>6} {'stored':>9} {'rows':>8} {'done':>8} {'pend':>5} "
                  f"{'bound':>8} {'oldest s':>8} {'db MiB':>7} {'wal MiB':>7} {'sum MiB':>7} {'pages':>7} "
                  f"{'free':>6} {'B/peak':>6} {'p99 ms':>7} {'max ms':>7} {'t/o':>3}")
        print(header)
        while time.monotonic() - start < duration:
            round_no += 1
            summary = wrk_round(server.port, args.connections, args.interval, f"/durable-notification/r{round_no}-",
                                args.delay_ms)
            e = summary["errors"]
            ok2xx += summary["requests"] - e["status"]
            non2xx += e["status"]
            socket_errors += e["connect"] + e["read"] + e["write"]
            timeouts += e["timeout"]
            s = sample(db)
            s.update(t=time.monotonic() - start, ok2xx=ok2xx,
                     rate=(summary["requests"]) / (summary["duration_us"] / 1e6),
                     p99=summary["latency_us"]["p99"] / 1000, max=summary["latency_us"]["max"] / 1000,
                     timeouts=e["timeout"])
            samples.append(s)
            # The files hold the most rows the store ever held (their pages are reused, not
            # returned) plus a WAL as large as the largest transaction (a cleanup's delete):
            # bytes per peak row stays flat when deleted rows' space is reused.
            s["peak_rows"] = max(x["rows"] for x in samples)
            s["per_peak_row"] = (s["db"] + s["wal"]) / s["peak_rows"] if s["peak_rows"] else 0
            s["bound"] = s["stored"] - stored_at(samples, s["t"] - window)
            pending = sum(v for k, v in s["states"].items() if k in durable.PENDING_STATES)
            oldest = f"{s['oldest_age']:.1f}" if s["oldest_age"] is not None else "-"
            print(f"{s['t']:6.1f} {ok2xx:9d} {s['rate']:6.0f} {s['stored']:9d} {s['rows']:8d} "
                  f"{s['states'].get('completed', 0):8d} {pending:5d} {s['bound']:8.0f} {oldest:>8} "
                  f"{mib(s['db']):7.1f} {mib(s['wal']):7.1f} {mib(s['db'] + s['wal']):7.1f} {s['pages']:7d} "
                  f"{s['free']:6d} {s['per_peak_row']:6.0f} {s['p99']:7.1f} {s['max']:7.1f} {s['timeouts']:3d}", flush=True)
            if not server.alive():
                print("server died")
                ok = False
                break
        elapsed = time.monotonic() - start

        drained = durable.wait_drained(db, timeout=60)
        with open(os.path.join(server.workdir, "log.txt"), "rb") as f:
            lines = sum(1 for _ in f)
        final = sample(db)

        rate = samples[-1]["stored"] / samples[-1]["t"]
        late = [s for s in samples if s["t"] >= args.warmup]
        over = [s for s in late if s["rows"] > s["bound"]]
        middle = [s for s in samples if duration / 3 < s["t"] <= 2 * duration / 3]
        last = [s for s in samples if s["t"] > 2 * duration / 3]
        total = lambda s: s["db"] + s["wal"]
        middle_max = max(map(total, middle)) if middle else 0
        last_max = max(map(total, last)) if last else 0
        ratio = last_max / middle_max if middle_max else float("inf")
        per_row = lambda part: max(s["per_peak_row"] for s in part) if part else 0
        per_row_ratio = per_row(last) / per_row(middle) if per_row(middle) else float("inf")
        rate_of = lambda part: ((part[-1]["stored"] - part[0]["stored"]) / (part[-1]["t"] - part[0]["t"])
                                if len(part) > 1 else 0)
        peak = lambda part: max(s["peak_rows"] for s in part) if part else 0
        oldest_late = max((s["oldest_age"] or 0) for s in late) if late else None

        print()
        print(f"load: {elapsed:.0f} s, {ok2xx} 2xx, {non2xx} non-2xx, {socket_errors} socket errors, {timeouts} timeouts; "
              f"{samples[-1]['stored']} tasks stored, {rate:.0f} tasks/s on average")
        print(f"rows after {args.warmup:.0f} s: max {max((s['rows'] for s in late), default=0)} "
              f"(bound: tasks stored in the last keep {args.keep} + {CLEANUP_INTERVAL} + slack {args.slack:.0f} = "
              f"{window:.0f} s, {min((s['bound'] for s in late), default=0):.0f}-{max((s['bound'] for s in late), default=0):.0f}; "
              f"average rate x window = {rate * window:.0f}); samples over the bound: {len(over)}")
        if oldest_late is not None:
            print(f"oldest completed row after {args.warmup:.0f} s: {oldest_late:.1f} s old at most "
                  f"(keep {args.keep} + {CLEANUP_INTERVAL} = {args.keep + CLEANUP_INTERVAL} s)")
        print(f"db + wal: max {mib(middle_max):.1f} MiB in the middle third, {mib(last_max):.1f} MiB in the last third: "
              f"ratio {ratio:.3f}; tasks/s {rate_of(middle):.0f} in the middle third, {rate_of(last):.0f} in the last")
        print(f"db + wal per peak row: max {per_row(middle):.0f} B in the middle third, {per_row(last):.0f} B in the last "
              f"third: ratio {per_row_ratio:.3f} (pass <= {args.plateau} for both ratios; the per-row one alone "
              f"when the peak rows rose with the rate, see the docstring)")
        print(f"after the load: drained in {drained if drained is None else round(drained, 2)} s; "
              f"log.txt {lines} lines for {ok2xx} 2xx; store {final['rows']} rows {final['states']}, "
              f"db {mib(final['db']):.1f} MiB, wal {mib(final['wal']):.1f} MiB, "
              f"{final['pages']} pages of {final['page_size']} B, {final['free']} free")

        checks = {
            "row count bounded after the warm-up": bool(late) and not over,
            f"db + wal plateau (last third max <= {args.plateau} x middle third max, in bytes or per peak row)":
                bool(middle and last) and (ratio <= args.plateau or (per_row_ratio <= args.plateau and
                                                                     peak(last) > peak(middle))),
            "no non-2xx, no socket errors": non2xx == 0 and socket_errors == 0,
            "every 2xx task ran (log.txt lines >= 2xx)": drained is not None and lines >= ok2xx,
        }
        for name, passed in checks.items():
            print(f"  {'ok  ' if passed else 'FAIL'} {name}")
        ok = ok and all(checks.values())
    except BaseException:
        ok = False
        raise
    finally:
        common.finish(server, ok)


if __name__ == "__main__":
    main()
