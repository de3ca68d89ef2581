"""The broker's jobs; `bohai/iot/jobs.py` imports this module so that every job worker knows them."""
from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .broker import SYNC_JOB, sync_broker_credentials
from .refusals import collect_refusals

COLLECT_REFUSALS_JOB = "iot.collect_broker_refusals"


@job(SYNC_JOB, max_attempts=5)
def sync_broker() -> dict:
    return {"devices": sync_broker_credentials()}


@periodic(every=timedelta(minutes=1))
@job(COLLECT_REFUSALS_JOB)
def collect_broker_refusals() -> dict:
    return collect_refusals().as_dict()
