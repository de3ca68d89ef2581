"""Workbench pages of the services system: 一窗受理 at the window, the officer's queue, applications in
scope with their action panel, stored materials, and the rectification of bad reviews."""
import uuid

from django.contrib import messages
from django.core import signing
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.engines.workflows.models import InstanceStatus, TaskStatus, Warning, WorkflowTask
from bohai.engines.workflows.queries import can_act, tasks_for
from bohai.kernel.audit.service import Conflict
from bohai.kernel.files.reading import StoredFileUnavailable, file_response
from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.models import Level, Region

from .. import actions, queries
from ..actions.applications import license_prefill
from ..forms import DeclaredForm, IdentityLookupForm, OutcomeForm, RectificationAnswerForm, RejectForm
from ..models import (
    FINAL_STATUSES, REVIEW_DIMENSIONS, Application, Channel, Rating, Rectification, RectificationStatus, ServiceItem,
    Status,
)
from ..processes import ACCEPT_STAGE, ISSUE_STAGE
from .portal import _idempotency_key, _split_errors, _upload_limit, department_names

PAGE_SIZE = 50
WINDOW_SALT = "services.window.applicant"
WINDOW_TOKEN_SECONDS = 4 * 3600           # a window session: the applicant is identified again after this


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


# 一窗受理 ------------------------------------------------------------------------------------------

@staff_required
def window(request):
    """Identify the applicant, pick the item, fill the form and check the materials, submit (and accept).

    Every step is a POST and the applicant travels as a signed token, so the identity number appears
    neither in an address (logs, history) nor in the page beyond what the declared form asks."""
    _require(request.user, "services.add_application")
    context = {"lookup": IdentityLookupForm(), "person": None, "entity": None, "item": None, "token": "",
               "upload_limit": _upload_limit()}
    if request.method == "POST":
        if "identity" in request.POST:
            _window_lookup(request, context)
        else:
            _window_applicant(request, context)
        if context["person"] is not None or context["entity"] is not None:
            _window_item(request, context)
            if context["item"] is not None and "idempotency_key" in request.POST:
                done = _window_submit(request, context)
                if done is not None:
                    return done
    return render(request, "services/window.html", context, status=422 if context.get("failed") else 200)


def _window_lookup(request, context: dict) -> None:
    lookup = context["lookup"] = IdentityLookupForm(request.POST)
    if not lookup.is_valid():
        return
    kind, person, entity, problem = queries.identify_applicant(lookup.cleaned_data["identity"], actor=request.user)
    if problem:
        lookup.add_error("identity", problem)
    elif person is None and entity is None:
        context["unknown"] = kind
    else:
        context["lookup"] = IdentityLookupForm()          # the number is not echoed back into the page
        context.update(person=person, entity=entity, token=signing.dumps(
            {"person": person.pk if person else None, "entity": entity.pk if entity else None}, salt=WINDOW_SALT))


def _window_applicant(request, context: dict) -> None:
    token = request.POST.get("applicant", "")
    try:
        held = signing.loads(token, salt=WINDOW_SALT, max_age=WINDOW_TOKEN_SECONDS)
    except signing.BadSignature:
        messages.warning(request, _("申请人识别已过期，请重新输入证件号码。"))
        return
    person = Person.objects.select_related("region").filter(pk=held.get("person")).first() if held.get("person") else None
    entity = LegalEntity.objects.filter(pk=held.get("entity")).first() if held.get("entity") else None
    context.update(person=person, entity=entity, token=token)


def _window_item(request, context: dict) -> None:
    kind = "person" if context["person"] is not None else "entity"
    items = ServiceItem.objects.filter(active=True, applicant_kinds__icontains=kind).order_by("name")
    names = department_names(items.values_list("department", flat=True))
    context["items"] = [(item, names.get(item.department, "")) for item in items]
    code = (request.POST.get("item") or "").strip()
    item = items.filter(code=code).prefetch_related("materials").first() if code else None
    if item is None:
        return
    context["item"], context["department_name"] = item, names.get(item.department, "")
    context["plan"] = queries.materials_plan(item, person=context["person"], entity=context["entity"])
    if "idempotency_key" not in request.POST:
        context["form"] = DeclaredForm(item.form, initial=queries.prefilled_form(
            item, person=context["person"], entity=context["entity"]))
        context["idempotency_key"] = uuid.uuid4().hex
        for entry in context["plan"]:
            entry.errors = []


def _window_submit(request, context: dict):
    item, plan = context["item"], context["plan"]
    form = DeclaredForm(item.form, request.POST)
    key = _idempotency_key(request.POST.get("idempotency_key"))
    uploads = {p.material.code: request.FILES[f"material-{p.material.code}"] for p in plan
               if not p.from_library and f"material-{p.material.code}" in request.FILES}
    paper = [p.material.code for p in plan if request.POST.get(f"paper-{p.material.code}") and p.material.code not in uploads]
    errors, material_errors = [], {}
    try:
        application = actions.submit_application(
            item, actor=request.user, form_data=form.values(), applicant_person=context["person"],
            applicant_entity=context["entity"], uploads=uploads, paper_checked=paper, channel=Channel.WINDOW,
            idempotency_key=key)
    except ValidationError as error:
        errors, material_errors = _split_errors(form.take_errors(error))
    except Conflict as conflict:
        application = Application.objects.filter(submitted_by=request.user, idempotency_key=key).first()
        errors = [] if application is not None else [str(conflict)]
    if errors or material_errors or form.errors:
        for entry in plan:
            entry.errors = material_errors.get(entry.material.code, [])
            entry.paper_checked = entry.material.code in paper
        context.update(form=form, errors=errors, idempotency_key=key, failed=True,
                       accept_now=bool(request.POST.get("accept_now")))
        return None
    messages.success(request, _("已提交，申请编号：%(number)s") % {"number": application.number})
    if request.POST.get("accept_now") and application.status == Status.SUBMITTED:
        try:
            actions.accept_application(application, actor=request.user)
        except (Conflict, PermissionDenied) as refusal:
            messages.warning(request, _("未能当场受理：%(reason)s") % {"reason": str(refusal) or _("您不是受理环节的办理人")})
        else:
            messages.success(request, _("已当场受理。"))
    if Application.objects.restrict(request.user, "view").filter(pk=application.pk).exists():
        return redirect("services:work_application", pk=application.pk)
    return redirect("services:window")



# My queue ---------------------------------------------------------------------------------------------

@staff_required
def tasks(request):
    queue = tasks_for(request.user).filter(instance__subject_type=ContentType.objects.get_for_model(Application))
    steps = sorted(set(queue.values_list("name", flat=True)))
    chosen = {"step": request.GET.get("step", ""), "warning": request.GET.get("warning", "")}
    if chosen["step"]:
        queue = queue.filter(name=chosen["step"])
    if chosen["warning"] in ("0", "1", "2"):
        queue = queue.filter(warning=int(chosen["warning"]))
    page = Paginator(queue.order_by("due_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    applications = Application.objects.in_bulk([task.instance.subject_id for task in page])
    for task in page:
        task.application = applications.get(task.instance.subject_id)
        if task.application is not None:
            task.application.masked_name = queries.masked_applicant(task.application)
    items = ServiceItem.objects.in_bulk([a.item_id for a in applications.values()])
    for application in applications.values():
        application.item = items[application.item_id]
    return render(request, "services/tasks.html", {
        "page": page, "steps": steps, "chosen": chosen, "warnings": Warning.choices,
        "query_string": "&".join(f"{k}={v}" for k, v in chosen.items() if v),
    })


# Applications in scope ---------------------------------------------------------------------------------

@staff_required
def applications(request):
    _require(request.user, "services.view_application")
    found = (Application.objects.restrict(request.user, "view").select_related("item", "region", "organisation")
             .defer("region__boundary"))
    chosen = {key: request.GET.get(key, "").strip() for key in
              ("q", "status", "item", "department", "county", "since", "until", "overdue")}
    if chosen["q"]:
        found = found.filter(Q(number=chosen["q"]) | Q(applicant_name__contains=chosen["q"]))
    if chosen["status"]:
        found = found.filter(status=chosen["status"])
    if chosen["item"]:
        found = found.filter(item__code=chosen["item"])
    if chosen["department"]:
        found = found.filter(item__department=chosen["department"])
    if chosen["county"]:
        found = found.filter(region__path__contains=f"/{chosen['county']}/")
    if parse_date(chosen["since"] or ""):
        found = found.filter(submitted_at__date__gte=parse_date(chosen["since"]))
    if parse_date(chosen["until"] or ""):
        found = found.filter(submitted_at__date__lte=parse_date(chosen["until"]))
    if chosen["overdue"]:
        found = found.filter(Q(on_time=False) | (Q(due_at__lt=timezone.now()) & ~Q(status__in=FINAL_STATUSES)))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for application in page:
        application.masked_name = queries.masked_applicant(application)
    functions = ServiceItem.objects.values_list("department", flat=True).distinct()
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "services/work_applications.html", {
        "page": page, "chosen": chosen, "statuses": Status.choices, "query_string": query.urlencode(),
        "items": ServiceItem.objects.order_by("name").only("code", "name"),
        "departments": sorted(department_names(functions).items(), key=lambda pair: pair[1]),
        "counties": Region.objects.filter(level__in=[Level.COUNTY, Level.ZONE]).order_by("key"),
    })


def _in_scope(request, pk: int, action: str = "view") -> Application:
    return (Application.objects.select_related("item", "region", "organisation", "workflow", "submitted_by",
                                               "applicant_person", "applicant_entity").defer("region__boundary")
            .get_in_scope(request.user, action, pk=pk))


@staff_required
def application(request, pk: int):
    _require(request.user, "services.view_application")
    return _handling_page(request, _in_scope(request, pk))


def _handling_page(request, application: Application, *, bound: dict | None = None, status: int = 200):
    open_tasks = list(WorkflowTask.objects.filter(instance_id=application.workflow_id, status=TaskStatus.OPEN)
                      .select_related("organisation", "region").defer("region__boundary").order_by("id"))
    may_change = (request.user.has_perm("services.change_application")
                  and Application.objects.restrict(request.user, "change").filter(pk=application.pk).exists())
    paused = application.workflow is not None and application.workflow.status == InstanceStatus.PAUSED
    panels = [_panel(application, task, (bound or {}).get(task.pk)) for task in open_tasks
              if may_change and not paused and can_act(request.user, task)]
    return render(request, "services/work_application.html", {
        "application": application, "form_rows": queries.masked_form_data(application),
        "materials": application.materials.select_related("stored_file", "checked_by"),
        "timeline": queries.internal_timeline(application), "steps": queries.application_steps(application),
        "open_tasks": open_tasks, "panels": panels, "paused": paused, "masked_name": queries.masked_applicant(application),
        "applicant_number": _applicant_number(application),
    }, status=status)


def _applicant_number(application: Application) -> str:
    if application.applicant_person_id:
        return application.applicant_person.id_number_masked
    return application.applicant_entity.credit_code if application.applicant_entity_id else ""


def _panel(application: Application, task: WorkflowTask, bound: dict | None) -> dict:
    """What the officer may do at this task: accept / 一次性告知 / reject at 受理; otherwise approve / deny /
    return, and at 制证 the licence's fields."""
    bound = bound or {}
    panel = {"task": task, "kind": "accept" if task.stage_key == ACCEPT_STAGE else "step", "errors": bound.get("errors", [])}
    if panel["kind"] == "accept":
        panel["reject_form"] = bound.get("reject_form") or RejectForm(prefix=f"t{task.pk}")
        panel["supplement_items"] = bound.get("supplement_items") or [""]
        panel["script_id"] = f"supplement-{task.pk}"
        panel["supplement_error"] = bound.get("supplement_error", [])
        panel["accept_enabled"] = application.status == Status.SUBMITTED
        return panel
    panel["outcome_form"] = bound.get("outcome_form") or OutcomeForm(prefix=f"t{task.pk}")
    if task.stage_key == ISSUE_STAGE and application.item.license_type:
        from bohai.licenses.models import LicenseType

        license_type = LicenseType.objects.filter(code=application.item.license_type).first()
        if license_type is not None:
            panel["license_type"] = license_type
            panel["license_form"] = bound.get("license_form") or DeclaredForm(
                license_type.fields, prefix=f"license{task.pk}",
                initial=license_prefill(application, license_type, timezone.now()))
    return panel


@staff_required
@require_POST
def act(request, pk: int, task_pk: int):
    """One button of the action panel, with the task's version as the officer saw it."""
    _require(request.user, "services.change_application")
    application = _in_scope(request, pk, "change")
    task = get_object_or_404(WorkflowTask, pk=task_pk, instance_id=application.workflow_id)
    command = request.POST.get("command", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        bound = _run(request, application, task, command, version)
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect("services:work_application", pk=pk)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal) or _("您不是当前环节的办理人"))
        return redirect("services:work_application", pk=pk)
    if bound is not None:
        return _handling_page(request, _in_scope(request, pk), bound={task.pk: bound}, status=422)
    return redirect("services:work_application", pk=pk)


def _run(request, application: Application, task: WorkflowTask, command: str, version: int) -> dict | None:
    """Do the command; None when done (with a message), else the bound forms with their errors."""
    prefix = f"t{task.pk}"
    if command in ("accept", "reject", "supplement") and task.stage_key != ACCEPT_STAGE:
        raise Conflict(_("该任务不在受理环节"))
    if command == "accept":
        actions.handle_step(application, task, outcome="approve", actor=request.user, expected_version=version)
        messages.success(request, _("已受理：%(number)s") % {"number": application.number})
        return None
    if command == "reject":
        form = RejectForm(request.POST, prefix=prefix)
        if not form.is_valid():
            return {"reject_form": form}
        actions.handle_step(application, task, outcome="deny", comment=form.cleaned_data["reason"], actor=request.user,
                            expected_version=version)
        messages.success(request, _("已作出不予受理决定：%(number)s") % {"number": application.number})
        return None
    if command == "supplement":
        items = [text.strip() for text in request.POST.getlist("items") if text.strip()]
        if version != task.version:
            raise Conflict(_("该任务已由他人办理，请刷新后查看"))
        try:
            actions.request_supplement(application, items=items, actor=request.user)
        except ValidationError as error:
            return {"supplement_items": items or [""], "supplement_error": error.messages}
        messages.success(request, _("已一次性告知申请人补正 %(count)d 项") % {"count": len(items)})
        return None
    if command == "step":
        return _run_step(request, application, task, version, prefix)
    raise Conflict(_("未知操作"))


def _run_step(request, application: Application, task: WorkflowTask, version: int, prefix: str) -> dict | None:
    form = OutcomeForm(request.POST, prefix=prefix)
    bound = {"outcome_form": form}
    license_fields = None
    if task.stage_key == ISSUE_STAGE and application.item.license_type:
        from bohai.licenses.models import LicenseType

        license_type = LicenseType.objects.filter(code=application.item.license_type).first()
        if license_type is not None:
            license_form = DeclaredForm(license_type.fields, request.POST, prefix=f"license{task.pk}")
            bound["license_form"] = license_form
            license_fields = {k: v for k, v in license_form.values().items() if v not in (None, "", [])}
    if not form.is_valid():
        return bound
    try:
        actions.handle_step(application, task, outcome=form.cleaned_data["outcome"], comment=form.cleaned_data["comment"],
                            actor=request.user, expected_version=version, license_fields=license_fields)
    except ValidationError as error:
        others = error.message_dict
        if "license_form" in bound:
            others = bound["license_form"].take_errors(error, prefix="fields.")
        for key, field_messages in others.items():
            form.add_error("comment" if key == "comment" else None, field_messages)
        return bound
    messages.success(request, _("%(step)s：已办理") % {"step": task.name})
    return None


@staff_required
def material_file(request, pk: int, material_pk: int):
    """A stored material, for staff who may see the application."""
    _require(request.user, "services.view_application")
    application = _in_scope(request, pk)
    material = get_object_or_404(application.materials.select_related("stored_file"), pk=material_pk,
                                 stored_file__isnull=False)
    try:
        return file_response(material.stored_file, download_name=f"{application.number}-{material.material_code}-{material.name}")
    except StoredFileUnavailable as problem:
        messages.error(request, str(problem))
        return redirect("services:work_application", pk=pk)


# 差评整改 ----------------------------------------------------------------------------------------------

@staff_required
def rectifications(request):
    _require(request.user, "services.view_rectification")
    found = (Rectification.objects.restrict(request.user, "view")
             .select_related("review__application__item", "organisation", "region"))
    chosen = request.GET.get("status", "")
    if chosen in RectificationStatus.values:
        found = found.filter(status=chosen)
    return render(request, "services/rectifications.html", {
        "page": Paginator(found, PAGE_SIZE).get_page(request.GET.get("page")), "chosen": chosen,
        "statuses": RectificationStatus.choices, "now": timezone.now(),
        "query_string": f"status={chosen}&" if chosen else "",
    })


def rectification_powers(user, rectification: Rectification) -> tuple[bool, bool]:
    """(may answer, may close): the department answers (services.change_rectification), the
    government-service office checks and closes (services.close_rectification), each within scope."""
    scoped = Rectification.objects.filter(pk=rectification.pk)
    may_answer = scoped.restrict(user, "change").exists()
    may_close = scoped.restrict(user, "close").exists()
    return may_answer, may_close


def _rectification_page(request, rectification: Rectification, form=None, status: int = 200):
    may_answer, may_close = rectification_powers(request.user, rectification)
    return render(request, "services/rectification.html", {
        "rectification": rectification, "review": rectification.review, "application": rectification.review.application,
        "form": form or RectificationAnswerForm(), "now": timezone.now(),
        "may_answer": may_answer and rectification.status == RectificationStatus.OPEN,
        "may_close": may_close and rectification.status == RectificationStatus.ANSWERED,
        "masked_name": queries.masked_applicant(rectification.review.application),
        "dimensions": [(REVIEW_DIMENSIONS.get(key, key), Rating(value).label if value in Rating.values else value)
                       for key, value in (rectification.review.dimensions or {}).items()],
    }, status=status)


def _rectification(request, pk: int) -> Rectification:
    return (Rectification.objects.select_related("review__application__item", "organisation", "region")
            .get_in_scope(request.user, "view", pk=pk))


@staff_required
def rectification(request, pk: int):
    _require(request.user, "services.view_rectification")
    return _rectification_page(request, _rectification(request, pk))


@staff_required
@require_POST
def rectification_answer(request, pk: int):
    rectification = _rectification(request, pk)
    if not rectification_powers(request.user, rectification)[0]:
        raise PermissionDenied
    form = RectificationAnswerForm(request.POST)
    if form.is_valid():
        try:
            actions.answer_rectification(rectification, response=form.cleaned_data["response"], actor=request.user)
        except ValidationError as error:
            form.add_error("response", error.message_dict.get("response") or error.messages)
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("services:rectification", pk=pk)
        else:
            messages.success(request, _("已反馈整改情况，待复核办结。"))
            return redirect("services:rectification", pk=pk)
    return _rectification_page(request, rectification, form, status=422)


@staff_required
@require_POST
def rectification_close(request, pk: int):
    rectification = _rectification(request, pk)
    if not rectification_powers(request.user, rectification)[1]:
        raise PermissionDenied
    try:
        actions.close_rectification(rectification, actor=request.user)
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, _("整改已复核办结。"))
    return redirect("services:rectification", pk=pk)
