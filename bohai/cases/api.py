"""The cases system over the API, under /api/v1/cases.

- The class tree (public): major classes with their active minor classes and the 12345 topics.
- Cases within the caller's scope (`Case.objects.restrict(user, "view")`): list with filters and
  ordering, one case in full, its possible duplicates, its photos.
- Reporting: a grid worker (patrol), a hotline operator (12345 call) or a signed-in resident
  (portal), multipart with photos.
- The stage actions, each calling bohai.cases.actions: file, refuse, dispatch (with the
  expected_version read from the case: 409 when someone dispatched first), sign, send-back,
  handled, verify, follow-up, defer, resume, extension and its decision.
- Dispatch suggestions while the 12345 operator types: the model's top three with the unit
  responsible at the place.

A case outside the caller's scope answers 404; a stage the caller's role may not act on, 403.
"""
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Form, Query, Router
from ninja import Status as Reply
from ninja.pagination import paginate

from bohai.kernel.accounts.models import AccountKind
from bohai.kernel.api.paging import PageNumbers, apply_ordering
from bohai.kernel.audit.service import Conflict
from bohai.kernel.files.reading import StoredFileUnavailable, file_response
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region
from bohai.kernel.regions.spatial import locate

from . import actions, dispatch, duplicates
from .api_indicators import router as indicators_router
from .models import Case, CaseClass, CasePhoto, ExtensionRequest, ExtensionStatus, Source, Status, Track
from .schemas import (
    LATE_STATUSES, CaseDetailOut, CaseFilter, CaseRowOut, ClassGroupOut, DispatchIn, ExtensionDecisionIn, ExtensionIn,
    ExtensionOut, FileIn, FollowUpIn, ReasonIn, RefuseIn, ReportedOut, RevealIn, RevealOut, SendBackIn, SuggestIn,
    SuggestOut, VersionIn,
)

router = Router()
router.add_router("/indicators", indicators_router)

CASE_ORDERING = {"id", "number", "reported_at", "due_at", "closed_at", "status"}
MAX_SUGGEST_TEXT = 4000
PHOTOS_HELP = "照片：字段名 photos，可多张，JPEG 或 PNG（每张不超过 10 MB），按内容判断类型。"
REGION_FIELDS = ("region", "county", "township", "grid")


def _multipart(properties: dict, required: list[str]) -> dict:
    properties = {**properties, "photos": {"type": "array", "items": {"type": "string", "format": "binary"},
                                           "description": PHOTOS_HELP}}
    return {"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": properties, "required": required}}}}}


REPORT_BODY = _multipart({
    "track": {"type": "string", "enum": ["city", "hotline"], "default": "city", "description": "city 数字城管 / hotline 12345诉求"},
    "description": {"type": "string", "maxLength": 4000},
    "case_class": {"type": "string", "description": "小类编码（可不填，由立案或派单时确定）"},
    "appeal_type": {"type": "string", "description": "12345：consult、help、complaint、report、suggestion、praise"},
    "lng": {"type": "number"}, "lat": {"type": "number"},
    "region": {"type": "string", "description": "无坐标时：区划标识或代码"},
    "address": {"type": "string"}, "urgency": {"type": "string", "enum": ["normal", "urgent"]},
    "caller_name": {"type": "string"}, "caller_phone": {"type": "string"},
}, ["description"])
VERSION_FIELD = {"type": "integer", "description": "读取时该环节任务的 version；已被他人办理则 409"}
NOTE_BODY = _multipart({"note": {"type": "string"}, "expected_version": VERSION_FIELD}, ["note"])
VERIFY_BODY = _multipart({"passed": {"type": "boolean"}, "note": {"type": "string"}, "expected_version": VERSION_FIELD},
                         ["passed"])


# Classes ---------------------------------------------------------------------------------------

@router.get("/classes", auth=None, response=list[ClassGroupOut], summary="问题分类树（部件、事件大类与小类，12345诉求领域）")
def class_tree(request):
    classes = list(CaseClass.objects.filter(active=True))
    children: dict[int, list] = {}
    for case_class in classes:
        if case_class.parent_id:
            children.setdefault(case_class.parent_id, []).append(case_class)
    order = {"part": 0, "event": 1, "topic": 2}
    majors = sorted((c for c in classes if not c.parent_id), key=lambda c: (order.get(c.kind, 9), c.code))
    for major in majors:
        major.minor_classes = sorted(children.get(major.pk, []), key=lambda c: c.code)
    return majors


# Lookups ---------------------------------------------------------------------------------------

def _cases():
    return (Case.objects.select_related("case_class", "organisation", "duplicate_of", *REGION_FIELDS)
            .defer(*(f"{field}__boundary" for field in REGION_FIELDS)))


def _in_scope(user, number: str, action: str = "view") -> Case:
    return _cases().get_in_scope(user, action, number=number)


def _detail(user, number: str) -> Case:
    return (_cases().prefetch_related("events", "photos", "extensions")
            .get_in_scope(user, "view", number=number))


def _region(value: str | None, field: str) -> Region | None:
    if not value:
        return None
    region = Region.objects.defer("boundary").filter(Q(key=value) | Q(code=value)).first()
    if region is None:
        raise ValidationError({field: [_("区划 %(key)s 不存在") % {"key": value}]})
    return region


def _class(code: str | None, field: str = "case_class") -> CaseClass | None:
    code = (code or "").strip()
    if not code:
        return None
    case_class = CaseClass.objects.filter(code=code, active=True).first()
    if case_class is None:
        raise ValidationError({field: [_("没有编码为“%(code)s”的在用分类") % {"code": code}]})
    return case_class


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


# Cases in scope --------------------------------------------------------------------------------

def _filtered(cases, filters: CaseFilter):
    if filters.track:
        if filters.track not in Track.values:
            raise ValidationError({"track": [_("业务类型只能是 city（数字城管）或 hotline（12345）")]})
        cases = cases.filter(track=filters.track)
    if filters.status:
        wanted = [s.strip() for s in filters.status.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in Status.values]
        if unknown:
            raise ValidationError({"status": [_("没有这个状态：%(bad)s；可选：%(values)s") % {
                "bad": "、".join(unknown), "values": "、".join(Status.values)}]})
        cases = cases.filter(status__in=wanted)
    if filters.case_class:
        case_class = CaseClass.objects.filter(code=filters.case_class).first()
        if case_class is None:
            raise ValidationError({"case_class": [_("没有编码为“%(code)s”的分类") % {"code": filters.case_class}]})
        cases = cases.filter(Q(case_class=case_class) | Q(case_class__parent=case_class))
    for field in ("county", "township"):
        region = _region(getattr(filters, field), field)
        if region is not None:
            cases = cases.filter(**{f"{field}": region})
    if filters.reported_from and filters.reported_to and filters.reported_from > filters.reported_to:
        raise ValidationError({"reported_to": [_("截止日期不能早于起始日期")]})
    if filters.reported_from:
        cases = cases.filter(reported_at__gte=_local_midnight(filters.reported_from))
    if filters.reported_to:
        cases = cases.filter(reported_at__lt=_local_midnight(filters.reported_to + timedelta(days=1)))
    if filters.overdue is not None:
        late = Q(on_time=False) | Q(due_at__lt=timezone.now(), status__in=LATE_STATUSES)
        cases = cases.filter(late if filters.overdue else ~late)
    return cases


@router.get("/cases", response=list[CaseRowOut], summary="案件与诉求列表（限权限范围）")
@paginate(PageNumbers)
def list_cases(request, filters: Query[CaseFilter], ordering: str | None = None):
    """`ordering`：reported_at、due_at、closed_at、number、status、id，前加 - 为倒序；默认最新上报在前。"""
    cases = _cases().restrict(request.auth, "view").exclude(number__isnull=True)
    return apply_ordering(_filtered(cases, filters), ordering, CASE_ORDERING)


@router.get("/cases/{number}", response=CaseDetailOut, summary="案件详情（动态、照片、待办环节与版本）")
def get_case(request, number: str):
    return _detail(request.auth, number)


@router.get("/cases/{number}/duplicates", response=list[CaseRowOut],
            summary="疑似重复案件（同类 50 米内或描述相近，24 小时内；限权限范围）")
def case_duplicates(request, number: str):
    case = _in_scope(request.auth, number)
    found = [c.pk for c in duplicates.possible_duplicates(case)]
    visible = set(Case.objects.restrict(request.auth, "view").filter(pk__in=found).values_list("pk", flat=True))
    by_pk = {c.pk: c for c in _cases().filter(pk__in=visible)}
    return [by_pk[pk] for pk in found if pk in by_pk]


@router.get("/cases/{number}/photos/{photo_id}", response={200: None}, summary="案件照片（限权限范围）")
def case_photo(request, number: str, photo_id: int):
    case = _in_scope(request.auth, number)
    photo = CasePhoto.objects.select_related("stored_file").filter(case=case, pk=photo_id).first()
    if photo is None:
        raise Http404
    try:
        return file_response(photo.stored_file, download_name=f"{case.number}-{photo.pk}", as_attachment=False)
    except StoredFileUnavailable:
        raise Http404 from None


# Reporting -------------------------------------------------------------------------------------

def _source_for(user, track: str) -> str:
    if user.kind in (AccountKind.RESIDENT, AccountKind.ENTERPRISE_AGENT):
        return Source.PORTAL
    if not user.has_perm("cases.add_case"):
        raise PermissionDenied(_("您没有上报案件的权限"))
    return Source.HOTLINE if track == Track.HOTLINE else Source.PATROL


def _number(text: str, field: str) -> float | None:
    """An optional number from a form: empty is absent."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError({field: [_("应为数字")]}) from None


def _check_staff_place(user, lng, lat, region) -> None:
    """Staff report within their own area (a grid worker's grid, the hotline's city)."""
    if user.is_superuser:
        return
    if region is None:
        try:
            located = locate(float(lng), float(lat))
        except (TypeError, ValueError):
            return  # the action says what is wrong with the coordinates
        if not located:
            return
        region = located.deepest
    if not any(region.path.startswith(path) for path, _unit in user.scopes_for("cases.add_case")):
        raise ValidationError({"location": [_("该位置不在您的辖区内")]})


@router.post("/cases", response={201: ReportedOut}, openapi_extra=REPORT_BODY,
             summary="上报（multipart：网格员巡查、12345 受理员来电登记、居民门户上报，可附照片）")
def report(request, description: Form[str] = "", track: Form[str] = Track.CITY, case_class: Form[str] = "",
           appeal_type: Form[str] = "", lng: Form[str] = "", lat: Form[str] = "",
           region: Form[str] = "", address: Form[str] = "", urgency: Form[str] = "normal",
           caller_name: Form[str] = "", caller_phone: Form[str] = ""):
    """居民账户为门户上报；具有上报权限的工作人员按业务类型为巡查（city）或来电（hotline），须在本人辖区内。

    位置：`lng` 与 `lat`，或 `region`（区划标识或代码）。照片：字段 `photos`，可多张。错误逐字段说明：
    `description`、`location`、`photos[i]`、`case_class`、`caller_phone` 等。"""
    user = request.auth
    source = _source_for(user, track)
    longitude, latitude = _number(lng, "lng"), _number(lat, "lat")
    place_region = _region(region.strip(), "region")
    if source != Source.PORTAL and (place_region is not None or longitude is not None):
        _check_staff_place(user, longitude, latitude, place_region)
    case = actions.report_case(
        actor=user, track=track, source=source, description=description, photos=request.FILES.getlist("photos"),
        case_class=_class(case_class), appeal_type=appeal_type.strip(), lng=longitude, lat=latitude, region=place_region,
        address=address, urgency=urgency.strip() or "normal", caller_name=caller_name, caller_phone=caller_phone)
    return Reply(201, _cases().get(pk=case.pk))


# Stage actions ---------------------------------------------------------------------------------

def _done(case: Case) -> Case:
    """The case after the action, read afresh. Not through the scope again: a unit that sends a case back
    has just acted on it, and answering 404 because it is no longer the unit's would hide the outcome."""
    return _cases().prefetch_related("events", "photos", "extensions").get(pk=case.pk)


@router.post("/cases/{number}/file", response=CaseDetailOut, summary="立案（确认或更正分类与紧急程度）")
def file(request, number: str, payload: FileIn):
    case = _in_scope(request.auth, number)
    actions.file_case(case, actor=request.auth, case_class=_class(payload.case_class), urgency=payload.urgency or None,
                      expected_version=payload.expected_version)
    return _done(case)


@router.post("/cases/{number}/refuse", response=CaseDetailOut, summary="不予立案或作为重复合并（须写明理由）")
def refuse(request, number: str, payload: RefuseIn):
    case = _in_scope(request.auth, number)
    original = None
    if payload.duplicate_of:
        original = Case.objects.restrict(request.auth, "view").filter(number=payload.duplicate_of.strip()).first()
        if original is None:
            raise ValidationError({"duplicate_of": [_("案卷 %(number)s 不存在或不在您的权限范围内") % {
                "number": payload.duplicate_of}]})
    actions.refuse_case(case, reason=payload.reason, duplicate_of=original, actor=request.auth,
                        expected_version=payload.expected_version)
    return _done(case)


@router.post("/cases/{number}/dispatch", response=CaseDetailOut,
             summary="派遣（数字城管）或派单（12345）到处置单位；expected_version 防止重复派遣")
def dispatch_to(request, number: str, payload: DispatchIn):
    case = _in_scope(request.auth, number)
    value = str(payload.organisation).strip()
    unit = Organisation.objects.filter(Q(key=value) | Q(pk=int(value)) if value.isdigit() else Q(key=value)).first()
    if unit is None:
        raise ValidationError({"organisation": [_("没有这个机构：%(value)s") % {"value": value}]})
    actions.dispatch_case(case, organisation=unit, actor=request.auth, case_class=_class(payload.case_class),
                          expected_version=payload.expected_version)
    return _done(case)


@router.post("/cases/{number}/sign", response=CaseDetailOut, summary="签收（处置单位）")
def sign(request, number: str, payload: VersionIn | None = None):
    case = _in_scope(request.auth, number)
    actions.sign_case(case, actor=request.auth, expected_version=payload.expected_version if payload else None)
    return _done(case)


@router.post("/cases/{number}/send-back", response=CaseDetailOut, summary="退回：不属于本单位职责（须写明理由）")
def send_back(request, number: str, payload: SendBackIn):
    case = _in_scope(request.auth, number)
    actions.send_back(case, reason=payload.reason, actor=request.auth, expected_version=payload.expected_version)
    return _done(case)


@router.post("/cases/{number}/handled", response=CaseDetailOut, openapi_extra=NOTE_BODY,
             summary="处置反馈或 12345 答复（multipart：说明与处置后照片）")
def handled(request, number: str, note: Form[str] = "", expected_version: Form[int | None] = None):
    case = _in_scope(request.auth, number)
    actions.report_handled(case, actor=request.auth, note=note, photos=request.FILES.getlist("photos"),
                           expected_version=expected_version)
    return _done(case)


@router.post("/cases/{number}/verify", response=CaseDetailOut, openapi_extra=VERIFY_BODY,
             summary="核查（multipart：通过则结案，不通过须写明问题并返工；可附核查照片）")
def verify(request, number: str, passed: Form[bool], note: Form[str] = "", expected_version: Form[int | None] = None):
    case = _in_scope(request.auth, number)
    actions.verify_case(case, actor=request.auth, passed=passed, note=note, photos=request.FILES.getlist("photos"),
                        expected_version=expected_version)
    return _done(case)


@router.post("/cases/{number}/follow-up", response=CaseDetailOut, summary="12345 回访：记录满意度并办结")
def follow_up(request, number: str, payload: FollowUpIn):
    case = _in_scope(request.auth, number)
    actions.follow_up(case, satisfaction=payload.satisfaction, note=payload.note, actor=request.auth,
                      expected_version=payload.expected_version)
    return _done(case)


@router.post("/cases/{number}/caller-phone", response=RevealOut,
             summary="查看来电号码以便回访（须有查看权限并写明原因，每次查看都记入审计）")
def reveal_caller(request, number: str, payload: RevealIn):
    case = _in_scope(request.auth, number)
    if not case.caller_phone_cipher:
        raise Http404
    return {"caller_phone": actions.reveal_caller_phone(case, reason=payload.reason, actor=request.auth)}


# Supervision: the case must be in the caller's scope for cases.file_case (the supervision centre),
# not merely visible; the actions check the permission too.

@router.post("/cases/{number}/defer", response=CaseDetailOut, summary="挂账（监督中心；停止计时，不计入结案率）")
def defer(request, number: str, payload: ReasonIn):
    case = _in_scope(request.auth, number, "file")
    actions.defer_case(case, reason=payload.reason, actor=request.auth)
    return _done(case)


@router.post("/cases/{number}/resume", response=CaseDetailOut, summary="恢复挂账案件的处置（监督中心）")
def resume(request, number: str):
    case = _in_scope(request.auth, number, "file")
    actions.resume_deferred(case, actor=request.auth)
    return _done(case)


@router.post("/cases/{number}/extension", response={201: ExtensionOut}, summary="申请延期（处置单位，1–30 个工作日）")
def request_extension(request, number: str, payload: ExtensionIn):
    extension = actions.request_extension(_in_scope(request.auth, number), days=payload.days, reason=payload.reason,
                                          actor=request.auth)
    return Reply(201, extension)


@router.post("/cases/{number}/extension/decide", response=CaseDetailOut, summary="审批待批的延期申请（监督中心）")
def decide_extension(request, number: str, payload: ExtensionDecisionIn):
    case = _in_scope(request.auth, number, "file")
    extension = ExtensionRequest.objects.filter(case=case, status=ExtensionStatus.PENDING).first()
    if extension is None:
        raise Conflict(_("该案件没有待审批的延期申请"))
    actions.decide_extension(extension, approve=payload.approve, actor=request.auth)
    return _done(case)


# Dispatch suggestions --------------------------------------------------------------------------

@router.post("/suggest", response=SuggestOut, summary="智能分派建议：前三个分类、置信度与当地责任单位（受理时边输入边调用）")
def suggest(request, payload: SuggestIn):
    """位置：`lng` 与 `lat`（须在本市范围内），或 `region`；都不给时只按文字建议，不含责任单位。"""
    text = (payload.text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请输入诉求内容")]})
    if len(text) > MAX_SUGGEST_TEXT:
        raise ValidationError({"text": [_("不能超过 %(max)d 字") % {"max": MAX_SUGGEST_TEXT}]})
    if payload.track not in Track.values:
        raise ValidationError({"track": [_("业务类型只能是 city（数字城管）或 hotline（12345）")]})
    region = _region((payload.region or "").strip(), "region")
    if region is None and (payload.lng is not None or payload.lat is not None):
        if payload.lng is None or payload.lat is None:
            raise ValidationError({"location": [_("经纬度须同时提供")]})
        located = locate(payload.lng, payload.lat)
        if not located:
            raise ValidationError({"location": [_("位置（%(lng).5f, %(lat).5f）不在本市范围内") % {
                "lng": payload.lng, "lat": payload.lat}]})
        region = located.deepest
    top = dispatch.suggest(text, region, track=payload.track)
    return {"region": region.key if region else None, "region_name": region.name if region else None, "top": top}
