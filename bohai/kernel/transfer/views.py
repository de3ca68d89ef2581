"""Workbench pages: upload an import, read its result, download its error report; export the registers."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from bohai.kernel.regions.models import Region

from . import exporting
from .actions import import_upload
from .forms import ExportFilterForm, ImportForm, importable_kinds
from .importers import IMPORTERS
from .models import ImportRun
from .report import error_report, report_file_name

RECENT_RUNS = 20
ERRORS_SHOWN = 500


def _require_import_permission(user) -> None:
    if not importable_kinds(user):
        raise PermissionDenied(_("没有导入人口或法人数据的权限"))


@login_required
def import_page(request):
    _require_import_permission(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = import_upload(form.cleaned_data["kind"], upload, actor=request.user)
        except ValidationError as refused:
            for reasons in refused.message_dict.values():
                for reason in reasons:
                    form.add_error("file", reason)
        else:
            return redirect("transfer:import_result", pk=run.pk)
    return render(request, "transfer/import.html", {
        "form": form,
        "runs": _runs_of(request.user)[:RECENT_RUNS],
        "columns": {kind: IMPORTERS[kind].columns for kind, _label in importable_kinds(request.user)},
    })


def _runs_of(user):
    runs = ImportRun.objects.select_related("actor")
    return runs if user.is_superuser else runs.filter(actor=user)


def _run_for(user, pk: int) -> ImportRun:
    """The run if the user started it (or is a superuser); otherwise it does not exist for them."""
    return get_object_or_404(_runs_of(user), pk=pk)


@login_required
def import_result(request, pk: int):
    _require_import_permission(request.user)
    run = _run_for(request.user, pk)
    return render(request, "transfer/import_result.html", {
        "run": run, "errors": run.errors[:ERRORS_SHOWN], "errors_hidden": max(0, len(run.errors) - ERRORS_SHOWN),
    })


@login_required
def import_report(request, pk: int):
    _require_import_permission(request.user)
    run = _run_for(request.user, pk)
    return FileResponse(error_report(run), as_attachment=True, filename=report_file_name(run),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def exportable_kinds(user) -> list[str]:
    return [kind for kind, spec in exporting.SPECS.items()
            if user.has_perm(f"{spec.model._meta.app_label}.view_{spec.model._meta.model_name}")]


@login_required
def export_page(request):
    kinds = exportable_kinds(request.user)
    if not kinds:
        raise PermissionDenied(_("没有查看人口或法人数据的权限"))
    form = ExportFilterForm(request.GET or None)
    region = request.GET.get("region", "").strip()
    return render(request, "transfer/export.html", {
        "form": form, "kinds": [exporting.SPECS[kind] for kind in kinds], "formats": exporting.FORMATS,
        "region": region, "region_name": Region.objects.filter(code=region).values_list("name", flat=True).first(),
    })


@login_required
def export_file(request, kind: str, file_format: str):
    if kind not in exportable_kinds(request.user):
        raise PermissionDenied(_("没有查看该类数据的权限"))
    try:
        export = exporting.begin_export(kind, actor=request.user, file_format=file_format,
                                        region=request.GET.get("region", "").strip())
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect(f"{reverse('transfer:export')}?{urlencode({'region': request.GET.get('region', '')})}")
    return export_response(export)


def export_response(export: exporting.Export):
    if export.file_format == "csv":
        response = StreamingHttpResponse(exporting.csv_chunks(export), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
        return response
    return FileResponse(exporting.xlsx_file(export), as_attachment=True, filename=export.file_name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
