"""What the services API reads and answers (bohai/services/api.py): the catalogue, applications as
the applicant and as staff see them, tasks, and the public progress answer.

Personal data leaves masked: identity numbers and phone numbers in a form are shown as
`130921********1234` and `138****5678`, names on the public progress answer as `张*明`.
"""
from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone
from ninja import Field, Schema

from bohai.kernel.identities.validators import mask_phone, mask_resident_id
from bohai.kernel.transfer.importers import mask_name

from .models import FINAL_STATUSES, Application, OnlineDepth, Status
from .processes import process_for

# Catalogue -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def department_names() -> dict[str, str]:
    """Function code → the department's name, from the reference set of government units."""
    from bohai.kernel.organisations.reference import department_specs

    return {spec.function: spec.name for spec in department_specs()}


def department_name(function: str) -> str:
    return department_names().get(function, function)


class LifeEventOut(Schema):
    code: str
    name: str
    audience: str = Field(description="person 个人 / entity 法人")
    description: str
    item_count: int = Field(0, description="在用事项数")


class LifeEventRef(Schema):
    code: str
    name: str


class ItemSummaryOut(Schema):
    code: str = Field(description="事项编码")
    name: str
    department: str = Field(description="实施部门职能代码")
    department_name: str
    item_type: str
    item_type_label: str = Field(alias="get_item_type_display")
    online_depth: int = Field(description="网办深度：1 办事指南、2 网上预审、3 网上受理、4 全程网办")
    online_depth_label: str = Field(alias="get_online_depth_display")
    handled_online: bool = Field(description="网上办理（网上受理与全程网办）")
    applicant_kinds: list[str] = Field(description="服务对象：person 个人、entity 法人")
    levels: list[str]
    statutory_days: int = Field(description="法定办结时限（工作日）")
    promised_days: int = Field(description="承诺办结时限（工作日）")
    fee_charged: bool
    at_most_once: bool
    zero_visit: bool

    @staticmethod
    def resolve_department_name(item) -> str:
        return department_name(item.department)


class MaterialOut(Schema):
    code: str
    name: str
    requirement: str = Field(description="required 必要 / conditional 容缺或视情形")
    requirement_label: str = Field(alias="get_requirement_display")
    condition: str
    form: str = Field(description="original 原件 / copy 复印件 / electronic 电子件")
    form_label: str = Field(alias="get_form_display")
    copies: int
    replaced_by_license: str = Field(description="持有该类有效电子证照时免交（一次不用跑，免提交）")


class StepOut(Schema):
    key: str
    name: str
    role: str
    days: int | None = None
    hours: float | None = None
    department: str | None = None


class StageOut(Schema):
    key: str
    name: str
    days: int
    parallel: bool
    steps: list[StepOut]


class ItemDetailOut(ItemSummaryOut):
    legal_basis: str
    conditions: str
    keywords: str
    fee_description: str
    license_type: str = Field(description="办结后签发的电子证照类型代码；空：不发证")
    life_events: list[LifeEventRef]
    materials: list[MaterialOut]
    form: list[dict] = Field(description="申请表单声明：key、label、type、required、choices、max_length、min、max、help")
    workflow: list[StageOut] = Field(description="办理环节（含并联审查）")

    @staticmethod
    def resolve_life_events(item) -> list:
        return list(item.life_events.all())

    @staticmethod
    def resolve_materials(item) -> list:
        return list(item.materials.all())

    @staticmethod
    def resolve_workflow(item) -> list[dict]:
        return [
            {"key": stage.key, "name": stage.name, "days": stage.days, "parallel": stage.parallel,
             "steps": [step.declaration() for step in stage.steps]}
            for stage in process_for(item).stages
        ]


# Applications ----------------------------------------------------------------------------------

def masked_form(application: Application) -> dict:
    """The form as entered, identity numbers and phone numbers masked."""
    kinds = {spec["key"]: spec["type"] for spec in application.item.form}
    masked = {}
    for key, value in (application.form_data or {}).items():
        if kinds.get(key) == "id_number" and isinstance(value, str):
            value = mask_resident_id(value)
        elif kinds.get(key) == "phone" and isinstance(value, str):
            value = mask_phone(value)
        masked[key] = value
    return masked


def is_overdue(application: Application, now=None) -> bool:
    """Finished after its statutory limit, or still open past it (the clock is stopped while awaiting a supplement)."""
    if application.on_time is False:
        return True
    if application.status in FINAL_STATUSES or application.status in (Status.SUPPLEMENT, Status.DRAFT):
        return False
    return application.due_at is not None and application.due_at < (now or timezone.now())


class StoredFileOut(Schema):
    id: int
    kind: str
    size: int
    original_name: str
    digest: str = Field(description="SM3 摘要")


class ApplicationMaterialOut(Schema):
    id: int
    material_code: str
    name: str
    trust_level: str = Field(description="A 电子证照 / B 窗口核验 / C 申请人上传 / D 承诺")
    trust_label: str = Field(alias="get_trust_level_display")
    license_number: str
    file: StoredFileOut | None = Field(None, alias="stored_file")
    created_at: datetime


class EventOut(Schema):
    kind: str
    label: str = Field(alias="get_kind_display")
    at: datetime
    params: dict


class InternalEventOut(EventOut):
    actor_label: str
    public: bool


class PublicEventOut(EventOut):
    by: str = Field("", description="经办：申请人本人或承办部门（不显示工作人员姓名）")


class ApplicationRowOut(Schema):
    """An application in a staff list."""

    id: int
    number: str | None
    item_code: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    department: str = Field(alias="item.department")
    applicant_name: str
    channel: str
    region: str = Field(alias="region.key")
    region_name: str = Field(alias="region.name")
    organisation: str | None = Field(None, description="承办机构")
    status: str
    status_label: str = Field(alias="get_status_display")
    stage: str = Field("", description="当前环节")
    submitted_at: datetime | None
    accepted_at: datetime | None
    decided_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None = Field(description="法定时限截止（补正期间暂停计时）")
    overdue: bool
    on_time: bool | None
    handled_online: bool

    @staticmethod
    def resolve_organisation(application) -> str | None:
        return application.organisation.name if application.organisation_id else None

    @staticmethod
    def resolve_stage(application) -> str:
        return application.workflow.stage_key if application.workflow_id else ""

    @staticmethod
    def resolve_overdue(application) -> bool:
        return is_overdue(application)


class TaskBriefOut(Schema):
    id: int
    stage_key: str
    step_key: str
    name: str
    role: str
    organisation: str | None = None
    status: str
    outcome: str
    comment: str
    opened_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    warning: int = Field(description="0 正常、1 黄牌预警、2 红牌超期")
    version: int = Field(description="办理时作为 expected_version 提交，防止重复办理")

    @staticmethod
    def resolve_organisation(task) -> str | None:
        return task.organisation.name if task.organisation_id else None


class ReviewOut(Schema):
    rating: int = Field(description="5 非常满意 … 1 非常不满意")
    rating_label: str = Field(alias="get_rating_display")
    dimensions: dict
    comment: str
    created_at: datetime
    rectification_due_at: datetime | None = Field(None, description="差评整改时限（15 个工作日）")

    @staticmethod
    def resolve_rectification_due_at(review) -> datetime | None:
        rectification = getattr(review, "rectification", None)
        return rectification.due_at if rectification is not None else None


class ApplicationDetailOut(ApplicationRowOut):
    """Everything staff need to handle it: form, materials, the internal timeline, the tasks."""

    applicant_kind: str = Field(description="person 个人 / entity 单位")
    applicant_identity_masked: str
    form_data: dict = Field(description="表单内容（身份证号、手机号脱敏）")
    materials: list[ApplicationMaterialOut]
    supplement_items: list[str]
    reason: str
    license_number: str
    working_days: int | None
    events: list[InternalEventOut]
    tasks: list[TaskBriefOut]

    @staticmethod
    def resolve_applicant_kind(application) -> str:
        return "person" if application.applicant_person_id else "entity"

    @staticmethod
    def resolve_applicant_identity_masked(application) -> str:
        if application.applicant_person_id:
            return application.applicant_person.id_number_masked
        return application.applicant_entity.credit_code if application.applicant_entity_id else ""

    @staticmethod
    def resolve_form_data(application) -> dict:
        return masked_form(application)

    @staticmethod
    def resolve_materials(application) -> list:
        return list(application.materials.select_related("stored_file"))

    @staticmethod
    def resolve_events(application) -> list:
        return list(application.events.all())

    @staticmethod
    def resolve_tasks(application) -> list:
        from bohai.engines.workflows.models import WorkflowTask

        if not application.workflow_id:
            return []
        return list(WorkflowTask.objects.filter(instance_id=application.workflow_id)
                    .select_related("organisation").order_by("opened_at", "id"))


class MyApplicationOut(Schema):
    """An application in the applicant's own list."""

    number: str | None
    item_code: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    applicant_name: str
    status: str
    status_label: str = Field(alias="get_status_display")
    submitted_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    supplement_items: list[str] = Field(description="待补正时：一次性告知需补正的全部事项")
    license_number: str


class SubmittedOut(Schema):
    """The answer to a submission (and to its repetition with the same Idempotency-Key)."""

    number: str
    item_code: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    applicant_name: str
    status: str
    status_label: str = Field(alias="get_status_display")
    submitted_at: datetime
    due_at: datetime | None = Field(description="法定办结时限截止")
    detail: str = Field(description="办件详情的地址：表单、材料及其来源（电子证照库调取 A、上传 C）、办理过程")

    @staticmethod
    def resolve_detail(application) -> str:
        return f"/api/v1/services/applications/mine/{application.number}"


class MyApplicationDetailOut(MyApplicationOut):
    form_data: dict = Field(description="表单内容（身份证号、手机号脱敏）")
    materials: list[ApplicationMaterialOut]
    reason: str
    timeline: list[PublicEventOut]
    review: ReviewOut | None = None
    can_withdraw: bool
    can_supplement: bool
    can_review: bool

    @staticmethod
    def resolve_form_data(application) -> dict:
        return masked_form(application)

    @staticmethod
    def resolve_materials(application) -> list:
        return list(application.materials.select_related("stored_file"))

    @staticmethod
    def resolve_timeline(application) -> list[dict]:
        return public_timeline(application, with_params=True)

    @staticmethod
    def resolve_review(application):
        return getattr(application, "review", None)

    @staticmethod
    def resolve_can_withdraw(application) -> bool:
        return application.status in (Status.SUBMITTED, Status.SUPPLEMENT, Status.IN_REVIEW)

    @staticmethod
    def resolve_can_supplement(application) -> bool:
        return application.status == Status.SUPPLEMENT

    @staticmethod
    def resolve_can_review(application) -> bool:
        finished = application.status in (Status.COMPLETED, Status.DENIED, Status.REJECTED)
        return finished and getattr(application, "review", None) is None


def public_timeline(application: Application, *, with_params: bool) -> list[dict]:
    """The applicant's timeline: public events only; staff appear as the handling department."""
    handler = application.organisation.name if application.organisation_id else ""
    entries = []
    for event in application.events.filter(public=True):
        by_applicant = event.actor_id is not None and event.actor_id == application.submitted_by_id
        entries.append({
            "kind": event.kind, "get_kind_display": event.get_kind_display(), "at": event.at,
            "params": event.params if with_params else {},
            "by": "申请人" if by_applicant else (handler or "承办部门"),
        })
    return entries


class ProgressOut(Schema):
    """The public answer to 'where is my application?' (number and identity number both right)."""

    number: str
    item_name: str
    applicant_name: str = Field(description="个人姓名部分隐藏")
    status: str
    status_label: str
    stage: str = Field("", description="当前办理环节")
    submitted_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    supplement_items: list[str]
    timeline: list[PublicEventOut]


# Tasks -----------------------------------------------------------------------------------------

class TaskOut(Schema):
    """A task in the caller's queue, with the application it belongs to."""

    id: int
    version: int = Field(description="办理时作为 expected_version 提交")
    application_number: str | None
    item_code: str | None
    item_name: str | None
    applicant_name: str | None
    stage_key: str
    step_key: str
    name: str
    role: str
    organisation: str | None = None
    region: str = Field(alias="region.key")
    opened_at: datetime
    due_at: datetime | None
    warning: int = Field(description="0 正常、1 黄牌预警、2 红牌超期")
    assignee_id: int | None

    @staticmethod
    def resolve_organisation(task) -> str | None:
        return task.organisation.name if task.organisation_id else None


class TaskResultOut(Schema):
    """What completing a task did: the application's new status and stage."""

    task_id: int
    outcome: str
    application_number: str
    status: str
    status_label: str
    stage: str = Field("", description="流程当前环节标识；办结后为空")
    open_tasks: list[int] = Field(description="该办件现在待办的任务")


# Inputs ----------------------------------------------------------------------------------------

class ReasonIn(Schema):
    reason: str = Field("", description="理由")


class RequiredReasonIn(Schema):
    reason: str = Field(description="不予受理的理由（申请人可见）")


class SupplementRequestIn(Schema):
    items: list[str] = Field(description="一次性告知：逐项列明需补正的材料或内容")


class ReviewIn(Schema):
    rating: int = Field(description="5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意")
    dimensions: dict[str, int] = Field(default_factory=dict,
                                       description="分项评价：guidance、attitude、efficiency、convenience、integrity，各 1–5")
    comment: str = Field("", description="评价内容；差评须写明原因")


class CompleteTaskIn(Schema):
    outcome: str = Field(description="approve 通过 / deny 不予通过 / return 退回上一环节")
    comment: str = Field("", description="办理意见；不予通过或退回时必填")
    expected_version: int = Field(description="任务的 version（取自待办列表或办件详情）；已被他人办理时返回 409")
    license_fields: dict = Field(default_factory=dict, description="制证环节：证照字段（表单已有的会自动带入）")


class ApplicationFilter(Schema):
    status: str | None = Field(None, description="状态：submitted、supplement、in_review、approved、denied、licensed、"
                                                 "completed、rejected、withdrawn")
    item: str | None = Field(None, description="事项编码")
    department: str | None = Field(None, description="实施部门职能代码")
    region: str | None = Field(None, description="区划标识或代码（含下级）")
    submitted_from: date | None = Field(None, description="提交日期起（含），YYYY-MM-DD")
    submitted_to: date | None = Field(None, description="提交日期止（含），YYYY-MM-DD")
    overdue: bool | None = Field(None, description="true：超期（未办结已过时限，或超期办结）；false：未超期")


class ItemFilter(Schema):
    q: str | None = Field(None, description="搜索：事项名称、关键词、部门、主题")
    department: str | None = Field(None, description="实施部门职能代码")
    life_event: str | None = Field(None, description="主题（人生事件）代码")
    applicant_kind: str | None = Field(None, description="person 个人 / entity 法人")
    online_depth: int | None = Field(None, description="最低网办深度 1–4")


class TaskFilter(Schema):
    stage: str | None = Field(None, description="环节标识，如 accept、review、decide")
    item: str | None = Field(None, description="事项编码")
    overdue: bool | None = Field(None, description="true：已过截止时间")


# Helpers the API shares ------------------------------------------------------------------------

def application_for_progress(application: Application) -> dict:
    stage = ""
    if application.workflow_id and application.status not in FINAL_STATUSES:
        instance = application.workflow
        try:
            stage = instance.process.stage(instance.stage_key).name if instance.stage_key else ""
        except KeyError:
            stage = ""
    name = application.applicant_name
    return {
        "number": application.number, "item_name": application.item.name,
        "applicant_name": mask_name(name) if application.applicant_person_id else name,
        "status": application.status, "status_label": application.get_status_display(), "stage": stage,
        "submitted_at": application.submitted_at, "due_at": application.due_at,
        "completed_at": application.completed_at,
        "supplement_items": application.supplement_items if application.status == Status.SUPPLEMENT else [],
        "timeline": public_timeline(application, with_params=False),
    }


ONLINE_APPLICATION_DEPTH = OnlineDepth.PRE_REVIEW
