"""`bohai import persons FILE` / `bohai import entities FILE`: import a CSV or XLSX file with a progress bar."""
import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from bohai.kernel.audit.context import origin
from bohai.kernel.transfer.actions import BATCH_SIZE, import_file
from bohai.kernel.transfer.report import error_report
from bohai.kernel.transfer.sources import FileRefused

ERRORS_PRINTED = 20
KINDS = {"persons": "persons", "entities": "entities", "person": "persons", "entity": "entities"}


class Command(BaseCommand):
    help = _("导入自然人（persons）或法人（entities）：CSV（UTF-8/GB18030）或 XLSX，第 1 行为表头")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--actor", help=_("以该用户身份导入（其权限范围生效）；缺省为命令行系统身份"))
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=_("每批登记行数，默认 %(n)d") % {"n": BATCH_SIZE})
        parser.add_argument("--report", type=Path, help=_("把错误报告（XLSX）写到该路径"))
        parser.add_argument("--quiet", action="store_true", help=_("不显示进度条"))
        parser.add_argument("--max-bytes", type=int,
                            help=_("文件大小上限（字节）；缺省不限（网页与接口上传受 BOHAI_MAX_UPLOAD_BYTES 限制）"))

    def handle(self, *args, kind, file, actor=None, batch_size, report=None, quiet=False, max_bytes=None, **options):
        if not file.is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": file})
        acting = self._actor(actor)
        with open(file, "rb") as stream, origin("cli", address=getpass.getuser()):
            with tqdm(total=_row_estimate(file), desc=_("导入"), unit=_("行"), disable=quiet, dynamic_ncols=True) as bar:
                try:
                    run = import_file(KINDS[kind], stream, actor=acting, file_name=file.name,
                                      batch_size=batch_size, progress=bar.update, max_bytes=max_bytes)
                except FileRefused as refused:
                    raise CommandError(_("文件未导入：%(reason)s") % {"reason": refused.reason})
        self._summary(run)
        if report and run.errors:
            report.write_bytes(error_report(run).read())
            self.stdout.write(_("错误报告：%(path)s") % {"path": report})

    def _actor(self, username: str | None):
        if not username:
            return f"cli:{getpass.getuser()}"
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("用户不存在或已停用：%(name)s") % {"name": username})
        return user

    def _summary(self, run) -> None:
        style = self.style.SUCCESS if run.status == "succeeded" else self.style.ERROR
        self.stdout.write(style(
            _("导入 #%(id)d %(status)s：数据 %(total)d 行，导入 %(imported)d 行，退回 %(rejected)d 行（其中重复 %(duplicates)d 行）")
            % {"id": run.pk, "status": run.get_status_display(), "total": run.total_rows,
               "imported": run.imported_count, "rejected": run.rejected_count, "duplicates": run.duplicate_count}
        ))
        for error in run.errors[:ERRORS_PRINTED]:
            self.stdout.write(_("  第 %(line)d 行 %(column)s「%(value)s」：%(reason)s") % error)
        if len(run.errors) > ERRORS_PRINTED:
            self.stdout.write(_("  …… 另有 %(n)d 条，用 --report 导出全部") % {"n": len(run.errors) - ERRORS_PRINTED})


def _row_estimate(path: Path) -> int | None:
    """Data lines of a CSV (a quick newline count); None for XLSX, whose rows are only known by reading."""
    with open(path, "rb") as stream:
        if stream.read(4) == b"PK\x03\x04":
            return None
        stream.seek(0)
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) - 1, 0)
