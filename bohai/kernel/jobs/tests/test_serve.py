import sys

import pytest
from django.core.management import call_command

from bohai.kernel.jobs.management.commands import serve


class FakeWorker:
    pid = 4242

    def __init__(self, command, **options):
        self.command = command
        self.stopped = False

    def terminate(self):
        self.stopped = True

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def fake_processes(monkeypatch):
    started, served = [], []

    def start(command, **options):
        started.append(FakeWorker(command))
        return started[-1]

    monkeypatch.setattr(serve.subprocess, "Popen", start)

    def runserver(name, addr, use_reloader):
        served.append((name, addr, use_reloader))
        raise KeyboardInterrupt  # the operator pressed Ctrl-C

    monkeypatch.setattr(serve, "call_command", runserver)
    monkeypatch.delenv("RUN_MAIN", raising=False)
    return started, served


def test_serve_runs_the_worker_beside_the_web_server_and_stops_it_with_the_server(fake_processes, capsys):
    started, served = fake_processes

    call_command("serve", "--addr", "127.0.0.1:9000", "--no-simulator")   # the simulator: bohai/iot/tests

    assert [worker.command for worker in started] == [[sys.executable, "-m", "bohai.cli", "worker"]]
    assert started[0].stopped
    assert served == [("runserver", "127.0.0.1:9000", False)]
    assert "http://127.0.0.1:9000/" in capsys.readouterr().out


def test_the_reloaded_server_process_does_not_start_a_second_worker(fake_processes, monkeypatch):
    started, served = fake_processes
    monkeypatch.setenv("RUN_MAIN", "true")

    call_command("serve", "--reload")

    assert started == []
    assert served == [("runserver", "127.0.0.1:8000", True)]
