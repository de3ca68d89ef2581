"""An application's lifecycle: submit → accept (or reject, or ask once for every missing item) →
the review steps → approve or deny → licence → delivery → completed; withdrawal before the decision."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.clock import working_calendar
from bohai.engines.workflows import actions as workflow
from bohai.engines.workflows.models import TaskStatus, WorkflowInstance, WorkflowTask
from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.events.outbox import publish
from bohai.kernel.files.actions import store_upload

from ..declared_forms import clean_form
from ..models import (
    Application, ApplicationMaterial, Channel, EventKind, ItemMaterial, MaterialRequirement, ServiceItem, Status,
    TrustLevel,
)
from ..registration import register_new_entity, registers_entity
from ..processes import ACCEPT_STAGE, ISSUE_STAGE, decision_stage, handling_region, process_for
from .timeline import add_event

WITHDRAWABLE = (Status.SUBMITTED, Status.SUPPLEMENT, Status.IN_REVIEW)
MATERIAL_MAX_BYTES = 10 * 1024 * 1024


def submit_application(item: ServiceItem, *, actor, form_data: dict, uploads: dict | None = None,
                       idempotency_key: str = "", **options) -> Application:
    """Submit (or, with the same idempotency key, find again) an application; starts its workflow.

    Uploads are checked and stored first, each by its own action: decoding a photo must not hold
    the database's write lock (SQLite) inside the submission's transaction. A file stored for a
    submission that is then refused is an orphan, removed by the files clean-up a day later.
    """
    existing = _already_submitted(actor, idempotency_key)
    if existing is not None:
        return existing
    _load_materials(item)
    stored, upload_problems = store_material_uploads(item, uploads or {}, actor)
    return _submit(item, actor=actor, form_data=form_data, stored=stored, upload_problems=upload_problems,
                   idempotency_key=idempotency_key, **options)


@service_action
def _submit(item: ServiceItem, *, actor, form_data: dict, stored: dict, upload_problems: dict, applicant_person=None,
            applicant_entity=None, paper_checked: list[str] = (), channel: str = Channel.ONLINE, idempotency_key: str = "",
            at=None) -> Application:
    at = at or timezone.now()
    applicant = _check_applicant(item, applicant_person, applicant_entity)
    problems: dict[str, list[str]] = dict(upload_problems)
    cleaned = _clean(lambda: clean_form(item.form, form_data or {}), problems)
    planned = _plan_materials(item, applicant_person, applicant_entity, stored, paper_checked, channel, problems)
    if problems:
        raise ValidationError(problems)
    region = handling_region(item, applicant.region)
    application = Application(
        item=item, applicant_person=applicant_person, applicant_entity=applicant_entity, applicant_name=applicant.name,
        submitted_by=actor, channel=channel, region=region, status=Status.SUBMITTED, form_data=cleaned,
        idempotency_key=(idempotency_key or "")[:64], submitted_at=at,
        handled_online=channel != Channel.WINDOW and item.handled_online,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:  # the same key submitted at the same moment: the first one stands
        existing = _already_submitted(actor, idempotency_key)
        if existing is None:
            raise Conflict(_("该申请已提交（重复提交）"))
        return existing
    _attach_materials(application, planned, actor)
    _start_workflow(application, item, region, at, actor)
    add_event(application, EventKind.SUBMITTED, actor=actor, at=at, channel=channel)
    record(actor=actor, action="services.application.submit", target=application, after=snapshot(application, ("form_data",)))
    publish("services.application_submitted", {"application_id": application.pk, "item": item.code})
    return application


@service_action
def accept_application(application: Application, *, actor, expected_version: int | None = None, at=None) -> Application:
    """受理: the window (or online acceptance) takes the application; the statutory clock is already running."""
    at = at or timezone.now()
    task = _open_task(application, ACCEPT_STAGE, actor)
    progress = workflow.complete_task(task, outcome="approve", actor=actor, at=at, expected_version=expected_version)
    return _after_step(application, progress, actor, at)


@service_action
def reject_application(application: Application, *, reason: str, actor, expected_version: int | None = None,
                       at=None) -> Application:
    """不予受理, with the reason the applicant will read."""
    at = at or timezone.now()
    task = _open_task(application, ACCEPT_STAGE, actor)
    progress = workflow.complete_task(task, outcome="deny", comment=reason, actor=actor, at=at,
                                      expected_version=expected_version)
    return _after_step(application, progress, actor, at, reason=reason)


@service_action
def request_supplement(application: Application, *, items: list[str], actor, expected_version: int | None = None,
                       at=None) -> Application:
    """一次性告知: every missing or deficient item in one notice; the clock stops until the applicant answers."""
    at = at or timezone.now()
    items = [text.strip() for text in items if text and text.strip()]
    if not items:
        raise ValidationError({"items": [_("请逐项列明需要补正的材料或内容")]})
    application = _lock(application)
    if application.status not in (Status.SUBMITTED, Status.IN_REVIEW):
        raise Conflict(_("当前状态（%(status)s）不能要求补正") % {"status": application.get_status_display()})
    _require_open_task(application, actor, expected_version)
    workflow.pause_process(application.workflow, reason="; ".join(items), actor=actor, at=at)
    application.status, application.supplement_items = Status.SUPPLEMENT, items
    application.save(update_fields=["status", "supplement_items", "updated_at"])
    add_event(application, EventKind.SUPPLEMENT_REQUESTED, actor=actor, at=at, items=items)
    _tell_applicant(application, _("请补正材料：%(number)s") % {"number": application.number}, "；".join(items), actor)
    return application


def supplement_application(application: Application, *, actor, uploads: dict | None = None, **options) -> Application:
    """The applicant answers the notice; the clock runs again with the paused days added back."""
    stored, upload_problems = store_material_uploads(application.item, uploads or {}, actor)
    return _supplement(application, actor=actor, stored=stored, upload_problems=upload_problems, **options)


@service_action
def _supplement(application: Application, *, actor, stored: dict, upload_problems: dict, form_data: dict | None = None,
                note: str = "", at=None) -> Application:
    at = at or timezone.now()
    application = _lock(application)
    if application.status != Status.SUPPLEMENT:
        raise Conflict(_("该申请当前无需补正"))
    problems: dict[str, list[str]] = dict(upload_problems)
    if form_data:
        merged = {**application.form_data, **form_data}
        application.form_data = _clean(lambda: clean_form(application.item.form, merged), problems)
    stored = [_uploaded_material(application.item.materials.get(code=code), kept) for code, kept in stored.items()]
    if problems:
        raise ValidationError(problems)
    if not stored and not form_data:
        raise ValidationError({"uploads": [_("请上传补正材料或修改申请内容")]})
    _attach_materials(application, stored, actor)
    workflow.resume_process(application.workflow, actor=actor, at=at)
    instance = WorkflowInstance.objects.get(pk=application.workflow_id)
    application.status = Status.SUBMITTED if instance.stage_key == ACCEPT_STAGE else Status.IN_REVIEW
    application.due_at, application.supplement_items = instance.due_at, []
    application.save(update_fields=["status", "form_data", "due_at", "supplement_items", "updated_at"])
    add_event(application, EventKind.SUPPLEMENTED, actor=actor, at=at, materials=[m.name for m in stored], note=note)
    return application


@service_action
def handle_step(application: Application, task: WorkflowTask, *, outcome: str, comment: str = "", actor,
                expected_version: int | None = None, license_fields: dict | None = None, at=None) -> Application:
    """An officer finishes their step (审查, 决定, 制证, 送达, or a parallel branch).

    At 制证 the officer completes the licence's own fields (`license_fields`); what the form already
    holds is filled in for them (license_prefill)."""
    at = at or timezone.now()
    if task.instance_id != application.workflow_id:
        raise ValidationError({"task": [_("该任务不属于此办件")]})
    _check_can_act(actor, task)
    progress = workflow.complete_task(task, outcome=outcome, comment=comment, actor=actor,
                                      expected_version=expected_version, at=at)
    return _after_step(application, progress, actor, at, reason=comment if outcome == "deny" else "",
                       license_fields=license_fields)


@service_action
def withdraw_application(application: Application, *, reason: str = "", actor, at=None) -> Application:
    """The applicant withdraws before the decision."""
    at = at or timezone.now()
    application = _lock(application)
    if application.status not in WITHDRAWABLE:
        raise Conflict(_("已作出决定或已结束的申请不能撤回"))
    workflow.cancel_process(application.workflow, reason=reason or _("申请人撤回"), actor=actor, at=at)
    application.status, application.completed_at = Status.WITHDRAWN, at
    application.save(update_fields=["status", "completed_at", "updated_at"])
    add_event(application, EventKind.WITHDRAWN, actor=actor, at=at, reason=reason)
    record(actor=actor, action="services.application.withdraw", target=application, after={"reason": reason})
    return application


# Submission ----------------------------------------------------------------------------------

def _already_submitted(actor, key: str) -> Application | None:
    if not key:
        return None
    return Application.objects.filter(submitted_by=actor, idempotency_key=key[:64]).order_by().first()  # one at most: no sort


def _check_applicant(item: ServiceItem, person, entity):
    if (person is None) == (entity is None):
        raise ValidationError({"applicant": [_("请指定一名申请人（个人或单位）")]})
    kind = "person" if person is not None else "entity"
    if kind not in item.applicant_kinds:
        wanted = _("个人") if "person" in item.applicant_kinds else _("法人或其他组织")
        raise ValidationError({"applicant": [_("本事项的服务对象是%(who)s") % {"who": wanted}]})
    return person or entity


def _clean(produce, problems: dict):
    try:
        return produce()
    except ValidationError as error:
        problems.update({f"form.{key}": messages for key, messages in error.message_dict.items()})
        return {}


def _plan_materials(item, person, entity, stored: dict, paper_checked, channel, problems) -> list[ApplicationMaterial]:
    """Once-only: a material a valid licence covers comes from the library (A); the rest uploaded (C) or checked at the window (B)."""
    from bohai.licenses.queries import valid_licenses_of

    held = {}
    for license in valid_licenses_of(person=person, legal_entity=entity).select_related("license_type"):
        held.setdefault(license.license_type.code, license)
    planned = []
    for material in item.materials.all():
        license = held.get(material.replaced_by_license)
        if license is not None:
            planned.append(ApplicationMaterial(material_code=material.code, name=material.name,
                                               trust_level=TrustLevel.A, license_number=license.number))
        elif material.code in stored:
            planned.append(_uploaded_material(material, stored[material.code]))
        elif channel == Channel.WINDOW and material.code in paper_checked:
            planned.append(ApplicationMaterial(material_code=material.code, name=material.name, trust_level=TrustLevel.B))
        elif material.requirement == MaterialRequirement.REQUIRED:
            # an upload refused for its content keeps its own reason (too big, wrong type, damaged)
            problems.setdefault(f"materials.{material.code}", [_("请提供“%(name)s”") % {"name": material.name}])
    return planned


def _load_materials(item: ServiceItem) -> None:
    """The item's materials, read once for the upload check and the plan (item.materials.all() then
    answers from memory). Ordered by position alone: the model's ordering starts with the item, which
    costs a join to order the rows of one item."""
    prefetch_related_objects([item], Prefetch("materials", queryset=ItemMaterial.objects.order_by("position")))


def store_material_uploads(item, uploads: dict, actor) -> tuple[dict, dict]:
    """Check and keep each uploaded material (PDF, JPEG, PNG up to 10 MB): ({code: StoredFile}, problems)."""
    codes = {material.code for material in item.materials.all()}
    stored, problems = {}, {}
    for code, upload in uploads.items():
        if code not in codes:
            problems[f"materials.{code}"] = [_("本事项没有编号为 %(code)s 的材料") % {"code": code}]
            continue
        try:
            stored[code] = store_upload(upload, actor=actor, max_bytes=MATERIAL_MAX_BYTES, field=f"materials.{code}")
        except ValidationError as error:
            problems.update(error.message_dict)
    return stored, problems


def _uploaded_material(material, kept) -> ApplicationMaterial:
    return ApplicationMaterial(material_code=material.code, name=material.name, trust_level=TrustLevel.C, stored_file=kept)


def _attach_materials(application: Application, planned: list[ApplicationMaterial], actor) -> None:
    checker = actor if hasattr(actor, "pk") and not isinstance(actor, str) else None
    for material in planned:
        material.application = application
        if material.trust_level == TrustLevel.B:
            material.checked_by = checker
    ApplicationMaterial.objects.bulk_create(planned)


def _start_workflow(application: Application, item: ServiceItem, region, at, actor) -> None:
    application.number = f"{at.astimezone(timezone.get_current_timezone()):%Y%m%d}{region.key[:6]}{application.pk:07d}"
    instance = workflow.start_process(application, process_for(item), region=region, department=item.department,
                                      limit_days=item.statutory_days, started_at=at, actor=actor)
    application.workflow, application.organisation, application.due_at = instance, instance.organisation, instance.due_at
    application.save(update_fields=["number", "workflow", "organisation", "due_at", "updated_at"])


# Steps ---------------------------------------------------------------------------------------

def _lock(application: Application) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("item", "workflow").get(pk=application.pk)


def _open_task(application: Application, stage_key: str, actor) -> WorkflowTask:
    task = WorkflowTask.objects.filter(instance_id=application.workflow_id, stage_key=stage_key,
                                       status=TaskStatus.OPEN).first()
    if task is None or application.status != Status.SUBMITTED:
        raise Conflict(_("该申请当前不在受理环节（%(status)s）") % {"status": application.get_status_display()})
    _check_can_act(actor, task)
    return task


def _require_open_task(application: Application, actor, expected_version: int | None = None) -> None:
    tasks = [task for task in WorkflowTask.objects.filter(instance_id=application.workflow_id, status=TaskStatus.OPEN)
             if _may_act(actor, task)]
    if not tasks:
        raise PermissionDenied(_("您不是当前环节的办理人"))
    if expected_version is not None and all(task.version != expected_version for task in tasks):
        raise Conflict(_("该任务已由他人办理，请刷新后查看"))


def _check_can_act(actor, task: WorkflowTask) -> None:
    if not _may_act(actor, task):
        raise PermissionDenied(_("您不是当前环节的办理人"))


def _may_act(actor, task: WorkflowTask) -> bool:
    from bohai.engines.workflows.queries import can_act

    return isinstance(actor, str) or can_act(actor, task)  # system actors (imports, demo, jobs) may act


def _after_step(application: Application, progress, actor, at, *, reason: str = "",
                license_fields: dict | None = None) -> Application:
    """Move the application's status along with its workflow."""
    application = _lock(application)
    application.reason = reason.strip() or application.reason
    application.pending_license_fields = license_fields or {}
    instance = progress.instance
    process = instance.process
    task = progress.task
    add_event(application, EventKind.STEP_DONE, actor=actor, at=at, public=False, step=task.name,
              outcome=task.outcome, comment=task.comment)
    if progress.finished:
        _finished(application, progress, task, actor, at)
    elif progress.entered is not None and task.outcome == "return":
        application.status = Status.SUBMITTED if progress.entered.key == ACCEPT_STAGE else Status.IN_REVIEW
        add_event(application, EventKind.RETURNED, actor=actor, at=at, public=False, to=progress.entered.name)
    elif progress.stage_finished:
        _stage_finished(application, process, task, actor, at)
    application.save()
    return application


def _stage_finished(application: Application, process, task: WorkflowTask, actor, at) -> None:
    if task.stage_key == ACCEPT_STAGE:
        application.status, application.accepted_at = Status.IN_REVIEW, at
        add_event(application, EventKind.ACCEPTED, actor=actor, at=at)
    if task.stage_key == decision_stage(process):
        _approve(application, actor, at)
    if task.stage_key == ISSUE_STAGE:
        _issue_license(application, actor, at)


def _finished(application: Application, progress, task: WorkflowTask, actor, at) -> None:
    if progress.outcome == "denied":
        rejected = task.stage_key == ACCEPT_STAGE
        application.status = Status.REJECTED if rejected else Status.DENIED
        application.decided_at = None if rejected else at
        add_event(application, EventKind.REJECTED if rejected else EventKind.DENIED, actor=actor, at=at,
                  reason=application.reason)
        _complete(application, at)
        return
    if application.status in (Status.SUBMITTED, Status.IN_REVIEW):
        _approve(application, actor, at)  # a process that ends at its decision
    if application.item.license_type and not application.license_number:
        _issue_license(application, actor, at)
    add_event(application, EventKind.DELIVERED, actor=actor, at=at)
    application.status = Status.COMPLETED
    add_event(application, EventKind.COMPLETED, actor=actor, at=at)
    _complete(application, at)


def _approve(application: Application, actor, at) -> None:
    application.status, application.decided_at = Status.APPROVED, at
    add_event(application, EventKind.APPROVED, actor=actor, at=at)


def _issue_license(application: Application, actor, at) -> None:
    from bohai.licenses.actions import issue_license
    from bohai.licenses.models import LicenseType

    license_type = LicenseType.objects.filter(code=application.item.license_type).first()
    if license_type is None or application.organisation is None:
        return
    fields = {**license_prefill(application, license_type, at), **getattr(application, "pending_license_fields", {})}
    holder_person, holder_entity = application.applicant_person, application.applicant_entity
    if registers_entity(license_type, application):
        holder_person, holder_entity = None, register_new_entity(application, license_type, actor=actor)
    license = issue_license(type_code=license_type.code, issuing_organisation=application.organisation,
                            holder_person=holder_person, holder_entity=holder_entity,
                            fields=fields, service_item_code=application.item.code,
                            application_number=application.number, actor=actor)
    application.status, application.license_number = Status.LICENSED, license.number
    add_event(application, EventKind.LICENSED, actor=actor, at=at, license_number=license.number)


def license_prefill(application: Application, license_type, at) -> dict:
    """The licence fields the application already answers: same key or same label in the form; dates default to the decision."""
    labels = {spec["label"]: spec["key"] for spec in application.item.form}
    prefill = {}
    for field in license_type.fields:
        key = field["key"] if field["key"] in application.form_data else labels.get(field.get("label"))
        if key is not None and application.form_data.get(key) not in (None, "", []):
            value = application.form_data[key]
            prefill[field["key"]] = "、".join(value) if isinstance(value, list) else value
        elif field.get("type") == "date":
            prefill[field["key"]] = timezone.localdate(application.decided_at or at).isoformat()
    return prefill


def _complete(application: Application, at) -> None:
    instance = WorkflowInstance.objects.get(pk=application.workflow_id)
    application.completed_at = at
    application.working_days = working_calendar().elapsed_days(application.submitted_at, at) - instance.paused_days
    application.working_days = max(0, application.working_days)
    application.on_time = application.due_at is None or at <= application.due_at
    publish("services.application_completed", {"application_id": application.pk, "status": application.status})


def _tell_applicant(application: Application, title: str, body: str, actor) -> None:
    from bohai.kernel.notifications.actions import notify

    users = [application.submitted_by] if application.submitted_by.kind != "staff" else []
    person_account = getattr(application.applicant_person, "account", None) if application.applicant_person else None
    if person_account is not None and person_account not in users:
        users.append(person_account)
    if users:
        notify(users, title=title, body=body, link=f"/services/applications/{application.pk}/", level="warning",
               topic="services.supplement", actor=actor)
