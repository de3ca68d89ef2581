"""`bohai energy_recompute [--from YYYY-MM] [--to YYYY-MM] [--exceedances-days N]`: full recompute on demand."""
import getpass
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.periods import add_months
from bohai.kernel.audit.context import origin

from ... import exceedances, figures

ACTOR = "system:energy.cli"


class Command(BaseCommand):
    help = _("重新计算重点企业月度能耗（默认近 12 个月），并可重新检查近 N 天的超标小时")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help=_("起始月份 YYYY-MM，缺省为 11 个月前"))
        parser.add_argument("--to", dest="last", help=_("截止月份 YYYY-MM，缺省为本月"))
        parser.add_argument("--exceedances-days", type=int, default=0, help=_("重新检查近 N 天的超标（缺省不检查）"))

    def handle(self, *args, first=None, last=None, exceedances_days=0, **options):
        this_month = figures.current_month()
        try:
            last_month = _month(last) if last else this_month
            first_month = _month(first) if first else add_months(last_month, -11)
        except ValueError:
            raise CommandError(_("月份应为 YYYY-MM"))
        if last_month < first_month:
            raise CommandError(_("截止月份早于起始月份"))
        with origin("cli", address=getpass.getuser()):
            result = figures.recompute(figures.months_between(first_month, last_month), actor=ACTOR)
            self.stdout.write(_("月度能耗：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d") % result)
            if exceedances_days > 0:
                end = timezone.now().replace(minute=0, second=0, microsecond=0)
                found = exceedances.check(end - timedelta(days=exceedances_days), end, actor=ACTOR)
                self.stdout.write(_("新发现超标小时：%(count)d") % {"count": len(found)})


def _month(text: str) -> date:
    return date.fromisoformat(f"{text.strip()}-01")
