from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bohai.kernel.audit.context import origin
from bohai.kernel.backup.archive import create_backup
from bohai.kernel.backup.manifest import BackupRefused


class Command(BaseCommand):
    help = _("备份整个平台数据库与上传文件（附 SM3 校验清单）。")

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, help=_("备份目录（默认 BOHAI_BACKUP_DIR）"))

    def handle(self, *args, output, **options):
        try:
            with origin("cli"):
                result = create_backup(output, progress=self.stdout.write)
        except BackupRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(_("备份文件：%(path)s") % {"path": result.path}))
