"""Shared helpers of the PostgreSQL fleet fault tests (pg_kill9_workers.py, pg_restart.py,
pg_netns.py): web and worker processes of the release `eventide-example` on one PostgreSQL
store (Benchmarks/pgcluster.py, fsync on), optionally inside network namespaces; read-only
looks at the store through psql; an audit trigger that records every state change of
`eventide_tasks` (who made it: worker, attempt, client address, time); log.txt merged over
the processes' work directories. Python 3 standard library only.

Every process started here is SIGKILLed at exit (atexit, before pgcluster's own teardown
removes the cluster), so a failing or interrupted script leaves nothing running.
"""
import atexit
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common
import durable

sys.path.append(str(Path(__file__).resolve().parent.parent))  # Benchmarks/: pgcluster, run
from pgcluster import Cluster, enter_netns  # noqa: E402,F401  (Cluster: for the scripts)

DATABASE = "faults"
RUNNING = []  # Proc: killed at exit


def _kill_all():
    for process in list(RUNNING):
        process.kill()


atexit.register(_kill_all)  # registered after pgcluster's: runs before the clusters go


class Proc:
    """One `eventide-example` process in its own session and work directory (its output in
    WORKDIR/output.log), inside network namespace `netns` when given."""

    def __init__(self, name, command, workdir, netns=None):
        self.name = name
        self.command = command
        self.workdir = workdir
        self.netns = netns
        os.makedirs(workdir, exist_ok=True)
        self.output = os.path.join(workdir, "output.log")
        with open(self.output, "ab") as out:
            self.popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True,
                                          preexec_fn=(lambda: enter_netns(netns)) if netns else None)
        self.started = time.monotonic()
        RUNNING.append(self)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Signals the process (SIGKILL by default) and reaps it."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            self.popen.wait()
        if self in RUNNING:
            RUNNING.remove(self)

    def stop(self, timeout=40.0):
        """SIGTERM (graceful stop); SIGKILL after `timeout`. Returns the exit status (None: killed)."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        if self in RUNNING:
            RUNNING.remove(self)
        return self.popen.returncode

    def text(self):
        try:
            with open(self.output, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def count(self, phrase):
        return self.text().count(phrase)

    def tail(self, lines=5):
        return " | ".join(self.text().strip().splitlines()[-lines:])[-600:] or "no output"


def listening(pid, port):
    """Whether process `pid` has a TCP socket listening on `port`, read from /proc/PID/net/tcp
    (the process's own network namespace)."""
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except (OSError, StopIteration):
            pass
    return False


def start_web(binary, name, url, workdir, host="127.0.0.1", netns=None, log_level="warning", timeout=30.0):
    """`eventide-example bench --task-store URL --local-workers 0` (no task runs there); returns
    once it listens. `.host` and `.port` say where."""
    port = common.free_port()
    command = [binary, "bench", "--host", host, "--port", str(port), "--workdir", workdir, "--task-store", url,
               "--local-workers", "0", "--log-level", log_level]
    process = Proc(name, command, workdir, netns)
    process.host, process.port = host, port
    deadline = time.monotonic() + timeout
    while not listening(process.pid, port):
        if not process.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start listening: {process.tail()}")
        time.sleep(0.05)
    return process


def start_worker(binary, name, url, workdir, netns=None, queues="default:8", log_level="info"):
    """`eventide-example worker --store URL --queues default:8` (info level: its rescue and
    refusal warnings land in output.log)."""
    command = [binary, "worker", "--store", url, "--workdir", workdir, "--queues", queues, "--log-level", log_level]
    return Proc(name, command, workdir, netns)


class Load(durable.Load):
    """durable.Load (which email got which answer), its sockets made inside network namespace
    `netns` when given (setns of its own thread)."""

    def __init__(self, *args, netns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.netns = netns

    def run(self):
        if self.netns:
            enter_netns(self.netns)
        super().run()


AUDIT_SQL = """
CREATE TABLE IF NOT EXISTS fault_audit (
    seq bigserial PRIMARY KEY, task bigint NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp(),
    old_state text, new_state text, old_worker text, new_worker text, old_attempt int, new_attempt int,
    client inet, backend int);
CREATE INDEX IF NOT EXISTS fault_audit_task ON fault_audit (task);
CREATE OR REPLACE FUNCTION fault_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fault_audit (task, old_state, new_state, old_worker, new_worker, old_attempt, new_attempt, client, backend)
    VALUES (NEW.id, OLD.state, NEW.state, OLD.worker, NEW.worker, OLD.attempt, NEW.attempt, inet_client_addr(),
            pg_backend_pid());
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS fault_audit ON eventide_tasks;
CREATE TRIGGER fault_audit AFTER UPDATE ON eventide_tasks FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION fault_audit();
"""

# A completion (running -> completed) whose run was not the task's last claim: a later claim
# (a higher attempt) exists, or the completing worker is not the one that claimed that attempt.
LATE_COMPLETIONS_SQL = """
SELECT c.task, c.old_worker, c.old_attempt, c.client FROM fault_audit c
WHERE c.new_state = 'completed' AND (
    EXISTS (SELECT 1 FROM fault_audit r WHERE r.task = c.task AND r.new_state = 'running'
            AND r.new_attempt > c.old_attempt)
    OR NOT EXISTS (SELECT 1 FROM fault_audit r WHERE r.task = c.task AND r.new_state = 'running'
            AND r.new_attempt = c.old_attempt AND r.new_worker = c.old_worker AND r.client IS NOT DISTINCT FROM c.client))
"""


class Store:
    """Database `database` of `cluster` (created here), read with psql."""

    def __init__(self, cluster, database=DATABASE):
        self.cluster = cluster
        self.database = database
        self.url = cluster.create_database(database)

    def sql(self, text):
        return self.cluster.sql(text, database=self.database)

    def rows(self, text):
        return [line.split("|") for line in self.sql(text).splitlines() if line]

    def wait_tables(self, timeout=30.0):
        """Waits until the store's migration made eventide_tasks."""
        deadline = time.monotonic() + timeout
        while self.sql("SELECT to_regclass('eventide_tasks') IS NOT NULL") != "t":
            if time.monotonic() > deadline:
                raise RuntimeError("eventide_tasks not created within the timeout")
            time.sleep(0.1)

    def install_audit(self):
        self.wait_tables()
        self.sql(AUDIT_SQL)

    def states(self):
        return {state: int(n) for state, n in self.rows("SELECT state, count(*) FROM eventide_tasks GROUP BY state")}

    def pending(self):
        states = ",".join(f"'{s}'" for s in durable.PENDING_STATES)
        return int(self.sql(f"SELECT count(*) FROM eventide_tasks WHERE state IN ({states})"))

    def wait_idle(self, timeout, interval=0.5):
        """Seconds until no task is scheduled/available/running/retryable, None after `timeout`
        (errors while PostgreSQL is unreachable count as not idle)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                if self.pending() == 0:
                    return time.monotonic() - start
            except RuntimeError:
                pass
            time.sleep(interval)
        return None

    def workers_of(self, pids):
        """Worker ids (eventide_workers.id) of these process ids."""
        if not pids:
            return []
        return [row[0] for row in self.rows(
            f"SELECT id FROM eventide_workers WHERE pid IN ({','.join(str(p) for p in pids)})")]

    def wait_registered(self, pids, timeout=30.0):
        deadline = time.monotonic() + timeout
        while len(self.workers_of(pids)) < len(pids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes {pids} not in eventide_workers within {timeout:.0f} s")
            time.sleep(0.1)

    def running_of(self, workers):
        """(task id, attempt, email) of the tasks `running` for these worker ids."""
        if not workers:
            return []
        names = ",".join("'" + w.replace("'", "''") + "'" for w in workers)
        return [(int(i), int(a), e) for i, a, e in self.rows(
            f"SELECT id, attempt, arguments->>'email' FROM eventide_tasks WHERE state = 'running' AND worker IN ({names})")]

    def next_claims(self, tasks):
        """For (task id, attempt) pairs: {task id: epoch seconds of its claim with attempt + 1}
        (from the audit; absent when it never ran again)."""
        if not tasks:
            return {}
        wanted = {task: attempt + 1 for task, attempt in tasks}
        found = {}
        for task, attempt, at in self.rows(
                "SELECT task, new_attempt, extract(epoch FROM at) FROM fault_audit WHERE new_state = 'running' "
                f"AND task IN ({','.join(str(t) for t in wanted)})"):
            if wanted[int(task)] == int(attempt):
                found[int(task)] = min(float(at), found.get(int(task), float("inf")))
        return found

    def late_completions(self):
        return self.rows(LATE_COMPLETIONS_SQL)

    def not_completed(self):
        return int(self.sql("SELECT count(*) FROM eventide_tasks WHERE state <> 'completed'"))

    def emails(self):
        """Every task's email in the table."""
        return set(self.sql("SELECT arguments->>'email' FROM eventide_tasks").splitlines())

    def coordinator_pid(self):
        """The process id of the coordinator: the holder of an unexpired lease (None: none)."""
        value = self.sql(
            "SELECT w.pid FROM eventide_coordinator c JOIN eventide_workers w ON w.id = c.worker "
            "WHERE c.expires_at > now()")
        return int(value) if value else None


class Backlog(threading.Thread):
    """Samples the store's pending tasks every `interval` seconds (psql through the Unix
    socket) until stopped: `samples` holds (monotonic time, pending or None when unreachable)."""

    def __init__(self, store, interval=1.0):
        super().__init__(daemon=True)
        self.store = store
        self.interval = interval
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                pending = self.store.pending()
            except RuntimeError:
                pending = None
            self.samples.append((time.monotonic(), pending))
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join()

    def longest_flat(self):
        """The longest time (s) the pending count stayed the same and above 0 (a stall)."""
        longest, since, last = 0.0, None, None
        for at, pending in self.samples:
            if pending and pending == last:
                longest = max(longest, at - since)
            else:
                since = at
            last = pending
        return longest

    def describe(self, start):
        values = [p for _, p in self.samples if p is not None]
        peak = max(values, default=0)
        peak_at = next((at for at, p in self.samples if p == peak), start)
        return (f"pending tasks peaked at {peak} (+{peak_at - start:.0f} s); longest time with the same non-zero "
                f"count (a stall): {self.longest_flat():.0f} s")


def diagnose(store, directory):
    """On a failure, while the processes still run: the sessions (what each waits for), the
    locks not granted, eventide_workers, the unfinished tasks and the audit, as text files in
    `directory` (psql output). Returns the sessions' summary lines."""
    queries = {
        "sessions.txt": "SELECT pid, client_addr, state, wait_event_type, wait_event, backend_xid, "
                        "now() - xact_start AS in_transaction, now() - state_change AS in_state, "
                        "pg_blocking_pids(pid) AS blocked_by, left(query, 120) FROM pg_stat_activity "
                        f"WHERE datname = '{store.database}' ORDER BY client_addr, pid",
        "locks.txt": "SELECT l.pid, l.locktype, l.relation::regclass, l.mode, l.granted, a.client_addr "
                     "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                     "WHERE l.relation IS NULL OR l.relation::regclass::text NOT LIKE 'pg_%' ORDER BY l.pid",
        "workers.txt": "SELECT * FROM eventide_workers",
        "unfinished.txt": "SELECT id, state, attempt, worker, attempted_at, arguments FROM eventide_tasks "
                          "WHERE state <> 'completed' ORDER BY id",
        "audit.txt": "SELECT * FROM fault_audit ORDER BY seq",
    }
    os.makedirs(directory, exist_ok=True)
    for name, text in queries.items():
        try:
            output = store.sql(text)
        except RuntimeError as error:
            output = str(error)
        with open(os.path.join(directory, name), "w") as f:
            f.write(output + "\n")
    with open(os.path.join(directory, "sessions.txt")) as f:
        return [line.rstrip() for line in f if line.strip()]


def logged(workdirs):
    """Lines per email over every work directory's log.txt, and the unparsable lines."""
    total, bad = collections.Counter(), 0
    for workdir in workdirs:
        counts, unparsable = durable.logged_emails(os.path.join(workdir, "log.txt"))
        total.update(counts)
        bad += unparsable
    return total, bad


def base_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def finish(ok, base, summary):
    """Prints the summary and PASS/FAIL, removes `base` on success (kept on failure), exits."""
    for line in summary:
        print(line)
    if ok:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"work directories kept in {base}")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)
