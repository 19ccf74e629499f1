#!/usr/bin/env python3
"""A/B of two `eventide-example` builds: the server's CPU time per request.

    python3 Benchmarks/ab_cpu.py BEFORE_BINARY AFTER_BINARY [--rounds 5] [--duration 5]

For each round and each scenario (GET /plaintext, POST /send-notification/{email}) it
starts a fresh `bench` of each binary in turn (alternating, so slow drifts of a shared
machine hit both alike), pinned to CPU 0 with taskset; `wrk -t1 -c64` runs pinned to
CPU 1, after a 2 s warm-up. CPU us/request = the server's utime+stime over the measured
seconds divided by the requests wrk completed. Prints every round and the medians, and
the after/before ratio of the medians.
"""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

WRK = Path(__file__).resolve().parent / "wrk"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCENARIOS = {
    "plaintext": ["/plaintext", None],
    "notification": ["/", str(WRK / "notify.lua")],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_listening(port: int, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server did not listen on {port}")


def wrk(port: int, path: str, script: str | None, duration: int) -> int:
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"]
    if script:
        command[4:4] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return int(re.search(r"(\d+) requests in", output).group(1))


def measure(binary: str, scenario: str, duration: int) -> float:
    path, script = SCENARIOS[scenario]
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(
            ["taskset", "-c", "0", binary, "bench", "--host", "127.0.0.1", "--port", str(port), "--workdir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port)
            wrk(port, path, script, 2)  # warm-up
            before = cpu_seconds(server.pid)
            requests = wrk(port, path, script, duration)
            used = cpu_seconds(server.pid) - before
            return used / requests * 1e6
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    arguments = parser.parse_args()
    results = {(name, scenario): [] for name in ("before", "after") for scenario in SCENARIOS}
    for round_number in range(1, arguments.rounds + 1):
        for scenario in SCENARIOS:
            for name in ("before", "after") if round_number % 2 else ("after", "before"):
                value = measure(getattr(arguments, name), scenario, arguments.duration)
                results[(name, scenario)].append(value)
                print(f"round {round_number} {scenario:12} {name:6} {value:6.2f} us/request", flush=True)
    print()
    for scenario in SCENARIOS:
        before = statistics.median(results[("before", scenario)])
        after = statistics.median(results[("after", scenario)])
        print(f"{scenario:12} before {before:6.2f}  after {after:6.2f} us/request (medians of {arguments.rounds}): "
              f"after/before {after / before:.3f}")


if __name__ == "__main__":
    main()
