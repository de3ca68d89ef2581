"""Rules and alarms of devices over the API (under /api/v1/iot): the alarms engine seen by the IoT platform.

A rule covers a device type (every device of it in the rule's region) or one device; an alarm names the
device it was raised on. Alarms and rules outside the caller's scope answer 404.
"""
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as Reply
from ninja.pagination import paginate

from bohai.engines.alarms import actions as alarm_actions
from bohai.engines.alarms import queries as alarm_queries
from bohai.engines.alarms.models import OPEN_STATES, Alarm, Rule
from bohai.kernel.api.paging import PageNumbers
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

from .models import Device, DeviceType
from .subjects import SUBJECT_KIND

router = Router()


class RuleIn(Schema):
    name: str
    kind: str = Field(..., description="above / below / outside / rate_above / no_data / all_of")
    device_type: str = Field("", description="设备类型编码；与 device 二选一")
    device: str = Field("", description="只监测一台设备时填设备编码")
    metric: str = ""
    threshold: float | None = None
    lower: float | None = None
    upper: float | None = None
    minutes: int | None = Field(None, description="no_data：多少分钟无数据")
    parts: list[dict] = Field(default_factory=list, description='all_of：[{"metric", "kind", "threshold"/"lower"/"upper"}]')
    hysteresis: float = 0.0
    severity: str = Field("minor", description="info 提示 / minor 一般 / major 严重 / critical 紧急")
    escalation_minutes: int = 15
    region: str = Field("", description="规则适用的区划（key 或代码），默认全市")
    organisation: str = Field("", description="规则所属部门（机构 key）")


class RulePatch(Schema):
    name: str | None = None
    threshold: float | None = None
    lower: float | None = None
    upper: float | None = None
    minutes: int | None = None
    parts: list[dict] | None = None
    hysteresis: float | None = None
    severity: str | None = None
    escalation_minutes: int | None = None
    active: bool | None = None


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    subject_type: str
    device: str | None
    metric: str
    threshold: float | None
    lower: float | None
    upper: float | None
    minutes: int | None
    parts: list[dict]
    hysteresis: float
    severity: str
    escalation_minutes: int
    active: bool
    region: str


class AlarmOut(Schema):
    id: int
    rule: str
    device: str
    device_name: str
    metric: str
    severity: str
    state: str
    escalation_level: int
    message: str
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    cleared_at: datetime | None
    first_value: float | None
    last_value: float | None
    reading_count: int
    lng: float | None
    lat: float | None


class NoteIn(Schema):
    note: str = ""


def _device_codes(subject_ids) -> dict[int, str]:
    return dict(Device.objects.filter(pk__in=set(subject_ids)).values_list("pk", "code"))


def _rule_out(rule: Rule, codes: dict[int, str]) -> dict:
    return {"id": rule.pk, "name": rule.name, "kind": rule.kind, "subject_type": rule.subject_type,
            "device": codes.get(rule.subject_id) if rule.subject_id else None, "metric": rule.metric,
            "threshold": rule.threshold, "lower": rule.lower, "upper": rule.upper, "minutes": rule.minutes,
            "parts": rule.parts, "hysteresis": rule.hysteresis, "severity": rule.severity,
            "escalation_minutes": rule.escalation_minutes, "active": rule.active, "region": rule.region.key}


def _alarm_out(alarm: Alarm, codes: dict[int, str]) -> dict:
    return {"id": alarm.pk, "rule": alarm.rule.name, "device": codes.get(alarm.subject_id, ""),
            "device_name": alarm.subject_label, "metric": alarm.metric, "severity": alarm.severity,
            "state": alarm.state, "escalation_level": alarm.escalation_level, "message": alarm.message,
            "raised_at": alarm.raised_at, "last_seen_at": alarm.last_seen_at,
            "acknowledged_at": alarm.acknowledged_at, "cleared_at": alarm.cleared_at,
            "first_value": alarm.first_value, "last_value": alarm.last_value, "reading_count": alarm.reading_count,
            "lng": alarm.lng, "lat": alarm.lat}


@router.get("/rules", response=list[RuleOut], summary="设备告警规则")
@paginate(PageNumbers)
def list_rules(request, active: bool | None = None):
    rules = Rule.objects.restrict(request.user, "view").filter(subject_kind=SUBJECT_KIND).select_related("region")
    if active is not None:
        rules = rules.filter(active=active)
    rules = list(rules)
    codes = _device_codes(rule.subject_id for rule in rules if rule.subject_id)
    return [_rule_out(rule, codes) for rule in rules]


def _rule_place(request, payload: RuleIn):
    region = (Region.objects.filter(key=payload.region).first() or Region.objects.filter(code=payload.region).first()
              if payload.region else Region.objects.filter(parent__isnull=True).order_by("id").first())
    if region is None:
        raise ValidationError({"region": [_("区划不存在")]})
    organisation = None
    if payload.organisation:
        organisation = Organisation.objects.filter(key=payload.organisation).first()
        if organisation is None:
            raise ValidationError({"organisation": [_("部门不存在")]})
    return region, organisation


@router.post("/rules", response={201: RuleOut}, summary="新建告警规则")
def create_rule(request, payload: RuleIn):
    if not request.user.has_perm("alarms.add_rule"):
        raise PermissionDenied
    subject_id = None
    if payload.device:
        subject_id = Device.objects.get_in_scope(request.user, "view", code=payload.device).pk
    elif payload.device_type and not DeviceType.objects.filter(code=payload.device_type).exists():
        raise ValidationError({"device_type": [_("设备类型“%(code)s”不存在") % {"code": payload.device_type}]})
    elif not payload.device_type:
        raise ValidationError({"device_type": [_("请指定设备类型或设备")]})
    region, organisation = _rule_place(request, payload)
    rule = alarm_actions.create_rule(
        actor=request.user, name=payload.name, subject_kind=SUBJECT_KIND, kind=payload.kind,
        subject_type=payload.device_type, subject_id=subject_id, metric=payload.metric, threshold=payload.threshold,
        lower=payload.lower, upper=payload.upper, minutes=payload.minutes, parts=payload.parts,
        hysteresis=payload.hysteresis, severity=payload.severity, escalation_minutes=payload.escalation_minutes,
        region=region, organisation=organisation)
    return Reply(201, _rule_out(rule, _device_codes([subject_id] if subject_id else [])))


@router.patch("/rules/{rule_id}", response=RuleOut, summary="修改告警规则（active=false 停用，其未解除告警随之解除）")
def change_rule(request, rule_id: int, payload: RulePatch):
    rule = Rule.objects.select_related("region").get_in_scope(request.user, "change", pk=rule_id,
                                                              subject_kind=SUBJECT_KIND)
    changes = payload.dict(exclude_none=True)
    if changes.pop("active", True) is False:
        rule = alarm_actions.deactivate_rule(rule, actor=request.user)
    if changes:
        rule = alarm_actions.update_rule(rule, actor=request.user, **changes)
    return _rule_out(rule, _device_codes([rule.subject_id] if rule.subject_id else []))


@router.get("/alarms", response=list[AlarmOut], summary="设备告警（默认只列未解除的，最严重、最新的在前）")
@paginate(PageNumbers)
def list_alarms(request, state: str = "open", severity: str = "", device: str = ""):
    alarms = Alarm.objects.restrict(request.user, "view").filter(subject_kind=SUBJECT_KIND).select_related("rule")
    if state == "open":
        alarms = alarms.filter(state__in=OPEN_STATES)
    elif state:
        alarms = alarms.filter(state=state)
    if severity:
        alarms = alarms.filter(severity=severity)
    if device:
        alarms = alarms.filter(subject_id__in=Device.objects.filter(code=device).values("pk"))
    alarms = list(alarms.order_by("-raised_at", "-id")[:5000])
    codes = _device_codes(alarm.subject_id for alarm in alarms)
    return [_alarm_out(alarm, codes) for alarm in alarms]


@router.get("/alarms/{alarm_id}", response=AlarmOut, summary="一条告警")
def get_alarm(request, alarm_id: int):
    alarm = alarm_queries.alarm_in_scope(request.user, alarm_id)
    return _alarm_out(alarm, _device_codes([alarm.subject_id]))


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut, summary="确认告警（停止升级）；已被他人确认则 409")
def acknowledge(request, alarm_id: int, payload: NoteIn):
    alarm = alarm_queries.alarm_in_scope(request.user, alarm_id, "acknowledge")
    alarm = alarm_actions.acknowledge_alarm(alarm, actor=request.user, note=payload.note)
    return _alarm_out(alarm, _device_codes([alarm.subject_id]))


@router.post("/alarms/{alarm_id}/clear", response=AlarmOut, summary="人工解除告警")
def clear(request, alarm_id: int, payload: NoteIn):
    alarm = alarm_queries.alarm_in_scope(request.user, alarm_id, "acknowledge")
    alarm = alarm_actions.clear_alarm(alarm, actor=request.user, note=payload.note)
    return _alarm_out(alarm, _device_codes([alarm.subject_id]))
