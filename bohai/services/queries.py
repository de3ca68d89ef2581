"""What the services pages ask: once-only prefill and materials, who applies, whose applications,
timelines as each audience may see them, the workflow as a row of steps, working days left."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from bohai.engines.workdays.clock import local_date, working_calendar
from bohai.engines.workflows.definitions import Process
from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowTask
from bohai.kernel.accounts.models import AccountKind
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.identities.validators import mask_phone, mask_resident_id

from .models import Application, Channel, EventKind, ItemMaterial, ServiceItem
from .processes import process_for

MASKED_TYPES = {"id_number": mask_resident_id, "phone": mask_phone}


# Once-only: what the platform already knows ---------------------------------------------------------

def held_licenses(*, person=None, entity=None) -> dict:
    """The valid licences of one holder (or of a person and the entity they act for), by type code."""
    from bohai.licenses.queries import valid_licenses_of

    held = {}
    for holder in ({"person": person}, {"legal_entity": entity}):
        if next(iter(holder.values())) is None:
            continue
        for license in valid_licenses_of(**holder).order_by("-issue_date"):
            held.setdefault(license.license_type.code, license)
    return held


def prefilled_form(item: ServiceItem, person=None, entity=None) -> dict:
    """Initial values of the item's form from the person's and the entity's registers and their valid
    licences (`prefill` of each field: "person.name", "entity.credit_code", "license:<type>.<field>")."""
    licenses = None
    values = {}
    for spec in item.form:
        source = spec.get("prefill") or ""
        if source.startswith("license:"):
            if licenses is None:
                licenses = held_licenses(person=person, entity=entity)
            value = _from_license(licenses, source.removeprefix("license:"))
        elif source.startswith("person."):
            value = _from_person(person, source.removeprefix("person.")) if person is not None else None
        elif source.startswith("entity."):
            value = _from_entity(entity, source.removeprefix("entity.")) if entity is not None else None
        else:
            value = None
        if value not in (None, ""):
            values[spec["key"]] = _fitted(spec, value)
    return values


def _from_person(person, attribute: str):
    if attribute == "id_number":
        return person.id_number
    if attribute == "phone":
        return person.phone if person.phone_cipher else ""
    if attribute == "gender":
        return person.get_gender_display()
    if attribute == "birth_date":
        return person.birth_date.isoformat() if person.birth_date else ""
    if attribute == "region":
        return person.region.key
    if attribute in ("name", "address"):
        return getattr(person, attribute)
    return None


def _from_entity(entity, attribute: str):
    if attribute == "region":
        return entity.region.key
    if attribute in ("name", "credit_code", "legal_representative", "address"):
        return getattr(entity, attribute)
    return None


def _from_license(licenses: dict, reference: str):
    type_code, _dot, field_key = reference.partition(".")
    license = licenses.get(type_code)
    if license is None:
        return None
    if field_key == "number":
        return license.number
    return (license.extension or {}).get(field_key)


def _fitted(spec: dict, value):
    """Text for text fields, a list for a multichoice."""
    if spec["type"] == "multichoice":
        return value if isinstance(value, list) else [value]
    return str(value) if not isinstance(value, bool) else value


@dataclass
class MaterialPlan:
    material: ItemMaterial
    license: object = None       # the valid licence that replaces it (trust level A), or None

    @property
    def from_library(self) -> bool:
        return self.license is not None


def materials_plan(item: ServiceItem, person=None, entity=None) -> list[MaterialPlan]:
    """Each material of the item, with the applicant's licence that replaces it when they hold one
    (the same rule submit_application applies: then it is taken from the library and not uploaded)."""
    held = held_licenses(person=person) if person is not None else held_licenses(entity=entity) if entity is not None else {}
    return [MaterialPlan(material, held.get(material.replaced_by_license) if material.replaced_by_license else None)
            for material in item.materials.all()]


# Who applies, and whose applications a portal user sees ---------------------------------------------------

def applicant_for(user, item: ServiceItem):
    """(person, entity) the user applies as for this item, or None: an agent applies for their entity,
    a resident (or an agent for a personal item) as themselves; staff apply at the window only."""
    if not getattr(user, "is_authenticated", False) or user.kind == AccountKind.STAFF:
        return None
    if user.kind == AccountKind.ENTERPRISE_AGENT and user.legal_entity_id and "entity" in item.applicant_kinds:
        return None, user.legal_entity
    if user.person_id and "person" in item.applicant_kinds:
        return user.person, None
    return None


def applications_of(user):
    """A portal user's applications: theirs as a person, their entity's (agents), and what they submitted."""
    condition = Q(pk__in=[])
    if user.person_id:
        condition |= Q(applicant_person_id=user.person_id)
    if user.kind == AccountKind.ENTERPRISE_AGENT and user.legal_entity_id:
        condition |= Q(applicant_entity_id=user.legal_entity_id)
    if user.kind != AccountKind.STAFF:
        condition |= Q(submitted_by=user)
    return Application.objects.filter(condition).select_related("item", "organisation")


@service_action
def identify_applicant(identity: str, *, actor):
    """一窗受理: (kind, person, entity, problem) for a resident identity number or a unified social credit
    code. Persons are found by blind index, never by decrypting; `problem` says why a number is invalid.
    A lookup by personal data, so a valid number's lookup is audited (masked, with whether it was found)."""
    from bohai.kernel.identities import validators
    from bohai.kernel.identities.actions import find_legal_entity, find_person
    from bohai.kernel.identities.cleaning import identity_message

    number = "".join((identity or "").split()).upper()
    try:
        validators.validate_resident_id(number)
        kind, person, entity, masked = "person", find_person(number), None, mask_resident_id(number)
    except validators.IdentityValidationError as person_error:
        try:
            validators.validate_credit_code(number)
            kind, person, entity, masked = "entity", None, find_legal_entity(number), number
        except validators.IdentityValidationError as entity_error:
            looks_personal = number[:-1].isdigit() and (number[-1:].isdigit() or number[-1:] == "X")
            return "", None, None, identity_message(person_error if looks_personal else entity_error)
    found = person or entity
    record(actor=actor, action="services.window.identify", target=found,
           target_type="" if found else f"identities.{'person' if kind == 'person' else 'legalentity'}",
           after={"number_masked": masked, "found": found is not None})
    return kind, person, entity, ""


def find_for_progress(number: str, identity: str) -> Application | None:
    """The application with this number whose applicant has this identity number or credit code; else None."""
    from bohai.kernel.crypto.fields import blind_index

    number, identity = (number or "").strip(), "".join((identity or "").split()).upper()
    index = blind_index(identity)         # computed whether or not the number exists: the same work either way
    application = (Application.objects.filter(number=number)
                   .select_related("item", "organisation", "applicant_person", "applicant_entity").first())
    if application is None or not number or not identity:
        return None
    if application.applicant_person_id:
        return application if constant_time_compare(application.applicant_person.id_number_index, index) else None
    if application.applicant_entity_id:
        return application if constant_time_compare(application.applicant_entity.credit_code, identity) else None
    return None


# Timelines -------------------------------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    kind: str
    label: str
    at: datetime
    who: str
    detail: str = ""
    items: list = field(default_factory=list)
    license_number: str = ""
    public: bool = True


def public_timeline(application: Application) -> list[TimelineEntry]:
    """The applicant's view: public events only; staff appear as their unit, never by name."""
    events = application.events.filter(public=True).select_related("actor__organisation")
    return [_entry(application, event, internal=False) for event in events]


def internal_timeline(application: Application) -> list[TimelineEntry]:
    """The staff view: every event, with the officer's name, each step's outcome and comment."""
    events = application.events.select_related("actor__organisation")
    return [_entry(application, event, internal=True) for event in events]


def _entry(application: Application, event, *, internal: bool) -> TimelineEntry:
    params = event.params or {}
    entry = TimelineEntry(kind=event.kind, label=event.get_kind_display(), at=event.at,
                          who=_who(application, event, internal), public=event.public)
    if event.kind == EventKind.SUBMITTED:
        entry.detail = Channel(params["channel"]).label if params.get("channel") in Channel.values else ""
    elif event.kind in (EventKind.REJECTED, EventKind.DENIED, EventKind.WITHDRAWN):
        entry.detail = params.get("reason") or ""
    elif event.kind == EventKind.SUPPLEMENT_REQUESTED:
        entry.items = list(params.get("items") or [])
    elif event.kind == EventKind.SUPPLEMENTED:
        entry.items = list(params.get("materials") or [])
        entry.detail = params.get("note") or ""
    elif event.kind == EventKind.LICENSED:
        entry.license_number = params.get("license_number") or ""
    elif event.kind == EventKind.REVIEWED:
        entry.detail = params.get("rating") or ""
    elif event.kind == EventKind.STEP_DONE:
        outcome = {"approve": _("通过"), "deny": _("不予通过"), "return": _("退回上一环节")}.get(params.get("outcome"), "")
        entry.label = f"{params.get('step', '')} · {outcome}" if outcome else params.get("step", entry.label)
        entry.detail = params.get("comment") or ""
    elif event.kind == EventKind.RETURNED:
        entry.detail = _("退回至：%(stage)s") % {"stage": params.get("to", "")}
    return entry


def _who(application: Application, event, internal: bool) -> str:
    actor = event.actor
    if actor is None:
        return _("系统")
    if actor.kind == AccountKind.STAFF or actor.is_superuser:
        unit = actor.organisation or application.organisation
        unit_name = (unit.short_name or unit.name) if unit is not None else _("办理机构")
        return f"{unit_name} · {event.actor_label}" if internal else unit_name
    if internal:
        return event.actor_label
    return _("申请人")


def masked_form_data(application: Application) -> list[tuple[str, str]]:
    """(label, value) of the declared form as filled; identity numbers and phones masked."""
    rows = []
    for spec in application.item.form:
        if spec["type"] == "attachment" or spec["key"] not in application.form_data:
            continue
        value = application.form_data[spec["key"]]
        if spec["type"] in MASKED_TYPES and value:
            value = MASKED_TYPES[spec["type"]](str(value))
        elif isinstance(value, bool):
            value = _("是") if value else _("否")
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        rows.append((spec["label"], value))
    return rows


# The workflow as steps --------------------------------------------------------------------------------------

@dataclass
class StepView:
    name: str
    state: str                     # done, current, pending, denied, skipped
    days: int | None = None
    hours: float | None = None
    unit: str = ""
    due_at: datetime | None = None
    completed_at: datetime | None = None
    outcome: str = ""
    branches: list = field(default_factory=list)


def guide_steps(item: ServiceItem) -> list[StepView]:
    """The item's declared (or default) process, for the guide: names and limits, nothing yet done."""
    return [StepView(stage.name, "pending", stage.days, None,
                     branches=[StepView(step.name, "pending", step.days, step.hours) for step in stage.steps]
                     if stage.parallel else [])
            for stage in process_for(item).stages]


def application_steps(application: Application) -> list[StepView]:
    """Each stage of the running process: done, current (with its open tasks), pending, or skipped after
    a refusal; a parallel stage lists its branches with their own state."""
    instance = application.workflow
    if instance is None:
        return []
    process = Process.from_declaration(instance.declaration)
    tasks = {}
    for task in (WorkflowTask.objects.filter(instance=instance).select_related("organisation")
                 .order_by("opened_at", "id")):
        tasks[(task.stage_key, task.step_key)] = task       # the latest task of each step wins
    ended = instance.status in (InstanceStatus.FINISHED, InstanceStatus.CANCELLED)
    views = []
    for stage in process.stages:
        branches = [_step_view(step, tasks.get((stage.key, step.key))) for step in stage.steps]
        states = {b.state for b in branches}
        if "current" in states:
            state = "current"
        elif any(b.outcome == "deny" for b in branches):
            state = "denied"
        elif states == {"done"}:
            state = "done"
        else:
            state = "skipped" if ended else "pending"
        view = StepView(stage.name, state, stage.days, branches=branches if stage.parallel else [])
        if not stage.parallel:
            only = branches[0]
            view.unit, view.due_at, view.completed_at, view.outcome = only.unit, only.due_at, only.completed_at, only.outcome
            view.hours = only.hours
        views.append(view)
    return views


def _step_view(step, task) -> StepView:
    view = StepView(step.name, "pending", step.days, step.hours)
    if task is None:
        return view
    view.unit = (task.organisation.short_name or task.organisation.name) if task.organisation_id else ""
    view.due_at, view.completed_at, view.outcome = task.due_at, task.completed_at, task.outcome
    view.state = {TaskStatus.OPEN: "current", TaskStatus.DONE: "done"}.get(task.status, "skipped")
    if task.status == TaskStatus.DONE and task.outcome == "return":
        view.state = "pending"
    return view


# Time left ----------------------------------------------------------------------------------------------------

def working_days_left(due_at: datetime | None, now: datetime | None = None) -> int | None:
    """Working days left until a deadline, today counted while it is not over; negative once overdue.

    Deadlines fall at midnight after their last working day (WorkingCalendar.deadline)."""
    if due_at is None:
        return None
    now = now or timezone.now()
    calendar = working_calendar()
    today, last_day = local_date(now), local_date(due_at - timedelta(microseconds=1))
    if now < due_at:
        return calendar.working_days_between(today - timedelta(days=1), last_day)
    return -max(1, calendar.working_days_between(last_day, today))


def masked_applicant(application: Application) -> str:
    """A person's name as 张*明 (an organisation's name is public), for lists and queues."""
    name = (application.applicant_name or "").strip()
    if application.applicant_entity_id or len(name) <= 1:
        return name
    return name[0] + "*" if len(name) == 2 else name[0] + "*" * (len(name) - 2) + name[-1]
