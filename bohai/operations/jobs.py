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
