#!/usr/bin/env python3
"""How big the PostgreSQL store's table gets: a million tasks through a fleet (issue 16).

    python3 Benchmarks/pg_table_size.py                       # 1,000,000 tasks, both retentions
    python3 Benchmarks/pg_table_size.py --tasks 200000 --keep 30
    BIN=/path/to/eventide-example python3 Benchmarks/pg_table_size.py

For each retention (`--keep` seconds, default: 30 s and the queue's default of 24 h): a
throw-away cluster (Benchmarks/pgcluster.py, fsync on), `bench --task-store URL
--local-workers 0` and `--workers` `worker` processes (the same `--keep-completed`), then
`wrk` (wrk/notify.lua, 64 connections) in 10 s rounds until `--tasks` requests were answered
2xx. After every round, and once every task has run and retention has had its turn (it
runs once a minute), the sizes of `eventide_tasks`: the heap, each index, the total
(`pg_relation_size`, `pg_indexes_size`, `pg_total_relation_size`), and its rows by state.
The coordinator's VACUUM (PostgresStoreSettings.vacuumThreshold) and autovacuum run as
they would in production. Results: Benchmarks/results/pg-table-size-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from durable import DEFAULT_BINARY, LogCounter, run_wrk, ok  # noqa: E402
from pgcluster import Cluster  # noqa: E402
from run import HOST, RESULTS_DIR, free_port, log  # noqa: E402

ROUTE = "/durable-notification/"
ROUND_SECONDS = 10
DAY = 24 * 3600

SIZES = """
SELECT pg_relation_size('eventide_tasks'), pg_indexes_size('eventide_tasks'),
       pg_total_relation_size('eventide_tasks'), count(*) FILTER (WHERE state = 'completed'),
       count(*) FILTER (WHERE state IN ('available', 'running', 'scheduled', 'retryable')), count(*)
FROM eventide_tasks
"""
INDEXES = """
SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes
WHERE relname = 'eventide_tasks' ORDER BY indexrelname
"""


def mib(size: int) -> str:
    return f"{size / 1048576:,.1f}"


class Fleet:
    """The web process and the workers on one database, stopped on exit."""

    def __init__(self, binary: Path, url: str, workers: int, keep: int):
        self.workdir = Path(tempfile.mkdtemp(prefix="eventide-pg-size-"))
        self.port = free_port()
        self.processes: list[subprocess.Popen] = []
        common = ["--workdir", str(self.workdir), "--keep-completed", str(keep), "--log-level", "warning"]
        self.start([str(binary), "bench", "--host", HOST, "--port", str(self.port), "--task-store", url,
                    "--local-workers", "0", *common])
        time.sleep(1)  # the web process migrates first
        for _ in range(workers):
            self.start([str(binary), "worker", "--store", url, "--queues", "default:64", *common])
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://{HOST}:{self.port}/"]).returncode != 0:
            if time.monotonic() > deadline:
                sys.exit("the web process did not start")
            time.sleep(0.1)

    def start(self, command: list[str]) -> None:
        self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def sample(cluster: Cluster, database: str, answered: int, when: str) -> dict:
    heap, indexes, total, completed, unfinished, rows = (
        int(x) for x in cluster.sql(SIZES, database=database).strip().split("|"))
    per_index = dict(line.split("|") for line in cluster.sql(INDEXES, database=database).strip().splitlines())
    figures = {"when": when, "answered": answered, "rows": rows, "completed": completed, "unfinished": unfinished,
               "heap": heap, "indexes": indexes, "total": total, "per_index": {k: int(v) for k, v in per_index.items()}}
    log(f"  {when}: {answered:,} answered, {rows:,} rows ({completed:,} completed, {unfinished:,} unfinished); "
        f"heap {mib(heap)} MiB, indexes {mib(indexes)} MiB, total {mib(total)} MiB")
    return figures


def measure(binary: Path, tasks: int, workers: int, keep: int) -> list[dict]:
    log(f"retention {keep} s: {tasks:,} tasks, {workers} workers")
    samples = []
    with Cluster(max_connections=100) as cluster:
        database = "size"
        cluster.create_database(database)
        fleet = Fleet(binary, cluster.url(database), workers, keep)
        try:
            counter = LogCounter(fleet.workdir / "log.txt")
            answered = 0
            while answered < tasks:
                answered += ok(run_wrk(ROUTE, ROUND_SECONDS, fleet.port))
                samples.append(sample(cluster, database, answered, "after a round of load"))
            deadline = time.monotonic() + 600
            while counter.count() < answered and time.monotonic() < deadline:
                time.sleep(1)
            samples.append(sample(cluster, database, answered, "every task run"))
            if keep < DAY:
                time.sleep(keep + 75)  # past the retention, and the minute between its turns
                samples.append(sample(cluster, database, answered, f"after retention ({keep} s + its turn)"))
        finally:
            fleet.stop()
    return samples


def report(runs: dict[int, list[dict]], workers: int, binary: Path) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [f"# Size of `eventide_tasks` after a million tasks, {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
             "", f"- Eventide at commit {commit}, binary {binary}; `bench --local-workers 0` + {workers} `worker` "
             "(`--queues default:64`), both with `--keep-completed`; wrk -c64 in 10 s rounds; PostgreSQL "
             f"{subprocess.run(['psql', '--version'], capture_output=True, text=True).stdout.strip()}, fsync on", ""]
    for keep, samples in runs.items():
        lines += [f"## Retention {keep:,} s", "",
                  "| when | answered 2xx | rows | completed | unfinished | heap MiB | indexes MiB | total MiB |",
                  "|---|---|---|---|---|---|---|---|"]
        for s in samples:
            lines.append(f"| {s['when']} | {s['answered']:,} | {s['rows']:,} | {s['completed']:,} | {s['unfinished']:,} | "
                         f"{mib(s['heap'])} | {mib(s['indexes'])} | {mib(s['total'])} |")
        last = samples[-1]["per_index"]
        lines += ["", "Indexes at the end: " + ", ".join(f"`{k}` {mib(v)} MiB" for k, v in last.items()), ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=int, action="append", help="retention in seconds (repeatable; default 30 and 86400)")
    args = parser.parse_args()
    binary = Path(os.environ.get("BIN", DEFAULT_BINARY))
    if not binary.exists():
        sys.exit(f"error: {binary} is missing: build it with `make build` or set BIN")
    runs = {keep: measure(binary, args.tasks, args.workers, keep) for keep in (args.keep or [30, DAY])}
    text = report(runs, args.workers, binary)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"pg-table-size-{datetime.datetime.now().strftime('%Y-%m-%d-%H%M%S')}.md"
    path.write_text(text)
    print(text)
    log(f"Wrote {path}")


if __name__ == "__main__":
    main()
