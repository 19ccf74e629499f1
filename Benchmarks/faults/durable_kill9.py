#!/usr/bin/env python3
"""kill -9 the server while it stores durable tasks, restart it on the same store, and check
that every task answered 2xx ran.

    python3 Benchmarks/faults/durable_kill9.py [--rounds 5] [--connections 32] [--binary PATH]

One work directory and one store (`--task-store tasks.db`, synchronous=FULL, 100 local
workers) for all rounds. Each round: 32 keep-alive connections POST
`/durable-notification/<unique email>` (a Python client that records which email got which
answer; wrk cannot), the server gets SIGKILL after 1-3 s of load, the store is inspected (a
copy: which rows were `running` at the kill), the server is restarted on the same store
(its next round's load runs against that process) and the script waits until no task is
scheduled/available/running/retryable. Then log.txt must hold every email answered 2xx at
least once; an email logged twice must be one whose row was `running` at the kill.

The last round kills **during a commit**: it looks in /proc/PID/task/*/comm for the store's
writer thread (`eventide-tasks`; when no thread has that
name it watches them all, since only the writer syncs the WAL) and reads
/proc/PID/task/TID/syscall until the thread is inside fsync/fdatasync (x86_64 74/75,
aarch64 82/83) with the WAL's descriptor (/proc/PID/fd) as its argument, then SIGKILLs; it
reports how many reads that took.

Pass when: every 2xx email is in log.txt, duplicates only among rows running at a kill, no
other answer than 200 (or none), every row `completed` at the end, and the commit kill hit
an fsync of the WAL. Exit 0 on success.
"""
import argparse
import json
import os
import platform
import random
import signal
import sys
import time

import common
import durable

FSYNC_SYSCALLS = {"x86_64": {"74": "fsync", "75": "fdatasync"},
                  "aarch64": {"82": "fsync", "83": "fdatasync"}}


def store_thread(pid):
    """The TID of the store's writer thread by its name (`eventide-tasks`; comm keeps
    15 bytes), or None when no thread has that name."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == "eventide-tasks":
                    return tid
        except OSError:
            pass
    return None


def wal_fd(pid):
    """The server's descriptor of the store's write-ahead log (tasks.db-wal)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith("tasks.db-wal"):
                return int(fd)
        except OSError:
            pass
    return None


def kill_during_commit(pid, timeout=10.0):
    """SIGKILLs `pid` once a thread of it is seen in fsync/fdatasync of the WAL (the commit's
    flush; a checkpoint's fsync of tasks.db does not count). Watches the thread named
    `eventide-tasks` if there is one, else every thread (only the store's writer syncs
    the WAL). Returns (polls, syscall name or None when it timed out and killed anyway,
    whether the thread was found by name)."""
    wanted = FSYNC_SYSCALLS.get(platform.machine(), {})
    named = store_thread(pid)
    wal = wal_fd(pid)
    if not wanted or wal is None:
        os.kill(pid, signal.SIGKILL)
        return 0, None, named is not None
    wal_arg = hex(wal).encode()
    tids = [named] if named else os.listdir(f"/proc/{pid}/task")
    files = []
    for tid in tids:
        try:
            files.append(os.open(f"/proc/{pid}/task/{tid}/syscall", os.O_RDONLY))
        except OSError:
            pass
    polls = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for fd in files:
                polls += 1
                try:
                    fields = os.pread(fd, 64, 0).split(b" ", 2)
                except OSError:
                    continue
                if fields[0].decode() in wanted and len(fields) > 1 and fields[1] == wal_arg:
                    os.kill(pid, signal.SIGKILL)
                    return polls, wanted[fields[0].decode()], named is not None
    finally:
        for fd in files:
            os.close(fd)
    os.kill(pid, signal.SIGKILL)
    return polls, None, named is not None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="plain kill -9 rounds (plus one during a commit)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--binary")
    args = parser.parse_args()

    extra = ["--task-store", "tasks.db"]
    server = common.Server(args.binary, extra=extra)
    workdir = server.workdir
    db = os.path.join(workdir, "tasks.db")
    log = os.path.join(workdir, "log.txt")
    print(f"workdir {workdir}, {args.connections} connections, {args.rounds} rounds + 1 during a commit")

    answered_2xx = set()
    running_at_kill = set()
    other_statuses = 0
    ok = True
    commit_polls, commit_syscall = None, None
    total_rounds = args.rounds + 1
    for round_no in range(1, total_rounds + 1):
        in_commit = round_no == total_rounds
        load = durable.Load(server.port, f"r{round_no}", connections=args.connections, reconnect=False)
        load.start()
        time.sleep(random.uniform(1.0, 3.0))
        pid = server.pid
        if in_commit:
            commit_polls, commit_syscall, by_name = kill_during_commit(pid)
        else:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        server.process.wait()
        load.stop()
        load.join()
        counts = load.counts()
        ok_emails = load.emails_with(lambda s: 200 <= s < 300)
        answered_2xx |= ok_emails
        other = sum(n for status, n in counts.items() if not 200 <= status < 300)
        other_statuses += other

        # The store as the kill left it (a copy: the restart must find it untouched).
        states = durable.state_counts(db, reader=durable.query_copy)
        running = durable.query_copy(db, "SELECT arguments FROM eventide_tasks WHERE state = ?",
                                     (durable.STATE_CODES["running"],))
        running_emails = set()
        for (arguments,) in running:
            running_emails.add(json.loads(arguments)["email"])
        running_at_kill |= running_emails

        server.stderr.close()
        restart_start = time.monotonic()
        server = common.Server(args.binary, extra=extra, workdir=workdir, stderr_name=f"server.{round_no}.stderr")
        listening = time.monotonic() - restart_start
        drained = durable.wait_drained(db, timeout=args.drain_timeout)

        logged, bad_lines = durable.logged_emails(log)
        missing = answered_2xx - set(logged)
        duplicates = {email for email, n in logged.items() if n > 1}
        unexpected_dups = duplicates - running_at_kill
        # Stored and run, but the client never read a 2xx (committed as the kill came).
        unanswered_ran = len([e for e in logged if e.startswith(f"r{round_no}-") and e not in answered_2xx])
        label = "commit kill" if in_commit else "kill -9"
        print(f"round {round_no} ({label}): 2xx {len(ok_emails)}, other statuses {other}, "
              f"no answer {len(load.unanswered)} (of which stored and run anyway: {unanswered_ran}); at the kill: {states}; "
              f"restart listening in {listening:.2f} s, drained "
              + (f"{drained:.2f} s after" if drained is not None else f"NOT within {args.drain_timeout:.0f} s")
              + f"; log lines {sum(logged.values())} ({len(logged)} emails, {bad_lines} unparsable), "
              f"2xx missing {len(missing)}, duplicates {len(duplicates)} (cumulative; {len(running_at_kill)} "
              f"rows were running at the kills), unexpected duplicates {len(unexpected_dups)}")
        if in_commit:
            print(f"  commit kill: {commit_polls} reads of /proc/{pid}/task/TID/syscall until "
                  + ("the thread named eventide-tasks" if by_name else
                     "a thread (none is named eventide-tasks: all threads watched)")
                  + f" was in {commit_syscall + ' of tasks.db-wal' if commit_syscall else 'NO fsync (plain kill after the timeout)'}")
            if commit_syscall is None:
                ok = False
        if missing:
            print(f"  MISSING (answered 2xx, never logged), first 10: {sorted(missing)[:10]}")
            ok = False
        if unexpected_dups:
            print(f"  UNEXPECTED DUPLICATES, first 10: {sorted(unexpected_dups)[:10]}")
            ok = False
        if drained is None or bad_lines or other:
            ok = False

    final = durable.state_counts(db)
    not_completed = sum(n for state, n in final.items() if state != "completed")
    print(f"total: 2xx {len(answered_2xx)}, other statuses {other_statuses}, final states {final}, "
          f"rows not completed {not_completed}")
    if not_completed:
        ok = False
    common.finish(server, ok)


if __name__ == "__main__":
    main()
