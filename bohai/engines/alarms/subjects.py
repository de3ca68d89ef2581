"""What the alarm engine knows of the things it watches: a system registers a describer per kind.

    register_subject_source("iot.device", describe_devices, event_prefix="iot")   # in AppConfig.ready()

The engine asks only when it raises an alarm (who owns the subject, where it is, what to call it),
and publishes that alarm's events as `<event_prefix>.alarm_raised` / `<event_prefix>.alarm_cleared`.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_EVENT_PREFIX = "alarms"


@dataclass(frozen=True)
class Subject:
    label: str
    organisation_id: int | None
    region_id: int | None
    lng: float | None
    lat: float | None
    link: str = ""


Describe = Callable[[list[int]], dict[int, Subject]]


NameMetric = Callable[[str, str], str]
# last_heard(subject_type, subject_id, metric) -> {subject id: (time of its last reading or None, time silence
# counts from)} for every subject that should be reporting: "" type or metric means any, None id means every one.
LastHeard = Callable[[str, int | None, str], dict[int, tuple[datetime | None, datetime]]]
# previous_readings({(subject id, metric): before}) -> {(subject id, metric): (ts, value)}: each metric's newest
# reading strictly before the time given, from the system's own store, where it has one.
PreviousReadings = Callable[[dict[tuple[int, str], datetime]], dict[tuple[int, str], tuple[datetime, float]]]


@dataclass(frozen=True)
class SubjectSource:
    kind: str
    describe: Describe
    event_prefix: str
    name_metric: NameMetric | None = None
    last_heard: LastHeard | None = None
    previous_readings: PreviousReadings | None = None


_sources: dict[str, SubjectSource] = {}


def register_subject_source(kind: str, describe: Describe, *, event_prefix: str,
                            name_metric: NameMetric | None = None, last_heard: LastHeard | None = None,
                            previous_readings: PreviousReadings | None = None) -> None:
    """`name_metric(subject_type, metric)` gives the metric's name as people read it ("管网压力").
    `last_heard` lets "no data" rules ask the system itself when its subjects last reported (and count silence
    from their commissioning for those that never did); without it the engine keeps its own per-subject state.
    `previous_readings` does the same for rates and combinations: the reading before a batch, for subjects this
    process has not seen since it started, comes from the system's store instead of a state the engine keeps."""
    _sources[kind] = SubjectSource(kind, describe, event_prefix, name_metric, last_heard, previous_readings)


def last_heard_of(kind: str) -> LastHeard | None:
    source = _sources.get(kind)
    return source.last_heard if source else None


def previous_readings_of(kind: str) -> PreviousReadings | None:
    source = _sources.get(kind)
    return source.previous_readings if source else None


def metric_name(kind: str, subject_type: str, metric: str) -> str:
    source = _sources.get(kind)
    if source is None or source.name_metric is None:
        return metric
    return source.name_metric(subject_type, metric) or metric


def unregister_subject_source(kind: str) -> None:
    _sources.pop(kind, None)


def event_prefix(kind: str) -> str:
    source = _sources.get(kind)
    return source.event_prefix if source else DEFAULT_EVENT_PREFIX


def describe(kind: str, ids: list[int]) -> dict[int, Subject]:
    """Each id's Subject; an unknown kind or id still gets a plain label, so an alarm is never lost."""
    source = _sources.get(kind)
    described = source.describe(sorted(set(ids))) if source and ids else {}
    return {subject_id: described.get(subject_id) or _unknown(kind, subject_id) for subject_id in ids}


def _unknown(kind: str, subject_id: int) -> Subject:
    return Subject(label=f"{kind}#{subject_id}", organisation_id=None, region_id=None, lng=None, lat=None)
