"""Exports of the identity registers: only what `restrict(user, "view")` returns, masked.

Identity numbers and phones leave the platform masked; every export writes one audit record
with its filter and row count. CSV is streamed row block by row block, so an export of the whole
register never sits in memory; XLSX is written by openpyxl's write-only mode into a temporary file.
"""
import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.identities.models import EntityType, Gender, LegalEntity, Person
from bohai.kernel.regions.models import Region

FORMATS = ("csv", "xlsx")
ROWS_PER_CHUNK = 1000
XLSX_MAX_ROWS = 1_048_575  # one sheet, below the header
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportSpec:
    kind: str
    model: type
    title: str
    columns: tuple[tuple[str, str], ...]  # (queryset path, header)
    choices: dict[str, dict]  # path -> {stored value: label}


SPECS = {
    "persons": ExportSpec(
        "persons", Person, gettext_lazy("自然人"),
        (("id_number_masked", gettext_lazy("身份证号")), ("name", gettext_lazy("姓名")), ("gender", gettext_lazy("性别")),
         ("birth_date", gettext_lazy("出生日期")), ("phone_masked", gettext_lazy("手机号")), ("address", gettext_lazy("住址")),
         ("region__name", gettext_lazy("所属区划")), ("region__code", gettext_lazy("区划代码"))),
        {"gender": dict(Gender.choices)},
    ),
    "entities": ExportSpec(
        "entities", LegalEntity, gettext_lazy("法人"),
        (("credit_code", gettext_lazy("统一社会信用代码")), ("name", gettext_lazy("名称")),
         ("entity_type", gettext_lazy("主体类型")), ("legal_representative", gettext_lazy("法定代表人")),
         ("registered_capital", gettext_lazy("注册资本（万元）")), ("established_on", gettext_lazy("成立日期")),
         ("industry", gettext_lazy("行业")), ("phone_masked", gettext_lazy("联系电话")), ("address", gettext_lazy("住所")),
         ("region__name", gettext_lazy("所属区划")), ("region__code", gettext_lazy("区划代码"))),
        {"entity_type": dict(EntityType.choices)},
    ),
}


@dataclass
class Export:
    spec: ExportSpec
    file_format: str
    queryset: QuerySet
    count: int

    @property
    def file_name(self) -> str:
        return f"{self.spec.kind}.{self.file_format}"

    def headers(self) -> list[str]:
        return [str(header) for _path, header in self.spec.columns]

    def rows(self) -> Iterator[list]:
        paths = [path for path, _header in self.spec.columns]
        labels = [self.spec.choices.get(path) for path in paths]
        for values in self.queryset.values_list(*paths).iterator(chunk_size=2000):
            yield [safe_cell(str(labels[i][v]) if labels[i] and v in labels[i] else v) for i, v in enumerate(values)]


def spec_for(kind: str) -> ExportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValidationError({"kind": [_("不支持的导出类别：%(kind)s") % {"kind": kind}]})


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if value is None:
        return ""
    return value


def _region_filter(region: str) -> Region | None:
    if not region:
        return None
    regions = Region.objects.defer("boundary")
    found = regions.filter(key=region).first() or regions.filter(code=region).first()
    if found is None:
        raise ValidationError({"region": [_("区划 %(value)s 不存在") % {"value": region}]})
    return found


@service_action
def begin_export(kind: str, *, actor, file_format: str, region: str = "") -> Export:
    """The rows the actor may see (optionally within a region), counted and audited before streaming."""
    spec = spec_for(kind)
    if file_format not in FORMATS:
        raise ValidationError({"format": [_("格式应为 csv 或 xlsx")]})
    queryset = spec.model.objects.restrict(actor, "view").order_by("id")
    within = _region_filter(region)
    if within is not None:
        queryset = queryset.filter(region__path__startswith=within.path)
    count = queryset.count()
    if file_format == "xlsx" and count > XLSX_MAX_ROWS:
        raise ValidationError({"format": [_("共 %(count)d 行，超过 XLSX 单表上限，请导出为 CSV") % {"count": count}]})
    record(actor=actor, action="transfer.export", target_type=spec.model._meta.label_lower,
           after={"kind": kind, "format": file_format, "filters": {"region": within.key if within else None}, "count": count})
    return Export(spec, file_format, queryset, count)


class _Line:
    """A write target for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(export: Export) -> Iterator[bytes]:
    """UTF-8 with BOM (so that Excel on Windows opens it correctly), in blocks of rows."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(export.headers())).encode("utf-8")
    block = io.StringIO()
    block_writer = csv.writer(block)
    pending = 0
    for row in export.rows():
        block_writer.writerow(row)
        pending += 1
        if pending >= ROWS_PER_CHUNK:
            yield block.getvalue().encode("utf-8")
            block.seek(0)
            block.truncate()
            pending = 0
    if pending:
        yield block.getvalue().encode("utf-8")


def xlsx_file(export: Export):
    """A temporary file holding the workbook, positioned at its start."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(export.spec.title))
    sheet.append(export.headers())
    for row in export.rows():
        sheet.append(row)
    target = tempfile.TemporaryFile()
    workbook.save(target)
    target.seek(0)
    return target
