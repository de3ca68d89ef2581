"""The alarm engine's actions: rules, the alarm lifecycle (raise, acknowledge, escalate, clear), duty shifts.

Alarms are raised and cleared automatically by `evaluation.evaluate` and the jobs, through the same
actions that people use, so every change has its audit record and its timeline event.
"""
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import actor_label, record, snapshot
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.events.outbox import publish
from bohai.kernel.notifications.actions import is_relative_link, notify
from bohai.kernel.notifications.models import Level

from . import subjects
from .conditions import CompiledRule, validate_condition
from .models import (OPEN_STATES, Alarm, AlarmEvent, AlarmEventKind, AlarmState, ClearedHow, DutyShift, Rule,
                     Severity)
from .recipients import TOP_LEVEL, recipients
from .ruleset import rules_changed

SYSTEM = "system:alarms"
NOTIFICATION_LEVELS = {Severity.INFO: Level.INFO, Severity.MINOR: Level.WARNING, Severity.MAJOR: Level.DANGER,
                       Severity.CRITICAL: Level.DANGER}
RULE_FIELDS = ("name", "subject_kind", "subject_type", "subject_id", "metric", "kind", "threshold", "lower", "upper",
               "minutes", "parts", "hysteresis", "severity", "escalation_minutes", "active", "region", "organisation")


# Rules -----------------------------------------------------------------------------------

@service_action
def create_rule(*, actor, name: str, subject_kind: str, kind: str, region, subject_type: str = "",
                subject_id: int | None = None, metric: str = "", threshold: float | None = None,
                lower: float | None = None, upper: float | None = None, minutes: int | None = None,
                parts=(), hysteresis: float = 0.0, severity: str = Severity.MINOR, escalation_minutes: int = 15,
                organisation=None, active: bool = True) -> Rule:
    rule = Rule(name=name, subject_kind=subject_kind, subject_type=subject_type, subject_id=subject_id, metric=metric,
                kind=kind, threshold=threshold, lower=lower, upper=upper, minutes=minutes, parts=list(parts),
                hysteresis=hysteresis or 0.0, severity=severity, escalation_minutes=escalation_minutes,
                region=region, organisation=organisation, active=active)
    _validate_rule(rule)
    rule.save()
    rules_changed()
    record(actor=actor, action="alarms.rule.create", target=rule, after=snapshot(rule))
    return rule


@service_action
def update_rule(rule: Rule, *, actor, **changes) -> Rule:
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("不能修改此字段")] for name in sorted(unknown)})
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    for name, value in changes.items():
        setattr(rule, name, list(value) if name == "parts" else value)
    _validate_rule(rule)
    rule.save()
    rules_changed()
    record(actor=actor, action="alarms.rule.update", target=rule, before=before, after=snapshot(rule))
    return rule


@service_action
def deactivate_rule(rule: Rule, *, actor, now: datetime | None = None) -> Rule:
    """Stop evaluating the rule; its open alarms clear, since nothing would ever clear them any more."""
    now = now or timezone.now()
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if rule.active:
        rule.active = False
        rule.save(update_fields=["active", "updated_at"])
        rules_changed()
        record(actor=actor, action="alarms.rule.deactivate", target=rule, after={"active": False})
        for alarm in Alarm.objects.filter(rule=rule, state__in=OPEN_STATES):
            close_alarm(alarm, actor=actor, how=ClearedHow.AUTO, at=now, note=_("规则已停用"))
    return rule


def _validate_rule(rule: Rule) -> None:
    errors = {}
    if not (rule.name or "").strip():
        errors["name"] = [_("须填写规则名称")]
    if not (rule.subject_kind or "").strip():
        errors["subject_kind"] = [_("须填写对象类别")]
    if rule.severity not in Severity.values:
        errors["severity"] = [_("未知的告警级别：%(severity)s") % {"severity": rule.severity}]
    if errors:
        raise ValidationError(errors)
    validate_condition(kind=rule.kind, metric=rule.metric, threshold=rule.threshold, lower=rule.lower,
                       upper=rule.upper, minutes=rule.minutes, parts=rule.parts, hysteresis=rule.hysteresis)


# The lifecycle ---------------------------------------------------------------------------

@service_action
def raise_alarm(rule: CompiledRule, *, actor, subject_kind: str, subject_id: int, subject: subjects.Subject,
                at: datetime, value: float | None, message: str, now: datetime) -> Alarm | None:
    """Open the alarm of `rule` for the subject; None when another process opened it first."""
    alarm = Alarm(rule_id=rule.id, subject_kind=subject_kind, subject_id=subject_id, subject_label=subject.label[:200],
                  subject_link=subject.link[:300], metric=rule.alarm_metric, organisation_id=subject.organisation_id,
                  region_id=subject.region_id, lng=subject.lng, lat=subject.lat, severity=rule.severity,
                  escalation_level=1, escalated_at=now, raised_at=at, last_seen_at=at, first_value=value,
                  last_value=value, reading_count=1, message=message[:300])
    try:
        with transaction.atomic():
            alarm.save()
    except IntegrityError:  # the one open alarm per rule and subject exists already
        return None
    _timeline(alarm, AlarmEventKind.RAISED, at=at, actor=actor, level=1, value=value, note=alarm.message,
              notified=_notify(alarm, 1, now, topic="alarms.raised"))
    record(actor=actor, action="alarms.raise", target=alarm, after={
        "rule": rule.id, "subject": f"{subject_kind}#{subject_id}", "severity": alarm.severity, "value": value})
    publish(f"{subjects.event_prefix(subject_kind)}.alarm_raised", raised_payload(alarm))
    return alarm


def raised_payload(alarm: Alarm) -> dict:
    """The contract other systems read (cases turns it into a case): keep the keys as they are."""
    return {"alarm_id": alarm.pk, "device_name": alarm.subject_label, "metric": alarm.metric,
            "severity": alarm.severity, "message": alarm.message, "lng": alarm.lng, "lat": alarm.lat,
            "raised_at": timezone.localtime(alarm.raised_at).isoformat()}


@service_action
def acknowledge_alarm(alarm: Alarm, *, actor, note: str = "", now: datetime | None = None) -> Alarm:
    """Someone has taken the alarm in hand: escalation stops; it still clears when the condition ends."""
    now = now or timezone.now()
    won = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.ACTIVE).update(
        state=AlarmState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=_user_or_none(actor), updated_at=now)
    if not won:
        raise Conflict(_("该告警已确认或已解除，请刷新后查看"))
    alarm.refresh_from_db()
    _timeline(alarm, AlarmEventKind.ACKNOWLEDGED, at=now, actor=actor, level=alarm.escalation_level, note=note)
    record(actor=actor, action="alarms.acknowledge", target=alarm, after={"note": note.strip()[:500]})
    return alarm


@service_action
def clear_alarm(alarm: Alarm, *, actor, note: str = "", now: datetime | None = None) -> Alarm:
    """A person clears the alarm (the cause is dealt with, or it was false)."""
    if not close_alarm(alarm, actor=actor, how=ClearedHow.MANUAL, at=now or timezone.now(), note=note):
        raise Conflict(_("该告警已解除，请刷新后查看"))
    alarm.refresh_from_db()
    return alarm


@service_action
def close_alarm(alarm: Alarm, *, actor, how: str, at: datetime, value: float | None = None, note: str = "") -> bool:
    """Clear an open alarm (automatically or by hand); False when it was no longer open."""
    fields = {"state": AlarmState.CLEARED, "cleared_at": at, "cleared_how": how, "updated_at": timezone.now()}
    if how == ClearedHow.MANUAL:
        fields["cleared_by"] = _user_or_none(actor)
    if not Alarm.objects.filter(pk=alarm.pk, state__in=OPEN_STATES).update(**fields):
        return False
    for name, field_value in fields.items():
        setattr(alarm, name, field_value)
    _timeline(alarm, AlarmEventKind.CLEARED, at=at, actor=actor, value=value, note=note or alarm.get_cleared_how_display())
    record(actor=actor, action="alarms.clear", target=alarm, after={"how": how, "value": value, "note": note[:500]})
    publish(f"{subjects.event_prefix(alarm.subject_kind)}.alarm_cleared", {
        "alarm_id": alarm.pk, "device_name": alarm.subject_label, "metric": alarm.metric, "severity": alarm.severity,
        "how": how, "cleared_at": timezone.localtime(at).isoformat()})
    return True


@service_action
def escalate_alarm(alarm: Alarm, *, actor, now: datetime) -> bool:
    """Move an unacknowledged alarm one level up and tell that level; False when it was acknowledged meanwhile."""
    level = alarm.escalation_level + 1
    if level > TOP_LEVEL:
        return False
    won = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.ACTIVE, escalation_level=alarm.escalation_level).update(
        escalation_level=level, escalated_at=now, updated_at=now)
    if not won:
        return False
    alarm.escalation_level, alarm.escalated_at = level, now
    notified = _notify(alarm, level, now, topic="alarms.escalated")
    _timeline(alarm, AlarmEventKind.ESCALATED, at=now, actor=actor, level=level, notified=notified,
              note="" if notified else _("该层级无人可通知"))
    record(actor=actor, action="alarms.escalate", target=alarm, after={"level": level, "notified": notified})
    return True


def _notify(alarm: Alarm, level: int, now: datetime, *, topic: str) -> int:
    users = recipients(alarm, level, now)
    if not users:
        return 0
    title = _("【%(severity)s告警】%(subject)s") % {"severity": alarm.get_severity_display(), "subject": alarm.subject_label}
    if level > 1:
        title = _("【告警升级·第%(level)d级】%(subject)s") % {"level": level, "subject": alarm.subject_label}
    link = alarm.subject_link if is_relative_link(alarm.subject_link) else ""  # a source's odd link never stops an alarm
    notify(users, actor=SYSTEM, title=title[:120], body=alarm.message, link=link,
           level=NOTIFICATION_LEVELS.get(alarm.severity, Level.WARNING), topic=topic,
           dedupe_key=f"alarms:{alarm.pk}:level{level}")
    return len(users)


def _timeline(alarm: Alarm, kind: str, *, at: datetime, actor, level: int | None = None, value: float | None = None,
              note: str = "", notified: int = 0) -> AlarmEvent:
    return AlarmEvent.objects.create(alarm=alarm, kind=kind, at=at, actor_label=actor_label(actor)[:150], level=level,
                                     value=value, note=(note or "").strip()[:500], notified=notified)


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) is not None and not isinstance(actor, str) else None


# Duty roster -----------------------------------------------------------------------------

MAX_SHIFT = timedelta(days=7)
MAX_REPEAT_DAYS = 31


@service_action
def add_duty_shift(*, actor, organisation, user, starts_at: datetime, ends_at: datetime) -> DutyShift:
    """Put a member of the organisation (or of a unit under it) on duty: the first to hear of its alarms."""
    validate_duty_shift(organisation, user, starts_at, ends_at)
    shift = DutyShift.objects.create(organisation=organisation, user=user, starts_at=starts_at, ends_at=ends_at)
    record(actor=actor, action="alarms.duty.add", target=shift, after=snapshot(shift))
    return shift


@service_action
def add_daily_duty_shifts(*, actor, organisation, user, starts_at: datetime, ends_at: datetime,
                          days: int) -> list[DutyShift]:
    """The same shift on `days` consecutive days (a roster for the week or the month), all or none."""
    if not 1 <= days <= MAX_REPEAT_DAYS:
        raise ValidationError({"days": [_("连续天数应在 1 到 %(max)d 之间") % {"max": MAX_REPEAT_DAYS}]})
    return [add_duty_shift(actor=actor, organisation=organisation, user=user, starts_at=starts_at + timedelta(days=day),
                           ends_at=ends_at + timedelta(days=day)) for day in range(days)]


def validate_duty_shift(organisation, user, starts_at: datetime, ends_at: datetime, *, replacing=None) -> None:
    """Field by field: the shift's times, its person (a member of the unit) and no overlap with their other
    shifts there (but `replacing`, the shift being changed)."""
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间须晚于开始时间")]
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = [_("一个班次不超过 7 天")]
    member_of = getattr(user, "organisation", None)
    if not user.is_active or member_of is None or not member_of.path.startswith(organisation.path):
        errors["user"] = [_("%(user)s 不是%(unit)s的在岗工作人员") % {"user": actor_label(user), "unit": organisation.name}]
    elif DutyShift.objects.filter(organisation=organisation, user=user, starts_at__lt=ends_at, ends_at__gt=starts_at
                                  ).exclude(pk=getattr(replacing, "pk", None)).exists():
        errors["starts_at"] = [_("%(user)s 在这段时间已有值班安排") % {"user": actor_label(user)}]
    if errors:
        raise ValidationError(errors)


@service_action
def change_duty_shift(shift: DutyShift, *, actor, organisation, user, starts_at: datetime,
                      ends_at: datetime) -> DutyShift:
    validate_duty_shift(organisation, user, starts_at, ends_at, replacing=shift)
    before = snapshot(shift)
    shift.organisation, shift.user, shift.starts_at, shift.ends_at = organisation, user, starts_at, ends_at
    shift.save()
    record(actor=actor, action="alarms.duty.change", target=shift, before=before, after=snapshot(shift))
    return shift


@service_action
def remove_duty_shift(shift: DutyShift, *, actor) -> None:
    record(actor=actor, action="alarms.duty.remove", target=shift, before=snapshot(shift))
    shift.delete()

