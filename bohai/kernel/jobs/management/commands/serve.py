import os
import shutil
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

WORKER_STOP_SECONDS = 15
# A small fleet of simulated devices keeps the operations centre alive (bohai/iot/simulation).
SIMULATOR = ["simulate", "--devices", "200", "--rate", "20", "--quiet"]


class Command(BaseCommand):
    help = _("启动平台：网页服务与后台任务执行者（Ctrl-C 同时停止二者）。")

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help=_("监听地址，默认 127.0.0.1:8000"))
        parser.add_argument("--no-worker", action="store_true", help=_("不启动后台任务执行者"))
        parser.add_argument("--reload", action="store_true", help=_("代码改动后自动重启网页服务（开发用）"))
        parser.add_argument("--no-simulator", action="store_true",
                            help=_("不启动设备模拟器（及其使用的 MQTT 代理与接入进程）"))

    def handle(self, *args, addr, no_worker, reload, no_simulator=False, **options):
        # With --reload, Django re-runs this command in a child process (RUN_MAIN=true);
        # only the parent starts the worker, so there is one worker, not one per reload.
        is_reloader_child = os.environ.get("RUN_MAIN") == "true"
        worker = None if no_worker or is_reloader_child else self._start_worker()
        devices = [] if no_simulator or is_reloader_child else [self._start_child(args) for args in _iot_children(addr)]
        if not is_reloader_child:
            self.stdout.write(self.style.SUCCESS(_("渤海平台已启动：http://%(addr)s/") % {"addr": addr}))
            self.stdout.write(_("  管理后台 http://%(addr)s/admin/ · 接口文档 http://%(addr)s/api/docs")
                              % {"addr": addr})
        # A service manager stops the platform with SIGTERM: treat it as Ctrl-C so the worker stops too.
        previous_handler = signal.signal(signal.SIGTERM, _interrupt)
        try:
            call_command("runserver", addr, use_reloader=reload)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
            for child in reversed(devices):   # the simulator first, the broker last
                _stop(child)
            if worker is not None:
                self._stop_worker(worker)

    def _start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen([sys.executable, "-m", "bohai.cli", "worker"], cwd=settings.BASE_DIR)
        self.stdout.write(_("后台任务执行者已启动（进程 %(pid)d）") % {"pid": worker.pid})
        return worker

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        _stop(worker)
        self.stdout.write(_("后台任务执行者已停止"))

    def _start_child(self, args: list[str]) -> subprocess.Popen:
        child = subprocess.Popen([sys.executable, "-m", "bohai.cli", *args], cwd=settings.BASE_DIR)
        self.stdout.write(_("%(command)s 已启动（进程 %(pid)d）") % {"command": " ".join(args[:1]), "pid": child.pid})
        return child


def _iot_children(addr: str) -> list[list[str]]:
    """Over MQTT when mosquitto is installed (Bohai's broker and ingestion worker beside it), otherwise HTTP."""
    if os.path.exists("/usr/sbin/mosquitto") or shutil.which("mosquitto"):
        return [["mqtt_broker"], ["iot_worker"], [*SIMULATOR, "--over", "mqtt"]]
    return [[*SIMULATOR, "--over", "http", "--url", f"http://{addr}"]]


def _stop(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt
