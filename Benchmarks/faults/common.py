"""Shared helpers for the fault tests: start the release `eventide-example bench` server on a
free loopback port, read its RSS, stop it. Python 3 standard library only."""
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_BINARY = os.path.join(ROOT, ".build-faults", "release", "eventide-example")
# Used when .build-faults has none: the ordinary release build.
FALLBACK_BINARY = os.path.join(ROOT, ".build", "release", "eventide-example")
BUILD_HINT = "swift build -c release --product eventide-example --scratch-path .build-faults"


def raise_nofile(wanted=20000):
    """Raises this process's RLIMIT_NOFILE soft limit (children inherit it). Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary_path(path=None):
    path = path or os.environ.get("EVENTIDE_BINARY") or DEFAULT_BINARY
    if path == DEFAULT_BINARY and not os.access(path, os.X_OK) and os.access(FALLBACK_BINARY, os.X_OK):
        path = FALLBACK_BINARY
    if not os.access(path, os.X_OK):
        sys.exit(f"{path} not found; build it first: {BUILD_HINT}")
    return path


class Server:
    """`eventide-example bench` on 127.0.0.1, stderr to a file in its workdir."""

    def __init__(self, binary=None, extra=(), workdir=None, nofile=20000, stderr_name="server.stderr"):
        self.binary = binary_path(binary)
        self.port = free_port()
        self.workdir = workdir or tempfile.mkdtemp(prefix="eventide-fault-")
        self.stderr_path = os.path.join(self.workdir, stderr_name)
        args = [self.binary, "bench", "--host", "127.0.0.1", "--port", str(self.port),
                "--workdir", self.workdir, "--log-level", "warning", *extra]

        def limits():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        self.stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                        preexec_fn=limits)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("server did not start listening within 15 s")

    @property
    def pid(self):
        return self.process.pid

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def memory_kib(self):
        """RSS, PSS and USS (private clean + dirty) in KiB, from /proc/PID/smaps_rollup."""
        fields = {}
        with open(f"/proc/{self.pid}/smaps_rollup") as f:
            for line in f:
                name, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    fields[name] = int(value.split()[0])
        return (fields.get("Rss", 0), fields.get("Pss", 0),
                fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0))

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def alive(self):
        return self.process.poll() is None

    def log_tail(self, lines=20):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")

    def cleanup(self):
        """Removes the work directory (call after stop(); kept on failure for inspection)."""
        self.stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def stop(self, sig=signal.SIGTERM, timeout=40):
        """Signals the server and returns its exit status (None if it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        return self.process.returncode


def finish(server, ok):
    """Stops the server, keeps its workdir and log on failure, prints PASS/FAIL and exits."""
    status = server.stop()
    print(f"server exit status after SIGTERM: {status}")
    if ok:
        server.cleanup()
    else:
        print(f"server log tail ({server.workdir} kept):\n" + server.log_tail())
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


def http_get(port, path="/plaintext", timeout=5.0):
    """One GET on a fresh connection; returns the status code (or None on failure)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None
    except OSError:
        return None
