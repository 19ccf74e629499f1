#!/usr/bin/env python3
"""A durable task that always throws is retried with backoff and discarded; poison rows are
discarded at once; the other tasks keep running meanwhile.

    python3 Benchmarks/faults/durable_failing.py [--binary PATH]

The server runs with `--task-store tasks.db` (100 local workers, default configuration:
Sidekiq backoff, 1 s poll). Throughout the test a trickle of `POST
/durable-notification/<unique email>` (one every 50 ms) keeps ordinary tasks flowing.
  1. `POST /durable-failing/f1`: a task that throws on every run, stored with 3 attempts.
  2. Three poison rows inserted straight into `eventide_tasks` while the server runs (state
     'available'): kind `no_such_kind`; kind `durable_notification` with arguments `not json`;
     kind `durable_notification` with valid JSON of another shape (`{"mail": 42}`, as if the
     type had changed).
The script waits (bounded) for each to reach `discarded` and reads its row.

Pass when: the failing task is `discarded` with attempt 3 and three errors (attempts 1, 2, 3),
the gaps between its `errors[].at` fall in the backoff's window (Sidekiq:
n^4 + 15 + random(0..<10) x (n + 1) seconds with n = attempt - 1, plus up to 2 s for the 1 s poll);
each poison row is `discarded` after one attempt with an error naming the cause, still so a
few seconds later (no loop), and the server log has a line for each; the server's log has
the two retries and the final discard of the failing task; every trickle request was
answered 200 and its email is in log.txt. Takes about 1-1.5 min (the backoff).
"""
import argparse
import json
import os
import sqlite3
import threading
import time

import common
import durable

POISON = [
    ("unknown kind", "no_such_kind", b'{"email":"poison-1@example.com"}', "unknown task kind"),
    ("not JSON", "durable_notification", b"not json", "arguments do not decode"),
    ("wrong shape", "durable_notification", b'{"mail":42}', "arguments do not decode"),
]


def trickle(port, stop, answers, interval=0.05):
    n = 0
    while not stop.is_set():
        n += 1
        email = f"trickle-{n}@example.com"
        status, _, _ = durable.post(port, f"/durable-notification/{email}")
        answers[email] = status
        stop.wait(interval)


def insert_poison(db):
    now = int(time.time() * 1000)
    con = sqlite3.connect(db, timeout=10)
    ids = []
    try:
        with con:
            for _, kind, arguments, _ in POISON:
                cursor = con.execute(
                    "INSERT INTO eventide_tasks (kind, queue, arguments, state, priority, max_attempts, created_at, run_at) "
                    "VALUES (?, 'default', ?, ?, 0, 20, ?, ?)", (kind, arguments, durable.STATE_CODES["available"], now, now))
                ids.append(cursor.lastrowid)
    finally:
        con.close()
    return ids


def row(db, task_id):
    rows = durable.query(db, f"SELECT {durable.STATE_NAME}, attempt, max_attempts, errors, created_at FROM eventide_tasks WHERE id = ?",
                         (task_id,))
    if not rows:
        return None
    state, attempt, max_attempts, errors, created_at = rows[0]
    return {"state": state, "attempt": attempt, "max_attempts": max_attempts, "errors": json.loads(errors),
            "created_at": created_at}


def wait_state(db, task_id, state, timeout):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        r = row(db, task_id)
        if r and r["state"] == state:
            return r, time.monotonic() - start
        time.sleep(0.1)
    return row(db, task_id), None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--timeout", type=float, default=150.0, help="longest wait for the failing task's discard")
    args = parser.parse_args()

    server = common.Server(args.binary, extra=["--task-store", "tasks.db"])
    db = os.path.join(server.workdir, "tasks.db")
    ok = True
    stop = threading.Event()
    answers = {}
    feeder = threading.Thread(target=trickle, args=(server.port, stop, answers), daemon=True)
    feeder.start()
    try:
        status, _, body = durable.post(server.port, "/durable-failing/f1")
        failing = durable.query(db, "SELECT id FROM eventide_tasks WHERE kind = 'durable_failing'")
        print(f"POST /durable-failing/f1: {status} {body.decode(errors='replace').strip()}")
        if status != 200 or len(failing) != 1:
            print("FAIL: the failing task was not stored")
            ok = False
            return
        failing_id = failing[0][0]

        poison_ids = insert_poison(db)
        for (label, kind, arguments, expected), task_id in zip(POISON, poison_ids):
            r, took = wait_state(db, task_id, "discarded", 10)
            error = r["errors"][-1]["error"] if r and r["errors"] else ""
            good = took is not None and r["attempt"] == 1 and len(r["errors"]) == 1 and expected in error
            print(f"poison row {task_id} ({label}: kind {kind}, arguments {arguments!r}): "
                  + (f"discarded {took:.2f} s after the insert" if took is not None else f"NOT discarded in 10 s ({r})")
                  + f", attempt {r['attempt'] if r else '?'}, error: {error!r}")
            ok = ok and good

        r, took = wait_state(db, failing_id, "discarded", args.timeout)
        if took is None:
            print(f"FAIL: the failing task is not discarded after {args.timeout:.0f} s: {r}")
            ok = False
            return
        errors = r["errors"]
        times = [e["at"] for e in errors]
        print(f"failing task {failing_id}: discarded {took:.1f} s after the poison rows, attempt {r['attempt']} of "
              f"{r['max_attempts']}, {len(errors)} errors")
        for e in errors:
            print(f"  attempt {e['attempt']}: at +{(e['at'] - r['created_at']) / 1000:.3f} s after it was stored: {e['error']}")
        if r["attempt"] != 3 or [e["attempt"] for e in errors] != [1, 2, 3]:
            ok = False
        for attempt, (before, after) in enumerate(zip(times, times[1:]), start=1):
            n = attempt - 1  # Sidekiq counts retries from 0
            low = n ** 4 + 15
            high = low + 9 * (n + 1)
            gap = (after - before) / 1000
            inside = low <= gap <= high + 2
            print(f"  backoff after attempt {attempt}: {gap:.3f} s (Sidekiq window {low}-{high} s, +2 s poll slack): "
                  + ("ok" if inside else "OUTSIDE"))
            ok = ok and inside

        time.sleep(3)
        for task_id in poison_ids:
            r = row(db, task_id)
            if r["state"] != "discarded" or r["attempt"] != 1:
                print(f"FAIL: poison row {task_id} changed after its discard: {r}")
                ok = False
    finally:
        stop.set()
        feeder.join()
        drained = durable.wait_drained(db, timeout=30)
        logged, bad = durable.logged_emails(os.path.join(server.workdir, "log.txt"))
        answered = {e for e, s in answers.items() if s == 200}
        missing = answered - set(logged)
        non200 = len(answers) - len(answered)
        print(f"trickle: {len(answers)} requests, {len(answered)} answered 200, {non200} other; "
              f"{len(missing)} of them missing from log.txt, {sum(n - 1 for n in logged.values())} duplicates, "
              + (f"drained {drained:.2f} s after the trickle stopped" if drained is not None else "NOT drained in 30 s"))
        ok = ok and not missing and non200 == 0 and drained is not None and not bad

        log_text = open(server.stderr_path, errors="replace").read()
        lines = {
            "kind not registered": log_text.count("kind not registered"),
            "arguments do not decode": log_text.count("its arguments do not decode"),
            "will retry": log_text.count("durable task failed; will retry"),
            "discarded after its last attempt": log_text.count("discarded after its last attempt"),
        }
        print(f"server log lines: {lines}")
        for line in log_text.splitlines():
            if "discarded" in line or "will retry" in line:
                print(f"  {line[:300]}")
        ok = ok and lines["kind not registered"] == 1 and lines["arguments do not decode"] == 2 \
            and lines["will retry"] == 2 and lines["discarded after its last attempt"] == 1
        common.finish(server, ok)


if __name__ == "__main__":
    main()
