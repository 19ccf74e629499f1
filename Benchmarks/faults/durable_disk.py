#!/usr/bin/env python3
"""The task store's filesystem fills up, then is made read-only: the server answers 503 with
Retry-After, logs it, never loses a task it answered 2xx for, and serves again once the
cause is gone. Needs root (it mounts a small filesystem).

    sudo python3 Benchmarks/faults/durable_disk.py [--fs ext4|tmpfs] [--size-mib 8] [--binary PATH]

The store (`--task-store MNT/tasks.db`, synchronous=FULL, 100 local workers) lives on a
small filesystem the script mounts itself (default: a 32 MiB ext4 image on a loop device,
`mkfs.ext4 -m 0`, which has a real fsync; `--fs tmpfs`: a tmpfs of that size). It must be
larger than what the store itself grows to during the test (about 4 MiB at 8,000 tasks/s:
completed rows are kept 24 h, and the WAL reaches 4 MiB between checkpoints): smaller,
and the store fills it with its own rows, which no deleted filler frees. The work
directory (log.txt, the server's stderr) stays on /tmp: the tasks themselves never write
to the full filesystem, so what is measured is the store. Everything is unmounted and
removed in `finally`.

Load: 16 keep-alive connections POSTing `/durable-notification/<unique email>` (a Python
client recording which email got which answer), reopened when closed.
  (a) disk full: 2 s of load, then a filler file takes every free block; the load goes on
      until the first 503 (bounded) plus 3 s; the filler is deleted and the load goes on
      until the first 2xx after that (bounded) plus 3 s.
  (b) read-only: `mount -o remount,ro` under the running server. Linux refuses it while a
      file on the filesystem is open for writing (EBUSY), which the server's store always
      is, so the script reports that and then does what an operator can, twice: stop the
      server (SIGTERM; then SIGKILL, which leaves the WAL behind), remount read-only, start
      the server on the read-only store: it must refuse to start or answer 503; if it
      serves, remount read-write under it: it must answer 2xx again within 10 s. Then a
      fresh server on the writable store must answer 2xx.
  (c) stalled disk (ext4 only): `fsfreeze -f` for 3 s under the load: no durable answer
      while frozen, but GET /plaintext (fresh connections, every 50 ms) must keep
      answering 200 within 1 s (the store's writer waits, not the loops); after
      `fsfreeze -u` durable 2xx come again.
At the end: wait until no task is pending, restart once more if some stay `running` (a
result that could not be stored while the disk was full is left `running`; the next start
makes it available again) and check log.txt.

Pass when: the server never crashed; 503s came while the disk was full, every 503 had
Retry-After, the server logged the failed commits; 2xx came again after the filler was
deleted; (b) and (c) as above; every email answered 2xx is in log.txt at the end.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import common
import durable


def run(*command, check=True):
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {result.returncode} {result.stderr.strip()}")
    return result


class SmallFilesystem:
    def __init__(self, kind, size_mib):
        self.kind = kind
        self.base = tempfile.mkdtemp(prefix="eventide-disk-")
        self.mountpoint = os.path.join(self.base, "mnt")
        os.mkdir(self.mountpoint)
        self.mounted = False
        self.frozen = False
        if kind == "tmpfs":
            run("mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", self.mountpoint)
        else:
            image = os.path.join(self.base, "disk.img")
            with open(image, "wb") as f:
                f.truncate(size_mib * 1024 * 1024)
            run("mkfs.ext4", "-q", "-F", "-m", "0", image)
            run("mount", "-o", "loop", image, self.mountpoint)
        self.mounted = True

    def free_kib(self):
        st = os.statvfs(self.mountpoint)
        return st.f_bavail * st.f_frsize // 1024

    def fill(self, path):
        """Writes `path` until the filesystem refuses (ENOSPC); returns the bytes written."""
        written = 0
        with open(path, "wb", buffering=0) as f:
            for chunk in (1 << 16, 4096, 512, 1):
                block = b"\0" * chunk
                while True:
                    try:
                        n = f.write(block)
                        written += n
                        if n < chunk:
                            break
                    except OSError:
                        break
            try:
                os.fsync(f.fileno())
            except OSError:
                pass
        return written

    def remount(self, mode):
        return run("mount", "-o", f"remount,{mode}", self.mountpoint, check=False)

    def cleanup(self):
        if self.frozen:
            run("fsfreeze", "-u", self.mountpoint, check=False)
        if self.mounted:
            self.remount("rw")
            result = run("umount", self.mountpoint, check=False)
            if result.returncode != 0:
                run("umount", "-l", self.mountpoint, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def wait_for(predicate, timeout, interval=0.02):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def snapshot(load):
    c = load.counts()
    return {"2xx": sum(n for s, n in c.items() if 200 <= s < 300), "503": c.get(503, 0),
            "other": sum(n for s, n in c.items() if not (200 <= s < 300 or s == 503))}


def delta(after, before):
    return {k: after[k] - before[k] for k in after}


def start_raw(binary, port, workdir, store, stderr_name):
    """Starts the server without common.Server's exit on failure: (process, listening?)."""
    stderr = open(os.path.join(workdir, stderr_name), "wb")
    process = subprocess.Popen([binary, "bench", "--host", "127.0.0.1", "--port", str(port), "--workdir", workdir,
                                "--log-level", "warning", "--task-store", store], stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + 10
    while time.time() < deadline:
        if process.poll() is not None:
            stderr.close()
            return process, False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            stderr.close()
            return process, True
        except OSError:
            time.sleep(0.05)
    stderr.close()
    return process, False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fs", choices=["ext4", "tmpfs"], default="ext4")
    parser.add_argument("--size-mib", type=int, default=32)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--binary")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root: it mounts a small filesystem")
    binary = common.binary_path(args.binary)

    fs = SmallFilesystem(args.fs, args.size_mib)
    server = None
    load = None
    ok = True
    try:
        store = os.path.join(fs.mountpoint, "tasks.db")
        extra = ["--task-store", store]
        server = common.Server(binary, extra=extra)
        workdir = server.workdir
        print(f"store {store} on {args.fs} {args.size_mib} MiB ({fs.free_kib()} KiB free), workdir {workdir}")
        answered_2xx = set()

        # (a) disk full
        load = durable.Load(server.port, "a", connections=args.connections)
        load.start()
        time.sleep(2)
        before = snapshot(load)
        filler = os.path.join(fs.mountpoint, "filler")
        filled = fs.fill(filler)
        full_at = time.monotonic()
        print(f"(a) before the filler: {before}; filler {filled // 1024} KiB, {fs.free_kib()} KiB left")
        first_503 = wait_for(lambda: load.counts().get(503, 0) > before["503"], 20)
        time.sleep(3)
        full = snapshot(load)
        alive_full = server.alive()
        os.unlink(filler)
        freed_at = time.monotonic()
        at_free = snapshot(load)
        first_2xx = wait_for(lambda: snapshot(load)["2xx"] > at_free["2xx"], 20)
        time.sleep(3)
        after = snapshot(load)
        load.stop()
        load.join()
        answered_2xx |= load.emails_with(lambda s: 200 <= s < 300)
        retry_after_503 = load.retry_after.get(503, 0)
        stderr_text = open(server.stderr_path, errors="replace").read()
        not_committed_lines = stderr_text.count("durable tasks not committed")
        print(f"(a) disk full for {freed_at - full_at:.1f} s: first 503 "
              + (f"{first_503:.2f} s after the filler" if first_503 is not None else "NEVER (20 s)")
              + f"; while full: {delta(full, before)} (503s with Retry-After: {retry_after_503} of "
              f"{load.counts().get(503, 0)}); server alive: {alive_full}")
        print(f"(a) filler deleted: first 2xx "
              + (f"{first_2xx:.2f} s after" if first_2xx is not None else "NEVER (20 s)")
              + f"; then: {delta(after, at_free)}; connections broken {load.broken}, no answer {len(load.unanswered)}")
        print(f"(a) server log: {not_committed_lines} 'durable tasks not committed: answering 503' lines (rate-limited); "
              f"other error lines: {sum(1 for l in stderr_text.splitlines() if 'error' in l and 'not committed' not in l)}")
        for line in [l for l in stderr_text.splitlines() if "error" in l][:6]:
            print(f"    {line[:260]}")
        ok = ok and first_503 is not None and alive_full and first_2xx is not None and server.alive()
        ok = ok and retry_after_503 == load.counts().get(503, 0) and not_committed_lines > 0 and after["other"] == 0

        drained = durable.wait_drained(store, timeout=15)
        states = durable.state_counts(store)
        result_failures = stderr_text.count("storing a result failed")
        print(f"(a) store after: {states}; " + (f"drained in {drained:.2f} s" if drained is not None
                                                 else "still pending after 15 s")
              + f"; results that could not be stored while full (left running until the next start): {result_failures}")

        # (b) read-only
        result = fs.remount("ro")
        print(f"(b) mount -o remount,ro under the running server: exit {result.returncode} {result.stderr.strip().splitlines()[0] if result.stderr.strip() else ''}")
        if result.returncode == 0:
            load = durable.Load(server.port, "b", connections=args.connections)
            load.start()
            time.sleep(3)
            ro = snapshot(load)
            fs.remount("rw")
            first_2xx_rw = wait_for(lambda: snapshot(load)["2xx"] > ro["2xx"], 20)
            time.sleep(2)
            load.stop()
            load.join()
            answered_2xx |= load.emails_with(lambda s: 200 <= s < 300)
            print(f"(b) read-only: {ro}; remounted rw: first 2xx "
                  + (f"{first_2xx_rw:.2f} s after" if first_2xx_rw is not None else "NEVER"))
            ok = ok and first_2xx_rw is not None and server.alive()
        else:
            # What an operator can do: stop the server (cleanly, or as a crash leaves it),
            # make the filesystem read-only, start the server on it; make it writable again.
            for how in ("SIGTERM", "SIGKILL"):
                if how == "SIGKILL":
                    server.process.kill()
                    server.process.wait()
                    status = server.process.returncode
                else:
                    status = server.stop()
                server.stderr.close()
                result = fs.remount("ro")
                files = sorted(f for f in os.listdir(fs.mountpoint) if f.startswith("tasks.db"))
                print(f"(b/{how}) server stopped with {how} (exit {status}); remount,ro: exit {result.returncode}; "
                      f"store files: {files}")
                port = common.free_port()
                name = f"server.ro-{how}.stderr"
                process, listening = start_raw(binary, port, workdir, store, name)
                if listening:
                    code, headers, _ = durable.post(port, f"/durable-notification/ro-{how}@example.com")
                    print(f"(b/{how}) server on the read-only store: listening; POST answered {code}, "
                          f"Retry-After {headers.get('retry-after')}")
                    fs.remount("rw")
                    tries = []

                    def resumed():
                        email = f"ro-{how}-after-rw-{len(tries)}@example.com"
                        code_rw, _, _ = durable.post(port, f"/durable-notification/{email}")
                        tries.append(code_rw)
                        if code_rw == 200:
                            answered_2xx.add(email)
                        return code_rw == 200
                    took = wait_for(resumed, 10, interval=0.2)
                    print(f"(b/{how}) remounted rw under that server: "
                          + (f"2xx again after {took:.2f} s" if took is not None else
                             f"NOT resumed in 10 s ({len(tries)} POSTs: {sorted(set(tries), key=str)})"))
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
                    ok = ok and code == 503 and headers.get("retry-after") is not None and took is not None
                else:
                    ro_text = open(os.path.join(workdir, name), errors="replace").read().strip()
                    print(f"(b/{how}) server on the read-only store: exit status {process.returncode} before listening; "
                          f"stderr: {ro_text[-300:]!r}")
                    fs.remount("rw")
                for line in open(os.path.join(workdir, name), errors="replace").read().splitlines()[:3]:
                    print(f"    {line[:260]}")
                server = common.Server(binary, extra=extra, workdir=workdir, stderr_name=f"server.rw-{how}.stderr")
                email = f"rw-{how}@example.com"
                code, _, _ = durable.post(server.port, f"/durable-notification/{email}")
                print(f"(b/{how}) remount,rw and a fresh server on the writable store: POST answered {code}")
                if code == 200:
                    answered_2xx.add(email)
                ok = ok and code == 200

        # (c) a stalled disk (ext4; tmpfs cannot be frozen): fsfreeze blocks every write
        # and fsync; the store's writer waits, the loops must go on serving.
        if args.fs == "ext4":
            load = durable.Load(server.port, "c", connections=args.connections)
            load.start()
            time.sleep(1)
            run("fsfreeze", "-f", fs.mountpoint)
            fs.frozen = True
            frozen_at = time.monotonic()
            time.sleep(0.1)  # answers of commits that beat the freeze
            before = snapshot(load)
            plain = []
            while time.monotonic() - frozen_at < 3.1:
                t0 = time.monotonic()
                code = common.http_get(server.port, "/plaintext", timeout=2)
                plain.append((code, time.monotonic() - t0))
                time.sleep(0.05)
            during = snapshot(load)
            run("fsfreeze", "-u", fs.mountpoint)
            fs.frozen = False
            first_2xx_thaw = wait_for(lambda: snapshot(load)["2xx"] > during["2xx"], 20)
            time.sleep(1)
            load.stop()
            load.join()
            answered_2xx |= load.emails_with(lambda s: 200 <= s < 300)
            plain_ok = sum(1 for code, _ in plain if code == 200)
            slowest = max(t for _, t in plain) * 1000
            print(f"(c) store frozen 3 s (fsfreeze) under load: durable answers while frozen {delta(during, before)}; "
                  f"GET /plaintext meanwhile: {plain_ok} of {len(plain)} answered 200, slowest {slowest:.1f} ms; "
                  f"thawed: first 2xx " + (f"{first_2xx_thaw:.3f} s after" if first_2xx_thaw is not None else "NEVER (20 s)")
                  + f", {load.counts()}")
            ok = ok and plain_ok == len(plain) and slowest < 1000 and first_2xx_thaw is not None and server.alive()

        # The end: everything answered 2xx ran.
        drained = durable.wait_drained(store, timeout=15)
        restarted = False
        if drained is None:
            states = durable.state_counts(store)
            print(f"end: still pending after 15 s: {states}; restarting to rescue rows left running")
            server.stop()
            server.stderr.close()
            server = common.Server(binary, extra=extra, workdir=workdir, stderr_name="server.end.stderr")
            restarted = True
            drained = durable.wait_drained(store, timeout=30)
        logged, bad = durable.logged_emails(os.path.join(workdir, "log.txt"))
        missing = answered_2xx - set(logged)
        duplicates = sum(n - 1 for n in logged.values())
        states = durable.state_counts(store)
        print(f"end: {len(answered_2xx)} emails answered 2xx, {len(missing)} missing from log.txt, {duplicates} duplicate "
              f"lines, store {states}" + (" (after a restart)" if restarted else "")
              + (f", drained" if drained is not None else ", NOT drained"))
        if missing:
            print(f"  MISSING, first 10: {sorted(missing)[:10]}")
        ok = ok and not missing and drained is not None and not bad
    finally:
        if load is not None:
            load.stop()
        if server is not None:
            status = server.stop()
            print(f"server exit status after SIGTERM: {status}")
            if not ok:
                print(f"server log tail ({server.workdir} kept):\n" + server.log_tail())
        fs.cleanup()
    if ok and server is not None:
        server.cleanup()
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
