"""A device's readings as charts, latest values and files: the telemetry engine seen per device and metric."""
import csv
import io

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.telemetry import store
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from .models import Device, MetricSpec

EXPORT_ROW_LIMIT = 1_000_000


def _metric(device: Device, code: str) -> MetricSpec:
    metric = device.device_type.metrics.filter(code=code).first()
    if metric is None:
        raise ValidationError({"metric": [_("设备类型 %(type)s 没有指标 %(metric)s") % {
            "type": device.device_type.name, "metric": code}]})
    return metric


def metric_series(device: Device, metric_code: str, start, end, *, budget: int = 2000) -> dict:
    metric = _metric(device, metric_code)
    series_id = store.series_ids(device.pk, [metric.code])[metric.code]
    result = store.query(series_id, start, end, budget=budget)
    return {"device": device.code, "metric": metric.code, "unit": metric.unit, "resolution": result.resolution,
            "points": result.points}


def latest_of(devices) -> dict[str, dict[str, tuple]]:
    """{device code: {metric: (ts, value)}} for every metric that has a value."""
    devices = list(devices.select_related("device_type").prefetch_related("device_type__metrics"))
    wanted: dict[int, tuple[str, str]] = {}
    for device in devices:
        codes = [metric.code for metric in device.device_type.metrics.all()]
        for metric, series_id in store.series_ids(device.pk, codes).items():
            wanted[series_id] = (device.code, metric)
    values: dict[str, dict[str, tuple]] = {device.code: {} for device in devices}
    for series_id, (ts, value) in store.latest(wanted).items():
        code, metric = wanted[series_id]
        values[code][metric] = (ts, value)
    return values


def _export_table(device: Device, start, end, resolution: str):
    metrics = list(device.device_type.metrics.all())
    ids = store.series_ids(device.pk, [metric.code for metric in metrics])
    names = {ids[metric.code]: metric for metric in metrics}
    if resolution == "raw":
        header = [_("设备编码"), _("指标"), _("单位"), _("时间"), _("数值")]
    else:
        header = [_("设备编码"), _("指标"), _("单位"), _("时段起"), _("平均值"), _("最小值"), _("最大值"), _("读数个数")]
    rows = []
    for series_id, moment, *values in store.export_rows(ids.values(), start, end, resolution=resolution):
        metric = names[series_id]
        rows.append([device.code, metric.name, metric.unit, timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S"),
                     *values])
        if len(rows) >= EXPORT_ROW_LIMIT:
            break
    return header, rows


@service_action
def export_response(device: Device, start, end, *, file_format: str, resolution: str, actor) -> HttpResponse:
    header, rows = _export_table(device, start, end, resolution)
    record(actor=actor, action="iot.device.export", target=device,
           after={"start": start, "end": end, "resolution": resolution, "rows": len(rows), "format": file_format})
    name = f"{device.code}-{timezone.localtime(start):%Y%m%d%H%M}-{timezone.localtime(end):%Y%m%d%H%M}-{resolution}"
    if file_format == "xlsx":
        return _xlsx(name, header, rows)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel on a Chinese Windows reads UTF-8 only with a BOM
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _xlsx(name: str, header: list, rows: list) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("读数"))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
