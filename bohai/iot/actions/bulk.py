"""Registering many devices from a CSV or XLSX file: every good row is registered, every bad row is reported
with its line and the reason, field by field. Each row is its own action (own audit record, own savepoint), so
a bad row costs nothing but itself."""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bohai.kernel.organisations.models import Organisation
from bohai.kernel.transfer.importers import header_key
from bohai.kernel.transfer.sources import inspect_file, read_rows

from ..models import DeviceType
from .registry import register_device

COLUMNS = {
    "code": ("设备编码", "code", "编码"),
    "name": ("设备名称", "name", "名称"),
    "device_type": ("设备类型", "type", "device_type", "类型"),
    "organisation": ("权属部门", "organisation", "部门"),
    "lng": ("经度", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "address": ("安装地址", "address", "地址"),
    "enterprise_code": ("企业统一社会信用代码", "enterprise_code", "信用代码"),
}
REQUIRED = ("code", "name", "device_type", "organisation", "lng", "lat")
MAX_REPORTED_ERRORS = 1000


@dataclass
class BulkReport:
    created: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)

    def add_error(self, line: int, fields: dict[str, list[str]]) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            # "fields" keyed by field name for programs; "cells" name the column as the file's header does.
            cells = [{"field": name, "column": column_heading(name), "reasons": reasons} for name, reasons in fields.items()]
            self.errors.append({"line": line, "fields": fields, "cells": cells})


def column_heading(field_name: str) -> str:
    if field_name in COLUMNS:
        return COLUMNS[field_name][0]
    return _("整行") if field_name == "__all__" else field_name


def bulk_register(stream, *, actor, allowed_organisations=None) -> BulkReport:
    """Register the devices listed in a table file; `allowed_organisations` (a queryset) limits whose devices
    the caller may register (their scope)."""
    inspected = inspect_file(stream)
    rows = read_rows(stream, inspected)
    try:
        _line, header = next(rows)
    except StopIteration:
        raise ValidationError({"file": [_("文件是空的")]})
    positions = _column_positions(header)
    lookups = _Lookups(allowed_organisations)
    report = BulkReport()
    for line, cells in rows:
        values = {name: cells[index].strip() if index < len(cells) else "" for name, index in positions.items()}
        try:
            register_device(actor=actor, **lookups.resolve(values))
            report.created += 1
        except ValidationError as error:
            report.add_error(line, _field_messages(error))
    return report


def _column_positions(header: list[str]) -> dict[str, int]:
    keys = [header_key(cell) for cell in header]
    positions = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            if header_key(alias) in keys:
                positions[name] = keys.index(header_key(alias))
                break
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in positions]
    if missing:
        raise ValidationError({"file": [_("缺少列：%(columns)s") % {"columns": "、".join(missing)}]})
    return positions


class _Lookups:
    def __init__(self, allowed_organisations):
        self.types = {}
        for device_type in DeviceType.objects.all():
            self.types[device_type.code] = self.types[device_type.name] = device_type
        organisations = allowed_organisations if allowed_organisations is not None else Organisation.objects.all()
        self.organisations = {}
        for organisation in organisations:
            self.organisations[organisation.key] = organisation
            self.organisations.setdefault(organisation.name, organisation)

    def resolve(self, values: dict) -> dict:
        errors = {name: [_("必填")] for name in REQUIRED if not values.get(name)}
        device_type = self.types.get(values.get("device_type", ""))
        organisation = self.organisations.get(values.get("organisation", ""))
        if values.get("device_type") and device_type is None:
            errors["device_type"] = [_("设备类型“%(value)s”不存在") % {"value": values["device_type"]}]
        if values.get("organisation") and organisation is None:
            errors["organisation"] = [_("部门“%(value)s”不存在或不在您的管理范围内") % {"value": values["organisation"]}]
        if errors:
            raise ValidationError(errors)
        return {**values, "device_type": device_type, "organisation": organisation}


def _field_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(message) for message in ValidationError(messages).messages]
                for name, messages in error.error_dict.items()}
    return {"__all__": list(error.messages)}
