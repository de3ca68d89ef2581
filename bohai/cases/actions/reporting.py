"""Collecting a case (patrol, portal, Open311, hotline, sensor) and filing it (立案) or refusing it."""
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workflows import actions as workflow
from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import blind_index, encrypt
from bohai.kernel.database.writes import insert, update_unread
from bohai.kernel.events.outbox import publish
from bohai.kernel.files.actions import store_upload
from bohai.kernel.identities import validators
from bohai.kernel.identities.cleaning import identity_message
from bohai.kernel.regions.models import Region
from bohai.kernel.regions.spatial import locate

from ..dispatch import suggest, suggestion_record
from ..models import AppealType, Case, CaseClass, CasePhoto, PhotoStage, Source, Status, Track, Urgency
from ..processes import FILE, ROUTE, city_process, hotline_process
from .steps import open_task, take_step
from .timeline import add_event

MAX_DESCRIPTION = 4000
PHOTO_MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 9


def report_case(*, actor, track: str, source: str, description: str, photos: list = (), **fields) -> Case:
    """Take a problem in; photos (JPEG/PNG, 10 MB each) are checked and stored before the transaction.

    `charge`, when given, is called inside the report's transaction after its writes: a caller's quota
    (Open311's per-key limit) is counted with the report, or not at all when the report fails."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS}]})
    stored, problems = [], {}
    for position, photo in enumerate(photos):
        try:
            stored.append(store_upload(photo, actor=actor, allowed_kinds=("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES,
                                       field=f"photos[{position}]"))
        except ValidationError as error:
            problems.update(error.message_dict)
    suggestion = _suggestion_before(description, track, fields)
    return _report(actor=actor, track=track, source=source, description=description, stored_photos=stored,
                   photo_problems=problems, suggestion=suggestion, **fields)


def _suggestion_before(description: str, track: str, fields: dict) -> dict:
    """The dispatch suggestion, computed before the transaction opens (it reads a model and a few
    reference rows, and SQLite would hold its write lock meanwhile); {} when the place is unusable."""
    text = (description or "").strip()
    if not text or len(text) > MAX_DESCRIPTION:
        return {}
    region = fields.get("region")
    if fields.get("lng") is not None and fields.get("lat") is not None:
        try:
            region = locate(float(fields["lng"]), float(fields["lat"])).deepest
        except (TypeError, ValueError):
            return {}
    return suggestion_record(suggest(text, region, track=track)) if region is not None else {}


@service_action
def _report(*, actor, track: str, source: str, description: str, stored_photos: list, photo_problems: dict,
            suggestion: dict, case_class: CaseClass | None = None, appeal_type: str = "", lng=None, lat=None, address: str = "",
            region: Region | None = None, urgency: str = Urgency.NORMAL, caller_name: str = "", caller_phone: str = "",
            reporter=None, external_token: str = "", at=None, charge=None) -> Case:
    at = at or timezone.now()
    problems = dict(photo_problems)
    description = _check_description(description, problems)
    place = _check_place(lng, lat, region, problems)
    phone = _check_phone(caller_phone, problems)
    if track not in Track.values:
        problems["track"] = [_("业务类型只能是 city（数字城管）或 hotline（12345）")]
    if source not in Source.values:
        problems["source"] = [_("未知来源 %(source)s") % {"source": source}]
    if urgency not in Urgency.values:
        problems["urgency"] = [_("紧急程度只能是 normal 或 urgent")]
    if appeal_type and appeal_type not in AppealType.values:
        problems["appeal_type"] = [_("诉求类型只能是 咨询、求助、投诉、举报、建议 或 表扬")]
    if problems:
        raise ValidationError(problems)
    case = Case(track=track, source=source, appeal_type=appeal_type, case_class=case_class, description=description,
                address=(address or "").strip()[:200], lng=lng, lat=lat, status=Status.REPORTED if track == Track.CITY
                else Status.ACCEPTED, urgency=urgency if case_class is None or urgency == Urgency.URGENT else case_class.urgency,
                reporter=reporter if reporter is not None else (actor if _is_user(actor) else None),
                caller_name_masked=_mask_name(caller_name), external_token=external_token, reported_at=at, **place)
    if phone:
        case.caller_phone_cipher, case.caller_phone_index = encrypt(phone), blind_index(phone)
        case.caller_phone_masked = validators.mask_phone(phone)
    case.suggestion = suggestion or suggestion_record(suggest(description, case.region, track=track))
    insert(case)
    case.number = _number(case, at)
    CasePhoto.objects.bulk_create([CasePhoto(case=case, stage=PhotoStage.REPORT, stored_file=f) for f in stored_photos])
    case.workflow = _start(case, at, actor)
    update_unread(case, ("number", "workflow"))  # both wanted the row's id
    add_event(case, "reported", actor=actor, at=at, source=source)
    record(actor=actor, action="cases.case.report", target=case, after=snapshot(case, ("suggestion",)))
    publish("cases.reported", {"case_id": case.pk, "track": track})
    if charge is not None:
        charge()
    return case


@service_action
def file_case(case: Case, *, actor, case_class: CaseClass | None = None, urgency: str | None = None,
              expected_version: int | None = None, at=None) -> Case:
    """立案: the supervision centre accepts the problem as a case, confirming (or correcting) its class."""
    at = at or timezone.now()
    case = _with_class(case, case_class, urgency)
    take_step(case, FILE, actor=actor, at=at, expected_version=expected_version)
    case.status, case.filed_at = Status.FILED, at
    case.save(update_fields=["status", "filed_at", "case_class", "urgency", "updated_at"])
    add_event(case, "filed", actor=actor, at=at, case_class=case.case_class.name if case.case_class else "")
    return case


@service_action
def refuse_case(case: Case, *, reason: str, actor, duplicate_of: Case | None = None, expected_version: int | None = None,
                at=None) -> Case:
    """Not filed: invalid (with the reason) or a duplicate merged into the earlier case."""
    at = at or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请写明不予立案的理由")]})
    if duplicate_of is not None and (duplicate_of.pk == case.pk or duplicate_of.duplicate_of_id):
        raise ValidationError({"duplicate_of": [_("只能合并到一个未被合并的其他案件")]})
    task = open_task(case, FILE if case.track == Track.CITY else ROUTE, actor)
    workflow.complete_task(task, outcome="deny", comment=reason, actor=actor, at=at, expected_version=expected_version)
    case.status = Status.MERGED if duplicate_of else Status.INVALID
    case.duplicate_of, case.reason, case.closed_at = duplicate_of, reason.strip()[:400], at
    case.save(update_fields=["status", "duplicate_of", "reason", "closed_at", "updated_at"])
    add_event(case, "merged" if duplicate_of else "refused", actor=actor, at=at, reason=case.reason,
              into=duplicate_of.number if duplicate_of else "")
    return case


# Checks and set-up ------------------------------------------------------------------------------

def _check_description(description: str, problems: dict) -> str:
    text = (description or "").strip()
    if not text:
        problems["description"] = [_("请描述问题")]
    elif len(text) > MAX_DESCRIPTION:
        problems["description"] = [_("问题描述不能超过 %(max)d 字，现为 %(n)d 字") % {"max": MAX_DESCRIPTION, "n": len(text)}]
    return text


def _check_place(lng, lat, region, problems: dict) -> dict:
    if lng is None and lat is None:
        if region is None:
            problems["location"] = [_("请在地图上标注位置，或选择所在区县")]
            return {}
        return _place_of(region)
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        problems["location"] = [_("经纬度应为数字")]
        return {}
    location = locate(lng, lat)
    if not location:
        problems["location"] = [_("位置（%(lng).5f, %(lat).5f）不在本市范围内") % {"lng": lng, "lat": lat}]
        return {}
    return {"region": location.deepest, "county": location.county, "township": location.township, "grid": location.grid}


def _place_of(region: Region) -> dict:
    keys = region.path.strip("/").split("/")
    levels = {r.level: r for r in Region.objects.filter(key__in=keys).defer("boundary")}
    return {"region": region, "county": levels.get("county") or levels.get("zone"), "township": levels.get("township"),
            "grid": levels.get("grid")}


def _check_phone(phone: str, problems: dict) -> str:
    if not (phone or "").strip():
        return ""
    try:
        return validators.validate_mobile_phone(phone)
    except validators.IdentityValidationError as error:
        problems["caller_phone"] = [identity_message(error)]
        return ""


def _mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1) if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def _number(case: Case, at) -> str:
    prefix = "CG" if case.track == Track.CITY else "RX"
    local = timezone.localtime(at)
    return f"{prefix}{local:%Y%m%d}{case.pk:07d}"


def _start(case: Case, at, actor):
    urgent = case.urgency == Urgency.URGENT
    process = city_process(case.case_class, urgent) if case.track == Track.CITY else hotline_process(case.case_class, urgent)
    department = case.case_class.department if case.case_class and case.case_class.department else "grid_command"
    return workflow.start_process(case, process, region=case.region, department=department, started_at=at, actor=actor)


def _with_class(case: Case, case_class: CaseClass | None, urgency: str | None) -> Case:
    case = Case.objects.select_for_update(of=("self",)).select_related("workflow", "case_class").get(pk=case.pk)
    before = (case.case_class_id, case.urgency)
    if case_class is not None:
        if not case_class.is_minor:
            raise ValidationError({"case_class": [_("请选择小类")]})
        case.case_class = case_class
    if urgency is not None:
        if urgency not in Urgency.values:
            raise ValidationError({"urgency": [_("紧急程度只能是 normal 或 urgent")]})
        case.urgency = urgency
    if case.case_class is None:
        raise ValidationError({"case_class": [_("立案前须确定问题分类")]})
    if (case.case_class_id, case.urgency) != before:  # the handling limit follows the confirmed class
        urgent = case.urgency == Urgency.URGENT
        workflow.redeclare(case.workflow, city_process(case.case_class, urgent), actor="system:cases")
    return case


def _is_user(actor) -> bool:
    return hasattr(actor, "pk") and not isinstance(actor, str)
