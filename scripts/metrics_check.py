"""Runs `eventide-example bench --metrics`, lints its GET /metrics with promtool and has a
real Prometheus scrape it (see scripts/metrics-check.sh). Exits non-zero on any failure."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, method="GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until(check, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    sys.exit(f"metrics-check: FAILED: {what} within {timeout} s")


def reachable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def main():
    example = sys.argv[1]
    app_port, metrics_port, prometheus_port = free_port(), free_port(), free_port()
    work = tempfile.mkdtemp(prefix="eventide-metrics-")
    app = subprocess.Popen(
        [example, "bench", "--port", str(app_port), "--metrics", "--metrics-port", str(metrics_port),
         "--workdir", work, "--task-store", os.path.join(work, "tasks.db"), "--log-level", "warning"])
    prometheus = None
    try:
        wait_until(lambda: reachable(app_port) and reachable(metrics_port), 20, "the example listening")
        base = f"http://127.0.0.1:{app_port}"
        for _ in range(20):
            assert get(base + "/plaintext")[0] == 200
        for index in range(5):
            assert get(base + f"/send-notification/user{index}@example.com", "POST")[0] == 200
            assert get(base + f"/durable-notification/user{index}@example.com", "POST")[0] == 200
        assert get(base + "/no-such-route")[0] == 404
        time.sleep(1.5)  # a loop-lag sample and the durable tasks' runs

        status, text = get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200, status
        for name in ["eventide_http_requests_total", "eventide_http_request_duration_seconds_bucket",
                     "eventide_http_connections_open", "eventide_loop_lag_seconds", "eventide_background_tasks_total",
                     "eventide_background_task_wait_seconds_bucket", "eventide_durable_tasks_enqueued_total",
                     "eventide_durable_tasks_finished_total"]:
            if name not in text:
                sys.exit(f"metrics-check: FAILED: {name} missing from GET /metrics")
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, text=True, capture_output=True)
        print(f"promtool check metrics: exit {lint.returncode} {lint.stdout.strip()} {lint.stderr.strip()}")
        if lint.returncode != 0:
            sys.exit("metrics-check: FAILED: promtool check metrics")

        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as file:
            file.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: eventide\n"
                       f"    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n")
        prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prometheus_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        query = 'sum(eventide_http_requests_total{route="/plaintext",status_class="2xx"})'

        def scraped():
            try:
                _, body = get(f"http://127.0.0.1:{prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": query}))
                result = json.loads(body)["data"]["result"]
                return bool(result) and float(result[0]["value"][1]) == 20
            except (OSError, ValueError, KeyError):
                return False

        wait_until(scraped, 60, "Prometheus scraping 20 GET /plaintext")
        _, body = get(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")
        health = [target["health"] for target in json.loads(body)["data"]["activeTargets"]]
        if health != ["up"]:
            sys.exit(f"metrics-check: FAILED: target health {health}")
        print(f"metrics-check: OK (Prometheus scraped {query} = 20, target up)")
    finally:
        for process in [prometheus, app]:
            if process is not None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    main()
