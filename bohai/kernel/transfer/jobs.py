from datetime import timedelta

from bohai.kernel.jobs.registry import job

from .actions import IMPORT_JOB, run_queued_import


# Once only: a second attempt would find the first attempt's rows registered and report them as duplicates.
@job(IMPORT_JOB, max_attempts=1, lease=timedelta(hours=3))
def import_kept_file(run_id: int) -> dict | None:
    run = run_queued_import(run_id)
    if run is None:
        return None
    return {"status": run.status, "imported": run.imported_count, "rejected": run.rejected_count}
