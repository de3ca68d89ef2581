"""The class tree: seeded from data/classes.json, then kept by administrators."""
import json
from pathlib import Path

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from ..models import CaseClass, ClassKind

CLASSES_FILE = Path(__file__).resolve().parent.parent / "data" / "classes.json"


@service_action
def load_reference_classes(*, actor) -> dict:
    """Create the classes that are missing (administrators' changes to existing ones are kept)."""
    data = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    known = set(CaseClass.objects.values_list("code", flat=True))
    created = 0
    majors = {}
    for raw in data["majors"]:
        majors[raw["code"]], fresh = CaseClass.objects.get_or_create(
            code=raw["code"], defaults={"name": raw["name"], "kind": raw["kind"]})
        created += fresh
    topics_parent, fresh = CaseClass.objects.get_or_create(code="T", defaults={"name": "12345诉求", "kind": ClassKind.TOPIC})
    created += fresh
    for raw in data["minors"] + data["topics"]:
        if raw["code"] in known:
            continue
        parent = majors.get(raw.get("parent")) or topics_parent
        CaseClass.objects.create(code=raw["code"], name=raw["name"], kind=parent.kind, parent=parent,
                                 department=raw["department"], limit_days=raw["limit_days"],
                                 limit_hours=raw["limit_hours"], urgency=raw["urgency"],
                                 model_label=raw["model_label"], description=raw["description"])
        created += 1
    if created:
        record(actor=actor, action="cases.classes.load", target_type="cases.caseclass", after={"created": created})
    return {"created": created}


@service_action
def save_class(case_class, *, actor):
    """An administrator's change to a class: limits must be one of days or hours, a minor class needs a department."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if case_class.parent_id and not case_class.department:
        raise ValidationError({"department": [_("小类须指定默认责任部门")]})
    if case_class.limit_days and case_class.limit_hours:
        raise ValidationError({"limit_hours": [_("处置时限为工作日或小时二选一")]})
    before = CaseClass.objects.filter(pk=case_class.pk).values().first() if case_class.pk else None
    case_class.save()
    _forget_dispatch_references()
    record(actor=actor, action="cases.class.save", target=case_class, before=_plain(before),
           after=_plain(CaseClass.objects.filter(pk=case_class.pk).values().first()))
    return case_class


@service_action
def save_keyword_rule(rule, *, actor):
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if not (rule.pattern or "").strip():
        raise ValidationError({"pattern": [_("请填写关键词")]})
    rule.pattern = rule.pattern.strip()
    rule.save()
    _forget_dispatch_references()
    record(actor=actor, action="cases.keyword_rule.save", target=rule,
           after={"pattern": rule.pattern, "class": rule.case_class.code, "weight": rule.weight})
    return rule


def _forget_dispatch_references() -> None:
    from ..dispatch import forget

    forget()


def _plain(values):
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in ("created_at", "updated_at")}
