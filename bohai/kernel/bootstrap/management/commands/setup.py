"""`bohai setup`: bring a database to a working platform; safe to run again.

Migrates, then loads the city's reference data (divisions and boundaries, demo grid layer
for the city seat, government units, roles) and, unless --no-demo, the demo data set.
"""
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from bohai.kernel.accounts.actions import ensure_reference_roles
from bohai.kernel.audit.context import origin
from bohai.kernel.bootstrap.contributions import reference_steps
from bohai.kernel.organisations.actions import load_reference_organisations
from bohai.kernel.regions import actions as region_actions
from bohai.kernel.regions.models import Level, Region

ACTOR = "system:setup"


class Command(BaseCommand):
    help = "初始化平台：迁移数据库、载入本市参考数据与演示数据（可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="不生成演示数据")
        parser.add_argument("--no-static", action="store_true", help="不收集静态文件")

    def handle(self, *args, no_demo=False, no_static=False, **options):
        self.step("数据库迁移", lambda: call_command("migrate", interactive=False, verbosity=0))
        self.step("缓存表", lambda: call_command("createcachetable", verbosity=0))
        if not no_static:
            self.step("静态文件", lambda: call_command("collectstatic", interactive=False, verbosity=0))
        with origin("cli", address="setup"):
            self.step("角色与权限", lambda: ensure_reference_roles(actor=ACTOR))
            self.step(f"行政区划（{settings.BOHAI_CITY_CODE}）",
                      lambda: region_actions.load_reference_divisions(settings.BOHAI_CITY_CODE, actor=ACTOR))
            if not Region.objects.filter(level=Level.TOWNSHIP).exists():
                self.step("城区演示网格", lambda: region_actions.build_demo_grid(actor=ACTOR))
            self.step("政府机构与岗位", lambda: load_reference_organisations(actor=ACTOR))
            for label, load in reference_steps():
                self.step(label, lambda load=load: load(actor=ACTOR))
        if not no_demo:
            self.step("演示数据", lambda: call_command("demo"))

    def step(self, label: str, work) -> None:
        started = time.monotonic()
        self.stdout.write(f"· {label} …", ending="")
        self.stdout.flush()
        result = work()
        summary = f" {result}" if isinstance(result, (dict, int)) else ""
        self.stdout.write(self.style.SUCCESS(f" 完成（{time.monotonic() - started:.1f} 秒）{summary}"))
