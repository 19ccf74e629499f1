#!/usr/bin/env python3
"""Resets connections (RST via SO_LINGER 0) mid-request and mid-response while wrk loads
/plaintext, then checks the server is unharmed.

    python3 Benchmarks/faults/resets_under_load.py [--duration 20] [--binary PATH]

While `wrk -t1 -c32 -d<duration>s /plaintext` runs, 3 client threads loop over four abuses:
  partial_head    connect, send half a header section, RST
  partial_body    POST /send-notification/... with Content-Length: 100 and 10 body bytes, RST
  pipelined_rst   send 200 pipelined GET /plaintext at once, read nothing, RST (the server is
                  writing responses into a reset socket)
  immediate_rst   connect and RST at once
Afterwards: wrk's requests / socket errors / non-2xx (its own 32 connections are never reset,
so any error there is a failure), the server must still answer /plaintext and /json, and its
open fd count must return to the idle baseline (no leaked connections). Exit 0 on success.
"""
import argparse
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

import common

LINGER_ZERO = struct.pack("ii", 1, 0)


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ZERO)
    s.close()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


PIPELINED = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n" * 200


def abuser(port, stop, counts, lock, index):
    kinds = ["partial_head", "partial_body", "pipelined_rst", "immediate_rst"]
    n = index
    while not stop.is_set():
        kind = kinds[n % len(kinds)]
        n += 1
        try:
            s = connect(port)
            if kind == "partial_head":
                s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Partial: ab")
                time.sleep(0.001)
            elif kind == "partial_body":
                s.sendall(b"POST /send-notification/reset%d@example.com HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 100\r\n\r\n0123456789" % n)
                time.sleep(0.001)
            elif kind == "pipelined_rst":
                s.sendall(PIPELINED)
                time.sleep(0.0005 * (n % 4))  # reset while responses are being written
            rst_close(s)
            with lock:
                counts[kind] = counts.get(kind, 0) + 1
        except OSError as e:
            with lock:
                counts["client_errors"] = counts.get("client_errors", 0) + 1
                counts.setdefault("last_error", str(e))


def parse_wrk(text):
    out = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = dict(zip(["connect", "read", "write", "timeout"], map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--binary")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    common.raise_nofile(20_000)
    server = common.Server(args.binary)
    ok = False
    try:
        time.sleep(0.3)
        fds_idle = server.open_fds()
        rss_before = server.rss_kib()
        wrk = subprocess.Popen(
            ["wrk", "-t1", "-c32", f"-d{args.duration}s", f"http://127.0.0.1:{server.port}/plaintext"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        stop, lock, counts = threading.Event(), threading.Lock(), {}
        threads = [threading.Thread(target=abuser, args=(server.port, stop, counts, lock, i))
                   for i in range(args.threads)]
        for t in threads:
            t.start()
        time.sleep(max(args.duration - 1.0, 1))
        stop.set()
        for t in threads:
            t.join()
        wrk_out, _ = wrk.communicate(timeout=args.duration + 30)
        w = parse_wrk(wrk_out)
        time.sleep(3)  # closes, lingering closes and header timeouts of partial requests settle
        plaintext = common.http_get(server.port, "/plaintext")
        json_status = common.http_get(server.port, "/json")
        deadline = time.time() + 15
        while server.open_fds() > fds_idle and time.time() < deadline:
            time.sleep(0.5)
        fds_after = server.open_fds()
        rss_after = server.rss_kib()
        resets = sum(v for k, v in counts.items() if k in ("partial_head", "partial_body", "pipelined_rst", "immediate_rst"))
        print(f"wrk /plaintext -c32:       {w.get('requests')} requests, {w.get('rps'):.0f} req/s")
        print(f"wrk socket errors:         {w.get('socket_errors')}")
        print(f"wrk non-2xx responses:     {w.get('non_2xx')}")
        print(f"resets done:               {resets} {dict((k, v) for k, v in counts.items() if k != 'last_error')}")
        if "last_error" in counts:
            print(f"last client error:         {counts['last_error']}")
        print(f"after: /plaintext {plaintext}, /json {json_status}, server alive {server.alive()}")
        print(f"server fds idle/after:     {fds_idle}/{fds_after}")
        print(f"server VmRSS before/after: {rss_before}/{rss_after} KiB")
        errors = sum(w.get("socket_errors", {}).values()) if w.get("socket_errors") else 0
        ok = (server.alive() and plaintext == 200 and json_status == 200 and errors == 0
              and w.get("non_2xx", 0) == 0 and w.get("requests", 0) > 0 and fds_after <= fds_idle
              and resets > 0)
    finally:
        common.finish(server, ok)


if __name__ == "__main__":
    main()
