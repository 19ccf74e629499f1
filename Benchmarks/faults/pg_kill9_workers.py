#!/usr/bin/env python3
"""kill -9 worker processes of a PostgreSQL fleet under load, restart them, and check that
every task answered 2xx ran (issue 16, "Fault tests").

    python3 Benchmarks/faults/pg_kill9_workers.py [--duration 30] [--interval 5] [--connections 32]

One PostgreSQL (Benchmarks/pgcluster.py: fsync=on, synchronous_commit=on), two web processes
(`eventide-example bench --task-store postgres://... --local-workers 0`) and three worker
processes (`eventide-example worker --store postgres://... --queues default:8`), each in its
own work directory (log.txt lines are merged afterwards). An audit trigger on eventide_tasks
records every state change (worker, attempt, time). A Python client (durable.Load: it keeps
which email got which answer; wrk cannot) POSTs `/durable-notification/<unique email>` on
`--connections` keep-alive connections to each web process for `--duration` seconds; every
`--interval` seconds one worker (in turn) gets SIGKILL: the tasks `running` for it are read
0.3 s later, and a new worker process starts in a fresh work directory. Then the script
waits up to `--drain-timeout` seconds until no task is pending (a dead worker's tasks wait
for the heartbeat timeout, 15 s, before the coordinator makes them available again).

Reported: 2xx answers, other answers, tasks running at each kill, emails logged twice, and
the rescue delay of each rescued task (its next claim in the audit minus the kill's time).
Pass when: every email answered 2xx is in some log.txt; an email logged more than once was
`running` for a killed worker; only 200 answers (or none, for requests in flight when the
load stopped); every task `completed` in the end; the audit shows no completion by a run
that was not the task's last claim; the web processes stayed up.
"""
import argparse
import os
import sys
import time

import common
import pgfleet


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between two kills")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections per web process")
    parser.add_argument("--drain-timeout", type=float, default=90.0)
    parser.add_argument("--binary")
    args = parser.parse_args()
    binary = common.binary_path(args.binary)

    base = pgfleet.base_dir("eventide-pgkill9-")
    cluster = pgfleet.Cluster(max_connections=200)
    store = pgfleet.Store(cluster)
    print(f"{cluster.version}, fsync={cluster.settings_in_force('fsync')['fsync']}; work directories in {base}")
    webs = [pgfleet.start_web(binary, f"web{i}", store.url, f"{base}/web{i}") for i in (1, 2)]
    store.install_audit()
    generation = {slot: 1 for slot in (1, 2, 3)}
    workers = {slot: pgfleet.start_worker(binary, f"worker{slot}", store.url, f"{base}/worker{slot}.1")
               for slot in (1, 2, 3)}
    everyone = [*webs, *workers.values()]  # every process that ever ran (for logs and outputs)
    store.wait_registered([w.pid for w in workers.values()])

    loads = [pgfleet.Load(web.port, f"w{i + 1}", connections=args.connections) for i, web in enumerate(webs)]
    backlog = pgfleet.Backlog(store)
    backlog.start()
    start = time.monotonic()
    for load in loads:
        load.start()
    kills = []
    while True:
        when = start + args.interval * (len(kills) + 1)
        if when > start + args.duration - 1:
            break
        time.sleep(max(0.0, when - time.monotonic()))
        slot = len(kills) % 3 + 1
        victim = workers[slot]
        ids = store.workers_of([victim.pid])
        victim.kill()
        killed_at = time.time()
        time.sleep(0.3)
        running = store.running_of(ids)
        generation[slot] += 1
        workers[slot] = pgfleet.start_worker(binary, f"worker{slot}", store.url, f"{base}/worker{slot}.{generation[slot]}")
        everyone.append(workers[slot])
        kills.append({"at": killed_at, "slot": slot, "pid": victim.pid, "ids": ids, "running": running})
        print(f"kill {len(kills)} at +{time.monotonic() - start - 0.3:.1f} s: worker{slot} (pid {victim.pid}, "
              f"{','.join(ids) or 'not registered'}), {len(running)} tasks running for it; restarted as pid "
              f"{workers[slot].pid}", flush=True)
    time.sleep(max(0.0, start + args.duration - time.monotonic()))
    for load in loads:
        load.stop()
    for load in loads:
        load.join()
    load_seconds = time.monotonic() - start
    webs_alive = all(web.alive() for web in webs)

    drained = store.wait_idle(args.drain_timeout)
    backlog.stop()
    if drained is None:
        sessions = pgfleet.diagnose(store, f"{base}/diagnosis")
        print(f"not drained: sessions at the timeout (more in {base}/diagnosis):\n  " + "\n  ".join(sessions))
    states = store.states()

    answered_2xx, statuses, unanswered = set(), {}, 0
    for load in loads:
        answered_2xx |= load.emails_with(lambda s: 200 <= s < 300)
        for status, n in load.counts().items():
            statuses[status] = statuses.get(status, 0) + n
        unanswered += len(load.unanswered)
    logged, bad_lines = pgfleet.logged([p.workdir for p in everyone])
    missing = answered_2xx - set(logged)
    twice = {email: n for email, n in logged.items() if n > 1}
    running_emails = {email for kill in kills for _, _, email in kill["running"]}
    unexpected_twice = set(twice) - running_emails
    late = store.late_completions()
    not_completed = store.not_completed()

    delays, never = [], 0
    for kill in kills:
        claims = store.next_claims([(task, attempt) for task, attempt, _ in kill["running"]])
        kill_delays = [claims[task] - kill["at"] for task, _, _ in kill["running"] if task in claims]
        never += len(kill["running"]) - len(kill_delays)
        delays += kill_delays
        if kill_delays:
            print(f"  kill of worker{kill['slot']} (pid {kill['pid']}): {len(kill['running'])} running tasks claimed "
                  f"again {min(kill_delays):.1f}-{max(kill_delays):.1f} s after the kill")
    rescues = sum(p.count("tasks of silent processes made available again") for p in everyone)
    dropped = sum(p.count("results dropped for tasks this worker no longer held") for p in everyone)

    ok = (not missing and not unexpected_twice and not bad_lines and not late and not not_completed
          and drained is not None and never == 0 and webs_alive
          and all(200 <= s < 300 for s in statuses) and len(kills) > 0)
    total = sum(statuses.values())
    summary = [
        f"load: {load_seconds:.1f} s, 2 web processes x {args.connections} connections: {total} answers "
        f"({total / load_seconds:.0f}/s), statuses {dict(sorted(statuses.items()))}, {unanswered} requests without "
        f"an answer when the load stopped; web processes alive: {webs_alive}",
        f"kills: {len(kills)} (every {args.interval:.0f} s, worker 1, 2, 3 in turn), tasks running for the killed "
        f"worker: {[len(k['running']) for k in kills]} (total {len(running_emails)})",
        "rescue delay (kill to the task's next claim): "
        + (f"min {min(delays):.1f} s, max {max(delays):.1f} s over {len(delays)} tasks" if delays else "no task was running at a kill")
        + f"; never claimed again: {never}; coordinator log lines 'made available again': {rescues}; "
        f"'results dropped' lines: {dropped}",
        "drained " + (f"{drained:.1f} s after the load" if drained is not None else f"NOT within {args.drain_timeout:.0f} s")
        + f"; final states {states}",
        f"log.txt lines: {sum(logged.values())} ({len(logged)} emails, {bad_lines} unparsable) in "
        f"{len(everyone) - 2} worker work directories; 2xx emails {len(answered_2xx)}, MISSING {len(missing)}; "
        f"emails run twice or more: {len(twice)} (extra lines {sum(twice.values()) - len(twice)}), of which not "
        f"running at a kill: {len(unexpected_twice)}; completions by a run that was not the last claim: {len(late)}",
    ]
    if missing:
        summary.append(f"  MISSING (2xx, never logged), first 10: {sorted(missing)[:10]}")
    if unexpected_twice:
        summary.append(f"  UNEXPECTED DUPLICATES, first 10: {sorted(unexpected_twice)[:10]}")
    if late:
        summary.append(f"  LATE COMPLETIONS, first 10: {late[:10]}")
    for process in everyone:
        process.stop()
    summary.insert(1, backlog.describe(start))
    pgfleet.finish(ok, base, summary)


if __name__ == "__main__":
    sys.exit(main())
