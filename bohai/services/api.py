"""The services system over the API, under /api/v1/services.

- The catalogue (public): items, one item's full guide, life events.
- The applicant's side (a signed-in resident or enterprise agent): submit with materials and an
  Idempotency-Key, follow, withdraw, supplement, rate.
- The staff side (a page session or a departmental system's API key, scoped like staff): the
  applications in scope, one application in full, the caller's task queue, accept / reject /
  ask for a supplement, complete a task with the version it was read at (409 when stale).
- Public progress by number and identity number, answering the same 404 whichever is wrong.

Every change goes through bohai.services.actions; this module only reads, checks and calls.
"""
import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Form, Header, Query, Router
from ninja import Status as Reply
from ninja.pagination import paginate

from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowInstance, WorkflowTask
from bohai.engines.workflows.queries import actionable_condition, tasks_for
from bohai.kernel.api.paging import PageNumbers, apply_ordering
from bohai.kernel.api.throttling import AddressRateThrottle
from bohai.kernel.audit.service import Conflict
from bohai.kernel.crypto.fields import blind_index, constant_time_equal
from bohai.kernel.files.reading import file_response
from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.regions.models import Region

from . import actions
from .api_statistics import router as statistics_router
from .models import (
    FINAL_STATUSES, Application, ApplicationMaterial, LifeEvent, OnlineDepth, ServiceItem, Status,
)
from .schemas import (
    ONLINE_APPLICATION_DEPTH, ApplicationDetailOut, ApplicationFilter, ApplicationRowOut, CompleteTaskIn,
    ItemDetailOut, ItemFilter, ItemSummaryOut, LifeEventOut, MyApplicationDetailOut, MyApplicationOut, ProgressOut,
    ReasonIn, RequiredReasonIn, ReviewIn, ReviewOut, SubmittedOut, SupplementRequestIn, TaskFilter, TaskOut, TaskResultOut,
    application_for_progress,
)

router = Router()
router.add_router("/statistics", statistics_router)

APPLICATION_ORDERING = {"id", "number", "submitted_at", "due_at", "completed_at", "status"}
TASK_ORDERING = {"id", "due_at", "opened_at"}
MAX_IDEMPOTENCY_KEY = 64
IDEMPOTENCY_FIELD = "Idempotency-Key"
MATERIALS_HELP = "材料文件：以材料编号为字段名上传（如 m1、m2），每项一个文件，PDF、JPEG 或 PNG（每个不超过 10 MB），按内容判断类型。"


def _multipart(properties: dict, required: list[str]) -> dict:
    """The multipart body in the OpenAPI document: the declared fields plus one file per material code."""
    return {"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": properties, "required": required,
        "additionalProperties": {"type": "string", "format": "binary", "description": MATERIALS_HELP},
    }}}}}


SUBMIT_BODY = _multipart({
    "item": {"type": "string", "description": "事项编码"},
    "form": {"type": "string", "description": "表单 JSON，字段见事项指南的 form", "default": "{}"},
    "applicant": {"type": "string", "enum": ["", "person", "entity"], "description": "person 本人（缺省）/ entity 所代办的单位"},
}, ["item"])
SUPPLEMENT_BODY = _multipart({
    "form": {"type": "string", "description": "需修改的表单字段（JSON）"},
    "note": {"type": "string", "description": "补正说明"},
}, [])


class ProgressThrottle(AddressRateThrottle):
    """Public progress queries per client address, stricter than the general public rate (guessing numbers
    and identity numbers must stay slow). Rate: BOHAI_SERVICES_PROGRESS_RATE, default 10/min, read per request."""

    scope = "services_progress"

    def __init__(self):
        self.rate = None

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, "BOHAI_SERVICES_PROGRESS_RATE", "10/min")
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


# The catalogue (public) ------------------------------------------------------------------------

@router.get("/items", auth=None, response=list[ItemSummaryOut], summary="政务服务事项清单（公开）")
@paginate(PageNumbers)
def list_items(request, filters: Query[ItemFilter]):
    """按名称、关键词、部门、主题搜索在用事项；`online_depth` 为最低网办深度。"""
    items = ServiceItem.objects.filter(active=True)
    if filters.q and filters.q.strip():
        for word in filters.q.lower().split():
            items = items.filter(search_text__contains=word)
    if filters.department:
        items = items.filter(department=filters.department)
    if filters.life_event:
        items = items.filter(life_events__code=filters.life_event)
    if filters.applicant_kind:
        if filters.applicant_kind not in ("person", "entity"):
            raise ValidationError({"applicant_kind": [_("服务对象只能是 person（个人）或 entity（法人）")]})
        items = items.filter(applicant_kinds__icontains=f'"{filters.applicant_kind}"')
    if filters.online_depth is not None:
        if filters.online_depth not in OnlineDepth.values:
            raise ValidationError({"online_depth": [_("网办深度只能是 1 到 4")]})
        items = items.filter(online_depth__gte=filters.online_depth)
    return items.distinct()


@router.get("/items/{code}", auth=None, response=ItemDetailOut, summary="事项办事指南（公开）：材料、表单、办理环节")
def get_item(request, code: str):
    item = ServiceItem.objects.filter(code=code, active=True).prefetch_related("life_events", "materials").first()
    if item is None:
        raise Http404
    return item


@router.get("/life-events", auth=None, response=list[LifeEventOut], summary="主题服务（人生事件，公开）")
def list_life_events(request, audience: str | None = None):
    """`audience`: person（个人）或 entity（法人）。"""
    events = LifeEvent.objects.annotate(item_count=Count("items", filter=Q(items__active=True)))
    if audience:
        events = events.filter(audience=audience)
    return events


# Public progress -------------------------------------------------------------------------------

@router.get("/progress", auth=None, throttle=[ProgressThrottle()], response=ProgressOut,
            summary="办件进度查询（公开，凭申请编号与申请人证件号码，按来源地址限流）")
def public_progress(request, number: str, identity: str):
    """编号或证件号码任一不符，都答同一个 404，不透露编号是否存在。`identity`：居民身份证号或统一社会信用代码。"""
    identity = "".join(identity.split()).upper()
    index = blind_index(identity)  # computed whether or not the number exists: the same work either way
    application = (Application.objects.select_related("item", "workflow", "organisation", "applicant_person",
                                                      "applicant_entity")
                   .filter(number=number.strip()).first())
    if application is None or not _identity_matches(application, identity, index):
        raise Http404
    return application_for_progress(application)


def _identity_matches(application: Application, identity: str, index: str) -> bool:
    if application.applicant_person_id:
        return bool(index) and constant_time_equal(application.applicant_person.id_number_index, index)
    if application.applicant_entity_id:
        return bool(identity) and constant_time_equal(application.applicant_entity.credit_code, identity)
    return False


# The applicant's side --------------------------------------------------------------------------

def _mine(user):
    """The applications the signed-in user submitted or is the applicant of (in person or as the entity's agent)."""
    condition = Q(submitted_by=user)
    if user.person_id:
        condition |= Q(applicant_person_id=user.person_id)
    if user.legal_entity_id:
        condition |= Q(applicant_entity_id=user.legal_entity_id)
    return Application.objects.filter(condition).exclude(number__isnull=True)


def _my_application(user, number: str) -> Application:
    application = _mine(user).select_related("item", "organisation", "workflow").filter(number=number).first()
    if application is None:
        raise Http404
    return application


def _item_for_application(code: str) -> ServiceItem:
    item = ServiceItem.objects.filter(code=(code or "").strip(), active=True).order_by().first()  # code is unique: no sort
    if item is None:
        raise ValidationError({"item": [_("没有编码为“%(code)s”的在用事项") % {"code": code}]})
    if item.online_depth < ONLINE_APPLICATION_DEPTH:
        raise ValidationError({"item": [_("本事项只提供网上办事指南，请到窗口申请")]})
    return item


def _applicant(user, item: ServiceItem, wanted: str | None) -> dict:
    """Who applies: the account's own person, or the enterprise its agent acts for."""
    if not user.person_id and not user.legal_entity_id:
        raise PermissionDenied(_("只有实名认证的居民或企业经办人可以在网上申请；窗口代办请使用工作台"))
    if wanted not in (None, "", "person", "entity"):
        raise ValidationError({"applicant": [_("申请人只能是 person（本人）或 entity（所代办的单位）")]})
    if not wanted:
        wanted = "entity" if user.legal_entity_id and "entity" in item.applicant_kinds else "person"
    if wanted == "entity":
        if not user.legal_entity_id:
            raise ValidationError({"applicant": [_("您的账户未绑定单位，不能以单位名义申请")]})
        return {"applicant_entity": LegalEntity.objects.select_related("region").defer("region__boundary")
                .get(pk=user.legal_entity_id)}
    if not user.person_id:
        raise ValidationError({"applicant": [_("您的账户未绑定实名身份，不能以个人名义申请")]})
    # The applicant's region comes along (its boundary left out): the action reads it to find where to handle.
    return {"applicant_person": Person.objects.select_related("region").defer("region__boundary").get(pk=user.person_id)}


def _form_json(text: str | None, field: str = "form") -> dict:
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError({field: [_("应为 JSON 对象，如 {\"name\": \"张三\"}")]}) from None
    if not isinstance(data, dict):
        raise ValidationError({field: [_("应为 JSON 对象，如 {\"name\": \"张三\"}")]})
    return data


def _uploads(request) -> dict:
    """One file per material code; the part's field name is the code."""
    uploads, problems = {}, {}
    for code in request.FILES:
        files = request.FILES.getlist(code)
        if len(files) > 1:
            problems[f"materials.{code}"] = [_("每项材料只能上传一个文件，收到 %(count)d 个") % {"count": len(files)}]
        uploads[code] = files[0]
    if problems:
        raise ValidationError(problems)
    return uploads


def _idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationError({IDEMPOTENCY_FIELD: [_("不能超过 %(limit)d 个字符") % {"limit": MAX_IDEMPOTENCY_KEY}]})
    return key


def _submitted_before(user, key: str, item: ServiceItem) -> Application | None:
    """The application this user already submitted under the key (one indexed lookup when there is none)."""
    if not key:
        return None
    found = (Application.objects.filter(submitted_by=user, idempotency_key=key).order_by()  # one at most: no sort
             .values_list("pk", "item_id").first())
    if found is None:
        return None
    if found[1] != item.pk:
        raise Conflict(_("该 Idempotency-Key 已用于另一事项的申请，请换一个"))
    return Application.objects.select_related("item").get(pk=found[0])


@router.post("/applications", response={201: SubmittedOut, 200: SubmittedOut}, openapi_extra=SUBMIT_BODY,
             summary="提交申请（multipart：事项编码、表单 JSON、材料文件；支持 Idempotency-Key）")
def submit(request, item: Form[str], form: Form[str] = "{}", applicant: Form[str] = "",
           idempotency_key: str = Header("", alias=IDEMPOTENCY_FIELD)):
    """`item`：事项编码；`form`：表单 JSON（字段见事项指南的 form）；`applicant`：person（本人，缺省）或 entity（所代办的单位）。

    材料文件：以材料编号为字段名上传（如 m1、m2），每项一个文件，PDF、JPEG 或 PNG，按内容判断类型；持有有效电子证照的材料免交。

    同一 `Idempotency-Key` 再次提交返回原申请（200），不重复创建；首次提交返回 201。错误逐字段说明：
    `item`、`applicant`、`form.<字段>`、`materials.<材料编号>`、`uploads`。"""
    user = request.auth
    service_item = _item_for_application(item)
    key = _idempotency_key(idempotency_key)
    existing = _submitted_before(user, key, service_item)
    if existing is not None:
        return Reply(200, existing)
    who = _applicant(user, service_item, applicant.strip() or None)
    form_data, uploads = _form_json(form), _uploads(request)
    try:
        application = actions.submit_application(service_item, actor=user, form_data=form_data, uploads=uploads,
                                                 channel="online", idempotency_key=key, **who)
    except Conflict:
        # The same key submitted at the same moment by another request of this user: that one won.
        existing = _submitted_before(user, key, service_item)
        if existing is None:
            raise
        return Reply(200, existing)
    return Reply(201, application)


@router.get("/applications/mine", response=list[MyApplicationOut], summary="我的办件（本人及所代办单位的申请）")
@paginate(PageNumbers)
def my_applications(request, status: str | None = None):
    applications = _mine(request.auth).select_related("item")
    if status:
        applications = applications.filter(status=_checked_status(status))
    return applications.order_by("-submitted_at", "-id")


@router.get("/applications/mine/{number}", response=MyApplicationDetailOut, summary="我的办件详情（公开的办理过程）")
def my_application(request, number: str):
    return _my_application(request.auth, number)


@router.post("/applications/mine/{number}/withdraw", response=MyApplicationDetailOut, summary="撤回申请（作出决定前）")
def withdraw(request, number: str, payload: Body[ReasonIn | None] = None):
    """请求体可省略；`reason`：撤回理由（可选）。"""
    application = _my_application(request.auth, number)
    reason = payload.reason.strip() if payload is not None else ""
    actions.withdraw_application(application, reason=reason, actor=request.auth)
    return _my_application(request.auth, number)


@router.post("/applications/mine/{number}/supplement", response=MyApplicationDetailOut, openapi_extra=SUPPLEMENT_BODY,
             summary="补正材料（multipart：材料文件、可选的表单修改 JSON 与说明）")
def supplement(request, number: str, form: Form[str] = "", note: Form[str] = ""):
    """材料文件：以材料编号为字段名上传；`form`：需修改的表单字段（JSON）；`note`：补正说明。"""
    application = _my_application(request.auth, number)
    actions.supplement_application(application, actor=request.auth, uploads=_uploads(request),
                                   form_data=_form_json(form) or None, note=note.strip()[:200])
    return _my_application(request.auth, number)


@router.post("/applications/mine/{number}/review", response={201: ReviewOut}, summary="好差评（办结后评价一次）")
def review(request, number: str, payload: ReviewIn):
    application = _my_application(request.auth, number)
    result = actions.review_application(application, rating=payload.rating, dimensions=payload.dimensions,
                                        comment=payload.comment, actor=request.auth)
    return Reply(201, result)


# The staff side --------------------------------------------------------------------------------

def _checked_status(value: str) -> str:
    if value not in Status.values:
        raise ValidationError({"status": [_("没有这个状态；可选：%(values)s") % {"values": "、".join(Status.values)}]})
    return value


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _filtered(applications, filters: ApplicationFilter):
    if filters.status:
        applications = applications.filter(status=_checked_status(filters.status))
    if filters.item:
        applications = applications.filter(item__code=filters.item)
    if filters.department:
        applications = applications.filter(item__department=filters.department)
    if filters.region:
        region = Region.objects.filter(Q(key=filters.region) | Q(code=filters.region)).first()
        if region is None:
            raise ValidationError({"region": [_("区划 %(key)s 不存在") % {"key": filters.region}]})
        applications = applications.filter(region__path__startswith=region.path)
    if filters.submitted_from and filters.submitted_to and filters.submitted_from > filters.submitted_to:
        raise ValidationError({"submitted_to": [_("截止日期不能早于起始日期")]})
    if filters.submitted_from:
        applications = applications.filter(submitted_at__gte=_local_midnight(filters.submitted_from))
    if filters.submitted_to:
        applications = applications.filter(submitted_at__lt=_local_midnight(filters.submitted_to + timedelta(days=1)))
    if filters.overdue is not None:
        late = Q(on_time=False) | (Q(due_at__lt=timezone.now(), completed_at__isnull=True)
                                   & ~Q(status__in=[*FINAL_STATUSES, Status.SUPPLEMENT, Status.DRAFT]))
        applications = applications.filter(late if filters.overdue else ~late)
    return applications


def _in_scope(user, number: str) -> Application:
    return (Application.objects.select_related("item", "region", "organisation", "workflow", "applicant_person",
                                               "applicant_entity").defer("region__boundary")
            .get_in_scope(user, "view", number=number))


@router.get("/applications", response=list[ApplicationRowOut], summary="办件列表（限权限范围）")
@paginate(PageNumbers)
def list_applications(request, filters: Query[ApplicationFilter], ordering: str | None = None):
    """`ordering`：submitted_at、due_at、number、status、completed_at、id，前加 - 为倒序。"""
    applications = (Application.objects.restrict(request.auth, "view").exclude(number__isnull=True)
                    .select_related("item", "region", "organisation", "workflow").defer("region__boundary"))
    return apply_ordering(_filtered(applications, filters), ordering, APPLICATION_ORDERING)


@router.get("/applications/{number}", response=ApplicationDetailOut, summary="办件详情（全部办理过程、材料与任务）")
def get_application(request, number: str):
    return _in_scope(request.auth, number)


@router.get("/applications/{number}/materials/{material_id}/file", response={200: None},
            summary="下载申请材料文件（限权限范围）")
def material_file(request, number: str, material_id: int):
    application = _in_scope(request.auth, number)
    material = (ApplicationMaterial.objects.select_related("stored_file")
                .filter(application=application, pk=material_id, stored_file__isnull=False).first())
    if material is None:
        raise Http404
    return file_response(material.stored_file, download_name=f"{application.number}-{material.material_code}")


@router.post("/applications/{number}/accept", response=ApplicationDetailOut, summary="受理")
def accept(request, number: str):
    application = _in_scope(request.auth, number)
    actions.accept_application(application, actor=request.auth)
    return _in_scope(request.auth, number)


@router.post("/applications/{number}/reject", response=ApplicationDetailOut, summary="不予受理（须写明理由）")
def reject(request, number: str, payload: RequiredReasonIn):
    if not payload.reason.strip():
        raise ValidationError({"reason": [_("请写明不予受理的理由，申请人将看到")]})
    application = _in_scope(request.auth, number)
    actions.reject_application(application, reason=payload.reason.strip(), actor=request.auth)
    return _in_scope(request.auth, number)


@router.post("/applications/{number}/supplement-request", response=ApplicationDetailOut,
             summary="一次性告知补正（暂停计时）")
def request_supplement(request, number: str, payload: SupplementRequestIn):
    application = _in_scope(request.auth, number)
    actions.request_supplement(application, items=payload.items, actor=request.auth)
    return _in_scope(request.auth, number)


def _application_tasks(queryset):
    """Tasks of applications' workflows, each with its application's number, item and applicant."""
    of_task = Application.objects.filter(workflow_id=OuterRef("instance_id"))
    return (queryset.filter(instance__subject_type=ContentType.objects.get_for_model(Application))
            .annotate(application_number=Subquery(of_task.values("number")[:1]),
                      item_code=Subquery(of_task.values("item__code")[:1]),
                      item_name=Subquery(of_task.values("item__name")[:1]),
                      applicant_name=Subquery(of_task.values("applicant_name")[:1])))


@router.get("/tasks", response=list[TaskOut], summary="我的待办（按截止时间）")
@paginate(PageNumbers)
def my_tasks(request, filters: Query[TaskFilter], ordering: str | None = None):
    """调用者（工作人员或部门系统的服务账户）按角色、区划和机构可以办理的任务。"""
    tasks = _application_tasks(tasks_for(request.auth))
    if filters.stage:
        tasks = tasks.filter(stage_key=filters.stage)
    if filters.item:
        tasks = tasks.filter(Exists(Application.objects.filter(workflow_id=OuterRef("instance_id"),
                                                               item__code=filters.item)))
    if filters.overdue is not None:
        late = Q(due_at__lt=timezone.now())
        tasks = tasks.filter(late if filters.overdue else ~late)
    return apply_ordering(tasks, ordering, TASK_ORDERING)


@router.post("/tasks/{task_id}/complete", response=TaskResultOut,
             summary="办理任务（审查、决定、制证、送达；expected_version 过期时 409）")
def complete_task(request, task_id: int, payload: CompleteTaskIn):
    """`outcome`：approve 通过、deny 不予通过、return 退回上一环节；`expected_version` 取自待办列表。
    他人已办理（或版本已变）时返回 409，请刷新后查看。"""
    user = request.auth
    condition = actionable_condition(user) if getattr(user, "is_authenticated", False) else None
    if condition is None:
        raise Http404
    task = _application_tasks(WorkflowTask.objects.filter(condition, pk=task_id)).select_related("instance").first()
    if task is None or task.application_number is None:
        raise Http404
    application = Application.objects.select_related("item").get(workflow_id=task.instance_id)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("该任务已由他人办理，请刷新后查看"))
    application = actions.handle_step(application, task, outcome=payload.outcome, comment=payload.comment, actor=user,
                                      expected_version=payload.expected_version,
                                      license_fields=payload.license_fields or None)
    instance = WorkflowInstance.objects.get(pk=task.instance_id)
    open_tasks = WorkflowTask.objects.filter(instance_id=task.instance_id, status=TaskStatus.OPEN).order_by("id")
    return {"task_id": task.pk, "outcome": payload.outcome, "application_number": application.number,
            "status": application.status, "status_label": application.get_status_display(),
            "stage": instance.stage_key if instance.status in (InstanceStatus.RUNNING, InstanceStatus.PAUSED) else "",
            "open_tasks": list(open_tasks.values_list("id", flat=True))}
