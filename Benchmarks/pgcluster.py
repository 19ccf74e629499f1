#!/usr/bin/env python3
"""A throw-away PostgreSQL cluster for benchmarks and fault tests (Python 3.11, stdlib only).

    from pgcluster import Cluster
    with Cluster(max_connections=200, cpu="0") as cluster:   # initdb + start
        cluster.create_database("bench")
        cluster.sql("CREATE TABLE t (id bigserial PRIMARY KEY)", database="bench")
        url = cluster.url("bench")                            # postgres://postgres@127.0.0.1:PORT/bench
        cluster.restart()                                     # or stop() / start() / crash()
    # gone: the server is stopped and its directory removed
    Cluster(host="10.213.0.2", netns="ev-pg")                 # root: listen there, inside a network namespace

    python3 Benchmarks/pgcluster.py                           # start one, print its URL, wait for Ctrl-C

The cluster: `initdb` into a fresh temporary directory (as the `postgres` user through
`runuser -u postgres` when run as root; the server itself runs as `postgres` too, a child
of this process so that its exit is reaped even where nothing reaps orphans), trust
authentication, listening on 127.0.0.1 (or `host`) and
a free port only (its Unix socket in its own directory), `fsync=on`,
`synchronous_commit=on` and `full_page_writes=on` spelled out (a figure measured without
fsync does not count), `max_connections` as asked, the postmaster optionally pinned to
CPUs with taskset (its backends inherit that). `postgresql` is installed with apt when its
binaries are missing. Every cluster still running is stopped and removed at exit, on
SIGTERM and on Ctrl-C. SQL runs through `psql` (postgresql-client) as `postgres` over TCP.

With `netns` (root only), the postmaster runs inside that network namespace (`ip netns add`
made it; `host` is one of its addresses): `pg_isready` and `psql` then use the cluster's Unix
socket, which the namespace does not hide.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import HOST, apt_install, free_port, log  # noqa: E402

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
START_TIMEOUT = 60  # seconds for initdb, a start or a stop

LIVE: list["Cluster"] = []  # clusters to tear down at exit
CLONE_NEWNET = 0x40000000


def enter_netns(name: str) -> None:
    """Moves the calling thread (or a child before exec) into network namespace `name`
    (/run/netns/NAME, as `ip netns add` makes it). Root only."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns({name}): {os.strerror(error)}")
    finally:
        os.close(fd)


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<ver>/bin; installs `postgresql` with apt when none."""
    def newest() -> Path | None:
        versions = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
                          key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0))
        return versions[-1] if versions else None

    found = newest()
    if found is None:
        log("PostgreSQL server binaries not found: installing postgresql with apt")
        if not apt_install("postgresql", "postgresql-client") or (found := newest()) is None:
            raise RuntimeError("postgresql missing and apt-get install failed")
    return found


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (nobody may reap an orphaned postmaster)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _teardown_all() -> None:
    for cluster in list(LIVE):
        cluster.destroy()


def _on_sigterm(signum, frame) -> None:
    sys.exit(128 + signum)  # runs atexit (and finally blocks) on the way out


atexit.register(_teardown_all)
if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
    signal.signal(signal.SIGTERM, _on_sigterm)


class Cluster:
    """One initdb'd cluster in a temporary directory; started by the constructor unless start=False."""

    def __init__(self, max_connections: int = 100, cpu: str | None = None, port: int | None = None,
                 settings: dict[str, str] | None = None, start: bool = True, prefix: str = "eventide-pg-",
                 host: str = HOST, netns: str | None = None):
        self.bin = bin_dir()
        self.host = host
        self.netns = netns
        self.version = self._run([str(self.bin / "postgres"), "--version"]).stdout.strip()
        self.port = port or free_port()
        self.cpu = cpu
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.as_superuser = os.geteuid() == 0
        self.postmaster: subprocess.Popen | None = None
        if netns and not self.as_superuser:
            raise RuntimeError("a cluster in a network namespace needs root")
        # pg_isready and psql: over TCP, or through the Unix socket from outside the namespace.
        self.client_host = str(self.root) if netns else host
        if self.as_superuser:
            shutil.chown(self.root, SUPERUSER, SUPERUSER)
        self.settings = {
            "listen_addresses": f"'{host}'", "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": str(max_connections),
            "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
            "logging_collector": "off", "log_min_messages": "warning",
            **(settings or {}),
        }
        LIVE.append(self)
        try:
            self._initdb()
            if start:
                self.start()
        except BaseException:
            self.destroy()
            raise

    # -- commands as the cluster's owner

    def _owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", SUPERUSER, "--", *command] if self.as_superuser else command

    def _run(self, command: list[str], check: bool = True, timeout: float = START_TIMEOUT,
             input: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, input=input,
                              cwd="/", stdin=None if input is not None else subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:6])} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-500:]}")
        return done

    def _initdb(self) -> None:
        self._run(self._owner([str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                               "--auth=trust", "--encoding=UTF8", "--locale=C"]))
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# Benchmarks/pgcluster.py\n")
            for name, value in self.settings.items():
                conf.write(f"{name} = {value}\n")
        if self.host != HOST:  # initdb's trust entries cover loopback only: add the server's own subnets
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.write("host all all samenet trust\n")

    # -- life cycle

    def start(self) -> None:
        """Starts the postmaster as a child of this process (so its exit is reaped here, even
        where nothing reaps orphans) and waits until it accepts connections."""
        if self.running():
            return
        command = [str(self.bin / "postgres"), "-D", str(self.data)]
        if self.cpu is not None:  # the postmaster, and so every backend it forks, on these CPUs
            command = ["taskset", "-c", self.cpu, *command]
        owner = {"user": SUPERUSER, "group": SUPERUSER, "extra_groups": []} if self.as_superuser else {}
        if self.netns:  # setns needs root: enter the namespace first, then become the owner
            record = pwd.getpwnam(SUPERUSER)

            def enter(netns=self.netns, uid=record.pw_uid, gid=record.pw_gid):
                enter_netns(netns)
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            owner = {"preexec_fn": enter}
        with self.logfile.open("ab") as out:
            self.postmaster = subprocess.Popen(command, cwd=self.root, stdin=subprocess.DEVNULL, stdout=out,
                                               stderr=subprocess.STDOUT, start_new_session=True, **owner)
        ready = [str(self.bin / "pg_isready"), "-q", "-h", self.client_host, "-p", str(self.port), "-U", SUPERUSER]
        deadline = time.monotonic() + START_TIMEOUT
        while subprocess.run(ready, stdin=subprocess.DEVNULL).returncode != 0:
            if self.postmaster.poll() is not None or time.monotonic() > deadline:
                lines = self.logfile.read_text(errors="replace").strip().splitlines()
                raise RuntimeError("PostgreSQL did not start: " + " | ".join(lines[-3:]))
            time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """Stops the server: `fast` (SIGINT: roll back, disconnect, checkpoint), `smart` (SIGTERM:
        wait for the sessions to end) or `immediate` (SIGQUIT: no checkpoint, recovery at start)."""
        if not self.running():
            return
        signum = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self.postmaster.send_signal(signum)
        try:
            self.postmaster.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.crash()

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def crash(self) -> None:
        """SIGKILL the postmaster (its backends stop on their own); start() then runs crash recovery."""
        if not self.running():
            return
        processes = self.pids()
        self.postmaster.kill()
        self.postmaster.wait()
        deadline = time.monotonic() + START_TIMEOUT
        while any(_alive(p) for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
        for child in processes:  # a backend that lingers
            if _alive(child):
                os.kill(child, signal.SIGKILL)

    def running(self) -> bool:
        return self.postmaster is not None and self.postmaster.poll() is None

    def pid(self) -> int | None:
        """The postmaster's pid, None when it is not running."""
        return self.postmaster.pid if self.running() else None

    def pids(self) -> list[int]:
        """Every process of this cluster: the postmaster and its children (backends, walwriter, ...)."""
        pid = self.pid()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if pid is not None and int(entry.name) == pid:
                    found.append(pid)
                    continue
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))
            if pid is not None and ppid == pid:
                found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """utime+stime of the whole server since it started: the postmaster's own and its waited-for
        children's (backends that have exited: cutime+cstime) plus every live child's."""
        clock = os.sysconf("SC_CLK_TCK")
        pid = self.pid()
        if pid is None:
            return 0.0
        ticks = 0
        for process in self.pids():
            try:
                stat = Path(f"/proc/{process}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
            if process == pid:
                ticks += int(fields[13]) + int(fields[14])
        return ticks / clock

    def destroy(self) -> None:
        """Stops the server (immediate) and removes its directory."""
        if self in LIVE:
            LIVE.remove(self)
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    # -- SQL

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def sql(self, statements: str, database: str = "postgres") -> str:
        """Runs SQL with psql (stops at the first error); returns the rows as `a|b` lines."""
        psql = shutil.which("psql") or str(self.bin / "psql")
        done = self._run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.client_host,
                          "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-f", "-"],
                         input=statements)
        return done.stdout.strip()

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def settings_in_force(self, *names: str) -> dict[str, str]:
        query = ", ".join(f"current_setting('{name}')" for name in names)
        return dict(zip(names, self.sql(f"SELECT {query}").split("|")))


if __name__ == "__main__":
    cluster = Cluster()
    print(f"{cluster.version} at {cluster.url()} (data in {cluster.data}); "
          f"{cluster.settings_in_force('fsync', 'synchronous_commit', 'max_connections')}", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
