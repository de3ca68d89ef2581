from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .sweeps import escalate_overdue, raise_silent


@periodic(every=timedelta(minutes=1))
@job("alarms.raise_silent", lease=timedelta(minutes=5))
def check_silent_subjects() -> dict:
    return raise_silent()


@periodic(every=timedelta(minutes=1))
@job("alarms.escalate", lease=timedelta(minutes=5))
def escalate_unacknowledged() -> dict:
    return escalate_overdue()
