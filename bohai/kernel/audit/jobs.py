from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .chain import seal_pending


@periodic(every=timedelta(seconds=5))
@job("audit.seal")
def seal_audit_records() -> dict:
    return {"sealed": seal_pending()}
