"""Imports and exports over the API: /api/v1/transfer/…"""
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers

from . import actions, exporting
from .importers import IMPORTERS
from .models import ImportRun
from .views import export_response, exportable_kinds

router = Router()


class RowErrorOut(Schema):
    line: int
    field: str
    column: str
    value: str
    reason: str


class ImportRunOut(Schema):
    id: int
    kind: str
    file_name: str
    file_format: str
    file_size: int
    digest: str
    status: str
    total_rows: int
    imported_count: int
    rejected_count: int
    duplicate_count: int
    failure: str
    actor_label: str
    started_at: datetime
    finished_at: datetime | None


class ImportRunDetail(ImportRunOut):
    errors: list[RowErrorOut]
    errors_truncated: bool


def _runs_of(user):
    return ImportRun.objects.all() if user.is_superuser else ImportRun.objects.filter(actor=user)


@router.get("/export/{kind}", summary="导出人口或法人（仅权限范围内，脱敏）", response={200: None})
def export(request, kind: str, file_format: str = Query("csv", alias="format"), region: str = ""):
    """`kind`: persons 或 entities；`format`: csv（流式）或 xlsx；`region`: 区划标识或代码（含下级）。"""
    if kind not in exporting.SPECS:
        raise Http404
    if kind not in exportable_kinds(request.user):
        raise PermissionDenied(_("没有查看该类数据的权限"))
    return export_response(exporting.begin_export(kind, actor=request.user, file_format=file_format, region=region))


@router.post("/import/{kind}", response={201: ImportRunDetail}, summary="导入人口或法人（CSV 或 XLSX）")
def import_upload(request, kind: str, file: UploadedFile = File(...)):
    """小文件当即导入并返回结果；大文件检查通过后排队（status 为 queued），用 GET /imports/{id} 查看进度。"""
    if kind not in IMPORTERS:
        raise Http404
    if not request.user.has_perm(IMPORTERS[kind].permission):
        raise PermissionDenied(_("没有导入该类数据的权限"))
    return Status(201, actions.import_upload(kind, file, actor=request.user))


@router.get("/imports", response=list[ImportRunOut], summary="导入记录（本人发起的）")
@paginate(PageNumbers)
def list_imports(request):
    return _runs_of(request.user)


@router.get("/imports/{int:run_id}", response=ImportRunDetail, summary="导入结果与错误明细")
def get_import(request, run_id: int):
    run = _runs_of(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run
