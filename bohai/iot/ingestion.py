"""One pipeline for every reading, whether it came over HTTP or MQTT.

`ingest` validates each reading (known and active device, known metric, a finite number within the metric's
range, a timestamp that parses and is not more than FUTURE_TOLERANCE ahead), then, in one transaction, stores the
good ones in the telemetry engine (idempotently: same device, metric and timestamp stored once), evaluates the
alarm rules on the newly stored readings only, marks the devices as seen and counts every rejection per device
and reason. When `ingest` returns, all of it has committed: the MQTT worker acknowledges messages only then, and
a redelivered message finds its readings already stored. Authentication is the caller's job (the device token
over HTTP, the broker's password and ACL files over MQTT).

Over HTTP a reading without a timestamp takes the time it was received. Over MQTT it is refused
(`timestamp_required`): QoS 1 redelivers a message whose acknowledgement was lost, and a reading stamped on
arrival would then be stored a second time under a new timestamp; with the device's own time the redelivery
is a duplicate and stored once. Timestamps without a zone are Beijing time, which is what Chinese devices send.
Late data is accepted whatever its age (after 2000-01-01).
"""
import functools
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.alarms.evaluation import Observation, evaluate
from bohai.engines.alarms.ruleset import active_rules
from bohai.engines.telemetry import store

from .directory import DeviceEntry, directory
from .models import Device, RejectionReason, code_validator
from .subjects import SUBJECT_KIND

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
DEVICE_LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
LAST_SEEN_PRECISION_SECONDS = 30.0
INVALID_CODE = "(invalid)"


class MalformedMessage(ValueError):
    """The message is not the JSON a device sends; `detail` says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class IncomingReading:
    device_code: str
    metric: str
    ts: object
    value: object


@dataclass(frozen=True, slots=True)
class RejectedReading:
    index: int
    device_code: str
    metric: str
    reason: str
    detail: str
    times: int = 1  # one line for many refusals of one kind (the broker's refused connections)


@dataclass
class IngestOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedReading] = field(default_factory=list)


def parse_device_message(device_code: str, payload) -> list[IncomingReading]:
    """The readings in what a device sent: {"ts": …, "values": {metric: value}} or a list of such objects."""
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise MalformedMessage(_("报文不是合法的 JSON"))
    messages = payload if isinstance(payload, list) else [payload]
    readings = []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("values"), dict):
            raise MalformedMessage(_("报文应为 {\"ts\": 时间, \"values\": {指标: 数值}} 或其列表"))
        ts = message.get("ts")
        readings.extend(IncomingReading(device_code, str(metric), ts, value)
                        for metric, value in message["values"].items())
    return readings


def ingest(readings, *, channel: str, received_at: datetime | None = None,
           timestamp_required: bool = False) -> IngestOutcome:
    received_at = received_at or timezone.now()
    entries = directory.entries_for({reading.device_code for reading in readings})
    points, rejected = [], []
    times: dict = {}  # the readings of one message share its timestamp: parse each distinct one once
    for index, reading in enumerate(readings):
        point_or_rejection = _check(index, reading, entries.get(reading.device_code), received_at, times,
                                    timestamp_required)
        (points if isinstance(point_or_rejection, store.Point) else rejected).append(point_or_rejection)
    outcome = IngestOutcome(rejected=rejected)
    with transaction.atomic():
        if points:
            written = store.write(points)
            outcome.accepted, outcome.duplicates = written.stored, written.duplicates
            _evaluate_rules(written.stored_points)
            _mark_seen(entries, points, received_at)
        if rejected:
            count_rejections(rejected, entries, received_at)
    return outcome


def record_malformed(device_code: str, detail: str) -> None:
    _count_one(device_code, RejectionReason.MALFORMED, detail)


def record_bad_credentials(device_code: str, channel: str) -> None:
    _count_one(device_code, RejectionReason.BAD_CREDENTIALS, _("%(channel)s 凭据错误") % {"channel": channel})


def _count_one(device_code: str, reason: str, detail: str) -> None:
    """A whole message refused before its readings were read: one count against the device."""
    with transaction.atomic():
        count_rejections([RejectedReading(0, device_code, "", reason, detail)], directory.entries_for([device_code]),
                         timezone.now())


def _check(index: int, reading: IncomingReading, entry: DeviceEntry | None, received_at: datetime, times: dict,
           timestamp_required: bool):
    def rejection(reason, detail):
        return RejectedReading(index, reading.device_code, reading.metric, reason, detail)

    if entry is None:
        return rejection(RejectionReason.UNKNOWN_DEVICE, _("设备 %(code)s 未登记") % {"code": reading.device_code})
    if not entry.active:
        return rejection(RejectionReason.INACTIVE_DEVICE, _("设备未启用"))
    metric_range = entry.ranges.get(reading.metric)
    if metric_range is None:
        return rejection(RejectionReason.UNKNOWN_METRIC,
                         _("设备类型 %(type)s 没有指标 %(metric)s") % {"type": entry.type_code, "metric": reading.metric})
    value = _number(reading.value)
    if value is None:
        return rejection(RejectionReason.NOT_NUMERIC, _("%(metric)s 的值 %(value)s 不是数字") % {
            "metric": reading.metric, "value": str(reading.value)[:40]})
    if not metric_range.admits(value):
        return rejection(RejectionReason.OUT_OF_RANGE, _("%(metric)s 的值 %(value)s 超出有效范围 %(low)s～%(high)s") % {
            "metric": reading.metric, "value": value, "low": _bound(metric_range.minimum),
            "high": _bound(metric_range.maximum)})
    if reading.ts is None and timestamp_required:
        return rejection(RejectionReason.BAD_TIMESTAMP, _("缺少采集时间 ts：MQTT 报文须带设备的采集时间"))
    try:
        ts = times[reading.ts]
    except KeyError:
        ts = times[reading.ts] = _timestamp(reading.ts, received_at)
    except TypeError:  # an unhashable timestamp (a list, an object): never a valid one
        ts = None
    if ts is None:
        return rejection(RejectionReason.BAD_TIMESTAMP, _("时间 %(ts)s 无法识别，应为 ISO 8601 或 Unix 时间戳") % {
            "ts": str(reading.ts)[:40]})
    if ts > received_at + FUTURE_TOLERANCE:
        return rejection(RejectionReason.FUTURE_TIMESTAMP, _("时间 %(ts)s 超前于接收时间") % {
            "ts": timezone.localtime(ts).isoformat()})
    return store.Point(entry.series[reading.metric], ts, value)


def _bound(limit: float | None) -> str:
    return "—" if limit is None else f"{limit:g}"


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _timestamp(raw, received_at: datetime) -> datetime | None:
    if raw is None:
        return received_at
    try:
        if isinstance(raw, datetime):
            moment = raw
        elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
            seconds = raw / 1000 if raw > 1e11 else raw  # epoch milliseconds or seconds
            moment = datetime.fromtimestamp(seconds, UTC)
        elif isinstance(raw, str):
            moment = datetime.fromisoformat(raw.strip())
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DEVICE_LOCAL_ZONE)
    moment = moment.astimezone(UTC)
    return moment if moment >= EARLIEST else None


def _evaluate_rules(stored_points) -> None:
    """Alarm rules on the newly stored readings; a failing rule never costs the readings (savepoint)."""
    if not stored_points or not active_rules().rules:
        return
    observations = []
    keep, entry_of = observations.append, directory.by_series
    new_observation = functools.partial(tuple.__new__, Observation)  # Observation(...) less its Python-level __new__
    for point in stored_points:
        entry = entry_of(point.series_id)
        if entry is not None:
            keep(new_observation((SUBJECT_KIND, entry.pk, entry.type_code, entry.metric_of_series[point.series_id],
                                  point.ts, point.value)))
    try:
        with transaction.atomic():
            evaluate(observations)
    except Exception:  # noqa: BLE001 — stored data must survive a broken rule; the error is logged for the admin
        log.exception("alarm rule evaluation failed for %d readings; the readings are kept", len(observations))


def _mark_seen(entries: dict[str, DeviceEntry], points, received_at: datetime) -> None:
    """Devices' last_seen_at, written at most every LAST_SEEN_PRECISION_SECONDS per device."""
    now = received_at.timestamp()
    seen_series = {point.series_id for point in points}
    stale = [entry for entry in entries.values() if entry.active and now - entry.last_seen_written >=
             LAST_SEEN_PRECISION_SECONDS and seen_series.intersection(entry.series.values())]
    if not stale:
        return
    Device.objects.filter(pk__in=[entry.pk for entry in stale]).update(last_seen_at=received_at)
    for entry in stale:
        entry.last_seen_written = now


def count_rejections(rejected: list[RejectedReading], entries: dict[str, DeviceEntry], at: datetime) -> None:
    """Add the rejections to each (device code, reason) counter, keeping the latest example; one statement."""
    counts: Counter = Counter()
    details: dict[tuple[str, str], str] = {}
    for rejection in rejected:
        key = (_storable_code(rejection.device_code), rejection.reason)
        counts[key] += rejection.times
        details[key] = rejection.detail[:300]
    stamp = connection.ops.adapt_datetimefield_value(at)
    rows = []
    for (code, reason), count in counts.items():
        entry = entries.get(code)
        rows.append((entry.pk if entry else None, code, reason, count, stamp, stamp, details[(code, reason)]))
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO iot_rejection (device_id, device_code, reason, count, first_at, last_at, last_detail) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (device_code, reason) DO UPDATE SET "
            "count = iot_rejection.count + excluded.count, last_at = excluded.last_at, "
            "last_detail = excluded.last_detail, device_id = excluded.device_id", rows)


def _storable_code(code: str) -> str:
    try:
        code_validator(code)
    except Exception:  # noqa: BLE001 — any invalid code is counted under one bucket
        return INVALID_CODE
    return code
