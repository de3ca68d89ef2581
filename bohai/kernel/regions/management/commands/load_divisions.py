"""bohai load_divisions FILE | --reference [CODE] | --demo-grid [--cell-metres N]"""
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from bohai.kernel.accounts.models import User
from bohai.kernel.audit.context import origin
from bohai.kernel.regions import actions

SYSTEM_ACTOR = "system:cli"


class Command(BaseCommand):
    help = _("载入区划：街道、社区、网格文件（CSV 或 GeoJSON），或本市参考区划，或演示网格")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_("CSV（key/code,name,level,parent_key[,lng,lat]）或 GeoJSON FeatureCollection"))
        parser.add_argument("--reference", nargs="?", const=True, metavar="CITY_CODE",
                            help=_("载入地级市及其县级区划（默认 BOHAI_CITY_CODE）"))
        parser.add_argument("--demo-grid", action="store_true", help=_("为城区生成演示街道、社区与单元网格"))
        parser.add_argument("--cell-metres", type=int, default=500, help=_("演示网格边长（米）"))
        parser.add_argument("--user", help=_("以此用户名记录操作（默认 system:cli）"))

    def handle(self, *args, **options):
        if not (options["file"] or options["reference"] or options["demo_grid"]):
            raise CommandError(_("请给出文件，或使用 --reference / --demo-grid"))
        actor = self._actor(options["user"])
        with origin("cli"):
            try:
                if options["reference"]:
                    self._load_reference(options["reference"], actor)
                if options["demo_grid"]:
                    self._build_demo_grid(options["cell_metres"], actor)
                if options["file"]:
                    self._import(options["file"], actor)
            except ValidationError as error:
                raise CommandError("; ".join(_messages(error))) from error
            except PermissionDenied as error:
                raise CommandError(str(error)) from error

    def _actor(self, username):
        if not username:
            return SYSTEM_ACTOR
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(_("用户 %(name)s 不存在") % {"name": username}) from None

    def _load_reference(self, city_code, actor):
        city_code = settings.BOHAI_CITY_CODE if city_code is True else city_code
        summary = actions.load_reference_divisions(city_code, actor=actor)
        self.stdout.write(_("参考区划 %(code)s：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s") % {
            "code": city_code, "created": len(summary.created), "updated": len(summary.updated),
            "unchanged": summary.unchanged})

    def _build_demo_grid(self, cell_metres, actor):
        summary = actions.build_demo_grid(actor=actor, cell_metres=cell_metres)
        self.stdout.write(_("演示网格：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s") % {
            "created": len(summary.created), "updated": len(summary.updated), "unchanged": summary.unchanged})

    def _import(self, path, actor):
        try:
            report = actions.import_divisions(
                path, actor=actor, progress=lambda rows: tqdm(rows, desc=_("检查"), unit=_("行"), file=sys.stderr),
            )
        except FileNotFoundError:
            raise CommandError(_("文件不存在：%(path)s") % {"path": path}) from None
        for error in report.errors:
            self.stderr.write(_("第 %(line)s 行 %(field)s：%(reason)s") % error.__dict__)
        self.stdout.write(_("导入完成：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s，出错 %(errors)s 行") % {
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "errors": len(report.errors)})


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
    return error.messages
