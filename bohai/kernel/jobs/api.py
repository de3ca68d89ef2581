"""Job status for administrators and departmental monitoring: GET /api/v1/jobs/ and /api/v1/jobs/{id}."""
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers, apply_ordering

from .models import Job

router = Router()

ORDERING_FIELDS = {"id", "name", "status", "run_after", "created_at", "finished_at"}


class JobSummary(Schema):
    id: int
    name: str
    status: str
    attempts: int
    max_attempts: int
    run_after: datetime
    worker: str
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class JobDetail(JobSummary):
    arguments: dict[str, Any]
    result: Any = None
    error: str
    log: str


def _require_job_viewer(request) -> None:
    if not request.user.has_perm("jobs.view_job"):
        raise PermissionDenied(_("没有查看后台任务的权限"))


@router.get("/", response=list[JobSummary], summary="后台任务列表")
@paginate(PageNumbers)
def list_jobs(request, status: str | None = None, name: str | None = None, ordering: str | None = None):
    _require_job_viewer(request)
    jobs = Job.objects.all()
    if status:
        if status not in Job.Status.values:
            raise ValidationError({"status": [_("可选：%(values)s") % {"values": ", ".join(Job.Status.values)}]})
        jobs = jobs.filter(status=status)
    if name:
        jobs = jobs.filter(name=name)
    return apply_ordering(jobs, ordering, ORDERING_FIELDS)


@router.get("/{int:job_id}", response=JobDetail, summary="后台任务详情（含日志）")
def get_job(request, job_id: int):
    _require_job_viewer(request)
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job
