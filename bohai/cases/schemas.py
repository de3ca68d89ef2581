"""What the cases API reads and answers (bohai/cases/api.py): the class tree, cases in lists and in
full, the stage actions' payloads, dispatch suggestions.

Callers leave masked (`王*红`, `139****1111`); staff see a case's timeline with the acting account's
label as the actions wrote it.
"""
from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Schema

from .models import OPEN_STATUSES, Case, Status

LATE_STATUSES = tuple(s for s in OPEN_STATUSES if s != Status.REPORTED)


def is_overdue(case: Case) -> bool:
    """Closed after its limit, or still open past it (a deferred case's clock is stopped)."""
    if case.on_time is False:
        return True
    return bool(case.due_at and case.status in LATE_STATUSES and case.due_at < timezone.now())


# Classes ---------------------------------------------------------------------------------------

class ClassOut(Schema):
    code: str = Field(description="分类编码（Open311 的 service_code）")
    name: str
    kind: str = Field(description="part 部件 / event 事件 / topic 12345诉求领域")
    department: str = Field(description="默认责任部门职能代码")
    limit_days: int | None = Field(None, description="处置时限（工作日）")
    limit_hours: float | None = Field(None, description="处置时限（自然小时），与工作日二选一")
    urgency: str = Field(description="normal 一般 / urgent 紧急")
    description: str


class ClassGroupOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    children: list[ClassOut] = Field(alias="minor_classes", description="在用小类")


# Cases -----------------------------------------------------------------------------------------

class CaseFilter(Schema):
    track: str | None = Field(None, description="city 数字城管 / hotline 12345诉求")
    status: str | None = Field(None, description="状态，可用逗号分隔多个：reported、filed、dispatched、handling、handled、"
                                                 "closed、invalid、merged、deferred、accepted、replied")
    case_class: str | None = Field(None, description="分类编码（小类，或大类含其下小类）")
    county: str | None = Field(None, description="县（市、区）标识或区划代码")
    township: str | None = Field(None, description="乡镇（街道）标识或区划代码")
    reported_from: date | None = Field(None, description="上报日期起（含），YYYY-MM-DD")
    reported_to: date | None = Field(None, description="上报日期止（含），YYYY-MM-DD")
    overdue: bool | None = Field(None, description="true：超期（未办结已过时限，或超期结案）；false：未超期")


class CaseRowOut(Schema):
    """A case in a list."""

    id: int
    number: str
    track: str
    track_label: str = Field(alias="get_track_display")
    source: str
    source_label: str = Field(alias="get_source_display")
    status: str
    status_label: str = Field(alias="get_status_display")
    class_code: str | None = None
    class_name: str | None = None
    urgency: str
    county: str | None = Field(None, description="县（市、区）名称")
    township: str | None = Field(None, description="乡镇（街道）名称")
    organisation: str | None = Field(None, description="处置单位")
    address: str
    reported_at: datetime
    due_at: datetime | None = Field(None, description="处置时限")
    closed_at: datetime | None = None
    overdue: bool

    @staticmethod
    def resolve_class_code(case) -> str | None:
        return case.case_class.code if case.case_class_id else None

    @staticmethod
    def resolve_class_name(case) -> str | None:
        return case.case_class.name if case.case_class_id else None

    @staticmethod
    def resolve_county(case) -> str | None:
        return case.county.name if case.county_id else None

    @staticmethod
    def resolve_township(case) -> str | None:
        return case.township.name if case.township_id else None

    @staticmethod
    def resolve_organisation(case) -> str | None:
        return case.organisation.name if case.organisation_id else None

    @staticmethod
    def resolve_overdue(case) -> bool:
        return is_overdue(case)


class SuggestionOut(Schema):
    class_code: str
    class_name: str
    confidence: float = Field(description="校准后的概率 0–1")
    department: str = Field(description="责任部门职能代码")
    organisation_id: int | None = Field(None, description="该地的责任单位（派遣时用）")
    organisation_name: str


class OpenTaskOut(Schema):
    stage: str = Field(description="环节：file 立案、dispatch 派遣、sign 签收、handle 处置、verify 核查、route 派单、follow_up 回访")
    name: str
    role: str
    organisation: str | None = None
    due_at: datetime | None
    version: int = Field(description="派遣时作为 expected_version 回传，他人先办理则返回 409")


class EventOut(Schema):
    kind: str
    at: datetime
    actor: str = Field(alias="actor_label")
    params: dict
    public: bool


class PhotoOut(Schema):
    id: int
    stage: str = Field(description="report 上报 / handled 处置后 / verify 核查")
    url: str


class ExtensionOut(Schema):
    id: int
    days: int
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None


class CaseDetailOut(CaseRowOut):
    """A case in full, as staff in scope see it."""

    description: str
    appeal_type: str
    appeal_type_label: str = Field(alias="get_appeal_type_display")
    lng: float | None
    lat: float | None
    region: str = Field(alias="region.key", description="所在最细一级区划（网格、社区或乡镇）标识")
    grid: str | None = Field(None, description="网格标识")
    caller_name: str = Field(alias="caller_name_masked", description="来电人（已脱敏）")
    caller_phone: str = Field(alias="caller_phone_masked", description="来电号码（已脱敏）")
    suggestion: list[SuggestionOut] = Field(description="上报时的智能分派建议（前三）")
    duplicate_of: str | None = None
    reason: str = Field(description="不予立案或退回的理由")
    deferred_reason: str
    satisfaction: str
    filed_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    handled_at: datetime | None
    dispatch_count: int
    sendback_count: int
    rework_count: int
    verified_count: int
    extended_days: int
    on_time: bool | None
    open_tasks: list[OpenTaskOut] = Field(description="当前待办环节")
    events: list[EventOut] = Field(description="案件动态")
    photos: list[PhotoOut]
    extensions: list[ExtensionOut]

    @staticmethod
    def resolve_grid(case) -> str | None:
        return case.grid.key if case.grid_id else None

    @staticmethod
    def resolve_suggestion(case) -> list[dict]:
        return (case.suggestion or {}).get("top") or []

    @staticmethod
    def resolve_duplicate_of(case) -> str | None:
        return case.duplicate_of.number if case.duplicate_of_id else None

    @staticmethod
    def resolve_open_tasks(case) -> list:
        from bohai.engines.workflows.models import TaskStatus, WorkflowTask

        if not case.workflow_id:
            return []
        tasks = (WorkflowTask.objects.filter(instance_id=case.workflow_id, status=TaskStatus.OPEN)
                 .select_related("organisation").order_by("id"))
        return [{"stage": t.stage_key, "name": t.name, "role": t.role, "due_at": t.due_at, "version": t.version,
                 "organisation": t.organisation.name if t.organisation_id else None} for t in tasks]

    @staticmethod
    def resolve_events(case) -> list:
        return list(case.events.all())

    @staticmethod
    def resolve_photos(case) -> list[dict]:
        return [{"id": p.pk, "stage": p.stage, "url": f"/api/v1/cases/cases/{case.number}/photos/{p.pk}"}
                for p in case.photos.all()]

    @staticmethod
    def resolve_extensions(case) -> list:
        return list(case.extensions.all())


class ReportedOut(Schema):
    """The receipt of a report: where it was placed and what the model suggests."""

    number: str
    track: str
    status: str
    status_label: str = Field(alias="get_status_display")
    county: str | None = None
    township: str | None = None
    grid: str | None = None
    suggestion: list[SuggestionOut]

    @staticmethod
    def resolve_county(case) -> str | None:
        return case.county.name if case.county_id else None

    @staticmethod
    def resolve_township(case) -> str | None:
        return case.township.name if case.township_id else None

    @staticmethod
    def resolve_grid(case) -> str | None:
        return case.grid.key if case.grid_id else None

    @staticmethod
    def resolve_suggestion(case) -> list[dict]:
        return (case.suggestion or {}).get("top") or []


# Stage actions ---------------------------------------------------------------------------------

VERSION_HELP = "读取时该环节任务的 version（详情的 open_tasks）；已被他人办理则 409"


class VersionIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)


class FileIn(VersionIn):
    case_class: str | None = Field(None, description="确认或更正的小类编码；不填沿用上报时的分类")
    urgency: str | None = Field(None, description="normal / urgent")


class RefuseIn(VersionIn):
    reason: str = Field(description="不予立案的理由")
    duplicate_of: str | None = Field(None, description="重复时：合并到的案卷号")


class DispatchIn(Schema):
    organisation: int | str = Field(description="处置单位：机构 id（建议中的 organisation_id）或机构标识")
    case_class: str | None = Field(None, description="更正的小类编码（与建议不同会留作训练样本）")
    expected_version: int | None = Field(None, description=VERSION_HELP)


class ReasonIn(Schema):
    reason: str


class SendBackIn(VersionIn):
    reason: str = Field(description="不属于本单位职责的理由（至少 4 个字）")


class FollowUpIn(VersionIn):
    satisfaction: str = Field(description="satisfied 满意 / basically 基本满意 / dissatisfied 不满意")
    note: str = ""


class ExtensionIn(Schema):
    days: int = Field(description="延期工作日 1–30")
    reason: str


class ExtensionDecisionIn(Schema):
    approve: bool


class RevealIn(Schema):
    reason: str = Field(description="查看原因，如 回访（写入审计）")


class RevealOut(Schema):
    caller_phone: str = Field(description="来电号码（明文，本次查看已审计）")


class SuggestIn(Schema):
    text: str = Field(description="诉求或问题描述（受理员边输入边请求）")
    lng: float | None = None
    lat: float | None = None
    region: str | None = Field(None, description="无坐标时：区划标识或代码")
    track: str = Field("hotline", description="hotline（12345，缺省）或 city（数字城管）：同一类问题两套分类时据此取舍")


class SuggestOut(Schema):
    region: str | None = Field(None, description="定位到的区划标识")
    region_name: str | None = None
    top: list[SuggestionOut]
