"""Workbench pages of the cases system: 12345 intake with the live dispatch suggestion, the user's queue
across the stages of both tracks, the cases in scope, and the case page with its map, photos (served after
the scope check), timeline, suggestions, possible duplicates and the action panel of the user's open task."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowTask
from bohai.engines.workflows.queries import can_act
from bohai.kernel.audit.service import Conflict
from bohai.kernel.files.reading import StoredFileUnavailable, file_response
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.spatial import locate

from .. import actions, dispatch, queries
from ..duplicates import possible_duplicates
from ..forms import (
    CaseFilterForm, ExtensionForm, FollowUpForm, HotlineForm, NoteForm, QueueFilterForm, ReasonForm, photo_errors,
    take_errors,
)
from ..models import Case, CaseClass, ExtensionRequest, ExtensionStatus, PhotoStage, Source, Status, Track, Urgency
from .grid import map_layers_around
from .portal import map_layers_for_city

PAGE_SIZE = 50
MIN_SUGGEST_TEXT = 4


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


# 12345 受理 ---------------------------------------------------------------------------------------------------

@staff_required
def hotline_new(request):
    """Fast keyboard intake. 受理 creates the appeal; 受理并派单 also routes it to the chosen suggestion's unit."""
    if not queries.holds_role(request.user, "hotline_operator"):
        raise PermissionDenied(_("12345 受理页面供热线话务员使用"))
    form = HotlineForm(request.POST or None)
    context = {"form": form, "layers": map_layers_for_city(), "location_errors": [], "other_errors": [],
               "recent": Case.objects.filter(reporter=request.user, track=Track.HOTLINE)
               .select_related("case_class", "organisation")[:8]}
    if request.method != "POST":
        return render(request, "cases/hotline_new.html", context)
    if not form.is_valid():
        return render(request, "cases/hotline_new.html", context, status=422)
    data = form.cleaned_data
    topic = queries.minor_class(data.get("case_class"))
    try:
        case = actions.report_case(
            actor=request.user, track=Track.HOTLINE, source=Source.HOTLINE, description=data.get("description") or "",
            appeal_type=data.get("appeal_type") or "", case_class=topic, lng=data.get("lng"), lat=data.get("lat"),
            address=data.get("address") or "", region=queries.region_by_key(data.get("region")),
            urgency=data.get("urgency") or Urgency.NORMAL, caller_name=data.get("caller_name") or "",
            caller_phone=data.get("caller_phone") or "")
    except ValidationError as error:
        others = take_errors(form, error)
        context["location_errors"] = others.pop("location", [])
        context["other_errors"] = [m for messages_ in others.values() for m in messages_]
        return render(request, "cases/hotline_new.html", context, status=422)
    if request.POST.get("command") == "route":
        _route_now(request, case, request.POST.get("route", ""), topic)
    else:
        messages.success(request, _("已受理，工单号 %(number)s，待派单。") % {"number": case.number})
    return redirect("cases:hotline_new")


def _route_now(request, case: Case, route: str, topic: CaseClass | None) -> None:
    """派单 right after intake: `route` is "<class code>|<unit id>" from the suggestion the operator kept."""
    code, _sep, unit_id = route.partition("|")
    unit = Organisation.objects.filter(pk=unit_id).first() if unit_id.isdigit() else None
    if unit is None:
        messages.warning(request, _("已受理，工单号 %(number)s；未选择派单单位，待派单。") % {"number": case.number})
        return
    case_class = topic or queries.minor_class(code)
    try:
        actions.dispatch_case(case, organisation=unit, case_class=case_class, actor=request.user)
    except (Conflict, PermissionDenied, ValidationError) as refusal:
        messages.warning(request, _("已受理，工单号 %(number)s；未能派单：%(reason)s") % {
            "number": case.number, "reason": _reason(refusal)})
    else:
        messages.success(request, _("已受理并派单：工单号 %(number)s → %(unit)s。") % {"number": case.number, "unit": unit.name})


def _reason(refusal) -> str:
    if isinstance(refusal, ValidationError):
        return "；".join(refusal.messages)
    return str(refusal) or _("您不是该环节的办理人")


@staff_required
@require_POST
def suggest(request):
    """The dispatch suggestion for the text being typed, as the HTML the intake page swaps in (htmx); systems
    and scripts ask POST /api/v1/cases/suggest for the same suggestion as JSON. A topic the operator picked
    comes first, with its unit at the place."""
    if not (request.user.has_perm("cases.add_case") or request.user.has_perm("cases.dispatch_case")):
        raise PermissionDenied
    text = (request.POST.get("description") or "").strip()
    region = queries.region_by_key(request.POST.get("region"))
    try:
        lng, lat = float(request.POST.get("lng", "")), float(request.POST.get("lat", ""))
    except ValueError:
        pass
    else:
        located = locate(lng, lat)
        region = located.deepest if located else region
    suggestions = dispatch.suggest(text, region) if len(text) >= MIN_SUGGEST_TEXT else []
    chosen = queries.minor_class(request.POST.get("case_class"))
    if chosen is not None:
        unit = dispatch.responsible_unit(chosen.department, region)
        suggestions = [dispatch.Suggestion(chosen.code, chosen.name, None, chosen.department, unit.pk if unit else None,
                                           unit.name if unit else ""),
                       *[s for s in suggestions if s.class_code != chosen.code]][:3]
    return render(request, "cases/suggestions.html", {
        "suggestions": suggestions, "too_short": len(text) < MIN_SUGGEST_TEXT, "region": region})


# The queue ------------------------------------------------------------------------------------------------------

@staff_required
def queue(request):
    _require(request.user, "cases.change_case")
    form = QueueFilterForm(request.GET or None)
    tasks = queries.case_tasks(request.user)
    counts = {row: 0 for row in ("all", "yellow", "red")}
    chosen = form.cleaned_data if form.is_valid() else {}
    if chosen.get("stage"):
        tasks = tasks.filter(stage_key=chosen["stage"])
    if chosen.get("track"):
        tasks = tasks.filter(instance__subject_id__in=Case.objects.filter(track=chosen["track"]).values("pk"))
    counts.update(all=tasks.count(), yellow=tasks.filter(warning=1).count(), red=tasks.filter(warning=2).count())
    if chosen.get("warning") in ("0", "1", "2"):
        tasks = tasks.filter(warning=int(chosen["warning"]))
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.with_cases(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/queue.html", {
        "page": page, "form": form, "counts": counts, "now": timezone.now(), "query_string": query.urlencode(),
    })


# Cases in scope -----------------------------------------------------------------------------------------------

@staff_required
def cases(request):
    _require(request.user, "cases.view_case")
    form = CaseFilterForm(request.GET or None)
    found = queries.placed(Case.objects.restrict(request.user, "view"), "organisation")
    chosen = form.cleaned_data if form.is_valid() else {}
    if chosen.get("q"):
        word = chosen["q"].strip()
        found = found.filter(Q(number=word.upper()) | Q(description__contains=word))
    if chosen.get("track"):
        found = found.filter(track=chosen["track"])
    if chosen.get("status"):
        found = found.filter(status=chosen["status"])
    if chosen.get("case_class"):
        found = found.filter(Q(case_class__code=chosen["case_class"]) | Q(case_class__parent__code=chosen["case_class"]))
    if chosen.get("region"):
        region = queries.region_by_key(chosen["region"])
        found = found.filter(region__path__startswith=region.path) if region else found.none()
    if chosen.get("overdue"):
        found = found.filter(queries.overdue_condition())
    if chosen.get("since"):
        found = found.filter(reported_at__date__gte=chosen["since"])
    if chosen.get("until"):
        found = found.filter(reported_at__date__lte=chosen["until"])
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/work_cases.html", {
        "page": page, "form": form, "now": timezone.now(), "query_string": query.urlencode(),
    })


# The case page ---------------------------------------------------------------------------------------------------

def _in_scope(request, pk: int, action: str = "view") -> Case:
    cases = queries.without_boundaries(queries.placed(Case.objects, "case_class__parent", "grid", "region", "organisation",
                                                      "workflow", "reporter", "duplicate_of"), "grid", "region")
    return cases.get_in_scope(request.user, action, pk=pk)


@staff_required
def case(request, pk: int):
    _require(request.user, "cases.view_case")
    return _case_page(request, _in_scope(request, pk))


def _may_change(user, case: Case) -> bool:
    return user.has_perm("cases.change_case") and Case.objects.restrict(user, "change").filter(pk=case.pk).exists()


def _case_page(request, case: Case, *, bound: dict | None = None, status: int = 200):
    user = request.user
    open_tasks = list(queries.without_boundaries(WorkflowTask.objects.filter(
        instance_id=case.workflow_id, status=TaskStatus.OPEN).select_related("organisation", "region"), "region").order_by("id"))
    may_change = _may_change(user, case)
    paused = case.workflow is not None and case.workflow.status == InstanceStatus.PAUSED
    mine = [task for task in open_tasks if may_change and not paused and can_act(user, task)]
    supervising = may_change and user.has_perm("cases.file_case")
    stages = {task.stage_key for task in mine}
    photos = list(case.photos.select_related("stored_file"))
    suggestions = (case.suggestion or {}).get("top") or []
    undispatched = case.status in (Status.REPORTED, Status.ACCEPTED, Status.FILED)
    duplicates = []
    if case.status in (Status.REPORTED, Status.ACCEPTED, Status.FILED) or stages & {"file", "route"}:
        visible = Case.objects.restrict(user, "view")
        duplicates = [c for c in possible_duplicates(case) if visible.filter(pk=c.pk).exists()]
    bound = bound or {}
    return render(request, "cases/work_case.html", {
        "case": case, "open_tasks": open_tasks, "mine": mine, "stages": stages, "paused": paused, "now": timezone.now(),
        "timeline": queries.timeline(case, public=False),
        "photo_groups": [(label, [p for p in photos if p.stage == stage]) for stage, label in PhotoStage.choices
                         if any(p.stage == stage for p in photos)],
        "suggestions": suggestions if undispatched or stages & {"dispatch", "route"} else [],
        "duplicates": duplicates,
        "dispatch_task": next((t for t in mine if t.stage_key in ("dispatch", "route")), None),
        "merge_task": next((t for t in mine if t.stage_key in ("file", "route")), None),
        "units": queries.dispatch_units(case) if stages & {"dispatch", "route"} else [],
        "classes": queries.class_choices(queries.HOTLINE_KINDS if case.track == Track.HOTLINE else queries.CITY_KINDS),
        "chosen_unit": bound.get("organisation") or _suggested_unit(suggestions),
        "chosen_class": bound.get("case_class") or (case.case_class.code if case.case_class else
                                                    (suggestions[0]["class_code"] if suggestions else "")),
        "pending_extension": case.extensions.filter(status=ExtensionStatus.PENDING).first() if supervising else None,
        "may_defer": supervising and case.status in (Status.HANDLING, Status.DISPATCHED),
        "may_resume": supervising and case.status == Status.DEFERRED,
        "extension_open": case.extensions.filter(status=ExtensionStatus.PENDING).exists(),
        "bound": bound, "errors": bound.get("errors", {}),
        "reason_form": ReasonForm(), "note_form": NoteForm(), "extension_form": bound.get("extension_form") or ExtensionForm(),
        "follow_up_form": bound.get("follow_up_form") or FollowUpForm(),
        "layers": map_layers_around(case.region), "urgencies": Urgency.choices,
        "handling_note": queries.latest_handling_note(case),
    }, status=status)


def _suggested_unit(suggestions) -> str:
    return str(suggestions[0]["organisation_id"]) if suggestions and suggestions[0].get("organisation_id") else ""


@staff_required
def photo(request, pk: int, photo_pk: int):
    """A case photo, for staff who may see the case (shown inline, never cached by the browser)."""
    _require(request.user, "cases.view_case")
    case = _in_scope(request, pk)
    item = get_object_or_404(case.photos.select_related("stored_file"), pk=photo_pk)
    try:
        return file_response(item.stored_file, download_name=f"{case.number}-{item.stage}-{item.pk}",
                             as_attachment=False)
    except StoredFileUnavailable as problem:
        messages.error(request, str(problem))
        return redirect("cases:work_case", pk=pk)


# The action panel ----------------------------------------------------------------------------------------------------

COMMAND_STAGES = {
    "file": ("file",), "refuse": ("file", "route"), "merge": ("file", "route"), "dispatch": ("dispatch", "route"),
    "sign": ("sign",), "send_back": ("sign", "handle"), "handled": ("handle",), "extend": ("handle",),
    "verify": ("verify",), "follow_up": ("follow_up",),
}
SUPERVISOR_COMMANDS = ("defer", "resume", "approve_extension", "refuse_extension")


@staff_required
@require_POST
def act(request, pk: int):
    """One button of the panel. The form carries the task and its version as the user saw them: a task done or
    changed since then answers with the conflict message instead of acting twice."""
    _require(request.user, "cases.change_case")
    case = _in_scope(request, pk, "change")
    command = request.POST.get("command", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        if command in SUPERVISOR_COMMANDS:
            bound = _supervise(request, case, command)
        elif command in COMMAND_STAGES:
            task = _posted_task(request, case, command)
            bound = _run(request, case, task, command, version)
        else:
            raise Conflict(_("未知操作"))
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect("cases:work_case", pk=pk)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal) or _("您不是当前环节的办理人"))
        return redirect("cases:work_case", pk=pk)
    if bound is not None:
        bound["command"] = command
        return _case_page(request, _in_scope(request, pk), bound=bound, status=422)
    return redirect("cases:work_case", pk=pk)


def _posted_task(request, case: Case, command: str) -> WorkflowTask:
    task_pk = request.POST.get("task", "")
    task = WorkflowTask.objects.filter(pk=task_pk if task_pk.isdigit() else 0, instance_id=case.workflow_id).first()
    if task is None or task.stage_key not in COMMAND_STAGES[command]:
        raise Conflict(_("该任务不在可办理的环节，请刷新后查看"))
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("该任务已由他人办理，请刷新后查看"))
    return task


def _same_version(task: WorkflowTask, version: int | None) -> None:
    """For actions that take no expected version: the task must be as the user saw it."""
    if version is not None and version != task.version:
        raise Conflict(_("该任务已由他人办理，请刷新后查看"))


def _errors(error: ValidationError) -> dict:
    found = dict(error.message_dict)
    pictures = photo_errors(found)
    if pictures:
        found["photos"] = pictures
    return {"errors": found}


def _run(request, case: Case, task: WorkflowTask, command: str, version: int | None) -> dict | None:
    user, post = request.user, request.POST
    values = {key: post.get(key, "") for key in ("reason", "note", "case_class", "organisation", "urgency", "passed")}
    try:
        if command == "file":
            _same_version(task, version)
            case_class = queries.minor_class(values["case_class"])
            actions.file_case(case, actor=user, case_class=case_class,
                              urgency=values["urgency"] if values["urgency"] in Urgency.values else None)
            messages.success(request, _("已立案：%(number)s") % {"number": case.number})
        elif command in ("refuse", "merge"):
            _same_version(task, version)
            into = None
            if command == "merge":
                into = Case.objects.restrict(user, "view").filter(pk=post.get("duplicate_of") or 0).first()
                if into is None:
                    return {"errors": {"duplicate_of": [_("请选择要并入的案件")]}, "values": values, **values}
            reason = values["reason"] or (_("与 %(number)s 为同一问题") % {"number": into.number} if into else "")
            actions.refuse_case(case, reason=reason, duplicate_of=into, actor=user)
            messages.success(request, _("已并入 %(number)s") % {"number": into.number} if into
                             else _("已作出不予立案决定：%(number)s") % {"number": case.number})
        elif command == "dispatch":
            unit = Organisation.objects.filter(pk=values["organisation"] if values["organisation"].isdigit() else 0).first()
            if unit is None:
                return {"errors": {"organisation": [_("请选择处置单位")]}, "values": values, **values}
            case_class = queries.minor_class(values["case_class"])
            actions.dispatch_case(case, organisation=unit, case_class=case_class, actor=user, expected_version=version)
            messages.success(request, _("已派遣至 %(unit)s") % {"unit": unit.name})
        elif command == "sign":
            _same_version(task, version)
            actions.sign_case(case, actor=user)
            messages.success(request, _("已签收：%(number)s，处置时限 %(due)s") % {
                "number": case.number, "due": _local(Case.objects.get(pk=case.pk).due_at)})
        elif command == "send_back":
            _same_version(task, version)
            actions.send_back(case, reason=values["reason"], actor=user)
            messages.success(request, _("已退回：%(number)s") % {"number": case.number})
        elif command == "handled":
            _same_version(task, version)
            actions.report_handled(case, actor=user, note=values["note"], photos=request.FILES.getlist("photos"))
            messages.success(request, _("已反馈处置结果：%(number)s") % {"number": case.number})
        elif command == "extend":
            form = ExtensionForm(post)
            if not form.is_valid():
                return {"extension_form": form}
            actions.request_extension(case, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"], actor=user)
            messages.success(request, _("已申请延期 %(days)d 个工作日，待监督中心审批") % {"days": form.cleaned_data["days"]})
        elif command == "verify":
            _same_version(task, version)
            passed = values["passed"] == "1"
            actions.verify_case(case, actor=user, passed=passed, note=values["note"], photos=request.FILES.getlist("photos"))
            messages.success(request, _("核查通过，已结案") if passed else _("核查未通过，已退回返工"))
        elif command == "follow_up":
            _same_version(task, version)
            form = FollowUpForm(post)
            if not form.is_valid():
                return {"follow_up_form": form}
            actions.follow_up(case, satisfaction=form.cleaned_data["satisfaction"], note=form.cleaned_data["note"],
                              actor=user)
            messages.success(request, _("回访完成，已办结：%(number)s") % {"number": case.number})
    except ValidationError as error:
        return {**_errors(error), "values": values, **values}
    return None


def _supervise(request, case: Case, command: str) -> dict | None:
    """The supervision centre's powers beside the stages: 挂账 and its end, and deciding on extensions."""
    user = request.user
    _require(user, "cases.file_case")
    try:
        if command == "defer":
            actions.defer_case(case, reason=request.POST.get("reason", ""), actor=user)
            messages.success(request, _("已挂账：%(number)s") % {"number": case.number})
        elif command == "resume":
            actions.resume_deferred(case, actor=user)
            messages.success(request, _("已恢复处置：%(number)s") % {"number": case.number})
        else:
            extension = get_object_or_404(ExtensionRequest, pk=request.POST.get("extension") or 0, case=case)
            actions.decide_extension(extension, approve=command == "approve_extension", actor=user)
            messages.success(request, _("已批准延期") if command == "approve_extension" else _("已不批准延期"))
    except ValidationError as error:
        return {**_errors(error), "values": {"reason": request.POST.get("reason", "")}}
    return None


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"

