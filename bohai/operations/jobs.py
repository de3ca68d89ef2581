"""operations.compute_vital_signs (every five minutes): the city's vital signs from telemetry and the registers."""
from datetime import timedelta

from django.utils import timezone

from bohai.kernel.jobs.registry import job, periodic

from .actions import compute_vital_signs

EVERY = timedelta(minutes=5)


@periodic(every=EVERY)
@job("operations.compute_vital_signs", lease=timedelta(minutes=4))
def compute_vital_signs_now() -> dict:
    at = timezone.now().replace(second=0, microsecond=0)
    return {"at": at.isoformat(), "rows": compute_vital_signs(at)}


@periodic(every=timedelta(minutes=1))
@job("operations.refresh_map_cells", lease=timedelta(minutes=1))
def refresh_map_cells() -> dict:
    from .clusters import refresh_cells

    return {"cells": refresh_cells()}
