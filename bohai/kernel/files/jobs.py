from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from .actions import remove_orphan_files


@periodic(every=timedelta(hours=6))
@job("files.remove_orphans")
def remove_orphans() -> dict:
    return remove_orphan_files(actor="system:files")
