#!/usr/bin/env python3
"""Instructions per request of `eventide-example bench` builds, counted by valgrind's callgrind.

Load-independent, unlike CPU time on a shared machine: use it beside Benchmarks/ab_cpu.py
when a before/after ratio is close to a limit.

    python3 Benchmarks/icount.py OLD_BINARY NEW_BINARY [--short 2000 --long 12000]

For each binary and route (GET /plaintext, POST /send-notification/{email}) it runs the
server twice under callgrind, serving N sequential keep-alive requests on one connection,
and prints (instructions(long) - instructions(short)) / (long - short): start-up and
shutdown cancel out. Binaries: copies with `objcopy --strip-debug` load faster under
valgrind and count the same. Needs valgrind (apt-get install valgrind).
"""
import argparse, os, re, signal, socket, subprocess, tempfile, time


def count(binary, path_for, method, requests):
    port = 20000 + (os.getpid() + requests) % 20000
    out = tempfile.mktemp(prefix="callgrind.")
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "bench",
             "--host", "127.0.0.1", "--port", str(port), "--workdir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{binary} did not start listening")
        reader = connection.makefile("rb")
        for i in range(requests):
            connection.sendall(f"{method} {path_for(i)} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".encode())
            length = 0
            while True:
                line = reader.readline()
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b""):
                    break
            reader.read(length)
        connection.close()
        time.sleep(0.5)  # the last request's background task
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    text = open(out).read()
    os.remove(out)
    return int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--short", type=int, default=2000)
    parser.add_argument("--long", type=int, default=12000)
    args = parser.parse_args()
    routes = [("plaintext", lambda i: "/plaintext", "GET"),
              ("notification", lambda i: f"/send-notification/u{i}@example.com", "POST")]
    for name, path_for, method in routes:
        for binary in args.binaries:
            short = count(binary, path_for, method, args.short)
            long = count(binary, path_for, method, args.long)
            per_request = (long - short) / (args.long - args.short)
            print(f"{name:12} {binary:40} {per_request:9.0f} instructions/request", flush=True)


if __name__ == "__main__":
    main()
