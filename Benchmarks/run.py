#!/usr/bin/env python3
"""Eventide benchmark harness (Python 3.11 standard library only).

Builds Eventide (`eventide-example bench`) and its peers, runs wrk against
each of them, and prints a Markdown table; the table and the raw figures are
also written to Benchmarks/results/<date>.md and .json.

    python3 Benchmarks/run.py                       # 3 rounds of 10 s
    python3 Benchmarks/run.py --rounds 1 --duration 3
    python3 Benchmarks/run.py --only eventide,c-libuv --scenarios plaintext,json

Method (see Benchmarks/README.md):
- every measurement starts a fresh server process (per server, scenario and
  round), pinned to CPU 0 with taskset; wrk runs pinned to CPU 1;
- after start-up the scenario's routes are probed once: a route answering 404
  (or failing) skips the scenario for that server, with a note;
- a 2 s wrk warm-up of the scenario precedes the measurement;
- rounds are interleaved: round 1 runs every server once, then round 2, ...;
  the table shows the median of the rounds for every figure;
- server CPU is utime+stime from /proc/PID/stat summed over the server's
  process tree; memory under load is VmHWM (peak since the fresh process
  started, warm-up and measurement included) and VmRSS at the end of the
  measured load, from /proc/PID/status, summed likewise. Idle RSS, PSS and USS
  (/proc/PID/smaps_rollup, once the fresh server accepts connections) go to the
  JSON only: they are not a goal.

A server that cannot be built or started is skipped with a note; the run
itself fails only when wrk is missing and cannot be installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import platform
import resource
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

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WRK_DIR = BENCH_DIR / "wrk"
PEERS_DIR = BENCH_DIR / "peers"
BUILD_DIR = BENCH_DIR / ".build"
VENV_DIR = BENCH_DIR / ".venv"
RESULTS_DIR = BENCH_DIR / "results"

HOST = "127.0.0.1"
SERVER_CPU = "0"
WRK_CPU = "1"
WARMUP_SECONDS = 2
STARTUP_TIMEOUT = 60.0  # seconds for a server to accept connections
CATCHUP_POLL = 0.05  # seconds between two log line counts
CATCHUP_LIMIT = 30.0  # seconds to wait for background work after wrk ends
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Slow-tasks scenario: the /slow load starts this long before the measured load,
# so the task queue is at its cap when the measurement begins: 8 connections
# offer about 8 × 1/(20 ms + latency) ≈ 380 req/s, the 4-thread pool serves
# 4 × 1/50 ms = 80/s, so the 1,024-task queue fills at ≈ 300/s in about 3.4 s.
SLOW_LEAD_SECONDS = 4.0
MAX_PENDING_TASKS = 1024  # every server's cap on pending slow tasks


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the final table."""
    print(message, file=sys.stderr, flush=True)


class Skip(Exception):
    """A server or scenario that cannot run; the message becomes the note."""


# --------------------------------------------------------------------------
# Scenarios


@dataclasses.dataclass(frozen=True)
class Load:
    """One wrk process: a script against a path with some connections."""

    method: str
    path: str
    script: str
    connections: int
    script_args: tuple[str, ...] = ()
    threads: int = 1


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    load: Load  # the measured load
    probes: tuple[tuple[str, str], ...]  # (method, path) that must answer 2xx
    # Background work: the file the tasks append to (in the work directory)
    # and which load's 2xx responses each announce one line.
    log_file: str | None = None
    hammer: Load | None = None  # a concurrent, unmeasured load
    background_from_hammer: bool = False
    needs_background_tasks: bool = False
    # Nothing pinned: the server's threads and wrk share every CPU (multi-loop scaling).
    unpinned: bool = False
    # Only these servers run it (None: all); other scenarios skip these servers.
    only_servers: tuple[str, ...] | None = None
    # Scenario-only servers (SCENARIO_ONLY_SERVERS) that also run it beside all the others.
    extra_servers: tuple[str, ...] = ()

    def wrk_commands(self, duration: int, url: str = "http://HOST:PORT") -> list[str]:
        commands = [shlex.join(wrk_command(self.load, duration, url, self.unpinned))]
        if self.hammer:
            commands.append(shlex.join(wrk_command(self.hammer, hammer_duration(duration), url))
                            + f" (starts {SLOW_LEAD_SECONDS:g} s before the measured load)")
        return commands


def hammer_duration(duration: int) -> int:
    """The background load covers the lead time, the measurement and 1 s more."""
    return duration + int(SLOW_LEAD_SECONDS + 1.5)


PIPELINE_DEPTH = "16"
# The connection counts of the many-connection scenarios.
MANY_CONNECTIONS = (256, 1024, 4096)
# Eventide with `--metrics` (request, connection, loop and task metrics into Prometheus):
# what they cost per request, in the scenarios that name it.
METRICS_VARIANT = "eventide (metrics)"
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "plaintext", "GET /plaintext, 64 conns",
            Load("GET", "/plaintext", "plain.lua", 64), (("GET", "/plaintext"),),
            extra_servers=(METRICS_VARIANT,),
        ),
        Scenario(
            "json", "GET /json, 64 conns",
            Load("GET", "/json", "plain.lua", 64), (("GET", "/json"),),
        ),
        Scenario(
            "plaintext-pipelined", "GET /plaintext, 64 conns, pipeline 16",
            Load("GET", "/plaintext", "pipeline.lua", 64, (PIPELINE_DEPTH,)), (("GET", "/plaintext"),),
            extra_servers=(METRICS_VARIANT,),
        ),
        Scenario(
            "json-pipelined", "GET /json, 64 conns, pipeline 16",
            Load("GET", "/json", "pipeline.lua", 64, (PIPELINE_DEPTH,)), (("GET", "/json"),),
        ),
        Scenario(
            "notification", "POST /send-notification/{email}, 64 conns",
            Load("POST", "/", "notify.lua", 64),
            (("POST", "/send-notification/probe@example.com"),),
            log_file="log.txt", needs_background_tasks=True, extra_servers=(METRICS_VARIANT,),
        ),
        # Many connections (issue 18: no collapse against the 64-connection rows).
        *[
            Scenario(
                f"plaintext-{conns}", f"GET /plaintext, {conns} conns",
                Load("GET", "/plaintext", "plain.lua", conns), (("GET", "/plaintext"),),
            )
            for conns in MANY_CONNECTIONS
        ],
        *[
            Scenario(
                f"plaintext-pipelined-{conns}", f"GET /plaintext, {conns} conns, pipeline 16",
                Load("GET", "/plaintext", "pipeline.lua", conns, (PIPELINE_DEPTH,)), (("GET", "/plaintext"),),
            )
            for conns in MANY_CONNECTIONS
        ],
        # The target: /plaintext throughput drops by at most 10% while the pool is
        # saturated. The /slow load is light (8 connections, 20 ms between a
        # connection's requests) but offers ~5× what the pool can run, so the
        # pool stays busy and the queue at its cap.
        Scenario(
            "slow-tasks", "GET /plaintext, 64 conns, pool saturated by POST /slow/50 (8 conns, 20 ms apart)",
            Load("GET", "/plaintext", "plain.lua", 64),
            (("GET", "/plaintext"), ("POST", "/slow/1")),
            log_file="slow.txt", hammer=Load("POST", "/slow/50", "slow.lua", 8, ("20",)),
            background_from_hammer=True, needs_background_tasks=True,
        ),
        # 1 vs 2 event loops: pinning would put both loops on one CPU, so here the
        # server and a 2-thread wrk share both CPUs. Eventide only.
        Scenario(
            "plaintext-scaling", "GET /plaintext, 128 conns, nothing pinned (1 vs 2 loops)",
            Load("GET", "/plaintext", "plain.lua", 128, threads=2), (("GET", "/plaintext"),),
            unpinned=True, only_servers=("eventide", "eventide (2 loops)"),
        ),
    ]
}

# Servers measured only in the scenarios that name them in `only_servers`.
SCENARIO_ONLY_SERVERS = {"eventide (2 loops)", METRICS_VARIANT}
NOT_IN_SCENARIO = "not in this scenario"
UNPINNED_ONLY = "measured unpinned only (pinned, both loops would share one CPU)"
SILENT_SKIPS = {NOT_IN_SCENARIO, UNPINNED_ONLY}


def wrk_command(load: Load, duration: int, url: str, unpinned: bool = False) -> list[str]:
    command = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{duration}s",
               "-s", str(WRK_DIR / load.script), url + load.path]
    if load.script_args:
        command += ["--", *load.script_args]
    return command if unpinned else pinned(WRK_CPU, command)


PINNING = True  # cleared when the machine has fewer than 2 CPUs


def pinned(cpu: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command] if PINNING else command


# --------------------------------------------------------------------------
# Servers


def run_build(command: list[str], cwd: Path = ROOT, timeout: float = 3600) -> None:
    """Runs a build step, its output to stderr; Skip with the tail on failure."""
    log(f"  $ {shlex.join(command)}")
    try:
        done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Skip(f"build failed: {error}") from error
    if done.returncode != 0:
        lines = done.stdout.strip().splitlines()
        log("\n".join("    " + line for line in lines[-15:]))
        first_error = next((line.strip() for line in lines if "error:" in line), lines[-1] if lines else "")
        raise Skip(f"build failed: {first_error[:160] or f'exit {done.returncode}'}")


def apt_install(*packages: str) -> bool:
    """apt-get install, with one apt-get update retry; True when it worked."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "-qq", *packages]
    for attempt in range(2):
        if attempt:
            subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env,
                           stdout=sys.stderr, stderr=sys.stderr)
        log(f"  $ {shlex.join(install)}")
        if subprocess.run(install, env=env, stdout=sys.stderr, stderr=sys.stderr).returncode == 0:
            return True
    return False


class Server:
    """A benchmarked server: how to build it and how to start it."""

    name = ""
    background_tasks = True  # whether it has the POST routes at all
    skip_reason: str | None = None  # set when the build failed
    fallback_note: str | None = None  # set when an older build is measured
    version = ""

    def build(self) -> None:
        """Builds or installs the server; raises Skip when impossible."""

    def command(self, port: int, workdir: Path) -> list[str]:
        raise NotImplementedError

    def cwd(self, workdir: Path) -> Path:
        return workdir

    def display_command(self) -> str:
        return shlex.join(pinned(SERVER_CPU, self.command(0, Path("WORKDIR")))).replace(
            "--port 0", "--port PORT").replace(":0;", ":PORT;")


class Eventide(Server):
    def __init__(self, loops: int | None = None, metrics: bool = False):
        self.loops = loops
        self.metrics = metrics
        self.name = METRICS_VARIANT if metrics else "eventide" if loops in (None, 1) else f"eventide ({loops} loops)"
        self.binary = ROOT / ".build" / "release" / "eventide-example"
        self.has_workdir = False
        self.has_max_pending = False

    def build(self) -> None:
        try:
            # As `make build` (and so `make run`) builds it.
            run_build(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "eventide-example"])
        except Skip as failure:
            # The tree may be mid-edit: measure the last good build, with a note.
            if not self.binary.exists():
                raise
            self.fallback_note = f"{failure}; measured the previous build of {self.binary.name}"
        self.version = first_line(["swift", "--version"])
        help_text = bench_help(self.binary)
        self.has_workdir = "--workdir" in help_text
        self.has_max_pending = "--max-pending-tasks" in help_text

    def command(self, port: int, workdir: Path) -> list[str]:
        command = [str(self.binary), "bench", "--host", HOST, "--port", str(port),
                   "--log-level", "warning"]
        # Older builds have no --workdir: they then run in the work directory
        # (cwd), which is where relative log files land anyway.
        if self.has_workdir:
            command += ["--workdir", str(workdir)]
        # The same task-queue cap as the peers (Eventide's default is 10,000).
        if self.has_max_pending:
            command += ["--max-pending-tasks", str(MAX_PENDING_TASKS)]
        if self.loops is not None:
            command += ["--loops", str(self.loops)]
        if self.metrics:
            command += ["--metrics", "--metrics-port", "0"]
        return command


def bench_help(binary: Path) -> str:
    try:
        return subprocess.run([str(binary), "bench", "--help"], capture_output=True,
                              text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


class CLibUV(Server):
    name = "c-libuv"

    def __init__(self):
        self.binary = BUILD_DIR / "c-libuv-server"

    def build(self) -> None:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libuv"],
                               capture_output=True, text=True)
        if flags.returncode != 0:
            raise Skip("libuv not found by pkg-config (make deps installs it)")
        BUILD_DIR.mkdir(exist_ok=True)
        run_build(["gcc", "-O2", "-Wall", "-o", str(self.binary),
                   str(PEERS_DIR / "c-libuv" / "server.c"), *flags.stdout.split()])
        version = subprocess.run(["pkg-config", "--modversion", "libuv"], capture_output=True, text=True)
        self.version = f"libuv {version.stdout.strip()}"

    def command(self, port: int, workdir: Path) -> list[str]:
        return [str(self.binary), "--host", HOST, "--port", str(port), "--workdir", str(workdir)]


class Nginx(Server):
    name = "nginx"
    background_tasks = False

    def __init__(self):
        self.binary = ""

    def build(self) -> None:
        found = shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
        if not found:
            if not (apt_install("nginx-light") or apt_install("nginx")):
                raise Skip("nginx not installed and apt-get install failed")
            found = shutil.which("nginx") or "/usr/sbin/nginx"
        self.binary = found
        done = subprocess.run([found, "-v"], capture_output=True, text=True)
        self.version = (done.stderr or done.stdout).strip()

    def command(self, port: int, workdir: Path) -> list[str]:
        # A private prefix: nginx.conf with the port, pid and logs in workdir.
        if port:
            config = (PEERS_DIR / "nginx" / "nginx.conf").read_text().replace("__PORT__", str(port))
            (workdir / "nginx.conf").write_text(config)
        # -e (error log before the config is read) exists since nginx 1.19.5.
        return [self.binary, "-p", f"{workdir}/", "-c", f"{workdir}/nginx.conf",
                "-e", f"{workdir}/error.log"]

    def display_command(self) -> str:
        return (shlex.join(pinned(SERVER_CPU, self.command(0, Path("WORKDIR"))))
                + "  # WORKDIR/nginx.conf = peers/nginx/nginx.conf with __PORT__ replaced")


class Node(Server):
    name = "node"

    def build(self) -> None:
        node = shutil.which("node")
        if not node:
            raise Skip("node not found")
        self.version = "node " + first_line([node, "--version"])

    def command(self, port: int, workdir: Path) -> list[str]:
        return ["node", str(PEERS_DIR / "node" / "server.js"), "--host", HOST,
                "--port", str(port), "--workdir", str(workdir)]


class FastAPI(Server):
    name = "fastapi"
    requirements = ["fastapi", "uvicorn", "uvloop", "httptools"]

    def __init__(self):
        self.python = VENV_DIR / "bin" / "python"

    def build(self) -> None:
        check = [str(self.python), "-c", "import fastapi, uvicorn, uvloop, httptools"]
        if not self.python.exists() or subprocess.run(check, capture_output=True).returncode != 0:
            run_build([sys.executable, "-m", "venv", str(VENV_DIR)])
            run_build([str(self.python), "-m", "pip", "install", "-q", *self.requirements])
        versions = subprocess.run(
            [str(self.python), "-c",
             "import fastapi, uvicorn, uvloop, httptools, sys;"
             "print(f'fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}, "
             "uvloop {uvloop.__version__}, httptools {httptools.__version__}, "
             "python {sys.version.split()[0]}')"],
            capture_output=True, text=True)
        self.version = versions.stdout.strip()

    def command(self, port: int, workdir: Path) -> list[str]:
        # The tutorial's write_notification opens "log.txt": cwd is workdir.
        return [str(self.python), "-m", "uvicorn", "app:app", "--app-dir", str(PEERS_DIR / "fastapi"),
                "--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
                "--no-access-log", "--log-level", "warning"]


class Hummingbird(Server):
    name = "hummingbird"

    def __init__(self):
        self.package = PEERS_DIR / "hummingbird-peer"
        self.binary = self.package / ".build" / "release" / "HummingbirdPeer"

    def build(self) -> None:
        if not self.binary.exists():
            log("  (first Hummingbird build: several minutes; later runs reuse it)")
        try:
            run_build(["swift", "build", "-c", "release", "--package-path", str(self.package)])
        except Skip as failure:
            if not self.binary.exists():
                raise
            self.fallback_note = f"{failure}; measured the previous build"
        resolved = self.package / "Package.resolved"
        version = ""
        if resolved.exists():
            pins = json.loads(resolved.read_text()).get("pins", [])
            version = next((p["state"].get("version", "") for p in pins if p["identity"] == "hummingbird"), "")
        self.version = f"hummingbird {version}".strip()

    def command(self, port: int, workdir: Path) -> list[str]:
        return [str(self.binary), "--host", HOST, "--port", str(port), "--workdir", str(workdir)]


def first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def make_servers(only: list[str] | None) -> list[Server]:
    """The servers to run, in table order (--only filters, keeping the order)."""
    servers = [Eventide(), CLibUV(), Nginx(), Node(), FastAPI(), Hummingbird()]
    return [server for server in servers if not only or server.name in only]


def build_servers(servers: list[Server], notes: list[str]) -> list[Server]:
    """Builds every server (Skip → skip_reason); adds Eventide's 2-loop variant."""
    result: list[Server] = []
    for server in servers:
        log(f"Building {server.name}")
        try:
            server.build()
        except Skip as skip:
            server.skip_reason = str(skip)
            log(f"  skipped: {skip}")
        if server.fallback_note:
            notes.append(f"{server.name}: {server.fallback_note}.")
        result.append(server)
        # One loop vs two: only when the binary has the option.
        if isinstance(server, Eventide) and server.skip_reason is None:
            if "--loops" in bench_help(server.binary):
                server.loops = 1
                two = Eventide(loops=2)
                two.has_workdir, two.version = server.has_workdir, server.version
                two.has_max_pending = server.has_max_pending
                result.append(two)
            else:
                notes.append("eventide has no --loops option yet: the 2-loop variant was not measured.")
            if "--metrics" in bench_help(server.binary):
                measured = Eventide(metrics=True)
                measured.has_workdir, measured.version = server.has_workdir, server.version
                measured.has_max_pending = server.has_max_pending
                result.append(measured)
            if not server.has_workdir:
                notes.append("eventide has no --workdir option yet: it ran in the work directory instead.")
            if not server.has_max_pending:
                notes.append("eventide has no --max-pending-tasks option yet: it ran with its default task-queue cap.")
    return result


# --------------------------------------------------------------------------
# Process measurements


def process_tree(root: int) -> list[int]:
    """root and all its descendants (nginx: master and worker)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """utime + stime of the process tree (all threads), in seconds."""
    ticks = 0
    for pid in process_tree(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # Fields after "comm)" start at field 3 (state); utime and stime are 14, 15.
        fields = stat[stat.rindex(")") + 2:].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / CLK_TCK


def peak_rss_mib(root: int) -> float:
    """VmHWM summed over the process tree, in MiB."""
    kib = 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib += int(line.split()[1])
        except OSError:
            continue
    return kib / 1024


def current_rss_mib(root: int) -> float:
    """VmRSS summed over the process tree, in MiB."""
    kib = 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        except OSError:
            continue
    return kib / 1024


def idle_memory_mib(root: int) -> dict:
    """RSS, PSS and USS (private pages) from /proc/PID/smaps_rollup, summed over the
    process tree, in MiB. RSS counts every mapped page; PSS splits shared pages among
    the processes mapping them; USS counts only the pages no other process maps."""
    kib = {"Rss": 0, "Pss": 0, "Private_Clean": 0, "Private_Dirty": 0}
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in kib:
                    kib[name] += int(value.split()[0])
        except OSError:
            continue
    return {"idle_rss_mib": kib["Rss"] / 1024, "idle_pss_mib": kib["Pss"] / 1024,
            "idle_uss_mib": (kib["Private_Clean"] + kib["Private_Dirty"]) / 1024}


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as file:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def wait_quiet(path: Path, quiet: float = 0.3, limit: float = CATCHUP_LIMIT) -> int:
    """Waits until a log file stops growing; returns its line count."""
    count, since, start = count_lines(path), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() - start < limit:
        time.sleep(CATCHUP_POLL)
        now = count_lines(path)
        if now != count:
            count, since = now, time.monotonic()
    return count


# --------------------------------------------------------------------------
# Running one measurement


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Running:
    """A started server process (its own session, so the whole group can stop)."""

    def __init__(self, server: Server, workdir: Path, unpinned: bool = False):
        self.port = free_port()
        self.output = workdir / "server.out"
        command = server.command(self.port, workdir)
        if not unpinned:
            command = pinned(SERVER_CPU, command)
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=server.cwd(workdir), stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Skip(f"exited with {self.process.returncode} at start: {self.tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise Skip(f"did not accept connections within {STARTUP_TIMEOUT:.0f} s")

    def tail(self) -> str:
        try:
            lines = self.output.read_text(errors="replace").strip().splitlines()
            return " | ".join(lines[-3:])[:200] or "no output"
        except OSError:
            return "no output"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def probe(port: int, method: str, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=b"" if method == "POST" else None)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start_wrk(load: Load, duration: int, port: int, unpinned: bool = False) -> subprocess.Popen:
    return subprocess.Popen(wrk_command(load, duration, f"http://{HOST}:{port}", unpinned),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(process: subprocess.Popen, timeout: float) -> dict:
    """Waits for wrk and returns the WRK_JSON figures of report.lua."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    figures = None
    statuses = None
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            figures = json.loads(line[len("WRK_JSON "):])
        elif line.startswith("WRK_STATUS "):
            statuses = json.loads(line[len("WRK_STATUS "):])
    if figures is None:
        raise Skip(f"wrk failed: {output.strip()[-200:]}")
    if statuses is not None:
        figures["statuses"] = statuses  # responses per status code (slow.lua)
    return figures


def ok_responses(figures: dict) -> int:
    """Responses below 400 (wrk counts the others in errors.status)."""
    return figures["requests"] - figures["errors"]["status"]


def measure(server: Server, scenario: Scenario, duration: int) -> dict:
    """One fresh server process, probe, warm-up, measurement; the raw figures."""
    workdir = Path(tempfile.mkdtemp(prefix=f"eventide-bench-{server.name.split()[0]}-"))
    running = None
    try:
        running = Running(server, workdir, scenario.unpinned)
        idle = idle_memory_mib(running.process.pid)
        for method, path in scenario.probes:
            try:
                status = probe(running.port, method, path)
            except (OSError, http.client.HTTPException) as error:
                raise Skip(f"probe {method} {path} failed: {error}") from error
            if not 200 <= status < 300:
                raise Skip(f"probe {method} {path} → {status}" + (" (route missing)" if status == 404 else ""))

        # Warm-up: the measured load only (the hammer would fill the task queue).
        finish_wrk(start_wrk(scenario.load, WARMUP_SECONDS, running.port, scenario.unpinned), WARMUP_SECONDS + 30)
        log_path = workdir / scenario.log_file if scenario.log_file else None
        baseline = wait_quiet(log_path) if log_path else 0

        pid = running.process.pid
        cpu_start = cpu_seconds(pid)
        hammer = None
        if scenario.hammer:
            # Starts SLOW_LEAD_SECONDS before the measurement (the queue fills up)
            # and ends about 1 s after it.
            hammer = start_wrk(scenario.hammer, hammer_duration(duration), running.port)
            time.sleep(SLOW_LEAD_SECONDS)
        main = start_wrk(scenario.load, duration, running.port, scenario.unpinned)
        main_figures = finish_wrk(main, duration + 60)
        main_end = time.monotonic()
        # Memory under load: what the process holds as the measured load ends.
        end_rss = current_rss_mib(pid)
        hammer_figures = finish_wrk(hammer, duration + 60) if hammer else None
        load_end = time.monotonic()

        result: dict = {"wrk": main_figures, "hammer": hammer_figures, "end_rss_mib": end_rss, **idle}
        if log_path:
            source = hammer_figures if scenario.background_from_hammer else main_figures
            expected = ok_responses(source)
            result.update(catch_up(log_path, baseline, expected, load_end if hammer else main_end))
            result["background_expected"] = expected
        result["cpu_seconds"] = cpu_seconds(pid) - cpu_start
        result["peak_rss_mib"] = peak_rss_mib(pid)
        if running.process.poll() is not None:
            raise Skip(f"server exited during the run: {running.tail()}")
        return result
    finally:
        if running:
            running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def catch_up(path: Path, baseline: int, expected: int, load_end: float) -> dict:
    """Polls the log until it holds `expected` new lines, or stops growing.

    Returns the lines written and the catch-up time: seconds from the end of
    the load until the count reached `expected` (or last grew, when it stalls
    short of it; capped at CATCHUP_LIMIT).
    """
    count = count_lines(path) - baseline
    last_growth = load_end
    complete = count >= expected
    while not complete and time.monotonic() - load_end < CATCHUP_LIMIT:
        time.sleep(CATCHUP_POLL)
        now = count_lines(path) - baseline
        if now != count:
            count, last_growth = now, time.monotonic()
        complete = count >= expected
        # Stalled: nothing new for 2 s (lost tasks would otherwise wait 30 s).
        if time.monotonic() - last_growth > 2.0 and time.monotonic() - load_end > 2.0:
            break
    seconds = (time.monotonic() if complete else last_growth) - load_end
    return {"log_lines": count, "catch_up_s": round(max(seconds, 0.0), 3),
            "caught_up": complete, "timed_out": not complete and time.monotonic() - load_end >= CATCHUP_LIMIT}


# --------------------------------------------------------------------------
# Figures and the table


def row_figures(result: dict) -> dict:
    """The table's figures of one measurement."""
    wrk = result["wrk"]
    errors = wrk["errors"]
    requests = wrk["requests"] + (result["hammer"]["requests"] if result["hammer"] else 0)
    figures = {
        "rps": wrk["requests"] / (wrk["duration_us"] / 1e6),
        "p50_us": wrk["latency_us"]["p50"],
        "p99_us": wrk["latency_us"]["p99"],
        "errors": errors["status"] + errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        # All server CPU in the window (plus catch-up for background rows)
        # over every request completed in it, the hammer's included.
        "cpu_us_per_req": result["cpu_seconds"] * 1e6 / requests if requests else None,
        "peak_rss_mib": result["peak_rss_mib"],
        "end_rss_mib": result["end_rss_mib"],
        "idle_rss_mib": result["idle_rss_mib"],
        "idle_pss_mib": result["idle_pss_mib"],
        "idle_uss_mib": result["idle_uss_mib"],
    }
    if "log_lines" in result:
        figures["log_lines"] = result["log_lines"]
        figures["background_2xx"] = result["background_expected"]
        figures["catch_up_s"] = result["catch_up_s"]
    if result["hammer"]:
        figures["hammer_2xx"] = ok_responses(result["hammer"])
        figures["hammer_non_2xx"] = result["hammer"]["errors"]["status"]
        statuses = result["hammer"].get("statuses")
        if statuses is not None:
            figures["hammer_503"] = statuses.get("503", 0)
    return figures


def median_figures(runs: list[dict]) -> dict:
    keys = {key for run in runs for key in run}
    median = {}
    for key in keys:
        values = [run[key] for run in runs if run.get(key) is not None]
        median[key] = statistics.median(values) if values else None
    return median


def fmt_int(value) -> str:
    return "—" if value is None else f"{round(value):,}"


def fmt_latency(us) -> str:
    if us is None:
        return "—"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.0f} µs"


def fmt_float(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def cell(text: str) -> str:
    """A Markdown table cell: no pipes, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


COLUMNS = ["server", "scenario", "req/s", "p50", "p99", "errors", "CPU µs/req",
           "RSS under load MiB (peak / end)", "log lines / 2xx", "catch-up s", "notes"]


def table(servers: list[Server], scenarios: list[Scenario], rows: dict, skips: dict) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for server in servers:
        if server.skip_reason:
            lines.append(f"| {server.name} | all | — | — | — | — | — | — | — | — | {cell('skipped: ' + server.skip_reason)} |")
            continue
        for scenario in scenarios:
            key = (server.name, scenario.name)
            if skips.get(key) in SILENT_SKIPS:
                continue  # a scenario-specific server, or a server-specific scenario
            if key in skips:
                cells = ["—"] * 8 + [f"skipped: {skips[key]}"]
            elif key in rows:
                m = rows[key]["median"]
                notes = []
                background = "—"
                catch = "—"
                if m.get("log_lines") is not None:
                    background = f"{fmt_int(m['log_lines'])} / {fmt_int(m['background_2xx'])}"
                    catch = fmt_float(m["catch_up_s"], 2)
                    if any(r.get("timed_out") for r in rows[key]["raw"]):
                        catch = f">{CATCHUP_LIMIT:.0f}"
                if m.get("hammer_2xx") is not None:
                    slow = f"/slow/50: {fmt_int(m['hammer_2xx'])}×2xx"
                    if m.get("hammer_503") is not None:
                        slow += f", {fmt_int(m['hammer_503'])}×503"
                        other = m["hammer_non_2xx"] - m["hammer_503"]
                        if other:
                            slow += f", {fmt_int(other)}× other ≥400"
                    else:
                        slow += f", {fmt_int(m['hammer_non_2xx'])}×non-2xx"
                    notes.append(slow)
                    notes.append(plaintext_change(rows, server.name, rows[key]["raw"]))
                if scenario.load.script == "pipeline.lua":
                    notes.append("latency per 16-request batch")
                cells = [fmt_int(m["rps"]), fmt_latency(m["p50_us"]), fmt_latency(m["p99_us"]),
                         fmt_int(m["errors"]), fmt_float(m["cpu_us_per_req"], 1),
                         load_memory_cell(m), background, catch, "; ".join(notes)]
            else:
                continue
            lines.append(f"| {server.name} | {scenario.title} | " + " | ".join(map(cell, cells)) + " |")
    return "\n".join(lines)


def load_memory_cell(m: dict) -> str:
    return " / ".join(fmt_float(m.get(key), 1) for key in ("peak_rss_mib", "end_rss_mib"))


def plaintext_change(rows: dict, server: str, saturated: list[dict]) -> str:
    """The slow-tasks row's /plaintext req/s vs the plaintext row of the same round.

    Each round measures both rows back to back on fresh processes, so the ratio
    of one round is not skewed by drift between rounds; the note gives the
    median ratio over the rounds (target: a drop of at most 10%).
    """
    plain = rows.get((server, "plaintext"))
    if not plain:
        return "no plaintext row to compare with (add the plaintext scenario)"
    by_round = {run["round"]: run["figures"]["rps"] for run in plain["raw"] if run["figures"]["rps"]}
    changes = [run["figures"]["rps"] / by_round[run["round"]] - 1
               for run in saturated if run["round"] in by_round]
    if not changes:
        return "no plaintext row in the same round to compare with"
    change = statistics.median(changes)
    verdict = "within" if change >= -0.10 else "beyond"
    rounds = f"median of {len(changes)} rounds" if len(changes) > 1 else "same round"
    return (f"/plaintext req/s {change:+.1%} vs the plaintext row ({rounds}; "
            f"{verdict} the 10% target)")


def environment() -> dict:
    cpu_model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "wrk": first_line(["wrk", "-v"]).split(" Copyright")[0],
        "git_commit": first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        # Whether the measured Eventide differs from that commit.
        "git_dirty": bool(subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"],
            capture_output=True, text=True).stdout.strip()),
    }


def report(env: dict, args, servers, scenarios, rows, skips, notes) -> str:
    lines = [f"# Eventide benchmarks, {env['date']}", ""]
    lines += [
        f"- Machine: {env['nproc']} CPUs, {env['cpu_model']}, kernel {env['kernel']}",
        f"- wrk: {env['wrk']}; Eventide commit {env['git_commit']}"
        + (" with uncommitted changes in Sources/ or Package.swift" if env["git_dirty"] else ""),
        f"- {args.rounds} round(s) of {args.duration} s per scenario, {WARMUP_SECONDS} s warm-up, "
        f"fresh server process per measurement; figures are medians over the rounds",
        "- Server pinned to CPU 0, wrk to CPU 1" if PINNING else "- No CPU pinning (fewer than 2 CPUs)",
        "- CPU µs/req: server utime+stime (process tree) over requests completed; "
        "background rows include the catch-up, the slow-tasks row counts the /slow requests too",
        "",
    ]
    lines += [table(servers, scenarios, rows, skips), ""]
    if notes:
        lines += ["Notes:", ""] + [f"- {note}" for note in notes] + [""]
    lines += ["## Servers", ""]
    for server in servers:
        version = f" ({server.version})" if server.version else ""
        if server.skip_reason:
            lines.append(f"- {server.name}{version}: skipped: {server.skip_reason}")
        else:
            lines.append(f"- {server.name}{version}: `{server.display_command()}`")
    lines += ["", "## Load (wrk) per scenario", ""]
    for scenario in scenarios:
        commands = "`; `".join(scenario.wrk_commands(args.duration))
        lines.append(f"- {scenario.name}: `{commands}`")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server and scenario (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--only", help="servers, comma-separated: eventide,c-libuv,nginx,node,fastapi,hummingbird")
    parser.add_argument("--scenarios", help="scenarios, comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument("--no-save", action="store_true", help="print the table only, write no results files")
    args = parser.parse_args()
    args.only = [name.strip() for name in args.only.split(",")] if args.only else None
    names = [name.strip() for name in args.scenarios.split(",")] if args.scenarios else list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    args.scenario_list = [SCENARIOS[name] for name in names]
    known = {"eventide", "c-libuv", "nginx", "node", "fastapi", "hummingbird"}
    if args.only and set(args.only) - known:
        parser.error(f"unknown server(s): {', '.join(set(args.only) - known)}; known: {', '.join(sorted(known))}")
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    return args


def setup_machine(notes: list[str]) -> None:
    global PINNING
    if not shutil.which("wrk"):
        log("wrk not found: installing it with apt")
        if not apt_install("wrk") or not shutil.which("wrk"):
            sys.exit("error: wrk is missing and could not be installed")
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        PINNING = False
        notes.append("No CPU pinning: needs 2 CPUs and taskset.")
    # 1,024 and 4,096 connections need more than the usual 1,024 descriptors, in wrk
    # and in the servers; the children inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    # Other work on the machine (a Swift build, say) skews every figure.
    load = os.getloadavg()[0]
    if load > 0.5:
        notes.append(f"1-minute load average {load:.2f} when the run started: other work was "
                     "running on the machine, so the figures may be noisy.")
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 8300:
        notes.append(f"Open files limited to {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}: "
                     "the 1,024- and 4,096-connection rows may show connect errors.")


def main() -> None:
    args = parse_args()
    notes: list[str] = []
    setup_machine(notes)
    servers = build_servers(make_servers(args.only), notes)
    scenarios = args.scenario_list
    ready = [server for server in servers if not server.skip_reason]

    raw: dict[tuple[str, str], list[dict]] = {}
    skips: dict[tuple[str, str], str] = {}
    for server in ready:
        for scenario in scenarios:
            if scenario.only_servers is not None and server.name not in scenario.only_servers:
                skips[(server.name, scenario.name)] = NOT_IN_SCENARIO
            elif (scenario.only_servers is None and server.name in SCENARIO_ONLY_SERVERS
                  and server.name not in scenario.extra_servers):
                skips[(server.name, scenario.name)] = (
                    NOT_IN_SCENARIO if server.name == METRICS_VARIANT else UNPINNED_ONLY)
            elif scenario.needs_background_tasks and not server.background_tasks:
                skips[(server.name, scenario.name)] = "no background tasks"

    for round_index in range(args.rounds):
        # Interleaved rounds; the server order rotates so none is always first.
        shift = round_index % len(ready) if ready else 0
        for server in ready[shift:] + ready[:shift]:
            for scenario in scenarios:
                key = (server.name, scenario.name)
                if key in skips:
                    continue
                log(f"[round {round_index + 1}/{args.rounds}] {server.name}: {scenario.name}")
                try:
                    result = measure(server, scenario, args.duration)
                except Skip as skip:
                    skips[key] = str(skip)  # a skip holds for the later rounds too
                    log(f"  skipped: {skip}")
                    continue
                result["round"] = round_index + 1
                figures = row_figures(result)
                result["figures"] = figures
                raw.setdefault(key, []).append(result)
                log(f"  {figures['rps']:,.0f} req/s, p99 {fmt_latency(figures['p99_us'])}, "
                    f"{figures['errors']} errors")

    rows = {key: {"raw": runs, "median": median_figures([run["figures"] for run in runs])}
            for key, runs in raw.items() if key not in skips}
    env = environment()
    text = report(env, args, servers, scenarios, rows, skips, notes)
    print(text)

    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        (RESULTS_DIR / f"{stamp}.md").write_text(text)
        document = {
            "environment": env,
            "settings": {"rounds": args.rounds, "duration_s": args.duration, "warmup_s": WARMUP_SECONDS,
                         "pinning": PINNING, "server_cpu": SERVER_CPU, "wrk_cpu": WRK_CPU},
            "servers": [{"name": s.name, "version": s.version, "skipped": s.skip_reason,
                         "command": None if s.skip_reason else s.display_command()} for s in servers],
            "scenarios": [{"name": s.name, "title": s.title, "wrk": s.wrk_commands(args.duration)}
                          for s in scenarios],
            "notes": notes,
            "results": [{"server": server, "scenario": scenario, "median": rows[(server, scenario)]["median"],
                         "runs": rows[(server, scenario)]["raw"]} for (server, scenario) in rows],
            "skipped": [{"server": server, "scenario": scenario, "reason": reason}
                        for (server, scenario), reason in skips.items()],
        }
        (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        log(f"Wrote {RESULTS_DIR / stamp}.md and .json")


if __name__ == "__main__":
    main()
