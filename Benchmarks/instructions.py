#!/usr/bin/env python3
"""Instructions per request of an `eventide-example` build, counted with callgrind.

    python3 Benchmarks/instructions.py .build/release/eventide-example
    python3 Benchmarks/instructions.py OLD NEW --scenarios plaintext,notification
    python3 Benchmarks/instructions.py BINARY --metrics   # also with `bench --metrics`

For each binary and scenario it starts `BINARY bench` under `valgrind --tool=callgrind`,
sends SMALL and then LARGE sequential keep-alive requests on one connection (two fresh
servers), and divides the difference of the two instruction counts by LARGE - SMALL, so
start-up and shutdown cancel out. Instruction counts do not depend on the machine's load,
unlike CPU time. It also counts the run-time exclusivity checks per request
(`swift_beginAccess` calls) and the instructions spent in them.

The notification's figures move between runs (its total by about 1%): how many finished
background tasks one loop wake-up collects depends on the pool threads' timing. The binary is copied without debug info first (valgrind 3.19 cannot read Swift 6.3's
DWARF 5). Needs valgrind and objcopy; standard library only.
"""
import argparse
import collections
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REQUESTS = {
    "plaintext": lambda i: b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "json": lambda i: b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    # Distinct e-mails of one length, as wrk/notify.lua sends them.
    "notification": lambda i: b"POST /send-notification/user%06d@example.com HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\nContent-Length: 0\r\n\r\n" % i,
}
CHECKS = ("swift_beginAccess", "swift_endAccess")


def send_requests(port, scenario, count):
    deadline = time.time() + 120
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    for i in range(count):
        sock.sendall(REQUESTS[scenario](i))
        while b"\r\n\r\n" not in pending:
            pending += sock.recv(65536) or sys.exit("connection closed")
        head, _, pending = pending.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            sys.exit(f"unexpected response: {head!r}")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                       if line.lower().startswith(b"content-length:")), 0)
        while len(pending) < length:
            pending += sock.recv(65536) or sys.exit("connection closed")
        pending = pending[length:]
    sock.close()


def profile(binary, scenario, count, port, scratch, extra=()):
    """Serves `count` requests under callgrind; returns (instructions, calls, inclusive) where
    calls and inclusive count the calls into, and instructions inside, the checks."""
    out = os.path.join(scratch, f"{scenario}.{count}.out")
    workdir = tempfile.mkdtemp(dir=scratch)
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", binary, "bench",
         "--host", "127.0.0.1", "--port", str(port), "--workdir", workdir, "--log-level", "warning", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        send_requests(port, scenario, count)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait()
    return parse(out)


def parse(path):
    names, calls, inclusive, total = {}, collections.Counter(), collections.Counter(), 0
    caller = callee = None
    cost_line_follows = False

    def name(spec):
        spec = spec.strip()
        if not spec.startswith("("):
            return spec
        ident, _, rest = spec.partition(")")
        if rest.strip():
            names[ident] = rest.strip()
        return names.get(ident, ident)

    with open(path) as f:
        for line in f:
            if cost_line_follows:
                fields = line.split()
                if callee in CHECKS and caller not in CHECKS and len(fields) > 1:
                    inclusive[callee] += int(fields[1])
                cost_line_follows = False
            elif line.startswith("fn="):
                caller = name(line[3:])
            elif line.startswith("cfn="):
                callee = name(line[4:])
            elif line.startswith("calls="):
                calls[callee] += int(line[6:].split()[0])
                cost_line_follows = True
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    return total, calls["swift_beginAccess"], sum(inclusive.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="+", help="eventide-example builds")
    parser.add_argument("--scenarios", default="plaintext,json,notification")
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=12000)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--metrics", action="store_true",
                        help="measure each binary also with `--metrics` (request metrics into Prometheus)")
    args = parser.parse_args()
    variants = [("", ())] + ([(" --metrics", ("--metrics", "--metrics-port", "0"))] if args.metrics else [])
    print("| binary | scenario | instructions/request | exclusivity checks/request | instructions in them |")
    print("|---|---|---|---|---|")
    for binary in args.binaries:
        with tempfile.TemporaryDirectory() as scratch:
            stripped = os.path.join(scratch, "eventide-example")
            shutil.copy(binary, stripped)
            subprocess.run(["objcopy", "--strip-debug", stripped], check=True)
            for scenario in args.scenarios.split(","):
                for label, extra in variants:
                    small = profile(stripped, scenario, args.small, args.port, scratch, extra)
                    large = profile(stripped, scenario, args.large, args.port, scratch, extra)
                    n = args.large - args.small
                    per = [(b - a) / n for a, b in zip(small, large)]
                    print(f"| {binary}{label} | {scenario} | {per[0]:,.1f} | {per[1]:.2f} | {per[2]:,.1f} |", flush=True)


if __name__ == "__main__":
    main()
