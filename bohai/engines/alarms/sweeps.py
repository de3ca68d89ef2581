"""What the periodic jobs do: raise "no data" alarms for silent subjects, escalate unacknowledged alarms."""
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from . import subjects
from .actions import SYSTEM, close_alarm, escalate_alarm, raise_alarm
from .conditions import compile_rule
from .evaluation import silence_message
from .models import OPEN_STATES, Alarm, AlarmState, ClearedHow, ConditionKind, Rule, SubjectMetricState
from .recipients import TOP_LEVEL

# A district's network going down silences thousands of devices at once: raise so many per run (a few
# seconds' work) and the rest in the next minute's, so the job never outlives its lease.
MAX_RAISED_PER_RUN = 2000


def raise_silent(now: datetime | None = None) -> dict:
    """For each active "no data" rule: alarm the subjects silent for its minutes, clear those heard again."""
    now = now or timezone.now()
    raised = cleared = 0
    for rule in Rule.objects.filter(active=True, kind=ConditionKind.NO_DATA).order_by("id"):
        heard = _heard(rule)
        last_heard = {subject_id: last for subject_id, (last, _since) in heard.items() if last is not None}
        cutoff = now - timedelta(minutes=rule.minutes)
        open_alarms = dict(Alarm.objects.filter(rule=rule, state__in=OPEN_STATES).values_list("subject_id", "id"))
        silent = sorted((since, subject_id) for subject_id, (_last, since) in heard.items()
                        if since < cutoff and subject_id not in open_alarms)[:max(MAX_RAISED_PER_RUN - raised, 0)]
        raised += _raise_for_silent(rule, {subject_id: heard[subject_id][0] for _since, subject_id in silent}, now)
        cleared += _clear_heard(rule, open_alarms, last_heard, cutoff)
    return {"raised": raised, "cleared": cleared}


def _heard(rule: Rule) -> dict[int, tuple[datetime | None, datetime]]:
    """(last reading, silent since) per subject: from the subjects' own system when it tells, else the state."""
    ask = subjects.last_heard_of(rule.subject_kind)
    if ask is not None:
        return ask(rule.subject_type, rule.subject_id, rule.metric)
    return {subject_id: (last, last) for subject_id, last in _last_heard(rule).items()}


def _last_heard(rule: Rule) -> dict[int, datetime]:
    states = SubjectMetricState.objects.filter(subject_kind=rule.subject_kind)
    if rule.subject_type:
        states = states.filter(subject_type=rule.subject_type)
    if rule.subject_id is not None:
        states = states.filter(subject_id=rule.subject_id)
    if rule.metric:
        states = states.filter(metric=rule.metric)
    return dict(states.values("subject_id").annotate(last=Max("last_ts")).values_list("subject_id", "last"))


def _raise_for_silent(rule: Rule, silent: dict[int, datetime], now: datetime) -> int:
    if not silent:
        return 0
    compiled = compile_rule(rule)
    described = subjects.describe(rule.subject_kind, sorted(silent))
    raised = 0
    for subject_id, last in sorted(silent.items()):
        alarm = raise_alarm(compiled, actor=SYSTEM, subject_kind=rule.subject_kind, subject_id=subject_id,
                            subject=described[subject_id], at=now, value=None,
                            message=silence_message(rule, rule.minutes, last), now=now)
        raised += alarm is not None
    return raised


def _clear_heard(rule: Rule, open_alarms: dict[int, int], last_heard: dict[int, datetime], cutoff: datetime) -> int:
    """A safety net: evaluate clears these as data arrives; this catches any reading it did not see."""
    cleared = 0
    for subject_id, alarm_id in open_alarms.items():
        last = last_heard.get(subject_id)
        if last is not None and last >= cutoff:
            alarm = Alarm.objects.get(pk=alarm_id)
            if last > alarm.raised_at:
                cleared += close_alarm(alarm, actor=SYSTEM, how=ClearedHow.AUTO, at=last)
    return cleared


def escalate_overdue(now: datetime | None = None) -> dict:
    """Each active (unacknowledged) alarm waiting longer than its rule's minutes goes one level up."""
    now = now or timezone.now()
    waiting = (Alarm.objects.filter(state=AlarmState.ACTIVE, escalation_level__lt=TOP_LEVEL,
                                    rule__escalation_minutes__gt=0, escalated_at__lt=now)
               .select_related("rule").order_by("escalated_at", "id"))
    escalated = 0
    for alarm in waiting:
        if alarm.escalated_at + timedelta(minutes=alarm.rule.escalation_minutes) <= now:
            escalated += escalate_alarm(alarm, actor=SYSTEM, now=now)
    return {"escalated": escalated}
