#!/usr/bin/env python3
"""Durable tasks on PostgreSQL: Eventide's store against FastAPI + procrastinate and FastAPI +
Celery + Redis, and pgbench's floor (issue 16, "Speed").

    python3 Benchmarks/postgres.py                              # 3 rounds, every row
    python3 Benchmarks/postgres.py --rounds 1 --duration 3      # a quick pass
    python3 Benchmarks/postgres.py --only procrastinate,celery --workers 1,4
    python3 Benchmarks/postgres.py --pgbench                    # the floor only
    BIN=/path/to/eventide-example python3 Benchmarks/postgres.py --only eventide
    python3 Benchmarks/postgres.py --help

Rows (the same task everywhere: append `notification for {email}: some notification` to
WORKDIR/log.txt, once per `POST /durable-notification/{email}` answered 200):
- eventide:      `eventide-example bench --task-store postgres://... --local-workers 0` and
                 N `eventide-example worker --store postgres://... --queues default:8`
                 (skipped, with the reason, until the binary has the `worker` command)
- procrastinate: FastAPI + procrastinate (peers/fastapi-procrastinate): uvicorn, its
                 endpoint `await task.defer_async(...)`, N `procrastinate worker --concurrency 8`
- celery:        FastAPI + Celery (peers/fastapi-celery, as durable.py runs it: acks_late,
                 prefetch 1), Redis broker with its default persistence (RDB, no AOF), N
                 `celery worker` (prefork, Celery's default concurrency)
- celery-aof:    the same with Redis `appendfsync always` (an fsync per Redis event-loop
                 iteration: the durability of a PostgreSQL commit with fsync on)
- pgbench:       the floor of the machine: pgbench against the same cluster, 64 clients of
                 one-row INSERT commits, then of 64-row INSERT commits

Figures per row and round, each on fresh processes and a fresh database of one PostgreSQL
cluster for the whole run (Benchmarks/pgcluster.py: fsync=on, synchronous_commit=on):
- enqueue: the web process alone (no worker), `wrk -t1 -c64 --latency` with wrk/notify.lua
  (after a 2 s warm-up): requests/s, p50/p99, server CPU per request (utime+stime of the web
  process, and of PostgreSQL's every process or of Redis, over the load); then the largest
  --workers count of workers starts, and the time until log.txt holds every task answered
  200 (the backlog: probe, warm-up and load), and the tasks/s from its first to its last line;
- e2e-N: web and N worker processes, the same load: end-to-end tasks/s = tasks answered 200 /
  (load + catch-up until the last of them is in log.txt), requests/s, p50/p99, server CPU per task;
- latency: web and an idle fleet of the largest --workers count of workers; one request at a
  time at --latency-rate per second for --latency-seconds (after 20 unmeasured ones): per task,
  from the 200 response to its line in log.txt (polled every 1 ms, matched by email): p50,
  p99, max.
Every server-side process (web, workers, PostgreSQL, Redis) runs on CPU 0, wrk, pgbench and
this script on CPU 1. Medians over the rounds; results also go to
Benchmarks/results/postgres-<date>.md and .json (gitignored).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durable  # noqa: E402  (its processes, log counting, wrk, probe and machine-noise helpers)
from durable import (  # noqa: E402
    LogCounter, Process, cpu_times, median, ok, own_cpu, pinned, probe, run_wrk,
)
from durable import fmt_float as fmt  # noqa: E402
from pgcluster import Cluster  # noqa: E402
from run import (  # noqa: E402
    CLK_TCK, HOST, RESULTS_DIR, ROOT, SERVER_CPU, WRK_CPU, Skip, first_line, fmt_int, fmt_latency,
    free_port, log, process_tree, run_build,
)

PROCRASTINATE_DIR = Path(__file__).resolve().parent / "peers" / "fastapi-procrastinate"
PROCRASTINATE_VENV = PROCRASTINATE_DIR / ".venv"
CELERY_DIR, CELERY_VENV = durable.PEER_DIR, durable.PEER_VENV
DEFAULT_BINARY = ROOT / ".build" / "release" / "eventide-example"

ROUTE = "/durable-notification/"
WARMUP_SECONDS = 2
STARTUP_TIMEOUT = 60.0
CATCHUP_LIMIT = 120.0  # seconds: the most we wait for the log to catch up after a load
STALL = 10.0  # seconds without a new line (once lines flow): stop waiting
FIRST_LINE_LIMIT = 30.0  # seconds for the first line after workers start (Python workers boot slowly)
LATENCY_POLL = 0.001  # seconds between two looks at log.txt in the latency measurement
LATENCY_WARMUP = 20  # unmeasured requests before the latency measurement
CONCURRENCY = 8  # tasks at once per worker process: Eventide's --queues default:8, procrastinate's --concurrency
WEB_POOL = 16  # connections of the procrastinate web process's pool (psycopg_pool's default is 4)
MAX_CONNECTIONS = 300  # pgbench's 64 clients, web pools, 4 workers' pools and listeners, with room
PGBENCH_CLIENTS = 64
PGBENCH_BATCH = 64  # rows per commit in the batch script


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: str  # "eventide", "procrastinate", "celery" or "pgbench"
    aof: bool = False

    @property
    def uses_postgres(self) -> bool:
        return self.kind in ("eventide", "procrastinate", "pgbench")


ROWS = {row.key: row for row in [
    Row("eventide", "Eventide, PostgreSQL store", "eventide"),
    Row("procrastinate", "FastAPI + procrastinate (PostgreSQL)", "procrastinate"),
    Row("celery", "FastAPI + Celery, Redis default (RDB, no AOF)", "celery"),
    Row("celery-aof", "FastAPI + Celery, Redis appendfsync always", "celery", aof=True),
    Row("pgbench", "pgbench (the floor)", "pgbench"),
]}

QUIET_WAIT = 60.0
RETRIES = 1
CELERY_CONCURRENCY: int | None = None


# --------------------------------------------------------------------------
# The server side of one measurement


class Stack:
    """Web process, worker processes and the broker of one row, in one work directory and (for
    the PostgreSQL rows) one fresh database of the run's cluster."""

    def __init__(self, row: Row, binary: Path | None, cluster: Cluster | None, tag: str):
        self.row = row
        self.binary = binary
        self.cluster = cluster if row.uses_postgres else None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"eventide-pg-{row.key}-"))
        self.port = free_port()
        self.web: Process | None = None
        self.workers: list[Process] = []
        self.others: list[Process] = []  # redis
        self.database = None
        self.url = None
        self.redis_port: int | None = None
        self.commands: dict[str, str] = {}
        try:
            if self.cluster:
                self.database = f"bench_{tag}"
                self.url = self.cluster.create_database(self.database)
            self.start_web()
        except BaseException:
            self.stop()
            raise

    # -- processes

    def add(self, name: str, command: list[str], cwd: Path | None = None, env: dict | None = None) -> Process:
        process = Process(name, pinned(SERVER_CPU, command), self.workdir, cwd, env)
        self.commands.setdefault(re.sub(r"\d+$", "", name), self.display(process.command))
        return process

    def display(self, command: list[str]) -> str:
        text = shlex.join(command).replace(str(self.workdir), "WORKDIR").replace(f"{ROOT}/", "").replace(f":{self.port}", ":PORT")
        text = text.replace(f"--port {self.port}", "--port PORT")
        if self.url:
            text = text.replace(self.url, "postgres://postgres@127.0.0.1:PGPORT/DB")
        if self.redis_port:
            text = text.replace(str(self.redis_port), "REDISPORT")
        return text

    def python_env(self) -> dict:
        env = {"NOTIFICATION_LOG": str(self.workdir / "log.txt")}
        if self.row.kind == "procrastinate":
            env |= {"PROCRASTINATE_DSN": self.url, "PYTHONPATH": str(PROCRASTINATE_DIR)}
        else:
            env |= {"CELERY_BROKER_URL": f"redis://{HOST}:{self.redis_port}/0", "CELERY_RELIABLE": "1",
                    "PYTHONPATH": str(CELERY_DIR)}
        return env

    def uvicorn(self, peer: Path) -> list[str]:
        return [str(peer / ".venv" / "bin" / "python"), "-m", "uvicorn", "app:app", "--app-dir", str(peer),
                "--host", HOST, "--port", str(self.port), "--loop", "uvloop", "--http", "httptools",
                "--no-access-log", "--log-level", "warning"]

    def start_web(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        kind = self.row.kind
        if kind == "eventide":
            command = [str(self.binary), "bench", "--host", HOST, "--port", str(self.port),
                       "--workdir", str(self.workdir), "--task-store", self.url, "--local-workers", "0",
                       "--log-level", "warning"]
            self.web = self.add("web", command)
        elif kind == "procrastinate":
            python = str(PROCRASTINATE_VENV / "bin" / "python")
            schema = [python, "-m", "procrastinate", "--app", "tasks.app", "schema", "--apply"]
            done = subprocess.run(schema, cwd=PROCRASTINATE_DIR, env=dict(os.environ, **self.python_env()),
                                  capture_output=True, text=True, timeout=STARTUP_TIMEOUT)
            if done.returncode != 0:
                raise Skip(f"procrastinate schema --apply failed: {(done.stderr or done.stdout).strip()[-200:]}")
            self.commands["schema"] = self.display(schema)
            self.web = self.add("web", self.uvicorn(PROCRASTINATE_DIR),
                                env=self.python_env() | {"PROCRASTINATE_POOL_SIZE": str(WEB_POOL)})
        else:
            self.redis_port = free_port()
            config = self.workdir / "redis.conf"
            config.write_text(
                f"port {self.redis_port}\nbind {HOST}\nprotected-mode yes\ndaemonize no\n"
                f"dir {self.workdir}\nlogfile {self.workdir / 'redis.log'}\n"
                + (durable.REDIS_AOF_ALWAYS if self.row.aof else durable.REDIS_DEFAULT_PERSISTENCE))
            redis = self.add("redis", ["redis-server", str(config)])
            self.others.append(redis)
            while not durable.redis_ping(self.redis_port):
                if not redis.alive() or time.monotonic() > deadline:
                    raise Skip(f"redis-server did not start: {redis.tail()}")
                time.sleep(0.02)
            self.web = self.add("web", self.uvicorn(CELERY_DIR), env=self.python_env())
        durable.wait_port(self.web, self.port, deadline)

    def start_workers(self, count: int) -> float:
        """Starts `count` worker processes; returns when they were started (monotonic)."""
        started = time.monotonic()
        for index in range(len(self.workers), len(self.workers) + count):
            name = f"worker{index + 1}"
            if self.row.kind == "eventide":
                command = [str(self.binary), "worker", "--store", self.url, "--workdir", str(self.workdir),
                           "--queues", f"default:{CONCURRENCY}"]
                self.workers.append(self.add(name, command))
            elif self.row.kind == "procrastinate":
                command = [str(PROCRASTINATE_VENV / "bin" / "python"), "-m", "procrastinate", "--log-level",
                           "warning", "--app", "tasks.app", "worker", "--name", name,
                           "--concurrency", str(CONCURRENCY)]
                self.workers.append(self.add(name, command, cwd=PROCRASTINATE_DIR,
                                             env=self.python_env() | {"PROCRASTINATE_POOL_SIZE": str(CONCURRENCY)}))
            else:
                command = [str(CELERY_VENV / "bin" / "python"), "-m", "celery", "--app", "tasks", "worker",
                           "--loglevel", "warning", "--hostname", f"{name}@%h"]
                if CELERY_CONCURRENCY:
                    command += ["--concurrency", str(CELERY_CONCURRENCY)]
                env = self.python_env() | {"CELERY_READY_FILE": str(self.workdir / f"{name}.ready")}
                self.workers.append(self.add(name, command, cwd=CELERY_DIR, env=env))
        return started

    def wait_workers_ready(self, limit: float = STARTUP_TIMEOUT) -> None:
        """Celery: every worker's worker_ready file. Eventide: every worker registered in
        `eventide_workers` (a worker registers, then listens, before its queue starts). Other
        PostgreSQL workers: as many sessions whose last statement was a LISTEN as there are
        workers (at most 10 s: a worker may listen otherwise; the warm-up covers the rest)."""
        deadline = time.monotonic() + limit
        if self.row.kind == "celery":
            for worker in self.workers:
                while not (self.workdir / f"{worker.name}.ready").exists():
                    if not worker.alive() or time.monotonic() > deadline:
                        raise Skip(f"celery {worker.name} not ready: {worker.tail()}")
                    time.sleep(0.05)
            return
        deadline = min(deadline, time.monotonic() + 10)
        query = (f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{self.database}' "
                 "AND query ILIKE '%listen %'")
        if self.row.kind == "eventide":
            pids = ",".join(str(pid) for worker in self.workers for pid in process_tree(worker.pid))
            query = f"SELECT count(*) FROM eventide_workers WHERE pid IN ({pids})"
        database = self.database if self.row.kind == "eventide" else "postgres"

        def ready() -> int:
            try:
                return int(self.cluster.sql(query, database=database) or 0)
            except RuntimeError:  # psql failed: the tables are not made yet
                return 0

        while ready() < len(self.workers):
            problem = self.dead()
            if problem:
                raise Skip(problem)
            if time.monotonic() > deadline:
                log("  workers: not every one seen ready within 10 s; going on")
                return
            time.sleep(0.05)

    def processes(self) -> list[Process]:
        return [p for p in [self.web, *self.workers, *self.others] if p is not None]

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far per component: web, workers, redis (process trees), postgres (the whole
        server, exited backends included)."""
        figures: dict[str, float] = {}
        for process in self.processes():
            name = "workers" if process in self.workers else process.name
            figures[name] = figures.get(name, 0.0) + sum(
                durable.proc_ticks(pid) for pid in process_tree(process.pid)) / CLK_TCK
        if self.cluster:
            figures["postgres"] = self.cluster.cpu_seconds()
        return figures

    def dead(self) -> str | None:
        for process in self.processes():
            if not process.alive():
                return f"{process.name} exited: {process.tail()}"
        return None

    def stop(self) -> None:
        for process in [*self.workers, self.web, *self.others]:
            if process is not None:
                process.stop()
        if self.cluster and self.database:
            try:
                self.cluster.drop_database(self.database)
            except Exception as error:  # the cluster may be down: the run's end removes it anyway
                log(f"  drop database {self.database}: {error}")
        shutil.rmtree(self.workdir, ignore_errors=True)


# --------------------------------------------------------------------------
# Waiting for the log


def wait_for_lines(counter: LogCounter, target: int, first_limit: float = FIRST_LINE_LIMIT,
                   limit: float = CATCHUP_LIMIT) -> dict:
    """Polls log.txt (every 10 ms) until it holds `target` lines; when the first new line and the
    last came, and whether the target was reached."""
    start = time.monotonic()
    lines = counter.count()
    initial = lines
    first = last = None
    while lines < target:
        now = time.monotonic()
        if now - start > limit or (first is None and now - start > first_limit) or (
                last is not None and now - last > STALL):
            break
        time.sleep(durable.POLL)
        new = counter.count()
        if new != lines:
            now = time.monotonic()
            first = first or now
            last, lines = now, new
    if lines >= target and last is None:
        last = first = start
    return {"reached": lines >= target, "lines": lines - initial, "first": first, "last": last}


def ready_and_warm(stack: Stack, counter: LogCounter, with_workers: bool) -> int:
    """Probe (and its line with workers), then a 2 s warm-up load; returns the tasks answered 200 so
    far. With workers, waits until they are all in the log and the log is quiet."""
    status = probe(stack.port, ROUTE + "probe@example.com")
    if status != 200:
        raise Skip(f"probe {ROUTE}probe@example.com → {status}")
    if with_workers and not wait_for_lines(counter, 1)["reached"]:
        raise Skip(f"the probe's task was not written within {FIRST_LINE_LIMIT:.0f} s: {stack.dead() or ''}")
    warm = run_wrk(ROUTE, WARMUP_SECONDS, stack.port)
    answered = 1 + ok(warm)
    if with_workers:
        if not wait_for_lines(counter, answered)["reached"]:
            log(f"  warm-up: only {counter.count()} of {answered} tasks written")
        durable.wait_quiet(counter)
    return answered


class Load:
    """The measured wrk load with the server CPU and the other work on the machine around it."""

    def __init__(self, stack: Stack, duration: int):
        if QUIET_WAIT:
            durable.wait_for_quiet_machine(stack, QUIET_WAIT)
        self.cpu_start, machine_start, own_start = stack.cpu(), cpu_times(), own_cpu()
        self.figures = run_wrk(ROUTE, duration, stack.port)
        self.end = time.monotonic()
        self.cpu_end, machine_end, own = stack.cpu(), cpu_times(), own_cpu() - own_start
        seconds = self.figures["duration_us"] / 1e6
        server = sum(self.cpu_end.values()) - sum(self.cpu_start.values())
        core, load_core = f"cpu{SERVER_CPU}", f"cpu{WRK_CPU}"
        busy0 = (machine_end[core][0] - machine_start[core][0]) / CLK_TCK
        busy1 = (machine_end[load_core][0] - machine_start[load_core][0]) / CLK_TCK
        self.other0 = max(busy0 - server, 0.0) / seconds
        self.other1 = max(busy1 - own, 0.0) / seconds
        self.other = max(self.other0, self.other1)
        self.seconds = seconds
        self.ok = ok(self.figures)

    def summary(self) -> dict:
        figures = self.figures
        return {
            "rps": figures["requests"] / self.seconds, "requests": figures["requests"], "ok": self.ok,
            "p50_us": figures["latency_us"]["p50"], "p99_us": figures["latency_us"]["p99"],
            "non_2xx": figures["errors"]["status"],
            "socket_errors": sum(figures["errors"][k] for k in ("connect", "read", "write", "timeout")),
            "cpu0_other_share": round(self.other0, 3), "cpu1_other_share": round(self.other1, 3),
            "other_share": round(self.other, 3),
        }


def cpu_breakdown(start: dict, end: dict, per: int) -> dict:
    return {name: round((end[name] - start.get(name, 0.0)) * 1e6 / per, 1) for name in end} if per else {}


def retried(measure, *args) -> dict:
    """Measures again (at most RETRIES more times) when other work took more than 10% of a CPU."""
    for attempt in range(RETRIES + 1):
        result = measure(*args)
        if result["other_share"] <= durable.OTHER_LIMIT or attempt == RETRIES:
            break
        log(f"  other work took {result['other_share']:.0%} of a CPU during the load: measuring again")
    result["attempts"] = attempt + 1
    return result


# --------------------------------------------------------------------------
# The measurements


def measure_enqueue(row: Row, binary, cluster, tag: str, duration: int, drain_workers: int) -> dict:
    stack = Stack(row, binary, cluster, tag)
    try:
        counter = LogCounter(stack.workdir / "log.txt")
        answered = ready_and_warm(stack, counter, with_workers=False)
        load = Load(stack, duration)
        load_cpu = sum(load.cpu_end.values()) - sum(load.cpu_start.values())
        backlog = answered + load.ok
        lines_before = counter.count()
        cpu_before = stack.cpu()
        started = stack.start_workers(drain_workers)
        drained = wait_for_lines(counter, backlog)
        cpu_after = stack.cpu()
        problem = stack.dead()
        if problem:
            raise Skip(problem)
        rate = None
        if drained["first"] is not None and drained["last"] > drained["first"]:
            rate = (drained["lines"] - 1) / (drained["last"] - drained["first"])
        return load.summary() | {
            "cpu_us_per_req": load_cpu * 1e6 / load.figures["requests"],
            "cpu_breakdown_us_per_req": cpu_breakdown(load.cpu_start, load.cpu_end, load.figures["requests"]),
            "lines_before_workers": lines_before,
            "backlog": backlog, "drain_workers": drain_workers, "drained": drained["reached"],
            "drain_written": drained["lines"],
            "drain_s": round(drained["last"] - started, 3) if drained["reached"] else None,
            "drain_first_line_s": round(drained["first"] - started, 3) if drained["first"] else None,
            "drain_tasks_per_s": rate,
            "drain_cpu_us_per_task": (sum(cpu_after.values()) - sum(cpu_before.values())) * 1e6 / drained["lines"]
            if drained["lines"] else None,
            "commands": stack.commands,
        }
    finally:
        stack.stop()


def measure_e2e(row: Row, binary, cluster, tag: str, duration: int, workers: int) -> dict:
    stack = Stack(row, binary, cluster, tag)
    try:
        stack.start_workers(workers)
        stack.wait_workers_ready()
        counter = LogCounter(stack.workdir / "log.txt")
        ready_and_warm(stack, counter, with_workers=True)
        baseline = counter.count()
        load = Load(stack, duration)
        written_at_end = counter.count() - baseline
        caught = wait_for_lines(counter, baseline + load.ok, first_limit=CATCHUP_LIMIT)
        caught_at = caught["last"] if caught["reached"] else None
        cpu_end = stack.cpu()
        problem = stack.dead()
        if problem:
            raise Skip(problem)
        catch_up = max(caught_at - load.end, 0.0) if caught_at else None
        tasks = load.ok
        return load.summary() | {
            "workers": workers,
            "tasks_per_s": tasks / (load.seconds + catch_up) if catch_up is not None else None,
            "catch_up_s": round(catch_up, 3) if catch_up is not None else None,
            "backlog_at_load_end": max(tasks - written_at_end, 0),
            "written": counter.count() - baseline,
            "cpu_us_per_task": (sum(cpu_end.values()) - sum(load.cpu_start.values())) * 1e6 / tasks if tasks else None,
            "cpu_breakdown_us_per_task": cpu_breakdown(load.cpu_start, cpu_end, tasks),
            "commands": stack.commands,
        }
    finally:
        stack.stop()


class LineWatcher(threading.Thread):
    """Reads log.txt every LATENCY_POLL seconds and notes when each email's line first appeared."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.seen: dict[str, float] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        offset, rest = 0, b""
        while not self.halt.is_set():
            try:
                with self.path.open("rb") as file:
                    file.seek(offset)
                    chunk = file.read()
            except FileNotFoundError:
                chunk = b""
            if chunk:
                now = time.monotonic()
                offset += len(chunk)
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    if line.startswith(b"notification for "):
                        email = line[len(b"notification for "):].split(b":", 1)[0].decode()
                        self.seen.setdefault(email, now)
            time.sleep(LATENCY_POLL)


def measure_latency(row: Row, binary, cluster, tag: str, rate: float, seconds: float, workers: int) -> dict:
    stack = Stack(row, binary, cluster, tag)
    watcher = LineWatcher(stack.workdir / "log.txt")
    try:
        stack.start_workers(workers)
        stack.wait_workers_ready()
        watcher.start()
        connection = http.client.HTTPConnection(HOST, stack.port, timeout=10)

        def send(email: str) -> tuple[float, float]:
            for attempt in (1, 2):  # a keep-alive connection the server closed while idle: once more
                sent = time.monotonic()
                try:
                    connection.request("POST", ROUTE + email, body=b"")
                    response = connection.getresponse()
                    response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionError):
                    connection.close()
                    if attempt == 2:
                        raise
            if response.status != 200:
                raise Skip(f"{ROUTE}{email} → {response.status}")
            return sent, time.monotonic()

        for index in range(LATENCY_WARMUP):
            send(f"warm{index}@example.com")
            time.sleep(1 / rate)
        deadline = time.monotonic() + 10
        while len(watcher.seen) < LATENCY_WARMUP and time.monotonic() < deadline:
            time.sleep(0.01)
        if QUIET_WAIT:
            durable.wait_for_quiet_machine(stack, QUIET_WAIT)
        answered: dict[str, tuple[float, float]] = {}
        count = int(rate * seconds)
        next_at = time.monotonic()
        for index in range(count):
            email = f"lat{index}@example.com"
            answered[email] = send(email)
            next_at += 1 / rate
            time.sleep(max(next_at - time.monotonic(), 0))
        deadline = time.monotonic() + 10
        while any(email not in watcher.seen for email in answered) and time.monotonic() < deadline:
            time.sleep(0.01)
        connection.close()
        problem = stack.dead()
        if problem:
            raise Skip(problem)
        after_response = sorted((watcher.seen[e] - r) * 1e6 for e, (_, r) in answered.items() if e in watcher.seen)
        after_request = sorted((watcher.seen[e] - s) * 1e6 for e, (s, _) in answered.items() if e in watcher.seen)
        missing = sum(1 for email in answered if email not in watcher.seen)
        response = sorted((r - s) * 1e6 for s, r in answered.values())
        return {
            "workers": workers, "rate": rate, "tasks": count, "missing": missing,
            "p50_us": percentile(after_response, 50), "p99_us": percentile(after_response, 99),
            "max_us": after_response[-1] if after_response else None,
            "from_request_p50_us": percentile(after_request, 50), "from_request_p99_us": percentile(after_request, 99),
            "response_p50_us": percentile(response, 50), "response_p99_us": percentile(response, 99),
            "commands": stack.commands,
        }
    finally:
        watcher.halt.set()
        stack.stop()


def percentile(values: list[float], p: float):
    if not values:
        return None
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


PGBENCH_SCRIPTS = {
    "1-row": "INSERT INTO bench_rows (payload) VALUES ('notification for user@example.com: some notification');\n",
    f"{PGBENCH_BATCH}-row": "INSERT INTO bench_rows (payload) SELECT 'notification for user' || g || "
                            f"'@example.com: some notification' FROM generate_series(1, {PGBENCH_BATCH}) g;\n",
}


def pgbench_command(cluster: Cluster, database: str, script: Path, seconds: int) -> list[str]:
    return pinned(WRK_CPU, [str(cluster.bin / "pgbench"), "-n", "-M", "prepared", "-c", str(PGBENCH_CLIENTS),
                            "-j", "1", "-T", str(seconds), "-f", str(script), "-h", HOST, "-p", str(cluster.port),
                            "-U", "postgres", database])


class ServerOnly:
    """The cluster as the server side, for durable's wait for a quiet machine."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def cpu(self) -> dict[str, float]:
        return {"postgres": self.cluster.cpu_seconds()}


def measure_pgbench(cluster: Cluster, tag: str, duration: int) -> dict:
    database = f"pgbench_{tag}"
    cluster.create_database(database)
    workdir = Path(tempfile.mkdtemp(prefix="eventide-pgbench-"))
    try:
        cluster.sql("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text NOT NULL, "
                    "created_at timestamptz NOT NULL DEFAULT now())", database)
        figures: dict = {}
        for name, text in PGBENCH_SCRIPTS.items():
            script = workdir / f"{name}.sql"
            script.write_text(text)
            subprocess.run(pgbench_command(cluster, database, script, WARMUP_SECONDS), capture_output=True)
            if QUIET_WAIT:
                durable.wait_for_quiet_machine(ServerOnly(cluster), QUIET_WAIT)
            cpu_start, start = cluster.cpu_seconds(), time.monotonic()
            done = subprocess.run(pgbench_command(cluster, database, script, duration), capture_output=True,
                                  text=True, timeout=duration + 120)
            cpu = cluster.cpu_seconds() - cpu_start
            tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
            latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
            if done.returncode != 0 or not tps:
                raise Skip(f"pgbench failed: {(done.stderr or done.stdout).strip()[-300:]}")
            commits = float(tps.group(1))
            transactions = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
            count = int(transactions.group(1)) if transactions else commits * duration
            rows = PGBENCH_BATCH if name != "1-row" else 1
            figures[name] = {
                "commits_per_s": commits, "rows_per_s": commits * rows,
                "latency_avg_us": float(latency.group(1)) * 1000 if latency else None,
                "cpu_us_per_commit": cpu * 1e6 / count if count else None,
                "postgres_cpu_share": cpu / (time.monotonic() - start),
                "command": shlex.join(pgbench_command(cluster, "DB", Path(f"{name}.sql"), duration)).replace(
                    str(cluster.port), "PGPORT"),
                "script": text.strip(),
            }
        return {"scripts": figures, "other_share": 0.0}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        cluster.drop_database(database)


# --------------------------------------------------------------------------
# Setup


def eventide_binary(args) -> tuple[Path, str | None]:
    """The eventide-example to measure, and why the Eventide rows are skipped (None: they run)."""
    given = args.binary or os.environ.get("BIN")
    binary = Path(given).resolve() if given else DEFAULT_BINARY
    if not given and not args.no_build:
        log("Building eventide-example (release, as make build)")
        try:
            run_build(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "eventide-example"])
        except Skip as failure:
            if not binary.exists():
                return binary, str(failure)
            log(f"  {failure}: measuring the previous build")
    if not binary.exists():
        return binary, f"no eventide-example at {binary}"

    def helps(*command: str) -> tuple[int, str]:
        try:
            done = subprocess.run([str(binary), *command, "--help"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return 1, str(error)
        return done.returncode, done.stdout + done.stderr

    status, text = helps("worker")
    if status != 0:
        first = next((line.strip() for line in text.splitlines() if line.strip()), f"exit {status}")
        return binary, f"`eventide-example worker --help` failed ({first[:120]})"
    if "eventide-example worker" not in text:  # ArgumentParser answers an unknown command's --help with the top level's
        return binary, "no `eventide-example worker` command yet (`worker --help` shows the top-level help)"
    for option in ("--store", "--workdir", "--queues"):
        if option not in text:
            return binary, f"`eventide-example worker --help` lists no {option}"
    status, text = helps("bench")
    for option in ("--task-store", "--local-workers"):
        if option not in text:
            return binary, f"`eventide-example bench --help` lists no {option}"
    return binary, None


def setup_procrastinate() -> str:
    python = durable.ensure_venv(PROCRASTINATE_DIR, "FastAPI + procrastinate",
                                 "fastapi, uvicorn, uvloop, httptools, procrastinate, psycopg")
    return subprocess.run(
        [str(python), "-c",
         "import fastapi, uvicorn, procrastinate, psycopg, psycopg_pool, sys;"
         "print(f'procrastinate {procrastinate.__version__}, psycopg {psycopg.__version__} "
         "({psycopg.pq.__impl__}, libpq {psycopg.pq.version()}), psycopg_pool {psycopg_pool.__version__}, "
         "fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}, python {sys.version.split()[0]}')"],
        capture_output=True, text=True).stdout.strip()


# --------------------------------------------------------------------------
# Report


def skipped_line(title: str, reason: str, columns: int) -> str:
    return f"| {title} | " + " | ".join(["—"] * (columns - 2)) + f" | skipped: {reason} |"


def section(out: list[str], heading: str, columns: list[str], keys: list[str], skips: dict, cells) -> None:
    """One table: a line per measured row (`cells(key)` gives its lines' cells after the title),
    or the reason it was skipped."""
    out += [heading, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for key in keys:
        if key in skips:
            out.append(skipped_line(ROWS[key].title, skips[key], len(columns)))
            continue
        for line in cells(key):
            out.append("| " + " | ".join([ROWS[key].title, *line]) + " |")
    out.append("")


def medians(runs: list[dict]):
    return lambda name: median([run[name] for run in runs])


def other_work(m) -> str:
    return f"{m('cpu0_other_share'):.0%} / {m('cpu1_other_share'):.0%}"


def tables(results: dict, skips: dict, keys: list[str], workers: list[int], args) -> list[str]:
    out: list[str] = []
    stacks = [k for k in keys if ROWS[k].kind != "pgbench"]
    drain = max(workers)

    def runs(key: str, measure: str) -> list[dict]:
        return results.get(key, {}).get(measure, [])

    def enqueue(key: str) -> list[list[str]]:
        r = runs(key, "enqueue")
        if not r:
            return []
        m = medians(r)
        undrained = sum(1 for x in r if not x["drained"])
        return [[fmt_int(m("rps")), fmt_latency(m("p50_us")), fmt_latency(m("p99_us")), fmt_int(m("non_2xx")),
                 fmt(m("cpu_us_per_req")), fmt(m("drain_s"), 2), fmt_int(m("drain_tasks_per_s")), other_work(m),
                 f"not drained in {undrained} of {len(r)} rounds" if undrained else ""]]

    def e2e(key: str) -> list[list[str]]:
        lines = []
        for count in workers:
            r = runs(key, f"e2e-{count}")
            if r:
                m = medians(r)
                lines.append([str(count), f"**{fmt_int(m('tasks_per_s'))}**", fmt_int(m("rps")),
                              fmt_latency(m("p50_us")), fmt_latency(m("p99_us")), fmt_int(m("non_2xx")),
                              fmt(m("catch_up_s"), 2), fmt(m("cpu_us_per_task")), other_work(m)])
        return lines

    def latency(key: str) -> list[list[str]]:
        r = runs(key, "latency")
        if not r:
            return []
        m = medians(r)
        return [[fmt_int(m("tasks")), fmt_latency(m("p50_us")), fmt_latency(m("p99_us")), fmt_latency(m("max_us")),
                 fmt_int(m("missing")), f"{fmt_latency(m('response_p50_us'))} / {fmt_latency(m('response_p99_us'))}"]]

    if stacks and "enqueue" in args.measures:
        section(out, "### Enqueue only (no worker running during the load)",
                ["row", "req/s", "p50", "p99", "non-2xx", "server CPU µs/req", f"backlog drain s ({drain} workers)",
                 "drain tasks/s", "other work (CPU 0 / 1)", "notes"], stacks, skips, enqueue)
    if stacks and "e2e" in args.measures:
        section(out, "### End to end (HTTP enqueue to task done)",
                ["row", "workers", "tasks/s (end to end)", "req/s", "p50", "p99", "non-2xx", "catch-up s",
                 "server CPU µs/task", "other work (CPU 0 / 1)"], stacks, skips, e2e)
    if stacks and "latency" in args.measures:
        section(out, f"### Enqueue to start, idle fleet of {drain} workers ({args.latency_rate:g} requests/s, one "
                f"at a time, for {args.latency_seconds:g} s): from the 200 to the line in log.txt",
                ["row", "tasks", "p50", "p99", "max", "missing", "response p50 / p99"], stacks, skips, latency)

    if "pgbench" in keys:
        columns = ["pgbench script", "clients", "commits/s", "rows/s", "latency avg", "PostgreSQL CPU µs/commit",
                   "PostgreSQL CPU share"]
        out += ["### The floor: pgbench against the same cluster (PostgreSQL on CPU 0, pgbench on CPU 1)", "",
                "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        if "pgbench" in skips:
            out.append(skipped_line("pgbench", skips["pgbench"], len(columns)))
        for name in PGBENCH_SCRIPTS:
            r = [x["scripts"][name] for x in runs("pgbench", "pgbench")]
            if not r:
                continue
            m = medians(r)
            out.append(f"| `{r[0]['script']}` | {PGBENCH_CLIENTS} | **{fmt_int(m('commits_per_s'))}** | "
                       f"**{fmt_int(m('rows_per_s'))}** | {fmt_latency(m('latency_avg_us'))} | "
                       f"{fmt(m('cpu_us_per_commit'))} | {m('postgres_cpu_share'):.0%} |")
        out.append("")
    return out


def environment(cluster: Cluster | None, binary: Path | None, versions: dict) -> dict:
    cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "?")
    settings = cluster.settings_in_force("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
                                         "max_connections", "shared_buffers") if cluster else {}
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "cpu_model": cpu_model, "kernel": os.uname().release,
        "load_average": os.getloadavg()[0],
        "wrk": first_line(["wrk", "-v"]).split(" Copyright")[0],
        "postgres": cluster.version if cluster else None, "postgres_settings": settings,
        "pgbench": first_line([str(cluster.bin / "pgbench"), "--version"]) if cluster else None,
        "git_commit": first_line(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", "Sources", "Package.swift"]),
        "binary": str(binary) if binary else None, **versions,
    }


def report(env: dict, args, keys: list[str], workers: list[int], results: dict, skips: dict) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in env["postgres_settings"].items())
    lines = [f"# Durable tasks on PostgreSQL, {env['date']}", "",
             f"- Machine: {env['nproc']} CPUs, {env['cpu_model']}, kernel {env['kernel']}; 1-minute load average "
             f"at start {env['load_average']:.2f}"]
    if env["postgres"]:
        lines.append(f"- {env['postgres']}, a throw-away cluster (Benchmarks/pgcluster.py) on CPU 0: {settings}")
    if env.get("procrastinate"):
        lines.append(f"- FastAPI + procrastinate: {env['procrastinate']}; web pool {WEB_POOL} connections, "
                     f"worker `--concurrency {CONCURRENCY}` with a pool of {CONCURRENCY}")
    if env.get("celery"):
        lines.append(f"- FastAPI + Celery: {env['celery']}; worker prefork pool, concurrency "
                     f"{CELERY_CONCURRENCY or 'default (one per CPU)'}, acks_late, prefetch 1")
    if "eventide" in keys:
        lines.append(f"- Eventide: sources of commit {env['git_commit']}, binary {env['binary']}; workers "
                     f"`--queues default:{CONCURRENCY}`" + (f" (skipped: {skips['eventide']})" if "eventide" in skips else ""))
    lines += [f"- {env['wrk']}; {args.rounds} round(s) of {args.duration} s loads (`wrk -t1 -c64 --latency`, "
              f"{WARMUP_SECONDS} s warm-up), fresh processes and database per measurement, medians over the rounds",
              "- Server side (web, workers, PostgreSQL, Redis) on CPU 0, wrk, pgbench and this script on CPU 1; "
              "server CPU: utime+stime of those processes (PostgreSQL: every process of the cluster, exited "
              "backends included; Celery rows: Redis, not PostgreSQL) over the load (enqueue) or the load and "
              "its catch-up (end to end)",
              "- Other work: the share of CPU 0 outside the server side, of CPU 1 outside wrk and this script, "
              "during the load; high shares mean noisy figures", ""]
    lines += tables(results, skips, keys, workers, args)
    lines += ["Commands:", ""]
    seen = set()
    for key in keys:
        for measure, runs in results.get(key, {}).items():
            for name, command in (runs[-1].get("commands") or {}).items():
                if (key, name) not in seen:
                    seen.add((key, name))
                    lines.append(f"- {key} {name}: `{command}`")
            for name, figures in (runs[-1].get("scripts") or {}).items():
                lines.append(f"- pgbench {name}: `{figures['command']}`")
    lines.append(f"- load: `{shlex.join(durable.wrk_command(ROUTE, args.duration, 0)).replace(':0 ', ':PORT ')}`")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------


def main() -> None:
    global QUIET_WAIT, RETRIES, CELERY_CONCURRENCY, CONCURRENCY
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each measured load (default 5)")
    parser.add_argument("--only", help="rows, comma-separated: " + ",".join(ROWS))
    parser.add_argument("--pgbench", action="store_true", help="the pgbench floor only (as --only pgbench)")
    parser.add_argument("--measures", default="enqueue,e2e,latency",
                        help="which measurements per row (default enqueue,e2e,latency)")
    parser.add_argument("--workers", default="1,2,4", help="worker processes for the end-to-end figures; the "
                        "largest also drains the enqueue backlog and is the idle fleet (default 1,2,4)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help=f"tasks at once per worker process, Eventide and procrastinate (default {CONCURRENCY})")
    parser.add_argument("--celery-concurrency", type=int, help="Celery prefork processes per worker (default: "
                        "Celery's, one per CPU)")
    parser.add_argument("--latency-rate", type=float, default=50.0, help="requests/s of the latency measurement")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="its length in seconds (default 10)")
    parser.add_argument("--binary", help="eventide-example to measure (default: $BIN, else a fresh release build)")
    parser.add_argument("--no-build", action="store_true", help="measure the existing .build/release binary")
    parser.add_argument("--quiet-wait", type=float, default=QUIET_WAIT,
                        help="before each measured load, wait up to this many seconds until other work takes at "
                             "most 10%% of CPU 0 and of CPU 1 (default 60; 0: don't wait)")
    parser.add_argument("--retries", type=int, default=RETRIES,
                        help="measure a load again (at most this many times) when other work took more than 10%% "
                             "of CPU 0 or 1 during it (default 1)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    keys = ["pgbench"] if args.pgbench else (
        [k.strip() for k in args.only.split(",")] if args.only else list(ROWS))
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)}; known: {', '.join(ROWS)}")
    args.measures = [m.strip() for m in args.measures.split(",")]
    if set(args.measures) - {"enqueue", "e2e", "latency"}:
        parser.error("--measures takes enqueue, e2e, latency")
    workers = sorted({int(w) for w in args.workers.split(",")})
    if args.rounds < 1 or args.duration < 1 or not workers or min(workers) < 1:
        parser.error("--rounds, --duration and --workers must be at least 1")
    QUIET_WAIT, RETRIES, CELERY_CONCURRENCY = args.quiet_wait, args.retries, args.celery_concurrency
    CONCURRENCY = args.concurrency
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset") or not shutil.which("wrk"):
        sys.exit("error: needs 2 CPUs, taskset and wrk")

    skips: dict[str, str] = {}
    versions: dict[str, str] = {}
    binary = None
    if "eventide" in keys:
        binary, reason = eventide_binary(args)
        if reason:
            skips["eventide"] = reason
            log(f"eventide: skipped: {reason}")
    for kind, setup in (("procrastinate", setup_procrastinate), ("celery", durable.setup_peer)):
        if any(ROWS[k].kind == kind for k in keys):
            try:
                versions[kind] = setup()
            except Skip as skip:
                for k in keys:
                    if ROWS[k].kind == kind:
                        skips[k] = str(skip)
    os.sched_setaffinity(0, {int(WRK_CPU)})

    results: dict[str, dict[str, list[dict]]] = {}
    cluster = None
    env = None
    try:
        if any(ROWS[k].uses_postgres and k not in skips for k in keys):
            log("Starting a PostgreSQL cluster on CPU 0 (fsync=on, synchronous_commit=on)")
            cluster = Cluster(max_connections=MAX_CONNECTIONS, cpu=SERVER_CPU)
        env = environment(cluster, binary, versions)
        run_rounds(args, keys, workers, binary, cluster, skips, results)
    except KeyboardInterrupt:
        log("Interrupted: the report covers the measurements done so far")
    finally:
        for process in reversed(durable.STARTED):
            process.stop()
        if env is None:
            env = environment(cluster, binary, versions)
        if cluster:
            cluster.destroy()
    text = report(env, args, keys, workers, {k: v for k, v in results.items() if k not in skips}, skips)
    print(text)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        (RESULTS_DIR / f"postgres-{stamp}.md").write_text(text)
        document = {"environment": env, "settings": vars(args) | {"rows": keys, "workers": workers,
                    "concurrency": CONCURRENCY, "web_pool": WEB_POOL, "max_connections": MAX_CONNECTIONS},
                    "results": results, "skipped": skips}
        (RESULTS_DIR / f"postgres-{stamp}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        log(f"Wrote {RESULTS_DIR}/postgres-{stamp}.md and .json")


def run_rounds(args, keys, workers, binary, cluster, skips, results) -> None:
    serial = 0
    for round_index in range(args.rounds):
        shift = round_index % len(keys)
        for key in keys[shift:] + keys[:shift]:
            row = ROWS[key]
            if key in skips:
                continue
            plan = [("pgbench", lambda tag: measure_pgbench(cluster, tag, args.duration))] if row.kind == "pgbench" else []
            if row.kind != "pgbench":
                if "enqueue" in args.measures:
                    plan.append(("enqueue", lambda tag: retried(measure_enqueue, row, binary, cluster, tag,
                                                                args.duration, max(workers))))
                if "e2e" in args.measures:
                    for count in workers:
                        plan.append((f"e2e-{count}", lambda tag, count=count: retried(
                            measure_e2e, row, binary, cluster, tag, args.duration, count)))
                if "latency" in args.measures:
                    plan.append(("latency", lambda tag: measure_latency(
                        row, binary, cluster, tag, args.latency_rate, args.latency_seconds, max(workers))))
            for measure, run in plan:
                serial += 1
                log(f"[round {round_index + 1}/{args.rounds}] {key}: {measure}")
                try:
                    result = run(f"{serial}")
                except Skip as skip:
                    skips[key] = f"{measure}: {skip}"
                    log(f"  skipped: {skip}")
                    break
                except Exception as error:  # a harness or peer failure: the row goes, the run goes on
                    skips[key] = f"{measure}: {type(error).__name__}: {error}"
                    log(f"  failed: {traceback.format_exc()}")
                    break
                result["round"] = round_index + 1
                results.setdefault(key, {}).setdefault(measure, []).append(result)
                log("  " + progress(measure, result))


def progress(measure: str, r: dict) -> str:
    if measure == "pgbench":
        return "; ".join(f"{name}: {f['commits_per_s']:,.0f} commits/s, {f['rows_per_s']:,.0f} rows/s"
                         for name, f in r["scripts"].items())
    if measure == "latency":
        return (f"{r['tasks']} tasks, response → line p50 {fmt_latency(r['p50_us'])}, p99 {fmt_latency(r['p99_us'])}, "
                f"{r['missing']} missing")
    text = (f"{r['rps']:,.0f} req/s, p99 {fmt_latency(r['p99_us'])}, {r['non_2xx']} non-2xx, "
            f"other work {r['other_share']:.0%}")
    if measure == "enqueue":
        return text + (f", {r['cpu_us_per_req']:.1f} µs/req; backlog {r['backlog']} drained by {r['drain_workers']} "
                       f"workers in {r['drain_s']} s ({fmt_int(r['drain_tasks_per_s'])} tasks/s)")
    return text + (f"; {fmt_int(r['tasks_per_s'])} tasks/s end to end, catch-up {r['catch_up_s']} s, "
                   f"{fmt(r['cpu_us_per_task'])} µs/task")


if __name__ == "__main__":
    main()
