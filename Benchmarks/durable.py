#!/usr/bin/env python3
"""Durable background tasks: Eventide against FastAPI + Celery + Redis (issue 15, "Speed").

    python3 Benchmarks/durable.py                          # 3 rounds, every row
    python3 Benchmarks/durable.py --rounds 1 --only inprocess,full
    BIN=/path/to/eventide-example python3 Benchmarks/durable.py
    python3 Benchmarks/durable.py --help

Rows, each measured in every round on fresh processes (the order rotates per round):
- inprocess: Eventide `POST /send-notification/{email}` (in-process background task)
- full:      Eventide `POST /durable-notification/{email}`, SQLite WAL synchronous=FULL
- normal:    the same with --relaxed-durability (synchronous=NORMAL)
- celery:    FastAPI + Celery, Redis broker with its default persistence (RDB snapshots,
             appendonly no), Celery's reliability settings (task_acks_late=True,
             worker_prefetch_multiplier=1)
- celery-aof: the same with Redis appendonly yes, appendfsync always (an fsync per
             Redis event-loop iteration: the durability of our FULL commit)
- celery-defaults: Celery's defaults (early ack, prefetch multiplier 4), Redis RDB
- celery-async: as celery, through an `async def` endpoint (`.delay()` then blocks the
             event loop for its Redis round trip; the `celery` rows use a `def` endpoint, run
             in Starlette's thread pool, as FastAPI's docs ask for blocking libraries)

Every Eventide row runs the same server (`bench ... --task-store tasks.db`), only the
route differs. All server-side processes (Eventide; or uvicorn, the Celery worker and its
pool, redis-server) run on CPU 0, wrk (`-t1 -c64 --latency`, wrk/notify.lua) on CPU 1,
and this script itself on CPU 1 too.

Per measurement: start, probe the route (and wait for its log line), 2 s warm-up with the
same load, wait until the warm-up's tasks are all written and the log is quiet, then the
measured load. Figures: requests/s, p50/p99 (wrk's), non-2xx responses, server CPU per
request (utime+stime from /proc of every server-side process, from the start of the load
until the log caught up; and of the web process alone over the same window), the tasks
still unwritten when the load ended, and the catch-up: seconds from the end of the load
until log.txt holds as many new lines as wrk counted 2xx answers (polled every 10 ms, at
most 60 s). The table shows medians over the rounds; the ratios the issue asks for are
computed per round (same round) and their median is shown.
Results also go to Benchmarks/results/durable-<date>.md and .json (gitignored).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import shlex
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
from run import (  # noqa: E402  (the helpers of the main harness)
    CLK_TCK, HOST, ROOT, RESULTS_DIR, SERVER_CPU, WRK_CPU, WRK_DIR, Skip, apt_install,
    first_line, fmt_int, fmt_latency, free_port, log, process_tree, run_build,
)

PEER_DIR = Path(__file__).resolve().parent / "peers" / "fastapi-celery"
PEER_VENV = PEER_DIR / ".venv"
DEFAULT_BINARY = ROOT / ".build" / "release" / "eventide-example"

WARMUP_SECONDS = 2
CONNECTIONS = 64
STARTUP_TIMEOUT = 60.0
CATCHUP_LIMIT = 60.0  # seconds
CATCHUP_GOAL = 2.0  # seconds: "every task written within 2 s after the load ends"
POLL = 0.01  # seconds between two looks at log.txt
STALL = 5.0  # seconds without a new line: stop waiting (tasks lost)
P99_GOAL_US = 3000
RPS_RATIO_GOAL = 0.6
CPU_RATIO_GOAL = 2.0

# Redis 7's built-in default persistence, spelled out (Debian's redis.conf says the same):
# RDB snapshots after 3600 s if 1 change, 300 s if 100, 60 s if 10,000; no append-only file.
REDIS_DEFAULT_PERSISTENCE = "save 3600 1 300 100 60 10000\nappendonly no\n"
REDIS_AOF_ALWAYS = "save \"\"\nappendonly yes\nappendfsync always\n"


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: str  # "eventide" or "celery"
    route: str
    relaxed: bool = False
    aof: bool = False
    reliable: bool = True


ROWS = {row.key: row for row in [
    Row("inprocess", "Eventide in-process /send-notification", "eventide", "/send-notification/"),
    Row("full", "Eventide durable, synchronous=FULL", "eventide", "/durable-notification/"),
    Row("normal", "Eventide durable, synchronous=NORMAL (--relaxed-durability)", "eventide",
        "/durable-notification/", relaxed=True),
    Row("celery", "FastAPI + Celery (acks_late, prefetch 1), Redis default (RDB, no AOF)", "celery",
        "/durable-notification/"),
    Row("celery-aof", "FastAPI + Celery (acks_late, prefetch 1), Redis appendfsync always", "celery",
        "/durable-notification/", aof=True),
    Row("celery-defaults", "FastAPI + Celery (Celery defaults), Redis default (RDB, no AOF)", "celery",
        "/durable-notification/", reliable=False),
    Row("celery-async", "FastAPI + Celery (acks_late, prefetch 1), Redis default, `async def` endpoint", "celery",
        "/durable-notification-async/"),
]}
DEFAULT_ROWS = list(ROWS)


def pinned(cpu: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command]


# --------------------------------------------------------------------------
# Processes


STARTED: list["Process"] = []  # every process started, stopped again on exit whatever happens


class Process:
    """One server-side process in its own session (stopped with its whole group)."""

    def __init__(self, name: str, command: list[str], workdir: Path, cwd: Path | None = None,
                 env: dict | None = None):
        self.name = name
        self.command = command
        self.output = workdir / f"{name}.out"
        with self.output.open("wb") as out:
            self.popen = subprocess.Popen(command, cwd=cwd or workdir, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True,
                                          env=dict(os.environ, **(env or {})))
        STARTED.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self) -> str:
        try:
            lines = self.output.read_text(errors="replace").strip().splitlines()
            return " | ".join(lines[-3:])[:300] or "no output"
        except OSError:
            return "no output"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        except ProcessLookupError:
            pass


def proc_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def wait_port(process: Process, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not process.alive():
            raise Skip(f"{process.name} exited with {process.popen.returncode} at start: {process.tail()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise Skip(f"{process.name} did not accept connections within {STARTUP_TIMEOUT:.0f} s")


def redis_command_calls(port: int) -> dict[str, int]:
    """`INFO commandstats` of a Redis: calls per command since it started."""
    calls: dict[str, int] = {}
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            connection.sendall(b"INFO commandstats\r\n")
            data = b""
            while not data.endswith(b"\r\n\r\n") and len(data) < 1 << 20:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
                if data.startswith(b"$") and b"\r\n" in data:
                    size = int(data[1:data.index(b"\r\n")])
                    if len(data) >= data.index(b"\r\n") + 2 + size:
                        break
    except OSError:
        return calls
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("cmdstat_"):
            name, _, rest = line[len("cmdstat_"):].partition(":")
            calls[name] = int(rest.split(",")[0].split("=")[1])
    return calls


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Stack:
    """The server-side processes of one row; `web` answers HTTP."""

    def __init__(self, row: Row, workdir: Path, binary: Path):
        self.row = row
        self.workdir = workdir
        self.processes: list[Process] = []
        self.port = free_port()
        self.redis_port: int | None = None
        try:
            self.start(binary)
        except BaseException:
            self.stop()
            raise

    def start(self, binary: Path) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        if self.row.kind == "eventide":
            command = [str(binary), "bench", "--host", HOST, "--port", str(self.port),
                       "--workdir", str(self.workdir), "--task-store", "tasks.db", "--log-level", "warning"]
            if self.row.relaxed:
                command.append("--relaxed-durability")
            self.web = self.add("eventide", pinned(SERVER_CPU, command))
            wait_port(self.web, self.port, deadline)
            return

        redis_port = self.redis_port = free_port()
        config = self.workdir / "redis.conf"
        config.write_text(
            f"port {redis_port}\nbind {HOST}\nprotected-mode yes\ndaemonize no\n"
            f"dir {self.workdir}\nlogfile {self.workdir / 'redis.log'}\n"
            + (REDIS_AOF_ALWAYS if self.row.aof else REDIS_DEFAULT_PERSISTENCE))
        redis = self.add("redis", pinned(SERVER_CPU, ["redis-server", str(config)]))
        while not redis_ping(redis_port):
            if not redis.alive() or time.monotonic() > deadline:
                raise Skip(f"redis-server did not start: {redis.tail()}")
            time.sleep(0.02)

        python = str(PEER_VENV / "bin" / "python")
        ready = self.workdir / "celery.ready"
        env = {"CELERY_BROKER_URL": f"redis://{HOST}:{redis_port}/0",
               "NOTIFICATION_LOG": str(self.workdir / "log.txt"),
               "CELERY_RELIABLE": "1" if self.row.reliable else "0",
               "CELERY_READY_FILE": str(ready), "PYTHONPATH": str(PEER_DIR)}
        worker = [python, "-m", "celery", "--app", "tasks", "worker", "--loglevel", "warning"]
        if CELERY_CONCURRENCY:
            worker += ["--concurrency", str(CELERY_CONCURRENCY)]
        celery = self.add("celery", pinned(SERVER_CPU, worker), cwd=PEER_DIR, env=env)
        web = [python, "-m", "uvicorn", "app:app", "--app-dir", str(PEER_DIR), "--host", HOST,
               "--port", str(self.port), "--loop", "uvloop", "--http", "httptools",
               "--no-access-log", "--log-level", "warning"]
        self.web = self.add("uvicorn", pinned(SERVER_CPU, web), env=env)
        wait_port(self.web, self.port, deadline)
        while not ready.exists():
            if not celery.alive() or time.monotonic() > deadline:
                raise Skip(f"celery worker not ready: {celery.tail()}")
            time.sleep(0.05)

    def add(self, name: str, command: list[str], cwd: Path | None = None, env: dict | None = None) -> Process:
        process = Process(name, command, self.workdir, cwd, env)
        self.processes.append(process)
        return process

    def cpu(self) -> dict[str, float]:
        """CPU seconds per component: every process tree; the Celery pool apart from its parent."""
        figures: dict[str, float] = {}
        for process in self.processes:
            tree = process_tree(process.pid)
            own = proc_ticks(process.pid)
            figures[process.name] = own / CLK_TCK
            if process.name == "celery":
                figures["celery pool"] = sum(proc_ticks(pid) for pid in tree if pid != process.pid) / CLK_TCK
            elif len(tree) > 1:  # e.g. a redis BGSAVE child
                figures[process.name] += sum(proc_ticks(pid) for pid in tree if pid != process.pid) / CLK_TCK
        return figures

    def dead(self) -> str | None:
        for process in self.processes:
            if not process.alive():
                return f"{process.name} exited: {process.tail()}"
        return None

    def stop(self) -> None:
        # The web server first (no new tasks), then the worker, then the broker.
        for process in reversed(self.processes):
            process.stop()

    def display(self) -> list[str]:
        return [shlex.join(p.command).replace(str(self.workdir), "WORKDIR").replace(str(self.port), "PORT")
                for p in self.processes]


CELERY_CONCURRENCY: int | None = None
OTHER_LIMIT = 0.10  # share of CPU 0 or 1 taken by other work during a load beyond which it is measured again
QUIET_WAIT = 60.0  # seconds to wait for a quiet machine before each measured load (0: don't)


# --------------------------------------------------------------------------
# Other work on the machine


def cpu_times() -> dict[str, tuple[int, int]]:
    """Per CPU (cpu0, cpu1, ...): (busy ticks outside irq/softirq, irq+softirq ticks) from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[:8])
            times[name] = (user + nice + system, irq + softirq)
    return times


def own_cpu() -> float:
    """CPU seconds of this script and of its waited-for children (wrk)."""
    me, children = os.times()[:2], os.times()[2:4]
    return sum(me) + sum(children)


def other_share(stack: "Stack", seconds: float) -> float:
    """Over a short sample: the larger share of CPU 0 (outside the server-side processes) or
    CPU 1 (outside this script and its children) that other work took."""
    before, stack_before, own_before = cpu_times(), sum(stack.cpu().values()), own_cpu()
    time.sleep(seconds)
    after, stack_after, own_after = cpu_times(), sum(stack.cpu().values()), own_cpu()
    core, load_core = f"cpu{SERVER_CPU}", f"cpu{WRK_CPU}"
    other0 = (after[core][0] - before[core][0]) / CLK_TCK - (stack_after - stack_before)
    other1 = (after[load_core][0] - before[load_core][0]) / CLK_TCK - (own_after - own_before)
    return max(other0, other1, 0.0) / seconds


def wait_for_quiet_machine(stack: "Stack", limit: float) -> float:
    """Waits (at most `limit` s) until other work takes at most 10% of CPU 0 and of CPU 1."""
    deadline = time.monotonic() + limit
    share = other_share(stack, 0.5)
    if share > OTHER_LIMIT:
        log(f"  other work on the machine ({share:.0%} of a CPU): waiting up to {limit:.0f} s for it to stop")
    while share > OTHER_LIMIT and time.monotonic() < deadline:
        share = other_share(stack, 1.0)
    return share


# --------------------------------------------------------------------------
# Log and load


class LogCounter:
    """Lines of a growing file, read incrementally (the log reaches tens of MB)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.lines = 0

    def count(self) -> int:
        try:
            with self.path.open("rb") as file:
                file.seek(self.offset)
                while chunk := file.read(1 << 20):
                    self.lines += chunk.count(b"\n")
                    self.offset += len(chunk)
        except FileNotFoundError:
            pass
        return self.lines


def wait_lines(counter: LogCounter, target: int, limit: float, stall: float = STALL) -> tuple[bool, float]:
    """Polls until the log holds `target` lines; (reached, seconds waited)."""
    start = last_growth = time.monotonic()
    lines = counter.count()
    while lines < target:
        now = time.monotonic()
        if now - start > limit or now - last_growth > stall:
            return False, now - start
        time.sleep(POLL)
        new = counter.count()
        if new != lines:
            lines, last_growth = new, time.monotonic()
    return True, time.monotonic() - start


def wait_quiet(counter: LogCounter, quiet: float = 0.3, limit: float = 10.0) -> int:
    lines, since, start = counter.count(), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() - start < limit:
        time.sleep(0.05)
        now = counter.count()
        if now != lines:
            lines, since = now, time.monotonic()
    return lines


def wrk_command(route: str, duration: int, port: int) -> list[str]:
    return pinned(WRK_CPU, ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
                            "-s", str(WRK_DIR / "notify.lua"), f"http://{HOST}:{port}", "--", route])


def run_wrk(route: str, duration: int, port: int) -> dict:
    done = subprocess.run(wrk_command(route, duration, port), capture_output=True, text=True,
                          timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line[len("WRK_JSON "):])
    raise Skip(f"wrk failed: {(done.stdout + done.stderr).strip()[-300:]}")


def ok(figures: dict) -> int:
    """2xx (and 3xx) answers: wrk counts status >= 400 in errors.status."""
    return figures["requests"] - figures["errors"]["status"]


def probe(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("POST", path, body=b"")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --------------------------------------------------------------------------
# One measurement


def measure(row: Row, binary: Path, duration: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"eventide-durable-{row.key}-"))
    stack = None
    try:
        stack = Stack(row, workdir, binary)
        counter = LogCounter(workdir / "log.txt")
        status = probe(stack.port, row.route + "probe@example.com")
        if status != 200:
            raise Skip(f"probe {row.route}probe@example.com → {status}")
        if not wait_lines(counter, 1, 10.0)[0]:
            raise Skip("the probe's task was not written within 10 s")

        warm = run_wrk(row.route, WARMUP_SECONDS, stack.port)
        warm_expected = 1 + ok(warm)
        if not wait_lines(counter, warm_expected, CATCHUP_LIMIT)[0]:
            log(f"  warm-up: only {counter.count()} of {warm_expected} tasks written")
        baseline = wait_quiet(counter)

        if QUIET_WAIT:
            wait_for_quiet_machine(stack, QUIET_WAIT)
        cpu_start = stack.cpu()
        machine_start = cpu_times()
        own_start = own_cpu()
        figures = run_wrk(row.route, duration, stack.port)
        load_end = time.monotonic()
        cpu_load = stack.cpu()
        machine_end = cpu_times()
        own_load = own_cpu() - own_start  # wrk (a waited child) and this script, both on CPU 1
        written_at_end = counter.count() - baseline
        expected = ok(figures)
        caught_up, _ = wait_lines(counter, baseline + expected, CATCHUP_LIMIT)
        catch_up_s = time.monotonic() - load_end if caught_up else None
        cpu_end = stack.cpu()
        lines = counter.count() - baseline
        problem = stack.dead()
        if problem:
            raise Skip(problem)
        # Redis commands per task, over every task of this process (probe, warm-up, load).
        redis_calls = redis_command_calls(stack.redis_port) if stack.redis_port else {}
        tasks = baseline + lines
        redis_per_task = {name: round(calls / tasks, 2) for name, calls in sorted(redis_calls.items())
                          if calls / tasks >= 0.01} if tasks else {}

        requests = figures["requests"]
        # CPU 0 time during the load not spent by the server-side processes (another
        # process, or the kernel's irq/softirq work, some of it our loopback traffic).
        core = f"cpu{SERVER_CPU}"
        seconds = figures["duration_us"] / 1e6
        core_busy = (machine_end[core][0] - machine_start[core][0]) / CLK_TCK
        core_irq = (machine_end[core][1] - machine_start[core][1]) / CLK_TCK
        server_load_cpu = sum(cpu_load.values()) - sum(cpu_start.values())
        foreign = max(core_busy - server_load_cpu, 0.0) / seconds
        load_core = f"cpu{WRK_CPU}"
        load_core_busy = (machine_end[load_core][0] - machine_start[load_core][0]) / CLK_TCK
        foreign_load_core = max(load_core_busy - own_load, 0.0) / seconds
        total = sum(cpu_end.values()) - sum(cpu_start.values())
        web = cpu_end[stack.web.name] - cpu_start[stack.web.name]
        breakdown = {name: round((cpu_end[name] - cpu_start.get(name, 0)) * 1e6 / requests, 1)
                     for name in cpu_end} if requests else {}
        errors = figures["errors"]
        return {
            "rps": requests / (figures["duration_us"] / 1e6),
            "p50_us": figures["latency_us"]["p50"],
            "p99_us": figures["latency_us"]["p99"],
            "requests": requests,
            "ok": expected,
            "non_2xx": errors["status"],
            "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
            "cpu_us_per_req": total * 1e6 / requests if requests else None,
            "web_cpu_us_per_req": web * 1e6 / requests if requests else None,
            "load_cpu_us_per_req": (sum(cpu_load.values()) - sum(cpu_start.values())) * 1e6 / requests
            if requests else None,
            "cpu_breakdown_us_per_req": breakdown,
            "backlog_at_load_end": max(expected - written_at_end, 0),
            "log_lines": lines,
            "caught_up": caught_up,
            "catch_up_s": round(catch_up_s, 3) if catch_up_s is not None else None,
            "within_goal": caught_up and catch_up_s <= CATCHUP_GOAL,
            "warmup_requests": warm["requests"],
            "redis_calls_per_task": redis_per_task,
            "cpu0_other_share": round(foreign, 3),
            "cpu0_irq_share": round(core_irq / seconds, 3),
            "cpu1_other_share": round(foreign_load_core, 3),
            "other_share": round(max(foreign, foreign_load_core), 3),
            "cpu0_server_share": round(server_load_cpu / seconds, 3),
            "commands": stack.display(),
        }
    finally:
        if stack:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------
# Setup


def ensure_venv(peer_dir: Path, label: str, imports: str) -> Path:
    """The peer's venv in peer_dir/.venv, made from its requirements.txt unless `imports` already
    work there; returns its python."""
    venv = peer_dir / ".venv"
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import {imports}"]
    if not python.exists() or subprocess.run(check, capture_output=True).returncode != 0:
        log(f"Installing the {label} peer's venv in {venv}")
        run_build([sys.executable, "-m", "venv", str(venv)])
        run_build([str(python), "-m", "pip", "install", "-q", "-r", str(peer_dir / "requirements.txt")])
    return python


def setup_peer() -> str:
    """redis-server from apt, the peer's venv from requirements.txt; returns the versions."""
    if not shutil.which("redis-server"):
        log("redis-server not found: installing it with apt")
        if not apt_install("redis-server") or not shutil.which("redis-server"):
            raise Skip("redis-server missing and apt-get install failed")
    python = ensure_venv(PEER_DIR, "FastAPI + Celery", "fastapi, uvicorn, uvloop, httptools, celery, redis")
    versions = subprocess.run(
        [str(python), "-c",
         "import fastapi, uvicorn, celery, kombu, redis, sys;"
         "print(f'fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}, celery {celery.__version__}, "
         "kombu {kombu.__version__}, redis-py {redis.__version__}, python {sys.version.split()[0]}')"],
        capture_output=True, text=True).stdout.strip()
    redis = first_line(["redis-server", "--version"]).split(" sha=")[0]
    return f"{versions}; {redis}"


def resolve_binary(args) -> Path:
    given = args.binary or os.environ.get("BIN")
    if given:
        binary = Path(given).resolve()
    else:
        binary = DEFAULT_BINARY
        if not args.no_build:
            log("Building eventide-example (release, as make build)")
            run_build(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "eventide-example"])
    if not binary.exists():
        sys.exit(f"error: no eventide-example at {binary}")
    help_text = subprocess.run([str(binary), "bench", "--help"], capture_output=True, text=True).stdout
    if "--task-store" not in help_text:
        sys.exit(f"error: {binary} has no --task-store option")
    return binary


# --------------------------------------------------------------------------
# Report


def fmt_float(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(results: dict[str, list[dict]], skips: dict[str, str]) -> str:
    columns = ["row", "req/s", "p50", "p99", "non-2xx", "CPU µs/req (all)", "CPU µs/req (web)",
               "unwritten at load end", "catch-up s", "written ≤ 2 s", "other work (CPU 0 / 1)"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for key, row in ROWS.items():
        if key in skips:
            lines.append(f"| {row.title} | " + " | ".join(["—"] * 8) + f" | skipped: {skips[key]} | — |")
            continue
        runs = results.get(key)
        if not runs:
            continue
        m = lambda name: median([run[name] for run in runs])  # noqa: E731
        catch = [run["catch_up_s"] for run in runs]
        catch_cell = fmt_float(median(catch), 2) if all(c is not None for c in catch) else (
            f"{fmt_float(median(catch), 2)} (>{CATCHUP_LIMIT:.0f} in {catch.count(None)} rounds)")
        within = sum(1 for run in runs if run["within_goal"])
        lines.append(f"| {row.title} | {fmt_int(m('rps'))} | {fmt_latency(m('p50_us'))} | "
                     f"{fmt_latency(m('p99_us'))} | {fmt_int(m('non_2xx'))} | {fmt_float(m('cpu_us_per_req'))} | "
                     f"{fmt_float(m('web_cpu_us_per_req'))} | {fmt_int(m('backlog_at_load_end'))} | "
                     f"{catch_cell} | {within}/{len(runs)} rounds | "
                     f"{m('cpu0_other_share'):.0%} / {m('cpu1_other_share'):.0%} |")
    return "\n".join(lines)


def same_round_ratio(results, a: str, b: str, figure: str):
    """Median over rounds of a's figure / b's figure in the same round."""
    by_round = {run["round"]: run[figure] for run in results.get(b, []) if run[figure]}
    ratios = [run[figure] / by_round[run["round"]] for run in results.get(a, [])
              if run["round"] in by_round and run[figure] is not None]
    return (median(ratios), ratios) if ratios else (None, [])


def goals(results) -> list[str]:
    lines = []
    for key in ("full", "normal"):
        if key not in results or "inprocess" not in results:
            continue
        rps, rps_all = same_round_ratio(results, key, "inprocess", "rps")
        cpu, cpu_all = same_round_ratio(results, key, "inprocess", "cpu_us_per_req")
        p99 = median([run["p99_us"] for run in results[key]])
        within = all(run["within_goal"] for run in results[key])
        rounds = lambda values: ", ".join(f"{v:.2f}" for v in values)  # noqa: E731
        lines.append(
            f"- {ROWS[key].title} vs in-process: req/s {rps:.2f}x (rounds {rounds(rps_all)}; goal ≥ "
            f"{RPS_RATIO_GOAL}x: {'met' if rps >= RPS_RATIO_GOAL else 'NOT met'}), CPU per request "
            f"{cpu:.2f}x (rounds {rounds(cpu_all)}; goal ≤ {CPU_RATIO_GOAL:g}x: "
            f"{'met' if cpu <= CPU_RATIO_GOAL else 'NOT met'}), p99 {fmt_latency(p99)} (goal ≤ 3 ms: "
            f"{'met' if p99 <= P99_GOAL_US else 'NOT met'}), every task written within 2 s in every round: "
            f"{'yes' if within else 'NO'}")
    for key in ("celery", "celery-aof", "celery-defaults"):
        if key in results and "full" in results:
            rps, _ = same_round_ratio(results, "full", key, "rps")
            cpu, _ = same_round_ratio(results, key, "full", "cpu_us_per_req")
            lines.append(f"- Eventide durable FULL vs {ROWS[key].title}: {rps:.1f}x the req/s; "
                         f"Celery's stack spends {cpu:.1f}x the CPU per request")
    return lines


def breakdowns(results) -> list[str]:
    lines = []
    for key in ("celery", "celery-aof", "celery-defaults", "celery-async"):
        runs = results.get(key)
        if not runs:
            continue
        names = sorted({name for run in runs for name in run["cpu_breakdown_us_per_req"]})
        parts = [f"{name} {median([run['cpu_breakdown_us_per_req'].get(name) for run in runs]):.1f}"
                 for name in names]
        lines.append(f"- {ROWS[key].title}: " + ", ".join(parts) + " µs per request")
        redis = runs[-1].get("redis_calls_per_task")
        if redis:
            lines.append("  - Redis commands per task (last round): "
                         + ", ".join(f"{name} {calls:g}" for name, calls in redis.items()))
    return lines


def environment(binary: Path, peer_versions: str) -> dict:
    cpu_model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "cpu_model": cpu_model, "kernel": os.uname().release,
        "swift": first_line(["swift", "--version"]), "wrk": first_line(["wrk", "-v"]).split(" Copyright")[0],
        # The last commit that changed the server (the harness may be newer).
        "git_commit": first_line(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", "Sources", "Package.swift"]),
        "binary": str(binary), "peer": peer_versions, "load_average": os.getloadavg()[0],
    }


def report(env, args, results, skips, commands) -> str:
    lines = [f"# Durable tasks, {env['date']}", "",
             f"- Machine: {env['nproc']} CPUs, {env['cpu_model']}, kernel {env['kernel']}; "
             f"1-minute load average at start {env['load_average']:.2f}",
             f"- {env['swift']}; Eventide sources of commit {env['git_commit']} (last change to Sources/ or "
             f"Package.swift in this tree), binary {env['binary']}",
             f"- Peer: {env['peer']}; Celery pool: prefork, concurrency "
             f"{CELERY_CONCURRENCY or 'default (one per CPU)'}",
             f"- {env['wrk']}; {args.rounds} round(s) of {args.duration} s, {WARMUP_SECONDS} s warm-up, "
             "fresh processes per measurement, medians over the rounds",
             "- Server-side processes on CPU 0, wrk on CPU 1; CPU µs/req: utime+stime of every server-side "
             "process from the start of the load until the log caught up, over the requests wrk completed",
             "- Other work: the share of CPU 0's time during the load spent outside the server-side processes, "
             "and of CPU 1's outside wrk and this script (other work on the machine; irq/softirq time not "
             "counted); figures with a high share are noisy",
             "", table(results, skips), ""]
    goal_lines = goals(results)
    if goal_lines:
        lines += ["Goals (issue 15; ratios per round, median):", "", *goal_lines, ""]
    cpu_lines = breakdowns(results)
    if cpu_lines:
        lines += ["Where the Celery stack spends CPU (median µs per request, load and catch-up):", "",
                  *cpu_lines, ""]
    repeated = [f"{key} round {run['round']} ({run['attempts']} attempts)" for key, runs in results.items()
                for run in runs if run.get("attempts", 1) > 1]
    noisy = [f"{key} round {run['round']} ({run['other_share']:.0%})" for key, runs in results.items()
             for run in runs if run["other_share"] > OTHER_LIMIT]
    if repeated or noisy:
        lines += [f"Other work on the machine: measured again when it took more than {OTHER_LIMIT:.0%} of CPU 0 or 1 "
                  f"during the load (at most {args.retries} more times): {', '.join(repeated) or 'none'}; "
                  f"still above that share, kept: {', '.join(noisy) or 'none'}.", ""]
    lines += ["Commands:", ""]
    for key, command in commands.items():
        lines.append(f"- {key}: " + "; ".join(f"`{c}`" for c in command))
    lines.append(f"- load: `{shlex.join(wrk_command('ROUTE', args.duration, 0)).replace(':0', ':PORT')}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    global CELERY_CONCURRENCY, QUIET_WAIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of measured load (default 5)")
    parser.add_argument("--only", help="rows, comma-separated: " + ",".join(ROWS))
    parser.add_argument("--binary", help="eventide-example to measure (default: $BIN, else a fresh release build)")
    parser.add_argument("--no-build", action="store_true", help="measure the existing .build/release binary")
    parser.add_argument("--celery-concurrency", type=int,
                        help="Celery prefork processes (default: Celery's, one per CPU)")
    parser.add_argument("--quiet-wait", type=float, default=QUIET_WAIT,
                        help="before each measured load, wait up to this many seconds until other work takes "
                             "at most 10%% of CPU 0 and of CPU 1 (default 60; 0: don't wait)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure again (at most this many times) when other work took more than "
                             f"{OTHER_LIMIT:.0%} of CPU 0 or 1 during the load (default 2)".replace("%", "%%"))
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    keys = [k.strip() for k in args.only.split(",")] if args.only else DEFAULT_ROWS
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)}; known: {', '.join(ROWS)}")
    CELERY_CONCURRENCY = args.celery_concurrency
    QUIET_WAIT = args.quiet_wait
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset") or not shutil.which("wrk"):
        sys.exit("error: needs 2 CPUs, taskset and wrk")

    binary = resolve_binary(args) if any(ROWS[k].kind == "eventide" for k in keys) else DEFAULT_BINARY
    skips: dict[str, str] = {}
    peer_versions = ""
    if any(ROWS[k].kind == "celery" for k in keys):
        try:
            peer_versions = setup_peer()
        except Skip as skip:
            for k in keys:
                if ROWS[k].kind == "celery":
                    skips[k] = str(skip)
    os.sched_setaffinity(0, {int(WRK_CPU)})  # this script's polling stays off the server's CPU
    env = environment(binary, peer_versions)

    # Ctrl-C or SIGTERM: stop every server-side process before leaving.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[str, list[dict]] = {}
    commands: dict[str, list[str]] = {}
    try:
        run_rounds(args, keys, binary, skips, results, commands)
    except KeyboardInterrupt:
        log("Interrupted: the report covers the measurements done so far")
    finally:
        for process in reversed(STARTED):
            process.stop()
    results = {k: v for k, v in results.items() if k not in skips}
    report_and_save(args, env, keys, results, skips, commands)


def run_rounds(args, keys: list[str], binary: Path, skips: dict[str, str], results: dict, commands: dict) -> None:
    for round_index in range(args.rounds):
        shift = round_index % len(keys)
        for key in keys[shift:] + keys[:shift]:
            if key in skips:
                continue
            log(f"[round {round_index + 1}/{args.rounds}] {key}")
            try:
                for attempt in range(args.retries + 1):
                    result = measure(ROWS[key], binary, args.duration)
                    if result["other_share"] <= OTHER_LIMIT or attempt == args.retries:
                        break
                    log(f"  other work took {result['other_share']:.0%} of a CPU during the load "
                        f"({result['rps']:,.0f} req/s): measuring again")
                result["attempts"] = attempt + 1
            except Skip as skip:
                skips[key] = str(skip)
                log(f"  skipped: {skip}")
                continue
            result["round"] = round_index + 1
            commands[key] = result["commands"]
            results.setdefault(key, []).append(result)
            log(f"  {result['rps']:,.0f} req/s, p99 {fmt_latency(result['p99_us'])}, "
                f"CPU 0: server {result['cpu0_server_share']:.0%}, other {result['cpu0_other_share']:.0%}, "
                f"irq {result['cpu0_irq_share']:.0%}; CPU 1 other {result['cpu1_other_share']:.0%}; "
                f"{result['non_2xx']} non-2xx, {result['cpu_us_per_req']:.1f} µs/req "
                f"(web {result['web_cpu_us_per_req']:.1f}), catch-up {result['catch_up_s']} s, "
                f"{result['backlog_at_load_end']} unwritten at load end")


def report_and_save(args, env: dict, keys: list[str], results: dict, skips: dict, commands: dict) -> None:
    text = report(env, args, results, skips, commands)
    print(text)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        (RESULTS_DIR / f"durable-{stamp}.md").write_text(text)
        document = {"environment": env, "settings": vars(args) | {"rows": keys},
                    "results": results, "skipped": skips}
        (RESULTS_DIR / f"durable-{stamp}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        log(f"Wrote {RESULTS_DIR}/durable-{stamp}.md and .json")


if __name__ == "__main__":
    main()
