"""Shared helpers for the durable-task fault tests: a load generator that remembers which
request got which answer, read-only queries of the task store, and log.txt parsing.
Python 3 standard library only."""
import collections
import errno
import os
import re
import selectors
import shutil
import socket
import sqlite3
import tempfile
import threading
import time

PENDING_STATES = ("scheduled", "available", "running", "retryable")
# The SQLite store keeps a task's state as a code (schema version 5; see
# Documentation/DurableTasks.md, "The SQLite file").
STATE_CODES = {"scheduled": 0, "available": 1, "retryable": 2, "running": 3, "completed": 4, "discarded": 5,
               "cancelled": 6}
# SQL that reads the state column as its name.
STATE_NAME = "CASE state " + " ".join(f"WHEN {code} THEN '{name}'" for name, code in STATE_CODES.items()) + " END"
LOG_LINE = re.compile(r"^notification for (.*): some notification$")


class Load(threading.Thread):
    """`connections` keep-alive connections, each POSTing `path_prefix + <unique email>` one
    request at a time (non-blocking sockets, one selector, one thread). Unlike wrk it keeps
    which email got which answer: `answers[email]` is the status code, and `unanswered`
    holds the emails sent on a connection that broke before its answer.

    `host` is the server's address (default 127.0.0.1). A connection that breaks (server killed) is reopened after `reconnect_delay` unless
    `reconnect` is False; `stop()` ends the load."""

    def __init__(self, port, prefix, connections=32, path_prefix="/durable-notification/",
                 reconnect=True, reconnect_delay=0.05, domain="example.com", host="127.0.0.1"):
        super().__init__(daemon=True)
        self.host = host
        self.port = port
        self.prefix = prefix
        self.connections = connections
        self.path_prefix = path_prefix
        self.reconnect = reconnect
        self.reconnect_delay = reconnect_delay
        self.domain = domain
        self.answers = {}            # email -> status code
        self.answered_at = {}        # email -> time.monotonic() of the answer
        self.unanswered = set()      # emails whose connection broke before the answer
        self.retry_after = collections.Counter()  # status -> answers carrying Retry-After
        self.connect_failures = 0
        self.broken = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sequence = 0

    def stop(self):
        self._stopping.set()

    def counts(self):
        with self._lock:
            return collections.Counter(self.answers.values())

    def emails_with(self, predicate):
        with self._lock:
            return {email for email, status in self.answers.items() if predicate(status)}

    def _next_email(self, index):
        self._sequence += 1
        return f"{self.prefix}-c{index}-{self._sequence}@{self.domain}"

    def run(self):
        selector = selectors.DefaultSelector()
        conns = {}
        waiting = []  # (when, index): connections to reopen

        def open_conn(index):
            s = socket.socket()
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = s.connect_ex((self.host, self.port))
            if code not in (0, errno.EINPROGRESS):
                s.close()
                self.connect_failures += 1
                if self.reconnect:
                    waiting.append((time.monotonic() + self.reconnect_delay, index))
                return
            c = {"sock": s, "index": index, "buf": b"", "email": None, "out": b"", "connected": False}
            conns[index] = c
            selector.register(s, selectors.EVENT_WRITE, c)

        def close_conn(c, broke):
            if c.get("closed"):
                return
            c["closed"] = True
            try:
                selector.unregister(c["sock"])
            except (KeyError, ValueError):
                pass
            conns.pop(c["index"], None)
            c["sock"].close()
            if c["email"] is not None:
                with self._lock:
                    self.unanswered.add(c["email"])
                c["email"] = None
            if broke:
                self.broken += 1
            if self.reconnect and not self._stopping.is_set():
                waiting.append((time.monotonic() + self.reconnect_delay, c["index"]))

        def send_next(c):
            email = self._next_email(c["index"])
            c["email"] = email
            c["out"] = (f"POST {self.path_prefix}{email} HTTP/1.1\r\nHost: x\r\n"
                        f"Content-Length: 0\r\n\r\n").encode()
            flush(c)

        def flush(c):
            try:
                sent = c["sock"].send(c["out"])
                c["out"] = c["out"][sent:]
            except BlockingIOError:
                pass
            except OSError:
                close_conn(c, True)
                return
            selector.modify(c["sock"], selectors.EVENT_WRITE if c["out"] else selectors.EVENT_READ, c)

        def parse(c):
            # Returns False when the connection must close.
            while True:
                head_end = c["buf"].find(b"\r\n\r\n")
                if head_end < 0:
                    return True
                head = c["buf"][:head_end].decode("latin-1").split("\r\n")
                length, close, retry_after = 0, False, False
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value.strip())
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                    elif name == "retry-after":
                        retry_after = True
                if len(c["buf"]) < head_end + 4 + length:
                    return True
                c["buf"] = c["buf"][head_end + 4 + length:]
                status = int(head[0].split(" ", 2)[1])
                with self._lock:
                    if c["email"] is not None:
                        self.answers[c["email"]] = status
                        self.answered_at[c["email"]] = time.monotonic()
                    if retry_after:
                        self.retry_after[status] += 1
                c["email"] = None
                if close:
                    return False
                if self._stopping.is_set():
                    return False
                send_next(c)
                if c.get("closed"):
                    return True

        for index in range(self.connections):
            open_conn(index)
        while not self._stopping.is_set():
            now = time.monotonic()
            due = [w for w in waiting if w[0] <= now]
            for w in due:
                waiting.remove(w)
                open_conn(w[1])
            for key, events in selector.select(timeout=0.02):
                c = key.data
                if c.get("closed"):
                    continue
                if not c["connected"]:
                    error = c["sock"].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error:
                        self.connect_failures += 1
                        close_conn(c, False)
                        continue
                    c["connected"] = True
                    send_next(c)
                    continue
                if events & selectors.EVENT_WRITE:
                    flush(c)
                    continue
                try:
                    data = c["sock"].recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    close_conn(c, True)
                    continue
                c["buf"] += data
                if not parse(c):
                    close_conn(c, False)
        for c in list(conns.values()):
            try:
                selector.unregister(c["sock"])
            except (KeyError, ValueError):
                pass
            c["sock"].close()
            if c["email"] is not None:
                with self._lock:
                    self.unanswered.add(c["email"])
        selector.close()


def query(db_path, sql, args=()):
    """Rows of `sql` on a read-only connection to the store (the server keeps the writer)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def query_copy(db_path, sql, args=()):
    """`query` on a copy of the store and its WAL (for a killed server's file: reading it in
    place could run WAL recovery or a checkpoint before the restart does)."""
    directory = tempfile.mkdtemp(prefix="eventide-dbcopy-")
    try:
        copy = os.path.join(directory, "tasks.db")
        shutil.copyfile(db_path, copy)
        if os.path.exists(db_path + "-wal"):
            shutil.copyfile(db_path + "-wal", copy + "-wal")
        con = sqlite3.connect(copy, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def state_counts(db_path, reader=query):
    return dict(reader(db_path, f"SELECT {STATE_NAME}, count(*) FROM eventide_tasks GROUP BY state"))


def wait_drained(db_path, timeout=60.0, interval=0.2):
    """Polls until no task is scheduled, available, running or retryable; returns the
    seconds it took, or None when `timeout` passed first."""
    start = time.monotonic()
    marks = ",".join("?" * len(PENDING_STATES))
    while time.monotonic() - start < timeout:
        try:
            pending = query(db_path, f"SELECT count(*) FROM eventide_tasks WHERE state IN ({marks})",
                            [STATE_CODES[state] for state in PENDING_STATES])[0][0]
            if pending == 0:
                return time.monotonic() - start
        except sqlite3.OperationalError:
            pass
        time.sleep(interval)
    return None


def logged_emails(log_path):
    """How many times each email appears in log.txt, and the lines that do not parse."""
    counts = collections.Counter()
    bad = 0
    if os.path.exists(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = LOG_LINE.match(line.rstrip("\n"))
                if m:
                    counts[m.group(1)] += 1
                elif line.strip():
                    bad += 1
    return counts, bad


def post(port, path, timeout=5.0):
    """One POST on a fresh connection: (status, headers dict, body) or (None, {}, b"")."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(lines[0].split(" ", 2)[1]), headers, body
    except (OSError, ValueError, IndexError):
        return None, {}, b""
