"""What the ingestion pipeline needs to know about devices, cached per process.

Looking a device up for every reading would cost a query per message; the directory keeps, per device code,
its type's metrics and ranges, its status, its token digest and its series ids, and refreshes an entry after
`TTL`. Actions that change a device call `forget(code)` after commit, so the process that made the change sees
it at once; other processes see it within `TTL` (a retired device may send for up to that long over HTTP; the
broker's ACL, synced on commit, stops it over MQTT). Unknown codes are remembered briefly too, so that a flood
from an unregistered device does not become a flood of queries.
"""
import threading
import time
from dataclasses import dataclass, field

from bohai.engines.telemetry import store
from bohai.engines.telemetry.models import Series

from .models import Device, DeviceStatus, MetricSpec

TTL_SECONDS = 30.0
UNKNOWN_TTL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class MetricRange:
    minimum: float | None
    maximum: float | None

    def admits(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


@dataclass(slots=True)
class DeviceEntry:
    pk: int
    code: str
    type_code: str
    active: bool
    token_digest: str
    ranges: dict[str, MetricRange]
    series: dict[str, int]
    loaded_at: float
    last_seen_written: float = 0.0
    metric_of_series: dict[int, str] = field(default_factory=dict)


class DeviceDirectory:
    def __init__(self):
        self._entries: dict[str, DeviceEntry] = {}
        self._unknown: dict[str, float] = {}
        self._by_series: dict[int, DeviceEntry] = {}
        self._lock = threading.Lock()

    def entries_for(self, codes) -> dict[str, DeviceEntry]:
        now = time.monotonic()
        found, missing = {}, []
        for code in codes:
            entry = self._entries.get(code)
            if entry is not None and now - entry.loaded_at < TTL_SECONDS:
                found[code] = entry
            elif now - self._unknown.get(code, -UNKNOWN_TTL_SECONDS) >= UNKNOWN_TTL_SECONDS:
                missing.append(code)
        if missing:
            found.update(self._load(missing, now))
        return found

    def by_series(self, series_id: int) -> DeviceEntry | None:
        return self._by_series.get(series_id)

    def forget(self, code: str) -> None:
        with self._lock:
            self._entries.pop(code, None)
            self._unknown.pop(code, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._unknown.clear()
            self._by_series.clear()

    def _load(self, codes: list[str], now: float) -> dict[str, DeviceEntry]:
        loaded = {}
        for start in range(0, len(codes), 500):
            loaded.update(self._load_chunk(codes[start:start + 500], now))
        with self._lock:
            for code in codes:
                if code in loaded:
                    entry = loaded[code]
                    previous = self._entries.get(code)
                    if previous is not None:
                        entry.last_seen_written = previous.last_seen_written
                    self._entries[code] = entry
                    self._unknown.pop(code, None)
                    for series_id in entry.series.values():
                        self._by_series[series_id] = entry
                else:
                    self._entries.pop(code, None)
                    self._unknown[code] = now
        return loaded

    def _load_chunk(self, codes: list[str], now: float) -> dict[str, DeviceEntry]:
        rows = list(Device.objects.filter(code__in=codes).values_list(
            "pk", "code", "device_type_id", "device_type__code", "status", "token_digest"))
        ranges = _ranges_by_type({row[2] for row in rows})
        known = _series_by_source([row[0] for row in rows])
        entries = {}
        for pk, code, type_id, type_code, status, digest in rows:
            type_ranges = ranges.get(type_id, {})
            series = known.get(pk, {})
            if set(type_ranges) - set(series):  # a device's first reading, or a metric added to its type
                series = store.series_ids(pk, type_ranges.keys())
            entry = DeviceEntry(pk=pk, code=code, type_code=type_code, active=status == DeviceStatus.ACTIVE,
                                token_digest=digest, ranges=type_ranges, series=series, loaded_at=now)
            entry.metric_of_series = {series_id: metric for metric, series_id in series.items()}
            entries[code] = entry
        return entries


def _series_by_source(source_ids: list[int]) -> dict[int, dict[str, int]]:
    """The series already created for these devices, in one query (a cold start sees thousands of devices)."""
    found: dict[int, dict[str, int]] = {}
    for pk, source_id, metric in Series.objects.filter(source_id__in=source_ids).values_list("pk", "source_id", "metric"):
        found.setdefault(source_id, {})[metric] = pk
    return found


def _ranges_by_type(type_ids) -> dict[int, dict[str, MetricRange]]:
    ranges: dict[int, dict[str, MetricRange]] = {}
    for type_id, code, minimum, maximum in MetricSpec.objects.filter(device_type_id__in=type_ids).values_list(
            "device_type_id", "code", "minimum", "maximum"):
        ranges.setdefault(type_id, {})[code] = MetricRange(minimum, maximum)
    return ranges


directory = DeviceDirectory()
