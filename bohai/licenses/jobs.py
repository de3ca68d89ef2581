from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .actions import expire_due_licenses

ACTOR = "system:licenses.expire"


@periodic(every=timedelta(hours=1))
@job("licenses.expire_due")
def expire_due() -> dict:
    """Hourly, so a licence is marked expired within the hour after its last valid day ends."""
    return {"expired": expire_due_licenses(actor=ACTOR)}
