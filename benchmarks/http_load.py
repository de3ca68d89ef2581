"""HTTP load on a real server: what bench_services_submit.py and bench_open311.py share.

A scratch platform set up by the real `bohai setup --no-demo`, gunicorn (gthread workers: runserver is
one threaded process) started on a free port and stopped with its workers, the CPU time the server (and
PostgreSQL's backends for the bench database) used, and the load: client threads, each on its own
keep-alive connection, send requests prepared before timing as fast as they are answered; the answers
that arrive within the window after the warm-up count.
"""
import http.client
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import harness

BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bohai_setup(environment: dict, engine: str) -> None:
    """`bohai setup --no-demo --no-static` in `environment` (its database, its BOHAI_* directories)."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "bohai"), "setup", "--no-demo", "--no-static"], env=environment, check=True,
                   cwd=harness.REPO_ROOT, stdout=subprocess.DEVNULL)
    log(f"[{engine}] bohai setup --no-demo: {time.perf_counter() - started:.1f} s")


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


# The server -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(environment: dict, workers: int, threads: int, ready_path: str, wait_seconds: int = 60,
                 pause: float = 0.3) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free port, in a session of its own; returned once GET `ready_path` answers 200 (trying
    every `pause` seconds for at most `wait_seconds`)."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "bohai.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
               "--keep-alive", "30", "--backlog", "256", "--timeout", "60", "--log-level", "warning"]
    server = subprocess.Popen(command, env=environment, cwd=harness.REPO_ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                connection.close()
                return server, port
        except OSError:
            pass
        time.sleep(pause)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer within {wait_seconds} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def server_cpu_seconds(master: int, database: str | None) -> dict:
    """CPU seconds used so far by gunicorn (master and workers) and, on PostgreSQL, by the backends serving
    the bench database: the cost of the requests, which a machine busy with other work does not inflate."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "database": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(entry) == master or int(fields[1]) == master:
            used["server"] += seconds
        elif database and command.startswith("postgres:") and f" {database} " in command:
            used["database"] += seconds
    return used


# The load ---------------------------------------------------------------------------------------

CLIENT_ARRIVAL_SECONDS = 0.01


def run_load(port: int, url_path: str, requests: list, clients: int, warmup: float, seconds: float, *,
             by_client: bool = False, cpu_probe=None, per: str = "request") -> dict:
    """`clients` threads on keep-alive connections POST the prepared requests ((headers, body, …) each) to
    `url_path` as fast as answered: in turn from one counter, or with `by_client` client c sends the
    requests numbered c, c + clients, … (its own key, say). The answers arriving within the window after
    the warm-up count (201 is success). With `cpu_probe` (a callable giving {part: CPU seconds so far})
    the CPU time within the window is divided among the created ones (`{part}_cpu_ms_per_{per}`, with
    the cores busy and the load average in the window)."""
    counter = itertools.count()
    stop = threading.Event()
    outcomes: list[list[tuple[float, float, int]]] = [[] for _ in range(clients)]
    failures: list[str] = []

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = outcomes[slot]
        numbers = itertools.count(slot, clients) if by_client else counter
        while not stop.is_set():
            i = next(numbers)
            if i >= len(requests):
                break
            headers, body = requests[i][:2]
            began = time.perf_counter()
            try:
                connection.request("POST", url_path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                content, status = str(error).encode(), 0
            ended = time.perf_counter()
            mine.append((ended, ended - began, status))
            if status != 201 and len(failures) < 5:
                failures.append(f"{status}: {content[:300].decode(errors='replace')}")
        connection.close()

    threads = [threading.Thread(target=client, args=(slot,), daemon=True) for slot in range(clients)]
    for thread in threads:
        # Clients arrive over a moment, as they do, not in one instant: 50 connections opened at once
        # were sometimes all accepted by one gunicorn worker, and the other worker stood idle all run.
        thread.start()
        time.sleep(CLIENT_ARRIVAL_SECONDS)
    stop.wait(warmup)
    window_start = time.perf_counter()
    cpu_before = cpu_probe() if cpu_probe else None
    client_cpu_before = time.process_time()
    stop.wait(seconds)
    window_end = time.perf_counter()
    cpu_after = cpu_probe() if cpu_probe else None
    client_cpu = time.process_time() - client_cpu_before
    load = os.getloadavg()
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    everything = [o for mine in outcomes for o in mine]
    inside = [o for o in everything if window_start <= o[0] <= window_end]
    ok = sorted(latency for _ended, latency, status in inside if status == 201)
    window = window_end - window_start
    statuses: dict[str, int] = {}
    for _ended, _latency, status in inside:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    if failures:
        log("first failures:\n  " + "\n  ".join(failures))
    cpu = {}
    if cpu_probe:
        if cpu_before is not None and ok:
            cpu = {f"{part}_cpu_ms_per_{per}": round((cpu_after[part] - cpu_before[part]) * 1000 / len(ok), 2)
                   for part in cpu_before}
            cpu["cores_busy"] = round(sum(cpu_after[p] - cpu_before[p] for p in cpu_before) / window, 2)
            cpu[f"client_cpu_ms_per_{per}"] = round(client_cpu * 1000 / len(ok), 2)
        cpu["load_average_in_window"] = [round(x, 2) for x in load]
    return {
        **cpu,
        "window_seconds": round(window, 3), "sent_total": len(everything), "answered_in_window": len(inside),
        "created_in_window": len(ok), "statuses": statuses,
        "per_second": round(len(ok) / window, 2) if window > 0 else 0.0,
        "p50_ms": round(harness.percentile(ok, 0.50) * 1000, 2), "p95_ms": round(harness.percentile(ok, 0.95) * 1000, 2),
        "p99_ms": round(harness.percentile(ok, 0.99) * 1000, 2), "max_ms": round(ok[-1] * 1000, 2) if ok else None,
        "mean_ms": round(sum(ok) / len(ok) * 1000, 2) if ok else None,
        "first_failures": failures,
    }


# Reporting ---------------------------------------------------------------------------------------

def report_cpu_and_figures(result: dict, engine: str, per: str, goal_per_second: float, goal_p95_ms: float) -> list:
    """Print the server's CPU per request and the single-request profile; the figures every load benchmark
    reports (rate, p95 and p50 against the goals, CPU per request, the ceiling 2 free cores would allow).
    `per` names a request as the result's keys do ("report": server_cpu_ms_per_report …)."""
    import harness

    plural = f"{per}s"
    if f"server_cpu_ms_per_{per}" in result:
        server, database = result[f"server_cpu_ms_per_{per}"], result.get(f"database_cpu_ms_per_{per}", 0)
        print(f"[{engine}] CPU per {per} in the window: server {server:.1f} ms, database {database:.1f} ms "
              f"({result['cores_busy']:.2f} cores busy; load average {result['load_average_in_window']}): "
              f"2 free cores would allow at most {2000 / (server + database):,.0f} {plural}/s; the load generator "
              f"itself {result.get(f'client_cpu_ms_per_{per}', 0):.1f} ms")
    if "profile" in result:
        profile = result["profile"]
        print(f"[{engine}] one {per} alone: {profile['ms_per_request']:.1f} ms ({profile['cpu_ms_per_request']:.1f} ms "
              f"CPU), {profile['sql_per_request']:.0f} SQL statements")
    rate, p95 = result["per_second"], result["p95_ms"]
    figures = [
        harness.figure(f"{plural}/s, {result['clients']} clients, {engine}", rate, "/s", f">= {goal_per_second}",
                       rate / goal_per_second, rate >= goal_per_second),
        harness.figure(f"p95 latency, {engine}", p95, "ms", f"< {goal_p95_ms} ms", goal_p95_ms / p95, p95 < goal_p95_ms),
        harness.figure(f"p50 latency, {engine}", result["p50_ms"], "ms"),
    ]
    if f"server_cpu_ms_per_{per}" in result:
        cpu = result[f"server_cpu_ms_per_{per}"] + result.get(f"database_cpu_ms_per_{per}", 0)
        figures += [
            harness.figure(f"CPU per {per} (server + database), {engine}", cpu, "ms"),
            harness.figure(f"ceiling on 2 free cores (2000 ÷ CPU ms), {engine}", 2000 / cpu, "/s",
                           f">= {goal_per_second}", 2000 / cpu / goal_per_second, 2000 / cpu >= goal_per_second),
        ]
    if "profile" in result:
        figures.append(harness.figure(f"one {per} in one thread, CPU, {engine}", result["profile"]["cpu_ms_per_request"],
                                      "ms"))
    return figures
