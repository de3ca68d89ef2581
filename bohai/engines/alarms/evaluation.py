"""Evaluating a batch of readings against the active rules: open, update and clear alarms.

Called by the ingestion pipeline with each batch's newly stored readings. It must stay cheap:

- readings that no rule concerns cost one dict look-up each (rules are cached and indexed by
  subject kind, type and metric);
- per batch, at most three queries whatever its size: the previous readings that rates and
  combinations need, the open alarms of the batch's subjects, and one upsert of the last readings;
- alarms are written only when a condition changes (raise, clear), plus one UPDATE per batch
  for the counters of alarms that stay open.

Readings are taken in time order per subject, so one batch may open and clear an alarm.
"""
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import subjects
from .actions import SYSTEM, close_alarm, raise_alarm
from .conditions import VALUE_KINDS, CompiledRule, combined_verdict, part_verdict, verdict
from .models import OPEN_STATES, Alarm, ClearedHow, ConditionKind, SubjectMetricState
from .ruleset import active_rules

QUERY_CHUNK = 2000
UPSERT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Observation:
    subject_kind: str
    subject_id: int
    subject_type: str
    metric: str
    ts: datetime
    value: float


@dataclass
class EvaluationOutcome:
    observations: int = 0
    matched: int = 0
    raised: list[int] = field(default_factory=list)
    updated: int = 0
    cleared: list[int] = field(default_factory=list)


@dataclass
class _SubjectBatch:
    subject_type: str
    readings: list[Observation] = field(default_factory=list)
    rule_sets: dict[int, tuple[CompiledRule, ...]] = field(default_factory=dict)

    def rules(self) -> dict[int, CompiledRule]:
        return {rule.id: rule for rules in self.rule_sets.values() for rule in rules}


@dataclass
class _Episode:
    """One breach of a rule by a subject within the batch (continuing an open alarm, or new)."""

    rule: CompiledRule
    subject_kind: str
    subject_id: int
    alarm_id: int | None = None
    started_at: datetime | None = None
    first_value: float | None = None
    message: str = ""
    count: int = 0
    last_at: datetime | None = None
    last_value: float | None = None
    cleared_at: datetime | None = None
    cleared_value: float | None = None


def evaluate(observations: Sequence[Observation], *, now: datetime | None = None) -> EvaluationOutcome:
    outcome = EvaluationOutcome(observations=len(observations))
    if not observations:
        return outcome
    index = active_rules()
    if not index.rules:
        return outcome
    batches = _match(observations, index)
    if not batches:
        return outcome
    outcome.matched = sum(len(batch.readings) for batch in batches.values())
    now = now or timezone.now()
    with transaction.atomic():
        history = _history(batches)
        open_alarms = _open_alarms(batches)
        _store_last_readings(batches, now)
        episodes = [episode for key, batch in batches.items() for rule in batch.rules().values()
                    for episode in _episodes(rule, key, batch, history, open_alarms.get((rule.id, *key)))]
        _apply(episodes, outcome, now)
    return outcome


def _match(observations, index) -> dict[tuple[str, int], _SubjectBatch]:
    batches: dict[tuple[str, int], _SubjectBatch] = {}
    matching = index.matching
    for observation in observations:
        rules = matching(observation.subject_kind, observation.subject_type, observation.subject_id, observation.metric)
        if not rules:
            continue
        key = (observation.subject_kind, observation.subject_id)
        batch = batches.get(key)
        if batch is None:
            batch = batches[key] = _SubjectBatch(observation.subject_type)
        batch.readings.append(observation)
        batch.rule_sets[id(rules)] = rules
    for batch in batches.values():
        batch.readings.sort(key=attrgetter("ts"))
    return batches


# Reading and writing the batch's context ------------------------------------------------------

def _history(batches) -> dict[tuple[str, int, str], tuple[datetime, float]]:
    """The stored last reading of the metrics that rates and combinations compare with."""
    wanted: dict[str, dict[int, set[str]]] = {}
    for (kind, subject_id), batch in batches.items():
        for rule in batch.rules().values():
            if rule.needs_history:
                wanted.setdefault(kind, {}).setdefault(subject_id, set()).update(rule.listens_to)
    history = {}
    for kind, by_subject in wanted.items():
        metrics = set().union(*by_subject.values())
        for ids in _chunks(sorted(by_subject), QUERY_CHUNK):
            rows = SubjectMetricState.objects.filter(subject_kind=kind, subject_id__in=ids, metric__in=metrics)
            for subject_id, metric, last_ts, last_value in rows.values_list("subject_id", "metric", "last_ts", "last_value"):
                history[(kind, subject_id, metric)] = (last_ts, last_value)
    return history


def _open_alarms(batches) -> dict[tuple[int, str, int], int]:
    by_kind: dict[str, list[int]] = {}
    for kind, subject_id in batches:
        by_kind.setdefault(kind, []).append(subject_id)
    found = {}
    for kind, ids in by_kind.items():
        for chunk in _chunks(sorted(ids), QUERY_CHUNK):
            rows = Alarm.objects.filter(subject_kind=kind, subject_id__in=chunk, state__in=OPEN_STATES)
            for alarm_id, rule_id, subject_id in rows.values_list("id", "rule_id", "subject_id"):
                found[(rule_id, kind, subject_id)] = alarm_id
    return found


def _store_last_readings(batches, now: datetime) -> None:
    """Upsert the newest reading per subject and metric; an older reading never overwrites a newer one."""
    latest: dict[tuple[str, int, str], tuple[Observation, str]] = {}
    for batch in batches.values():
        for reading in batch.readings:  # sorted by time: the last one wins
            latest[(reading.subject_kind, reading.subject_id, reading.metric)] = (reading, batch.subject_type)
    adapt = connection.ops.adapt_datetimefield_value
    updated_at = adapt(now)
    rows = [(kind, subject_id, metric, subject_type, adapt(reading.ts), reading.value, updated_at)
            for (kind, subject_id, metric), (reading, subject_type) in latest.items()]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, UPSERT_CHUNK):
            cursor.execute(_upsert_statement(len(chunk)), [value for row in chunk for value in row])


def _upsert_statement(count: int) -> str:
    table = connection.ops.quote_name(SubjectMetricState._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * count)
    return (f"INSERT INTO {table} (subject_kind, subject_id, metric, subject_type, last_ts, last_value, updated_at) "
            f"VALUES {values} ON CONFLICT (subject_kind, subject_id, metric) DO UPDATE SET "
            "subject_type = excluded.subject_type, last_ts = excluded.last_ts, last_value = excluded.last_value, "
            f"updated_at = excluded.updated_at WHERE excluded.last_ts >= {table}.last_ts")


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# Walking one rule over one subject's readings ---------------------------------------------------

def _episodes(rule: CompiledRule, key, batch: _SubjectBatch, history, open_alarm_id: int | None) -> list[_Episode]:
    kind, subject_id = key
    current = _Episode(rule, kind, subject_id, alarm_id=open_alarm_id) if open_alarm_id else None
    episodes = [current] if current else []
    for reading, breached, message in _verdicts(rule, key, batch.readings, history):
        if breached:
            if current is None:
                current = _Episode(rule, kind, subject_id, started_at=reading.ts, first_value=reading.value,
                                   message=message)
                episodes.append(current)
            current.count += 1
            current.last_at, current.last_value = reading.ts, reading.value
        elif breached is False and current is not None:
            current.cleared_at, current.cleared_value = reading.ts, reading.value
            current = None
    return [episode for episode in episodes if episode.count or episode.cleared_at]


def _verdicts(rule: CompiledRule, key, readings: list[Observation], history):
    """(reading, verdict, message when breached) for each reading the rule looks at, in time order."""
    if rule.kind in VALUE_KINDS:
        for reading in readings:
            if reading.metric == rule.metric:
                breached = verdict(rule.kind, reading.value, threshold=rule.threshold, lower=rule.lower,
                                   upper=rule.upper, hysteresis=rule.hysteresis)
                yield reading, breached, _value_message(rule, reading.value) if breached else ""
    elif rule.kind == ConditionKind.RATE_ABOVE:
        yield from _rate_verdicts(rule, key, readings, history)
    elif rule.kind == ConditionKind.ALL_OF:
        yield from _combined_verdicts(rule, key, readings, history)
    elif rule.kind == ConditionKind.NO_DATA:
        for reading in readings:
            if not rule.metric or reading.metric == rule.metric:
                yield reading, False, ""  # data came: a "no data" alarm clears
                return


def _rate_verdicts(rule, key, readings, history):
    previous = history.get((*key, rule.metric))
    for reading in readings:
        if reading.metric != rule.metric:
            continue
        if previous is not None and reading.ts > previous[0]:
            minutes = (reading.ts - previous[0]).total_seconds() / 60
            rate = abs(reading.value - previous[1]) / minutes
            breached = verdict(rule.kind, rate, threshold=rule.threshold, hysteresis=rule.hysteresis)
            yield reading, breached, _rate_message(rule, rate) if breached else ""
        if previous is None or reading.ts > previous[0]:
            previous = (reading.ts, reading.value)


def _combined_verdicts(rule, key, readings, history):
    latest = {}
    for part in rule.parts:
        stored = history.get((*key, part.metric))
        if stored is not None:
            latest[part.metric] = stored[1]
    for reading in readings:
        if reading.metric not in rule.listens_to:
            continue
        latest[reading.metric] = reading.value
        if len(latest) < len(rule.listens_to):
            continue
        breached = combined_verdict([part_verdict(part, latest[part.metric], rule.hysteresis) for part in rule.parts])
        yield reading, breached, _combined_message(rule, latest) if breached else ""


def _number(value: float) -> str:
    return f"{value:.6g}"


def _value_message(rule: CompiledRule, value: float) -> str:
    values = {"rule": rule.name, "metric": rule.metric, "value": _number(value)}
    if rule.kind == ConditionKind.ABOVE:
        return _("%(rule)s：%(metric)s 为 %(value)s，高于阈值 %(threshold)s") % {**values, "threshold": _number(rule.threshold)}
    if rule.kind == ConditionKind.BELOW:
        return _("%(rule)s：%(metric)s 为 %(value)s，低于阈值 %(threshold)s") % {**values, "threshold": _number(rule.threshold)}
    return _("%(rule)s：%(metric)s 为 %(value)s，超出正常范围 %(lower)s～%(upper)s") % {
        **values, "lower": _number(rule.lower), "upper": _number(rule.upper)}


def _rate_message(rule: CompiledRule, rate: float) -> str:
    return _("%(rule)s：%(metric)s 每分钟变化 %(rate)s，超过 %(threshold)s") % {
        "rule": rule.name, "metric": rule.metric, "rate": _number(rate), "threshold": _number(rule.threshold)}


def _combined_message(rule: CompiledRule, latest: dict) -> str:
    values = "，".join(f"{metric} 为 {_number(latest[metric])}" for metric in rule.listens_to)
    return _("%(rule)s：%(values)s，同时满足组合条件") % {"rule": rule.name, "values": values}


def silence_message(rule, minutes: int, last_ts: datetime | None) -> str:
    if last_ts is None:
        return _("%(rule)s：超过 %(minutes)d 分钟无数据") % {"rule": rule.name, "minutes": minutes}
    return _("%(rule)s：超过 %(minutes)d 分钟无数据（最后读数 %(at)s）") % {
        "rule": rule.name, "minutes": minutes, "at": timezone.localtime(last_ts).strftime("%Y-%m-%d %H:%M")}


# Writing what changed -------------------------------------------------------------------

def _apply(episodes: list[_Episode], outcome: EvaluationOutcome, now: datetime) -> None:
    """Episodes in time order per rule and subject: each opens (if new), counts, and clears (if it ended)."""
    described = _describe([episode for episode in episodes if not episode.alarm_id])
    counted = []
    for episode in episodes:
        if not episode.alarm_id:
            _open(episode, described, outcome, now)
        if episode.alarm_id and episode.count:
            counted.append(episode)
        if episode.cleared_at and episode.alarm_id:
            alarm = Alarm.objects.get(pk=episode.alarm_id)
            if close_alarm(alarm, actor=SYSTEM, how=ClearedHow.AUTO, at=episode.cleared_at, value=episode.cleared_value):
                outcome.cleared.append(alarm.pk)
    _count_readings(counted, outcome)


def _open(episode: _Episode, described, outcome: EvaluationOutcome, now: datetime) -> None:
    alarm = raise_alarm(episode.rule, actor=SYSTEM, subject_kind=episode.subject_kind, subject_id=episode.subject_id,
                        subject=described[(episode.subject_kind, episode.subject_id)], at=episode.started_at,
                        value=episode.first_value, message=episode.message, now=now)
    if alarm is None:  # another worker opened it a moment ago: this batch's readings count towards it
        episode.alarm_id = _open_alarm_id(episode)
        return
    episode.alarm_id = alarm.pk
    episode.count -= 1  # the first reading is counted by the new alarm itself
    outcome.raised.append(alarm.pk)


def _describe(episodes: list[_Episode]) -> dict[tuple[str, int], subjects.Subject]:
    ids_by_kind: dict[str, list[int]] = {}
    for episode in episodes:
        ids_by_kind.setdefault(episode.subject_kind, []).append(episode.subject_id)
    return {(kind, subject_id): subject for kind, ids in ids_by_kind.items()
            for subject_id, subject in subjects.describe(kind, ids).items()}


def _open_alarm_id(episode: _Episode) -> int | None:
    return Alarm.objects.filter(rule_id=episode.rule.id, subject_kind=episode.subject_kind,
                                subject_id=episode.subject_id, state__in=OPEN_STATES).values_list("id", flat=True).first()


def _count_readings(episodes: list[_Episode], outcome: EvaluationOutcome) -> None:
    """One UPDATE for every open alarm that the batch's readings keep breaching."""
    if not episodes:
        return
    alarms = []
    for episode in episodes:
        alarm = Alarm(pk=episode.alarm_id)
        alarm.reading_count = F("reading_count") + episode.count
        alarm.last_value, alarm.last_seen_at = episode.last_value, episode.last_at
        alarms.append(alarm)
    Alarm.objects.bulk_update(alarms, ["reading_count", "last_value", "last_seen_at"])
    outcome.updated += len(alarms)
