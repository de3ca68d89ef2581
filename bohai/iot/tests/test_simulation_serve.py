"""`bohai serve` starts the device simulator beside the web server (over MQTT with Bohai's broker and ingestion
worker when mosquitto is installed, otherwise over HTTP) and stops it with the server."""
import sys

import pytest
from django.core.management import call_command

from bohai.kernel.jobs.management.commands import serve


class FakeProcess:
    pid = 4242

    def __init__(self, command, **options):
        self.command = command
        self.stopped = False

    def terminate(self):
        self.stopped = True

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def started(monkeypatch):
    processes = []

    def start(command, **options):
        processes.append(FakeProcess(command))
        return processes[-1]

    def runserver(name, addr, use_reloader):
        assert all(not process.stopped for process in processes)
        raise KeyboardInterrupt

    monkeypatch.setattr(serve.subprocess, "Popen", start)
    monkeypatch.setattr(serve, "call_command", runserver)
    monkeypatch.delenv("RUN_MAIN", raising=False)
    return processes


def commands(processes):
    assert all(p.command[:3] == [sys.executable, "-m", "bohai.cli"] for p in processes)
    return [p.command[3:] for p in processes]


def test_with_mosquitto_the_broker_the_ingestion_worker_and_a_simulator_over_mqtt_run_and_stop(started, monkeypatch):
    monkeypatch.setattr(serve.shutil, "which", lambda name: "/usr/bin/mosquitto")

    call_command("serve", "--addr", "127.0.0.1:9000")

    ran = commands(started)
    assert ran[:3] == [["worker"], ["mqtt_broker"], ["iot_worker"]]
    simulator = ran[3]
    assert simulator[0] == "simulate" and simulator[simulator.index("--over") + 1] == "mqtt"
    assert simulator[simulator.index("--devices") + 1] == "200"
    assert all(p.stopped for p in started)


def test_without_mosquitto_the_simulator_posts_to_the_web_server(started, monkeypatch):
    monkeypatch.setattr(serve.shutil, "which", lambda name: None)
    monkeypatch.setattr(serve.os.path, "exists", lambda path: False)

    call_command("serve", "--addr", "127.0.0.1:9000")

    ran = commands(started)
    assert ran[0] == ["worker"] and len(ran) == 2
    assert ran[1][ran[1].index("--over") + 1] == "http"
    assert ran[1][ran[1].index("--url") + 1] == "http://127.0.0.1:9000"
    assert all(p.stopped for p in started)


def test_no_simulator_starts_only_the_worker(started):
    call_command("serve", "--no-simulator")

    assert commands(started) == [["worker"]]
