#!/usr/bin/env python3
"""Several hosts in network namespaces: cut one app host off PostgreSQL for longer than the
heartbeat timeout under load; its tasks are rescued on the other host, and when it comes
back it does not complete tasks it no longer owns (issue 16, "Fault tests"). Root only.

    sudo python3 Benchmarks/faults/pg_netns.py [--cut-seconds 25] [--cut-coordinator]

Network (made here, removed at exit; nothing leaves the machine): namespaces NAME-pg,
NAME-app1, NAME-app2, NAME-load and NAME-sw, each of the first four joined to a bridge in
NAME-sw by a veth pair, addresses 10.213.7.1 (PostgreSQL), .11 and .12 (app hosts), .100
(load generator) on 10.213.7.0/24. PostgreSQL (Benchmarks/pgcluster.py, fsync=on) listens
on 10.213.7.1 inside NAME-pg; each app host runs one web process (`eventide-example bench
--task-store postgres://...@10.213.7.1/... --local-workers 0`, listening on its address)
and one worker (`eventide-example worker --queues default:8`); the load generator
(durable.Load, from NAME-load) POSTs `/durable-notification/<unique email>` to both web
processes. An audit trigger on eventide_tasks records every state change with the client
address of the session that made it.

After `--before` seconds of load one app host's bridge port is detached (`ip link set
PORT nomaster`: its packets are silently dropped, its interface stays up) for
`--cut-seconds` (> the 15 s heartbeat timeout), then attached again, and the load goes on for
`--after` seconds. By default the cut host is the one whose processes do not hold the
coordinator's lease; `--cut-coordinator` cuts the coordinator's host instead.
The example's notification task takes microseconds, so few tasks are `running` at any
instant; to have some at the cut, the cut host's worker's log.txt is a FIFO that nobody
reads until the link is back (`--no-hold`: a plain file): its 8 claimed tasks block in
open() from the start of the load, standing in for slow tasks. Pending tasks are sampled
every second; if the fleet does not drain, sessions, locks and tables are saved under
WORKDIR/diagnosis.

Pass when: every email answered 2xx is in some log.txt; the tasks running for the cut
host's worker at the cut were claimed again by the other host's worker while the link was
down; an email logged twice was one of those; no completion by a run that was not the
task's last claim, nor from another address than its claimer's (audit); the returning
worker logged refused results (when it held any) and that it had been declared dead; both
web processes answer 2xx after the link is back; every task `completed` in the end.
Exit 0 PASS, 1 FAIL, 77 skipped (not root, or `ip netns` unavailable).
"""
import argparse
import atexit
import os
import socket
import subprocess
import sys
import threading
import time

import common
import pgfleet

SUBNET = "10.213.7"
HOSTS = {"pg": f"{SUBNET}.1", "app1": f"{SUBNET}.11", "app2": f"{SUBNET}.12", "load": f"{SUBNET}.100"}


class Network:
    """The namespaces, veth pairs and bridge; `cut(host)` / `join(host)` detach and attach a
    host's bridge port. `remove()` (also at exit) deletes the namespaces and so every link."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.made = []
        atexit.register(self.remove)
        self.switch = self.ns("sw")
        self.add_ns(self.switch)
        self.ip(self.switch, "link", "add", "br0", "type", "bridge")
        self.ip(self.switch, "link", "set", "br0", "up")
        for host, address in HOSTS.items():
            namespace = self.ns(host)
            self.add_ns(namespace)
            self.ip(None, "link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", f"p-{host}",
                    "netns", self.switch)
            self.ip(namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            self.ip(namespace, "link", "set", "eth0", "up")
            self.ip(namespace, "link", "set", "lo", "up")
            self.ip(self.switch, "link", "set", f"p-{host}", "master", "br0", "up")

    def ns(self, host):
        return f"{self.prefix}-{host}"

    def add_ns(self, name):
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        self.made.append(name)

    @staticmethod
    def ip(namespace, *args):
        command = ["ip", *(["-n", namespace] if namespace else []), *args]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")

    def cut(self, host):
        self.ip(self.switch, "link", "set", f"p-{host}", "nomaster")

    def join(self, host):
        self.ip(self.switch, "link", "set", f"p-{host}", "master", "br0")

    def reachable(self, source, target, port):
        """Whether a TCP connection from host `source` to `target`:`port` opens (within 2 s)."""
        result = []

        def attempt():
            pgfleet.enter_netns(self.ns(source))  # this thread only
            try:
                socket.create_connection((HOSTS[target], port), timeout=2).close()
                result.append(True)
            except OSError:
                pass
        thread = threading.Thread(target=attempt)
        thread.start()
        thread.join()
        return bool(result)

    def remove(self):
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.made = []


class Hold:
    """A worker's log.txt made a FIFO that nobody reads: each task it runs blocks in open()
    (the example has no slow durable task; this stands in for one), so the worker holds its
    claimed tasks `running`. `release()` starts a reader that copies every line into
    WORKDIR/held/log.txt (the directory to count lines in); `stop()` ends it."""

    def __init__(self, workdir):
        self.fifo = os.path.join(workdir, "log.txt")
        os.mkfifo(self.fifo)
        self.directory = os.path.join(workdir, "held")
        os.makedirs(self.directory)
        self.stopping = threading.Event()
        self.thread = None

    def release(self):
        self.thread = threading.Thread(target=self.copy, daemon=True)
        self.thread.start()

    def copy(self):
        # Non-blocking: the open returns at once, and a read with no writer left is EOF (0 bytes),
        # after which the next writer's bytes are read again on the same descriptor.
        fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        with open(os.path.join(self.directory, "log.txt"), "ab") as out:
            while True:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    data = b""
                if data:
                    out.write(data)
                    out.flush()
                elif self.stopping.is_set():
                    break
                else:
                    time.sleep(0.01)
        os.close(fd)

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join()


def netns_available():
    if os.geteuid() != 0:
        return "not root"
    probe = f"evf-probe-{os.getpid()}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return f"`ip netns add` failed: {done.stderr.strip() or done.returncode}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=float, default=10.0, help="seconds of load before the cut")
    parser.add_argument("--cut-seconds", type=float, default=25.0, help="seconds the host stays cut off")
    parser.add_argument("--after", type=float, default=45.0,
                        help="seconds of load after the link is back (TCP retransmissions back off: the cut host may need ~30 s)")
    parser.add_argument("--cut-coordinator", action="store_true", help="cut the host of the coordinator")
    parser.add_argument("--no-hold", action="store_true",
                        help="let the cut host's worker run tasks normally (by default its log.txt is a FIFO read only "
                             "after the link is back, so it holds its tasks running through the cut)")
    parser.add_argument("--connections", type=int, default=2,
                        help="connections per web process (more: a backlog builds up behind which rescued tasks wait)")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--binary")
    args = parser.parse_args()
    reason = netns_available()
    if reason:
        print(f"SKIPPED: pg_netns.py needs root and `ip netns` ({reason})")
        sys.exit(77)
    binary = common.binary_path(args.binary)

    base = pgfleet.base_dir("eventide-pgnetns-")
    net = Network(f"evf{os.getpid()}")
    try:
        run(args, binary, base, net)
    finally:
        net.remove()


def run(args, binary, base, net):
    cluster = pgfleet.Cluster(max_connections=100, host=HOSTS["pg"], netns=net.ns("pg"))
    store = pgfleet.Store(cluster)
    print(f"{cluster.version}, fsync={cluster.settings_in_force('fsync')['fsync']}, listening on "
          f"{HOSTS['pg']}:{cluster.port} in {net.ns('pg')}; work directories in {base}")
    for host in ("app1", "app2", "load"):
        if not net.reachable(host, "pg", cluster.port):
            raise RuntimeError(f"{host} cannot reach {HOSTS['pg']}")
    hosts = {}
    for host in ("app1", "app2"):
        web = pgfleet.start_web(binary, f"{host}-web", store.url, f"{base}/{host}-web", host=HOSTS[host],
                                netns=net.ns(host), log_level="info")
        if host == "app1":
            store.install_audit()
        worker = pgfleet.start_worker(binary, f"{host}-worker", store.url, f"{base}/{host}-worker", netns=net.ns(host))
        hosts[host] = {"web": web, "worker": worker}
    processes = [p for h in hosts.values() for p in (h["web"], h["worker"])]
    store.wait_registered([p.pid for p in processes])
    deadline = time.monotonic() + 10
    while (coordinator := store.coordinator_pid()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    coordinator_host = next((h for h, ps in hosts.items() if coordinator in (ps["web"].pid, ps["worker"].pid)), None)
    if coordinator_host not in hosts:
        raise RuntimeError(f"no coordinator among the app hosts (lease held by pid {coordinator})")
    cut = coordinator_host if args.cut_coordinator else ("app2" if coordinator_host == "app1" else "app1")
    other = "app2" if cut == "app1" else "app1"
    print(f"coordinator: {coordinator_host} (pid {coordinator}); cutting {cut} ({HOSTS[cut]}) for {args.cut_seconds:.0f} s",
          flush=True)

    hold = None if args.no_hold else Hold(hosts[cut]["worker"].workdir)
    loads = {h: pgfleet.Load(hosts[h]["web"].port, f"{h}", connections=args.connections, host=HOSTS[h],
                             netns=net.ns("load")) for h in hosts}
    backlog = pgfleet.Backlog(store)
    backlog.start()
    start = time.monotonic()
    for load in loads.values():
        load.start()
    time.sleep(args.before)

    cut_ids = store.workers_of([hosts[cut]["worker"].pid])
    net.cut(cut)
    cut_at_wall, cut_at = time.time(), time.monotonic()
    time.sleep(0.5)
    running = store.running_of(cut_ids)
    print(f"cut at +{cut_at - start:.1f} s: {len(running)} tasks running for {cut}'s worker "
          f"({','.join(cut_ids)})", flush=True)
    time.sleep(max(0.0, cut_at + args.cut_seconds - time.monotonic()))
    claims_before_join = store.next_claims([(t, a) for t, a, _ in running])
    other_workers = set(store.workers_of([hosts[other]["worker"].pid]))
    coordinator_during = store.coordinator_pid()
    net.join(cut)
    joined_at = time.monotonic()
    if hold:
        hold.release()
    print(f"link back at +{joined_at - start:.1f} s; {len(claims_before_join)} of {len(running)} claimed again "
          f"meanwhile; coordinator lease held by pid {coordinator_during}", flush=True)
    time.sleep(args.after)
    for load in loads.values():
        load.stop()
    for load in loads.values():
        load.join()
    load_seconds = time.monotonic() - start

    drained = store.wait_idle(args.drain_timeout)
    backlog.stop()
    if drained is None:
        sessions = pgfleet.diagnose(store, f"{base}/diagnosis")
        print(f"not drained: sessions at the timeout (more in {base}/diagnosis):\n  " + "\n  ".join(sessions))
    returning = hosts[cut]["worker"]
    deadline = time.monotonic() + 60
    while not returning.count("silent past the heartbeat timeout") and time.monotonic() < deadline:
        time.sleep(0.5)
    states = store.states()
    alive = {p.name: p.alive() for p in processes}

    # Who claimed the rescued tasks again: the audit's worker and client address.
    rescued_by = {}
    if running:
        ids = ",".join(str(t) for t, _, _ in running)
        for task, worker, client in store.rows(
                "SELECT DISTINCT ON (task) task, new_worker, client FROM fault_audit WHERE new_state = 'running' "
                f"AND task IN ({ids}) AND at > to_timestamp({cut_at_wall}) ORDER BY task, at"):
            rescued_by[int(task)] = (worker, client)
    wrong_rescuer = [t for t, (w, c) in rescued_by.items() if w not in other_workers or c != HOSTS[other]]
    delays = sorted(at - cut_at_wall for at in claims_before_join.values())

    answered_2xx, statuses, unanswered = set(), {}, 0
    per_host = {}
    # The cut host's web process cannot commit while cut off: 503 (with Retry-After) is
    # its right answer once its connection is found dead (tcp_user_timeout); anything
    # else but a 2xx, or a 503 from the host that was not cut, fails the run.
    wrong_statuses = {}
    for host, load in loads.items():
        answered_2xx |= load.emails_with(lambda s: 200 <= s < 300)
        for status, n in load.counts().items():
            statuses[status] = statuses.get(status, 0) + n
            if not (200 <= status < 300 or (status == 503 and host == cut)):
                wrong_statuses[f"{host} {status}"] = n
        unanswered += len(load.unanswered)
        times = [load.answered_at[e] for e, s in load.answers.items() if 200 <= s < 300]
        during = sum(1 for at in times if cut_at <= at < joined_at)
        back = min((at for at in times if at >= joined_at), default=None)
        per_host[host] = (during, back - joined_at if back is not None else None)
    directories = [p.workdir for p in processes if not (hold and p is returning)]
    logged, bad_lines = pgfleet.logged(directories + ([hold.directory] if hold else []))
    missing = answered_2xx - set(logged)
    twice = {e for e, n in logged.items() if n > 1}
    running_emails = {e for _, _, e in running}
    unexpected_twice = twice - running_emails
    late = store.late_completions()
    not_completed = store.not_completed()
    dropped = returning.count("results dropped for tasks this worker no longer held")
    declared_dead = returning.count("silent past the heartbeat timeout")
    rescue_lines = {p.name: p.count("tasks of silent processes made available again") for p in processes}

    summary = [
        f"load: {load_seconds:.1f} s from {HOSTS['load']}, {args.connections} connections per web process: "
        f"{sum(statuses.values())} answers, statuses {dict(sorted(statuses.items()))}, {unanswered} without an answer "
        f"when the load stopped",
        ("held: the cut host's worker blocked in open() of its log.txt (a FIFO) from the start of the load "
         "until the link came back" if hold else "not held: the cut host's worker ran tasks normally"),
        f"cut {cut} for {joined_at - cut_at:.1f} s ({'the coordinator' if cut == coordinator_host else 'not the coordinator'}): "
        f"{len(running)} tasks running for its worker; claimed again by {other}'s worker before the link came back: "
        f"{len(claims_before_join)}" + (f", {delays[0]:.1f}-{delays[-1]:.1f} s after the cut" if delays else "")
        + f"; claimed again by another worker or address: {len(wrong_rescuer)}; 'made available again' log lines "
        f"{rescue_lines}",
        f"2xx during the cut: {', '.join(f'{h} {d}' for h, (d, _) in per_host.items())}; first 2xx after the link "
        "came back: " + ", ".join(f"{h} " + (f"{b:.1f} s" if b is not None else "NEVER") for h, (_, b) in per_host.items()),
        f"returning worker ({cut}): 'declared dead' lines {declared_dead}, 'results dropped' lines {dropped}",
        "drained " + (f"{drained:.1f} s after the load" if drained is not None else f"NOT within {args.drain_timeout:.0f} s")
        + f"; final states {states}; processes alive {alive}",
        f"2xx emails {len(answered_2xx)}, MISSING from log.txt {len(missing)}; log lines {sum(logged.values())} "
        f"({bad_lines} unparsable); emails run twice {len(twice)}, of which not running at the cut "
        f"{len(unexpected_twice)}; completions by a run that was not the last claim or from another address: {len(late)}",
    ]
    if missing:
        summary.append(f"  MISSING, first 10: {sorted(missing)[:10]}")
    if unexpected_twice:
        summary.append(f"  UNEXPECTED DUPLICATES, first 10: {sorted(unexpected_twice)[:10]}")
    if late:
        summary.append(f"  LATE COMPLETIONS, first 10: {late[:10]}")
    if wrong_statuses:
        summary.append(f"  WRONG STATUSES: {wrong_statuses}")
    ok = (not missing and not unexpected_twice and not late and not not_completed and not bad_lines
          and drained is not None and len(claims_before_join) == len(running) and not wrong_rescuer
          and declared_dead > 0 and (dropped > 0 or not running) and all(alive.values())
          and all(b is not None for _, b in per_host.values()) and not wrong_statuses)
    for process in processes:
        process.stop()
    if hold:
        hold.stop()
    summary.insert(1, backlog.describe(start))
    pgfleet.finish(ok, base, summary)


if __name__ == "__main__":
    sys.exit(main())
