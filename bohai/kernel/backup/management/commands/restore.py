import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bohai.kernel.audit.context import origin
from bohai.kernel.backup.archive import restore_backup
from bohai.kernel.backup.manifest import BackupRefused, verified_manifest

MANIFEST_SUFFIX = ".manifest.json"


class Command(BaseCommand):
    help = _("从备份恢复整个平台数据库与上传文件：先校验 SM3，再覆盖当前数据（请先停止平台）。")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("备份文件（或其 .manifest.json 清单）"))
        parser.add_argument("--yes", action="store_true", help=_("不再询问，直接覆盖当前数据库"))
        parser.add_argument("--no-safety-backup", action="store_true", help=_("恢复前不备份当前数据库"))

    def handle(self, *args, file, yes, no_safety_backup, **options):
        path = Path(str(file).removesuffix(MANIFEST_SUFFIX))
        try:
            verified_manifest(path)
            if not yes:
                self._confirm(path)
            with origin("cli"):
                result = restore_backup(path, progress=self.stdout.write, safety_backup=not no_safety_backup)
        except BackupRefused as error:
            raise CommandError(str(error)) from None
        if result.safety_backup:
            self.stdout.write(_("恢复前的数据库已备份到 %(path)s") % {"path": result.safety_backup})
        self.stdout.write(self.style.SUCCESS(_("已从 %(name)s 恢复") % {"name": path.name}))

    def _confirm(self, path: Path) -> None:
        if not sys.stdin.isatty():
            raise CommandError(_("恢复将覆盖当前数据库的全部数据；请加 --yes 确认。"))
        answer = input(_("恢复 %(name)s 将覆盖当前数据库的全部数据。输入 yes 继续：") % {"name": path.name})
        if answer.strip().lower() != "yes":
            raise CommandError(_("已取消，数据库未改动。"))
