#!/usr/bin/env python3
"""Restart, stop and crash PostgreSQL under load: the web process answers 503 while it is
down (never a 2xx without a commit), reconnects by itself, and nothing accepted is lost
(issue 16, "Fault tests").

    python3 Benchmarks/faults/pg_restart.py [--down 5] [--connections 32]

One PostgreSQL (Benchmarks/pgcluster.py: fsync=on, synchronous_commit=on), one web process
(`eventide-example bench --task-store postgres://... --local-workers 0`) and two worker
processes (`eventide-example worker --queues default:8`), each in its own work directory.
A Python client (durable.Load: which email got which answer, and when) POSTs
`/durable-notification/<unique email>` on `--connections` keep-alive connections
throughout. Three outages, 8 s of load before each and after the last:
- restart: `pg_ctl restart`-like fast stop (SIGINT: sessions cut, checkpoint) then start;
- stop: fast stop, `--down` seconds down, start;
- crash: SIGKILL of the postmaster (its backends stop; start runs crash recovery), `--down`
  seconds down, start.
Per outage: answers by status between the stop and the end of the start, the first 503 after
the stop, and the delay from PostgreSQL accepting connections again to the web process's
next 2xx. Then the script waits until no task is pending.

Pass when: every email answered 2xx is in eventide_tasks and in a log.txt (no 2xx without
a commit, nothing accepted lost); answers are only 200 or 503 (every 503 with Retry-After);
each outage produced 503s and the web process answered 2xx again within `--reconnect-limit`
seconds of PostgreSQL's start; every task `completed` in the end, none completed by a run
that was not its last claim (audit trigger); web and workers still running.
"""
import argparse
import sys
import time

import common
import pgfleet

LOAD_BETWEEN = 8.0  # seconds of load before each outage and after the last


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down (stop and crash)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--reconnect-limit", type=float, default=10.0,
                        help="seconds after PostgreSQL's start by which a 2xx must come again")
    parser.add_argument("--drain-timeout", type=float, default=90.0)
    parser.add_argument("--binary")
    args = parser.parse_args()
    binary = common.binary_path(args.binary)

    base = pgfleet.base_dir("eventide-pgrestart-")
    cluster = pgfleet.Cluster(max_connections=100)
    store = pgfleet.Store(cluster)
    print(f"{cluster.version}, fsync={cluster.settings_in_force('fsync')['fsync']}; work directories in {base}")
    web = pgfleet.start_web(binary, "web", store.url, f"{base}/web")
    store.install_audit()
    workers = [pgfleet.start_worker(binary, f"worker{i}", store.url, f"{base}/worker{i}") for i in (1, 2)]
    store.wait_registered([w.pid for w in workers])

    load = pgfleet.Load(web.port, "r", connections=args.connections)
    backlog = pgfleet.Backlog(store)
    backlog.start()
    start = time.monotonic()
    load.start()
    outages = []
    for kind in ("restart", "stop", "crash"):
        time.sleep(LOAD_BETWEEN)
        down_at = time.monotonic()
        if kind == "restart":
            cluster.stop("fast")
        elif kind == "stop":
            cluster.stop("fast")
            time.sleep(args.down)
        else:
            cluster.crash()
            time.sleep(args.down)
        stopped_at = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        outages.append({"kind": kind, "down": down_at, "stopped": stopped_at, "up": up_at})
        print(f"{kind}: down at +{down_at - start:.1f} s, accepting connections again at +{up_at - start:.1f} s",
              flush=True)
    time.sleep(LOAD_BETWEEN)
    load.stop()
    load.join()
    load_seconds = time.monotonic() - start
    alive = {p.name: p.alive() for p in [web, *workers]}

    drained = store.wait_idle(args.drain_timeout)
    backlog.stop()
    if drained is None:
        sessions = pgfleet.diagnose(store, f"{base}/diagnosis")
        print(f"not drained: sessions at the timeout (more in {base}/diagnosis):\n  " + "\n  ".join(sessions))
    states = store.states()

    answers, answered_at = load.answers, load.answered_at  # the load's thread has ended
    statuses = load.counts()
    ok_emails = {e for e, s in answers.items() if 200 <= s < 300}
    in_table = store.emails()
    logged, bad_lines = pgfleet.logged([p.workdir for p in [web, *workers]])
    not_in_table = ok_emails - in_table
    not_logged = ok_emails - set(logged)
    twice = sum(1 for n in logged.values() if n > 1)
    late = store.late_completions()
    not_completed = store.not_completed()
    without_retry_after = statuses.get(503, 0) - load.retry_after.get(503, 0)

    ok = True
    summary = [f"load: {load_seconds:.1f} s, {args.connections} connections: {sum(statuses.values())} answers, "
               f"statuses {dict(sorted(statuses.items()))} (503 without Retry-After: {without_retry_after}), "
               f"{len(load.unanswered)} requests without an answer (connection broke or load stopped), "
               f"{load.broken} connections broken, {load.connect_failures} connect failures"]
    for outage in outages:
        window = [(at, answers[e]) for e, at in answered_at.items() if outage["down"] <= at <= outage["up"]]
        by_status = {}
        for _, status in window:
            by_status[status] = by_status.get(status, 0) + 1
        first_503 = min((at for at, s in window if s == 503), default=None)
        # 2xx answered while no PostgreSQL process was left (after the stop/crash returned):
        # legitimate only for commits acknowledged just before, whose answers left late.
        while_down = sum(1 for at, s in window if 200 <= s < 300 and outage["stopped"] < at < outage["up"])
        after = [at for e, at in answered_at.items() if at > outage["up"] and 200 <= answers[e] < 300]
        back = min(after, default=None)
        reconnect = back - outage["up"] if back is not None else None
        summary.append(
            f"{outage['kind']}: down {outage['up'] - outage['down']:.1f} s (stop {outage['stopped'] - outage['down']:.1f} s, "
            f"start {outage['up'] - outage['stopped']:.1f} s); answers meanwhile {dict(sorted(by_status.items()))} "
            f"(2xx after PostgreSQL was gone: {while_down}); "
            "first 503 " + (f"{first_503 - outage['down']:.2f} s after the stop" if first_503 else "NONE")
            + "; 2xx again " + (f"{reconnect:.2f} s after PostgreSQL accepted connections" if reconnect is not None else "NEVER"))
        if first_503 is None or reconnect is None or reconnect > args.reconnect_limit:
            ok = False
    summary.append("drained " + (f"{drained:.1f} s after the load" if drained is not None else
                                 f"NOT within {args.drain_timeout:.0f} s") + f"; final states {states}; "
                   f"processes alive: {alive}")
    summary.append(f"2xx emails {len(ok_emails)}: not in eventide_tasks {len(not_in_table)}, not in any log.txt "
                   f"{len(not_logged)}; log lines {sum(logged.values())} ({bad_lines} unparsable), emails run twice "
                   f"{twice}; completions by a run that was not the last claim: {len(late)}")
    if not_in_table:
        summary.append(f"  2xx WITHOUT A ROW, first 10: {sorted(not_in_table)[:10]}")
    if not_logged:
        summary.append(f"  2xx NEVER RUN, first 10: {sorted(not_logged)[:10]}")
    other = {s: n for s, n in statuses.items() if not (200 <= s < 300 or s == 503)}
    if (not_in_table or not_logged or late or not_completed or drained is None or bad_lines or other
            or without_retry_after or not all(alive.values())):
        ok = False
    for process in [web, *workers]:
        process.stop()
    summary.insert(1, backlog.describe(start))
    pgfleet.finish(ok, base, summary)


if __name__ == "__main__":
    sys.exit(main())
