"""The active rules, cached per process and indexed by what a reading carries.

Every rule change bumps one version number in the database (in the change's transaction); a
process compares its cached version with it at most every CHECK_SECONDS, so a rule edited on one
machine reaches every ingestion worker within seconds without a query per batch. The process that
made the change forgets its cache at once.
"""
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import F

from .conditions import ANY_METRIC, CompiledRule, compile_rule
from .models import ConditionKind, Rule, RuleSetVersion
from .subjects import last_heard_of

CHECK_SECONDS = 5.0
VERSION_KEY = "rules"


class Plan(NamedTuple):
    """How the evaluation treats a reading of one metric of one subject: the rules it concerns and the tests that
    say whether the reading could change anything by itself (see plan_of), gathered once per subject type and
    metric."""

    rules: tuple[CompiledRule, ...]
    value_screens: tuple[Callable[[float], bool], ...]  # any True: the reading matters by itself
    rate_limit: float | None  # the smallest rate threshold, to screen the change per minute against
    always_walked: bool  # a rule that every reading matters to


@dataclass
class RuleIndex:
    version: int
    rules: dict[int, CompiledRule]
    by_type: dict[tuple[str, str, str], tuple[CompiledRule, ...]]
    by_subject: dict[tuple[str, int, str], tuple[CompiledRule, ...]]
    _memo: dict = field(default_factory=dict)

    def plan(self, subject_kind: str, subject_type: str, subject_id: int, metric: str) -> Plan | None:
        """The plan for a reading of `metric` from this subject, None when no rule concerns it (memoised per
        kind, type and metric, and per subject for the few subjects with rules of their own)."""
        key = (subject_kind, subject_type, metric)
        if self.by_subject and ((subject_kind, subject_id, metric) in self.by_subject
                                or (subject_kind, subject_id, ANY_METRIC) in self.by_subject):
            key = (*key, subject_id)
        memo = self._memo
        if key not in memo:
            memo[key] = plan_of(self.matching(subject_kind, subject_type, subject_id, metric))
        return memo[key]

    def matching(self, subject_kind: str, subject_type: str, subject_id: int, metric: str) -> tuple[CompiledRule, ...]:
        """The rules a reading of `metric` from this subject concerns."""
        found = self._by_type(subject_kind, subject_type, metric)
        if self.by_subject:
            found += self.by_subject.get((subject_kind, subject_id, metric), ()) + \
                self.by_subject.get((subject_kind, subject_id, ANY_METRIC), ())
        return found

    def _by_type(self, subject_kind, subject_type, metric) -> tuple[CompiledRule, ...]:
        found = ()
        for each_type in dict.fromkeys((subject_type, "")):
            for each_metric in (metric, ANY_METRIC):
                found += self.by_type.get((subject_kind, each_type, each_metric), ())
        return found

    def of_kind(self, kind: str) -> list[CompiledRule]:
        return [rule for rule in self.rules.values() if rule.kind == kind]


def build_index(rules: list[CompiledRule], version: int) -> RuleIndex:
    by_type, by_subject = defaultdict(tuple), defaultdict(tuple)
    for rule in rules:
        for metric in rule.listens_to:
            if rule.subject_id is not None:
                by_subject[(rule.subject_kind, rule.subject_id, metric)] += (rule,)
            else:
                by_type[(rule.subject_kind, rule.subject_type, metric)] += (rule,)
    return RuleIndex(version=version, rules={rule.id: rule for rule in rules}, by_type=dict(by_type),
                     by_subject=dict(by_subject))


def plan_of(rules: tuple[CompiledRule, ...]) -> Plan | None:
    """Value kinds: a reading matters if it breaches. Rates: if its change per minute exceeds the threshold (the
    evaluation compares it with the previous reading). "No data": never by itself (a reading only clears an open
    alarm, which brings its subject back anyway), unless the subjects' system cannot say when they last reported,
    so that each newest reading must be kept. Every other kind (combinations) needs every reading."""
    if not rules:
        return None
    value_screens, rate_limit, always_walked = [], None, False
    for rule in rules:
        if rule.breaches is not None:
            value_screens.append(rule.breaches)
        elif rule.kind == ConditionKind.RATE_ABOVE:
            rate_limit = rule.threshold if rate_limit is None else min(rate_limit, rule.threshold)
        elif not (rule.kind == ConditionKind.NO_DATA and last_heard_of(rule.subject_kind) is not None):
            always_walked = True
    return Plan(rules, tuple(value_screens), rate_limit, always_walked)


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.index: RuleIndex | None = None
        self.checked_at = 0.0


_cache = _Cache()


def active_rules() -> RuleIndex:
    index, checked_at = _cache.index, _cache.checked_at
    if index is not None and time.monotonic() - checked_at < CHECK_SECONDS:
        return index
    with _cache.lock:
        version = current_version()
        if _cache.index is None or _cache.index.version != version:
            _cache.index = load_index(version)
        _cache.checked_at = time.monotonic()
        return _cache.index


def load_index(version: int) -> RuleIndex:
    rules = [compile_rule(rule) for rule in Rule.objects.filter(active=True).order_by("id")]
    return build_index(rules, version)


def current_version() -> int:
    return RuleSetVersion.objects.filter(key=VERSION_KEY).values_list("version", flat=True).first() or 0


def forget_rules() -> None:
    _cache.index = None
    _cache.checked_at = 0.0


def rules_changed() -> None:
    """Called inside a rule action's transaction: other processes see a new version, this one forgets now."""
    if not RuleSetVersion.objects.filter(key=VERSION_KEY).update(version=F("version") + 1):
        RuleSetVersion.objects.create(key=VERSION_KEY, version=1)
    forget_rules()
    transaction.on_commit(forget_rules)

