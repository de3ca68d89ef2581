"""The grid worker's page, made for a phone: today's verifications and their own recent reports, 上报问题
(GPS position or a tap on the map, camera photos, class, description) with the possible duplicates shown
before filing, and 核查 of a handled case on site (pass, or fail with a note and photos)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.kernel.audit.service import Conflict
from bohai.kernel.pages.access import staff_required

from .. import actions, queries
from ..forms import ProblemForm, photo_errors, take_errors
from ..models import Case, PhotoStage, Source, Track

RECENT_REPORTS = 10


def _grid_worker(request):
    if not queries.holds_role(request.user, "grid_worker"):
        raise PermissionDenied(_("网格巡查页面供网格员使用"))


def map_layers_around(region) -> list[str]:
    """The county of the region and its townships: what a grid worker walks."""
    county = queries.county_of(region)
    if county is None:
        city = queries.city_region()
        return [f"/api/v1/regions/geojson?level=county&parent={city.key}"] if city else []
    return [f"/api/v1/regions/geojson?key={county.key}", f"/api/v1/regions/geojson?level=township&parent={county.key}"]


def _page(request, form: ProblemForm, *, status: int = 200, **extra):
    region = queries.home_region(request.user)
    tasks = queries.verifications_for(request.user)
    return render(request, "cases/grid.html", {
        "form": form, "tasks": tasks, "now": timezone.now(), "region": region,
        "reports": queries.placed(Case.objects.filter(reporter=request.user))[:RECENT_REPORTS],
        "tree": queries.class_tree(), "layers": map_layers_around(region), "location_errors": [], "photo_errors": [],
        **extra,
    }, status=status)


@staff_required
def grid(request):
    _grid_worker(request)
    if request.method != "POST":
        same = request.GET.get("same", "").strip()
        if same and Case.objects.restrict(request.user, "view").filter(number=same).exists():
            messages.info(request, _("未重复上报：该问题已有案件 %(number)s，正在按流程办理。") % {"number": same})
            return redirect("cases:grid")
        return _page(request, ProblemForm(under=queries.county_of(queries.home_region(request.user))))
    form = ProblemForm(request.POST, under=queries.county_of(queries.home_region(request.user)))
    form.is_valid()
    try:
        case = actions.report_case(
            actor=request.user, track=Track.CITY, source=Source.PATROL, description=form.data.get("description", ""),
            photos=request.FILES.getlist("photos"), case_class=queries.minor_class(form.data.get("case_class")),
            lng=form.value("lng"), lat=form.value("lat"), address=form.value("address") or "",
            region=queries.region_by_key(form.data.get("region")))
    except ValidationError as error:
        others = take_errors(form, error)
        return _page(request, form, status=422, location_errors=others.pop("location", []),
                     photo_errors=photo_errors(others), report_open=True)
    messages.success(request, _("已上报，案件编号 %(number)s（%(place)s）。") % {
        "number": case.number, "place": queries.public_place(case)})
    return redirect("cases:grid")


@staff_required
@require_POST
def duplicates(request):
    """The draft's possible duplicates (htmx, while the worker fills the form), and where the point lies."""
    _grid_worker(request)
    found, place = queries.draft_duplicates(
        request.user, description=request.POST.get("description", ""),
        case_class=queries.minor_class(request.POST.get("case_class")), lng=request.POST.get("lng"),
        lat=request.POST.get("lat"))
    return render(request, "cases/grid_duplicates.html", {"found": found, "place": place,
                                                          "located": request.POST.get("lng") not in (None, "")})


@staff_required
def verify(request, pk: int):
    """核查 on site: the case as handled, with its photos; pass closes it, fail sends it back to the unit."""
    _grid_worker(request)
    case = queries.placed(Case.objects, "organisation").get_in_scope(request.user, "change", pk=pk)
    task = queries.open_task_for(request.user, case, "verify")
    errors, values = {}, {}
    if request.method == "POST":
        values = {"note": request.POST.get("note", ""), "passed": request.POST.get("passed", "")}
        if task is None:
            messages.error(request, _("该案件当前没有您的核查任务。"))
            return redirect("cases:grid")
        try:
            actions.verify_case(case, actor=request.user, passed=values["passed"] == "1", note=values["note"],
                                photos=request.FILES.getlist("photos"))
        except ValidationError as error:
            errors = dict(error.message_dict)
            errors["photos"] = photo_errors(errors)
        except (Conflict, PermissionDenied) as refusal:
            messages.error(request, str(refusal))
            return redirect("cases:grid")
        else:
            messages.success(request, (_("%(number)s 核查通过，已结案。") if values["passed"] == "1"
                                       else _("%(number)s 核查未通过，已退回处置单位返工。")) % {"number": case.number})
            return redirect("cases:grid")
    photos = case.photos.select_related("stored_file")
    return render(request, "cases/grid_verify.html", {
        "case": case, "task": task, "now": timezone.now(), "errors": errors, "values": values,
        "report_photos": [p for p in photos if p.stage == PhotoStage.REPORT],
        "handled_photos": [p for p in photos if p.stage == PhotoStage.HANDLED],
        "handling_note": queries.latest_handling_note(case), "place": queries.public_place(case),
        "layers": map_layers_around(case.township or case.county),
    }, status=422 if errors else 200)
