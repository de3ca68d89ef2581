from datetime import timedelta

from django.utils import timezone

from bohai.kernel.jobs.registry import job, periodic

from .partitions import ensure_upcoming_partitions


@periodic(every=timedelta(hours=6))
@job("telemetry.partitions")
def create_upcoming_partitions() -> dict:
    """Monthly partitions of the raw table for this month and the next three (PostgreSQL; nothing on SQLite)."""
    return {"created": ensure_upcoming_partitions(timezone.now())}
