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
