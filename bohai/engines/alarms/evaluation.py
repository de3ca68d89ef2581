"""Evaluating a batch of readings against the active rules: open, update and clear alarms.

Called by the ingestion pipeline with each batch's newly stored readings. It must stay cheap:

- readings that no rule concerns cost one dict look-up each (rules are cached and indexed by
  subject kind, type and metric);
- readings that only value rules and rates concern (thresholds, ranges, "no data", rates of change)
  and that breach none of them are screened out in one pass: they matter only to a subject that
  already has an open alarm or breaches in the same batch, and only those subjects are grouped and
  walked reading by reading (a rate is screened against the previous reading this process remembers,
  and the newest reading of each screened metric is still remembered and, when due, stored where
  the subjects' system keeps no readings of its own);
- per batch, at most three queries whatever its size: the previous readings that rates and
  combinations need (from the subjects' own store where their system offers it, for subjects this
  process has not seen), the open alarms of the batch's subjects, and one upsert of the last readings
  that only the engine can keep;
- alarms are written only when a condition changes (raise, clear), plus one UPDATE per batch
  for the counters of alarms that stay open.

Readings are taken in time order per subject, so one batch may open and clear an alarm.
"""
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from operator import attrgetter
from typing import NamedTuple

import psycopg
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import subjects
from .actions import SYSTEM, close_alarm, raise_alarm
from .conditions import ANY_METRIC, VALUE_KINDS, CompiledRule, combined_verdict, part_verdict, verdict
from .lastseen import last_readings
from .models import OPEN_STATES, Alarm, ClearedHow, ConditionKind, SubjectMetricState
from .ruleset import active_rules

QUERY_CHUNK = 2000
# How often a kept last reading is written: "no data" rules read the stored states (see lastseen), rates and
# combinations fall back on them only for subjects this process has not seen since it started and whose system
# cannot give their previous reading itself.
NO_DATA_STATE_INTERVAL = timedelta(seconds=30)
HISTORY_STATE_INTERVAL = timedelta(minutes=10)


class Observation(NamedTuple):  # a tuple: built for every ingested reading, at a third of a dataclass's cost
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
    """One subject's readings in the batch, in time order, and the rules they concern."""

    subject_type: str
    readings: list[Observation] = field(default_factory=list)
    rule_sets: dict[int, tuple[CompiledRule, ...]] = field(default_factory=dict)
    rules: list[CompiledRule] = field(default_factory=list)
    by_metric: dict[str, list[Observation]] = field(default_factory=dict)

    def settle(self, unions: dict) -> None:
        readings = self.readings
        if len(readings) > 1:
            readings.sort(key=attrgetter("ts"))
        sets = tuple(self.rule_sets)
        rules = unions.get(sets)
        if rules is None:  # subjects of one type share their rule sets: unite each combination once
            rules = unions[sets] = list({rule.id: rule for each in self.rule_sets.values() for rule in each}.values())
        self.rules = rules
        by_metric = self.by_metric
        for reading in readings:
            found = by_metric.get(reading.metric)
            if found is None:
                by_metric[reading.metric] = [reading]
            else:
                found.append(reading)

    def of_metric(self, metric: str) -> list[Observation]:
        return self.readings if metric == ANY_METRIC else self.by_metric.get(metric, [])


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
    rates = _RateScreen()
    batches, quiet = _match(observations, index, rates)
    if not batches and not quiet:
        return outcome
    outcome.matched = sum(len(batch.readings) for batch in batches.values()) + len(quiet)
    now = now or timezone.now()
    # Inside the caller's transaction no savepoint of our own: two round trips per batch saved. An error
    # still rolls back everything up to the caller's savepoint (the ingestion pipeline holds one).
    with transaction.atomic(savepoint=False):
        open_alarms = _open_alarms({*batches, *(key for key, _observation, _rules in quiet)})
        _join_quiet_readings(batches, quiet, open_alarms)
        _settle(batches)
        history = _history(batches)
        _store_last_readings(batches, rates.newest_outside(batches), now)
        if not batches:
            return outcome
        episodes = [episode for key, batch in batches.items() for rule in batch.rules
                    for episode in _episodes(rule, key, batch, history, open_alarms.get((rule.id, *key)))]
        _apply(episodes, outcome, now)
    return outcome


def _match(observations, index, rates: "_RateScreen") -> tuple[dict[tuple[str, int], _SubjectBatch], list]:
    """The readings that must be walked, grouped by subject, and apart the quiet ones: readings that only
    screenable rules concern and that breach none of them."""
    batches: dict[tuple[str, int], _SubjectBatch] = {}
    quiet = []
    plan_for, may_breach, keep_quiet = index.plan, rates.may_breach, quiet.append
    for observation in observations:  # every reading of the batch: names bound locally, the tuple unpacked once
        kind, subject_id, subject_type, metric, _ts, value = observation
        plan = plan_for(kind, subject_type, subject_id, metric)
        if plan is None:
            continue
        rules, value_screens, rate_limit, walked = plan
        if not walked:
            for screen in value_screens:
                if screen(value):
                    walked = True
                    break
            else:
                walked = rate_limit is not None and may_breach(observation, rate_limit)
        if walked:
            _add_reading(batches, (kind, subject_id), observation, rules)
        else:
            keep_quiet(((kind, subject_id), observation, rules))
    return batches, quiet


class _RateScreen:
    """Rates of change of readings in arrival order against the previous reading of the metric: this batch's
    newer one, else the one this process remembers. A reading is quiet when its change per minute stays within
    the rates' smallest threshold; it must be walked when nothing is remembered (the stored state is read then)
    or it is not newer than the previous (the walk sorts by time)."""

    def __init__(self):
        self.remembered = last_readings.last.get
        self.newest: dict[tuple[str, int, str], Observation] = {}

    def may_breach(self, observation: Observation, limit: float) -> bool:
        kind, subject_id, _type, metric, ts, value = observation
        key = (kind, subject_id, metric)
        previous = self.newest.get(key)
        if previous is not None:
            previous_ts, previous_value = previous[4], previous[5]  # its ts and value
        else:
            remembered = self.remembered(key)
            if remembered is None:
                return True
            previous_ts, previous_value = remembered
        if ts <= previous_ts or abs(value - previous_value) * 60 > limit * (ts - previous_ts).total_seconds():
            return True
        self.newest[key] = observation
        return False

    def newest_outside(self, batches) -> list[tuple[tuple[str, int, str], Observation]]:
        """The newest screened reading of each metric whose subject is not walked (a walked one keeps its own)."""
        if not batches:
            return list(self.newest.items())
        return [(key, observation) for key, observation in self.newest.items() if key[:2] not in batches]


def _add_reading(batches, key, observation: Observation, rules) -> None:
    batch = batches.get(key)
    if batch is None:
        batch = batches[key] = _SubjectBatch(observation.subject_type)
    batch.readings.append(observation)
    batch.rule_sets[id(rules)] = rules


def _join_quiet_readings(batches, quiet: list, open_alarms: dict) -> None:
    """A quiet reading still counts where its subject is walked anyway or has an open alarm: it may clear it."""
    if not quiet:
        return
    alarmed = {(kind, subject_id) for _rule_id, kind, subject_id in open_alarms}
    for key, observation, rules in quiet:
        if key in batches or key in alarmed:
            _add_reading(batches, key, observation, rules)


def _settle(batches) -> None:
    unions = {}
    for batch in batches.values():
        batch.settle(unions)


# Reading and writing the batch's context ------------------------------------------------------

def _history(batches) -> dict[tuple[str, int, str], tuple[datetime, float]]:
    """The previous reading of the metrics that rates and combinations compare with: this process's
    memory first; for what it has not seen, the subjects' own store (the reading before the subject's first
    one in the batch) where their system offers it, else the states kept here (one raw query)."""
    history, missing = {}, {}
    remembered = last_readings.get
    for (kind, subject_id), batch in batches.items():
        for rule in batch.rules:
            if not rule.needs_history:
                continue
            for metric in rule.listens_to:
                key = (kind, subject_id, metric)
                known = remembered(key)
                if known is not None:
                    history[key] = known
                else:
                    missing.setdefault(kind, {})[(subject_id, metric)] = batch.readings[0].ts
    for kind, bounds in missing.items():
        from_store = subjects.previous_readings_of(kind)
        if from_store is not None:
            history.update(((kind, *subject_metric), reading) for subject_metric, reading in from_store(bounds).items())
        else:
            history.update(_kept_states(kind, {subject_id for subject_id, _metric in bounds}))
    return history


def _kept_states(kind: str, ids: set[int]) -> dict:
    found = {}
    aware = _aware_reader()
    table = connection.ops.quote_name(SubjectMetricState._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(ids), QUERY_CHUNK):
            among, parameters = _among("subject_id", chunk)
            cursor.execute(f"SELECT subject_id, metric, last_ts, last_value FROM {table} WHERE subject_kind = %s "
                           f"AND {among}", [kind, *parameters])
            for subject_id, metric, last_ts, last_value in cursor.fetchall():
                found[(kind, subject_id, metric)] = (aware(last_ts), last_value)
    return found


def _aware_reader():
    """SQLite hands back naive UTC datetimes from a raw query; PostgreSQL aware ones."""
    if connection.vendor == "sqlite":
        return lambda value: value.replace(tzinfo=dt_timezone.utc) if value.tzinfo is None else value
    return lambda value: value


def _datetime_writer():
    """Django's own adapter costs more than the rest of a reading's evaluation on SQLite: the same, shorter."""
    if connection.vendor == "sqlite":
        return lambda value: str(value.astimezone(dt_timezone.utc).replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value


def _open_alarms(keys) -> dict[tuple[int, str, int], int]:
    by_kind: dict[str, list[int]] = {}
    for kind, subject_id in keys:
        by_kind.setdefault(kind, []).append(subject_id)
    table = connection.ops.quote_name(Alarm._meta.db_table)
    found = {}
    with connection.cursor() as cursor:
        for kind, ids in by_kind.items():
            for chunk in _chunks(sorted(ids), QUERY_CHUNK):
                among, ids = _among("subject_id", chunk)
                cursor.execute(f"SELECT id, rule_id, subject_id FROM {table} WHERE subject_kind = %s AND state IN "
                               f"(%s, %s) AND {among}", [kind, *OPEN_STATES, *ids])
                for alarm_id, rule_id, subject_id in cursor.fetchall():
                    found[(rule_id, kind, subject_id)] = alarm_id
    return found


def _store_last_readings(batches, screened: list[tuple[tuple[str, int, str], Observation]], now: datetime) -> None:
    """Upsert the newest reading of each subject's metrics that rates, combinations and "no data" rules
    need, when its state is due (see lastseen and the intervals above); an older reading never overwrites a
    newer one. Metrics that only thresholds watch are not stored. `screened`: the newest quiet readings of
    rates whose subjects are not walked. This process remembers the readings once it commits."""
    latest: dict[tuple[str, int, str], tuple[Observation, timedelta | None]] = {}
    kept_by_rules: dict[int, dict[str, timedelta]] = {}
    for (kind, subject_id), batch in batches.items():
        kept = kept_by_rules.get(id(batch.rules))
        if kept is None:
            kept = kept_by_rules[id(batch.rules)] = _kept_metrics(batch.rules)
        for metric, readings in batch.by_metric.items():  # each in time order: the last one is the newest
            latest[(kind, subject_id, metric)] = (readings[-1], kept.get(metric))
        if ANY_METRIC in kept:  # "no data" on any metric: the subject's newest reading is enough
            newest = batch.readings[-1]
            latest[(kind, subject_id, newest.metric)] = (newest, kept[ANY_METRIC])
    due = last_readings.due_for_writing
    keeping_history = {kind for kind in {key[0] for key, _reading in screened} if _keeps_history(kind)}
    written = [(key, reading) for key, reading in screened
               if key[0] in keeping_history and due(key, reading.ts, HISTORY_STATE_INTERVAL)]
    written += [(key, reading) for key, (reading, interval) in latest.items()
                if interval is not None and due(key, reading.ts, interval)]
    seen = [(key, reading.ts, reading.value) for key, reading in screened]
    seen += [(key, reading.ts, reading.value) for key, (reading, _interval) in latest.items()]
    if not seen:
        return
    transaction.on_commit(functools.partial(last_readings.remember, seen, [(key, reading.ts) for key, reading in written]))
    if not written:
        return
    adapt = _datetime_writer()
    updated_at = adapt(now)
    rows = [(*key, reading.subject_type, adapt(reading.ts), reading.value, updated_at) for key, reading in written]
    if connection.vendor == "postgresql":
        # Seven arrays bound on the server in binary: Django's client-side binding spelt 5,000 rows out as
        # array literals in about 100 ms, more than the upsert itself.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_upsert_statement(_POSTGRES_ROWS), [list(column) for column in zip(*rows)])
        return
    with connection.cursor() as cursor:  # in-process: one prepared statement, rows bound in C
        cursor.executemany(_upsert_statement("VALUES (%s, %s, %s, %s, %s, %s, %s)"), rows)


def _kept_metrics(rules: list[CompiledRule]) -> dict[str, timedelta]:
    """Metrics whose last reading must be stored, and how often: those of "no data" rules whose subjects'
    system cannot say itself when they last reported (the sweep reads the states), and those of rates and
    combinations whose system cannot give the reading before a batch (a fallback for subjects this process
    has not seen)."""
    kept: dict[str, timedelta] = {}
    for rule in rules:
        if rule.kind == ConditionKind.NO_DATA and subjects.last_heard_of(rule.subject_kind) is None:
            kept.update(dict.fromkeys(rule.listens_to, NO_DATA_STATE_INTERVAL))
    for rule in rules:
        if rule.needs_history and _keeps_history(rule.subject_kind):
            for metric in rule.listens_to:
                kept.setdefault(metric, HISTORY_STATE_INTERVAL)
    return kept


def _keeps_history(kind: str) -> bool:
    """Whether rates and combinations of this kind fall back on states kept here (their system cannot give the
    reading before a batch itself)."""
    return subjects.previous_readings_of(kind) is None


_POSTGRES_ROWS = ("SELECT * FROM unnest(%b::varchar[], %b::bigint[], %b::varchar[], %b::varchar[], "
                  "%b::timestamptz[], %b::float8[], %b::timestamptz[])")


def _among(column: str, ids: list[int]) -> tuple[str, list]:
    """`column IN (…)`, as one array parameter on PostgreSQL."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _upsert_statement(rows: str) -> str:
    table = connection.ops.quote_name(SubjectMetricState._meta.db_table)
    return (f"INSERT INTO {table} (subject_kind, subject_id, metric, subject_type, last_ts, last_value, updated_at) "
            f"{rows} ON CONFLICT (subject_kind, subject_id, metric) DO UPDATE SET "
            "subject_type = excluded.subject_type, last_ts = excluded.last_ts, last_value = excluded.last_value, "
            f"updated_at = excluded.updated_at WHERE excluded.last_ts >= {table}.last_ts")


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# Walking one rule over one subject's readings ---------------------------------------------------

def _episodes(rule: CompiledRule, key, batch: _SubjectBatch, history, open_alarm_id: int | None) -> list[_Episode]:
    if open_alarm_id is None and not _may_breach(rule, key, batch, history):
        return []  # the common case: nothing open, nothing breached
    kind, subject_id = key
    current = _Episode(rule, kind, subject_id, alarm_id=open_alarm_id) if open_alarm_id else None
    episodes = [current] if current else []
    for reading, breached, message in _verdicts(rule, key, batch, history):
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


def _may_breach(rule: CompiledRule, key, batch: _SubjectBatch, history) -> bool:
    """A quick look, without hysteresis or messages: could any reading open an alarm?"""
    if rule.breaches is not None:
        return any(map(rule.breaches, [reading.value for reading in batch.of_metric(rule.metric)]))
    if rule.kind == ConditionKind.RATE_ABOVE:
        previous = history.get((*key, rule.metric))
        for reading in batch.of_metric(rule.metric):
            if previous is not None and reading.ts > previous[0] and \
                    abs(reading.value - previous[1]) > rule.threshold * (reading.ts - previous[0]).total_seconds() / 60:
                return True
            previous = (reading.ts, reading.value)
        return False
    if rule.kind == ConditionKind.ALL_OF:
        for part, test in zip(rule.parts, rule.part_tests):
            stored = history.get((*key, part.metric))
            values = [reading.value for reading in batch.of_metric(part.metric)]
            if not any(map(test, values)) and not (stored is not None and test(stored[1])):
                return False  # one part never holds: the combination cannot
        return True
    return False  # "no data" alarms are raised by the sweep, never by a reading


def _verdicts(rule: CompiledRule, key, batch: _SubjectBatch, history):
    """(reading, verdict, message when breached) for each reading the rule looks at, in time order."""
    if rule.kind in VALUE_KINDS:
        kind, threshold, lower, upper, hysteresis = rule.kind, rule.threshold, rule.lower, rule.upper, rule.hysteresis
        for reading in batch.of_metric(rule.metric):
            breached = verdict(kind, reading.value, threshold=threshold, lower=lower, upper=upper, hysteresis=hysteresis)
            yield reading, breached, _value_message(rule, reading.value) if breached else ""
    elif rule.kind == ConditionKind.RATE_ABOVE:
        yield from _rate_verdicts(rule, key, batch.of_metric(rule.metric), history)
    elif rule.kind == ConditionKind.ALL_OF:
        yield from _combined_verdicts(rule, key, batch.readings, history)
    elif rule.kind == ConditionKind.NO_DATA:
        readings = batch.of_metric(rule.metric or ANY_METRIC)
        if readings:
            yield readings[0], False, ""  # data came: a "no data" alarm clears


def _rate_verdicts(rule, key, readings, history):
    previous = history.get((*key, rule.metric))
    for reading in readings:
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


def _metric(rule: CompiledRule, metric: str) -> str:
    return subjects.metric_name(rule.subject_kind, rule.subject_type, metric)


def _number(value: float) -> str:
    return f"{value:.6g}"


def _value_message(rule: CompiledRule, value: float) -> str:
    values = {"rule": rule.name, "metric": _metric(rule, rule.metric), "value": _number(value)}
    if rule.kind == ConditionKind.ABOVE:
        return _("%(rule)s：%(metric)s 为 %(value)s，高于阈值 %(threshold)s") % {**values, "threshold": _number(rule.threshold)}
    if rule.kind == ConditionKind.BELOW:
        return _("%(rule)s：%(metric)s 为 %(value)s，低于阈值 %(threshold)s") % {**values, "threshold": _number(rule.threshold)}
    return _("%(rule)s：%(metric)s 为 %(value)s，超出正常范围 %(lower)s～%(upper)s") % {
        **values, "lower": _number(rule.lower), "upper": _number(rule.upper)}


def _rate_message(rule: CompiledRule, rate: float) -> str:
    return _("%(rule)s：%(metric)s 每分钟变化 %(rate)s，超过 %(threshold)s") % {
        "rule": rule.name, "metric": _metric(rule, rule.metric), "rate": _number(rate),
        "threshold": _number(rule.threshold)}


def _combined_message(rule: CompiledRule, latest: dict) -> str:
    values = "，".join(_("%(metric)s 为 %(value)s") % {"metric": _metric(rule, metric), "value": _number(latest[metric])}
                      for metric in rule.listens_to)
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
