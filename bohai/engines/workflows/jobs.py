from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .deadlines import raise_warnings


@periodic(every=timedelta(minutes=1))
@job("workflows.deadlines")
def check_deadlines() -> dict:
    return raise_warnings(actor="system:deadlines")
