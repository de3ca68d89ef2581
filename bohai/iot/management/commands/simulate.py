"""`bohai simulate --devices N --rate R --over mqtt|http [--duration S] [--seed] [--backfill HOURS]`

Simulated devices (DEMO- devices from `bohai demo` first, then SIM- devices registered as needed) send realistic
readings: R messages a second in total, each carrying one device's values. `--backfill` first writes the past
hours straight through the ingestion pipeline so that charts have history. See bohai/iot/simulation/.
"""
import resource
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bohai.iot.simulation import fleet as fleets
from bohai.iot.simulation.backfill import backfill
from bohai.iot.simulation.runner import run
from bohai.iot.simulation.senders import HttpSender, MqttSender
from bohai.iot.simulation.signals import DEFAULT_ANOMALY_PROBABILITY, DEFAULT_OUTAGE_PROBABILITY
from bohai.kernel.audit.context import origin

ACTOR = "system:simulator"
FILES_PER_MQTT_CLIENT = 3


class Command(BaseCommand):
    help = _("设备模拟器：模拟设备按给定速率通过 MQTT 或 HTTP 上报逼真的监测数据（日变化、噪声、异常与掉线）")

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=50, help=_("模拟设备数，默认 50"))
        parser.add_argument("--rate", type=float, default=10.0, help=_("每秒发送的消息总数，默认 10"))
        parser.add_argument("--over", choices=("mqtt", "http"), default="http", help=_("上报方式，默认 http"))
        parser.add_argument("--duration", type=float, default=None,
                            help=_("运行秒数；不指定则一直运行到 Ctrl-C；0 表示只补历史数据"))
        parser.add_argument("--seed", type=int, default=2026, help=_("随机种子，默认 2026"))
        parser.add_argument("--backfill", type=float, default=0.0, metavar="HOURS",
                            help=_("先直接写入过去若干小时的数据"))
        parser.add_argument("--backfill-interval", type=int, default=300, metavar="SECONDS",
                            help=_("补历史数据的采样间隔（秒），默认 300"))
        parser.add_argument("--anomaly-probability", type=float, default=DEFAULT_ANOMALY_PROBABILITY,
                            help=_("每台设备每小时出现异常的概率"))
        parser.add_argument("--outage-probability", type=float, default=DEFAULT_OUTAGE_PROBABILITY,
                            help=_("每台设备每小时掉线的概率"))
        parser.add_argument("--bad-ratio", type=float, default=0.0,
                            help=_("故意注入的错误数据比例（超限、非数字、未知指标），默认 0"))
        parser.add_argument("--url", default="http://127.0.0.1:8000", help=_("HTTP 上报的平台地址"))
        parser.add_argument("--broker", default=None, help=_("MQTT 代理地址，默认 BOHAI_MQTT_URL"))
        parser.add_argument("--quiet", action="store_true", help=_("不显示进度"))

    def handle(self, *args, devices, rate, over, duration, seed, backfill, backfill_interval, anomaly_probability,
               outage_probability, bad_ratio, url, broker, quiet, **options):
        if devices < 1 or rate <= 0:
            raise CommandError(_("设备数和速率须为正数"))
        self.quiet = quiet
        with origin("cli", address="simulate"):
            chosen = fleets.select_fleet(devices, actor=ACTOR, seed=seed)
            if not chosen:
                raise CommandError(_("没有可模拟的设备：请先执行 bohai setup 载入设备类型和区划"))
            self._say(_("模拟设备 %(count)d 台") % {"count": len(chosen)})
            signal_options = {"seed": seed, "anomaly_probability": anomaly_probability,
                              "outage_probability": outage_probability}
            if backfill > 0:
                self._backfill(chosen, backfill, backfill_interval, signal_options)
            if duration is not None and duration <= 0:
                return
            interval = len(chosen) / rate
            simulated = [fleets.SimulatedDevice(device, fleets.signal_for(
                device, interval_seconds=interval, bad_ratio=bad_ratio, **signal_options)) for device in chosen]
            secrets = fleets.issue_secrets(chosen, actor=ACTOR)
        sender = self._sender(over, secrets, url, broker or settings.BOHAI_MQTT_URL)
        self._say(_("以每秒 %(rate)s 条经 %(over)s 发送（每台设备每 %(interval).1f 秒一条），Ctrl-C 停止")
                  % {"rate": rate, "over": over.upper(), "interval": interval})
        bar = self._progress_bar(duration, rate)
        previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
        signal.signal(signal.SIGTERM, _interrupt)   # `bohai serve` stops its simulator with SIGTERM
        report = run(simulated, sender, rate=rate, duration=duration, progress=bar.show if bar else None)
        try:
            for number in previous:   # under `bohai serve`, Ctrl-C and serve's SIGTERM both arrive: close anyway
                signal.signal(number, signal.SIG_IGN)
            sender.close()   # bounded: waits at most a few seconds for the last acknowledgements
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if bar:
            bar.show(sender, report)
            bar.close()
        counts = sender.counts
        self._say(_("已发送 %(sent)d 条，已确认 %(acked)d 条，失败 %(failed)d 条，丢弃 %(dropped)d 条，"
                    "掉线跳过 %(silent)d 次，用时 %(seconds).0f 秒")
                  % {"sent": counts.sent, "acked": counts.acked, "failed": counts.failed, "dropped": counts.dropped,
                     "silent": report.silent, "seconds": report.seconds}, always=True)
        if sender.last_error:
            self._say(_("最近的错误：%(error)s") % {"error": sender.last_error}, always=True)

    def _backfill(self, chosen, hours: float, interval: int, signal_options: dict) -> None:
        started = time.monotonic()
        signals = [fleets.signal_for(device, interval_seconds=interval, **signal_options) for device in chosen]
        report = backfill(signals, hours=hours, interval_seconds=interval)
        self._say(_("补写过去 %(hours)s 小时数据：%(readings)d 个读数，入库 %(accepted)d，重复 %(duplicates)d，"
                    "拒收 %(rejected)d（%(seconds).1f 秒）")
                  % {"hours": hours, "readings": report.readings, "accepted": report.accepted,
                     "duplicates": report.duplicates, "rejected": report.rejected,
                     "seconds": time.monotonic() - started}, always=True)

    def _sender(self, over: str, secrets: dict, url: str, broker: str):
        if over == "http":
            return HttpSender(url, secrets)
        _raise_open_files_limit(len(secrets) * FILES_PER_MQTT_CLIENT + 64)
        return MqttSender(broker, secrets)

    def _progress_bar(self, duration, rate):
        if self.quiet:
            return None
        return ProgressLine(total=int(duration * rate) if duration else None)

    def _say(self, text: str, *, always: bool = False) -> None:
        if always or not self.quiet:
            self.stdout.write(text)


class ProgressLine:
    """A tqdm bar counting scheduled turns, with sent / acknowledged / failed beside it."""

    def __init__(self, total):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit=_("条"), desc=_("模拟"), dynamic_ncols=True)

    def show(self, sender, report) -> None:
        counts = sender.counts
        self.bar.n = report.scheduled
        self.bar.set_postfix_str(_("已发送 %(sent)d 已确认 %(acked)d 失败 %(failed)d")
                                 % {"sent": counts.sent, "acked": counts.acked,
                                    "failed": counts.failed + counts.dropped})

    def close(self) -> None:
        self.bar.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            raise CommandError(_("打开文件数上限 %(hard)d 不足以连接这么多设备，请调高 ulimit -n 或减少设备数")
                               % {"hard": hard})
