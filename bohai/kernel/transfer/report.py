"""The error report of an import as an XLSX workbook: a summary sheet and one row per problem."""
import tempfile

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext as _

from .exporting import safe_cell
from .models import ImportRun


def error_report(run: ImportRun):
    """A temporary file holding the workbook, positioned at its start."""
    workbook = openpyxl.Workbook(write_only=True)
    _summary_sheet(workbook, run)
    errors = workbook.create_sheet(_("错误明细"))
    errors.append([_("行号"), _("字段"), _("值"), _("原因")])
    for error in run.errors:
        errors.append([error["line"], safe_cell(error["column"]), safe_cell(error["value"]), safe_cell(error["reason"])])
    target = tempfile.TemporaryFile()
    workbook.save(target)
    target.seek(0)
    return target


def _summary_sheet(workbook, run: ImportRun) -> None:
    sheet = workbook.create_sheet(_("概要"))
    finished = timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M:%S") if run.finished_at else ""
    rows = [
        (_("文件名"), safe_cell(run.file_name)),
        (_("类别"), str(run.get_kind_display())),
        (_("文件摘要（SM3）"), run.digest),
        (_("状态"), str(run.get_status_display())),
        (_("数据行数"), run.total_rows),
        (_("导入行数"), run.imported_count),
        (_("退回行数"), run.rejected_count),
        (_("其中重复"), run.duplicate_count),
        (_("完成时间"), finished),
    ]
    if run.errors_truncated:
        rows.append((_("说明"), _("错误过多，仅列出前 %(n)d 条") % {"n": len(run.errors)}))
    for row in rows:
        sheet.append(list(row))


def report_file_name(run: ImportRun) -> str:
    return f"import-{run.pk}-errors.xlsx"
