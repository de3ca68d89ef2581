"""Portal pages of the services system: the catalogue and its guides, applying online, the applicant's
applications (supplement, withdraw, review), their reviews, and the public progress query."""
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bohai.kernel.accounts.models import AccountKind
from bohai.kernel.audit.service import Conflict
from bohai.kernel.organisations.models import Organisation

from .. import actions, queries
from ..api import ProgressThrottle
from ..actions.applications import WITHDRAWABLE
from ..forms import DeclaredForm, ProgressForm, ReviewForm, SupplementForm, WithdrawForm
from ..models import (
    Application, Channel, LifeEvent, MaterialRequirement, OnlineDepth, Review, ServiceItem, Status,
)

CATALOGUE_PAGE_SIZE = 12
LIST_PAGE_SIZE = 20
REVIEWABLE = (Status.COMPLETED, Status.DENIED, Status.REJECTED)
LEVEL_NAMES = {"city": gettext_lazy("市级"), "county": gettext_lazy("县级"), "township": gettext_lazy("乡镇（街道）"),
               "community": gettext_lazy("村（社区）")}
AUDIENCES = (("person", gettext_lazy("个人办事")), ("entity", gettext_lazy("法人办事")))
LIST_FILTERS = {
    "open": (Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.LICENSED),
    "supplement": (Status.SUPPLEMENT,),
    "done": (Status.COMPLETED, Status.REJECTED, Status.DENIED, Status.WITHDRAWN),
}


# The catalogue and the guide -----------------------------------------------------------------------

def department_names(functions) -> dict[str, str]:
    """Organisation functions → the city unit's name (沧州市人力资源和社会保障局 …)."""
    units = Organisation.objects.filter(function__in=set(functions), region__level="city").order_by("path")
    names = {}
    for unit in units:
        names.setdefault(unit.function, unit.name)
    return names


def catalogue(request):
    items = ServiceItem.objects.filter(active=True).prefetch_related("life_events")
    chosen = {key: request.GET.get(key, "").strip() for key in ("q", "department", "event", "audience", "depth")}
    for word in chosen["q"].lower().split():
        items = items.filter(search_text__contains=word)
    if chosen["department"]:
        items = items.filter(department=chosen["department"])
    if chosen["event"]:
        items = items.filter(life_events__code=chosen["event"])
    if chosen["audience"] in ("person", "entity"):
        items = items.filter(applicant_kinds__icontains=chosen["audience"])
    if chosen["depth"].isdigit():
        items = items.filter(online_depth=int(chosen["depth"]))
    functions = ServiceItem.objects.filter(active=True).values_list("department", flat=True).distinct()
    names = department_names(functions)
    events = LifeEvent.objects.filter(items__active=True).distinct()
    if chosen["audience"] in ("person", "entity"):
        events = events.filter(audience=chosen["audience"])
    page = Paginator(items.distinct(), CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.department_name = names.get(item.department, "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "services/catalogue.html", {
        "page": page, "chosen": chosen, "query_string": query.urlencode(),
        "departments": sorted(names.items(), key=lambda pair: pair[1]), "events": events,
        "audiences": AUDIENCES, "depths": OnlineDepth.choices,
        "without_event": _without(request, "event"), "without_audience": _without(request, "audience"),
    })


def _without(request, key: str) -> str:
    query = request.GET.copy()
    query.pop(key, None)
    query.pop("page", None)
    return query.urlencode()


def _active_item(code: str) -> ServiceItem:
    return get_object_or_404(ServiceItem.objects.prefetch_related("materials", "life_events"), code=code, active=True)


def item_guide(request, code: str):
    item = _active_item(code)
    from bohai.licenses.queries import license_types

    license_names = dict(license_types().values_list("code", "name"))
    materials = list(item.materials.all())
    for material in materials:
        material.license_name = license_names.get(material.replaced_by_license, "")
    return render(request, "services/item.html", {
        "item": item, "materials": materials, "steps": queries.guide_steps(item),
        "department_name": department_names([item.department]).get(item.department, ""),
        "levels": [LEVEL_NAMES.get(level, level) for level in item.levels],
        "apply_state": _apply_state(request.user, item),
        "issued_license": license_names.get(item.license_type, ""),
    })


def _apply_state(user, item: ServiceItem) -> str:
    """online / sign_in / staff / mismatch / offline: what the guide offers this visitor."""
    if not item.handled_online:
        return "offline"
    if not user.is_authenticated:
        return "sign_in"
    if user.kind == AccountKind.STAFF:
        return "staff"
    return "online" if queries.applicant_for(user, item) else "mismatch"


# Applying online -----------------------------------------------------------------------------------

def _upload_limit() -> int:
    return settings.BOHAI_MAX_UPLOAD_BYTES


@login_required
def apply(request, code: str):
    item = _active_item(code)
    if not item.handled_online:
        raise Http404
    applicant = queries.applicant_for(request.user, item)
    if applicant is None:
        raise PermissionDenied(_("您的账户不能在线申请本事项"))
    person, entity = applicant
    plan = queries.materials_plan(item, person=person, entity=entity)
    errors, material_errors = [], {}
    if request.method == "POST":
        form = DeclaredForm(item.form, request.POST)
        key = _idempotency_key(request.POST.get("idempotency_key"))
        uploads = {p.material.code: request.FILES[f"material-{p.material.code}"] for p in plan
                   if not p.from_library and f"material-{p.material.code}" in request.FILES}
        try:
            application = actions.submit_application(
                item, actor=request.user, form_data=form.values(), applicant_person=person, applicant_entity=entity,
                uploads=uploads, channel=Channel.ONLINE, idempotency_key=key)
        except ValidationError as error:
            errors, material_errors = _split_errors(form.take_errors(error))
        except Conflict as conflict:
            application = Application.objects.filter(submitted_by=request.user, idempotency_key=key).first()
            if application is None:
                errors = [str(conflict)]
        if not errors and not material_errors and not form.errors:
            messages.success(request, _("申请已提交，申请编号：%(number)s。请留意办理进度。") % {"number": application.number})
            return redirect("services:my_application", pk=application.pk)
    else:
        person_for_prefill = request.user.person if request.user.person_id else person
        form = DeclaredForm(item.form, initial=queries.prefilled_form(item, person=person_for_prefill, entity=entity))
        key = uuid.uuid4().hex
    for entry in plan:
        entry.errors = material_errors.get(entry.material.code, [])
    return render(request, "services/apply.html", {
        "item": item, "form": form, "plan": plan, "errors": errors, "idempotency_key": key,
        "applicant": entity or person, "upload_limit": _upload_limit(), "required": MaterialRequirement.REQUIRED,
        "posted": request.method == "POST",
    }, status=422 if request.method == "POST" else 200)


def _idempotency_key(raw: str | None) -> str:
    """The key the form carried (one application per key and user), or a fresh one."""
    raw = (raw or "").strip()
    return raw[:64] if raw and all(c.isalnum() or c == "-" for c in raw) else uuid.uuid4().hex


def _split_errors(others: dict) -> tuple[list[str], dict[str, list[str]]]:
    """Errors the form fields did not take: per material ("materials.<code>"), and the rest for the top."""
    general, per_material = [], {}
    for key, field_messages in others.items():
        if key.startswith("materials."):
            per_material[key.removeprefix("materials.")] = field_messages
        else:
            general.extend(field_messages)
    return general, per_material


# The applicant's applications ---------------------------------------------------------------------

@login_required
def my_applications(request):
    applications = queries.applications_of(request.user)
    shown = request.GET.get("show", "")
    if shown in LIST_FILTERS:
        applications = applications.filter(status__in=LIST_FILTERS[shown])
    return render(request, "services/my_applications.html", {
        "page": Paginator(applications, LIST_PAGE_SIZE).get_page(request.GET.get("page")), "shown": shown,
        "query_string": f"show={shown}" if shown else "",
    })


def _my_application(request, pk: int) -> Application:
    return get_object_or_404(queries.applications_of(request.user).select_related("item", "workflow"), pk=pk)


@login_required
def my_application(request, pk: int):
    return _detail_page(request, _my_application(request, pk))


def _detail_page(request, application: Application, *, supplement_form=None, supplement_errors=None,
                 withdraw_form=None, review_form=None, status: int = 200):
    review = Review.objects.filter(application=application).select_related("rectification").first()
    may_review = application.status in REVIEWABLE and review is None
    materials = list(application.materials.all())
    return render(request, "services/my_application.html", {
        "application": application, "timeline": queries.public_timeline(application),
        "steps": queries.application_steps(application), "materials": materials,
        "form_rows": queries.masked_form_data(application),
        "item_materials": list(application.item.materials.all()),
        "supplement_form": supplement_form or SupplementForm(), "supplement_errors": supplement_errors or {},
        "may_withdraw": application.status in WITHDRAWABLE, "withdraw_form": withdraw_form or WithdrawForm(),
        "may_review": may_review, "review_form": review_form or ReviewForm(), "review": review,
        "rectification": getattr(review, "rectification", None) if review else None,
        "holds_license": bool(application.license_number) and _holds(request.user, application),
        "upload_limit": _upload_limit(),
    }, status=status)


def _holds(user, application: Application) -> bool:
    return ((application.applicant_person_id and application.applicant_person_id == user.person_id)
            or (application.applicant_entity_id and application.applicant_entity_id == user.legal_entity_id))


@login_required
@require_POST
def supplement(request, pk: int):
    application = _my_application(request, pk)
    form = SupplementForm(request.POST)
    uploads = {m.code: request.FILES[f"supplement-{m.code}"] for m in application.item.materials.all()
               if f"supplement-{m.code}" in request.FILES}
    problems = {}
    if form.is_valid():
        try:
            actions.supplement_application(application, actor=request.user, uploads=uploads,
                                           note=form.cleaned_data["note"])
        except ValidationError as error:
            problems = error.message_dict
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("services:my_application", pk=pk)
        else:
            messages.success(request, _("补正材料已提交，办理时限继续计算。"))
            return redirect("services:my_application", pk=pk)
    per_material = {key.removeprefix("materials."): value for key, value in problems.items() if key.startswith("materials.")}
    for key, value in problems.items():
        if not key.startswith("materials."):
            form.add_error(None, value)
    return _detail_page(request, application, supplement_form=form, supplement_errors=per_material, status=422)


@login_required
@require_POST
def withdraw(request, pk: int):
    application = _my_application(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, application, withdraw_form=form, status=422)
    try:
        actions.withdraw_application(application, reason=form.cleaned_data["reason"], actor=request.user)
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, _("已撤回申请 %(number)s。") % {"number": application.number})
    return redirect("services:my_application", pk=pk)


@login_required
@require_POST
def review(request, pk: int):
    application = _my_application(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.review_application(application, rating=form.cleaned_data["rating"], dimensions=form.dimensions(),
                                       comment=form.cleaned_data["comment"], actor=request.user)
        except ValidationError as error:
            for key, field_messages in error.message_dict.items():
                name = key.replace("dimensions.", "dimension_")
                form.add_error(name if name in form.fields else None, field_messages)
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("services:my_application", pk=pk)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("services:my_application", pk=pk)
    return _detail_page(request, application, review_form=form, status=422)


@login_required
def reviews(request):
    mine = (Review.objects.filter(application__in=queries.applications_of(request.user).values("pk"))
            .select_related("application__item", "rectification"))
    rows = [(review, getattr(review, "rectification", None) if _has_rectification(review) else None) for review in mine]
    waiting = queries.applications_of(request.user).filter(status__in=REVIEWABLE, review__isnull=True)
    return render(request, "services/reviews.html", {"rows": rows, "waiting": waiting[:20]})


def _has_rectification(review: Review) -> bool:
    try:
        return review.rectification is not None
    except Review.rectification.RelatedObjectDoesNotExist:
        return False


# The public progress query ---------------------------------------------------------------------------

def progress(request):
    """The page shares the API's limit (ProgressThrottle: one budget per client address, BOHAI_SERVICES_PROGRESS_RATE)."""
    if request.method != "POST":
        return render(request, "services/progress.html", {"form": ProgressForm()})
    if not ProgressThrottle().allow_request(request):
        return render(request, "services/progress.html", {"form": ProgressForm(), "throttled": True}, status=429)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        return render(request, "services/progress.html", {"form": form}, status=422)
    application = queries.find_for_progress(form.cleaned_data["number"], form.cleaned_data["identity"])
    if application is None:           # one answer whichever part was wrong; the identity number is not echoed
        return render(request, "services/progress.html", {
            "form": ProgressForm(initial={"number": form.cleaned_data["number"]}), "not_found": True})
    return render(request, "services/progress.html", {
        "form": ProgressForm(initial={"number": application.number}), "application": application,
        "timeline": queries.public_timeline(application), "steps": queries.application_steps(application),
    })
