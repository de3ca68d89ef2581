"""The broker-sync job; `bohai/iot/jobs.py` imports this module so that every job worker knows it."""
from bohai.kernel.jobs.registry import job

from .broker import SYNC_JOB, sync_broker_credentials


@job(SYNC_JOB, max_attempts=5)
def sync_broker() -> dict:
    return {"devices": sync_broker_credentials()}
