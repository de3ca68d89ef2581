"""Rules as plain, immutable values and the verdict of one condition on one value.

A verdict is True (breached), False (back to normal: an open alarm clears) or None (inside the
hysteresis band: nothing changes), so a value hovering at a threshold does not raise and clear
an alarm at every reading.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ConditionKind, Rule

VALUE_KINDS = (ConditionKind.ABOVE, ConditionKind.BELOW, ConditionKind.OUTSIDE)
ANY_METRIC = "*"


@dataclass(frozen=True, slots=True)
class Part:
    metric: str
    kind: str
    threshold: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    name: str
    kind: str
    subject_kind: str
    subject_type: str
    subject_id: int | None
    metric: str
    threshold: float | None
    lower: float | None
    upper: float | None
    minutes: int | None
    parts: tuple[Part, ...]
    hysteresis: float
    severity: str

    listens_to: tuple[str, ...] = ()  # the metrics whose readings the rule looks at ("*": any)
    alarm_metric: str = ""
    needs_history: bool = False  # compares with the previous stored reading (rates, combinations)
    breaches: Callable[[float], bool] | None = None  # value kinds: does this value breach? (the fast path)
    part_tests: tuple[Callable[[float], bool], ...] = ()  # the same for each part of a combination


def compile_rule(rule: Rule) -> CompiledRule:
    parts = tuple(Part(**part) for part in rule.parts or ()) if rule.kind == ConditionKind.ALL_OF else ()
    listens_to = tuple(dict.fromkeys(part.metric for part in parts)) if parts else (rule.metric or ANY_METRIC,)
    return CompiledRule(
        id=rule.pk, name=rule.name, kind=rule.kind, subject_kind=rule.subject_kind, subject_type=rule.subject_type,
        subject_id=rule.subject_id, metric=rule.metric, threshold=rule.threshold, lower=rule.lower, upper=rule.upper,
        minutes=rule.minutes, parts=parts, hysteresis=rule.hysteresis or 0.0, severity=rule.severity,
        listens_to=listens_to, alarm_metric=parts[0].metric if parts else rule.metric,
        needs_history=rule.kind in (ConditionKind.RATE_ABOVE, ConditionKind.ALL_OF),
        breaches=breach_test(rule.kind, rule.threshold, rule.lower, rule.upper),
        part_tests=tuple(breach_test(part.kind, part.threshold, part.lower, part.upper) for part in parts),
    )


def breach_test(kind: str, threshold, lower, upper) -> Callable[[float], bool] | None:
    """A one-argument test for a value kind; bound float methods, since it runs for every reading."""
    if kind == ConditionKind.ABOVE:
        return float(threshold).__lt__  # threshold < value
    if kind == ConditionKind.BELOW:
        return float(threshold).__gt__
    if kind == ConditionKind.OUTSIDE:
        return lambda value: value < lower or value > upper
    return None


def verdict(kind: str, value: float, *, threshold=None, lower=None, upper=None, hysteresis: float = 0.0) -> bool | None:
    """Breached (True), normal (False) or in the band between (None), for value kinds and rates."""
    if kind in (ConditionKind.ABOVE, ConditionKind.RATE_ABOVE):
        return True if value > threshold else (False if value <= threshold - hysteresis else None)
    if kind == ConditionKind.BELOW:
        return True if value < threshold else (False if value >= threshold + hysteresis else None)
    if kind == ConditionKind.OUTSIDE:
        if value < lower or value > upper:
            return True
        return False if lower + hysteresis <= value <= upper - hysteresis else None
    raise ValueError(f"no value verdict for condition kind {kind!r}")


def part_verdict(part: Part, value: float, hysteresis: float) -> bool | None:
    return verdict(part.kind, value, threshold=part.threshold, lower=part.lower, upper=part.upper,
                   hysteresis=hysteresis)


def combined_verdict(verdicts: list[bool | None]) -> bool | None:
    """All parts breached: breached; any part normal: normal; otherwise unchanged."""
    if all(v is True for v in verdicts):
        return True
    if any(v is False for v in verdicts):
        return False
    return None


# Validation ------------------------------------------------------------------------------

def validate_condition(*, kind: str, metric: str, threshold, lower, upper, minutes, parts, hysteresis) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in ConditionKind.values:
        errors["kind"] = [_("未知的条件类型：%(kind)s") % {"kind": kind}]
    elif kind == ConditionKind.ALL_OF:
        _check_parts(parts, errors)
    elif kind == ConditionKind.NO_DATA:
        if not minutes or minutes < 1:
            errors["minutes"] = [_("无数据规则须填写大于 0 的分钟数")]
    else:
        if not metric:
            errors["metric"] = [_("须填写指标")]
        _check_bounds(kind, threshold, lower, upper, errors, field_prefix="")
    if hysteresis is not None and hysteresis < 0:
        errors["hysteresis"] = [_("解除回差不能为负数")]
    if kind == ConditionKind.OUTSIDE and lower is not None and upper is not None and hysteresis \
            and lower + hysteresis > upper - hysteresis:
        errors.setdefault("hysteresis", []).append(_("解除回差过大：范围内没有可以解除的数值"))
    if errors:
        raise ValidationError(errors)


def _check_bounds(kind, threshold, lower, upper, errors, field_prefix: str) -> None:
    if kind == ConditionKind.OUTSIDE:
        if lower is None or upper is None:
            errors[f"{field_prefix}lower"] = [_("超出范围条件须同时填写下限和上限")]
        elif lower >= upper:
            errors[f"{field_prefix}upper"] = [_("上限须大于下限")]
    elif threshold is None:
        errors[f"{field_prefix}threshold"] = [_("须填写阈值")]
    elif kind == ConditionKind.RATE_ABOVE and threshold <= 0:
        errors[f"{field_prefix}threshold"] = [_("变化率阈值须大于 0")]


def _check_parts(parts, errors) -> None:
    if not isinstance(parts, (list, tuple)) or len(parts) < 2:
        errors["parts"] = [_("组合条件须至少包含两个子条件")]
        return
    for number, part in enumerate(parts, start=1):
        if not isinstance(part, dict) or set(part) - {"metric", "kind", "threshold", "lower", "upper"}:
            errors["parts"] = [_("第 %(n)d 个子条件格式不正确") % {"n": number}]
            return
        if part.get("kind") not in VALUE_KINDS:
            errors["parts"] = [_("子条件只能是 高于阈值、低于阈值 或 超出范围（第 %(n)d 个）") % {"n": number}]
            return
        if not part.get("metric"):
            errors["parts"] = [_("第 %(n)d 个子条件须填写指标") % {"n": number}]
            return
        _check_bounds(part["kind"], part.get("threshold"), part.get("lower"), part.get("upper"), errors,
                      field_prefix="parts.")
