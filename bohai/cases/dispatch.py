"""Intelligent dispatch: the text model's top-3 classes, the administrators' keyword rules, and the
locality rule (the class's department serving the case's place; unclear responsibility falls to
the township, 属地管理)."""
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from bohai.engines.text import KeywordRule as TextRule
from bohai.engines.text import load
from bohai.kernel.organisations.directory import counterpart

from .models import CaseClass, KeywordRule

MODEL_FILE = "appeals.joblib"
LOCALITY_FUNCTION = "township_office"
# Classes and rules change rarely: each process keeps them a minute (and drops them at once after a
# change through the admin actions, which call forget()). Responsible units come from the
# organisations' own directory, kept the same way.
REFERENCE_SECONDS = 60
_model_lock = threading.Lock()
_loaded: dict = {}
_reference: dict = {}


@dataclass
class Suggestion:
    class_code: str
    class_name: str
    confidence: float
    department: str
    organisation_id: int | None
    organisation_name: str


def model_path() -> Path:
    return Path(settings.VAR_DIR) / "models" / MODEL_FILE


def current_model():
    """The trained model, loaded once per process (trained from the shipped corpus if absent)."""
    path = model_path()
    stamp = path.stat().st_mtime if path.exists() else None
    with _model_lock:
        if stamp is None:
            from bohai.engines.text.setup import train_default_model

            train_default_model(path.parent)
            stamp = path.stat().st_mtime
        if _loaded.get("stamp") != stamp:
            _loaded.update(model=load(path), stamp=stamp)
        return _loaded["model"]


def suggest(text: str, region=None, k: int = 3, track: str = "city") -> list[Suggestion]:
    """Top-k classes for the text, each with the unit responsible at the place. A model label may name
    both a 数字城管 class and a 12345 topic (油烟): the track decides which one is meant."""
    classes = cached_reference(("classes", track), lambda: _classes_by_label(track))
    rules = _rules_for(region)
    ranked = current_model().suggest(text, k=k, rules=rules)
    suggestions = []
    for choice in ranked:
        case_class = classes.get(choice.label)
        if case_class is None:
            continue
        unit = responsible_unit(case_class.department, region)
        suggestions.append(Suggestion(case_class.code, case_class.name, round(float(choice.confidence), 4),
                                      case_class.department, unit.pk if unit else None, unit.name if unit else ""))
    return suggestions


def _classes_by_label(track: str) -> dict:
    classes = {}
    for case_class in CaseClass.objects.filter(active=True).exclude(model_label="").order_by("kind"):
        current = classes.get(case_class.model_label)
        if current is None or (case_class.kind == "topic") == (track == "hotline"):
            classes[case_class.model_label] = case_class
    return classes


def cached_reference(key, produce):
    """`produce()`, kept in this process for REFERENCE_SECONDS under `key` (forget() drops it)."""
    now = time.monotonic()
    entry = _reference.get(key)
    if entry is None or now - entry[0] > REFERENCE_SECONDS:
        entry = (now, produce())
        _reference[key] = entry
    return entry[1]


def forget() -> None:
    """Drop this process's cached classes and rules (after an administrator's change)."""
    _reference.clear()


def suggestion_record(suggestions: list[Suggestion]) -> dict:
    return {"top": [asdict(s) for s in suggestions]}


def responsible_unit(department: str, region):
    if region is None:
        return None
    return (counterpart(department, region) if department else None) or counterpart(LOCALITY_FUNCTION, region)


def _rules_for(region) -> list[TextRule]:
    """The active rules for everywhere, and those for the region or a region above it."""
    keys = set(region.path.strip("/").split("/")) if region is not None else set()
    return [rule for region_key, rule in cached_reference(("rules",), _all_rules) if region_key is None or region_key in keys]


def _all_rules() -> list[tuple[str | None, TextRule]]:
    rules = KeywordRule.objects.filter(active=True).select_related("case_class", "region").defer("region__boundary")
    return [(rule.region.key if rule.region_id else None,
             TextRule(rule.pattern, rule.case_class.model_label or rule.case_class.code, rule.weight)) for rule in rules]
