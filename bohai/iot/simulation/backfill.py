"""Past history written straight through the ingestion pipeline, in big batches, so that charts have a day of
data before the live simulator's first message. The pipeline stores idempotently, so a repeated backfill of the
same window adds nothing."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ..ingestion import IncomingReading, ingest
from .signals import DeviceSignal

BATCH_READINGS = 20_000
CHANNEL = "simulator"


@dataclass
class BackfillReport:
    readings: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


def backfill(signals: list[DeviceSignal], *, hours: float, interval_seconds: int, until: datetime | None = None,
             progress=None) -> BackfillReport:
    """Readings of every device from `hours` before `until` (now) up to it, one every `interval_seconds`
    (each device's start shifted a little, as real devices are not synchronised)."""
    until = until or timezone.now()
    start = until - timedelta(hours=hours)
    report = BackfillReport()
    batch: list[IncomingReading] = []
    steps = int(hours * 3600 // interval_seconds)
    for step in range(steps + 1):
        base = start + timedelta(seconds=step * interval_seconds)
        for signal in signals:
            ts = base + timedelta(seconds=_offset(signal.code, interval_seconds))
            if ts > until:
                continue
            values = signal.values(ts)
            if values is None:
                continue
            iso = ts.isoformat()
            batch.extend(IncomingReading(signal.code, metric, iso, value) for metric, value in values.items())
        if len(batch) >= BATCH_READINGS:
            _flush(batch, report, progress)
    _flush(batch, report, progress)
    return report


def _offset(code: str, interval_seconds: int) -> int:
    return sum(code.encode()) * 7 % max(int(interval_seconds), 1)


def _flush(batch: list, report: BackfillReport, progress) -> None:
    if not batch:
        return
    outcome = ingest(batch, channel=CHANNEL)
    report.readings += len(batch)
    report.accepted += outcome.accepted
    report.duplicates += outcome.duplicates
    report.rejected += len(outcome.rejected)
    if progress is not None:
        progress(len(batch))
    batch.clear()
