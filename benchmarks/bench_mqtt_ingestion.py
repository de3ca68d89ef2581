"""Sustained MQTT ingestion, end to end from publish to stored row: broker, worker and database on this machine.

A real mosquitto (Bohai's config) on a free port, `bohai iot_worker` as a subprocess, N devices (default 1,000)
each sending 3 metrics per message at an offered rate, from `build/bench/mqtt_publisher` (C, libmosquitto, built
by `make bench` from mqtt_publisher.c: devices are not on Bohai's machine, so their traffic should take as little
of its two cores as it can) or, where it is not built, from Python publisher processes (paho: about a core),
SQLite and PostgreSQL side by side. Figures: messages/s and points/s stored (from the first publish to the last
stored row, and in the steady middle of the run), latency from publish to stored row (probe messages), loss
(rows stored against rows sent), the worker's CPU, and the worker's RSS after every one of 100,000 registered
devices has sent a message. Goal: >= 30,000 points/s with zero loss.

Publishers publish as gateway accounts whose ACL line (added to the bench broker's own files only) allows every
device topic: 1,000 paho connections with their own threads would take the CPU the measured path needs. The
topic, payload, QoS and the worker's path are the devices' own.

    python benchmarks/bench_mqtt_ingestion.py                       # 1,000 devices, 20 s, both databases
    python benchmarks/bench_mqtt_ingestion.py --engine sqlite --seconds 10 --rss-devices 0
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

GOAL_POINTS = 30_000
C_PUBLISHER = Path(__file__).resolve().parent.parent / "build" / "bench" / "mqtt_publisher"
GATEWAYS = 8
PUBLISHER_PROCESSES = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the publishers publish")
    parser.add_argument("--rate", type=int, default=12_000, help="offered messages/s (3 points each)")
    parser.add_argument("--workers", type=int, default=1,
                        help="ingestion workers sharing the traffic (a shared subscription when more than one)")
    parser.add_argument("--rss-devices", type=int, default=100_000, help="0 skips the memory measurement")
    args = parser.parse_args()
    if os.environ.get("BENCH_MQTT_CHILD"):
        print(json.dumps(measure(args.engine, args)))
        return
    engines = harness.engines_to_run(args.engine)
    results = {}
    for engine in engines:
        child_args = ["--devices", str(args.devices), "--seconds", str(args.seconds), "--rate", str(args.rate),
                      "--rss-devices", str(args.rss_devices), "--workers", str(args.workers)]
        os.environ["BENCH_MQTT_CHILD"] = "1"
        results[engine] = harness.run_child(Path(__file__), engine, child_args)
        os.environ.pop("BENCH_MQTT_CHILD")
    report(results, args)


def report(results: dict, args) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        points = result["points_per_second"]
        summary += [
            harness.figure(f"{engine}: points/s, publish to stored", points, "/s", f">= {GOAL_POINTS:,}",
                           points / GOAL_POINTS, points >= GOAL_POINTS and result["lost_points"] == 0),
            harness.figure(f"{engine}: points/s, steady middle", result["steady_points_per_second"], "/s"),
            harness.figure(f"{engine}: messages/s", result["messages_per_second"], "/s"),
            harness.figure(f"{engine}: lost points", result["lost_points"], "", "0", None,
                           result["lost_points"] == 0),
            harness.figure(f"{engine}: latency p50", result["latency_p50_ms"], "ms"),
            harness.figure(f"{engine}: latency p95", result["latency_p95_ms"], "ms"),
            harness.figure(f"{engine}: worker CPU per 1,000 points", result["worker_cpu_ms_per_1000_points"], "ms"),
        ]
        if result.get("rss_mb") is not None:
            summary.append(harness.figure(f"{engine}: worker RSS, {result['rss_devices']:,} devices", result["rss_mb"],
                                          "MB", "< 1,024", 1024 / result["rss_mb"], result["rss_mb"] < 1024))
    print(f"\nMQTT ingestion, {args.devices:,} devices × 3 metrics, offered {args.rate:,} messages/s for "
          f"{args.seconds:g} s")
    harness.print_summary(summary)
    command = "python benchmarks/bench_mqtt_ingestion.py " + " ".join(sys.argv[1:])
    path = harness.write_results("mqtt_ingestion", command.strip(), summary, {"runs": results})
    print(f"written to {path}")


# --- one engine, in a child process ---------------------------------------------------------------------------

def measure(engine: str, args) -> dict:
    name = "mqtt_ingestion"
    if engine == "postgres":
        harness.drop_postgres_database(f"bohai_bench_{name}")
        harness.ensure_postgres_database(f"bohai_bench_{name}")
        url = harness.database_url(engine, f"bohai_bench_{name}")
    else:
        harness.remove_sqlite_database(name)
        url = harness.database_url(engine, name)
    directory = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    os.environ["BOHAI_MQTT_DIR"] = str(directory)
    harness.setup_django(url)
    from bohai.testing.mqtt import RunningBroker, free_port

    codes = register_devices(args.devices, "bench")
    broker = RunningBroker(directory, free_port())
    broker.start()
    add_gateways(broker)
    try:
        result = run_stream(engine, url, broker, codes, args)
        if args.rss_devices:
            result.update(measure_memory(url, broker, args.rss_devices))
    finally:
        broker.stop()
    return result


def register_devices(count: int, prefix: str) -> list[str]:
    from bohai.iot.models import Device, DeviceType, MetricSpec
    from bohai.kernel.organisations.models import Organisation
    from bohai.kernel.regions.models import Region

    region = Region.objects.filter(key="bench").first()
    if region is None:
        region = Region(key="bench", code=None, name="基准区", level="county", centroid_lng=116.8, centroid_lat=38.3)
        region.path = region.build_path()
        region.save()
    organisation, _ = Organisation.objects.get_or_create(
        key="bench-water", defaults={"name": "基准供水", "kind": "department", "function": "water", "region": region,
                                     "path": "/bench-water/"})
    device_type, created = DeviceType.objects.get_or_create(code="bench_sensor",
                                                            defaults={"name": "基准传感器", "category": "water"})
    if created:
        MetricSpec.objects.bulk_create(MetricSpec(device_type=device_type, code=code, name=code, position=index)
                                       for index, code in enumerate(("pressure", "flow", "turbidity")))
    codes = [f"{prefix}-{number:06d}" for number in range(count)]
    for start in range(0, count, 5000):
        Device.objects.bulk_create(
            [Device(code=code, name=code, device_type=device_type, organisation=organisation, region=region,
                    lng=116.8, lat=38.3) for code in codes[start:start + 5000]], ignore_conflicts=True)
    return codes


def add_gateways(broker) -> None:
    from bohai.iot.credentials import mosquitto_password_hash
    from bohai.iot.mqtt.broker import _write_atomically, reload_broker

    passwords = broker.files.passwords.read_text()
    gateways = "".join(f"gateway-{n}:{mosquitto_password_hash('gateway')}\n" for n in range(GATEWAYS))
    _write_atomically(broker.files.passwords, passwords + gateways)
    acl = broker.files.acl.read_text()
    acl += "".join(f"user gateway-{n}\ntopic write bohai/devices/+/telemetry\n" for n in range(GATEWAYS))
    _write_atomically(broker.files.acl, acl)
    reload_broker(broker.files)
    time.sleep(0.5)


def start_worker(url: str, broker, log_path: Path, client_id: str = "bench-worker",
                 shared: bool = False) -> subprocess.Popen:
    environment = {**os.environ, "BOHAI_DATABASE_URL": url, "BOHAI_MQTT_URL": broker.url,
                   "BOHAI_MQTT_DIR": str(broker.files.directory), "PYTHONUNBUFFERED": "1"}
    stream = open(log_path, "w")
    worker = subprocess.Popen([sys.executable, "-m", "bohai.cli", "iot_worker", "--client-id", client_id,
                               "--log-every", "5", *(["--shared"] if shared else [])], cwd=harness.REPO_ROOT,
                              env=environment, stdout=stream, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "subscribed to" not in log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log_path.read_text()}")
        time.sleep(0.1)
    return worker


def stored_points() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_reading")
        return cursor.fetchone()[0]


def run_stream(engine: str, url: str, broker, codes: list[str], args) -> dict:
    log_path = broker.files.directory / "worker.log"
    workers = [start_worker(url, broker, broker.files.directory / f"worker-{index}.log" if index else log_path,
                            f"bench-worker-{index}", shared=args.workers > 1) for index in range(args.workers)]
    start_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    queue = multiprocessing.Queue()
    publishers = device_traffic(broker.port, codes, start_at.timestamp(), args, queue)
    cpu_before = sum(process_cpu_seconds(worker.pid) for worker in workers)
    started = time.time()
    for publisher in publishers:
        publisher.start()
    samples, probes = [], []
    expected_sent = None
    sent = []
    last_change, last_count = time.monotonic(), -1
    while True:
        count = stored_points()
        samples.append((time.time() - started, count))
        if count != last_count:
            last_change, last_count = time.monotonic(), count
        while not queue.empty():
            sent.append(queue.get())
        if len(sent) == len(publishers) and expected_sent is None:
            expected_sent = sum(entry["messages"] for entry in sent)
        if expected_sent is not None and count >= expected_sent * 3:
            break
        if expected_sent is not None and time.monotonic() - last_change > 20:  # stalled: the rest is lost
            break
        time.sleep(0.2)
    finished = time.time() - started
    for publisher in publishers:
        publisher.join(30)
    cpu_used = sum(process_cpu_seconds(worker.pid) for worker in workers) - cpu_before
    latencies = sorted(publish_to_stored(sent, started, samples))
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(30)
    messages = expected_sent or 0
    stored = stored_points()
    last_stored_at = next(at for at, count in samples if count == samples[-1][1])
    return {
        "engine": engine,
        "devices": len(codes),
        "workers": args.workers,
        "offered_messages_per_second": args.rate,
        "publisher": "libmosquitto (C, build/bench/mqtt_publisher)" if C_PUBLISHER.exists() else "paho (Python)",
        "publish_seconds": round(max(entry["seconds"] for entry in sent), 2) if sent else None,
        "sent_messages": messages,
        "sent_points": messages * 3,
        "stored_points": stored,
        "lost_points": messages * 3 - stored,
        "seconds_to_last_stored": round(last_stored_at, 2),
        "points_per_second": round(stored / last_stored_at, 1) if last_stored_at else 0,
        "messages_per_second": round(stored / 3 / last_stored_at, 1) if last_stored_at else 0,
        "steady_points_per_second": steady_rate(samples),
        "latency_p50_ms": round(harness.percentile(latencies, 0.5) * 1000, 1) if latencies else None,
        "latency_p95_ms": round(harness.percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "worker_cpu_ms_per_1000_points": round(cpu_used * 1000 / max(stored, 1) * 1000, 1),
        "worker_cpu_share": round(cpu_used / finished, 2),
        "worker_log": log_path.read_text()[-1500:],
        "drained_after_publishing_seconds": round(finished - max((entry["seconds"] for entry in sent), default=0), 2),
    }


def steady_rate(samples: list[tuple[float, int]]) -> float:
    """Points/s between 20 % and 80 % of the final count: the pace once started and before the tail."""
    final = samples[-1][1]
    inside = [(at, count) for at, count in samples if 0.2 * final <= count <= 0.8 * final]
    if len(inside) < 2 or inside[-1][0] == inside[0][0]:
        return 0.0
    return round((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 1)


def publish_to_stored(sent: list[dict], started: float, samples: list[tuple[float, int]]) -> list[float]:
    """Latency of each publishing round: from the moment the round was out to the first sample in which the
    stored count reached everything published by then. Batches are stored in about the order they arrive,
    so this is publish-to-stored-row for the round's last message (sampled every 0.2 s: a coarse figure)."""
    rounds = sorted((at - started, len(entry["codes_per_round"]) and entry["codes_per_round"][0])
                    for entry in sent for at in entry["rounds"])
    latencies, published, position = [], 0, 0
    for at, devices in rounds:
        published += devices * 3
        while position < len(samples) and samples[position][1] < published:
            position += 1
        if position == len(samples):
            break
        latencies.append(max(samples[position][0] - at, 0.0))
    return latencies


def device_traffic(port: int, codes: list[str], start_ts: float, args, queue) -> list:
    """The publishers, not yet started: the C one where `make bench` built it (it takes a few per cent of a core
    where the Python ones took about one of the two), else PUBLISHER_PROCESSES Python processes. Each puts its
    summary on `queue` when its messages are all acknowledged by the broker."""
    if C_PUBLISHER.exists():
        return [threading.Thread(target=publish_from_c, args=(port, codes, start_ts, args.rate, args.seconds, queue))]
    per_process = [codes[index::PUBLISHER_PROCESSES] for index in range(PUBLISHER_PROCESSES)]
    return [multiprocessing.Process(target=publish, args=(
        port, index, part, start_ts, args.rate / PUBLISHER_PROCESSES, args.seconds, queue))
        for index, part in enumerate(per_process)]


def publish_from_c(port: int, codes: list[str], start_ts: float, rate: float, seconds: float, queue) -> None:
    command = [str(C_PUBLISHER), str(port), "0", str(GATEWAYS), str(rate), str(seconds), str(int(start_ts))]
    finished = subprocess.run(command, input="\n".join(codes) + "\n", capture_output=True, text=True, check=True)
    summary = json.loads(finished.stdout)
    if summary["acknowledged"] != summary["messages"]:
        print(f"publisher: {summary['messages'] - summary['acknowledged']} messages never acknowledged",
              file=sys.stderr)
    queue.put({"index": 0, "messages": summary["messages"], "seconds": summary["seconds"],
               "rounds": summary["rounds"], "codes_per_round": [len(codes)]})


def publish(port: int, index: int, codes: list[str], start_ts: float, rate: float, seconds: float, queue) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    clients = []
    for number in range(GATEWAYS // PUBLISHER_PROCESSES):
        gateway = index * (GATEWAYS // PUBLISHER_PROCESSES) + number
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"gateway-{gateway}", protocol=mqtt.MQTTv5)
        client.username_pw_set(f"gateway-{gateway}", "gateway")
        client.max_inflight_messages_set(1000)
        client.connect("127.0.0.1", port)
        client.loop_start()
        client.on_connect = lambda client, userdata, flags, reason, properties: reason.is_failure and print(
            f"gateway refused: {reason}", file=sys.stderr)
        clients.append(client)
    time.sleep(0.5)
    began = time.time()
    sent_times = []
    sequence = 0
    while time.time() - began < seconds:
        # Every device sends its message number `sequence`, one second apart in device time.
        stamp = datetime.fromtimestamp(start_ts + sequence, UTC).isoformat()
        for position, code in enumerate(codes):
            target = began + (sequence * len(codes) + position) / rate
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            payload = json.dumps({"ts": stamp, "values": {"pressure": 0.3 + position % 7 / 100,
                                                          "flow": 120.0 + sequence % 50, "turbidity": 0.4}})
            clients[position % len(clients)].publish(f"bohai/devices/{code}/telemetry", payload, qos=1)
        sent_times.append(time.time())
        sequence += 1
    for client in clients:
        deadline = time.time() + 60
        while client._out_messages and time.time() < deadline:  # every QoS 1 message acknowledged by the broker
            time.sleep(0.05)
        client.disconnect()
        client.loop_stop()
    queue.put({"index": index, "messages": sequence * len(codes), "seconds": time.time() - began,
               "rounds": sent_times, "codes_per_round": [len(codes)]})


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid: int) -> tuple[float, float]:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def measure_memory(url: str, broker, devices: int) -> dict:
    """The worker's memory once every one of `devices` registered devices has sent (all in its device cache)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_reading")
    codes = register_devices(devices, "fleet")
    broker.sync()
    add_gateways(broker)
    log_path = broker.files.directory / "worker-memory.log"
    worker = start_worker(url, broker, log_path)
    queue = multiprocessing.Queue()
    start_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    per_process = [codes[index::PUBLISHER_PROCESSES] for index in range(PUBLISHER_PROCESSES)]
    publishers = [multiprocessing.Process(target=publish, args=(
        broker.port, index, part, start_at.timestamp(), 20_000, 0.001, queue)) for index, part in enumerate(per_process)]
    for publisher in publishers:
        publisher.start()
    peak = 0.0
    deadline = time.monotonic() + 600
    while stored_points() < devices * 3 and time.monotonic() < deadline:
        peak = max(peak, rss_mb(worker.pid)[0])
        time.sleep(0.5)
    for publisher in publishers:
        publisher.join(60)
    current, high_water = rss_mb(worker.pid)
    worker.terminate()
    worker.wait(30)
    return {"rss_devices": devices, "rss_mb": round(high_water, 1), "rss_after_mb": round(current, 1),
            "rss_points_stored": stored_points()}


if __name__ == "__main__":
    main()
