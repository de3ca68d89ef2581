import signal

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from bohai.kernel.jobs.runner import default_worker_name, request_stop, run_worker


class Command(BaseCommand):
    help = _("运行后台任务执行者：执行任务、安排周期任务、投递事件。")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("只处理一轮后退出"))
        parser.add_argument("--burst", action="store_true", help=_("处理完当前所有到期工作后退出"))
        parser.add_argument("--poll", type=float, default=1.0, help=_("空闲时的轮询间隔（秒）"))
        parser.add_argument("--name", default="", help=_("执行者名称（默认：主机名:进程号）"))

    def handle(self, *args, once, burst, poll, name, **options):
        name = name or default_worker_name()
        previous_handler = signal.signal(signal.SIGTERM, lambda *_signal: request_stop())
        self.stdout.write(_("任务执行者 %(name)s 已启动（Ctrl-C 停止）") % {"name": name})
        try:
            report = run_worker(stop_after=1 if once else None, poll_seconds=poll, burst=burst, worker_name=name)
        except KeyboardInterrupt:
            self.stdout.write(_("任务执行者已停止"))
            return
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
        self.stdout.write(
            _("任务执行者已停止：%(cycles)d 轮，执行任务 %(jobs)d 个，投递事件 %(events)d 个")
            % {"cycles": report.cycles, "jobs": report.jobs_run, "events": report.events_delivered}
        )
