#!/usr/bin/env python3
"""Recovery of durable tasks after `kill -9` (issue 15, "Speed": Recovery).

    python3 Benchmarks/durable_recovery.py                     # 100,000 tasks, 3 rounds
    BIN=/path/to/eventide-example python3 Benchmarks/durable_recovery.py --tasks 20000 --rounds 1

Per round, in a fresh work directory:
1. start `eventide-example bench --task-store tasks.db --local-workers 0` (no workers: every
   task stays queued) on CPU 0;
2. store N durable tasks through HTTP: `POST /durable-notification/rec<c>-<n>@example.com`
   from a client in this script (asyncio, 64 keep-alive connections, optionally pipelined)
   on CPU 1; every email answered 2xx is remembered;
3. `kill -9` the server (nothing was run: log.txt must be empty);
4. start it again on the same store with its default workers, and time from the start of
   the process to its accepting connections, to the first line of log.txt (goal: under
   1 s), and to all N lines;
5. check that every email answered 2xx is in log.txt, and count duplicates and strays.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLK_TCK, HOST, ROOT, SERVER_CPU, WRK_CPU, count_lines, first_line, free_port, log, run_build  # noqa: E402

DEFAULT_BINARY = ROOT / ".build" / "release" / "eventide-example"
ROUTE = "/durable-notification/"
FIRST_LINE_GOAL = 1.0  # seconds
DRAIN_LIMIT = 600.0  # seconds


# --------------------------------------------------------------------------
# The client


async def connection_worker(index: int, port: int, counter: list[int], total: int, depth: int,
                            accepted: list[str], failures: collections.Counter) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    n = 0
    try:
        while True:
            batch = []
            while len(batch) < depth and counter[0] < total:
                counter[0] += 1
                n += 1
                batch.append(f"rec{index}-{n}@example.com")
            if not batch:
                return
            writer.write(b"".join(
                f"POST {ROUTE}{email} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n".encode()
                for email in batch))
            await writer.drain()
            for email in batch:
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if 200 <= status < 300:
                    accepted.append(email)
                else:
                    failures[status] += 1
    finally:
        writer.close()


async def store_tasks(port: int, total: int, connections: int, depth: int) -> tuple[list[str], collections.Counter]:
    counter, accepted, failures = [0], [], collections.Counter()
    await asyncio.gather(*(connection_worker(i + 1, port, counter, total, depth, accepted, failures)
                           for i in range(connections)))
    return accepted, failures


# --------------------------------------------------------------------------
# The server


def start(binary: Path, port: int, workdir: Path, workers: bool, relaxed: bool) -> subprocess.Popen:
    command = ["taskset", "-c", SERVER_CPU, str(binary), "bench", "--host", HOST, "--port", str(port),
               "--workdir", str(workdir), "--task-store", "tasks.db", "--log-level", "warning"]
    if not workers:
        command += ["--local-workers", "0"]
    if relaxed:
        command.append("--relaxed-durability")
    out = (workdir / "server.out").open("ab")
    return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def accepting(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def one_round(binary: Path, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="eventide-recovery-"))
    log_path = workdir / "log.txt"
    port = free_port()
    server = start(binary, port, workdir, workers=False, relaxed=args.relaxed_durability)
    restarted = None
    try:
        deadline = time.monotonic() + 30
        while not accepting(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"error: the server did not start: {(workdir / 'server.out').read_text()[-300:]}")
            time.sleep(0.02)
        began = time.monotonic()
        accepted, failures = asyncio.run(store_tasks(port, args.tasks, args.connections, args.pipeline))
        store_s = time.monotonic() - began
        log(f"  stored {len(accepted):,} tasks in {store_s:.1f} s ({len(accepted) / store_s:,.0f}/s), "
            f"non-2xx {dict(failures) or 0}")
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        lines_before = count_lines(log_path)
        store_files = {path.name: path.stat().st_size for path in workdir.glob("tasks.db*")}

        # Restart on the same store, with the default local workers.
        t0 = time.monotonic()
        restarted = start(binary, port, workdir, workers=True, relaxed=args.relaxed_durability)
        accept_s = first_s = None
        expected = len(accepted)
        while True:
            now = time.monotonic() - t0
            if accept_s is None and accepting(port):
                accept_s = now
            if first_s is None and log_path.exists() and log_path.stat().st_size > 0:
                first_s = now
            if first_s is not None and accept_s is not None:
                break
            if restarted.poll() is not None or now > 60:
                break
            time.sleep(0.001)
        done_s = None
        while restarted.poll() is None and time.monotonic() - t0 < DRAIN_LIMIT:
            if count_lines(log_path) >= expected:
                done_s = time.monotonic() - t0
                break
            time.sleep(0.02)
        drain_cpu = cpu_seconds(restarted.pid)
        time.sleep(0.5)  # anything more (duplicates) would land now

        written = collections.Counter()
        with log_path.open() as file:
            for line in file:
                # notification for {email}: some notification
                written[line[len("notification for "):line.index(": some notification")]] += 1
        accepted_set = set(accepted)
        missing = [email for email in accepted if email not in written]
        duplicates = sum(count - 1 for count in written.values() if count > 1)
        strays = sum(1 for email in written if email not in accepted_set)
        return {
            "tasks_requested": args.tasks, "accepted_2xx": expected, "non_2xx": dict(failures),
            "store_seconds": round(store_s, 2), "store_rate": round(expected / store_s),
            "lines_before_restart": lines_before, "store_files_bytes": store_files,
            "accept_s": round(accept_s, 4) if accept_s is not None else None,
            "first_line_s": round(first_s, 4) if first_s is not None else None,
            "all_written_s": round(done_s, 3) if done_s is not None else None,
            "drain_rate": round(expected / (done_s - first_s)) if done_s and first_s is not None else None,
            "server_cpu_s": round(drain_cpu, 2),
            "cpu_us_per_task": round(drain_cpu * 1e6 / expected, 1) if expected else None,
            "log_lines": sum(written.values()), "missing": len(missing), "missing_examples": missing[:5],
            "duplicates": duplicates, "strays": strays,
        }
    finally:
        stop(server)
        if restarted:
            stop(restarted)
        if args.keep:
            log(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--pipeline", type=int, default=1,
                        help="requests written per connection before reading the answers (default 1)")
    parser.add_argument("--relaxed-durability", action="store_true")
    parser.add_argument("--binary", help="eventide-example (default: $BIN, else a fresh release build)")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args()

    given = args.binary or os.environ.get("BIN")
    binary = Path(given).resolve() if given else DEFAULT_BINARY
    if not given and not args.no_build:
        run_build(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "eventide-example"])
    if not binary.exists():
        sys.exit(f"error: no eventide-example at {binary}")
    os.sched_setaffinity(0, {int(WRK_CPU)})  # the client and the polling stay off the server's CPU

    results = []
    for index in range(args.rounds):
        log(f"[round {index + 1}/{args.rounds}]")
        result = one_round(binary, args)
        log(f"  restart: accepting after {result['accept_s']} s, first line after {result['first_line_s']} s, "
            f"all {result['accepted_2xx']:,} after {result['all_written_s']} s; missing {result['missing']}, "
            f"duplicates {result['duplicates']}, strays {result['strays']}")
        results.append(result)

    def med(name):
        values = [r[name] for r in results if r[name] is not None]
        return statistics.median(values) if values else None

    ok = all(r["missing"] == 0 and r["all_written_s"] is not None for r in results)
    first = med("first_line_s")
    print(f"# Durable-task recovery, {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
    print(f"- {first_line(['swift', '--version'])}; Eventide sources of commit "
          f"{first_line(['git', '-C', str(ROOT), 'log', '-1', '--format=%h', '--', 'Sources', 'Package.swift'])} "
          f"(last change to Sources/ or Package.swift in this tree), binary {binary}")
    print(f"- {args.rounds} round(s) of {args.tasks:,} tasks stored by {args.connections} connections"
          f" (pipeline {args.pipeline}), synchronous={'NORMAL' if args.relaxed_durability else 'FULL'}; "
          "server on CPU 0, client on CPU 1; medians\n")
    print("| figure | median | per round |")
    print("|---|---|---|")
    rows = [("tasks answered 2xx", "accepted_2xx", "{:,}"), ("storing, tasks/s (no workers)", "store_rate", "{:,}"),
            ("restart → accepting connections, s", "accept_s", "{:.3f}"),
            ("restart → first task written, s", "first_line_s", "{:.3f}"),
            ("restart → all tasks written, s", "all_written_s", "{:.2f}"),
            ("draining, tasks/s", "drain_rate", "{:,}"), ("server CPU per task, µs", "cpu_us_per_task", "{:.1f}"),
            ("2xx emails missing from log.txt", "missing", "{}"), ("duplicate lines", "duplicates", "{}"),
            ("lines of emails never answered 2xx", "strays", "{}")]
    for title, name, form in rows:
        value = med(name)
        cells = ", ".join("—" if r[name] is None else form.format(r[name]) for r in results)
        print(f"| {title} | {'—' if value is None else form.format(value if '{:,}' != form else round(value))} | {cells} |")
    print(f"\nEvery 2xx email written after the restart: {'yes' if ok else 'NO'}; first task within "
          f"{FIRST_LINE_GOAL:g} s: {'yes' if first is not None and first < FIRST_LINE_GOAL else 'NO'} "
          f"(all rounds: {'yes' if all(r['first_line_s'] is not None and r['first_line_s'] < FIRST_LINE_GOAL for r in results) else 'no'})")
    print(f"Store files at the kill (bytes, last round): {results[-1]['store_files_bytes']}")
    relaxed = " --relaxed-durability" if args.relaxed_durability else ""
    print("\nCommands (WORKDIR fresh per round):\n")
    print(f"- store: `taskset -c {SERVER_CPU} {binary} bench --host {HOST} --port PORT --workdir WORKDIR "
          f"--task-store tasks.db --log-level warning --local-workers 0{relaxed}`, then {args.tasks:,} "
          f"`POST {ROUTE}rec<c>-<n>@example.com` from {args.connections} connections, then `kill -9`")
    print(f"- restart: `taskset -c {SERVER_CPU} {binary} bench --host {HOST} --port PORT --workdir WORKDIR "
          f"--task-store tasks.db --log-level warning{relaxed}` (default local workers)")


if __name__ == "__main__":
    main()
