#!/usr/bin/env python3
"""Holds 10,000 concurrent keep-alive connections to `eventide-example bench` and checks every
one is answered, reporting the server's RSS per connection.

    python3 Benchmarks/faults/connections_10k.py [--connections N] [--binary PATH]

Raises RLIMIT_NOFILE (to 20,000: this script and the server). Connects in batches of 500
(the listen backlog is 1,024), sends `GET /plaintext` on each new connection and reads the
200; once all N are open it sends a second request on every connection at once (N requests
in flight, proving all N connections are held concurrently), then closes them all.
Numbers: connections held, 200s per round, server VmRSS idle / holding / after close,
KiB per connection, RSS/PSS/USS idle and holding (smaps_rollup), server fds. Exit 0 when every request got a 200 and the server still
answers afterwards. Bounded: gives up after 100 s. (The server's own limit is
maxConnections = 10,000 by default; an 10,001st connection is answered 503.)
"""
import argparse
import errno
import selectors
import socket
import sys
import time

import common

REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"


class Conn:
    __slots__ = ("sock", "buf", "status", "done")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.status = None
        self.done = False


def response_complete(conn):
    head_end = conn.buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = conn.buf[:head_end].decode("latin-1")
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if len(conn.buf) < head_end + 4 + length:
        return False
    parts = head.split(" ", 2)
    conn.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    conn.buf = conn.buf[head_end + 4 + length:]
    return True


def request_round(conns, deadline):
    """Sends one request on every connection and waits for every response. Returns #200s."""
    sel = selectors.DefaultSelector()
    for c in conns:
        c.done = False
        c.status = None
        try:
            c.sock.send(REQUEST)
            sel.register(c.sock, selectors.EVENT_READ, c)
        except OSError:
            c.done = True
    pending = sum(1 for c in conns if not c.done)
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                c.buf += data
                if not response_complete(c):
                    continue
            c.done = True
            pending -= 1
            sel.unregister(c.sock)
    sel.close()
    return sum(1 for c in conns if c.status == 200)


def connect_batch(port, count, deadline):
    sel = selectors.DefaultSelector()
    conns, failed = [], 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            failed += 1
            s.close()
            continue
        sel.register(s, selectors.EVENT_WRITE)
    waiting = len(sel.get_map())
    while waiting and time.time() < deadline:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            sel.unregister(s)
            waiting -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                conns.append(Conn(s))
            else:
                failed += 1
                s.close()
    for key in list(sel.get_map().values()):
        failed += 1
        key.fileobj.close()
    sel.close()
    return conns, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--binary")
    args = parser.parse_args()

    limit = common.raise_nofile(20_000)
    if limit < args.connections + 100:
        sys.exit(f"RLIMIT_NOFILE is {limit}; need {args.connections + 100}")
    start = time.time()
    deadline = start + 100
    server = common.Server(args.binary)
    ok = True
    try:
        time.sleep(0.5)
        rss_idle = server.rss_kib()
        memory_idle = server.memory_kib()
        conns, connect_failed, first_ok = [], 0, 0
        while len(conns) + connect_failed < args.connections and time.time() < deadline:
            n = min(args.batch, args.connections - len(conns) - connect_failed)
            batch, failed = connect_batch(server.port, n, deadline)
            connect_failed += failed
            first_ok += request_round(batch, deadline)
            conns += batch
        t_open = time.time() - start
        rss_held = server.rss_kib()
        fds_held = server.open_fds()
        second_ok = request_round(conns, deadline)
        t_round = time.time() - start - t_open
        rss_after_round = server.rss_kib()
        memory_held = server.memory_kib()
        open_after = sum(1 for c in conns if c.status == 200)
        for c in conns:
            c.sock.close()
        time.sleep(3)  # the server notices the closes (and any lingering closes end)
        rss_closed = server.rss_kib()
        fds_closed = server.open_fds()
        fresh = common.http_get(server.port)
        per_conn = (rss_after_round - rss_idle) / max(len(conns), 1)
        print(f"connections requested:        {args.connections}")
        print(f"connections opened:           {len(conns)} (failed: {connect_failed}) in {t_open:.1f} s")
        print(f"round 1 (one per new conn):   {first_ok} x 200")
        print(f"round 2 (all at once):        {second_ok} x 200 in {t_round:.1f} s")
        print(f"server fds while held:        {fds_held}")
        print(f"server VmRSS idle:            {rss_idle} KiB")
        print(f"server VmRSS holding:         {rss_held} KiB (after round 1)")
        print(f"server VmRSS after round 2:   {rss_after_round} KiB")
        print(f"per connection:               {per_conn:.1f} KiB")
        print(f"RSS / PSS / USS idle:         {' / '.join(map(str, memory_idle))} KiB")
        print(f"RSS / PSS / USS holding:      {' / '.join(map(str, memory_held))} KiB (after round 2)")
        print(f"server VmRSS after close:     {rss_closed} KiB (fds {fds_closed})")
        print(f"fresh request after close:    {fresh}")
        ok = (len(conns) == args.connections and first_ok == args.connections
              and second_ok == args.connections and fresh == 200 and server.alive())
    finally:
        common.finish(server, ok)


if __name__ == "__main__":
    main()
